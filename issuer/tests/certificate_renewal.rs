//! Certificate renewal over a wallet's life, against the real issuer over HTTP on 127.0.0.1,
//! with one virtual clock shared by the issuer, the wallets and their clients (anchored at
//! `testkit::T0`, moved by the test): a renewal inside `sync` never strands a link signed under
//! an earlier certificate, offline (payees further down the chain) or at settlement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::clocked::{DAY, World};
use offline_cash_core::testkit::T0;
use offline_cash_core::wallet::renewal::Renewal;
use offline_cash_core::wallet::sync::SyncReport;

fn assert_settled(report: &SyncReport, who: &str) {
    assert_eq!((report.rejected, report.double_spends), (0, 0), "{who}: {report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_signed_before_a_renewal_are_accepted_downstream_and_settle() {
    let world = World::start().await;
    let alice = world.party("alice", 10_000).await;
    let bob = world.party("bob", 0).await;
    let carol = world.party("carol", 0).await;
    world.set(T0 + 3600);
    alice.wallet.fund(&alice.client, &[1_000], world.now()).await.unwrap();
    let first = alice.wallet.limits().unwrap();
    world.pay(&alice, &bob, 100); // signed under Alice's first certificate

    // Day 25: five days left of thirty, so the sync renews.
    world.set(T0 + 25 * DAY);
    let report = world.sync(&alice).await;
    let Renewal::Renewed { not_after } = report.renewal else { panic!("no renewal at day 25: {report:?}") };
    assert_eq!(not_after, T0 + 55 * DAY);
    assert_eq!(alice.wallet.limits().unwrap().certificate_not_after, not_after);
    assert!(first.certificate_not_after < not_after);
    assert_eq!(world.sync(&alice).await.renewal, Renewal::NotDue, "renewed once, not at every sync");

    // Alice pays again under the new certificate; Bob passes both notes on to Carol, who has
    // never seen either of Alice's certificates: the payment carries both.
    world.set(T0 + 25 * DAY + 3600);
    world.pay(&alice, &bob, 100);
    world.pay(&bob, &carol, 150);
    // Carol, further down, pays Bob back: the chain now runs Alice (two certificates), Bob, Carol.
    world.pay(&carol, &bob, 150);

    // Day 40: Bob's first certificate ended at day 30. He cannot pay, and is told to sync.
    world.set(T0 + 40 * DAY);
    let refused = world.try_pay(&bob, &alice, 50);
    let message = refused.payer_error.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(!refused.payer_complete, "{refused:?}");
    assert!(message.contains("sync first"), "{message:?}");
    // Everyone syncs: every link settles (Alice's under both certificates), and the sync
    // renews Bob's and Carol's certificates, so "sync first" was true.
    for party in [&alice, &bob, &carol] {
        let report = world.sync(party).await;
        assert_settled(&report, &party.name);
    }
    world.set(T0 + 40 * DAY + 3600);
    world.pay(&bob, &carol, 50);
    for party in [&alice, &bob, &carol] {
        assert_settled(&world.sync(party).await, &party.name);
    }
    assert_eq!(bob.wallet.balance().unwrap().total, 150);
    assert_eq!(carol.wallet.balance().unwrap().total, 50);
    let audit = world.server().issuer.audit().unwrap();
    assert!(audit.balanced, "{audit:?}");
    world.stop().await;
}

/// A year: every month every wallet syncs (and so renews) and then pays the next wallet of a
/// ring, so chains run through every wallet under many of its certificates. Every payment is
/// accepted offline and every link settles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_of_monthly_renewals_along_a_ring_of_wallets_all_settles() {
    let world = World::start().await;
    let mut ring = Vec::new();
    for name in ["alice", "bob", "carol", "dave"] {
        ring.push(world.party(name, 10_000).await);
    }
    for party in &ring {
        party.wallet.fund(&party.client, &[1_000], world.now()).await.unwrap();
    }
    let mut renewals = 0;
    for month in 0..12u64 {
        world.set(T0 + month * 30 * DAY);
        for party in &ring {
            let report = world.sync(party).await;
            assert_settled(&report, &party.name);
            if matches!(report.renewal, Renewal::Renewed { .. }) {
                renewals += 1;
            }
        }
        for (i, payer) in ring.iter().enumerate() {
            world.set(T0 + month * 30 * DAY + 3600 * (i as u64 + 1));
            let payee = &ring[(i + 1) % ring.len()];
            world.pay(payer, payee, 70 + 10 * ((month + i as u64) % 4));
        }
    }
    assert_eq!(renewals, 11 * ring.len(), "every wallet renewed every month after the first");
    world.set(T0 + 12 * 30 * DAY);
    for party in &ring {
        let report = world.sync(party).await;
        assert_settled(&report, &party.name);
        assert_eq!(party.wallet.balance().unwrap().pending, 0, "{}", party.name);
    }
    let total: u64 = ring.iter().map(|p| p.wallet.balance().unwrap().total).sum();
    assert_eq!(total, 4_000);
    let audit = world.server().issuer.audit().unwrap();
    assert!(audit.balanced, "{audit:?}");
    world.stop().await;
}
