//! A lost phone, as its owner lives it: reported from another device with the account
//! credential, revoked at once (synced payees refuse it offline), its value back in the account
//! once its offline window has closed, a new phone funded from it, and a payment the lost phone
//! made before the report honoured when its payee settles late, booked to the account.
//! Real issuer over HTTP on 127.0.0.1 with one virtual clock anchored at `testkit::T0`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::clocked::{DAY, World};
use offline_cash_core::reason::Reason;
use offline_cash_core::sync::{SyncClient, SyncError};
use offline_cash_core::testkit::T0;
use offline_cash_core::wallet::WalletError;

/// The account's balances as the issuer's audit sums them.
async fn balances(world: &World) -> i64 {
    common::audit(&world.url()).await.account_balances
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_phone_is_revoked_at_once_and_its_value_returns_after_its_offline_window() {
    let world = World::start().await;
    let url = world.url();
    let alice = world.account("alice", 10_000).await;
    let lost = world.phone("alice-phone", &alice).await;
    let bob = world.phone("bob", &world.account("bob", 0).await).await;
    let carol = world.phone("carol", &world.account("carol", 0).await).await;
    let dave = world.phone("dave", &world.account("dave", 0).await).await;
    lost.wallet.fund(&lost.client, &[1_000], world.now()).await.unwrap();
    let start = balances(&world).await;

    // Before the loss: Bob is paid and settles at once; Dave is paid and stays offline.
    world.set(T0 + 3_600);
    world.pay(&lost, &bob, 100);
    world.sync_clean(&bob).await;
    world.pay(&lost, &dave, 200);

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
    world.sync_clean(&carol).await;
    let refused = world.try_pay(&lost, &carol, 50);
    assert!(
        matches!(&refused.payee_error, Some(WalletError::Rejected(r)) if r.reason() == Reason::Revoked),
        "{:?}",
        refused.error()
    );
    // The account is not revoked: a new phone registers (and funds from what the account has).
    let new_phone = world.phone("alice-new-phone", &alice).await;

    // Before the window closes nothing returns; after it, the 900 the issuer knows of does.
    world.set(report.returns_at - 1);
    assert_eq!(world.server().issuer.return_lost().unwrap(), 0);
    world.set(report.returns_at);
    assert_eq!(world.server().issuer.return_lost().unwrap(), 900);
    assert_eq!(world.server().issuer.return_lost().unwrap(), 0, "returned once");
    new_phone.wallet.fund(&new_phone.client, &[900], world.now()).await.unwrap();
    assert_eq!(new_phone.wallet.balance().unwrap().spendable, 900);

    // Dave settles late: his payment is honoured (his notes stay good), booked to Alice's
    // account, and only it: the change of it, the lost phone's, returns in the same
    // transaction (before, the whole 900 note was debited until the next sweep).
    world.set(report.returns_at + DAY);
    world.sync_clean(&dave).await;
    assert_eq!(dave.wallet.balance().unwrap().spendable, 200);
    assert_eq!(balances(&world).await + 900, 10_000 - 300, "only the late payment is booked back, at once");
    assert_eq!(world.server().issuer.return_lost().unwrap(), 0, "nothing left for the sweep");
    let audit = common::audit(&url).await;
    assert!(audit.balanced && audit.accounts_balanced, "{audit:?}");
    // What the phone paid (100 + 200) is all Alice lost: her account and her new phone hold
    // the rest of the 10 000 she started with.
    assert_eq!(start, 9_000);
    assert_eq!(balances(&world).await + 900, 10_000 - 300);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_needs_the_accounts_credential_and_no_unverified_second_factor() {
    let world = World::start().await;
    let url = world.url();
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
    assert!(world.server().issuer.revocations(None).unwrap().added.is_empty());
    let bad_id = http.post(format!("{url}/v1/wallets/zz/lost")).bearer_auth(&alice).send().await.unwrap();
    assert_eq!(bad_id.status(), 400);
    world.stop().await;
}
