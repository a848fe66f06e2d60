//! Limits hold across operations, not per request (issue 14, item 7), over real HTTP:
//! - the holding limit bounds what a wallet holds after every funding, not each request;
//! - a customer whose wallet double spent cannot register or fund a fresh wallet until an
//!   administrator reinstates the account (`POST /v1/admin/accounts/{customer_ref}/reinstate`);
//! - a wallet restored from a backup that signs past its last synced state reuses spend
//!   counters: two recorded links with one counter are evidence of a rollback, whoever
//!   uploads them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::atomic::Ordering;

use common::{ADMIN, audit, bundle, fund, reinstate, start, try_wallet_in_account, wallet};
use offline_cash_core::sync::{RecordStatus, SyncError};
use offline_cash_core::token::Chain;

fn refused_with(result: Result<impl std::fmt::Debug, SyncError>, want_status: u16, want_code: &str) {
    match result {
        Err(SyncError::Refused { status, reason, .. }) if status == want_status && reason.name() == want_code => {}
        other => panic!("expected {want_status} {want_code}, got {other:?}"),
    }
}

/// The issuer's holding limit (200 000) bounds the notes a wallet holds after each funding:
/// two fundings each under the limit but together over it are refused the second time, and
/// allowed again once the wallet gave the value back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holding_limit_bounds_what_a_wallet_holds_after_every_funding() {
    let server = start().await;
    let alice = wallet(&server, "alice", 1_000_000).await;
    let bob = wallet(&server, "bob", 0).await;
    let first = fund(&alice, &[50_000, 50_000, 50_000]).await;
    fund(&alice, &[40_000]).await;
    refused_with(alice.client.fund([0xA1; 16], &[10_001]).await, 400, "limit_holding");
    refused_with(alice.client.fund([0xA2; 16], &[5_000, 5_001]).await, 400, "limit_holding");
    let a = audit(&server.url()).await;
    assert_eq!(a.funded, 190_000, "nothing issued by the refused fundings: {a:?}");
    // Up to the limit exactly is fine.
    fund(&alice, &[10_000]).await;
    // Once she paid 50 000 to Bob (and it settled), she may hold that much more.
    let (to_bob, _) = alice.pay(&Chain::genesis(first[0].clone()), 50_000, bob.id(), 50_000);
    let mut batch = alice.batch();
    batch.spent.push(bundle(&[to_bob], &[&alice]));
    assert_eq!(alice.client.sync_batch(&batch).await.unwrap().results[0].status, RecordStatus::Accepted);
    refused_with(alice.client.fund([0xA3; 16], &[50_001]).await, 400, "limit_holding");
    fund(&alice, &[50_000]).await;
    // Bob holds what he received: his own funding counts it.
    refused_with(bob.client.fund([0xB1; 16], &[150_001]).await, 400, "limit_holding");
    server.shutdown().await.unwrap();
}

/// Mallory double spends: her account is revoked with her wallet. A fresh wallet under her
/// credential cannot register, a wallet she registered before cannot fund, until the admin
/// reinstates the account; the cheating wallet itself stays revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_revoked_for_double_spending_needs_an_administrator_to_start_again() {
    let server = start().await;
    let mallory = wallet(&server, "mallory", 10_000).await;
    let spare = try_wallet_in_account(&server, &mallory.credential).await.unwrap();
    let bob = wallet(&server, "bob", 0).await;
    let carol = wallet(&server, "carol", 0).await;
    let notes = fund(&mallory, &[1_000]).await;
    let genesis = Chain::genesis(notes[0].clone());
    let (to_bob, _) = mallory.pay(&genesis, 1_000, bob.id(), 1_000);
    let (to_carol, _) = mallory.pay(&genesis, 1_000, carol.id(), 1_000);
    let mut b = bob.batch();
    b.deposit.push(bundle(&[to_bob], &[&mallory]));
    bob.client.sync_batch(&b).await.unwrap();
    let mut c = carol.batch();
    c.deposit.push(bundle(&[to_carol], &[&mallory]));
    assert_eq!(carol.client.sync_batch(&c).await.unwrap().results[0].status, RecordStatus::DoubleSpend);

    refused_with(try_wallet_in_account(&server, &mallory.credential).await.map(|_| ()), 403, "account_revoked");
    refused_with(spare.client.fund([1; 16], &[100]).await, 403, "account_revoked");
    refused_with(spare.client.register().await.map(|_| ()), 403, "account_revoked");
    // Honest customers are not affected.
    assert!(try_wallet_in_account(&server, &bob.credential).await.is_ok());

    // Only the admin can lift it, and only for an account that exists.
    let (status, _) = reinstate(&server.url(), "mallory", "not-the-admin").await;
    assert_eq!(status, 401);
    let (status, body) = reinstate(&server.url(), "nobody", ADMIN).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("unknown_account")));
    let (status, body) = reinstate(&server.url(), "mallory", ADMIN).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["was_revoked"], serde_json::Value::Bool(true));
    let (_, body) = reinstate(&server.url(), "mallory", ADMIN).await;
    assert_eq!(body["was_revoked"], serde_json::Value::Bool(false), "reinstating twice changes nothing");

    let fresh = try_wallet_in_account(&server, &mallory.credential).await.unwrap();
    assert_eq!(fresh.client.fund([2; 16], &[100]).await.unwrap().0.len(), 1);
    assert_eq!(spare.client.fund([3; 16], &[100]).await.unwrap().0.len(), 1);
    refused_with(mallory.client.fund([4; 16], &[100]).await, 403, "revoked");
    let revs = bob.client.revocations(None).await.unwrap();
    assert!(revs.list.body().contains(&mallory.id()), "the cheating wallet stays revoked");
    server.shutdown().await.unwrap();
}

/// A wallet that never synced since its backup, restored, signs again with spend counters it
/// already used (for other notes: no double spend to see). The issuer sees two links with one
/// counter: a rollback, reported to the wallet whether it uploads the second link itself or
/// a payee uploads it first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_spend_counter_is_evidence_of_a_rollback() {
    for payee_uploads_last in [false, true] {
        let server = start().await;
        let w = wallet(&server, "restored", 10_000).await;
        let q = wallet(&server, "q", 0).await;
        let r = wallet(&server, "r", 0).await;
        let notes = fund(&w, &[100, 200, 300]).await;
        // Counters 1 and 2 for Q, before the "backup" is restored.
        let (to_q1, _) = w.pay(&Chain::genesis(notes[0].clone()), 100, q.id(), 100);
        let mut qb = q.batch();
        qb.deposit.push(bundle(&[to_q1], &[&w]));
        assert!(!q.client.sync_batch(&qb).await.unwrap().rollback_detected);
        // Restored to counter 0: its next link is counter 1 again, for another note.
        w.counter.store(0, Ordering::Relaxed);
        let (to_r, _) = w.pay(&Chain::genesis(notes[1].clone()), 200, r.id(), 200);
        let (to_r2, _) = w.pay(&Chain::genesis(notes[2].clone()), 300, r.id(), 300);
        if payee_uploads_last {
            let mut rb = r.batch();
            rb.deposit.push(bundle(&[to_r, to_r2], &[&w]));
            let out = r.client.sync_batch(&rb).await.unwrap();
            assert_eq!(out.results[0].status, RecordStatus::Accepted, "honest value settles");
            assert!(!out.rollback_detected, "the payee is not the one rolled back");
            let first = w.client.sync_batch(&w.batch()).await.unwrap();
            assert!(first.rollback_detected, "the evidence reaches the restored wallet at its sync");
            let again = w.client.sync_batch(&w.batch()).await.unwrap();
            assert!(!again.rollback_detected, "reported once");
        } else {
            let mut wb = w.batch();
            wb.spent.push(bundle(&[to_r, to_r2], &[&w]));
            let out = w.client.sync_batch(&wb).await.unwrap();
            assert!(out.rollback_detected, "a counter above the last synced one, but already used");
        }
        // The evidence: two links signed by the wallet's key with one counter.
        let proofs = server.issuer.counter_reuse_proofs().unwrap();
        assert_eq!(proofs.len(), 1, "{proofs:?}");
        let key = &w.cert.body().public_key;
        let proof = &proofs[0];
        assert_eq!((proof.wallet, proof.counter), (w.id(), 1));
        assert_ne!(proof.first.id(), proof.second.id());
        for l in [&proof.first, &proof.second] {
            l.verify_with(key).unwrap();
            assert_eq!(l.body().counter, 1);
        }
        let a = audit(&server.url()).await;
        assert_eq!(a.double_spends, 0);
        assert!(a.balanced && a.accounts_balanced, "{a:?}");
        let metrics = reqwest::get(format!("{}/metrics", server.url())).await.unwrap().text().await.unwrap();
        assert!(metrics.contains("oc_rollbacks_total 1"), "{metrics}");
        server.shutdown().await.unwrap();
    }
}

/// An honest wallet whose links are settled by different uploaders in any order, several
/// times, is never flagged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distinct_counters_uploaded_in_any_order_are_not_a_rollback() {
    let server = start().await;
    let w = wallet(&server, "honest", 10_000).await;
    let q = wallet(&server, "q", 0).await;
    let notes = fund(&w, &[100, 200]).await;
    let (one, _) = w.pay(&Chain::genesis(notes[0].clone()), 100, q.id(), 100);
    let (two, _) = w.pay(&Chain::genesis(notes[1].clone()), 200, q.id(), 200);
    let mut qb = q.batch();
    qb.spent.push(bundle(std::slice::from_ref(&two), &[&w]));
    assert!(!q.client.sync_batch(&qb).await.unwrap().rollback_detected);
    let mut wb = w.batch();
    wb.spent.push(bundle(&[one.clone(), two], &[&w]));
    assert!(!w.client.sync_batch(&wb).await.unwrap().rollback_detected);
    let mut qb = q.batch();
    qb.deposit.push(bundle(&[one], &[&w]));
    assert!(!q.client.sync_batch(&qb).await.unwrap().rollback_detected);
    assert!(!w.client.sync_batch(&w.batch()).await.unwrap().rollback_detected);
    server.shutdown().await.unwrap();
}
