//! `bench`: settlement throughput over HTTP (SQLite or PostgreSQL, one node or several over
//! one database) against the machine's crypto-only limits, measured in the same run.
//!
//! ```text
//!  --history H: H links settled first (untimed), so that the database has a history
//!  K payers per node (--in-flight K): fund ─► sign N links (payer → payee) per batch,
//!  every batch of every payer first (untimed)
//!  ─► every payer at once: POST /v1/sync of its batches, each when the last is answered:
//!     links/s over the wall time until the last answer, p50/p99 batch latency
//!  ─► the same bundles decoded and verified on every core (no HTTP, no database), twice:
//!     every signature, and only what settlement verifies (the issuer's own notes trusted)
//!  then: a real wallet funded with N notes refreshes them all in one flow (one batch):
//!  the refresh's wall time, p50 over the rounds
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::sync::{SyncBatch, SyncClient};
use offline_cash_core::token::{
    Bundle, CertificateStore, IssuedNotes, NoIssuedNotes, NoRevocations, Note, TrustStore, VerifyContext, WalletId,
    verify_bundle_issued,
};
use offline_cash_issuer::http::RunningServer;
use offline_cash_issuer::key_file::KeyFile;
use offline_cash_issuer::{IssuerConfig, IssuerError, Server, ServerConfig};

use crate::stats::{fail, now, percentile, spend_whole};

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
    /// A PostgreSQL server (`postgres://user@host:port/db`, built with the `postgres`
    /// feature): the bench creates a fresh database on it and drops it afterwards. Without
    /// it, a SQLite file in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Issuer nodes over the one database, each with its own connection and HTTP server (in
    /// this process, sharing one key file); each round sends one batch to every node at once.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Links settled before anything is measured (untimed, in batches of 1,000 from the
    /// payers of the measurement, to the same payee): an issuer with a history, whose tables
    /// and indexes are that much larger (0: a fresh database).
    #[arg(long, default_value_t = 0)]
    history: usize,
    /// Payers per node, each uploading its own batches one after another, all at the same
    /// time: how many batches a node has in flight (1: one batch at a time per node).
    #[arg(long, default_value_t = 1)]
    in_flight: usize,
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

struct Row {
    size: usize,
    links_per_sec: f64,
    p50: Duration,
    p99: Duration,
    limits: CryptoLimits,
}

/// Every note is the issuer's own and still held: what settlement skips (design §10).
struct AllOwn;

impl IssuedNotes for AllOwn {
    fn holds(&self, _: &Note) -> bool {
        true
    }
}

/// The machine's crypto-only limits for the bundles settled, in links per second, measured
/// on every core right after settlement (same load): decoding plus every signature of the
/// chain, and decoding plus what settlement verifies (the payer's link; the issuer's own
/// genesis signature is looked up, not verified).
struct CryptoLimits {
    full: f64,
    settlement: f64,
}

impl CryptoLimits {
    fn measure(
        bundles: &[Bundle],
        trust: &TrustStore,
        policy: &offline_cash_core::token::PolicyBody,
        known: &CertificateStore,
    ) -> Result<Self, IssuerError> {
        let encoded: Vec<Vec<u8>> = bundles.iter().map(Bundle::to_bytes).collect();
        let full = Self::rate(&encoded, trust, policy, known, &NoIssuedNotes)?;
        let settlement = Self::rate(&encoded, trust, policy, known, &AllOwn)?;
        Ok(Self { full, settlement })
    }

    fn rate(
        encoded: &[Vec<u8>],
        trust: &TrustStore,
        policy: &offline_cash_core::token::PolicyBody,
        known: &CertificateStore,
        issued: &(dyn IssuedNotes + Sync),
    ) -> Result<f64, IssuerError> {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let chunk = encoded.len().div_ceil(threads).max(1);
        let started = Instant::now();
        let ok = std::thread::scope(|scope| {
            let handles: Vec<_> = encoded
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        let ctx = VerifyContext {
                            trust,
                            policy,
                            revocations: &NoRevocations,
                            known_certificates: known,
                            now: now(),
                            max_clock_skew: 300,
                        };
                        part.iter().all(|bytes| {
                            Bundle::from_bytes(bytes).is_ok_and(|b| verify_bundle_issued(&b, &ctx, issued).is_ok())
                        })
                    })
                })
                .collect();
            handles.into_iter().all(|h| h.join().unwrap_or(false))
        });
        if !ok {
            return Err(fail("a bundle failed crypto-only verification"));
        }
        Ok(encoded.len() as f64 / started.elapsed().as_secs_f64().max(1e-9))
    }
}

/// A payer wallet talking to one node.
struct Payer {
    client: SyncClient,
    signer: Arc<SoftwareSigner>,
    counter: u64,
    requests: u64,
}

impl Payer {
    /// Funds `size` notes and signs one spend link per note to `payee`: one batch (untimed).
    async fn batch(&mut self, size: usize, payee: WalletId) -> Result<SyncBatch, IssuerError> {
        let mut batch = SyncBatch::new(self.counter, [0; 32]);
        let mut remaining = size;
        while remaining > 0 {
            let n = remaining.min(64);
            remaining -= n;
            self.requests += 1;
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&self.requests.to_be_bytes());
            let (notes, _) = self.client.fund(id, &vec![100; n]).await.map_err(fail)?;
            for note in notes {
                self.counter += 1;
                batch.spent.push(spend_whole(&self.signer, note, payee, self.counter)?);
            }
        }
        batch.counter = self.counter;
        Ok(batch)
    }
}

/// How many records of a sync were accepted.
fn accepted(out: &offline_cash_core::sync::SyncOutcome) -> usize {
    out.results.iter().filter(|r| r.status == offline_cash_core::sync::RecordStatus::Accepted).count()
}

/// Settles `links` links in batches of 1,000, the payers taking turns (untimed).
async fn settle_history(payers: &mut [Payer], links: usize, payee: WalletId) -> Result<(), IssuerError> {
    let count = payers.len().max(1);
    let mut left = links;
    for turn in 0.. {
        if left == 0 {
            break;
        }
        let n = left.min(1_000);
        left -= n;
        let payer = payers.get_mut(turn % count).ok_or_else(|| fail("no payer"))?;
        let batch = payer.batch(n, payee).await?;
        let out = payer.client.sync_batch(&batch).await.map_err(fail)?;
        let accepted = accepted(&out);
        if accepted != n {
            return Err(fail(format!("history: only {accepted} of {n} links accepted")));
        }
    }
    Ok(())
}

/// Where the bench's issuer keeps its data: a SQLite file, or a fresh PostgreSQL database
/// (dropped again by [`Database::drop_database`]).
struct Database {
    url: Option<String>,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    server: Option<(String, String)>,
}

impl Database {
    fn fresh(server_url: Option<&str>) -> Result<Self, IssuerError> {
        let Some(server_url) = server_url else { return Ok(Self { url: None, server: None }) };
        #[cfg(feature = "postgres")]
        {
            let name = format!("oc_bench_{}_{}", std::process::id(), now());
            let (base, _) = server_url.rsplit_once('/').ok_or_else(|| fail("--database-url names no database"))?;
            let url = format!("{base}/{name}");
            Self::admin(server_url, format!("CREATE DATABASE {name}"))?;
            Ok(Self { url: Some(url), server: Some((server_url.to_owned(), name)) })
        }
        #[cfg(not(feature = "postgres"))]
        {
            let _ = server_url;
            Err(fail("--database-url needs a build with --features postgres"))
        }
    }

    /// One statement on the server's own database (the blocking client runs a runtime of
    /// its own, so on a thread of its own).
    #[cfg(feature = "postgres")]
    fn admin(server_url: &str, sql: String) -> Result<(), IssuerError> {
        let url = server_url.to_owned();
        std::thread::spawn(move || -> Result<(), String> {
            let mut admin = postgres::Client::connect(&url, postgres::NoTls).map_err(|e| e.to_string())?;
            admin.batch_execute(&sql).map_err(|e| e.to_string())
        })
        .join()
        .map_err(|_| fail("the PostgreSQL admin thread panicked"))?
        .map_err(fail)
    }

    fn drop_database(self) -> Result<(), IssuerError> {
        #[cfg(feature = "postgres")]
        if let Some((server, name)) = self.server {
            Self::admin(&server, format!("DROP DATABASE {name}"))?;
        }
        Ok(())
    }
}

/// Runs the benchmark.
pub async fn run(args: BenchArgs) -> Result<(), IssuerError> {
    let nodes_wanted = args.nodes.max(1);
    let in_flight = args.in_flight.max(1);
    let dir = std::env::temp_dir().join(format!("oc-issuer-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(fail)?;
    let database = Database::fresh(args.database_url.as_deref())?;
    let admin = "bench-admin";
    let mut config = IssuerConfig::new(dir.join("bench.db"), admin);
    config.database_url = database.url.clone();
    config.holding_limit = u64::MAX / 4;
    // One wallet funds thousands of notes in a burst: the per-wallet rate limit is not what
    // is measured here (`load` runs with it).
    config.rate_limit = None;
    let key_file = dir.join("issuer.keys");
    KeyFile::create(&key_file)?;
    config.key_file = Some(key_file);
    let mut nodes: Vec<RunningServer> = Vec::new();
    for _ in 0..nodes_wanted {
        let server = ServerConfig {
            issuer: config.clone(),
            listen: "127.0.0.1:0".parse().map_err(fail)?,
            max_body_bytes: 64 * 1024 * 1024,
        };
        nodes.push(Server::bind(server).await?.spawn());
    }
    let url = nodes.first().ok_or_else(|| fail("no node"))?.url();
    let mut payers = Vec::new();
    let mut known = CertificateStore::new();
    let (keys, policy) = {
        let mut trust = None;
        for (i, node) in nodes.iter().flat_map(|n| std::iter::repeat_n(n, in_flight)).enumerate() {
            let account = SyncClient::create_account(&node.url(), admin, &format!("payer{i}"), u64::MAX / 4)
                .await
                .map_err(fail)?;
            let signer = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256)?);
            let dyn_signer: Arc<dyn Signer> = signer.clone();
            let client = SyncClient::new(&node.url(), &account.credential, dyn_signer).map_err(fail)?;
            let registered = client.register().await.map_err(fail)?;
            if trust.is_none() {
                trust = Some(client.issuer_keys().await.map_err(fail)?);
            }
            let (keys, _) = trust.as_ref().ok_or_else(|| fail("no issuer keys"))?;
            known.insert(registered.certificate.clone(), &TrustStore::with_keys(keys.clone()))?;
            payers.push(Payer { client, signer, counter: 0, requests: 0 });
        }
        trust.ok_or_else(|| fail("no issuer keys"))?
    };
    let trust = TrustStore::with_keys(keys);
    let payee = WalletId([0x42; 32]);
    settle_history(&mut payers, args.history, payee).await?;

    let mut rows = Vec::new();
    for &size in &args.sizes {
        let mut latencies = Vec::new();
        let mut total_links = 0usize;
        let mut all_bundles: Vec<Bundle> = Vec::new();
        // Every payer's batches are funded and signed first (untimed); then every payer uploads
        // its batches one after another, all payers at once (closed loop: a payer sends its
        // next batch when the last one is answered).
        let mut streams = Vec::with_capacity(payers.len());
        for payer in &mut payers {
            let mut batches = Vec::with_capacity(args.batches);
            for _ in 0..args.batches {
                batches.push(payer.batch(size, payee).await?);
            }
            streams.push((payer.client.clone(), batches));
        }
        let started = Instant::now();
        let mut sending = tokio::task::JoinSet::new();
        for (client, batches) in streams {
            sending.spawn(async move {
                let mut sent = Vec::with_capacity(batches.len());
                for batch in batches {
                    let started = Instant::now();
                    let out = client.sync_batch(&batch).await?;
                    sent.push((batch, out, started.elapsed()));
                }
                Ok::<_, offline_cash_core::sync::SyncError>(sent)
            });
        }
        while let Some(stream) = sending.join_next().await {
            for (batch, out, elapsed) in stream.map_err(fail)?.map_err(fail)? {
                let accepted = accepted(&out);
                if accepted != size {
                    return Err(fail(format!("only {accepted} of {size} links accepted")));
                }
                latencies.push(elapsed);
                total_links += size;
                all_bundles.extend(batch.spent);
            }
        }
        let total_time = started.elapsed();
        latencies.sort();
        let limits = CryptoLimits::measure(&all_bundles, &trust, policy.body(), &known)?;
        rows.push(Row {
            size,
            links_per_sec: total_links as f64 / total_time.as_secs_f64().max(1e-9),
            p50: percentile(&latencies, 50.0),
            p99: percentile(&latencies, 99.0),
            limits,
        });
    }
    let refresh = if args.refresh_notes > 0 {
        Some(refresh_rounds(&url, admin, args.refresh_notes, args.refresh_rounds.max(1)).await?)
    } else {
        None
    };
    let backend = if database.url.is_some() { "postgres" } else { "sqlite" };
    for node in nodes {
        node.shutdown().await?;
    }
    database.drop_database()?;
    let _ = std::fs::remove_dir_all(&dir);

    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut report = format!(
        "| backend | nodes | in flight per node | links settled before | batch size | batches per payer | settled links/s (HTTP + database + verify) | p50 batch | p99 batch | crypto-only links/s, every signature ({threads} threads) | crypto-only links/s, what settlement verifies | ratio to the latter |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for r in &rows {
        report.push_str(&format!(
            "| {backend} | {nodes_wanted} | {in_flight} | {} | {} | {} | {:.0} | {:.1} ms | {:.1} ms | {:.0} | {:.0} | {:.0}% |\n",
            args.history,
            r.size,
            args.batches,
            r.links_per_sec,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.limits.full,
            r.limits.settlement,
            100.0 * r.links_per_sec / r.limits.settlement.max(1e-9)
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
