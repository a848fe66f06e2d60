//! `offline-cash-issuer`: serve the reference issuer, or benchmark settlement.
//!
//! ```text
//!  offline-cash-issuer serve --db issuer.db --listen 127.0.0.1:8080 --admin-token …
//!  offline-cash-issuer serve … --listen 127.0.0.1:0 --url-file issuer.url   (the kernel picks the port)
//!  offline-cash-issuer serve --database-url postgres://issuer@db:5432/issuer …  (feature postgres)
//!  offline-cash-issuer bench --sizes 100,1000 --batches 5 [--nodes 2] [--database-url postgres://…]
//!  offline-cash-issuer load --url http://127.0.0.1:8080 --admin-token … [--wallets 500 --seconds 20]
//!  offline-cash-issuer rotate-key --db issuer.db [--activate-after-secs 2678400]   (server stopped)
//!  offline-cash-issuer new-key-file --key-file issuer.keys   (then serve/rotate-key --key-file …)
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use offline_cash_issuer::{IssuerConfig, Server, ServerConfig};

mod attestation_args;
mod bench;
mod cpu_level;
mod load;
mod policy_args;
mod stats;
mod url_file;

#[derive(Parser, Debug)]
#[command(name = "offline-cash-issuer", about = "Offline Cash reference issuer and settlement service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the HTTP API until ctrl-c or SIGTERM.
    Serve(Box<ServeArgs>),
    /// Measure settlement throughput over HTTP against the crypto-only limit.
    Bench(bench::BenchArgs),
    /// Load running issuer nodes over HTTP with many concurrent wallets, from this process:
    /// latency per operation, errors (exit non-zero on any), and the audit afterwards.
    Load(load::LoadArgs),
    /// Create the next issuer signing key and its rotation, signed by the current key. Run
    /// with the server stopped; the rotation is served from the next start, and the new key
    /// signs from its announced time (--activate-after-secs).
    RotateKey(RotateKeyArgs),
    /// Create a key file holding a fresh issuer key 1 (for `serve --key-file` on a new
    /// database; every node over the database reads the same file).
    NewKeyFile(NewKeyFileArgs),
}

#[derive(clap::Args, Debug)]
struct NewKeyFileArgs {
    /// The file to create (refused if it exists).
    #[arg(long, env = "OC_ISSUER_KEY_FILE")]
    key_file: PathBuf,
}

#[derive(clap::Args, Debug)]
struct RotateKeyArgs {
    /// SQLite database file of the issuer.
    #[arg(long, env = "OC_ISSUER_DB", required_unless_present = "database_url")]
    db: Option<PathBuf>,
    /// PostgreSQL database of the issuer instead of the file (`postgres://…`).
    #[arg(long, env = "OC_ISSUER_DATABASE_URL")]
    database_url: Option<String>,
    /// The issuer's keys are in this file (see new-key-file): the new key is added to it.
    #[arg(long, env = "OC_ISSUER_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Seconds from now until the new key signs. The default (31 days) is longer than the
    /// default certificate validity (30 days) plus clock skew, so every wallet that can still
    /// pay has synced and learnt the new key before anything signed under it reaches it; keep
    /// it above the issuer's certificate validity. 0 is an emergency rotation (the
    /// current key is compromised): wallets that have not synced since refuse what the new key
    /// signs until they sync.
    #[arg(long, default_value_t = 31 * 86_400)]
    activate_after_secs: u64,
    /// How long (seconds) the current key may still sign after the new one is active.
    /// Everything it signed before its end stays valid for wallets.
    #[arg(long, default_value_t = 3600)]
    retire_after_secs: u64,
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// SQLite database file (created on first start).
    #[arg(long, env = "OC_ISSUER_DB", required_unless_present = "database_url")]
    db: Option<PathBuf>,
    /// A PostgreSQL database instead of the file (`postgres://user@host:port/db`; built with
    /// the `postgres` feature). Several nodes may serve over one database.
    #[arg(long, env = "OC_ISSUER_DATABASE_URL")]
    database_url: Option<String>,
    /// The issuer's signing keys in this file instead of the database (see new-key-file).
    #[arg(long, env = "OC_ISSUER_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "OC_ISSUER_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Once listening, write the server's URL (`http://ADDR`, one line) to this file, before
    /// the first request is served: with `--listen 127.0.0.1:0` the kernel picks a free port
    /// and the caller reads it here instead of racing other processes for one.
    #[arg(long, env = "OC_ISSUER_URL_FILE")]
    url_file: Option<PathBuf>,
    /// Bearer token of the admin endpoints.
    #[arg(long, env = "OC_ISSUER_ADMIN_TOKEN")]
    admin_token: String,
    /// Largest request body (bytes).
    #[arg(long, env = "OC_ISSUER_MAX_BODY", default_value_t = 8 * 1024 * 1024)]
    max_body_bytes: usize,
    /// Allowed request timestamp distance (seconds).
    #[arg(long, env = "OC_ISSUER_AUTH_WINDOW", default_value_t = 300)]
    auth_window_secs: u64,
    /// The signed policy and the note lifetimes.
    #[command(flatten)]
    policy: policy_args::PolicyArgs,
    /// Key attestation at registration.
    #[command(flatten)]
    attestation: attestation_args::AttestationArgs,
    /// Signed requests per second and wallet, sustained (0: no rate limit).
    #[arg(long, env = "OC_ISSUER_RATE_PER_SECOND", default_value_t = 2)]
    rate_per_second: u32,
    /// Signed requests a wallet may make at once after a quiet period.
    #[arg(long, env = "OC_ISSUER_RATE_BURST", default_value_t = 60)]
    rate_burst: u32,
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutdown requested");
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let missing = cpu_level::missing_features();
    if !missing.is_empty() {
        eprintln!(
            "error: this issuer was built for x86-64-v3 (-C target-cpu=x86-64-v3), but this CPU lacks {}; \
             build it without that flag (issuer/README.md, \"Building for production\")",
            missing.join(", ")
        );
        return std::process::ExitCode::FAILURE;
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Load(args) => load::run(args).await,
        Command::RotateKey(args) => rotate_key(&args),
        Command::NewKeyFile(args) => offline_cash_issuer::key_file::KeyFile::create(&args.key_file).map(|_| {
            println!("key file {} created with a fresh issuer key 1", args.key_file.display());
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "failed");
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn rotate_key(args: &RotateKeyArgs) -> Result<(), offline_cash_issuer::IssuerError> {
    let now = (offline_cash_issuer::system_clock())();
    let times = offline_cash_issuer::keys::RotationTimes {
        activate_after_secs: args.activate_after_secs,
        retire_after_secs: args.retire_after_secs,
    };
    let store =
        offline_cash_issuer::store::Backend::open(&args.db.clone().unwrap_or_default(), args.database_url.as_deref())?;
    let key = match &args.key_file {
        Some(path) => {
            let mut file = offline_cash_issuer::key_file::KeyFile::open(path)?;
            offline_cash_issuer::keys::rotate_key_with_file(&store, &mut file, now, times)?
        }
        None => offline_cash_issuer::keys::rotate_key_in(&store, now, times)?,
    };
    println!(
        "issuer key {} created and announced from the next start; it signs from {} (Unix time)",
        key.key_id,
        key.not_before.max(now)
    );
    Ok(())
}

async fn serve(args: ServeArgs) -> Result<(), offline_cash_issuer::IssuerError> {
    let mut issuer = IssuerConfig::new(args.db.unwrap_or_default(), args.admin_token);
    issuer.database_url = args.database_url;
    issuer.key_file = args.key_file;
    issuer.auth_window_secs = args.auth_window_secs;
    args.policy.apply(&mut issuer);
    args.attestation.apply(&mut issuer)?;
    issuer.rate_limit = (args.rate_per_second > 0)
        .then_some(offline_cash_issuer::RateLimit { per_second: args.rate_per_second, burst: args.rate_burst });
    let server =
        Server::bind(ServerConfig { issuer, listen: args.listen, max_body_bytes: args.max_body_bytes }).await?;
    if let Some(path) = &args.url_file {
        url_file::write(path, server.local_addr())?;
    }
    server.serve(shutdown_signal()).await
}
