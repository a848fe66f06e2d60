//! Value never freezes (issue 15): real wallets (`core::wallet`) against the real issuer over
//! HTTP. Each test is one of the freezes users met, tried as a user would: it fails without
//! the refresh, deposit and defund flows and the automatic refresh inside `sync`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::Arc;

use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::nfc::{CardConfig, FieldConfig, ReaderConfig};
use offline_cash_core::store::{KeyLocation, LogKind, Store};
use offline_cash_core::sync::SyncClient;
use offline_cash_core::wallet::refresh::RefreshReason;
use offline_cash_core::wallet::tap::{CardRole, TapConfig, TapReport, tap};
use offline_cash_core::wallet::{OsEntropy, Wallet, WalletConfig};

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

fn pay_at(payer: &Party, payee: &Party, amount: u64, at: u64) -> TapReport {
    let cfg = TapConfig {
        role: CardRole::PayeeIsCard,
        field: FieldConfig { reader: ReaderConfig::extended(), ..FieldConfig::default() },
        card: CardConfig::extended(),
    };
    let request = payee.wallet.request_payment(amount, at).unwrap();
    tap(payer.wallet.pay(), request, cfg, at).unwrap()
}

fn pay(payer: &Party, payee: &Party, amount: u64) -> TapReport {
    pay_at(payer, payee, amount, now())
}

fn assert_paid(report: &TapReport, what: &str) {
    assert!(report.payer_complete, "{what}: payer {:?}, payee {:?}", report.payer_error, report.payee_error);
}

/// Freeze 1: one funded note paid out 1 at a time stopped after `max_chain_depth` payments
/// (`insufficient funds: 1 needed, 0 spendable` with 19,968 held). Syncing now and then, the
/// wallet refreshes its change note before it gets too deep and keeps paying.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_funded_note_pays_one_at_a_time_far_past_the_chain_depth_limit() {
    let server = common::start().await;
    let url = server.url();
    let alice = in_memory(&url, "alice", 100_000).await;
    let bob = in_memory(&url, "bob", 0).await;
    alice.wallet.fund(&alice.client, &[20_000], now()).await.unwrap();
    let depth = server.issuer.policy().body().max_chain_depth;
    let payments = 2 * depth + 8;
    let mut refreshed = 0;
    for i in 0..payments {
        assert_paid(&pay(&alice, &bob, 1), &format!("payment {i}"));
        if i % 10 == 9 {
            let report = alice.wallet.sync(&alice.client, now()).await.unwrap();
            refreshed += report.flows.iter().filter(|f| f.done > 0).count();
        }
    }
    assert!(refreshed >= 1, "the change note was refreshed");
    let b = alice.wallet.balance().unwrap();
    assert_eq!(b.spendable, 20_000 - u64::from(payments));
    assert_eq!(bob.wallet.balance().unwrap().spendable, u64::from(payments));
    alice.wallet.check().unwrap();
    bob.wallet.sync(&bob.client, now()).await.unwrap();
    alice.wallet.sync(&alice.client, now()).await.unwrap();
    assert!(server.issuer.audit().unwrap().balanced);
    server.shutdown().await.unwrap();
}

/// Freeze 2: 70 received notes of 1 could not pay 70 (a payment carries at most 64 notes).
/// The next sync consolidates them into a few fresh notes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seventy_received_notes_of_one_pay_seventy_after_a_sync() {
    let server = common::start().await;
    let url = server.url();
    let alice = in_memory(&url, "alice", 100_000).await;
    let bob = in_memory(&url, "bob", 0).await;
    let carol = in_memory(&url, "carol", 0).await;
    alice.wallet.fund(&alice.client, &[1; 35], now()).await.unwrap();
    alice.wallet.fund(&alice.client, &[1; 35], now()).await.unwrap();
    for i in 0..70 {
        assert_paid(&pay(&alice, &bob, 1), &format!("payment {i}"));
    }
    assert_eq!(bob.wallet.balance().unwrap().spendable, 70);
    let due = bob.wallet.refresh_due(now()).unwrap();
    assert_eq!(due.len(), 70);
    assert!(due.iter().all(|d| d.reason == RefreshReason::Consolidation), "{due:?}");
    let report = bob.wallet.sync(&bob.client, now()).await.unwrap();
    assert_eq!(report.flows.len(), 1, "{report:?}");
    assert_eq!((report.flows[0].done, report.flows[0].returned), (70, 0));
    let b = bob.wallet.balance().unwrap();
    assert_eq!((b.spendable, b.refreshing, b.total), (70, 0, 70));
    // 64 + 6 notes in two records: 50 + 10 + 2 + 2 and 5 + 1.
    assert_eq!(bob.wallet.with_store(|s| s.unspent_notes().unwrap().len()), 6);
    assert_paid(&pay(&bob, &carol, 70), "seventy at once");
    assert_eq!(carol.wallet.balance().unwrap().spendable, 70);
    bob.wallet.check().unwrap();
    // The log holds the flow: started, then refreshed.
    let page = bob.wallet.history(offline_cash_core::store::HistoryFilter::All, None, 1_000).unwrap();
    let kinds: Vec<LogKind> = page.entries.iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&LogKind::FlowStarted) && kinds.contains(&LogKind::Refreshed), "{kinds:?}");
    assert!(server.issuer.audit().unwrap().balanced);
    server.shutdown().await.unwrap();
}

/// Freeze 3: notes received from a payer revoked later, and the outputs the issuer guaranteed
/// to the victims of its double spend, could not be spent offline again (every payee refuses
/// a chain with a revoked custodian). The next sync refreshes them into clean notes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_from_a_payer_revoked_later_and_guaranteed_outputs_spend_again_after_a_sync() {
    let server = common::start().await;
    let url = server.url();
    let dir = std::env::temp_dir().join(format!("oc-flows-{}-{}", std::process::id(), now()));
    std::fs::create_dir_all(&dir).unwrap();
    let (path, backup) = (dir.join("mallory.db"), dir.join("mallory-backup.db"));
    let key: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    let mallory = party(&url, "mallory", 5_000, Store::open(&path).unwrap(), key.clone()).await;
    mallory.wallet.fund(&mallory.client, &[500], now()).await.unwrap();
    let Party { wallet, client } = mallory;
    drop(wallet);
    std::fs::copy(&path, &backup).unwrap();
    let reopen = |p: &Path| {
        Wallet::open(p, key.clone(), KeyLocation::Hardware("m".into()), Box::new(OsEntropy), WalletConfig::default())
            .unwrap()
    };
    let mallory = Party { wallet: reopen(&path), client: client.clone() };
    let restored = Party { wallet: reopen(&backup), client };
    let erin = in_memory(&url, "erin", 0).await;
    let frank = in_memory(&url, "frank", 0).await;
    let grace = in_memory(&url, "grace", 0).await;
    assert_paid(&pay(&mallory, &erin, 500), "mallory pays erin");
    assert_paid(&pay(&restored, &frank, 500), "the restored copy pays frank the same note");
    // Erin's link is settled first; Frank's is the double spend, guaranteed by the issuer.
    erin.wallet.sync(&erin.client, now()).await.unwrap();
    let frank_report = frank.wallet.sync(&frank.client, now()).await.unwrap();
    assert_eq!(frank_report.double_spends, 1);
    grace.wallet.sync(&grace.client, now()).await.unwrap();
    // Erin learns the revocation at her next sync and refreshes the note she got from Mallory;
    // Frank refreshed his guaranteed output already (his sync installed the revocation).
    let erin_report = erin.wallet.sync(&erin.client, now()).await.unwrap();
    let done = |r: &offline_cash_core::wallet::sync::SyncReport| r.flows.iter().map(|f| f.done).sum::<u64>();
    assert_eq!(done(&erin_report), 500, "{erin_report:?}");
    assert_eq!(done(&frank_report), 500, "{frank_report:?}");
    assert_paid(&pay(&erin, &grace, 500), "erin pays grace with the refreshed value");
    assert_paid(&pay(&frank, &grace, 500), "frank pays grace with his refreshed guaranteed output");
    assert_eq!(grace.wallet.balance().unwrap().spendable, 1_000);
    assert!(server.issuer.audit().unwrap().balanced);
    server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Freeze 4: notes expired silently. A sync within the policy's refresh window before expiry
/// refreshes them into notes with a new expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_near_expiry_are_refreshed_at_sync_not_left_to_expire() {
    let server = common::start().await;
    let url = server.url();
    let alice = in_memory(&url, "alice", 100_000).await;
    alice.wallet.fund(&alice.client, &[700, 300], now()).await.unwrap();
    let expires = alice.wallet.with_store(|s| s.unspent_notes().unwrap()[0].expires_at);
    let window = server.issuer.policy().body().refresh.expiry_window;
    // Nothing is due a day after funding.
    assert!(alice.wallet.refresh_due(now() + 86_400).unwrap().is_empty());
    // The wallet's clock is within the window before expiry; the issuer's clock is today's, so
    // the fresh notes expire a full validity from now: later than the old ones.
    let late = expires - window / 2;
    let due = alice.wallet.refresh_due(late).unwrap();
    assert_eq!(due.len(), 2);
    assert!(due.iter().all(|d| d.reason == RefreshReason::NearExpiry), "{due:?}");
    let report = alice.wallet.refresh(&alice.client, late).await.unwrap().unwrap();
    assert_eq!((report.done, report.returned), (1_000, 0));
    let notes = alice.wallet.with_store(|s| s.unspent_notes().unwrap());
    assert_eq!(notes.iter().map(|n| n.amount).sum::<u64>(), 1_000);
    assert!(notes.iter().all(|n| n.expires_at >= expires && n.depth == 0), "{notes:?}");
    alice.wallet.check().unwrap();
    assert!(server.issuer.audit().unwrap().balanced);
    server.shutdown().await.unwrap();
}

/// Deposit and defund: value goes to the account once, never counted twice on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defund_moves_an_amount_to_the_account_splitting_a_note_at_the_issuer() {
    let server = common::start().await;
    let url = server.url();
    let alice = in_memory(&url, "alice", 10_000).await;
    alice.wallet.fund(&alice.client, &[1_000], now()).await.unwrap();
    let report = alice.wallet.defund(&alice.client, 300, now()).await.unwrap();
    assert_eq!((report.done, report.returned), (300, 0));
    let b = alice.wallet.balance().unwrap();
    assert_eq!((b.spendable, b.depositing, b.total), (700, 0, 700));
    alice.wallet.check().unwrap();
    assert_eq!(report.account_balance, 10_000 - 1_000 + 300);
    // Deposit the rest by notes.
    let ids: Vec<_> = alice.wallet.with_store(|s| s.unspent_notes().unwrap()).iter().map(|n| n.id).collect();
    let report = alice.wallet.deposit(&alice.client, &ids, now()).await.unwrap();
    assert_eq!((report.done, report.account_balance), (700, 10_000));
    assert_eq!(alice.wallet.balance().unwrap().total, 0);
    alice.wallet.check().unwrap();
    assert!(server.issuer.audit().unwrap().balanced);
    server.shutdown().await.unwrap();
}

/// Target of issue 15: a wallet pays 1,000 times out of one funded note, syncing now and then
/// (far more often than once per certificate window), and never meets "insufficient funds"
/// while its spendable balance covers the amount.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_payments_out_of_one_funded_note_never_meet_insufficient_funds() {
    let server = common::start().await;
    let url = server.url();
    let alice = in_memory(&url, "alice", 100_000).await;
    let shops =
        [in_memory(&url, "bakery", 0).await, in_memory(&url, "bus", 0).await, in_memory(&url, "canteen", 0).await];
    alice.wallet.fund(&alice.client, &[40_000], now()).await.unwrap();
    let mut paid = 0u64;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for i in 0..1_000u32 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let amount = 1 + rng % 60;
        let shop = &shops[(rng % 3) as usize];
        let before = alice.wallet.balance().unwrap().spendable;
        assert!(before >= amount, "the test spends less than it funded");
        assert_paid(&pay(&alice, shop, amount), &format!("payment {i} of {amount} with {before} spendable"));
        paid += amount;
        if i % 25 == 24 {
            alice.wallet.sync(&alice.client, now()).await.unwrap();
        }
        if i % 100 == 99 {
            for shop in &shops {
                shop.wallet.sync(&shop.client, now()).await.unwrap();
            }
        }
    }
    assert_eq!(alice.wallet.balance().unwrap().total, 40_000 - paid);
    alice.wallet.check().unwrap();
    alice.wallet.sync(&alice.client, now()).await.unwrap();
    assert!(server.issuer.audit().unwrap().balanced);
    server.shutdown().await.unwrap();
}
