//! `offline-cash wallet …`: a wallet kept in a directory, driven one command at a time, with
//! requests, payments and receipts exchanged as files (what a script, a QR code or a test
//! harness can carry instead of an NFC field).
//!
//! ```text
//!  D/wallet.key      32-byte AES-256 key, hex: a DEV-ONLY key wrapper (see below)
//!  D/wallet.db       the core's SQLite store; its identity holds the secret key wrapped
//!                    with wallet.key (core::crypto::SoftwareKeyWrapper, AES-256-GCM)
//!  D/issuer.conf     url=… and credential=… (after `register`)
//!  D/requests/<nonce>  saved open requests (core::wallet::SavedRequest), removed once paid
//!  D/sent/<payment hash> the request a pending payment answered (to finish it with a receipt)
//!
//!  payee: request ──request.bin──► payer: pay ──payment.bin──► payee: accept
//!  payer: complete ◄──receipt.bin──┘
//! ```
//!
//! Contract and limits: the key file sits next to the database, so anyone who can read the
//! directory can spend the wallet. That is acceptable for development and scripts only; an
//! app wraps the key with the platform keystore (`KeyWrapper`) instead. File-borne requests
//! use a clear session (the payment is signed and bound to the request nonce; it is not
//! encrypted). One process at a time per directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use offline_cash_core::crypto::{SoftwareKeyWrapper, SoftwareSigner, Suite, WrappedSecretKey};
use offline_cash_core::protocol::Frame;
use offline_cash_core::store::{Balance, HistoryFilter, KeyLocation, Store};
use offline_cash_core::sync::SyncClient;
use offline_cash_core::token::WalletId;
use offline_cash_core::wallet::renewal::Renewal;
use offline_cash_core::wallet::sync::SyncReport;
use offline_cash_core::wallet::{Entropy, OsEntropy, SavedRequest, Wallet, WalletConfig, WalletError, payment_nonce};

use crate::{CliError, suite_name, thousands, unix_now};

const KEY_FILE: &str = "wallet.key";
const DB_FILE: &str = "wallet.db";
const CONF_FILE: &str = "issuer.conf";
const REQUESTS: &str = "requests";
const SENT: &str = "sent";

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::io(path, e))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| CliError::io(parent, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| CliError::io(path, e))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write(path, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| CliError::io(path, e))?;
    }
    Ok(())
}

fn wrapper(dir: &Path) -> Result<SoftwareKeyWrapper, CliError> {
    let path = dir.join(KEY_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| CliError::io(&path, e))?;
    let bytes = hex::decode(text.trim()).map_err(|_| CliError::input(format!("{}: not hex", path.display())))?;
    let key: [u8; 32] =
        bytes.try_into().map_err(|_| CliError::input(format!("{}: not a 32-byte key", path.display())))?;
    Ok(SoftwareKeyWrapper::new(key))
}

/// Creates a wallet of `suite` in `dir` (which must not hold one yet). Returns its id.
pub fn create(dir: &Path, suite: Suite) -> Result<WalletId, CliError> {
    let db = dir.join(DB_FILE);
    if db.exists() || dir.join(KEY_FILE).exists() {
        return Err(CliError::input(format!("{} already holds a wallet", dir.display())));
    }
    std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    let mut key = [0u8; 32];
    OsEntropy.fill(&mut key);
    write_private(&dir.join(KEY_FILE), hex::encode(key).as_bytes())?;
    let wrapper = SoftwareKeyWrapper::new(key);
    let signer = SoftwareSigner::generate(suite)?;
    let wrapped = signer.wrap(&wrapper)?.encode();
    let wallet = Wallet::open(
        &db,
        Arc::new(signer),
        KeyLocation::Wrapped(wrapped),
        Box::new(OsEntropy),
        WalletConfig::default(),
    )?;
    println!("created wallet {} ({}) in {}", wallet.id(), suite_name(suite), dir.display());
    println!("note: {KEY_FILE} wraps the wallet key for development only; keep the directory private");
    Ok(wallet.id())
}

/// Opens the wallet in `dir`, unwrapping its key with the key file.
pub fn open(dir: &Path) -> Result<Wallet, CliError> {
    let db = dir.join(DB_FILE);
    if !db.exists() {
        return Err(CliError::input(format!("no wallet in {} (run `wallet create` first)", dir.display())));
    }
    let identity = Store::open(&db)?.identity()?.ok_or_else(|| CliError::input("the wallet database has no key"))?;
    let KeyLocation::Wrapped(bytes) = identity.key else {
        return Err(CliError::input("the wallet key is not a wrapped software key"));
    };
    let wrapped = WrappedSecretKey::decode(&bytes).map_err(|e| CliError::input(format!("wrapped key: {e}")))?;
    let signer = SoftwareSigner::unwrap(&wrapped, &wrapper(dir)?)?;
    Ok(Wallet::open(&db, Arc::new(signer), KeyLocation::Wrapped(bytes), Box::new(OsEntropy), WalletConfig::default())?)
}

pub(crate) fn client(dir: &Path, wallet: &Wallet) -> Result<SyncClient, CliError> {
    let path = dir.join(CONF_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|_| CliError::input(format!("{} is not registered (run `wallet register`)", dir.display())))?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
            .map(str::trim)
            .ok_or_else(|| CliError::input(format!("{}: no {name}", path.display())))
    };
    Ok(SyncClient::new(field("url")?, field("credential")?, wallet.signer())?)
}

/// Admin helper: creates an account and prints its credential alone on stdout.
pub async fn create_account(issuer: &str, admin_token: &str, name: &str, balance: u64) -> Result<(), CliError> {
    let account = SyncClient::create_account(issuer, admin_token, name, balance).await?;
    println!("{}", account.credential);
    Ok(())
}

/// Registers the wallet with the account of `credential` at `issuer`.
pub async fn register(dir: &Path, issuer: &str, credential: &str) -> Result<(), CliError> {
    let wallet = open(dir)?;
    write_private(&dir.join(CONF_FILE), format!("url={issuer}\ncredential={credential}\n").as_bytes())?;
    let client = client(dir, &wallet)?;
    wallet.register(&client).await?;
    println!("registered wallet {} with {issuer}", offline_cash_core::sync::auth::to_hex(&wallet.id().0));
    Ok(())
}

/// Funds `amount` from the online account into one offline note.
pub async fn fund(dir: &Path, amount: u64) -> Result<u64, CliError> {
    let wallet = open(dir)?;
    let client = client(dir, &wallet)?;
    let funded = wallet.fund(&client, &[amount], unix_now()).await?;
    println!("funded {}; spendable {}", thousands(funded), thousands(wallet.balance()?.spendable));
    Ok(funded)
}

/// Prints and returns the balance.
pub fn balance(dir: &Path) -> Result<Balance, CliError> {
    let wallet = open(dir)?;
    let b = wallet.balance()?;
    println!("spendable {}\npending   {}\ntotal     {}", b.spendable, b.pending, b.total);
    let d = wallet.balance_detail(unix_now())?;
    println!("payable now {} (at most {} in one payment)", d.spendable_now, d.one_payment);
    if b.refreshing > 0 || b.depositing > 0 {
        println!("refreshing {}\ndepositing {}", b.refreshing, b.depositing);
    }
    for (reason, amount) in &d.waiting {
        println!("waiting for a sync ({reason:?}) {amount}");
    }
    Ok(b)
}

/// Prints the newest `limit` history entries.
pub fn history(dir: &Path, limit: u32) -> Result<(), CliError> {
    let page = open(dir)?.history(HistoryFilter::All, None, limit)?;
    println!("{:>5}  {:>10}  {:<15} {:<18} {:>10}", "seq", "time", "kind", "counterparty", "amount");
    for e in page.entries {
        let who = e.counterparty.map_or_else(|| "-".into(), |c| c.short());
        println!("{:>5}  {:>10}  {:<15} {:<18} {:>10}", e.seq, e.at, e.kind.as_str(), who, e.amount);
    }
    Ok(())
}

/// Payee: writes a request for `amount` to `out` and keeps it open in the directory; with
/// `print_uri`, also prints its `offlinecash:` URI on a line of its own. With `compact`, the
/// request is the compact form (certificate by id; `offlinecash:C…`, decision 0016).
pub fn request(dir: &Path, amount: u64, out: &Path, print_uri: bool, compact: bool) -> Result<(), CliError> {
    let wallet = open(dir)?;
    let (session, saved) = wallet.request_payment_saved(amount, unix_now())?;
    write(&dir.join(REQUESTS).join(hex::encode(saved.nonce)), &saved.to_bytes())?;
    let frame = if compact { session.compact_request_frame()? } else { session.request_frame().to_vec() };
    write(out, &frame)?;
    let form = if compact { "compact request" } else { "request" };
    println!("{form} for {} written to {}", thousands(amount), out.display());
    if print_uri {
        println!("{}", offline_cash_core::qr::request_uri(&frame).map_err(WalletError::from)?);
    }
    Ok(())
}

/// Payer: pays the request in `request_file`; writes the payment to `out`.
pub fn pay(dir: &Path, request_file: &Path, out: &Path) -> Result<(), CliError> {
    pay_frame(dir, read(request_file)?, out)
}

/// Payer: pays the request an `offlinecash:R…` or `C…` URI carries (a scanned QR code, a link).
pub fn pay_uri(dir: &Path, uri: &str, out: &Path) -> Result<(), CliError> {
    let request = offline_cash_core::qr::request_frame_from_uri(uri).map_err(WalletError::from)?;
    pay_frame(dir, request, out)
}

fn pay_frame(dir: &Path, request: Vec<u8>, out: &Path) -> Result<(), CliError> {
    let wallet = open(dir)?;
    let mut session = wallet.pay();
    // A file or a scanned code is one-way: a compact request naming a certificate this wallet
    // does not hold is refused (`unknown_certificate`), not answered with a poll.
    let payment = session
        .handle_one_way_request(&request, unix_now())?
        .ok_or_else(|| CliError::input("the request produced no payment"))?;
    let hash = session.payment().ok_or_else(|| CliError::input("no payment was committed"))?;
    write(&dir.join(SENT).join(hex::encode(hash)), &request)?;
    write(out, &payment)?;
    let b = wallet.balance()?;
    println!(
        "payment {} written to {} ({} B); pending {} until the receipt (`wallet complete`)",
        &hex::encode(hash)[..16],
        out.display(),
        payment.len(),
        thousands(b.pending)
    );
    Ok(())
}

/// Payee: verifies and stores the payment in `payment_file`; writes the receipt. Returns the
/// amount received.
pub fn accept(dir: &Path, payment_file: &Path, out: &Path) -> Result<u64, CliError> {
    let wallet = open(dir)?;
    let payment = read(payment_file)?;
    if let Some(receipt) = wallet.stored_receipt(&payment, unix_now())? {
        write(out, &receipt)?;
        println!("already accepted: the stored receipt is written to {} (nothing credited again)", out.display());
        return Ok(0);
    }
    let nonce = payment_nonce(&payment)?;
    let saved_path: PathBuf = dir.join(REQUESTS).join(hex::encode(nonce));
    let saved = SavedRequest::from_bytes(&read(&saved_path).map_err(|_| {
        CliError::input("this payment answers no open request of this wallet (already accepted, or not ours)")
    })?)?;
    let mut session = wallet.resume_request(&saved, unix_now())?;
    let receipt = session.handle_frame(&payment, unix_now())?.ok_or_else(|| CliError::input("no receipt produced"))?;
    write(out, &receipt)?;
    let _ = std::fs::remove_file(&saved_path);
    println!(
        "accepted {}; receipt written to {}; spendable {}",
        thousands(saved.amount),
        out.display(),
        thousands(wallet.balance()?.spendable)
    );
    Ok(saved.amount)
}

/// Payer: completes the pending payment the receipt in `receipt_file` acknowledges.
pub fn complete(dir: &Path, receipt_file: &Path) -> Result<(), CliError> {
    let wallet = open(dir)?;
    let receipt = read(receipt_file)?;
    let hash = match Frame::decode(&receipt) {
        Ok(Frame::Receipt(r)) => r.body().payment_hash,
        _ => return Err(CliError::input(format!("{} is not a clear receipt frame", receipt_file.display()))),
    };
    if !wallet.pending_payments()?.iter().any(|p| p.payment_hash == hash) {
        println!("payment {} is not pending (already complete, or not this wallet's)", &hex::encode(hash)[..16]);
        return Ok(());
    }
    let sent_path = dir.join(SENT).join(hex::encode(hash));
    let request = read(&sent_path)?;
    // Answering the same request again resends the pending payment (no new signature), which
    // puts the session where the receipt is expected.
    let mut session = wallet.pay();
    let _resent = session.handle_one_way_request(&request, unix_now())?;
    if session.payment() != Some(hash) {
        return Err(WalletError::Misuse {
            detail: "another payment to this payee is pending; complete it first".into(),
        }
        .into());
    }
    session.handle_frame(&receipt, unix_now())?;
    let _ = std::fs::remove_file(&sent_path);
    let b = wallet.balance()?;
    println!("payment {} complete; spendable {}, pending {}", &hex::encode(hash)[..16], b.spendable, b.pending);
    Ok(())
}

/// Runs every check of the wallet's database: SQLite's integrity check, the counters against
/// the notes and the log's hash chain. Prints what it found; an error if any failed.
pub fn check(dir: &Path) -> Result<(), CliError> {
    let wallet = open(dir)?;
    wallet.with_store(|s| s.integrity_check())?;
    println!("sqlite integrity: ok");
    let log = wallet.with_store(|s| s.verify_log())?;
    println!("log: {} entries, hash chain intact", log.len);
    wallet.check()?;
    println!("counters: agree with the notes and spends");
    Ok(())
}

/// Uploads the outbox and installs the issuer's answers.
pub async fn sync(dir: &Path) -> Result<SyncReport, CliError> {
    let wallet = open(dir)?;
    let client = client(dir, &wallet)?;
    let r = wallet.sync(&client, unix_now()).await?;
    match &r.renewal {
        Renewal::NotDue => {}
        Renewal::Renewed { not_after } => println!("certificate renewed: valid until {not_after}"),
        Renewal::Refused { reason, detail } => {
            println!("certificate renewal refused by the issuer ({reason}): {detail}")
        }
    }
    println!(
        "synced: {} batch(es), {} recorded, {} duplicate, {} double spend(s), {} rejected, {} pending settled, {} revoked wallet(s){}",
        r.batches,
        r.accepted,
        r.duplicates,
        r.double_spends,
        r.rejected,
        r.settled_pending,
        r.revoked,
        if r.rollback_detected { "; the issuer saw this wallet roll back" } else { "" }
    );
    for refused in &r.refused {
        eprintln!("refused from the issuer's answer (not installed): {refused}");
    }
    Ok(r)
}
