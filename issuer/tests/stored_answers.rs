//! The answers the issuer keeps under a sync's idempotency key (decision 0026): the batch's
//! outcome only. The revocation list, the policy and the keys are added when the batch is
//! answered, so a resend gets them as they are then, and the store does not grow by a
//! revocation list per sync.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::{Wallet, bundle, fund, start_sqlite, wallet};
use offline_cash_core::sync::RecordStatus;
use offline_cash_core::token::{Chain, RevocationCheck as _, WalletId};

/// `cheat` spends one note to both `first` and `second`; the second deposit is the double
/// spend that revokes `cheat`.
async fn double_spend(cheat: &Wallet, first: &Wallet, second: &Wallet) {
    let notes = fund(cheat, &[100]).await;
    let genesis = Chain::genesis(notes[0].clone());
    for payee in [first, second] {
        let (to_payee, _) = cheat.pay(&genesis, 100, payee.id(), 100);
        let mut batch = payee.batch();
        batch.deposit.push(bundle(&[to_payee], &[cheat]));
        payee.client.sync_batch(&batch).await.unwrap();
    }
}

/// The `response` column of every answer stored for `wallet`.
fn stored_sync_answers(wallet: WalletId) -> Vec<String> {
    let db = rusqlite::Connection::open(common::last_db()).unwrap();
    let mut stmt = db.prepare("SELECT response FROM batches WHERE wallet = ?1").unwrap();
    stmt.query_map([&wallet.0[..]], |r| r.get::<_, String>(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_gets_its_outcome_with_the_revocations_of_now_and_only_the_outcome_is_stored() {
    let server = start_sqlite().await;
    let (mallory, trudy) = (wallet(&server, "mallory", 1_000).await, wallet(&server, "trudy", 1_000).await);
    let (bob, carol) = (wallet(&server, "bob", 0).await, wallet(&server, "carol", 0).await);
    let dave = wallet(&server, "dave", 0).await;
    let alice = wallet(&server, "alice", 1_000).await;
    double_spend(&mallory, &bob, &carol).await;

    // Alice pays Bob; Bob deposits it, holding no revocation list yet.
    let notes = fund(&alice, &[300]).await;
    let (to_bob, _) = alice.pay(&Chain::genesis(notes[0].clone()), 300, bob.id(), 300);
    let mut batch = bob.batch();
    batch.deposit.push(bundle(&[to_bob], &[&alice]));
    let first = bob.client.sync_batch(&batch).await.unwrap();
    assert_eq!(first.results[0].status, RecordStatus::Accepted);
    let revoked = first.revocations.as_ref().expect("Bob's list is not current").list.clone();
    assert!(revoked.is_revoked(&mallory.id()) && !revoked.is_revoked(&trudy.id()));

    // The store holds the outcome, without the list, the policy or the keys.
    let stored = stored_sync_answers(bob.id());
    let mine: Vec<&String> = stored.iter().filter(|a| a.contains(&hex(&batch.batch_id))).collect();
    assert_eq!(mine.len(), 1, "{stored:?}");
    let json: serde_json::Value = serde_json::from_str(mine[0]).unwrap();
    assert_eq!(json["revocations"], serde_json::Value::Null, "{json}");
    assert_eq!(json["policy"], "", "{json}");
    assert_eq!(json["issuer_keys"], serde_json::json!([]), "{json}");
    assert_eq!(json["results"][0]["credited"], 300, "{json}");
    assert!(mine[0].len() < 1_000, "an outcome of one record is small: {} bytes", mine[0].len());

    // Trudy cheats too; then Bob's answer is lost and he resends the very same batch.
    double_spend(&trudy, &carol, &dave).await;
    let again = bob.client.sync_batch(&batch).await.unwrap();
    assert_eq!(again.balance, first.balance);
    assert_eq!(
        again.results.iter().map(|r| (r.status, r.credited)).collect::<Vec<_>>(),
        first.results.iter().map(|r| (r.status, r.credited)).collect::<Vec<_>>(),
        "the first outcome"
    );
    let now = again.revocations.as_ref().expect("still not current");
    assert!(now.sequence > first.revocations.as_ref().unwrap().sequence);
    assert!(now.list.is_revoked(&mallory.id()) && now.list.is_revoked(&trudy.id()), "the list of now");
    assert_eq!(again.policy.body(), first.policy.body());
    assert_eq!(again.issuer_keys.len(), first.issuer_keys.len());

    // A wallet whose list is current gets none; Bob was credited once (100 from Mallory's
    // first spend, 300 from Alice).
    let mut current = bob.batch();
    current.revocation_sequence = Some(now.sequence);
    let current = bob.client.sync_batch(&current).await.unwrap();
    assert!(current.revocations.is_none());
    assert_eq!((first.balance, current.balance), (400, 400), "settled once");
    server.shutdown().await.unwrap();
}

/// The hex form of a batch id, as the request carries it.
fn hex(id: &[u8; 16]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}
