//! `offline-cash`: the demo, scriptable wallet commands, the simulator and the benchmark tables.
//!
//! ```text
//!  offline-cash demo [--suite p256|ml-dsa-44|composite] [--seed S]
//!  offline-cash wallet create|register|fund|balance|history|request|pay|accept|complete|sync|check --dir D …
//!  offline-cash wallet request … --uri | pay … --request-uri offlinecash:R…
//!  offline-cash wallet refresh [--all] | deposit | defund --amount A | pending --dir D
//!  offline-cash issuer account --issuer URL --admin-token T --name N --balance B
//!  offline-cash simulate [--wallets N] [--payees P] [--payments M] [--seed S] [--svg FILE]
//!  offline-cash bench [--quick]
//!  offline-cash qr show --in FRAME [--png-dir D] [--terminal] | qr scan --out FRAME PNG… | qr bench
//! ```
//! Exit status: 0 when every expected outcome held, 1 on a failed check or error, 2 on bad usage.
//! Logs (`tracing`: the core, the embedded issuer, HTTP) go to stderr, filtered by `RUST_LOG`
//! (off by default, so the story reads cleanly).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use offline_cash_cli::{CliError, bench, demo, files, flows, parse_suite, qr, qr_bench, simulate};

#[derive(Parser, Debug)]
#[command(name = "offline-cash", version, about = "Offline Cash: double-offline payments, demo and tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The story in one run: tap payments, a torn tap, a double spend, settlement, revocation.
    Demo {
        /// Signature suite of the wallets: p256, ml-dsa-44 or composite.
        #[arg(long, default_value = "p256")]
        suite: String,
        /// Derive the P-256 wallets' keys from this seed (reproducible runs; never for real keys).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Wallet commands over a directory (file-based; for scripts and development).
    #[command(subcommand)]
    Wallet(WalletCommand),
    /// Issuer administration helpers (serving is `offline-cash-issuer serve`).
    #[command(subcommand)]
    Issuer(IssuerCommand),
    /// Many devices, one clock: a canteen peak, tears, crashes, double spenders, settlement.
    Simulate(simulate::SimulateArgs),
    /// The benchmark tables of docs/PERFORMANCE.md.
    Bench(bench::BenchArgs),
    /// Frame files as QR codes (terminal, PNG) and back from PNGs.
    #[command(subcommand)]
    Qr(QrCommand),
}

#[derive(Subcommand, Debug)]
enum QrCommand {
    /// Shows a request, payment or receipt file as QR: one code for a request URI that fits,
    /// else animated fountain-coded parts.
    Show(qr::ShowArgs),
    /// Reads QR PNGs (any order, some may be missing) until a frame is whole; writes it.
    Scan {
        /// Where to write the frame.
        #[arg(long)]
        out: PathBuf,
        /// The PNG files, in the order scanned.
        #[arg(required = true)]
        pngs: Vec<PathBuf>,
    },
    /// The QR tables of docs/PERFORMANCE.md (request URI sizes; parts needed vs the minimum).
    Bench(qr_bench::QrBenchArgs),
}

#[derive(Args, Debug)]
struct DirArg {
    /// The wallet's directory.
    #[arg(long)]
    dir: PathBuf,
}

#[derive(Subcommand, Debug)]
enum WalletCommand {
    /// Creates a wallet: a key (wrapped with a dev-only key file) and its database.
    Create {
        #[command(flatten)]
        dir: DirArg,
        /// Signature suite: p256, ml-dsa-44 or composite.
        #[arg(long, default_value = "p256")]
        suite: String,
    },
    /// Registers the wallet with an issuer account (stores the URL and credential in the dir).
    Register {
        #[command(flatten)]
        dir: DirArg,
        /// Issuer base URL, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        issuer: String,
        /// The account's bearer credential.
        #[arg(long)]
        credential: String,
    },
    /// Moves value from the online account into offline notes.
    Fund {
        #[command(flatten)]
        dir: DirArg,
        /// Amount (minor units).
        #[arg(long)]
        amount: u64,
    },
    /// Prints the offline balance.
    Balance {
        #[command(flatten)]
        dir: DirArg,
    },
    /// Prints the history, newest first.
    History {
        #[command(flatten)]
        dir: DirArg,
        /// Most entries.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Payee: writes a payment request to a file (the request stays open for 10 minutes).
    Request {
        #[command(flatten)]
        dir: DirArg,
        /// Amount (minor units).
        #[arg(long)]
        amount: u64,
        /// Where to write the request.
        #[arg(long)]
        out: PathBuf,
        /// Also print the request's `offlinecash:` URI (for a link or a QR code).
        #[arg(long)]
        uri: bool,
        /// Write (and print with --uri) the compact form: the certificate named by id
        /// (`offlinecash:C…`, one QR code in every suite), payable only by wallets that hold it.
        #[arg(long)]
        compact: bool,
    },
    /// Payer: pays a request file; writes the payment (the spend is pending until `complete`).
    Pay {
        #[command(flatten)]
        dir: DirArg,
        /// The request file.
        #[arg(long, required_unless_present = "request_uri", conflicts_with = "request_uri")]
        request: Option<PathBuf>,
        /// The request as an `offlinecash:R…` or `offlinecash:C…` URI (instead of a file).
        #[arg(long)]
        request_uri: Option<String>,
        /// Where to write the payment.
        #[arg(long)]
        out: PathBuf,
    },
    /// Payee: verifies and stores a payment file; writes the receipt.
    Accept {
        #[command(flatten)]
        dir: DirArg,
        /// The payment file.
        #[arg(long)]
        payment: PathBuf,
        /// Where to write the receipt.
        #[arg(long)]
        out: PathBuf,
    },
    /// Payer: completes a pending payment with the payee's receipt file.
    Complete {
        #[command(flatten)]
        dir: DirArg,
        /// The receipt file.
        #[arg(long)]
        receipt: PathBuf,
    },
    /// Uploads the outbox to the issuer and installs revocations, policy and keys.
    Sync {
        #[command(flatten)]
        dir: DirArg,
    },
    /// Refreshes the notes due under the issuer's policy (deep chains, near expiry, a revoked
    /// custodian, too many notes) into fresh notes; `--all` refreshes every note.
    Refresh {
        #[command(flatten)]
        dir: DirArg,
        /// Refresh every note, due or not.
        #[arg(long)]
        all: bool,
    },
    /// Deposits every offline note to the online account.
    Deposit {
        #[command(flatten)]
        dir: DirArg,
    },
    /// Moves an amount of offline value back to the online account.
    Defund {
        #[command(flatten)]
        dir: DirArg,
        /// Amount (minor units).
        #[arg(long)]
        amount: u64,
    },
    /// Lists payments awaiting a receipt and refreshes or deposits awaiting the issuer.
    Pending {
        #[command(flatten)]
        dir: DirArg,
    },
    /// Checks the wallet database: SQLite integrity, counters against notes, the log's hash
    /// chain (exit 1 if any fails; the file is never changed).
    Check {
        #[command(flatten)]
        dir: DirArg,
    },
}

#[derive(Subcommand, Debug)]
enum IssuerCommand {
    /// Creates an online account; prints its credential (for `wallet register`).
    Account {
        /// Issuer base URL.
        #[arg(long)]
        issuer: String,
        /// The issuer's admin token.
        #[arg(long, env = "OC_ISSUER_ADMIN_TOKEN")]
        admin_token: String,
        /// Customer reference.
        #[arg(long)]
        name: String,
        /// Initial balance (minor units).
        #[arg(long, default_value_t = 0)]
        balance: u64,
    },
    /// Reports a wallet of your account lost or broken (from any device, with the account
    /// credential): it is revoked at once, and what it held returns to the account after its
    /// offline window.
    ReportLost {
        /// Issuer base URL.
        #[arg(long)]
        issuer: String,
        /// The account's credential (the one `wallet register` took).
        #[arg(long)]
        credential: String,
        /// The lost wallet's id (hex, as `wallet balance` or `wallet register` printed it).
        #[arg(long)]
        wallet: String,
    },
    /// Lifts an account's revocation (after a double spend) so its customer may register and
    /// fund wallets again (administrator).
    Reinstate {
        /// Issuer base URL.
        #[arg(long)]
        issuer: String,
        /// The issuer's admin token.
        #[arg(long, env = "OC_ISSUER_ADMIN_TOKEN")]
        admin_token: String,
        /// Customer reference of the account.
        #[arg(long)]
        name: String,
    },
}

async fn wallet(cmd: WalletCommand) -> Result<(), CliError> {
    match cmd {
        WalletCommand::Create { dir, suite } => files::create(&dir.dir, parse_suite(&suite)?).map(|_| ()),
        WalletCommand::Register { dir, issuer, credential } => files::register(&dir.dir, &issuer, &credential).await,
        WalletCommand::Fund { dir, amount } => files::fund(&dir.dir, amount).await.map(|_| ()),
        WalletCommand::Balance { dir } => files::balance(&dir.dir).map(|_| ()),
        WalletCommand::History { dir, limit } => files::history(&dir.dir, limit),
        WalletCommand::Request { dir, amount, out, uri, compact } => {
            files::request(&dir.dir, amount, &out, uri, compact)
        }
        WalletCommand::Pay { dir, request, request_uri, out } => match (request, request_uri) {
            (_, Some(uri)) => files::pay_uri(&dir.dir, &uri, &out),
            (Some(request), None) => files::pay(&dir.dir, &request, &out),
            (None, None) => Err(CliError::Input { detail: "--request or --request-uri".into() }),
        },
        WalletCommand::Accept { dir, payment, out } => files::accept(&dir.dir, &payment, &out).map(|_| ()),
        WalletCommand::Complete { dir, receipt } => files::complete(&dir.dir, &receipt),
        WalletCommand::Sync { dir } => files::sync(&dir.dir).await.map(|_| ()),
        WalletCommand::Check { dir } => files::check(&dir.dir),
        WalletCommand::Refresh { dir, all } => flows::refresh(&dir.dir, all).await.map(|_| ()),
        WalletCommand::Deposit { dir } => flows::deposit(&dir.dir).await.map(|_| ()),
        WalletCommand::Defund { dir, amount } => flows::defund(&dir.dir, amount).await.map(|_| ()),
        WalletCommand::Pending { dir } => flows::pending(&dir.dir),
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Demo { suite, seed } => demo::run(parse_suite(&suite)?, seed).await.map(|_| ()),
        Command::Wallet(cmd) => wallet(cmd).await,
        Command::Issuer(IssuerCommand::Account { issuer, admin_token, name, balance }) => {
            files::create_account(&issuer, &admin_token, &name, balance).await
        }
        Command::Issuer(IssuerCommand::ReportLost { issuer, credential, wallet }) => {
            offline_cash_cli::account::report_lost(&issuer, &credential, &wallet).await
        }
        Command::Issuer(IssuerCommand::Reinstate { issuer, admin_token, name }) => {
            offline_cash_cli::account::reinstate(&issuer, &admin_token, &name).await
        }
        Command::Simulate(args) => simulate::run(args).await.map(|_| ()),
        Command::Bench(args) => bench::run(&args),
        Command::Qr(QrCommand::Show(args)) => qr::show(&args).map(|_| ()),
        Command::Qr(QrCommand::Scan { out, pngs }) => qr::scan(&pngs, &out).map(|_| ()),
        Command::Qr(QrCommand::Bench(args)) => qr_bench::run(&args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("offline-cash: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ CliError::Failed { .. }) => {
            eprintln!("FAILED: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("offline-cash: {e}");
            ExitCode::FAILURE
        }
    }
}
