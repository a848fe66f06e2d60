//! End-to-end settlement over real HTTP: funding, offline payments, syncs in either order,
//! double spends, resent batches, concurrent conflicting syncs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::audit;

use common::{bundle, fund, start, wallet};
use offline_cash_core::sync::{RecordStatus, SyncBatch, SyncClient};
use offline_cash_core::token::{
    CertificateStore, Chain, Rejection, RevocationCheck as _, TrustStore, VerifyContext, verify_bundle,
};

/// Alice pays Bob 300 from a 1000 note; Bob pays Carol 100 from it. Everybody syncs, in
/// the order given; the balances and the audit must not depend on the order.
async fn payments_then_sync(payer_first: bool) {
    let server = start().await;
    let alice = wallet(&server, "alice", 10_000).await;
    let bob = wallet(&server, "bob", 0).await;
    let carol = wallet(&server, "carol", 0).await;
    let notes = fund(&alice, &[1_000, 500]).await;
    assert_eq!(notes.len(), 2);

    let genesis = Chain::genesis(notes[0].clone());
    let (to_bob, alice_change) = alice.pay(&genesis, 1_000, bob.id(), 300);
    let alice_change = alice_change.unwrap();
    let (to_carol, bob_change) = bob.pay(&to_bob, 300, carol.id(), 100);
    let bob_change = bob_change.unwrap();

    let mut alice_batch = alice.batch();
    alice_batch.spent.push(bundle(&[to_bob.clone(), alice_change.clone()], &[&alice]));
    let mut bob_batch = bob.batch();
    bob_batch.spent.push(bundle(std::slice::from_ref(&to_carol), &[&alice, &bob]));
    bob_batch.deposit.push(bundle(&[bob_change], &[&alice, &bob]));
    let mut carol_batch = carol.batch();
    carol_batch.deposit.push(bundle(&[to_carol], &[&alice, &bob]));

    let order: Vec<(&common::Wallet, &SyncBatch)> = if payer_first {
        vec![(&alice, &alice_batch), (&bob, &bob_batch), (&carol, &carol_batch)]
    } else {
        vec![(&carol, &carol_batch), (&bob, &bob_batch), (&alice, &alice_batch)]
    };
    for (w, batch) in order {
        let out = w.client.sync_batch(batch).await.unwrap();
        for r in &out.results {
            assert!(
                matches!(r.status, RecordStatus::Accepted | RecordStatus::Duplicate),
                "unexpected {:?} {:?}",
                r.status,
                r.reason
            );
        }
        assert!(!out.rollback_detected);
    }

    let again = carol.client.sync_batch(&carol.batch()).await.unwrap();
    assert_eq!(again.balance, 100, "carol deposited 100");
    let bob_out = bob.client.sync_batch(&bob.batch()).await.unwrap();
    assert_eq!(bob_out.balance, 200, "bob deposited his change of 200");
    let alice_out = alice.client.sync_batch(&alice.batch()).await.unwrap();
    assert_eq!(alice_out.balance, 8_500, "alice funded 1500 of 10000");

    let a = audit(&server.url()).await;
    assert!(a.balanced && a.accounts_balanced, "{a:?}");
    assert_eq!(a.issued, 1_500);
    assert_eq!(a.deposited, 300);
    assert_eq!(a.held_offline, 1_200, "alice's 700 change and 500 note");
    assert_eq!(a.double_spends, 0);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payer_syncs_first() {
    payments_then_sync(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payees_sync_first() {
    payments_then_sync(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_spend_credits_payees_revokes_cheater() {
    let server = start().await;
    let mallory = wallet(&server, "mallory", 10_000).await;
    let bob = wallet(&server, "bob", 0).await;
    let carol = wallet(&server, "carol", 0).await;
    let dave = wallet(&server, "dave", 0).await;
    let notes = fund(&mallory, &[1_000, 400]).await;
    let genesis = Chain::genesis(notes[0].clone());
    // The same note, spent twice to two payees.
    let (to_bob, _) = mallory.pay(&genesis, 1_000, bob.id(), 400);
    let (to_carol, _) = mallory.pay(&genesis, 1_000, carol.id(), 400);

    let mut b = bob.batch();
    b.deposit.push(bundle(&[to_bob], &[&mallory]));
    let out = bob.client.sync_batch(&b).await.unwrap();
    assert_eq!(out.results[0].status, RecordStatus::Accepted);
    assert_eq!(out.results[0].credited, 400);

    let mut c = carol.batch();
    c.deposit.push(bundle(&[to_carol], &[&mallory]));
    let out = carol.client.sync_batch(&c).await.unwrap();
    assert_eq!(out.results[0].status, RecordStatus::DoubleSpend);
    assert_eq!(out.results[0].credited, 400, "an honest payee within limits is credited");
    assert_eq!(out.balance, 400);

    // The cheater is revoked; a third wallet sees it and refuses the cheater's other note.
    let revs = dave.client.revocations(None).await.unwrap();
    assert!(revs.list.body().contains(&mallory.id()));
    assert!(!revs.list.body().contains(&bob.id()) && !revs.list.body().contains(&carol.id()));
    let (keys, policy) = dave.client.issuer_keys().await.unwrap();
    let trust = TrustStore::with_keys(keys);
    revs.list.verify_issuer(&trust).unwrap();
    assert!(revs.list.is_revoked(&mallory.id()));
    let (to_dave, _) = mallory.pay(&Chain::genesis(notes[1].clone()), 400, dave.id(), 400);
    let known = CertificateStore::new();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let ctx = VerifyContext {
        trust: &trust,
        policy: policy.body(),
        revocations: &revs.list,
        known_certificates: &known,
        now,
        max_clock_skew: 300,
    };
    let err = verify_bundle(&bundle(&[to_dave], &[&mallory]), &ctx).unwrap_err();
    assert_eq!(err, Rejection::Revoked { wallet: mallory.id() });

    // Mallory pays for it: 1400 funded, 400 guaranteed to carol recovered from her account.
    let a = audit(&server.url()).await;
    assert_eq!(a.double_spends, 1);
    assert_eq!(a.recovered_from_cheaters, 400);
    assert!(a.balanced && a.accounts_balanced, "{a:?}");
    // Mallory's own sync still works (it is how evidence arrives) but shows her debit.
    let m = mallory.client.sync_batch(&mallory.batch()).await.unwrap();
    assert_eq!(m.balance, 10_000 - 1_400 - 400);
    // A revoked wallet cannot fund.
    assert!(matches!(
        mallory.client.fund([9; 16], &[10]).await,
        Err(offline_cash_core::sync::SyncError::Refused { status: 403, .. })
    ));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resent_batch_changes_nothing() {
    let server = start().await;
    let alice = wallet(&server, "alice", 5_000).await;
    let bob = wallet(&server, "bob", 0).await;
    let notes = fund(&alice, &[700, 300]).await;
    let (to_bob, _) = alice.pay(&Chain::genesis(notes[0].clone()), 700, bob.id(), 700);
    let (to_bob2, _) = alice.pay(&Chain::genesis(notes[1].clone()), 300, bob.id(), 300);

    let mut batch = bob.batch();
    batch.deposit.push(bundle(std::slice::from_ref(&to_bob), &[&alice]));
    batch.refresh.push(bundle(std::slice::from_ref(&to_bob2), &[&alice]));
    let first = bob.client.sync_batch(&batch).await.unwrap();
    // "The connection dropped": the wallet sends the very same batch again.
    let second = bob.client.sync_batch(&batch).await.unwrap();
    assert_eq!(first.balance, 700);
    assert_eq!(second.balance, 700, "no duplicate credit");
    assert_eq!(first.results.len(), second.results.len());
    for (a, b) in first.results.iter().zip(&second.results) {
        assert_eq!((a.status, a.credited), (b.status, b.credited));
        assert_eq!(a.fresh_notes, b.fresh_notes, "the same fresh notes, not new ones");
    }
    assert_eq!(first.results[1].fresh_notes.len(), 1);
    // Part of it again in a new batch: recognised as duplicates.
    let mut part = bob.batch();
    part.deposit.push(bundle(&[to_bob], &[&alice]));
    let third = bob.client.sync_batch(&part).await.unwrap();
    assert_eq!(third.results[0].status, RecordStatus::Duplicate);
    assert_eq!(third.balance, 700);
    let a = audit(&server.url()).await;
    assert!(a.balanced && a.accounts_balanced, "{a:?}");
    assert_eq!(a.issued, 1_300, "1000 funded + 300 re-issued by the refresh");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_conflicting_syncs_accept_one_child_per_parent() {
    let server = start().await;
    let mallory = wallet(&server, "mallory", 100_000).await;
    let bob = wallet(&server, "bob", 0).await;
    let carol = wallet(&server, "carol", 0).await;
    let rounds = 6;
    let notes = fund(&mallory, &vec![100; rounds]).await;
    let mut bob_batch = bob.batch();
    let mut carol_batch = carol.batch();
    for note in &notes {
        let g = Chain::genesis(note.clone());
        bob_batch.deposit.push(bundle(&[mallory.pay(&g, 100, bob.id(), 100).0], &[&mallory]));
        carol_batch.deposit.push(bundle(&[mallory.pay(&g, 100, carol.id(), 100).0], &[&mallory]));
    }
    let (b, c) = tokio::join!(bob.client.sync_batch(&bob_batch), carol.client.sync_batch(&carol_batch));
    let (b, c) = (b.unwrap(), c.unwrap());
    for (rb, rc) in b.results.iter().zip(&c.results) {
        let statuses = [rb.status, rc.status];
        assert!(
            statuses.contains(&RecordStatus::Accepted) && statuses.contains(&RecordStatus::DoubleSpend),
            "exactly one accepted child per parent: {statuses:?}"
        );
    }
    let a = audit(&server.url()).await;
    assert_eq!(a.double_spends, rounds as u64);
    assert!(a.balanced && a.accounts_balanced, "{a:?}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolled_back_wallet_is_flagged() {
    let server = start().await;
    let alice = wallet(&server, "alice", 0).await;
    let mut batch = SyncBatch::new(5, [5; 32]);
    assert!(!alice.client.sync_batch(&batch).await.unwrap().rollback_detected);
    batch = SyncBatch::new(3, [3; 32]);
    assert!(alice.client.sync_batch(&batch).await.unwrap().rollback_detected, "counter went backwards");
    let metrics = reqwest::get(format!("{}/metrics", server.url())).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("oc_rollbacks_total 1"), "{metrics}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defund_returns_notes_to_the_account() {
    let server = start().await;
    let alice = wallet(&server, "alice", 1_000).await;
    let notes = fund(&alice, &[250, 250]).await;
    let chains: Vec<Chain> = notes.into_iter().map(Chain::genesis).collect();
    let (result, balance) = alice.client.defund(&bundle(&chains, &[])).await.unwrap();
    assert_eq!(result.credited, 500);
    assert_eq!(balance, 1_000);
    let (again, balance) = alice.client.defund(&bundle(&chains, &[])).await.unwrap();
    assert_eq!((again.status, balance), (RecordStatus::Duplicate, 1_000));
    let _ = SyncClient::create_account(&server.url(), "wrong", "x", 1).await.unwrap_err();
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_suite_can_register_sign_requests_and_settle() {
    use offline_cash_core::crypto::Suite;
    let server = start().await;
    let payee = wallet(&server, "payee", 0).await;
    for (i, suite) in Suite::ALL.into_iter().enumerate() {
        let payer = common::wallet_of_suite(&server, &format!("payer-{i}"), 1_000, suite).await;
        assert_eq!(payer.cert.body().public_key.suite(), suite);
        let notes = fund(&payer, &[100]).await;
        let (to_payee, _) = payer.pay(&Chain::genesis(notes[0].clone()), 100, payee.id(), 100);
        let mut batch = payer.batch();
        batch.spent.push(bundle(std::slice::from_ref(&to_payee), &[&payer]));
        let out = payer.client.sync_batch(&batch).await.unwrap();
        assert_eq!(out.results[0].status, RecordStatus::Accepted, "{suite:?}: {:?}", out.results[0].reason);
        let mut deposit = payee.batch();
        deposit.deposit.push(bundle(&[to_payee], &[&payer]));
        let out = payee.client.sync_batch(&deposit).await.unwrap();
        assert_eq!(out.results[0].credited, 100, "{suite:?}");
    }
    let a = audit(&server.url()).await;
    assert!(a.balanced && a.accounts_balanced, "{a:?}");
    assert_eq!(a.deposited, 300);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forked_log_head_is_flagged_too() {
    let server = start().await;
    let alice = wallet(&server, "alice", 0).await;
    assert!(!alice.client.sync_batch(&SyncBatch::new(4, [4; 32])).await.unwrap().rollback_detected);
    assert!(!alice.client.sync_batch(&SyncBatch::new(4, [4; 32])).await.unwrap().rollback_detected, "same state again");
    assert!(!alice.client.sync_batch(&SyncBatch::new(6, [6; 32])).await.unwrap().rollback_detected);
    // Same counter, another head: the wallet forked its log (restored a backup and went on).
    assert!(alice.client.sync_batch(&SyncBatch::new(6, [7; 32])).await.unwrap().rollback_detected);
    // An old head at a new counter.
    assert!(alice.client.sync_batch(&SyncBatch::new(9, [4; 32])).await.unwrap().rollback_detected);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_funding_debits_once_and_returns_the_same_notes() {
    let server = start().await;
    let alice = wallet(&server, "alice", 1_000).await;
    let (first, balance) = alice.client.fund([1; 16], &[300, 200]).await.unwrap();
    let (second, balance_again) = alice.client.fund([1; 16], &[300, 200]).await.unwrap();
    assert_eq!(first, second);
    assert_eq!((balance, balance_again), (500, 500));
    // Over the balance: refused with a typed 402, nothing issued.
    let err = alice.client.fund([2; 16], &[600]).await.unwrap_err();
    assert!(matches!(err, offline_cash_core::sync::SyncError::Refused { status: 402, .. }), "{err}");
    let a = audit(&server.url()).await;
    assert_eq!((a.issued, a.funded), (500, 500));
    server.shutdown().await.unwrap();
}

/// Regression (found by the soak test): an honest wallet that only *received* money between
/// two syncs reports the same spend counter with a new log head; the issuer took that for a
/// fork and flagged the wallet as rolled back. With the log length it tells them apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_longer_log_at_the_same_counter_is_not_a_rollback_but_a_fork_or_a_shorter_log_is() {
    let server = start().await;
    let alice = wallet(&server, "alice", 0).await;
    let batch = |counter: u64, head: u8, len: u64| {
        let mut b = SyncBatch::new(counter, [head; 32]);
        b.log_len = Some(len);
        b
    };
    assert!(!alice.client.sync_batch(&batch(4, 1, 10)).await.unwrap().rollback_detected);
    let received = alice.client.sync_batch(&batch(4, 2, 12)).await.unwrap();
    assert!(!received.rollback_detected, "money received since the last sync is not a rollback");
    let forked = alice.client.sync_batch(&batch(4, 3, 12)).await.unwrap();
    assert!(forked.rollback_detected, "same length, another head: a fork");
    let bob = wallet(&server, "bob", 0).await;
    assert!(!bob.client.sync_batch(&batch(4, 1, 10)).await.unwrap().rollback_detected);
    assert!(bob.client.sync_batch(&batch(4, 9, 8)).await.unwrap().rollback_detected, "a shorter log went back");
    server.shutdown().await.unwrap();
}
