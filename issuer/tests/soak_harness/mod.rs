//! The soak test's machinery (`issuer/tests/soak.rs`): the issuer as a child process that can
//! be SIGKILLed and restarted on its database, a fault-injecting HTTP proxy in front of it,
//! file-backed wallets that crash and reopen, one simulated tap, and read-only queries of the
//! issuer's database for the final checks. No workload and no invariant lives here.
//!
//! ```text
//!  SyncClient ──► proxy (drop request / drop answer / duplicate; /v1/sync and /v1/fund)
//!                   └──► IssuerProcess (child `offline-cash-issuer serve`, SIGKILL, restart)
//!  Party (wallet file + key + client) ──one_tap──► Party      issuer.db ◄── queries (read only)
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, dead_code)]

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

pub const ADMIN: &str = "soak-admin";

pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// xorshift64*: a reproducible schedule from `OC_SOAK_SEED`.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

// ---------------------------------------------------------------------------------------------
// The issuer child process and the fault-injecting proxy in front of it.

/// A fresh directory under the system's temp directory (`oc-<name>-<pid>`), removed when
/// dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("oc-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (and reaped) when dropped.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The URL an issuer started with `--url-file path` wrote there, once it is there (at most 30 s);
/// panics if `child` exits first.
pub fn read_url_file(path: &Path, child: &mut Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(url) = std::fs::read_to_string(path) {
            return url;
        }
        assert!(Instant::now() < deadline, "no url file at {} after 30 s", path.display());
        if let Some(status) = child.try_wait().unwrap() {
            panic!("issuer exited at start: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub struct IssuerProcess {
    child: Option<ChildGuard>,
    db: PathBuf,
    /// More `serve` options (the policy), passed at every start.
    options: Vec<String>,
    pub port: u16,
}

impl IssuerProcess {
    pub fn start(db: PathBuf) -> Self {
        Self::start_with(db, &[])
    }

    /// Started with more `serve` options, e.g. `["--max-chain-depth", "8"]`. The first start
    /// listens on port 0 and learns the port from `--url-file`; restarts keep it.
    pub fn start_with(db: PathBuf, options: &[&str]) -> Self {
        let options = options.iter().map(|o| (*o).to_owned()).collect();
        let mut p = Self { child: None, db, options, port: 0 };
        p.spawn();
        p
    }

    /// The direct URL of the issuer (no proxy in between).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let url_file = self.db.with_extension("url");
        let _ = std::fs::remove_file(&url_file);
        let child = Command::new(env!("CARGO_BIN_EXE_offline-cash-issuer"))
            .args(["serve", "--db"])
            .arg(&self.db)
            .args(["--listen", &format!("127.0.0.1:{}", self.port), "--admin-token", ADMIN])
            .arg("--url-file")
            .arg(&url_file)
            .args(&self.options)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut child = ChildGuard(child);
        let url = read_url_file(&url_file, &mut child.0);
        self.child = Some(child);
        let port = url.trim().rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port in the url file");
        assert!(self.port == 0 || self.port == port, "a restart moved the issuer to another port");
        self.port = port;
    }

    /// SIGKILL, then a restart on the same database file.
    pub fn kill_and_restart(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.0.kill().unwrap();
            c.0.wait().unwrap();
        }
        self.spawn();
    }
}

#[derive(Debug, Default)]
pub struct ProxyStats {
    pub dropped_requests: AtomicU64,
    pub dropped_answers: AtomicU64,
    pub duplicated: AtomicU64,
    pub forwarded: AtomicU64,
}

/// One request per connection: read it, maybe drop it, forward it (maybe twice), maybe drop
/// the answer. Faults apply to `/v1/sync` and `/v1/fund` only and only while `faults` is set.
pub fn start_proxy(upstream: Arc<AtomicU64>, faults: Arc<AtomicBool>, stats: Arc<ProxyStats>, seed: u64) -> String {
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
    let faultable = req.starts_with(b"POST /v1/sync ") || req.starts_with(b"POST /v1/fund ");
    let faulty = faultable && faults.load(Ordering::SeqCst);
    if faulty && roll < 5 {
        stats.dropped_requests.fetch_add(1, Ordering::Relaxed);
        return; // the request is lost on the way
    }
    let Some(answer) = forward(port, &req) else { return };
    stats.forwarded.fetch_add(1, Ordering::Relaxed);
    if faulty && roll < 10 {
        stats.dropped_answers.fetch_add(1, Ordering::Relaxed);
        return; // processed, but the answer is lost: the client resends the same batch/request id
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

/// What a party does in the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Pays, receives, syncs, tops up.
    Honest,
    /// Pays honest wallets, and once spends again from a restored backup (through a
    /// [`Role::Restored`] copy of itself).
    Cheater,
    /// A cheater's restored backup: one spend, one sync, then quiet.
    Restored,
}

pub struct Party {
    pub name: String,
    pub role: Role,
    pub path: PathBuf,
    pub key: Arc<dyn Signer>,
    pub wallet: Option<Wallet>,
    pub client: SyncClient,
    pub skew: i64,
}

impl Party {
    pub fn wallet(&self) -> &Wallet {
        self.wallet.as_ref().unwrap()
    }
    pub fn now(&self) -> u64 {
        unix_now().saturating_add_signed(self.skew)
    }
    pub fn open(path: &Path, key: &Arc<dyn Signer>, name: &str) -> Wallet {
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
    pub fn crash(&mut self) {
        drop(self.wallet.take());
        self.wallet = Some(Self::open(&self.path, &self.key, &self.name));
    }
    pub fn total(&self) -> u64 {
        self.wallet().balance().unwrap().total
    }
    pub fn spendable(&self) -> u64 {
        self.wallet().balance().unwrap().spendable
    }
    /// A copy of this party whose wallet is opened from `backup`, copied to `path` first.
    pub fn restored_from(&self, backup: &Path, path: PathBuf) -> Party {
        std::fs::copy(backup, &path).unwrap();
        Party {
            name: self.name.clone(),
            role: Role::Restored,
            wallet: Some(Party::open(&path, &self.key, &self.name)),
            path,
            key: self.key.clone(),
            client: self.client.clone(),
            skew: self.skew,
        }
    }
}

/// A new account with `account_balance`, and a registered wallet file in `dir` for it.
pub async fn new_party(url: &str, dir: &Path, name: &str, role: Role, account_balance: u64, skew: i64) -> Party {
    let key: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(offline_cash_core::crypto::Suite::EcdsaP256).unwrap());
    let account = SyncClient::create_account(url, ADMIN, name, account_balance).await.unwrap();
    let retry =
        RetryPolicy { attempts: 6, initial_delay: Duration::from_millis(20), max_delay: Duration::from_millis(300) };
    let client = SyncClient::new(url, &account.credential, key.clone()).unwrap().with_retry(retry);
    let path = dir.join(format!("{name}.db"));
    let wallet = Party::open(&path, &key, name);
    wallet.register(&client).await.unwrap();
    Party { name: name.into(), role, path, key, wallet: Some(wallet), client, skew }
}

pub fn tap_config(rng: &mut Rng, tear: Option<u64>) -> TapConfig {
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

/// What one tap did.
#[derive(Debug, Clone)]
pub struct TapOutcome {
    /// The payment the payee committed.
    pub received: Option<[u8; 32]>,
    pub torn: bool,
    /// The payer has the receipt.
    pub payer_complete: bool,
    /// The reason code of either side's error, if any.
    pub error: Option<String>,
    /// The payer refused for lack of funds (its own `InsufficientFunds`).
    pub payer_insufficient: bool,
}

/// One tap from `payer` to `payee` of `amount`; `None` if the payee could not even ask.
pub fn one_tap(payer: &Party, payee: &Party, amount: u64, cfg: TapConfig) -> Option<TapOutcome> {
    // The payee's clock decides the request; the tap runs on the payer's clock.
    let request = payee.wallet().request_payment(amount, payee.now()).ok()?;
    let report = tap(payer.wallet().pay(), request, cfg, payer.now()).unwrap();
    let error = report.error().map(|e| match e {
        offline_cash_core::wallet::WalletError::Rejected(r) => r.code().to_string(),
        offline_cash_core::wallet::WalletError::PeerRejected { reason, .. } => format!("peer: {reason}"),
        offline_cash_core::wallet::WalletError::Limit(l) => format!("limit: {l}"),
        other => format!("{other:?}").split([' ', '{', '(']).next().unwrap_or_default().to_string(),
    });
    Some(TapOutcome {
        received: report.payee_received,
        torn: report.torn,
        payer_complete: report.payer_complete,
        payer_insufficient: matches!(
            report.payer_error,
            Some(offline_cash_core::wallet::WalletError::InsufficientFunds { .. })
        ),
        error,
    })
}

// ---------------------------------------------------------------------------------------------
// Read-only views of the issuer's database and its audit.

fn issuer_db(db: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    // Read while the issuer may be writing.
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    conn
}

/// Live value by owner wallet.
pub fn issuer_live_by_owner(db: &Path) -> HashMap<[u8; 32], u64> {
    let conn = issuer_db(db);
    let mut stmt = conn.prepare("SELECT owner, SUM(amount) FROM notes WHERE state = 'live' GROUP BY owner").unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
        .map(|r| {
            let (o, v) = r.unwrap();
            (o.try_into().unwrap(), u64::try_from(v).unwrap())
        })
        .collect()
}

/// The live notes owned by `owner`: (id, amount, origin).
pub fn issuer_live_notes(db: &Path, owner: &[u8; 32]) -> Vec<([u8; 32], u64, String)> {
    let conn = issuer_db(db);
    let mut stmt = conn.prepare("SELECT id, amount, origin FROM notes WHERE state = 'live' AND owner = ?1").unwrap();
    stmt.query_map([&owner[..]], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))
        .unwrap()
        .map(|r| {
            let (id, amount, origin) = r.unwrap();
            (id.try_into().unwrap(), u64::try_from(amount).unwrap(), origin)
        })
        .collect()
}

/// The state of note `id` at the issuer, if it knows it.
pub fn issuer_note_state(db: &Path, id: &[u8; 32]) -> Option<String> {
    use rusqlite::OptionalExtension as _;
    issuer_db(db).query_row("SELECT state FROM notes WHERE id = ?1", [&id[..]], |r| r.get(0)).optional().unwrap()
}

/// Online account balance by customer reference.
pub fn issuer_accounts(db: &Path) -> HashMap<String, i64> {
    let conn = issuer_db(db);
    let mut stmt = conn.prepare("SELECT customer_ref, balance FROM accounts").unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).unwrap().map(|r| r.unwrap()).collect()
}

pub fn revoked_set(db: &Path) -> BTreeSet<[u8; 32]> {
    let conn = issuer_db(db);
    let mut stmt = conn.prepare("SELECT wallet FROM revocations").unwrap();
    stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap().map(|r| r.unwrap().try_into().unwrap()).collect()
}

/// The signer of every recorded double spend (one entry per proof).
pub fn double_spend_signers(db: &Path) -> Vec<[u8; 32]> {
    let conn = issuer_db(db);
    let mut stmt = conn.prepare("SELECT signer FROM double_spends ORDER BY id").unwrap();
    stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap().map(|r| r.unwrap().try_into().unwrap()).collect()
}

/// Whether the issuer has recorded a link spending `note`.
pub fn issuer_has_spend_of(db: &Path, note: &[u8; 32]) -> bool {
    issuer_db(db).query_row("SELECT EXISTS(SELECT 1 FROM links WHERE parent = ?1)", [&note[..]], |r| r.get(0)).unwrap()
}

/// What the link the issuer recorded as spending `note` (the accepted one) paid to `owner`:
/// 0 when it paid that wallet nothing, or no link is recorded.
pub fn issuer_accepted_to(db: &Path, note: &[u8; 32], owner: &[u8; 32]) -> u64 {
    use rusqlite::OptionalExtension as _;
    let bytes: Option<Vec<u8>> = issuer_db(db)
        .query_row("SELECT bytes FROM links WHERE parent = ?1", [&note[..]], |r| r.get(0))
        .optional()
        .unwrap();
    let Some(bytes) = bytes else { return 0 };
    let link = offline_cash_core::token::SpendLink::from_bytes(&bytes).unwrap();
    link.body().outputs.iter().filter(|o| o.owner.0 == *owner).map(|o| o.amount).sum()
}
