//! Real wallets (`core::wallet`) against the real issuer over HTTP on 127.0.0.1: fund, pay
//! offline through the simulated NFC field, sync in either order, a double spend by a wallet
//! restored from a backup, and the revocation reaching a third wallet.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::nfc::{CardConfig, FieldConfig, ReaderConfig};
use offline_cash_core::store::{KeyLocation, Store};
use offline_cash_core::sync::SyncClient;
use offline_cash_core::wallet::tap::{CardRole, TapConfig, TapReport, tap};
use offline_cash_core::wallet::{OsEntropy, Wallet, WalletConfig, WalletError};

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

struct Party {
    wallet: Wallet,
    client: SyncClient,
}

async fn party(url: &str, name: &str, balance: u64, store: Store, signer: Arc<dyn Signer>) -> Party {
    let account = SyncClient::create_account(url, common::ADMIN, name, balance).await.unwrap();
    let client = SyncClient::new(url, &account.credential, signer.clone()).unwrap();
    let wallet = Wallet::from_store(
        store,
        signer,
        KeyLocation::Hardware(name.into()),
        Box::new(OsEntropy),
        WalletConfig::default(),
    )
    .unwrap();
    wallet.register(&client).await.unwrap();
    Party { wallet, client }
}

async fn in_memory(url: &str, name: &str, balance: u64) -> Party {
    let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    party(url, name, balance, Store::open_in_memory().unwrap(), signer).await
}

fn pay(payer: &Party, payee: &Party, amount: u64) -> TapReport {
    let cfg = TapConfig {
        role: CardRole::PayeeIsCard,
        field: FieldConfig { reader: ReaderConfig::extended(), ..FieldConfig::default() },
        card: CardConfig::extended(),
    };
    let request = payee.wallet.request_payment(amount, now()).unwrap();
    tap(payer.wallet.pay(), request, cfg, now()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fund_pay_offline_and_settle_in_either_order() {
    let server = common::start().await;
    let url = server.url();
    let alice = in_memory(&url, "alice", 10_000).await;
    let bob = in_memory(&url, "bob", 0).await;
    let carol = in_memory(&url, "carol", 0).await;
    assert_eq!(alice.wallet.fund(&alice.client, &[1_000], now()).await.unwrap(), 1_000);

    // Offline: Alice pays Bob, Bob pays Carol with what he received; one tap to Carol torn.
    assert!(pay(&alice, &bob, 300).payer_complete);
    assert!(pay(&bob, &carol, 100).payer_complete);
    let mut cfg_torn = FieldConfig { reader: ReaderConfig::extended(), ..FieldConfig::default() };
    cfg_torn.tear_at_byte = Some(900);
    let request = carol.wallet.request_payment(50, now()).unwrap();
    let torn = tap(
        alice.wallet.pay(),
        request,
        TapConfig { role: CardRole::PayeeIsCard, field: cfg_torn, card: CardConfig::extended() },
        now(),
    )
    .unwrap();
    assert!(torn.torn);
    assert_eq!(alice.wallet.balance().unwrap().pending, 50, "the payment left before the tear");

    // Back online, in an order where the payee syncs before the payer and the other way round.
    let carol_report = carol.wallet.sync(&carol.client, now()).await.unwrap();
    let alice_report = alice.wallet.sync(&alice.client, now()).await.unwrap();
    let bob_report = bob.wallet.sync(&bob.client, now()).await.unwrap();
    assert_eq!(alice_report.double_spends + bob_report.double_spends + carol_report.double_spends, 0);
    // The torn payment never reached Carol, but the issuer recorded Alice's link: settled.
    assert_eq!(alice_report.settled_pending, 1);
    let a = alice.wallet.balance().unwrap();
    assert_eq!((a.spendable, a.pending), (650, 0));
    assert_eq!(bob.wallet.balance().unwrap().spendable, 200);
    assert_eq!(carol.wallet.balance().unwrap().spendable, 100);

    // Syncing again changes nothing.
    let again = alice.wallet.sync(&alice.client, now()).await.unwrap();
    assert_eq!((again.accepted, again.double_spends), (0, 0));
    let audit = server.issuer.audit().unwrap();
    assert!(audit.balanced, "{audit:?}");
    assert_eq!(audit.issued, 1_000);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sharing_another_clients_connections_acts_for_its_own_wallet_and_account() {
    let server = common::start().await;
    let url = server.url();
    let alice = in_memory(&url, "alice", 10_000).await;
    let bob_account = SyncClient::create_account(&url, common::ADMIN, "bob", 2_000).await.unwrap();
    let bob_signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    let bob_client = alice.client.for_wallet(&bob_account.credential, bob_signer.clone());
    let bob_wallet = Wallet::from_store(
        Store::open_in_memory().unwrap(),
        bob_signer,
        KeyLocation::Hardware("bob".into()),
        Box::new(OsEntropy),
        WalletConfig::default(),
    )
    .unwrap();
    assert_eq!(bob_client.wallet_id(), bob_wallet.id());
    assert_ne!(bob_client.wallet_id(), alice.client.wallet_id());
    bob_wallet.register(&bob_client).await.unwrap();
    // Bob's funding comes from Bob's account, and the notes are his.
    let (notes, balance) = bob_client.fund([7; 16], &[500]).await.unwrap();
    assert_eq!(balance, 1_500);
    assert!(notes.iter().all(|n| n.body().owner == bob_wallet.id()));
    assert_eq!(bob_wallet.fund(&bob_client, &[300], now()).await.unwrap(), 300);
    // Alice's client still signs as Alice.
    assert_eq!(alice.wallet.fund(&alice.client, &[1_000], now()).await.unwrap(), 1_000);
    let bob = Party { wallet: bob_wallet, client: bob_client };
    assert!(pay(&alice, &bob, 400).payer_complete);
    alice.wallet.sync(&alice.client, now()).await.unwrap();
    let report = bob.wallet.sync(&bob.client, now()).await.unwrap();
    assert_eq!(report.rejected, 0);
    assert_eq!(bob.wallet.balance().unwrap().total, 700);
    server.shutdown().await.unwrap();
}

fn copy_wallet_file(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
}

/// Mallory: an account of `balance` and a file-backed wallet funded with `notes`, closed (the
/// WAL checkpointed, so the file is a complete backup) and copied, then both files reopened:
/// (the live wallet, its restored backup, their directory, removed by the test at its end).
async fn mallory_and_backup(url: &str, tag: &str, balance: u64, notes: &[u64]) -> (Party, Party, PathBuf) {
    let dir = std::env::temp_dir().join(format!("{tag}-{}-{}", std::process::id(), now()));
    std::fs::create_dir_all(&dir).unwrap();
    let (path, backup) = (dir.join("mallory.db"), dir.join("mallory-backup.db"));
    let key: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    let mallory = party(url, "mallory", balance, Store::open(&path).unwrap(), key.clone()).await;
    mallory.wallet.fund(&mallory.client, notes, now()).await.unwrap();
    let Party { wallet, client } = mallory;
    drop(wallet);
    copy_wallet_file(&path, &backup);
    let reopen = |p: &Path| {
        Wallet::open(
            p,
            key.clone(),
            KeyLocation::Hardware("mallory".into()),
            Box::new(OsEntropy),
            WalletConfig::default(),
        )
        .unwrap()
    };
    (Party { wallet: reopen(&path), client: client.clone() }, Party { wallet: reopen(&backup), client }, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_spend_from_a_restored_backup_is_caught_and_the_revocation_spreads() {
    let server = common::start().await;
    let url = server.url();
    let (mallory, restored, dir) = mallory_and_backup(&url, "oc-ds", 5_000, &[500]).await;

    let erin = in_memory(&url, "erin", 0).await;
    let frank = in_memory(&url, "frank", 0).await;
    let grace = in_memory(&url, "grace", 0).await;
    // The same 500 spent twice, offline: each payee sees a valid chain.
    assert!(pay(&mallory, &erin, 500).payer_complete);
    assert!(pay(&restored, &frank, 500).payer_complete);
    assert_eq!(erin.wallet.balance().unwrap().spendable, 500);
    assert_eq!(frank.wallet.balance().unwrap().spendable, 500);

    let erin_report = erin.wallet.sync(&erin.client, now()).await.unwrap();
    let frank_report = frank.wallet.sync(&frank.client, now()).await.unwrap();
    assert_eq!(erin_report.double_spends, 0, "first seen is accepted");
    assert_eq!(frank_report.double_spends, 1, "second child of the same parent is the double spend");
    assert!(frank_report.revoked >= 1);
    let audit = server.issuer.audit().unwrap();
    assert!(audit.balanced, "{audit:?}");
    // The proof: two links over one parent, both signed by Mallory's key.
    let proofs = server.issuer.double_spend_proofs().unwrap();
    assert_eq!(proofs.len(), 1);
    let proof = &proofs[0];
    let accepted = proof.accepted.as_ref().expect("the first link was settled");
    assert_eq!(accepted.body().parent, proof.conflicting.body().parent);
    assert_ne!(accepted.id(), proof.conflicting.id());
    let key = mallory.wallet.signer().public_key();
    accepted.verify_with(&key).unwrap();
    proof.conflicting.verify_with(&key).unwrap();
    assert_eq!(proof.guaranteed, 500);

    // Grace syncs and learns the revocation; Erin's note now carries a revoked custodian.
    grace.wallet.sync(&grace.client, now()).await.unwrap();
    let refused = pay(&erin, &grace, 500);
    assert!(!refused.payer_complete);
    match refused.payee_error {
        Some(WalletError::Rejected(r)) => assert_eq!(r.code(), "revoked", "{r:?}"),
        other => panic!("expected a revocation rejection, got {other:?}"),
    }
    assert_eq!(grace.wallet.balance().unwrap().total, 0);
    server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression (found by the soak test): a payment made with value received from a double
/// spend, torn before the payee committed it, stayed pending on the honest payer forever,
/// because its record comes back `double_spend` (an ancestor's signer cheated).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_payment_downstream_of_a_double_spend_still_settles() {
    let server = common::start().await;
    let url = server.url();
    let (mallory, restored, dir) = mallory_and_backup(&url, "oc-ds2", 5_000, &[500]).await;
    let erin = in_memory(&url, "erin", 0).await;
    let frank = in_memory(&url, "frank", 0).await;
    let grace = in_memory(&url, "grace", 0).await;
    assert!(pay(&mallory, &erin, 500).payer_complete);
    assert!(pay(&restored, &frank, 500).payer_complete);
    // Erin settles first: Mallory's link to Erin is the one recorded.
    erin.wallet.sync(&erin.client, now()).await.unwrap();

    // Frank pays Grace with the double-spent value; the tap tears after the payment left.
    let mut field = FieldConfig { reader: ReaderConfig::extended(), ..FieldConfig::default() };
    field.tear_at_byte = Some(900);
    let request = grace.wallet.request_payment(200, now()).unwrap();
    let cfg = TapConfig { role: CardRole::PayeeIsCard, field, card: CardConfig::extended() };
    let torn = tap(frank.wallet.pay(), request, cfg, now()).unwrap();
    assert!(torn.torn && torn.payee_received.is_none());
    assert_eq!(frank.wallet.balance().unwrap().pending, 200, "the payment left before the tear");

    let report = frank.wallet.sync(&frank.client, now()).await.unwrap();
    assert!(report.double_spends >= 1, "{report:?}");
    let b = frank.wallet.balance().unwrap();
    assert_eq!((b.pending, b.spendable), (0, 300), "the pending spend settles: {report:?}");
    assert!(server.issuer.audit().unwrap().balanced);
    server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The wallet checks the holding limit before it asks the issuer to fund it: the issuer only
/// knows the notes it settled, the wallet also counts a payment received offline since. So a
/// funding the issuer would allow is refused by the wallet, and the account is not debited for
/// notes the wallet would then hold over its limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_refuses_a_funding_that_would_pass_its_holding_limit_before_the_account_is_debited() {
    let server = common::start().await;
    let url = server.url();
    let alice = in_memory(&url, "alice", 500_000).await;
    let bob = in_memory(&url, "bob", 100_000).await;
    assert_eq!(alice.wallet.fund(&alice.client, &[50_000, 50_000, 50_000], now()).await.unwrap(), 150_000);
    assert_eq!(bob.wallet.fund(&bob.client, &[40_000], now()).await.unwrap(), 40_000);
    assert!(pay(&bob, &alice, 40_000).payer_complete);
    assert_eq!(alice.wallet.balance().unwrap().spendable, 190_000);

    let err = alice.wallet.fund(&alice.client, &[20_000], now()).await.unwrap_err();
    assert!(matches!(err, WalletError::Limit(_)), "{err:?}");
    assert_eq!(alice.wallet.balance().unwrap().spendable, 190_000);
    let audit = common::audit(&url).await;
    assert_eq!(audit.funded, 190_000, "the issuer was not asked: {audit:?}");
    assert_eq!(alice.wallet.fund(&alice.client, &[10_000], now()).await.unwrap(), 10_000, "up to the limit");
    server.shutdown().await.unwrap();
}

/// A wallet synced, backed up, paid, was restored and paid again with *another* note before
/// syncing: no double spend, and its reported counter and log both moved past the last synced
/// state, so neither looks like a rollback. The two links carrying one spend counter do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_wallet_that_moved_past_its_last_sync_is_caught_by_its_reused_counter() {
    let server = common::start().await;
    let url = server.url();
    let dir = std::env::temp_dir().join(format!("oc-rb-{}-{}", std::process::id(), now()));
    std::fs::create_dir_all(&dir).unwrap();
    let (path, backup) = (dir.join("mallory.db"), dir.join("mallory-backup.db"));
    let key: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    let mallory = party(&url, "mallory", 5_000, Store::open(&path).unwrap(), key.clone()).await;
    mallory.wallet.fund(&mallory.client, &[600, 400], now()).await.unwrap();
    assert!(!mallory.wallet.sync(&mallory.client, now()).await.unwrap().rollback_detected);
    let Party { wallet, client } = mallory;
    drop(wallet);
    copy_wallet_file(&path, &backup);
    let reopen = |p: &Path| {
        Wallet::open(
            p,
            key.clone(),
            KeyLocation::Hardware("mallory".into()),
            Box::new(OsEntropy),
            WalletConfig::default(),
        )
        .unwrap()
    };
    let erin = in_memory(&url, "erin", 0).await;
    let frank = in_memory(&url, "frank", 0).await;
    {
        let mallory = Party { wallet: reopen(&path), client: client.clone() };
        assert!(pay(&mallory, &erin, 600).payer_complete);
    }
    // The phone is restored from the backup and pays on, from the other note.
    let restored = Party { wallet: reopen(&backup), client };
    assert!(pay(&restored, &frank, 400).payer_complete);

    assert!(!erin.wallet.sync(&erin.client, now()).await.unwrap().rollback_detected);
    let report = restored.wallet.sync(&restored.client, now()).await.unwrap();
    assert_eq!(report.double_spends, 0, "different notes: no double spend to see");
    assert!(report.rollback_detected, "the spend counter of its link was already used: {report:?}");
    let proofs = server.issuer.counter_reuse_proofs().unwrap();
    assert_eq!(proofs.len(), 1);
    proofs[0].first.verify_with(&key.public_key()).unwrap();
    proofs[0].second.verify_with(&key.public_key()).unwrap();
    assert!(!frank.wallet.sync(&frank.client, now()).await.unwrap().rollback_detected, "the payees are not blamed");
    server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The soak's failure of session 11, with real wallets (decision 0023). Mallory's first spend of
/// her 4,000 note pays Erin 1,000 in a tap that tears after the payment left, so Erin never
/// holds it. Mallory syncs, and the issuer settles that link to Erin's name. Mallory's restored
/// backup then pays Erin 3,000 from the same note. Erin cannot tell and accepts. At her sync the
/// issuer guarantees the 3,000: her wallet refreshes it into fresh notes she can pay with, and
/// Mallory's account pays for it. Before 0023, Erin kept a 3,000 note the issuer never
/// created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payee_whose_first_payment_tore_is_guaranteed_the_restored_backups_payment() {
    let server = common::start().await;
    let url = server.url();
    let (mallory, restored, dir) = mallory_and_backup(&url, "oc-ds3", 10_000, &[4_000]).await;
    let erin = in_memory(&url, "erin", 0).await;

    let mut field = FieldConfig { reader: ReaderConfig::extended(), ..FieldConfig::default() };
    field.tear_at_byte = Some(700);
    let request = erin.wallet.request_payment(1_000, now()).unwrap();
    let cfg = TapConfig { role: CardRole::PayeeIsCard, field, card: CardConfig::extended() };
    let torn = tap(mallory.wallet.pay(), request, cfg, now()).unwrap();
    assert!(torn.torn && torn.payee_received.is_none(), "{torn:?}");
    assert_eq!(mallory.wallet.balance().unwrap().pending, 1_000, "the payment left before the tear");
    mallory.wallet.sync(&mallory.client, now()).await.unwrap();
    assert_eq!(erin.wallet.balance().unwrap().spendable, 0, "Erin never held the first payment");

    assert!(pay(&restored, &erin, 3_000).payee_received.is_some(), "Erin cannot tell");
    let report = erin.wallet.sync(&erin.client, now()).await.unwrap();
    assert!(report.double_spends >= 1, "{report:?}");
    let detail = erin.wallet.balance_detail(now()).unwrap();
    assert_eq!((detail.total, detail.spendable_now), (3_000, 3_000), "guaranteed and payable again: {detail:?}");
    assert!(detail.waiting.is_empty(), "{detail:?}");

    let audit = server.issuer.audit().unwrap();
    // Recovered from Mallory's account: it had the 3,000.
    assert_eq!((audit.guaranteed, audit.recovered_from_cheaters, audit.issuer_loss), (3_000, 3_000, 0), "{audit:?}");
    assert!(audit.balanced && audit.accounts_balanced, "{audit:?}");
    server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
