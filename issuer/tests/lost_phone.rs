//! A lost phone, as its owner lives it: reported from another device with the account
//! credential, revoked at once (synced payees refuse it offline), its value back in the account
//! once its offline window has closed, a new phone funded from it, and a payment the lost phone
//! made before the report honoured when its payee settles late, booked to the account.
//! Real issuer over HTTP on 127.0.0.1 with one virtual clock anchored at `testkit::T0`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::nfc::{CardConfig, FieldConfig, ReaderConfig};
use offline_cash_core::reason::Reason;
use offline_cash_core::store::{KeyLocation, Store};
use offline_cash_core::sync::{SyncClient, SyncError};
use offline_cash_core::testkit::T0;
use offline_cash_core::wallet::tap::{CardRole, TapConfig, TapReport, tap};
use offline_cash_core::wallet::{OsEntropy, Wallet, WalletConfig, WalletError};
use offline_cash_issuer::http::RunningServer;
use offline_cash_issuer::{IssuerConfig, Server, ServerConfig};

const DAY: u64 = 86_400;

struct World {
    server: RunningServer,
    clock: Arc<AtomicU64>,
}

struct Phone {
    wallet: Wallet,
    client: SyncClient,
    credential: String,
}

impl World {
    async fn start() -> Self {
        let clock = Arc::new(AtomicU64::new(T0));
        let mut issuer = IssuerConfig::new(common::temp_db(), common::ADMIN);
        issuer.rate_limit = None;
        let config = ServerConfig { issuer, listen: "127.0.0.1:0".parse().unwrap(), max_body_bytes: 8 << 20 };
        let read = clock.clone();
        let server =
            Server::bind_with_clock(config, Arc::new(move || read.load(Ordering::SeqCst))).await.unwrap().spawn();
        World { server, clock }
    }

    fn now(&self) -> u64 {
        self.clock.load(Ordering::SeqCst)
    }

    fn set(&self, at: u64) {
        self.clock.store(at, Ordering::SeqCst);
    }

    async fn account(&self, name: &str, balance: u64) -> String {
        SyncClient::create_account(&self.server.url(), common::ADMIN, name, balance).await.unwrap().credential
    }

    async fn phone(&self, name: &str, credential: &str) -> Phone {
        let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
        let read = self.clock.clone();
        let client = SyncClient::new(&self.server.url(), credential, signer.clone())
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
        Phone { wallet, client, credential: credential.to_owned() }
    }

    fn pay(&self, payer: &Phone, payee: &Phone, amount: u64) -> TapReport {
        let cfg = TapConfig {
            role: CardRole::PayeeIsCard,
            field: FieldConfig { reader: ReaderConfig::extended(), ..FieldConfig::default() },
            card: CardConfig::extended(),
        };
        let request = payee.wallet.request_payment(amount, self.now()).unwrap();
        tap(payer.wallet.pay(), request, cfg, self.now()).unwrap()
    }

    async fn sync(&self, phone: &Phone) {
        let report = phone.wallet.sync(&phone.client, self.now()).await.unwrap();
        assert_eq!((report.rejected, report.double_spends), (0, 0), "{report:?}");
    }

    /// The account's balance, read the way its owner can: fund 0 is refused, so ask the audit.
    async fn balances(&self) -> i64 {
        common::audit(&self.server.url()).await.account_balances
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_phone_is_revoked_at_once_and_its_value_returns_after_its_offline_window() {
    let world = World::start().await;
    let url = world.server.url();
    let alice = world.account("alice", 10_000).await;
    let lost = world.phone("alice-phone", &alice).await;
    let bob = world.phone("bob", &world.account("bob", 0).await).await;
    let carol = world.phone("carol", &world.account("carol", 0).await).await;
    let dave = world.phone("dave", &world.account("dave", 0).await).await;
    lost.wallet.fund(&lost.client, &[1_000], world.now()).await.unwrap();
    let start = world.balances().await;

    // Before the loss: Bob is paid and settles at once; Dave is paid and stays offline.
    world.set(T0 + 3_600);
    assert!(world.pay(&lost, &bob, 100).payer_complete);
    world.sync(&bob).await;
    assert!(world.pay(&lost, &dave, 200).payer_complete);

    // Alice reports the phone from her laptop: only the account credential, no phone key.
    world.set(T0 + 2 * 3_600);
    let id = lost.wallet.id();
    let bad = SyncClient::report_lost(&url, &bob.credential, &id).await.unwrap_err();
    assert!(matches!(bad, SyncError::Refused { reason: Reason::UnknownWallet, .. }), "another account: {bad}");
    let report = SyncClient::report_lost(&url, &alice, &id).await.unwrap();
    let not_after = lost.wallet.limits().unwrap().certificate_not_after;
    assert_eq!(report.returns_at, not_after + 30 * DAY, "its last certificate's end plus the settlement window");
    assert_eq!(report.held_known, 900, "the issuer knows of the change of Bob's payment, not of Dave's");
    let again = SyncClient::report_lost(&url, &alice, &id).await.unwrap();
    assert_eq!(again, report, "reporting twice answers the first report");

    // Revoked at once: a payee that syncs refuses the phone offline (a thief's spending stops
    // at every payee that has synced since).
    world.sync(&carol).await;
    let refused = world.pay(&lost, &carol, 50);
    assert!(
        matches!(&refused.payee_error, Some(WalletError::Rejected(r)) if r.reason() == Reason::Revoked),
        "{:?}",
        refused.error()
    );
    // The account is not revoked: a new phone registers (and funds from what the account has).
    let new_phone = world.phone("alice-new-phone", &alice).await;

    // Before the window closes nothing returns; after it, the 900 the issuer knows of does.
    world.set(report.returns_at - 1);
    assert_eq!(world.server.issuer.return_lost().unwrap(), 0);
    world.set(report.returns_at);
    assert_eq!(world.server.issuer.return_lost().unwrap(), 900);
    assert_eq!(world.server.issuer.return_lost().unwrap(), 0, "returned once");
    new_phone.wallet.fund(&new_phone.client, &[900], world.now()).await.unwrap();
    assert_eq!(new_phone.wallet.balance().unwrap().spendable, 900);

    // Dave settles late: his payment is honoured (his notes stay good), booked to Alice's
    // account; the change of it, the lost phone's, returns at the next sweep.
    world.set(report.returns_at + DAY);
    world.sync(&dave).await;
    assert_eq!(dave.wallet.balance().unwrap().spendable, 200);
    assert_eq!(world.server.issuer.return_lost().unwrap(), 700);
    let audit = common::audit(&url).await;
    assert!(audit.balanced && audit.accounts_balanced, "{audit:?}");
    // What the phone paid (100 + 200) is all Alice lost: her account and her new phone hold
    // the rest of the 10 000 she started with.
    assert_eq!(start, 9_000);
    assert_eq!(world.balances().await + 900, 10_000 - 300);
    world.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_needs_the_accounts_credential_and_no_unverified_second_factor() {
    let world = World::start().await;
    let url = world.server.url();
    let alice = world.account("alice", 100).await;
    let phone = world.phone("alice-phone", &alice).await;
    let id = phone.wallet.id();
    let err = SyncClient::report_lost(&url, "not-a-credential", &id).await.unwrap_err();
    assert!(matches!(err, SyncError::Refused { status: 401, reason: Reason::Unauthorized, .. }), "{err}");
    // A second factor this issuer cannot check is refused, never silently ignored.
    let http = reqwest::Client::new();
    let path = offline_cash_core::sync::wire::paths::LOST_WALLET
        .replace("{wallet}", &offline_cash_core::sync::auth::to_hex(&id.0));
    let resp = http
        .post(format!("{url}{path}"))
        .bearer_auth(&alice)
        .json(&serde_json::json!({"second_factor": "123456"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // Nothing was revoked by the refused calls.
    assert!(world.server.issuer.revocations(None).unwrap().added.is_empty());
    let bad_id = http.post(format!("{url}/v1/wallets/zz/lost")).bearer_auth(&alice).send().await.unwrap();
    assert_eq!(bad_id.status(), 400);
    world.server.shutdown().await.unwrap();
}
