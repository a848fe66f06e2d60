//! Torn taps and expiry: a pending spend that the payee never deposits is settled by the
//! payer's upload, and once the note has expired (past the grace) its value returns to its
//! owner — the payee named by the link, not the payer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use offline_cash_core::sync::RecordStatus;
use offline_cash_core::token::Chain;
use offline_cash_issuer::{Server, ServerConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeposited_expired_notes_return_to_their_owner() {
    let offset = Arc::new(AtomicU64::new(0));
    let o = offset.clone();
    let clock = Arc::new(move || {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        now + o.load(Ordering::SeqCst)
    });
    let config = ServerConfig {
        issuer: common::backend::config(common::ADMIN),
        listen: "127.0.0.1:0".parse().unwrap(),
        max_body_bytes: 1 << 20,
    };
    let validity = config.issuer.note_validity_secs + config.issuer.settlement_grace_secs;
    let server = Server::bind_with_clock(config, clock).await.unwrap().spawn();
    let alice = common::wallet(&server, "alice", 1_000).await;
    let bob = common::wallet(&server, "bob", 0).await;
    let notes = common::fund(&alice, &[600, 400]).await;
    // Alice paid Bob 600 but the tap was torn after her link left: Bob never deposits.
    let (to_bob, _) = alice.pay(&Chain::genesis(notes[0].clone()), 600, bob.id(), 600);
    let mut batch = alice.batch();
    batch.spent.push(common::bundle(&[to_bob], &[&alice]));
    let out = alice.client.sync_batch(&batch).await.unwrap();
    assert_eq!(out.results[0].status, RecordStatus::Accepted);
    assert_eq!(out.balance, 0);

    // Nothing happens before expiry + grace.
    assert_eq!(server.issuer.expire_notes().unwrap(), 0);
    offset.store(validity + 10, Ordering::SeqCst);
    assert_eq!(server.issuer.expire_notes().unwrap(), 1_000, "600 to bob, 400 back to alice");
    offset.store(0, Ordering::SeqCst);

    let bob_out = bob.client.sync_batch(&bob.batch()).await.unwrap();
    assert_eq!(bob_out.balance, 600, "the link made bob the owner");
    let alice_out = alice.client.sync_batch(&alice.batch()).await.unwrap();
    assert_eq!(alice_out.balance, 400);
    let audit = server.issuer.audit().unwrap();
    assert_eq!(audit.expired_returned, 1_000);
    assert_eq!(audit.held_offline, 0);
    assert!(audit.balanced && audit.accounts_balanced, "{audit:?}");
    server.shutdown().await.unwrap();
}
