//! The real issuer over HTTP on 127.0.0.1 with one virtual clock (anchored at `testkit::T0`,
//! moved by the test) shared by the issuer, the wallets and their clients; restartable on the
//! same address (an administrator's offline step, such as a key rotation, in between).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::nfc::{CardConfig, FieldConfig, ReaderConfig};
use offline_cash_core::store::{KeyLocation, Store};
use offline_cash_core::sync::SyncClient;
use offline_cash_core::testkit::T0;
use offline_cash_core::wallet::sync::SyncReport;
use offline_cash_core::wallet::tap::{CardRole, TapConfig, TapReport, tap};
use offline_cash_core::wallet::{OsEntropy, Wallet, WalletConfig};
use offline_cash_issuer::http::RunningServer;
use offline_cash_issuer::store::Backend;
use offline_cash_issuer::{IssuerConfig, Server, ServerConfig};

pub const DAY: u64 = 86_400;

/// The issuer and everyone's clock.
pub struct World {
    pub db: PathBuf,
    /// The PostgreSQL database when the tests run on it (common::backend).
    pub database_url: Option<String>,
    listen: SocketAddr,
    server: Option<RunningServer>,
    clock: Arc<AtomicU64>,
    /// Applied to the issuer's configuration at every (re)start.
    pub configure: Arc<dyn Fn(&mut IssuerConfig) + Send + Sync>,
}

/// A wallet, its client and its account's credential.
pub struct Party {
    pub name: String,
    pub wallet: Wallet,
    pub client: SyncClient,
    pub credential: String,
}

impl World {
    pub async fn start() -> Self {
        Self::start_configured(|_| {}).await
    }

    /// [`World::start`] with `configure` applied to the issuer's configuration.
    pub async fn start_configured(configure: impl Fn(&mut IssuerConfig) + Send + Sync + 'static) -> Self {
        let mut world = World {
            db: super::temp_db(),
            database_url: super::backend::database_url(),
            listen: "127.0.0.1:0".parse().unwrap(),
            server: None,
            clock: Arc::new(AtomicU64::new(T0)),
            configure: Arc::new(configure),
        };
        world.serve().await;
        world
    }

    async fn serve(&mut self) {
        let mut issuer = IssuerConfig::new(&self.db, super::ADMIN);
        issuer.database_url = self.database_url.clone();
        issuer.rate_limit = None;
        (self.configure)(&mut issuer);
        let config = ServerConfig { issuer, listen: self.listen, max_body_bytes: 8 << 20 };
        let read = self.clock.clone();
        let server =
            Server::bind_with_clock(config, Arc::new(move || read.load(Ordering::SeqCst))).await.unwrap().spawn();
        self.listen = server.url().trim_start_matches("http://").parse().unwrap();
        self.server = Some(server);
    }

    /// Stops the server, runs `offline` on its database (off the async thread: a PostgreSQL
    /// client blocks), and serves again on the same address.
    pub async fn restart_with<T: Send>(&mut self, offline: impl FnOnce(&Backend, u64) -> T + Send) -> T {
        self.server.take().unwrap().shutdown().await.unwrap();
        let (db, url, now) = (&self.db, self.database_url.as_deref(), self.now());
        let out =
            std::thread::scope(|s| s.spawn(move || offline(&Backend::open(db, url).unwrap(), now)).join().unwrap());
        self.serve().await;
        out
    }

    pub fn server(&self) -> &RunningServer {
        self.server.as_ref().unwrap()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.listen)
    }

    pub fn now(&self) -> u64 {
        self.clock.load(Ordering::SeqCst)
    }

    /// The world's clock, for clients made by a test.
    pub fn clock(&self) -> Arc<dyn Fn() -> u64 + Send + Sync> {
        let read = self.clock.clone();
        Arc::new(move || read.load(Ordering::SeqCst))
    }

    pub fn set(&self, at: u64) {
        self.clock.store(at, Ordering::SeqCst);
    }

    /// A new account with `balance`; its credential.
    pub async fn account(&self, name: &str, balance: u64) -> String {
        SyncClient::create_account(&self.url(), super::ADMIN, name, balance).await.unwrap().credential
    }

    /// A registered wallet on a new account.
    pub async fn party(&self, name: &str, balance: u64) -> Party {
        let credential = self.account(name, balance).await;
        self.phone(name, &credential).await
    }

    /// A registered wallet on the account of `credential` (a second or replacement device).
    pub async fn phone(&self, name: &str, credential: &str) -> Party {
        let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
        let read = self.clock.clone();
        let client = SyncClient::new(&self.url(), credential, signer.clone())
            .unwrap()
            .with_clock(Arc::new(move || read.load(Ordering::SeqCst)));
        let wallet = Wallet::from_store(
            Store::open_in_memory().unwrap(),
            signer,
            KeyLocation::Hardware(name.into()),
            Box::new(OsEntropy),
            WalletConfig::default(),
        )
        .unwrap();
        wallet.register(&client).await.unwrap();
        Party { name: name.into(), wallet, client, credential: credential.to_owned() }
    }

    /// A tap (payee as the card, extended APDUs) at the world's time.
    pub fn try_pay(&self, payer: &Party, payee: &Party, amount: u64) -> TapReport {
        let cfg = TapConfig {
            role: CardRole::PayeeIsCard,
            field: FieldConfig { reader: ReaderConfig::extended(), ..FieldConfig::default() },
            card: CardConfig::extended(),
        };
        let request = payee.wallet.request_payment(amount, self.now()).unwrap();
        tap(payer.wallet.pay(), request, cfg, self.now()).unwrap()
    }

    /// [`World::try_pay`] that must complete on both sides.
    pub fn pay(&self, payer: &Party, payee: &Party, amount: u64) -> TapReport {
        let report = self.try_pay(payer, payee, amount);
        assert!(
            report.payer_complete && report.payee_received.is_some(),
            "{} → {} ({amount}) at T0 + {} s: {:?}",
            payer.name,
            payee.name,
            self.now() - T0,
            report.error()
        );
        report
    }

    pub async fn sync(&self, party: &Party) -> SyncReport {
        party.wallet.sync(&party.client, self.now()).await.unwrap()
    }

    /// A sync whose records all settled (nothing rejected, no double spend, nothing refused).
    pub async fn sync_clean(&self, party: &Party) -> SyncReport {
        let report = self.sync(party).await;
        assert_eq!(
            (report.rejected, report.double_spends, report.refused.len()),
            (0, 0, 0),
            "{}: {report:?}",
            party.name
        );
        report
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.unwrap();
        }
    }
}
