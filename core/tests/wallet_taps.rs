//! Two wallets paying each other through the APDU layer of a simulated NFC field.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::crypto::Suite;
use offline_cash_core::nfc::{CardConfig, FieldConfig, ReaderConfig};
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::wallet::tap::{CardRole, TapConfig, tap};
use offline_cash_core::wallet::testing::{fund, provisioned};
use offline_cash_core::wallet::{Wallet, WalletError, WalletEvent};

fn config(role: CardRole, extended: bool) -> TapConfig {
    let (reader, card) = if extended {
        (ReaderConfig::extended(), CardConfig::extended())
    } else {
        (ReaderConfig::short(), CardConfig::short())
    };
    TapConfig { role, field: FieldConfig { reader, ..FieldConfig::default() }, card }
}

fn pay(payer: &Wallet, payee: &Wallet, amount: u64, cfg: TapConfig) -> offline_cash_core::wallet::tap::TapReport {
    let request = payee.request_payment(amount, T0).unwrap();
    tap(payer.pay(), request, cfg, T0).unwrap()
}

fn totals(ws: &[&Wallet]) -> u64 {
    ws.iter().map(|w| w.balance().unwrap().total).sum()
}

#[test]
fn all_four_role_combinations_pay() {
    for role in [CardRole::PayerIsCard, CardRole::PayeeIsCard] {
        for extended in [false, true] {
            let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
            let a = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
            let b = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
            fund(&issuer, &a, &[1_000], T0).unwrap();
            let report = pay(&a, &b, 300, config(role, extended));
            assert!(report.error().is_none(), "{role:?} ext={extended}: {:?}", report.error());
            assert!(report.payer_complete && report.payee_received.is_some(), "{role:?}");
            assert_eq!(a.balance().unwrap().spendable, 700);
            assert_eq!(a.balance().unwrap().pending, 0);
            assert_eq!(b.balance().unwrap().spendable, 300);
            // Two round trips after SELECT in every combination; more APDUs only for chaining.
            assert!(report.stats.apdus >= 3, "{:?}", report.stats);
            // And then the payee, now holding value received offline, pays it back the other way.
            let back = pay(&b, &a, 300, config(role, extended));
            assert!(back.payer_complete, "{:?}", back.error());
            assert_eq!(a.balance().unwrap().spendable, 1_000);
        }
    }
}

#[test]
fn consecutive_offline_payments_over_ten_hops() {
    for suite in [Suite::EcdsaP256, Suite::MlDsa44, Suite::CompositeMlDsa44EcdsaP256] {
        let issuer = TestIssuer::new(suite).unwrap();
        let wallets: Vec<Wallet> = (0..11).map(|i| provisioned(&issuer, suite, i).unwrap()).collect();
        fund(&issuer, &wallets[0], &[5_000], T0).unwrap();
        for (i, pair) in wallets.windows(2).enumerate() {
            let role = if i % 2 == 0 { CardRole::PayeeIsCard } else { CardRole::PayerIsCard };
            let report = pay(&pair[0], &pair[1], 5_000 - 100 * i as u64, config(role, true));
            assert!(report.payer_complete, "{suite} hop {i}: {:?}", report.error());
        }
        let last = wallets.last().unwrap();
        assert_eq!(last.balance().unwrap().spendable, 4_100);
        // The last payee verified a chain of 10 links back to the issuer, offline.
        let held = last.with_store(|s| s.unspent_notes().unwrap());
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].depth, 10);
        let refs: Vec<&Wallet> = wallets.iter().collect();
        assert_eq!(totals(&refs), 5_000);
    }
}

/// Bytes a full, untorn tap moves, so the tear test can cut at every offset.
fn tap_length(role: CardRole) -> u64 {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let a = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let b = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    fund(&issuer, &a, &[1_000], T0).unwrap();
    pay(&a, &b, 250, config(role, false)).stats.bytes_total()
}

#[test]
fn a_tap_torn_at_every_byte_completes_on_retry() {
    for role in [CardRole::PayerIsCard, CardRole::PayeeIsCard] {
        let length = tap_length(role);
        assert!(length > 500);
        let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
        for cut in 0..length {
            let a = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
            let b = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
            fund(&issuer, &a, &[1_000], T0).unwrap();
            let mut cfg = config(role, false);
            cfg.field.tear_at_byte = Some(cut);
            let request = b.request_payment(250, T0).unwrap();
            let nonce = request.nonce();
            let first = tap(a.pay(), request, cfg, T0).unwrap();
            assert!(first.torn, "cut {cut}");
            // Nothing is lost or created, whatever was committed before the tear: value the
            // payee already holds is no longer also counted as the payer's pending.
            let (ab, bb) = (a.balance().unwrap(), b.balance().unwrap());
            let in_flight = if bb.spendable == 0 { ab.pending } else { 0 };
            assert_eq!(ab.spendable + in_flight + bb.spendable, 1_000, "{role:?} cut {cut}");
            if ab.pending > 0 {
                let torn = std::iter::from_fn(|| a.poll_event())
                    .any(|e| matches!(e, WalletEvent::TapTorn { pending: Some(_) }));
                assert!(torn, "a pending payment after a tear is reported as torn");
            }
            // Tap again unless both sides already finished (a tear on the very last bytes),
            // with the same request presented again: the payer resends the same payment if one
            // is pending for it (a new request would be refused while it is pending).
            if !(bb.spendable == 250 && ab.pending == 0) {
                let again = b.request_again(&nonce, T0).unwrap();
                let second = tap(a.pay(), again, config(role, false), T0).unwrap();
                assert!(second.error().is_none(), "{role:?} cut {cut}: {:?}", second.error());
                assert!(second.payer_complete);
            }
            let (ab, bb) = (a.balance().unwrap(), b.balance().unwrap());
            assert_eq!((ab.spendable, ab.pending, bb.spendable), (750, 0, 250), "{role:?} cut {cut}");
            a.with_store(|s| s.check_consistency()).unwrap();
            b.with_store(|s| s.check_consistency()).unwrap();
        }
    }
}

#[test]
fn limit_errors_are_typed_and_nothing_moves() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let a = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let b = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    fund(&issuer, &a, &[60_000], T0).unwrap();
    let report = pay(&a, &b, 55_000, config(CardRole::PayeeIsCard, true));
    assert!(matches!(report.payer_error, Some(WalletError::Limit(_))), "{:?}", report.error());
    assert_eq!(a.balance().unwrap().spendable, 60_000);
    assert_eq!(b.balance().unwrap().total, 0);
}

/// Found by the soak test (issuer/tests/soak.rs): a payer chose notes a payee must refuse (a
/// chain already at the policy's depth limit, or more notes than a bundle may carry), sent the
/// payment, and its pending spend could never settle: refused by every payee, rejected by the
/// issuer. The payer now pays only with notes that can take one more link, at most
/// `MAX_BUNDLE_HEADS` of them, and otherwise refuses before anything is committed.
#[test]
fn a_payer_never_sends_a_payment_every_payee_must_refuse() {
    use offline_cash_core::token::{MAX_BUNDLE_HEADS, Policy, PolicyBody};
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let a = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let b = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    let c = provisioned(&issuer, Suite::EcdsaP256, 3).unwrap();
    // More notes than one payment may carry.
    let many = vec![10u64; MAX_BUNDLE_HEADS + 1];
    fund(&issuer, &a, &many, T0).unwrap();
    let over = pay(&a, &b, 10 * (MAX_BUNDLE_HEADS as u64 + 1), config(CardRole::PayeeIsCard, true));
    assert!(matches!(over.payer_error, Some(WalletError::InsufficientFunds { .. })), "{over:?}");
    assert!(a.pending_payments().unwrap().is_empty(), "nothing may be committed");
    assert_eq!(b.balance().unwrap().total, 0);
    let most = pay(&a, &b, 10 * MAX_BUNDLE_HEADS as u64, config(CardRole::PayeeIsCard, true));
    assert!(most.payer_complete, "{:?}", most.error());

    // A chain at the depth limit: with a policy of depth 1, a note received offline (depth 1)
    // cannot be paid on, but a note funded by the issuer (depth 0) can.
    let mut body: PolicyBody = issuer.policy.body().clone();
    body.sequence += 1;
    body.max_chain_depth = 1;
    let shallow = Policy::sign(body, &issuer.signer).unwrap();
    for w in [&a, &b, &c] {
        w.install_policy(&shallow).unwrap();
    }
    let too_deep = pay(&b, &c, 100, config(CardRole::PayerIsCard, false));
    assert!(matches!(too_deep.payer_error, Some(WalletError::InsufficientFunds { .. })), "{too_deep:?}");
    assert!(b.pending_payments().unwrap().is_empty(), "nothing may be committed");
    fund(&issuer, &b, &[500], T0).unwrap();
    let fresh = pay(&b, &c, 100, config(CardRole::PayerIsCard, false));
    assert!(fresh.payer_complete, "{:?}", fresh.error());
    assert_eq!(c.balance().unwrap().total, 100);
}

/// A phone armed as a paying card pays at most what its user confirmed: a reader asking for
/// more is refused before anything is committed, and learns why (`NotApproved`).
#[test]
fn a_paying_card_pays_no_more_than_its_user_approved() {
    use offline_cash_core::protocol::PaymentRejection;
    use offline_cash_core::reason::Reason;
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let payer = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let payee = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    fund(&issuer, &payer, &[1_000], T0).unwrap();
    let request = payee.request_payment(300, T0).unwrap();
    let report = tap(payer.pay().approve_at_most(250), request, config(CardRole::PayerIsCard, false), T0).unwrap();
    assert!(
        matches!(
            report.payer_error,
            Some(WalletError::Rejected(PaymentRejection::NotApproved { asked: 300, approved: 250 }))
        ),
        "{:?}",
        report.payer_error
    );
    assert!(
        matches!(report.payee_error, Some(WalletError::PeerRejected { reason: Reason::NotApproved })),
        "{report:?}"
    );
    assert!(payer.pending_payments().unwrap().is_empty(), "nothing committed");
    assert_eq!(payer.balance().unwrap().spendable, 1_000);
    let request = payee.request_payment(250, T0).unwrap();
    let report = tap(payer.pay().approve_at_most(250), request, config(CardRole::PayerIsCard, false), T0).unwrap();
    assert!(report.payer_complete, "{:?}", report.error());
}

/// Issue 19's byte target, which does not depend on the machine: two P-256 strangers, the
/// payee's phone as the card, a note issued to the payer (depth 1), with and without change.
/// The hello gets a locked request, the payment travels compact and the receipt is a key
/// (docs/decisions/0021-compact-cold-taps.md); before that, 1,088–1,103 bytes.
#[test]
fn a_cold_p256_tap_at_depth_one_moves_at_most_one_kilobyte() {
    for extended in [false, true] {
        for amount in [1_000, 300] {
            let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
            let a = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
            let b = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
            fund(&issuer, &a, &[1_000], T0).unwrap();
            let report = pay(&a, &b, amount, TapConfig::payee_is_card(extended));
            assert!(report.payer_complete, "{:?}", report.error());
            let bytes = report.stats.bytes_total();
            assert!(bytes <= 1_000, "extended={extended} amount={amount}: {bytes} bytes on the air");
            assert_eq!(b.balance().unwrap().spendable, amount);
        }
    }
}
