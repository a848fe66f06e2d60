//! `bench`: settlement throughput over HTTP (SQLite, full P-256 verification) against the
//! machine's crypto-only limit, measured in the same run.
//!
//! ```text
//!  fund payer ─► sign N links (payer → payee) ─► batches of 100 / 1000 Spent records
//!  ─► POST /v1/sync one after another: links/s, p50/p99 batch latency
//!  ─► the same bundles through verify_bundle on every core: crypto-only links/s
//!  then: a real wallet funded with N notes refreshes them all in one flow (one batch):
//!  the refresh's wall time, p50 over the rounds
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::sync::{SyncBatch, SyncClient};
use offline_cash_core::token::{
    Bundle, CertificateStore, Chain, LinkBody, NoRevocations, Output, SpendLink, TrustStore, VerifyContext, WalletId,
    verify_bundle,
};
use offline_cash_issuer::{IssuerConfig, IssuerError, Server, ServerConfig};

/// Bench options.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Batch sizes (links per batch).
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    sizes: Vec<usize>,
    /// Batches per size.
    #[arg(long, default_value_t = 5)]
    batches: usize,
    /// Notes refreshed in one flow (one batch) by a real wallet; 0 skips it.
    #[arg(long, default_value_t = 256)]
    refresh_notes: usize,
    /// Refresh rounds (each on freshly funded notes).
    #[arg(long, default_value_t = 3)]
    refresh_rounds: usize,
    /// Write a markdown report here.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// Funds a real wallet with `notes` notes of 10 and refreshes them all in one flow, `rounds`
/// times: the wall time of each refresh (start, one batch over HTTP, fresh notes verified and
/// stored).
async fn refresh_rounds(url: &str, admin: &str, notes: usize, rounds: usize) -> Result<Vec<Duration>, IssuerError> {
    use offline_cash_core::store::{KeyLocation, Store};
    use offline_cash_core::wallet::{OsEntropy, Wallet, WalletConfig};
    let account = SyncClient::create_account(url, admin, "refresher", u64::MAX / 4).await.map_err(fail)?;
    let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256)?);
    let client = SyncClient::new(url, &account.credential, signer.clone()).map_err(fail)?;
    let store = Store::open_in_memory().map_err(fail)?;
    let wallet = Wallet::from_store(
        store,
        signer,
        KeyLocation::Hardware("bench".into()),
        Box::new(OsEntropy),
        WalletConfig::default(),
    )
    .map_err(fail)?;
    wallet.register(&client).await.map_err(fail)?;
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut left = notes;
        while left > 0 {
            let n = left.min(64);
            left -= n;
            wallet.fund(&client, &vec![10; n], now()).await.map_err(fail)?;
        }
        let ids: Vec<_> = wallet
            .with_store(|s| s.unspent_notes())
            .map_err(fail)?
            .into_iter()
            .filter(|n| n.depth == 0 && n.amount == 10)
            .map(|n| n.id)
            .take(notes)
            .collect();
        let started = Instant::now();
        let report = wallet.refresh_notes(&client, &ids, now()).await.map_err(fail)?;
        times.push(started.elapsed());
        if report.done != 10 * notes as u64 {
            return Err(fail(format!("refreshed {} of {}", report.done, 10 * notes)));
        }
    }
    times.sort();
    Ok(times)
}

fn fail(what: impl std::fmt::Display) -> IssuerError {
    IssuerError::Internal { what: what.to_string() }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1).min(sorted.len() - 1)).copied().unwrap_or(Duration::ZERO)
}

struct Row {
    size: usize,
    links_per_sec: f64,
    p50: Duration,
    p99: Duration,
    crypto_per_sec: f64,
}

/// Runs the benchmark.
pub async fn run(args: BenchArgs) -> Result<(), IssuerError> {
    let dir = std::env::temp_dir().join(format!("oc-issuer-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(fail)?;
    let db = dir.join("bench.db");
    let _ = std::fs::remove_file(&db);
    let admin = "bench-admin";
    let mut config = IssuerConfig::new(&db, admin);
    config.holding_limit = u64::MAX / 4;
    let server = Server::bind(ServerConfig {
        issuer: config,
        listen: "127.0.0.1:0".parse().map_err(fail)?,
        max_body_bytes: 64 * 1024 * 1024,
    })
    .await?
    .spawn();
    let url = server.url();
    let payer_account = SyncClient::create_account(&url, admin, "payer", u64::MAX / 4).await.map_err(fail)?;
    let payer_signer = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256)?);
    let payer_dyn: Arc<dyn Signer> = payer_signer.clone();
    let payer = SyncClient::new(&url, &payer_account.credential, payer_dyn).map_err(fail)?;
    let registered = payer.register().await.map_err(fail)?;
    let payee = WalletId([0x42; 32]);
    let (keys, policy) = payer.issuer_keys().await.map_err(fail)?;
    let trust = TrustStore::with_keys(keys);
    let mut known = CertificateStore::new();
    known.insert(registered.certificate.clone(), &trust)?;
    let omit: std::collections::HashSet<WalletId> = [payer.wallet_id()].into_iter().collect();

    let mut counter = 0u64;
    let mut rows = Vec::new();
    let mut request = 0u64;
    for &size in &args.sizes {
        let mut latencies = Vec::new();
        let mut total_links = 0usize;
        let mut total_time = Duration::ZERO;
        let mut all_bundles: Vec<Bundle> = Vec::new();
        for _ in 0..args.batches {
            let mut batch = SyncBatch::new(counter, [0; 32]);
            let mut remaining = size;
            while remaining > 0 {
                let n = remaining.min(64);
                remaining -= n;
                request += 1;
                let mut id = [0u8; 16];
                id[..8].copy_from_slice(&request.to_be_bytes());
                let (notes, _) = payer.fund(id, &vec![100; n]).await.map_err(fail)?;
                for note in notes {
                    counter += 1;
                    let chain = Chain::genesis(note);
                    let link = SpendLink::sign(
                        LinkBody {
                            parent: chain.head,
                            outputs: vec![Output { owner: payee, amount: 100 }],
                            counter,
                            payee_nonce: [0; 16],
                            time: now(),
                        },
                        payer_signer.as_ref(),
                    )?;
                    let bundle =
                        Bundle::from_chains(&[chain.extended(link, 0)], &[], &omit).map_err(IssuerError::Rejected)?;
                    batch.spent.push(bundle);
                }
            }
            batch.counter = counter;
            let started = Instant::now();
            let out = payer.sync_batch(&batch).await.map_err(fail)?;
            let elapsed = started.elapsed();
            let accepted =
                out.results.iter().filter(|r| r.status == offline_cash_core::sync::RecordStatus::Accepted).count();
            if accepted != size {
                return Err(fail(format!("only {accepted} of {size} links accepted")));
            }
            latencies.push(elapsed);
            total_time += elapsed;
            total_links += size;
            all_bundles.extend(batch.spent);
        }
        latencies.sort();
        // The crypto-only limit: the same bundles through verify_bundle on every core.
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let chunk = all_bundles.len().div_ceil(threads).max(1);
        let started = Instant::now();
        let ok = std::thread::scope(|scope| {
            let handles: Vec<_> = all_bundles
                .chunks(chunk)
                .map(|part| {
                    let (trust, policy, known) = (&trust, policy.body(), &known);
                    scope.spawn(move || {
                        let ctx = VerifyContext {
                            trust,
                            policy,
                            revocations: &NoRevocations,
                            known_certificates: known,
                            now: now(),
                            max_clock_skew: 300,
                        };
                        part.iter().all(|b| verify_bundle(b, &ctx).is_ok())
                    })
                })
                .collect();
            handles.into_iter().all(|h| h.join().unwrap_or(false))
        });
        let crypto_time = started.elapsed();
        if !ok {
            return Err(fail("a bundle failed crypto-only verification"));
        }
        rows.push(Row {
            size,
            links_per_sec: total_links as f64 / total_time.as_secs_f64().max(1e-9),
            p50: percentile(&latencies, 50.0),
            p99: percentile(&latencies, 99.0),
            crypto_per_sec: all_bundles.len() as f64 / crypto_time.as_secs_f64().max(1e-9),
        });
    }
    let refresh = if args.refresh_notes > 0 {
        Some(refresh_rounds(&url, admin, args.refresh_notes, args.refresh_rounds.max(1)).await?)
    } else {
        None
    };
    server.shutdown().await?;
    let _ = std::fs::remove_dir_all(&dir);

    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut report = format!(
        "| batch size | batches | settled links/s (HTTP + SQLite + verify) | p50 batch | p99 batch | crypto-only links/s ({threads} threads) | ratio |\n|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for r in &rows {
        report.push_str(&format!(
            "| {} | {} | {:.0} | {:.1} ms | {:.1} ms | {:.0} | {:.0}% |\n",
            r.size,
            args.batches,
            r.links_per_sec,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.crypto_per_sec,
            100.0 * r.links_per_sec / r.crypto_per_sec.max(1e-9)
        ));
    }
    if let Some(times) = &refresh {
        report.push_str(&format!(
            "\n| refresh of {} notes (one flow, one batch) | rounds | p50 | slowest |\n|---|---:|---:|---:|\n| wallet → issuer → fresh notes stored | {} | {:.1} ms | {:.1} ms |\n",
            args.refresh_notes,
            times.len(),
            percentile(times, 50.0).as_secs_f64() * 1e3,
            percentile(times, 100.0).as_secs_f64() * 1e3,
        ));
    }
    println!("{report}");
    if let Some(path) = args.out {
        std::fs::write(&path, &report).map_err(fail)?;
    }
    Ok(())
}
