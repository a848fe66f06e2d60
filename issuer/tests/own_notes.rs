//! Settlement does not verify the issuer's own signature again on a genesis note it signed and
//! holds byte for byte (issue 16, item 5); a note with a known id but other bytes is verified
//! like any other, and a forged signature is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::{bundle, fund, start, wallet};
use offline_cash_core::crypto::{SoftwareSigner, Suite};
use offline_cash_core::reason::Reason;
use offline_cash_core::sync::RecordStatus;
use offline_cash_core::token::{Chain, Note};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_own_genesis_note_is_not_verified_again_and_a_forged_twin_is_refused() {
    let server = start().await;
    let alice = wallet(&server, "alice", 1_000).await;
    let bob = wallet(&server, "bob", 0).await;
    let notes = fund(&alice, &[100, 200]).await;
    let trusted = || server.issuer.metrics().own_notes_trusted_total();
    assert_eq!(trusted(), 0);

    // A genuine note the issuer holds: settled without checking its signature again.
    let (to_bob, _) = alice.pay(&Chain::genesis(notes[0].clone()), 100, bob.id(), 100);
    let mut batch = bob.batch();
    batch.deposit.push(bundle(&[to_bob], &[&alice]));
    let out = bob.client.sync_batch(&batch).await.unwrap();
    assert_eq!((out.results[0].status, out.results[0].credited), (RecordStatus::Accepted, 100));
    assert_eq!(trusted(), 1, "the issuer recognised its own note");

    // The same body (so the same id) under another signature: not the bytes the issuer holds,
    // so its signature is verified, and it is refused.
    let forger = SoftwareSigner::generate(Suite::EcdsaP256).unwrap();
    let twin = Note::sign(notes[1].body().clone(), &forger).unwrap();
    assert_eq!(twin.id(), notes[1].id());
    assert_ne!(twin.to_bytes(), notes[1].to_bytes());
    let (forged, _) = alice.pay(&Chain::genesis(twin), 200, bob.id(), 200);
    let mut batch = bob.batch();
    batch.deposit.push(bundle(&[forged], &[&alice]));
    let out = bob.client.sync_batch(&batch).await.unwrap();
    assert_eq!(out.results[0].status, RecordStatus::Rejected);
    assert_eq!(out.results[0].reason, Some(Reason::Altered), "{:?}", out.results[0]);
    assert_eq!(trusted(), 1, "the forged twin was verified, not trusted");
    assert_eq!(out.balance, 100);
    let metrics = reqwest::get(format!("{}{}", server.url(), offline_cash_core::sync::wire::paths::METRICS))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("oc_own_genesis_notes_trusted_total 1"), "{metrics}");
    server.shutdown().await.unwrap();
}
