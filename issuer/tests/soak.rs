//! Soak test of the whole system under faults: the issuer runs as a child process (the real
//! binary) behind a fault-injecting HTTP proxy; file-backed wallets pay each other through
//! the simulated NFC field and sync, while the test tears taps at random bytes, SIGKILLs the
//! issuer mid-batch and restarts it on the same database, crashes wallets (drop, reopen),
//! drops and duplicates HTTP requests, skews the wallets' clocks, and lets cheaters spend
//! again from a restored backup. At the end (docs/RELIABILITY.md; DESIGN.md §8):
//!
//! - value is conserved: the issuer's audit is balanced, and for every honest wallet the
//!   value the issuer believes it holds equals what it holds (plus payments torn before the
//!   payee committed them, which the issuer settled to the payee's name);
//! - every injected double spend is detected and the revoked set is exactly the cheaters;
//! - no committed payment is lost (a lost one would break the per-wallet equality);
//! - every wallet's log verifies and its balances match its notes after every reopen.
//!
//! ```text
//!  wallets ──SyncClient──► proxy (drop request / drop answer / duplicate) ──► issuer child
//!     │  ▲                                                                  (SIGKILL, restart)
//!     └──┘ taps through nfc::Field (tear at byte N), wallets dropped and reopened
//! ```
//! `cargo test -p offline-cash-issuer --test soak` runs ~15 s of operations; set
//! `OC_SOAK_SECS` for longer (and `OC_SOAK_SEED` to vary the schedule).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeSet, HashMap};
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use offline_cash_core::crypto::{Signer, SoftwareSigner};
use offline_cash_core::nfc::{CardConfig, FieldConfig, ReaderConfig};
use offline_cash_core::store::KeyLocation;
use offline_cash_core::sync::{RetryPolicy, SyncClient};
use offline_cash_core::wallet::tap::{CardRole, TapConfig, tap};
use offline_cash_core::wallet::{OsEntropy, Wallet, WalletConfig};

const ADMIN: &str = "soak-admin";
const HONEST: usize = 6;
const CHEATERS: usize = 2;
/// Each wallet's clock is off by up to this much (pairwise ≤ 2×, inside the 300 s allowed).
const MAX_SKEW: i64 = 100;

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// xorshift64*: a reproducible schedule from `OC_SOAK_SEED`.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Debug, Default)]
struct Counters {
    taps: u64,
    completed: u64,
    torn: u64,
    retaps: u64,
    refused: u64,
    syncs: u64,
    sync_failures: u64,
    issuer_kills: u64,
    wallet_crashes: u64,
    double_spends_injected: u64,
    double_spends_caught_offline: u64,
    honest_flagged_as_rolled_back: u64,
}

// ---------------------------------------------------------------------------------------------
// The issuer child process and the fault-injecting proxy in front of it.

struct IssuerProcess {
    child: Option<Child>,
    db: PathBuf,
    port: u16,
}

impl IssuerProcess {
    fn start(db: PathBuf) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut p = Self { child: None, db, port };
        p.spawn();
        p
    }

    fn spawn(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_offline-cash-issuer"))
            .args(["serve", "--db"])
            .arg(&self.db)
            .args(["--listen", &format!("127.0.0.1:{}", self.port), "--admin-token", ADMIN])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "issuer did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, then a restart on the same database file.
    fn kill_and_restart(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
        self.spawn();
    }
}

impl Drop for IssuerProcess {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[derive(Debug, Default)]
struct ProxyStats {
    dropped_requests: AtomicU64,
    dropped_answers: AtomicU64,
    duplicated: AtomicU64,
    forwarded: AtomicU64,
}

/// One request per connection: read it, maybe drop it, forward it (maybe twice), maybe drop
/// the answer. Faults apply to `/v1/sync` only and only while `faults` is set.
fn start_proxy(upstream: Arc<AtomicU64>, faults: Arc<AtomicBool>, stats: Arc<ProxyStats>, seed: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut rng = Rng(seed | 1);
        for conn in listener.incoming() {
            let Ok(client) = conn else { continue };
            let roll = rng.below(100);
            let (upstream, faults, stats) = (upstream.clone(), faults.clone(), stats.clone());
            std::thread::spawn(move || {
                proxy_one(client, upstream.load(Ordering::SeqCst) as u16, &faults, &stats, roll)
            });
        }
    });
    url
}

fn read_request(client: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    // One request per connection: ask the issuer to close after answering.
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut out: String = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:") && !l.is_empty())
        .map(|l| format!("{l}\r\n"))
        .collect();
    out.push_str("connection: close\r\n\r\n");
    let mut req = out.into_bytes();
    req.extend_from_slice(&buf[head_end..]);
    Some(req)
}

fn forward(port: u16, req: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(("127.0.0.1", port)).ok()?;
    up.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    up.write_all(req).ok()?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).ok()?;
    (!answer.is_empty()).then_some(answer)
}

fn proxy_one(mut client: TcpStream, port: u16, faults: &AtomicBool, stats: &ProxyStats, roll: u64) {
    let Some(req) = read_request(&mut client) else { return };
    let is_sync = req.starts_with(b"POST /v1/sync ");
    let faulty = is_sync && faults.load(Ordering::SeqCst);
    if faulty && roll < 5 {
        stats.dropped_requests.fetch_add(1, Ordering::Relaxed);
        return; // the request is lost on the way
    }
    let Some(answer) = forward(port, &req) else { return };
    stats.forwarded.fetch_add(1, Ordering::Relaxed);
    if faulty && roll < 10 {
        stats.dropped_answers.fetch_add(1, Ordering::Relaxed);
        return; // processed, but the answer is lost: the client resends the same batch
    }
    if faulty && roll < 15 {
        // The network delivers the request twice: the copy replays a nonce and must be refused.
        stats.duplicated.fetch_add(1, Ordering::Relaxed);
        let copy = forward(port, &req).unwrap_or_default();
        assert!(
            copy.is_empty() || copy.starts_with(b"HTTP/1.1 401") || copy.starts_with(b"HTTP/1.1 409"),
            "a replayed request was not refused: {}",
            String::from_utf8_lossy(&copy[..copy.len().min(200)])
        );
    }
    let _ = client.write_all(&answer);
}

// ---------------------------------------------------------------------------------------------
// Wallets.

struct Party {
    name: String,
    path: PathBuf,
    key: Arc<dyn Signer>,
    wallet: Option<Wallet>,
    client: SyncClient,
    skew: i64,
}

impl Party {
    fn wallet(&self) -> &Wallet {
        self.wallet.as_ref().unwrap()
    }
    fn now(&self) -> u64 {
        unix_now().saturating_add_signed(self.skew)
    }
    fn open(path: &Path, key: &Arc<dyn Signer>, name: &str) -> Wallet {
        let w = Wallet::open(
            path,
            key.clone(),
            KeyLocation::Hardware(name.into()),
            Box::new(OsEntropy),
            WalletConfig::default(),
        )
        .unwrap();
        w.with_store(|s| {
            s.verify_log().unwrap();
            s.check_consistency().unwrap();
        });
        w
    }
    /// A crash: the wallet is dropped wherever it was and reopened from its file.
    fn crash(&mut self) {
        drop(self.wallet.take());
        self.wallet = Some(Self::open(&self.path, &self.key, &self.name));
    }
    fn total(&self) -> u64 {
        self.wallet().balance().unwrap().total
    }
}

async fn new_party(url: &str, dir: &Path, name: &str, balance: u64, skew: i64) -> Party {
    let key: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(offline_cash_core::crypto::Suite::EcdsaP256).unwrap());
    let account = SyncClient::create_account(url, ADMIN, name, balance).await.unwrap();
    let retry =
        RetryPolicy { attempts: 6, initial_delay: Duration::from_millis(20), max_delay: Duration::from_millis(300) };
    let client = SyncClient::new(url, &account.credential, key.clone()).unwrap().with_retry(retry);
    let path = dir.join(format!("{name}.db"));
    let wallet = Party::open(&path, &key, name);
    wallet.register(&client).await.unwrap();
    Party { name: name.into(), path, key, wallet: Some(wallet), client, skew }
}

fn tap_config(rng: &mut Rng, tear: Option<u64>) -> TapConfig {
    let extended = rng.chance(50);
    let mut field = FieldConfig {
        reader: if extended { ReaderConfig::extended() } else { ReaderConfig::short() },
        ..FieldConfig::default()
    };
    field.tear_at_byte = tear;
    TapConfig {
        role: if rng.chance(50) { CardRole::PayeeIsCard } else { CardRole::PayerIsCard },
        field,
        card: if extended { CardConfig::extended() } else { CardConfig::short() },
    }
}

/// One tap from `a` to `b` of `amount`; returns (the payment the payee committed, torn,
/// payer complete).
fn one_tap(parties: &[Party], a: usize, b: usize, amount: u64, cfg: TapConfig) -> (Option<[u8; 32]>, bool, bool) {
    let (payer, payee) = (&parties[a], &parties[b]);
    // The payee's clock decides the request; the tap runs on the payer's clock.
    let Ok(request) = payee.wallet().request_payment(amount, payee.now()) else { return (None, false, false) };
    let report = tap(payer.wallet().pay(), request, cfg, payer.now()).unwrap();
    (report.payee_received, report.torn, report.payer_complete)
}

async fn sync_party(p: &Party, c: &mut Counters) -> bool {
    c.syncs += 1;
    match p.wallet().sync(&p.client, p.now()).await {
        Ok(report) => {
            if report.rollback_detected && p.name.starts_with("honest") {
                c.honest_flagged_as_rolled_back += 1;
            }
            true
        }
        Err(_) => {
            c.sync_failures += 1;
            false
        }
    }
}

fn issuer_live_by_owner(db: &Path) -> HashMap<[u8; 32], u64> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare("SELECT owner, SUM(amount) FROM notes WHERE state = 'live' GROUP BY owner").unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
        .map(|r| {
            let (o, v) = r.unwrap();
            (o.try_into().unwrap(), u64::try_from(v).unwrap())
        })
        .collect()
}

fn revoked_set(db: &Path) -> BTreeSet<[u8; 32]> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare("SELECT wallet FROM revocations").unwrap();
    stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap().map(|r| r.unwrap().try_into().unwrap()).collect()
}

async fn audit(url: &str) -> offline_cash_core::sync::wire::AuditResponse {
    reqwest::Client::new()
        .get(format!("{url}/v1/admin/audit"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_with_faults_keeps_every_invariant() {
    let secs: u64 = std::env::var("OC_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(15);
    let seed: u64 = std::env::var("OC_SOAK_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let dir = std::env::temp_dir().join(format!("oc-soak-{}-{}", std::process::id(), unix_now()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("issuer.db");
    let mut issuer = IssuerProcess::start(db.clone());
    let upstream = Arc::new(AtomicU64::new(u64::from(issuer.port)));
    let faults = Arc::new(AtomicBool::new(false));
    let proxy_stats = Arc::new(ProxyStats::default());
    let url = start_proxy(upstream.clone(), faults.clone(), proxy_stats.clone(), rng.next());
    let mut c = Counters::default();

    // Honest wallets, then cheaters; each funded online. Cheaters back up their file.
    let mut parties = Vec::new();
    for i in 0..HONEST + CHEATERS {
        let skew = i64::try_from(rng.below(2 * MAX_SKEW as u64 + 1)).unwrap() - MAX_SKEW;
        let name = if i < HONEST { format!("honest{i}") } else { format!("cheater{}", i - HONEST) };
        let p = new_party(&url, &dir, &name, 100_000, skew).await;
        let notes: &[u64] = if i < HONEST { &[5_000, 2_000, 1_000, 500] } else { &[4_000] };
        p.wallet().fund(&p.client, notes, p.now()).await.unwrap();
        parties.push(p);
    }
    let mut backups = Vec::new();
    for p in &mut parties[HONEST..] {
        drop(p.wallet.take());
        let backup = dir.join(format!("{}-backup.db", p.name));
        std::fs::copy(&p.path, &backup).unwrap();
        p.wallet = Some(Party::open(&p.path, &p.key, &p.name));
        backups.push(backup);
    }

    // Payments that left the payer (a pending spend) but that the payee did not commit: torn,
    // or refused after the payment left. The issuer settles them to the payee's name when the
    // payer syncs. Keyed by payment hash: (payer, payee, amount).
    let mut limbo: HashMap<[u8; 32], (usize, usize, u64)> = HashMap::new();
    let mut cheats_done = 0usize;
    let mut injected_by = BTreeSet::new();
    faults.store(true, Ordering::SeqCst);
    let start = Instant::now();
    let mut ops = 0u64;
    while start.elapsed() < Duration::from_secs(secs) {
        ops += 1;
        // Halfway through, each cheater spends again from its restored backup.
        if cheats_done < CHEATERS && start.elapsed() > Duration::from_secs(secs) * (cheats_done as u32 + 1) / 3 {
            let k = HONEST + cheats_done;
            let victim = rng.below(HONEST as u64) as usize;
            // The live wallet spends its genesis note first (if it has not already)...
            let other = (victim + 1) % HONEST;
            let live_total = parties[k].total();
            if live_total == 4_000 {
                let cfg = tap_config(&mut rng, None);
                let _ = one_tap(&parties, k, other, 1_000, cfg);
            }
            // ...then a restored copy of the backup, which still holds that note, spends it
            // again. A payee that already holds the other child of that note refuses offline
            // (`double_spend_seen`); any other payee cannot tell, and accepts. Each attempt
            // restores the backup afresh (a refused attempt leaves a pending spend behind).
            let mut restored_idx = None;
            for (attempt, v) in (0..HONEST).map(|j| (victim + j) % HONEST).enumerate() {
                let path = dir.join(format!("{}-restored-{attempt}.db", parties[k].name));
                std::fs::copy(&backups[cheats_done], &path).unwrap();
                let restored = Party {
                    name: parties[k].name.clone(),
                    wallet: Some(Party::open(&path, &parties[k].key, &parties[k].name)),
                    path,
                    key: parties[k].key.clone(),
                    client: parties[k].client.clone(),
                    skew: parties[k].skew,
                };
                let cfg = tap_config(&mut rng, None);
                let request = parties[v].wallet().request_payment(3_000, parties[v].now()).unwrap();
                let report = tap(restored.wallet().pay(), request, cfg, restored.now()).unwrap();
                if report.payee_received.is_some() {
                    c.double_spends_injected += 1;
                    injected_by.insert(restored.wallet().id().0);
                    parties.push(restored);
                    restored_idx = Some(parties.len() - 1);
                    break;
                }
                match report.error() {
                    Some(offline_cash_core::wallet::WalletError::Rejected(r))
                        if r.code().starts_with("double_spend") =>
                    {
                        c.double_spends_caught_offline += 1;
                    }
                    other => panic!("the restored backup's payment failed unexpectedly: {other:?}"),
                }
            }
            // The restored copy syncs too (the issuer sees the rollback), then stays quiet.
            if let Some(idx) = restored_idx {
                sync_party(&parties[idx], &mut c).await;
            }
            cheats_done += 1;
            continue;
        }
        match rng.below(100) {
            0..=59 => {
                let a = rng.below(HONEST as u64 + CHEATERS as u64) as usize;
                let b = rng.below(HONEST as u64) as usize;
                if a == b {
                    continue;
                }
                let spendable = parties[a].wallet().balance().unwrap().spendable;
                if spendable == 0 {
                    continue;
                }
                // A pending payment to this payee is resent as it is: ask for its amount.
                let payee_id = parties[b].wallet().id();
                let pending_to =
                    |p: &Party| p.wallet().pending_payments().unwrap().into_iter().find(|s| s.payee == payee_id);
                let retry = pending_to(&parties[a]).map(|s| s.amount);
                let amount = retry.unwrap_or_else(|| 1 + rng.below(spendable.min(3_000)));
                let tear = rng.chance(25).then(|| rng.below(4_000));
                let cfg = tap_config(&mut rng, tear);
                c.taps += 1;
                c.retaps += u64::from(retry.is_some());
                let (received, torn, complete) = one_tap(&parties, a, b, amount, cfg);
                c.torn += u64::from(torn);
                c.completed += u64::from(complete);
                if torn && rng.chance(30) {
                    // The phone dies right after the tear (before anyone retaps).
                    let who = if rng.chance(50) { a } else { b };
                    parties[who].crash();
                    c.wallet_crashes += 1;
                }
                match (received, pending_to(&parties[a])) {
                    (Some(hash), _) => {
                        limbo.remove(&hash);
                    }
                    (None, Some(p)) => {
                        limbo.insert(p.payment_hash, (a, b, p.amount));
                    }
                    _ => {}
                }
                if received.is_none() && !torn {
                    c.refused += 1;
                }
            }
            60..=79 => {
                let i = rng.below(parties.len() as u64) as usize;
                if i >= HONEST + CHEATERS {
                    continue; // restored copies stay quiet after their one spend
                }
                sync_party(&parties[i], &mut c).await;
            }
            80..=87 => {
                // Kill the issuer while a wallet's batch is in flight, restart on the same file.
                let i = rng.below(HONEST as u64) as usize;
                let delay = Duration::from_millis(rng.below(40));
                let w = parties[i].wallet().clone();
                let client = parties[i].client.clone();
                let now = parties[i].now();
                let sync = tokio::spawn(async move { w.sync(&client, now).await });
                tokio::time::sleep(delay).await;
                issuer.kill_and_restart();
                c.issuer_kills += 1;
                let _ = sync.await.unwrap();
            }
            _ => {
                let i = rng.below((HONEST + CHEATERS) as u64) as usize;
                parties[i].crash();
                c.wallet_crashes += 1;
            }
        }
    }
    faults.store(false, Ordering::SeqCst);

    // Everyone comes online; two rounds so every wallet also learns the others' results.
    for round in 0..2 {
        for (i, p) in parties.iter().enumerate().take(HONEST + CHEATERS) {
            let report = p.wallet().sync(&p.client, p.now()).await.unwrap();
            if report.rollback_detected && i < HONEST {
                c.honest_flagged_as_rolled_back += 1;
            }
            if round == 1 && (report.accepted > 0 || report.rejected > 0) {
                eprintln!("final sync {round} {}: {report:?}", p.name);
            }
        }
    }
    let audit = audit(&url).await;
    let live = issuer_live_by_owner(&db);
    let revoked = revoked_set(&db);

    // Torn payments whose payer's link reached the issuer but whose payee never committed:
    // the issuer holds them in the payee's name. A payment that never left the payer (torn
    // before the pending spend) is nowhere; the per-wallet check tells which.
    let mut violations = Vec::new();
    if !audit.balanced || !audit.accounts_balanced {
        violations.push(format!("audit not balanced: {audit:?}"));
    }
    for (i, p) in parties.iter().enumerate().take(HONEST) {
        let held = p.total();
        let issuer_view = live.get(&p.wallet().id().0).copied().unwrap_or(0);
        let torn_to_me: u64 = limbo.values().filter(|e| e.1 == i).map(|e| e.2).sum();
        // issuer_view − held must be a sum of torn payments to this wallet (0 when none).
        let gap = issuer_view.checked_sub(held);
        let ok = match gap {
            Some(0) => true,
            Some(g) => g == torn_to_me || torn_possible(&limbo, i, g),

            None => false,
        };
        if !ok {
            violations.push(format!(
                "{}: holds {held} ({:?}, {} pending payments), issuer says {issuer_view}, torn payments to it {torn_to_me}",
                p.name,
                p.wallet().balance().unwrap(),
                p.wallet().pending_payments().unwrap().len()
            ));
        }
        let pending = p.wallet().pending_payments().unwrap();
        if !pending.is_empty() {
            violations.push(format!("{}: {} payments still pending after the final syncs", p.name, pending.len()));
        }
        p.wallet().with_store(|s| {
            if let Err(e) = s.verify_log() {
                violations.push(format!("{}: log {e}", p.name));
            }
            if let Err(e) = s.check_consistency() {
                violations.push(format!("{}: consistency {e}", p.name));
            }
        });
    }
    // Exactly the cheaters whose second spend some payee accepted are revoked: no honest
    // wallet, and no cheater whose attempt every payee refused offline.
    if revoked != injected_by {
        violations.push(format!("revoked {} wallets, cheaters who double spent {}", revoked.len(), injected_by.len()));
    }
    if c.honest_flagged_as_rolled_back > 0 {
        violations.push(format!("honest wallets flagged as rolled back {} times", c.honest_flagged_as_rolled_back));
    }
    if audit.double_spends < c.double_spends_injected {
        violations
            .push(format!("{} double spends detected of {} injected", audit.double_spends, c.double_spends_injected));
    }
    let held_honest: u64 = parties.iter().take(HONEST).map(Party::total).sum();
    eprintln!(
        "soak: {secs} s, seed {seed}, {ops} operations: {c:?}; proxy: forwarded {}, dropped requests {}, \
         dropped answers {}, duplicated {}; issuer: issued {}, held_offline {}, honest wallets hold {held_honest}, \
         double spends {}, revoked {}; violations {}",
        proxy_stats.forwarded.load(Ordering::Relaxed),
        proxy_stats.dropped_requests.load(Ordering::Relaxed),
        proxy_stats.dropped_answers.load(Ordering::Relaxed),
        proxy_stats.duplicated.load(Ordering::Relaxed),
        audit.issued,
        audit.held_offline,
        audit.double_spends,
        revoked.len(),
        violations.len()
    );
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(c.double_spends_injected >= 1, "no double spend was injected: the run proves nothing");
    drop(issuer);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether `gap` is the sum of some subset of the torn payments to `payee`.
fn torn_possible(limbo: &HashMap<[u8; 32], (usize, usize, u64)>, payee: usize, gap: u64) -> bool {
    let amounts: Vec<u64> = limbo.values().filter(|e| e.1 == payee).map(|e| e.2).collect();
    let mut reachable = BTreeSet::from([0u64]);
    for a in amounts {
        let next: Vec<u64> = reachable.iter().map(|r| r + a).collect();
        reachable.extend(next);
    }
    reachable.contains(&gap)
}
