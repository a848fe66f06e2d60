//! Shared pieces of the demo and the simulator: an embedded issuer on 127.0.0.1:0 over a
//! temporary SQLite file, wallets with accounts, and a simulated tap between two of them.
//!
//! ```text
//!  EmbeddedIssuer (axum on 127.0.0.1:0, SQLite in a temp dir)
//!      ▲ HTTP (core::sync::SyncClient)
//!  Person { wallet: core::wallet::Wallet, client }  ──tap()──► core::wallet::tap (simulated NFC)
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite, sha256};
use offline_cash_core::nfc::{CardConfig, FieldConfig, ReaderConfig};
use offline_cash_core::store::{KeyLocation, Store};
use offline_cash_core::sync::SyncClient;
use offline_cash_core::wallet::tap::{CardRole, TapConfig, TapReport, tap};
use offline_cash_core::wallet::{Entropy, Wallet, WalletConfig};
use offline_cash_issuer::http::RunningServer;
use offline_cash_issuer::{IssuerConfig, Server, ServerConfig};

use crate::CliError;

/// The admin token of embedded issuers (they listen on 127.0.0.1 only and live for one run).
pub const ADMIN_TOKEN: &str = "offline-cash-cli-local-admin";

/// A directory removed when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh directory under the system temp dir.
    pub fn new(tag: &str) -> Result<Self, CliError> {
        Self::new_in(&std::env::temp_dir(), tag)
    }

    /// A fresh directory in memory (`/dev/shm`) when the system has one, else under the temp
    /// dir: for the simulator, whose thousands of SQLite commits would otherwise wait on fsync.
    pub fn new_in_memory(tag: &str) -> Result<Self, CliError> {
        let shm = Path::new("/dev/shm");
        Self::new_in(if shm.is_dir() { shm } else { std::path::Path::new("") }, tag).or_else(|_| Self::new(tag))
    }

    fn new_in(base: &Path, tag: &str) -> Result<Self, CliError> {
        let base = if base.as_os_str().is_empty() { std::env::temp_dir() } else { base.to_path_buf() };
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let path = base.join(format!("offline-cash-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| CliError::io(&path, e))?;
        Ok(Self(path))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An issuer served on 127.0.0.1 with a throwaway database.
#[derive(Debug)]
pub struct EmbeddedIssuer {
    /// The running server (its `issuer` field is the embedded `Issuer`).
    pub server: RunningServer,
    /// Holds the database file.
    pub dir: TempDir,
}

impl EmbeddedIssuer {
    /// Starts one; `tune` may change the issuer's configuration.
    pub async fn start(tune: impl FnOnce(&mut IssuerConfig)) -> Result<Self, CliError> {
        let dir = TempDir::new("issuer")?;
        let mut issuer = IssuerConfig::new(dir.path().join("issuer.db"), ADMIN_TOKEN);
        tune(&mut issuer);
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let server = Server::bind(ServerConfig { issuer, listen, max_body_bytes: 16 * 1024 * 1024 }).await?.spawn();
        Ok(Self { server, dir })
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Stops the server.
    pub async fn shutdown(self) -> Result<(), CliError> {
        self.server.shutdown().await?;
        Ok(())
    }
}

/// A person: a wallet and the client of its issuer account.
#[derive(Debug, Clone)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// The wallet.
    pub wallet: Wallet,
    /// Its issuer client.
    pub client: SyncClient,
    /// The account's credential (what a second device of the same person registers with).
    pub credential: String,
}

/// How to create one person.
pub struct NewPerson<'a> {
    /// Issuer URL.
    pub url: &'a str,
    /// Name (also the account's customer reference).
    pub name: &'a str,
    /// Initial online account balance.
    pub account: u64,
    /// The wallet's key.
    pub signer: Arc<dyn Signer>,
    /// Its store (in memory or a file).
    pub store: Store,
    /// Its randomness.
    pub entropy: Box<dyn Entropy>,
}

impl std::fmt::Debug for NewPerson<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPerson").field("name", &self.name).finish_non_exhaustive()
    }
}

impl NewPerson<'_> {
    /// Creates the account, opens the wallet and registers it.
    pub async fn create(self) -> Result<Person, CliError> {
        let account = SyncClient::create_account(self.url, ADMIN_TOKEN, self.name, self.account).await?;
        let credential = account.credential;
        self.register_with(credential).await
    }

    /// Opens the wallet and registers it with the existing account of `credential` (a second
    /// or replacement device of the same person; `account` is ignored).
    pub async fn register_with(self, credential: String) -> Result<Person, CliError> {
        let client = SyncClient::new(self.url, &credential, self.signer.clone())?;
        let wallet = Wallet::from_store(
            self.store,
            self.signer,
            KeyLocation::Hardware(self.name.to_owned()),
            self.entropy,
            WalletConfig::default(),
        )?;
        wallet.register(&client).await?;
        Ok(Person { name: self.name.to_owned(), wallet, client, credential })
    }
}

/// A fresh software key of `suite`.
pub fn new_signer(suite: Suite) -> Result<Arc<dyn Signer>, CliError> {
    Ok(Arc::new(SoftwareSigner::generate(suite)?))
}

/// The P-256 secret scalar derived from `seed` and `name` (the first valid candidate of
/// SHA-256("offline-cash-demo-key" ‖ seed ‖ name ‖ counter)). For reproducible runs and for
/// tests that must know the secret to look for it; never for real wallets.
pub fn seeded_p256_scalar(seed: u64, name: &str) -> [u8; 32] {
    let mut counter = 0u32;
    loop {
        let scalar = sha256(&[b"offline-cash-demo-key", &seed.to_be_bytes(), name.as_bytes(), &counter.to_be_bytes()]);
        if SoftwareSigner::p256_from_scalar(&scalar).is_ok() {
            return scalar;
        }
        counter += 1;
    }
}

/// `name`'s key: derived from `seed` when there is one and `suite` is P-256 (ML-DSA key
/// generation takes no seed here: those keys come from the OS), fresh otherwise.
pub fn signer_for(suite: Suite, seed: Option<u64>, name: &str) -> Result<Arc<dyn Signer>, CliError> {
    match seed {
        Some(seed) if suite == Suite::EcdsaP256 => {
            Ok(Arc::new(SoftwareSigner::p256_from_scalar(&seeded_p256_scalar(seed, name))?))
        }
        _ => new_signer(suite),
    }
}

/// The tap configuration used throughout: phones with extended-length APDUs (both Android
/// HCE and iOS support them), the default link model (424 kbit/s, 8 ms per APDU).
pub fn tap_config(role: CardRole, tear_at_byte: Option<u64>) -> TapConfig {
    TapConfig {
        role,
        field: FieldConfig { reader: ReaderConfig::extended(), tear_at_byte, ..FieldConfig::default() },
        card: CardConfig::extended(),
    }
}

/// `payer` pays `payee` `amount` by one simulated tap.
pub fn tap_pay(
    payer: &Wallet,
    payee: &Wallet,
    amount: u64,
    config: TapConfig,
    now: u64,
) -> Result<TapReport, CliError> {
    Ok(tap_pay_nonce(payer, payee, amount, config, now)?.0)
}

/// As [`tap_pay`], also returning the request's nonce, to present it again after a tear.
pub fn tap_pay_nonce(
    payer: &Wallet,
    payee: &Wallet,
    amount: u64,
    config: TapConfig,
    now: u64,
) -> Result<(TapReport, [u8; 16]), CliError> {
    let request = payee.request_payment(amount, now)?;
    let nonce = request.nonce();
    Ok((tap(payer.pay(), request, config, now)?, nonce))
}

/// Tapping again after a tear: `payee` presents its open request `nonce` again, and `payer`
/// resends the payment it has pending for it (a new request would be refused meanwhile).
pub fn tap_again(
    payer: &Wallet,
    payee: &Wallet,
    nonce: &[u8; 16],
    config: TapConfig,
    now: u64,
) -> Result<TapReport, CliError> {
    let request = payee.request_again(nonce, now)?;
    Ok(tap(payer.pay(), request, config, now)?)
}
