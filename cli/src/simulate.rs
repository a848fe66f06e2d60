//! `offline-cash simulate`: many devices, one clock. A campus canteen at its peak hour: N
//! people, P point-of-sale terminals, tens of thousands of offline payments, torn taps,
//! device crashes and a few double spenders with restored backups; then everybody syncs with
//! the issuer over HTTP and the invariants are checked.
//!
//! ```text
//!  SimClock (one AtomicU64) ──► embedded issuer (its clock); every tap gets its own `now`
//!  enrol:  accounts ─► wallets (seeded keys, SeededEntropy) ─► register + fund
//!            (HTTP, concurrent, one shared connection pool)
//!  peak:   `--shards` independent parts of the canteen on parallel threads (crate::peak);
//!          in each, event i at t_i: payer ─tap─► POS or person   (core::wallet::tap)
//!            torn (tear at a random byte) ─► [payer crash: drop + reopen its file] ─► tap again
//!            cheater: live wallet pays first; a copy of its file made after funding pays later
//!  sync:   cheaters' live wallets, then everybody else (HTTP, concurrent) ─► proofs, audit
//!  checks: double spends detected == injected, honest wallets revoked == 0, pending == 0,
//!          audit balanced, accounts + live notes == initial, wallets' value == live notes
//!  year:   clock + 340 days ─► every honest device syncs (automatic refresh) ─► no honest
//!          value frozen or expiring by the year's end, conservation again (crate::sim_year)
//! ```
//!
//! What "crash" means here: a device whose wallet lives in a file (the first `--file-wallets`
//! people and every cheater) is dropped — its in-memory state (sessions, open requests) is
//! lost — and reopened from its database. Every torn tap whose payer is such a device crashes
//! the payer before the retry, and `--crashes` extra crashes hit random file-backed devices
//! between payments. Other devices keep their store in memory, at 1 KiB pages (~160 KB per
//! enrolled wallet: 10,000 fit in ~1.6 GB).
//! The payee of a torn tap (a terminal) keeps running, so its request stays open and the
//! retry finishes the same payment. Nothing here decides about money: it only drives core
//! and the issuer and checks what they say.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite, sha256};
use offline_cash_core::nfc::LinkModel;
use offline_cash_core::store::{KeyLocation, Store};
use offline_cash_core::sync::SyncClient;
use offline_cash_core::token::WalletId;
use offline_cash_core::wallet::sync::SyncReport;
use offline_cash_core::wallet::{SeededEntropy, Wallet, WalletConfig};
use offline_cash_issuer::http::RunningServer;
use offline_cash_issuer::{IssuerConfig, Server, ServerConfig};

use crate::check::Checks;
use crate::peak::{PeakParams, Shard};
use crate::people::{ADMIN_TOKEN, TempDir};
use crate::{CliError, parse_suite, suite_name, thousands};

/// `offline-cash simulate` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// People (wallets that pay and receive). An enrolled in-memory wallet takes ~160 KB
    /// (mostly its SQLite database, at 1 KiB pages): the default's 10,000 need ~1.6 GB, ~2.2 GB
    /// at the end of the default peak.
    #[arg(long, default_value_t = 10_000)]
    pub wallets: usize,
    /// Point-of-sale terminals (wallets that receive).
    #[arg(long, default_value_t = 50)]
    pub payees: usize,
    /// Offline payments attempted during the peak (the default, with 10,000 people, runs in a
    /// few minutes on 2 cores: the work is mostly P-256 signature verification).
    #[arg(long, default_value_t = 20_000)]
    pub payments: usize,
    /// Length of the simulated peak (seconds).
    #[arg(long, default_value_t = 3_600)]
    pub seconds: u64,
    /// Fraction of payments between people (the rest go to terminals).
    #[arg(long, default_value_t = 0.25)]
    pub p2p: f64,
    /// Fraction of taps torn at a random byte (then retried).
    #[arg(long, default_value_t = 0.02)]
    pub tears: f64,
    /// Extra device crashes between payments (file-backed devices).
    #[arg(long, default_value_t = 100)]
    pub crashes: usize,
    /// People whose wallet lives in a file (crash-prone devices).
    #[arg(long, default_value_t = 100)]
    pub file_wallets: usize,
    /// Double spenders (each restores a backup of its wallet file once).
    #[arg(long, default_value_t = 5)]
    pub cheaters: usize,
    /// Seed of every choice and of the wallets' keys and randomness.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Signature suite of every wallet (p256 keys are derived from the seed; ML-DSA keys come
    /// from the OS, so only the choices are reproducible with them).
    #[arg(long, default_value = "p256")]
    pub suite: String,
    /// Concurrent HTTP clients during enrolment and sync (they share one connection pool).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Independent parts of the canteen (people, terminals and double spenders split by
    /// index, each with its own random stream) simulated on parallel threads during the peak.
    /// A seed reproduces a run for the same number of shards.
    #[arg(long, default_value_t = 2)]
    pub shards: usize,
    /// Write a chart of modelled tap time against chain depth (SVG).
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
    /// Skip the rest of the year: the sync 340 days after funding that must refresh every
    /// honest note before it expires (`crate::sim_year`).
    #[arg(long)]
    pub no_year: bool,
}

/// Page size of the in-memory wallets' databases: 1 KiB instead of SQLite's 4 KiB makes a
/// nearly empty wallet ~120 KB instead of ~200 KB (most of a wallet is one page per table and
/// index), which is what lets 10,000 wallets live in one process.
const STORE_PAGE_SIZE: u32 = 1_024;

/// What the simulation counted.
#[derive(Debug, Clone, Default)]
pub struct SimulationReport {
    /// Completed payments.
    pub payments: u64,
    /// Value they moved.
    pub value_moved: u64,
    /// Payments not made (no payer with enough funds, limits): by reason.
    pub refused: BTreeMap<String, u64>,
    /// Torn taps.
    pub tears: u64,
    /// Torn taps finished by tapping again.
    pub tears_recovered: u64,
    /// Device crashes (drop and reopen).
    pub crashes: u64,
    /// Double spends injected (restored backups that paid).
    pub double_spends_injected: u64,
    /// Double spends the issuer found (proofs stored).
    pub double_spends_detected: u64,
    /// Honest wallets on the revocation list.
    pub honest_revoked: u64,
    /// Records settled by the issuer during the sync phase.
    pub records_settled: u64,
    /// Wall time of the sync phase.
    pub sync_time: Duration,
    /// What crossed the field in each completed tap (APDUs, bytes: the link models turn them
    /// into times), with the deepest chain each carried.
    pub taps: Vec<(u32, offline_cash_core::nfc::FieldStats)>,
    /// Peak RSS (KiB).
    pub peak_rss_kib: Option<u64>,
    /// Value refreshed by the year-end sync (see `crate::sim_year`).
    pub year_refreshed: u64,
}

/// The simulator's choices: core's SplitMix64 stream (small, fast, seedable) with the draws
/// the simulator needs.
#[derive(Debug, Clone)]
pub struct SimRng(offline_cash_core::qr::SplitMix64);

impl SimRng {
    /// A stream from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(offline_cash_core::qr::SplitMix64::new(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (`0` if `n == 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p && p > 0.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Person,
    Terminal,
    Cheater,
}

pub(crate) struct Device {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) wallet: Wallet,
    pub(crate) client: SyncClient,
    pub(crate) signer: Arc<dyn Signer>,
    pub(crate) file: Option<PathBuf>,
    pub(crate) seed: [u8; 32],
    pub(crate) restarts: u64,
}

impl Device {
    /// Drops the wallet (losing sessions and open requests) and reopens it from its file.
    pub(crate) fn crash(&mut self) -> Result<bool, CliError> {
        let Some(path) = &self.file else { return Ok(false) };
        self.restarts += 1;
        let entropy = SeededEntropy::new(sha256(&[&self.seed, &self.restarts.to_be_bytes()]));
        let placeholder = Wallet::from_store(
            Store::open_in_memory_with_page_size(STORE_PAGE_SIZE)?,
            self.signer.clone(),
            KeyLocation::Hardware(self.name.clone()),
            Box::new(SeededEntropy::new([0; 32])),
            WalletConfig::default(),
        )?;
        drop(std::mem::replace(&mut self.wallet, placeholder));
        self.wallet = Wallet::open(
            path,
            self.signer.clone(),
            KeyLocation::Hardware(self.name.clone()),
            Box::new(entropy),
            WalletConfig::default(),
        )?;
        Ok(true)
    }
}

fn signer_for(suite: Suite, seed: &[u8; 32]) -> Result<Arc<dyn Signer>, CliError> {
    if suite != Suite::EcdsaP256 {
        return Ok(Arc::new(SoftwareSigner::generate(suite)?));
    }
    let mut counter = 0u32;
    loop {
        let scalar = sha256(&[b"offline-cash-sim-key", seed, &counter.to_be_bytes()]);
        if let Ok(s) = SoftwareSigner::p256_from_scalar(&scalar) {
            return Ok(Arc::new(s));
        }
        counter += 1;
    }
}

fn bar(quiet: bool, len: usize, what: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len as u64);
    let style = ProgressStyle::with_template("{prefix:>9} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    pb.set_style(style);
    pb.set_prefix(what.to_owned());
    pb
}

/// Starts an issuer whose clock is `clock`, tuned for a canteen (terminals hold a lot).
async fn start_issuer(dir: &TempDir, clock: Arc<AtomicU64>, seconds: u64) -> Result<RunningServer, CliError> {
    let mut issuer = IssuerConfig::new(dir.path().join("issuer.db"), ADMIN_TOKEN);
    issuer.holding_limit = 1_000_000_000;
    // Clients sign with the wall clock; the issuer lives on the simulated one.
    issuer.auth_window_secs = seconds + 3_600;
    let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let config = ServerConfig { issuer, listen, max_body_bytes: 64 * 1024 * 1024 };
    let server = Server::bind_with_clock(config, Arc::new(move || clock.load(Ordering::Relaxed))).await?;
    Ok(server.spawn())
}

struct Enrol {
    index: usize,
    kind: Kind,
    credential: String,
    funding: Vec<u64>,
}

/// Runs the simulation; `Err(CliError::Failed)` if an invariant broke.
pub async fn run(args: SimulateArgs) -> Result<SimulationReport, CliError> {
    let suite = parse_suite(&args.suite)?;
    if args.wallets < 2 || args.payees == 0 || args.cheaters > args.wallets / 2 {
        return Err(CliError::input("need at least 2 wallets, 1 payee, and at most wallets/2 cheaters"));
    }
    let started = Instant::now();
    let mut rng = SimRng::new(args.seed);
    let dir = TempDir::new_in_memory("simulate")?;
    let real_now = crate::unix_now();
    let clock = Arc::new(AtomicU64::new(real_now));
    // The year-end sync runs 340 days later on the simulated clock; clients sign with the wall
    // clock, so the issuer's request window covers it.
    let window = if args.no_year { args.seconds } else { args.seconds + 400 * 86_400 };
    let server = start_issuer(&dir, clock.clone(), window).await?;
    let url = server.url();
    println!(
        "simulate: {} people, {} terminals, {} payments in {} s simulated, suite {}, seed {}",
        thousands(args.wallets as u64),
        args.payees,
        thousands(args.payments as u64),
        args.seconds,
        suite_name(suite),
        args.seed
    );

    // ---- enrolment
    let people_account =
        SyncClient::create_account(&url, ADMIN_TOKEN, "canteen-people", 10_000 * args.wallets as u64).await?.credential;
    let terminals_account = SyncClient::create_account(&url, ADMIN_TOKEN, "canteen-terminals", 0).await?.credential;
    let mut plan = Vec::with_capacity(args.wallets + args.payees);
    for i in 0..args.wallets {
        let cheater = i >= args.wallets - args.cheaters;
        let (kind, credential) = if cheater {
            let c = SyncClient::create_account(&url, ADMIN_TOKEN, &format!("cheater-{i}"), 10_000).await?;
            (Kind::Cheater, c.credential)
        } else {
            (Kind::Person, people_account.clone())
        };
        // Cheaters hold one note, so the live wallet's first payment spends the note the backup holds.
        let funding = if cheater { vec![3_000] } else { vec![2_000, 2_000, 1_000] };
        plan.push(Enrol { index: i, kind, credential, funding });
    }
    for j in 0..args.payees {
        plan.push(Enrol {
            index: args.wallets + j,
            kind: Kind::Terminal,
            credential: terminals_account.clone(),
            funding: vec![],
        });
    }
    // One HTTP connection pool for every device: a client (and its kept-alive connection) per
    // wallet would hold two file descriptors per wallet and exhaust the process's limit.
    let pool = SyncClient::new(&url, &people_account, signer_for(suite, &[0; 32])?)?;
    let pb = bar(args.quiet, plan.len(), "enrol");
    let semaphore = Arc::new(tokio::sync::Semaphore::new(args.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let files = dir.path().join("wallets");
    std::fs::create_dir_all(&files).map_err(|e| CliError::io(&files, e))?;
    let file_wallets = args.file_wallets;
    for e in plan {
        let permit = semaphore.clone().acquire_owned().await.map_err(|_| CliError::input("semaphore closed"))?;
        let pool = pool.clone();
        let seed = sha256(&[b"offline-cash-sim-wallet", &args.seed.to_be_bytes(), &(e.index as u64).to_be_bytes()]);
        let file = (e.kind == Kind::Cheater || (e.kind == Kind::Person && e.index < file_wallets))
            .then(|| files.join(format!("w{}.db", e.index)));
        let now = clock.load(Ordering::Relaxed);
        let pb = pb.clone();
        tasks.spawn(async move {
            let _permit = permit;
            pb.inc(1);
            let signer = signer_for(suite, &seed)?;
            let name = match e.kind {
                Kind::Terminal => format!("terminal-{}", e.index),
                Kind::Cheater => format!("cheater-{}", e.index),
                Kind::Person => format!("person-{}", e.index),
            };
            let store = match &file {
                Some(p) => Store::open(p)?,
                None => Store::open_in_memory_with_page_size(STORE_PAGE_SIZE)?,
            };
            let wallet = Wallet::from_store(
                store,
                signer.clone(),
                KeyLocation::Hardware(name.clone()),
                Box::new(SeededEntropy::new(seed)),
                WalletConfig::default(),
            )?;
            let client = pool.for_wallet(&e.credential, signer.clone());
            wallet.register(&client).await?;
            if !e.funding.is_empty() {
                wallet.fund(&client, &e.funding, now).await?;
            }
            Ok::<_, CliError>((e.index, Device { kind: e.kind, name, wallet, client, signer, file, seed, restarts: 0 }))
        });
    }
    let mut enrolled: Vec<Option<Device>> = Vec::new();
    enrolled.resize_with(args.wallets + args.payees, || None);
    while let Some(done) = tasks.join_next().await {
        let (index, device) = done.map_err(|e| CliError::input(format!("enrol task: {e}")))??;
        if let Some(slot) = enrolled.get_mut(index) {
            *slot = Some(device);
        }
    }
    pb.finish_and_clear();
    let mut devices: Vec<Device> = enrolled.into_iter().flatten().collect();
    if devices.len() != args.wallets + args.payees {
        return Err(CliError::input("some devices failed to enrol"));
    }
    let enrol_time = started.elapsed();
    println!(
        "enrolled {} wallets in {:.1} s; RSS now {}",
        thousands(devices.len() as u64),
        enrol_time.as_secs_f64(),
        crate::rss::format_kib(crate::rss::rss_kib())
    );

    // Cheaters copy their wallet file now, while it holds the funded note.
    let mut backups: BTreeMap<usize, Device> = BTreeMap::new();
    for (i, d) in devices.iter_mut().enumerate() {
        if d.kind != Kind::Cheater {
            continue;
        }
        let Some(path) = d.file.clone() else { continue };
        d.crash()?; // closes the database, so the copy is complete
        let backup = path.with_extension("backup.db");
        std::fs::copy(&path, &backup).map_err(|e| CliError::io(&backup, e))?;
        let wallet = Wallet::open(
            &backup,
            d.signer.clone(),
            KeyLocation::Hardware(d.name.clone()),
            Box::new(SeededEntropy::new(sha256(&[&d.seed, b"backup"]))),
            WalletConfig::default(),
        )?;
        backups.insert(
            i,
            Device {
                kind: Kind::Cheater,
                name: format!("{} (restored backup)", d.name),
                wallet,
                client: d.client.clone(),
                signer: d.signer.clone(),
                file: Some(backup),
                seed: d.seed,
                restarts: 0,
            },
        );
    }

    // ---- the peak, in independent shards on parallel threads
    let start_time = clock.load(Ordering::Relaxed) + 60;
    let people = args.wallets;
    let first_terminal = args.wallets;
    let cheaters: Vec<usize> = (people - args.cheaters..people).collect();
    let shards = shard(&args, devices, backups, &mut rng);
    let params = PeakParams { start_time, seconds: args.seconds, p2p: args.p2p, tears: args.tears };
    let pb = bar(args.quiet, args.payments, "peak");
    let peak_started = Instant::now();
    let outcomes = crate::peak::run_shards(shards, &params, &pb)?;
    let mut report = SimulationReport::default();
    let mut limbo = 0u64;
    let mut by_index: BTreeMap<usize, Device> = BTreeMap::new();
    let mut backups: BTreeMap<usize, Device> = BTreeMap::new();
    for o in outcomes {
        report.payments += o.report.payments;
        report.value_moved += o.report.value_moved;
        for (why, n) in o.report.refused {
            *report.refused.entry(why).or_default() += n;
        }
        report.tears += o.report.tears;
        report.tears_recovered += o.report.tears_recovered;
        report.crashes += o.report.crashes;
        report.double_spends_injected += o.report.double_spends_injected;
        report.taps.extend(o.report.taps);
        limbo += o.limbo;
        by_index.extend(o.devices);
        backups.extend(o.backups);
    }
    let devices: Vec<Device> = by_index.into_values().collect();
    if devices.len() != args.wallets + args.payees {
        return Err(CliError::input("devices lost during the peak"));
    }
    debug_assert!(devices.get(first_terminal).is_some_and(|d| d.kind == Kind::Terminal));
    pb.finish_and_clear();
    let peak_time = peak_started.elapsed();
    println!(
        "peak done in {:.1} s; RSS now {}",
        peak_time.as_secs_f64(),
        crate::rss::format_kib(crate::rss::rss_kib())
    );

    // Stores of crashed devices must still be consistent.
    let mut checks = Checks::default();
    for d in devices.iter().filter(|d| d.file.is_some()) {
        let ok = d.wallet.with_store(|s| s.check_consistency().is_ok() && s.verify_log().is_ok());
        checks.expect(ok, format!("{}: store consistent after crashes", d.name));
    }

    // ---- everybody syncs
    clock.store(start_time + args.seconds + 60, Ordering::Relaxed);
    let sync_started = Instant::now();
    let pb = bar(args.quiet, devices.len(), "sync");
    let order: Vec<Vec<usize>> = vec![
        (0..devices.len()).filter(|&i| devices.get(i).is_some_and(|d| d.kind == Kind::Cheater)).collect(),
        (0..devices.len()).filter(|&i| devices.get(i).is_some_and(|d| d.kind != Kind::Cheater)).collect(),
    ];
    let mut reports: Vec<(usize, SyncReport)> = Vec::new();
    for phase in order {
        let mut tasks = tokio::task::JoinSet::new();
        for i in phase {
            let Some(d) = devices.get(i) else { continue };
            let (wallet, client, permit) = (
                d.wallet.clone(),
                d.client.clone(),
                semaphore.clone().acquire_owned().await.map_err(|_| CliError::input("semaphore closed"))?,
            );
            let now = clock.load(Ordering::Relaxed);
            tasks.spawn(async move {
                let _permit = permit;
                let r = wallet.sync(&client, now).await;
                (i, r)
            });
        }
        while let Some(done) = tasks.join_next().await {
            let (i, r) = done.map_err(|e| CliError::input(format!("sync task: {e}")))?;
            pb.inc(1);
            match r {
                Ok(r) => reports.push((i, r)),
                Err(e) => {
                    let name = devices.get(i).map_or("?", |d| d.name.as_str());
                    checks.expect(false, format!("{name} failed to sync: {e}"));
                }
            }
        }
    }
    pb.finish_and_clear();
    report.sync_time = sync_started.elapsed();
    report.records_settled =
        reports.iter().map(|(_, r)| u64::from(r.accepted + r.duplicates + r.double_spends + r.rejected)).sum();
    let rejected: u64 = reports.iter().map(|(_, r)| u64::from(r.rejected)).sum();

    // ---- invariants
    let issuer = server.issuer.clone();
    let proofs = issuer.double_spend_proofs()?;
    report.double_spends_detected = proofs.len() as u64;
    let cheater_ids: HashSet<WalletId> =
        cheaters.iter().filter_map(|&c| devices.get(c)).map(|d| d.wallet.id()).collect();
    let revoked: Vec<WalletId> = devices
        .iter()
        .find(|d| d.kind == Kind::Terminal)
        .and_then(|d| d.wallet.with_store(|s| s.revocation_list().ok().flatten()))
        .map(|l| l.body().revoked.clone())
        .unwrap_or_default();
    report.honest_revoked = revoked.iter().filter(|w| !cheater_ids.contains(w)).count() as u64;
    let audit = issuer.audit()?;
    let mut held = 0u64;
    let mut pending = 0u64;
    for d in &devices {
        let b = d.wallet.balance()?;
        held += b.total;
        pending += b.pending;
    }
    checks.equal(report.double_spends_detected, report.double_spends_injected, "double spends detected == injected");
    checks.expect(proofs.iter().all(|p| cheater_ids.contains(&p.signer)), "every proof names a cheater");
    checks.equal(report.honest_revoked, 0, "honest wallets revoked");
    checks.equal(rejected, 0, "records the issuer rejected");
    checks.equal(pending, 0, "payments still pending after everybody synced");
    checks.expect(audit.balanced, format!("issuer notes balance ({audit:?})"));
    checks.expect(audit.accounts_balanced, "issuer accounts balance");
    let supply = audit.account_balances + i64::try_from(audit.held_offline).unwrap_or(i64::MAX);
    checks.equal(supply, audit.account_initial, "accounts + live notes == initial balances");
    checks.equal(held + limbo, audit.held_offline, "wallets' value (+ torn payments never received) == live notes");
    checks.equal(report.tears_recovered, report.tears, "every torn tap recovered by tapping again");
    if !args.no_year {
        let year = crate::sim_year::run(&devices, &clock, start_time, args.concurrency, &mut checks).await?;
        report.year_refreshed = year.refreshed;
        let audit = issuer.audit()?;
        checks.expect(
            audit.balanced && audit.accounts_balanced,
            format!("issuer audit balanced at year end ({audit:?})"),
        );
        let supply = audit.account_balances + i64::try_from(audit.held_offline).unwrap_or(i64::MAX);
        checks.equal(supply, audit.account_initial, "accounts + live notes == initial balances at year end");
        let held: u64 = devices.iter().map(|d| d.wallet.balance().map(|b| b.total)).sum::<Result<u64, _>>()?;
        checks.equal(held + limbo, audit.held_offline, "wallets' value (+ torn payments) == live notes at year end");
    }
    report.peak_rss_kib = crate::rss::peak_rss_kib();

    // ---- the table
    let times_under = |model: LinkModel| -> Vec<Duration> {
        let mut times: Vec<Duration> = report.taps.iter().map(|t| t.1.time_under(model)).collect();
        times.sort();
        times
    };
    let (optimistic, conservative) = (times_under(LinkModel::OPTIMISTIC), times_under(LinkModel::CONSERVATIVE));
    let pct = |times: &[Duration], p: f64| -> String {
        let idx = ((times.len() as f64 - 1.0) * p).round() as usize;
        times.get(idx).map_or("-".into(), |d| format!("{:.0}", d.as_secs_f64() * 1000.0))
    };
    let pcts = |times: &[Duration]| format!("{} / {} / {} ms", pct(times, 0.5), pct(times, 0.9), pct(times, 0.99));
    let max_depth = report.taps.iter().map(|t| t.0).max().unwrap_or(0);
    let row = |k: &str, v: String| println!("  {k:<44} {v:>18}");
    println!();
    println!("  {:<44} {:>18}", "result", "value");
    row("payments completed", thousands(report.payments));
    row("value moved (minor units)", thousands(report.value_moved));
    for (why, n) in &report.refused {
        row(&format!("not made: {why}"), thousands(*n));
    }
    row("torn taps / recovered by tapping again", format!("{} / {}", report.tears, report.tears_recovered));
    row("device crashes (drop + reopen from file)", thousands(report.crashes));
    row(
        "double spends detected / injected",
        format!("{} / {}", report.double_spends_detected, report.double_spends_injected),
    );
    row("honest wallets blamed (revoked)", report.honest_revoked.to_string());
    row("issuer audit balanced (notes, accounts)", format!("{}, {}", audit.balanced, audit.accounts_balanced));
    row("accounts + live notes = initial", format!("{} = {}", supply, audit.account_initial));
    row("wallets hold + lost in torn taps = live notes", format!("{} + {} = {}", held, limbo, audit.held_offline));
    row("records settled", thousands(report.records_settled));
    if !args.no_year {
        row("refreshed at the year-end sync (day 340)", thousands(report.year_refreshed));
    }
    row(
        "settlement throughput",
        format!("{:.0} records/s", report.records_settled as f64 / report.sync_time.as_secs_f64().max(1e-9)),
    );
    row("modelled tap p50 / p90 / p99, optimistic", pcts(&optimistic));
    row("modelled tap p50 / p90 / p99, conservative", pcts(&conservative));
    row("deepest chain paid", max_depth.to_string());
    row(
        "wall time: enrol / peak / sync",
        format!(
            "{:.0} / {:.0} / {:.0} s",
            enrol_time.as_secs_f64(),
            peak_time.as_secs_f64(),
            report.sync_time.as_secs_f64()
        ),
    );
    row("peak RSS", crate::rss::format_kib(report.peak_rss_kib));

    if let Some(path) = &args.svg {
        let optimistic: Vec<(u32, Duration)> =
            report.taps.iter().map(|(d, s)| (*d, s.time_under(LinkModel::OPTIMISTIC))).collect();
        let mut series = vec![crate::svg::Series::from_taps(suite_name(suite), &optimistic)];
        series.extend(crate::bench::sweep_series(&[1, 2, 4, 8, 12, 16])?);
        let svg = crate::svg::tap_time_chart(&series);
        std::fs::write(path, svg).map_err(|e| CliError::io(path, e))?;
        println!("  chart written to {}", path.display());
    }
    drop(devices);
    drop(backups);
    server.shutdown().await?;
    checks.finish()?;
    Ok(report)
}

/// Splits the devices into `--shards` independent parts (people, cheaters and terminals by
/// index modulo the number of shards), each with its share of payments and crashes and its
/// own seed drawn from `rng`.
fn shard(
    args: &SimulateArgs,
    devices: Vec<Device>,
    mut backups: BTreeMap<usize, Device>,
    rng: &mut SimRng,
) -> Vec<Shard> {
    let people = args.wallets;
    let honest = people - args.cheaters;
    // Each shard needs a terminal and two honest people (a payer and someone else to pay).
    let n = args.shards.clamp(1, args.payees.min(honest / 2).max(1));
    let mut shards: Vec<Shard> = (0..n)
        .map(|s| Shard {
            devices: BTreeMap::new(),
            backups: BTreeMap::new(),
            honest: Vec::new(),
            people: Vec::new(),
            cheaters: Vec::new(),
            terminals: Vec::new(),
            crash_prone: Vec::new(),
            payments: args.payments / n + usize::from(s < args.payments % n),
            crashes: args.crashes / n + usize::from(s < args.crashes % n),
            seed: rng.next_u64(),
        })
        .collect();
    for (i, d) in devices.into_iter().enumerate() {
        let s = if i < people { i % n } else { (i - people) % n };
        let Some(shard) = shards.get_mut(s) else { continue };
        match d.kind {
            Kind::Terminal => shard.terminals.push(i),
            Kind::Cheater => {
                shard.people.push(i);
                shard.cheaters.push(i);
                if let Some(b) = backups.remove(&i) {
                    shard.backups.insert(i, b);
                }
            }
            Kind::Person => {
                shard.people.push(i);
                shard.honest.push(i);
                if d.file.is_some() {
                    shard.crash_prone.push(i);
                }
            }
        }
        shard.devices.insert(i, d);
    }
    shards
}
