//! A planned issuer key rotation strands no payer: the new key is announced a certificate window
//! before it signs, so every wallet that can still pay offline knows it before any certificate or
//! note under it reaches it. Real issuer over HTTP on 127.0.0.1, restarted on the same port for
//! the rotation, with one virtual clock (anchored at `testkit::T0`) shared by everyone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::clocked::{DAY, Party, World};
use offline_cash_core::policy::LimitError;
use offline_cash_core::testkit::T0;
use offline_cash_core::wallet::WalletError;
use offline_cash_issuer::IssuerConfig;
use offline_cash_issuer::keys::{self, RotationTimes};

/// The administrator's rotation: server stopped, `rotate-key`, served again on the same address.
/// Returns when the new key signs.
async fn rotate(world: &mut World, times: RotationTimes) -> u64 {
    world.restart_with(move |db, now| keys::rotate_key_in(db, now, times).unwrap().not_before).await
}

fn certificate_key(p: &Party) -> u32 {
    p.wallet.with_store(|s| s.certificate().unwrap().unwrap().body().issuer_key_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payer_that_synced_before_a_planned_rotation_still_pays_renewed_payees() {
    let mut world = World::start().await;
    let alice = world.party("alice", 10_000).await;
    let bob = world.party("bob", 50).await;
    alice.wallet.fund(&alice.client, &[1_000], world.now()).await.unwrap();
    world.sync_clean(&alice).await; // Alice's last sync before the rotation

    // Day 1: a planned rotation (the command's default: announced 31 days ahead).
    world.set(T0 + DAY);
    let active_from =
        rotate(&mut world, RotationTimes { activate_after_secs: 31 * DAY, retire_after_secs: 3600 }).await;
    assert_eq!(active_from, T0 + 32 * DAY);
    assert_eq!(world.server().issuer.signing_key().key_id, 1, "key 1 signs until then");
    // Bob renews at once (re-registration): still under key 1, so Alice, who never heard of
    // key 2, pays him offline.
    bob.wallet.register(&bob.client).await.unwrap();
    assert_eq!(certificate_key(&bob), 1);
    let report = world.try_pay(&alice, &bob, 100);
    assert!(report.payer_complete, "{:?}", report.error());

    // Day 25: both sync (renewal); they learn key 2 and are renewed, still under key 1.
    world.set(T0 + 25 * DAY);
    world.sync_clean(&alice).await;
    world.sync_clean(&bob).await;
    assert_eq!((certificate_key(&alice), certificate_key(&bob)), (1, 1));

    // Day 50: key 2 has signed since day 32. Bob is renewed under it; Alice, offline since
    // day 25, pays him: she knows key 2 from the rotation served at her last sync.
    world.set(T0 + 50 * DAY);
    world.sync_clean(&bob).await;
    assert_eq!(certificate_key(&bob), 2, "renewed under the new key");
    let report = world.try_pay(&alice, &bob, 100);
    assert!(report.payer_complete, "{:?}", report.error());
    // Fresh notes are under key 2, the older under key 1: both pay and settle.
    bob.wallet.fund(&bob.client, &[50], world.now()).await.unwrap();
    let report = world.try_pay(&bob, &alice, 250);
    assert!(report.payer_complete, "{:?}", report.error());
    world.sync_clean(&alice).await;
    world.sync_clean(&bob).await;
    let audit = common::audit(&world.url()).await;
    assert!(audit.balanced && audit.accounts_balanced, "{audit:?}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_emergency_rotation_an_unsynced_payer_is_told_to_sync_not_that_the_payee_is_forged() {
    let mut world = World::start().await;
    let alice = world.party("alice", 10_000).await;
    let bob = world.party("bob", 0).await;
    alice.wallet.fund(&alice.client, &[1_000], world.now()).await.unwrap();

    // Day 1: the key is compromised; the new one signs at once. Bob renews under it.
    world.set(T0 + DAY);
    rotate(&mut world, RotationTimes { activate_after_secs: 0, retire_after_secs: 0 }).await;
    bob.wallet.register(&bob.client).await.unwrap();
    assert_eq!(certificate_key(&bob), 2);
    // Alice has not synced since: she cannot check Bob's certificate, and nothing moves.
    let report = world.try_pay(&alice, &bob, 100);
    assert!(!report.payer_complete && report.payee_received.is_none());
    assert_eq!(alice.wallet.balance().unwrap().spendable, 1_000);
    // Her sync brings the rotation; then she pays.
    world.sync_clean(&alice).await;
    let report = world.try_pay(&alice, &bob, 100);
    assert!(report.payer_complete, "{:?}", report.error());

    // A payer whose own certificate ended hears that first, whatever the payee presents.
    world.set(T0 + 40 * DAY);
    world.sync_clean(&bob).await;
    let report = world.try_pay(&alice, &bob, 100);
    assert!(
        matches!(report.payer_error, Some(WalletError::Limit(LimitError::CertificateExpired { .. }))),
        "{:?}",
        report.payer_error
    );
    world.stop().await;
}

#[test]
fn a_second_rotation_waits_until_the_announced_key_signs_and_a_running_issuer_switches_by_itself() {
    let db = common::temp_db();
    let clock = Arc::new(AtomicU64::new(T0));
    let read = clock.clone();
    let open = || {
        let read = read.clone();
        offline_cash_issuer::Issuer::open(
            IssuerConfig::new(&db, common::ADMIN),
            Arc::new(move || read.load(Ordering::SeqCst)),
        )
        .unwrap()
    };
    drop(open());
    let planned = RotationTimes { activate_after_secs: 31 * DAY, retire_after_secs: 3600 };
    keys::rotate_key(&db, T0, planned).unwrap();
    // Signed by a key not valid yet, a rotation would be refused by every wallet: refused here.
    let err = keys::rotate_key(&db, T0 + DAY, planned).unwrap_err();
    assert!(err.to_string().contains("announced"), "{err}");
    clock.store(T0 + DAY, Ordering::SeqCst);
    let issuer = open();
    assert_eq!(issuer.signing_key().key_id, 1);
    assert_eq!(issuer.issuer_keys().len(), 2, "key 2 is announced");
    clock.store(T0 + 31 * DAY, Ordering::SeqCst);
    assert_eq!(issuer.signing_key().key_id, 2, "the running issuer signs with key 2 from its announced time");
    drop(issuer);
    keys::rotate_key(&db, T0 + 32 * DAY, planned).unwrap();
}
