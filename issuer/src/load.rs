//! `load`: the HTTP API of running issuer nodes under many concurrent wallets, driven from a
//! process of its own (the way a population of phones reaches it), with latency per operation
//! and every failure counted.
//!
//! ```text
//!  setup: W accounts (admin) ─► W wallets register ─► each funded with N notes
//!  run, C workers for S seconds, each taking the next idle wallet w (round robin):
//!    w has no notes left ─► POST fund (N notes)
//!    w pays one note to w+1 (a link it signs) ─► POST sync: that spend + every payment w
//!      received since its last session, as deposits
//!    every 10th session ─► GET issuer-keys, GET revocations
//!  then: GET audit (admin): the issuer's books balance
//! ```
//!
//! A request that fails (transport error, HTTP error, 429 included) or a record not `accepted`
//! is an error; the command exits non-zero if there was any, or if the audit does not balance.
//! The client never retries, so nothing is hidden. Wallets are spread over the `--url` nodes.
//! Each wallet makes a few requests per session; with the issuer's default rate limit (2 a
//! second sustained, 60 at once) keep `--wallets` large enough that no wallet exceeds it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::sync::{RecordStatus, RetryPolicy, SyncBatch, SyncClient, wire};
use offline_cash_core::token::{Bundle, Note, WalletId};
use offline_cash_issuer::IssuerError;
use tokio::sync::Mutex;

use crate::stats::{Latencies, fail, now, spend_whole};

/// Load options.
#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// Base URL of an issuer node; repeat (or separate with commas) for several nodes.
    #[arg(long, required = true, value_delimiter = ',')]
    url: Vec<String>,
    /// The issuer's admin token (accounts are created and the audit read with it).
    #[arg(long, env = "OC_ISSUER_ADMIN_TOKEN")]
    admin_token: String,
    /// Wallets taking part.
    #[arg(long, default_value_t = 500)]
    wallets: usize,
    /// Requests in flight at once (workers).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Length of the run after setup.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Notes per fund request.
    #[arg(long, default_value_t = 8)]
    notes: usize,
    /// Write the markdown report here too.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// One simulated wallet.
struct Sim {
    client: SyncClient,
    signer: Arc<SoftwareSigner>,
    counter: u64,
    notes: Vec<Note>,
}

/// Shared state of a run.
struct Run {
    sims: Vec<Mutex<Sim>>,
    ids: Vec<WalletId>,
    /// Payments received and not yet deposited, per wallet.
    inboxes: Vec<std::sync::Mutex<Vec<Bundle>>>,
    latencies: std::sync::Mutex<Latencies>,
    errors: std::sync::Mutex<BTreeMap<String, u64>>,
    payments: AtomicUsize,
    notes: usize,
    /// Fund request ids: this run's tag, then a counter.
    tag: u64,
    requests: AtomicUsize,
}

impl Run {
    fn record(&self, op: &'static str, started: Instant) {
        if let Ok(mut l) = self.latencies.lock() {
            l.push(op, started.elapsed());
        }
    }

    fn error(&self, op: &str, what: impl std::fmt::Display) {
        if let Ok(mut e) = self.errors.lock() {
            let text = what.to_string();
            let text: String = text.chars().take(160).collect();
            *e.entry(format!("{op}: {text}")).or_default() += 1;
        }
    }
}

fn no_retry() -> RetryPolicy {
    RetryPolicy { attempts: 1, initial_delay: Duration::ZERO, max_delay: Duration::ZERO }
}

/// Creates, registers and funds `args.wallets` wallets, spread over the nodes.
async fn setup(args: &LoadArgs, tag: &str) -> Result<Run, IssuerError> {
    let mut bases: Vec<Option<SyncClient>> = vec![None; args.url.len()];
    let mut sims = Vec::with_capacity(args.wallets);
    let latencies = std::sync::Mutex::new(Latencies::default());
    let errors = std::sync::Mutex::new(BTreeMap::new());
    // Accounts and registrations, `concurrency` at a time.
    for start in (0..args.wallets).step_by(args.concurrency.max(1)) {
        let end = (start + args.concurrency.max(1)).min(args.wallets);
        let mut made = Vec::new();
        for i in start..end {
            let node = i % args.url.len();
            let url = args.url.get(node).ok_or_else(|| fail("no --url"))?;
            let account = SyncClient::create_account(url, &args.admin_token, &format!("load-{tag}-{i}"), 1 << 40)
                .await
                .map_err(fail)?;
            let signer = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256)?);
            let dyn_signer: Arc<dyn Signer> = signer.clone();
            let slot = bases.get_mut(node).ok_or_else(|| fail("no --url"))?;
            let client = match slot {
                Some(base) => base.for_wallet(&account.credential, dyn_signer),
                None => {
                    let c = SyncClient::new(url, &account.credential, dyn_signer).map_err(fail)?.with_retry(no_retry());
                    *slot = Some(c.clone());
                    c
                }
            };
            made.push(Sim { client, signer, counter: 0, notes: Vec::new() });
        }
        let mut registering = tokio::task::JoinSet::new();
        for s in &made {
            let client = s.client.clone();
            registering.spawn(async move {
                let started = Instant::now();
                client.register().await.map(|_| started.elapsed())
            });
        }
        while let Some(out) = registering.join_next().await {
            let took = out.map_err(fail)?.map_err(|e| fail(format!("register: {e}")))?;
            latencies.lock().map_err(fail)?.push("register", took);
        }
        sims.extend(made);
    }
    let ids = sims.iter().map(|s| s.client.wallet_id()).collect();
    let n = sims.len();
    Ok(Run {
        sims: sims.into_iter().map(Mutex::new).collect(),
        ids,
        inboxes: (0..n).map(|_| std::sync::Mutex::new(Vec::new())).collect(),
        latencies,
        errors,
        payments: AtomicUsize::new(0),
        notes: args.notes.max(1),
        tag: now() << 20 | u64::from(std::process::id() & 0xf_ffff),
        requests: AtomicUsize::new(0),
    })
}

/// One session of wallet `w`: fund if empty, pay one note to the next wallet and deposit what
/// it received, all in one sync; now and then the two GETs a real sync makes.
async fn session(run: &Run, w: usize, sim: &mut Sim, nth: usize) {
    if sim.notes.is_empty() {
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&run.tag.to_be_bytes());
        id[8..].copy_from_slice(&(run.requests.fetch_add(1, Ordering::Relaxed) as u64).to_be_bytes());
        let started = Instant::now();
        match sim.client.fund(id, &vec![100; run.notes]).await {
            Ok((notes, _)) => {
                run.record("fund", started);
                sim.notes = notes;
            }
            Err(e) => return run.error("fund", e),
        }
    }
    let Some(note) = sim.notes.pop() else { return run.error("fund", "no notes") };
    let payee_index = (w + 1) % run.ids.len();
    let Some(&payee) = run.ids.get(payee_index) else { return run.error("sign", "no payee") };
    sim.counter += 1;
    let spent = match spend_whole(&sim.signer, note, payee, sim.counter) {
        Ok(b) => b,
        Err(e) => return run.error("sign", e),
    };
    let deposits: Vec<Bundle> =
        run.inboxes.get(w).and_then(|i| i.lock().ok()).map(|mut i| std::mem::take(&mut *i)).unwrap_or_default();
    let mut batch = SyncBatch::new(sim.counter, [0; 32]);
    batch.spent.push(spent.clone());
    batch.deposit = deposits;
    let started = Instant::now();
    match sim.client.sync_batch(&batch).await {
        Ok(out) => {
            run.record("sync", started);
            let bad: Vec<_> = out.results.iter().filter(|r| r.status != RecordStatus::Accepted).collect();
            for r in &bad {
                run.error("sync record", format!("{:?} {:?}", r.status, r.reason));
            }
            if out.results.len() != 1 + batch.deposit.len() {
                run.error("sync", format!("{} results for {} records", out.results.len(), 1 + batch.deposit.len()));
            }
            run.payments.fetch_add(1, Ordering::Relaxed);
            if let Some(mut inbox) = run.inboxes.get(payee_index).and_then(|i| i.lock().ok()) {
                inbox.push(spent);
            }
        }
        Err(e) => run.error("sync", e),
    }
    if nth % 10 == 0 {
        let started = Instant::now();
        match sim.client.issuer_keys().await {
            Ok(_) => run.record("issuer-keys", started),
            Err(e) => run.error("issuer-keys", e),
        }
        let started = Instant::now();
        match sim.client.revocations(None).await {
            Ok(_) => run.record("revocations", started),
            Err(e) => run.error("revocations", e),
        }
    }
}

/// Reads the audit of the first node (every node answers from the same database).
async fn audit(url: &str, admin: &str) -> Result<wire::AuditResponse, IssuerError> {
    let response = reqwest::Client::new()
        .get(format!("{}{}", url.trim_end_matches('/'), wire::paths::AUDIT))
        .bearer_auth(admin)
        .send()
        .await
        .map_err(fail)?;
    if !response.status().is_success() {
        return Err(fail(format!("audit: HTTP {}", response.status())));
    }
    response.json().await.map_err(fail)
}

/// Runs the load test; an error if any request failed or the books do not balance.
pub async fn run(args: LoadArgs) -> Result<(), IssuerError> {
    if args.wallets < 2 {
        return Err(fail("--wallets must be at least 2 (each pays the next)"));
    }
    let tag = format!("{}-{}", std::process::id(), now());
    let setup_started = Instant::now();
    let run = Arc::new(setup(&args, &tag).await?);
    let setup_time = setup_started.elapsed();
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency.max(1))
        .map(|_| {
            let (run, next) = (run.clone(), next.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let nth = next.fetch_add(1, Ordering::Relaxed);
                    let w = nth % run.sims.len();
                    // A wallet busy in another worker's session is skipped, as a phone is
                    // in one session at a time.
                    let Some(Ok(mut sim)) = run.sims.get(w).map(Mutex::try_lock) else { continue };
                    session(&run, w, &mut sim, nth / run.sims.len()).await;
                }
            })
        })
        .collect();
    for w in workers {
        w.await.map_err(fail)?;
    }
    let elapsed = started.elapsed();
    let audit = audit(args.url.first().ok_or_else(|| fail("no --url"))?, &args.admin_token).await?;
    let latencies = run.latencies.lock().map_err(fail)?;
    let errors = run.errors.lock().map_err(fail)?;
    let error_count: u64 = errors.values().sum();
    let requests = latencies.count_except("register");
    let mut report = format!(
        "load: {} wallets over {} node(s), {} concurrent, {:.1} s (setup {:.1} s)\n\n\
         | operation | requests | p50 | p99 | max |\n|---|---:|---:|---:|---:|\n",
        args.wallets,
        args.url.len(),
        args.concurrency,
        elapsed.as_secs_f64(),
        setup_time.as_secs_f64()
    );
    report.push_str(&latencies.table_rows());
    report.push_str(&format!(
        "\n{:.0} requests/s, {:.0} payments settled/s (each uploaded by payer and payee), errors = {error_count}, audit {}\n",
        requests as f64 / elapsed.as_secs_f64().max(1e-9),
        run.payments.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64().max(1e-9),
        if audit.balanced && audit.accounts_balanced { "balanced" } else { "NOT balanced" },
    ));
    for (what, n) in errors.iter() {
        report.push_str(&format!("error ×{n}: {what}\n"));
    }
    println!("{report}");
    if let Some(path) = &args.out {
        std::fs::write(path, &report).map_err(fail)?;
    }
    if error_count > 0 {
        return Err(fail(format!("{error_count} request(s) failed")));
    }
    if !(audit.balanced && audit.accounts_balanced) {
        return Err(fail(format!("the audit does not balance: {audit:?}")));
    }
    Ok(())
}
