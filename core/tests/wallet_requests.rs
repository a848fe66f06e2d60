//! Payment requests are authenticated and paid once, and a payer refuses, before committing
//! anything, what the payee is bound to refuse (issue 14, items 4 and 5).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::cbor::Encoder;
use offline_cash_core::crypto::Suite;
use offline_cash_core::policy::LimitError;
use offline_cash_core::protocol::payee::{self, RequestParams};
use offline_cash_core::protocol::{Frame, PaymentRejection};
use offline_cash_core::testkit::{T0, TestIssuer, eur};
use offline_cash_core::wallet::testing::{fund, provisioned};
use offline_cash_core::wallet::{Wallet, WalletError, WalletEvent};

const SUITE: Suite = Suite::EcdsaP256;

fn pair() -> (TestIssuer, Wallet, Wallet) {
    let issuer = TestIssuer::new(SUITE).unwrap();
    let payer = provisioned(&issuer, SUITE, 1).unwrap();
    let payee = provisioned(&issuer, SUITE, 2).unwrap();
    fund(&issuer, &payer, &[1_000], T0).unwrap();
    (issuer, payer, payee)
}

/// What a payer has committed: (spendable, pending, next counter, outbox records).
fn committed(w: &Wallet) -> (u64, u64, u64, usize) {
    let b = w.balance().unwrap();
    w.with_store(|s| (b.spendable, b.pending, s.next_counter().unwrap(), s.outbox(10_000).unwrap().len()))
}

fn rejection(result: Result<Option<Vec<u8>>, WalletError>) -> PaymentRejection {
    match result {
        Err(WalletError::Rejected(r)) => r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// Pays `request` in full (request → payment → receipt) with a fresh session at `now`.
fn pay_fully(payer: &Wallet, payee: &mut offline_cash_core::wallet::PayeeSession, now: u64) {
    let mut session = payer.pay();
    let payment = session.handle_frame(payee.request_frame(), now).unwrap().unwrap();
    let receipt = payee.handle_frame(&payment, now).unwrap().unwrap();
    assert_eq!(session.handle_frame(&receipt, now).unwrap(), None);
}

#[test]
fn an_altered_request_byte_is_refused_and_nothing_is_committed() {
    let (_issuer, payer, payee) = pair();
    // A clear request (the amount, nonce, expiry and capacity are all in view) and an
    // encrypted one (its session key is signed too: a relay cannot swap it).
    for frame in [
        payee.request_payment_saved(300, T0).unwrap().0.request_frame().to_vec(),
        payee.request_payment(300, T0).unwrap().request_frame().to_vec(),
    ] {
        let before = committed(&payer);
        for i in 1..frame.len() {
            let mut altered = frame.clone();
            altered[i] ^= 0x01;
            let result = payer.pay().handle_frame(&altered, T0);
            assert!(result.is_err(), "byte {i} altered: the payer must refuse, got {result:?}");
            assert_eq!(committed(&payer), before, "byte {i} altered: nothing may be committed");
        }
    }
    assert!(
        std::iter::from_fn(|| payer.poll_event()).all(|e| !matches!(e, WalletEvent::PaymentSent { .. })),
        "no payment was sent"
    );
    // The amount byte in particular: a forged request for another amount is a bad signature.
    let frame = payee.request_payment_saved(300, T0).unwrap().0.request_frame().to_vec();
    let Ok(Frame::Request(r)) = Frame::decode(&frame) else { panic!("a request") };
    let mut body = r.body().clone();
    body.amount = 3;
    let forged =
        Frame::Request(Box::new(offline_cash_core::protocol::PaymentRequest::from_parts(body, r.signature().clone())))
            .encode();
    assert_eq!(rejection(payer.pay().handle_frame(&forged, T0)), PaymentRejection::RequestSignature);
    assert_eq!(payer.balance().unwrap().pending, 0);
}

#[test]
fn a_replayed_request_is_refused_no_new_links_balance_unchanged() {
    let (_issuer, payer, payee) = pair();
    let (mut session, _) = payee.request_payment_saved(300, T0).unwrap();
    let request = session.request_frame().to_vec();
    pay_fully(&payer, &mut session, T0);
    let after_first = committed(&payer);
    assert_eq!((after_first.0, after_first.1), (700, 0));
    // The same request again (a file read twice, a QR code scanned twice, a second tap).
    let mut replay = payer.pay();
    let r = rejection(replay.handle_frame(&request, T0 + 5));
    assert!(matches!(r, PaymentRejection::AlreadyPaid { .. }), "{r:?}");
    assert_eq!(r.code(), "replayed");
    assert_eq!(committed(&payer), after_first, "no new links, no new pending, balance unchanged");
    assert_eq!(payee.balance().unwrap().spendable, 300);
}

#[test]
fn a_pending_payment_is_not_resent_for_a_new_request_of_the_same_payee() {
    // Torn before the payee saw the payment, and torn after it committed it (receipt lost).
    for payee_got_it in [false, true] {
        let (_issuer, payer, payee) = pair();
        let first = payee.request_payment(300, T0).unwrap();
        let nonce = first.nonce();
        let mut torn = payer.pay();
        let payment = torn.handle_frame(first.request_frame(), T0).unwrap().unwrap();
        torn.torn();
        let mut first = first;
        if payee_got_it {
            let _lost_receipt = first.handle_frame(&payment, T0).unwrap().unwrap();
        }
        let pending = committed(&payer);
        assert_eq!(pending.1, 300);

        // A new request from the same payee (another amount): the old payment is not offered
        // for it (today's bug: it was, and the payee's new request looked paid), and no new
        // payment is made while the old one is pending (one value, one live payment).
        let second = payee.request_payment(120, T0 + 10).unwrap();
        let r = rejection(payer.pay().handle_frame(second.request_frame(), T0 + 10));
        assert!(matches!(r, PaymentRejection::PendingForOtherRequest { .. }), "{r:?}");
        assert_eq!(r.reason().code(), 42);
        assert_eq!(committed(&payer), pending, "nothing new committed");

        // The original request presented again finishes the pending payment, once.
        let mut again = payee.request_again(&nonce, T0 + 20).unwrap();
        let mut session = payer.pay();
        let resent = session.handle_frame(again.request_frame(), T0 + 20).unwrap().unwrap();
        assert_eq!(session.payment(), torn.payment(), "the same payment, not a new one");
        let receipt = again.handle_frame(&resent, T0 + 20).unwrap().unwrap();
        assert_eq!(session.handle_frame(&receipt, T0 + 20).unwrap(), None);
        let done = committed(&payer);
        assert_eq!((done.0, done.1, done.2, done.3), (700, 0, pending.2, pending.3), "no new links");
        assert_eq!(payer.balance().unwrap().pending, 0);
        assert_eq!(payee.balance().unwrap().spendable, 300, "credited once");
        // And now the new request can be paid.
        let mut second = second;
        pay_fully(&payer, &mut second, T0 + 30);
        assert_eq!(payee.balance().unwrap().spendable, 420);
    }
}

#[test]
fn an_expired_request_is_refused_before_anything_is_committed() {
    let (_issuer, payer, payee) = pair();
    let (session, _) = payee.request_payment_saved(300, T0).unwrap();
    let ttl = offline_cash_core::wallet::WalletConfig::default().request_ttl;
    let before = committed(&payer);
    let r = rejection(payer.pay().handle_frame(session.request_frame(), T0 + ttl + 1));
    assert_eq!(r, PaymentRejection::RequestExpired { expires_at: T0 + ttl, now: T0 + ttl + 1 });
    assert_eq!(committed(&payer), before);
    assert_eq!(payer.balance().unwrap().pending, 0);
    // At the last second it is still payable.
    let mut session = session;
    pay_fully(&payer, &mut session, T0 + ttl);
}

#[test]
fn a_request_from_a_clock_far_ahead_is_refused_before_anything_is_committed() {
    let (_issuer, payer, payee) = pair();
    let skew = offline_cash_core::wallet::WalletConfig::default().max_clock_skew;
    // The payee's clock is an hour ahead of the payer's: the payer's links would be dated
    // before the payee's "now" minus the skew, i.e. "not yet valid" there.
    let (session, _) = payee.request_payment_saved(300, T0 + 3_600).unwrap();
    let before = committed(&payer);
    let r = rejection(payer.pay().handle_frame(session.request_frame(), T0));
    assert_eq!(r, PaymentRejection::ClockSkew { request_time: T0 + 3_600, now: T0, max_skew: skew });
    assert_eq!(r.code(), "not_yet_valid");
    assert_eq!(committed(&payer), before);
    assert_eq!(payer.balance().unwrap().pending, 0);
    // Within the skew it is paid.
    let (mut near, _) = payee.request_payment_saved(300, T0 + skew).unwrap();
    pay_fully(&payer, &mut near, T0);
}

#[test]
fn a_payee_does_not_issue_a_request_it_cannot_accept() {
    let (issuer, payer, payee) = pair();
    let holding = payee.limits().unwrap().holding;
    fund(&issuer, &payee, &[holding - 100], T0).unwrap();
    for result in [payee.request_payment(101, T0).map(|_| ()), payee.request_payment_saved(101, T0).map(|_| ())] {
        assert!(
            matches!(result, Err(WalletError::Limit(LimitError::Holding { excess: 1, .. }))),
            "a payee must not ask for what it cannot hold: {result:?}"
        );
    }
    // It says what it can still receive, signed; up to that it is paid.
    let mut ok = payee.request_payment(100, T0).unwrap();
    let Ok(Frame::Request(r)) = Frame::decode(ok.request_frame()) else { panic!("a request") };
    assert_eq!(r.body().can_receive, 100);
    pay_fully(&payer, &mut ok, T0);
    assert_eq!(payee.balance().unwrap().spendable, holding);
}

#[test]
fn a_payee_that_says_it_cannot_hold_the_amount_is_not_paid() {
    let (_issuer, payer, payee) = pair();
    // A request signed by the payee, stating less room than it asks for (a payee whose
    // balance grew since, or a buggy one): the payer refuses before committing.
    let cert = payee.with_store(|s| s.certificate().unwrap().unwrap());
    let params = RequestParams {
        amount: 300,
        currency: eur(),
        nonce: [4; 16],
        now: T0,
        expires_at: T0 + 600,
        can_receive: 299,
        known_certificates: vec![],
        session_seed: None,
        receipt_key: None,
    };
    let (_, frame) = payee::request(cert, params, payee.signer().as_ref()).unwrap();
    let before = committed(&payer);
    let r = rejection(payer.pay().handle_frame(&frame, T0));
    assert_eq!(r, PaymentRejection::PayeeCannotHold { amount: 300, can_receive: 299 });
    assert_eq!(r.code(), "over_limit");
    assert_eq!(committed(&payer), before);
    assert_eq!(payer.balance().unwrap().pending, 0);
}

#[test]
fn a_request_signed_by_another_key_than_its_certificate_is_refused() {
    let (issuer, payer, payee) = pair();
    let mallory = provisioned(&issuer, SUITE, 3).unwrap();
    // Mallory presents the payee's certificate (so the payer would think it pays the payee)
    // with a request she signs herself: the protocol refuses to build it, and a hand-made one
    // does not verify.
    let cert = payee.with_store(|s| s.certificate().unwrap().unwrap());
    let params = RequestParams {
        amount: 300,
        currency: eur(),
        nonce: [5; 16],
        now: T0,
        expires_at: T0 + 600,
        can_receive: 1_000,
        known_certificates: vec![],
        session_seed: None,
        receipt_key: None,
    };
    assert!(payee::request(cert.clone(), params.clone(), mallory.signer().as_ref()).is_err());
    let (_, genuine) = payee::request(cert, params, payee.signer().as_ref()).unwrap();
    let Ok(Frame::Request(r)) = Frame::decode(&genuine) else { panic!("a request") };
    let resigned =
        offline_cash_core::protocol::PaymentRequest::sign(r.body().clone(), mallory.signer().as_ref()).unwrap();
    let frame = Frame::Request(Box::new(resigned)).encode();
    assert_eq!(rejection(payer.pay().handle_frame(&frame, T0)), PaymentRejection::RequestSignature);
    assert_eq!(payer.balance().unwrap().pending, 0);
}

#[test]
fn a_version_1_request_is_refused_as_incompatible() {
    let (_issuer, payer, payee) = pair();
    // The unsigned version-1 request: 0x01 ‖ [1, certificate, amount, currency, nonce, time,
    // [hints], ephemeral key].
    let cert = payee.with_store(|s| s.certificate().unwrap().unwrap());
    let mut enc = Encoder::new();
    enc.array(8).uint(1);
    cert.encode_into(&mut enc);
    enc.uint(300).text("EUR").bytes(&[7; 16]).uint(T0).array(0).bytes(&[]);
    let mut frame = vec![0x01];
    frame.extend_from_slice(enc.as_slice());
    match payer.pay().handle_frame(&frame, T0) {
        Err(WalletError::Incompatible { detail }) => {
            assert!(detail.contains("version 1") && detail.contains("version 2"), "{detail}");
        }
        other => panic!("a version-1 request must be refused as incompatible, got {other:?}"),
    }
    assert_eq!(payer.balance().unwrap().pending, 0);
}
