//! Key receipts (docs/decisions/0019-key-receipts.md, 0021-compact-cold-taps.md): after a
//! request that answered a hello (compact, or full version 4), the payee acknowledges by
//! revealing the key whose lock the signed request carried, not with a second signature. A wrong key, a key without a lock and a receipt for another payment are
//! refused; a payment retried after a torn tap is acknowledged in the form the retry's request
//! allows (a key receipt after a compact request, a signed receipt after a full one).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::crypto::Signer as _;
use offline_cash_core::crypto::Suite;
use offline_cash_core::protocol::payee::{self, PayeeChecks, RequestParams};
use offline_cash_core::protocol::payer::{ExpectRequest, Funds, PayerChecks, RequestFrame};
use offline_cash_core::protocol::{
    AnyReceipt, Frame, KeyReceipt, LOCKED_REQUEST_VERSION, PROTOCOL_VERSION, PaymentRejection, ProtocolError,
    receipt_lock,
};
use offline_cash_core::store::testing::commit_prepared;
use offline_cash_core::testkit::{Fixture, T0, TestWallet, eur};
use offline_cash_core::token::{Chain, NoRevocations};
use offline_cash_core::wallet::testing::{fund, provisioned};
use offline_cash_core::wallet::{PayeeSession, PayerSession, Wallet, WalletError};

const AMOUNT: u64 = 100;
const HELLO: u8 = 0x08;
const COMPACT_REQUEST: u8 = 0x09;
const ONE_TIME_REQUEST: u8 = 0x0C;
const REQUEST: u8 = 0x01;
const POLL: u8 = 0x00;
const SEALED_PAYMENT: u8 = 0x03;
const SEALED_RECEIPT: u8 = 0x05;
const SEALED_KEY_RECEIPT: u8 = 0x0B;
const KEY: [u8; 32] = [0x4b; 32];

// ---- the machines, no store ----

/// What the payer's machine makes of the receipt `answer` gives (from the payment's hash and a
/// receipt the payee signed for it) after a compact request (with the lock of [`KEY`] if
/// `lock`) or a full one, for a payment of [`AMOUNT`] the payee accepted.
fn payer_takes(
    lock: bool,
    compact: bool,
    answer: impl FnOnce(&[u8; 32], AnyReceipt) -> AnyReceipt,
) -> Result<AnyReceipt, ProtocolError> {
    let fx = Fixture::new(Suite::EcdsaP256).unwrap();
    let a = TestWallet::new(&fx.issuer, Suite::EcdsaP256).unwrap();
    let b = TestWallet::new(&fx.issuer, Suite::EcdsaP256).unwrap();
    let note = Chain::genesis(fx.issuer.issue(a.id(), AMOUNT).unwrap());
    let funds = Funds { full: vec![note.clone()], split: None, certificates: vec![a.cert.clone()] };
    let nonce = [9u8; 16];
    let params = RequestParams {
        amount: AMOUNT,
        currency: eur(),
        nonce,
        now: T0,
        expires_at: T0 + 600,
        can_receive: u64::MAX,
        known_certificates: vec![],
        session_seed: None,
        receipt_key: lock.then_some(KEY),
    };
    let (expect_payment, request) = if compact {
        payee::compact_request(b.cert.clone(), params, &b.signer).unwrap()
    } else {
        payee::request(b.cert.clone(), params, &b.signer).unwrap()
    };
    if let Frame::CompactRequest(r) = Frame::decode(&request).unwrap() {
        assert_eq!(r.body().receipt_lock, lock.then(|| receipt_lock(&KEY)), "the signed request carries the lock");
    }
    let checks =
        PayerChecks { trust: &fx.trust, currency: eur(), revocations: &NoRevocations, now: T0, max_clock_skew: 300 };
    let known = |id: &[u8; 32]| (id == b.cert.digest()).then(|| b.cert.clone());
    let RequestFrame::Accepted(accepted) = ExpectRequest::new().handle_any_frame(&request, &checks, &known).unwrap()
    else {
        panic!("the payer holds the payee's certificate")
    };
    let prepared = accepted.pay(funds, &a.signer, 1, T0, None).unwrap();
    let durable = commit_prepared(&fx.issuer, &a, &[note], prepared.pending(), T0).unwrap();
    let (expect_receipt, payment) = prepared.committed(durable).unwrap();
    let open = |n: &[u8; 16]| (*n == nonce).then_some(AMOUNT);
    let spent = |_: &_| None;
    let checks = PayeeChecks {
        verify: fx.context(),
        payee_certificate: &b.cert,
        open_request: &open,
        spent_by: &spent,
        balance: 0,
    };
    let accepted = expect_payment.handle_frame(&payment).unwrap().verify(&checks).unwrap();
    let honest = accepted.receipt(&b.signer, b.id(), T0).unwrap();
    assert_eq!(matches!(honest, AnyReceipt::Key(_)), lock && compact, "the payee reveals the key iff it locked");
    let signed = AnyReceipt::Signed(accepted.sign_receipt(&b.signer, b.id(), T0).unwrap());
    let frame = answer(&accepted.hash, signed).frame().encode();
    expect_receipt.handle_frame(&frame).map(|v| v.receipt)
}

fn key_receipt(hash: &[u8; 32], key: [u8; 32]) -> AnyReceipt {
    AnyReceipt::Key(KeyReceipt { payment_hash: *hash, amount: AMOUNT, key })
}

#[test]
fn a_key_receipt_opens_the_lock_of_the_request_it_answers() {
    let got = payer_takes(true, true, |h, _| key_receipt(h, KEY)).unwrap();
    assert_eq!(got, key_receipt(got.payment_hash(), KEY));
}

#[test]
fn a_wrong_key_a_key_without_a_lock_or_another_payment_is_a_bad_receipt() {
    let bad = |r: Result<AnyReceipt, ProtocolError>| {
        assert_eq!(r.unwrap_err(), ProtocolError::Rejected(PaymentRejection::BadReceipt));
    };
    bad(payer_takes(true, true, |h, _| key_receipt(h, [0x4c; 32])));
    // The lock itself is public: it is not the key.
    bad(payer_takes(true, true, |h, _| key_receipt(h, receipt_lock(&KEY))));
    bad(payer_takes(true, true, |_, _| key_receipt(&[7; 32], KEY)));
    bad(payer_takes(true, true, |h, _| AnyReceipt::Key(KeyReceipt { payment_hash: *h, amount: AMOUNT - 1, key: KEY })));
    // A full request and a compact one without a lock take no key receipt at all.
    bad(payer_takes(false, false, |h, _| key_receipt(h, KEY)));
    bad(payer_takes(false, true, |h, _| key_receipt(h, KEY)));
}

#[test]
fn a_full_request_locks_its_receipt_only_when_given_a_key() {
    let fx = Fixture::new(Suite::EcdsaP256).unwrap();
    let b = TestWallet::new(&fx.issuer, Suite::EcdsaP256).unwrap();
    let params = RequestParams {
        amount: AMOUNT,
        currency: eur(),
        nonce: [1; 16],
        now: T0,
        expires_at: T0 + 600,
        can_receive: u64::MAX,
        known_certificates: vec![],
        session_seed: None,
        receipt_key: Some(KEY),
    };
    // With a key (a payee answering a hello): version 4, the lock signed with the rest.
    let (_, locked) = payee::request(b.cert.clone(), params.clone(), &b.signer).unwrap();
    let Frame::Request(request) = Frame::decode(&locked).unwrap() else { panic!("a full request") };
    assert_eq!(request.body().receipt_lock, Some(receipt_lock(&KEY)));
    assert_eq!(locked[3], LOCKED_REQUEST_VERSION as u8, "[[4, …");
    request.verify_with(&b.signer.public_key()).unwrap();
    // Without (a poll, a saved request): version 2, byte for byte as before the lock existed.
    let (_, plain) =
        payee::request(b.cert.clone(), RequestParams { receipt_key: None, ..params.clone() }, &b.signer).unwrap();
    let Frame::Request(request) = Frame::decode(&plain).unwrap() else { panic!("a full request") };
    assert_eq!(request.body().receipt_lock, None);
    assert_eq!(plain[3], PROTOCOL_VERSION as u8);
    assert!(!plain.windows(32).any(|w| w == receipt_lock(&KEY)));
    assert_eq!(locked.len(), plain.len() + 34, "the lock costs its 32 bytes and a 2-byte head");
    let (_, compact) = payee::compact_request(b.cert.clone(), params, &b.signer).unwrap();
    assert!(compact.windows(32).any(|w| w == receipt_lock(&KEY)));
    for frame in [&locked, &compact] {
        assert!(!frame.windows(32).any(|w| w == KEY), "the key stays with the payee until it is paid");
    }
}

#[test]
fn a_signed_receipt_is_still_taken_after_a_lock() {
    // A payee that cannot reveal the key (a retry in another session) signs, as before.
    let got = payer_takes(true, true, |_, signed| signed).unwrap();
    assert!(matches!(got, AnyReceipt::Signed(_)));
    // A signed receipt for another payment is still refused.
    let other = payer_takes(true, true, |_, signed| {
        let AnyReceipt::Signed(s) = signed else { panic!("signed") };
        let mut bytes = s.to_bytes();
        let at = bytes.windows(32).position(|w| w == s.body().payment_hash).unwrap();
        bytes[at] ^= 1;
        AnyReceipt::from_bytes(&bytes).unwrap()
    });
    assert_eq!(other.unwrap_err(), ProtocolError::Rejected(PaymentRejection::BadReceipt));
}

#[test]
fn both_forms_round_trip_through_the_bytes_a_store_keeps() {
    let key = key_receipt(&[3; 32], KEY);
    assert_eq!(AnyReceipt::from_bytes(&key.to_bytes()).unwrap(), key);
    let frame = key.frame().encode();
    assert_eq!(frame[0], 0x0A);
    assert_eq!(frame.len(), 1 + 1 + 1 + 34 + 2 + 34, "a key receipt is 73 bytes in clear");
    assert!(matches!(Frame::decode(&frame).unwrap(), Frame::KeyReceipt(k) if k.key == KEY));
    let mut truncated = key.to_bytes();
    truncated.pop();
    assert!(AnyReceipt::from_bytes(&truncated).is_err());
}

// ---- wallets, store and sessions ----

/// A tap in frames: the payer opens with a hello (reader payer, card that says hello) or a poll,
/// then request, payment, receipt. With `tear`, the receipt is lost on the way.
struct Tap {
    frames: Vec<Vec<u8>>,
    paying: PayerSession,
    result: Result<(), WalletError>,
}

impl Tap {
    fn types(&self) -> Vec<u8> {
        self.frames.iter().map(|f| f[0]).collect()
    }
}

fn tap(payer: &Wallet, payee: &mut PayeeSession, now: u64, hello: bool, tear: bool) -> Tap {
    let mut paying = payer.pay();
    let mut frames = Vec::new();
    let mut to_payee = if hello { paying.hello_frame() } else { Frame::Poll.encode() };
    let result = loop {
        frames.push(to_payee.clone());
        let reply = match payee.handle_frame(&to_payee, now) {
            Ok(Some(reply)) => reply,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        frames.push(reply.clone());
        if tear && paying.payment().is_some() {
            paying.torn();
            break Ok(());
        }
        match paying.handle_frame(&reply, now) {
            Ok(Some(next)) => to_payee = next,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    Tap { frames, paying, result }
}

/// Two wallets of `suite` that met once (a cold payment of [`AMOUNT`], the payer saying
/// hello); the payer holds two more notes of [`AMOUNT`]. Also returns the sealed signed
/// receipt of a payment of 1 between two other strangers, the payer polling.
fn met(suite: Suite) -> (Wallet, Wallet, usize) {
    let issuer = offline_cash_core::testkit::TestIssuer::new(suite).unwrap();
    let payer = provisioned(&issuer, suite, 1).unwrap();
    let payee = provisioned(&issuer, suite, 2).unwrap();
    fund(&issuer, &payer, &[AMOUNT; 3], T0).unwrap();
    let cold = tap(&payer, &mut payee.request_payment(AMOUNT, T0).unwrap(), T0, true, false);
    cold.result.as_ref().unwrap();
    // A stranger's hello gets the full request, locked (version 4), and a key receipt.
    assert_eq!(cold.types(), [HELLO, REQUEST, SEALED_PAYMENT, SEALED_KEY_RECEIPT], "{suite:?}: strangers");
    let Frame::Request(request) = Frame::decode(&cold.frames[1]).unwrap() else { panic!("a full request") };
    assert!(request.body().receipt_lock.is_some(), "{suite:?}: a request answering a hello is locked");
    assert!(cold.paying.is_complete(), "{suite:?}");
    // A stranger that polls gets version 2 and a signed receipt, as before.
    let (other_payer, other_payee) = (provisioned(&issuer, suite, 3).unwrap(), provisioned(&issuer, suite, 4).unwrap());
    fund(&issuer, &other_payer, &[1], T0).unwrap();
    let polled = tap(&other_payer, &mut other_payee.request_payment(1, T0).unwrap(), T0, false, false);
    polled.result.as_ref().unwrap();
    assert_eq!(polled.types(), [POLL, REQUEST, SEALED_PAYMENT, SEALED_RECEIPT], "{suite:?}: a payer that polls");
    let signed_receipt = polled.frames[3].len();
    (payer, payee, signed_receipt)
}

#[test]
fn a_warm_tap_is_acknowledged_by_the_key_not_a_second_signature() {
    for (suite, signature) in [(Suite::EcdsaP256, 64), (Suite::MlDsa44, 2_420)] {
        let (payer, payee, signed_receipt) = met(suite);
        assert!(signed_receipt > signature, "{suite:?}: a signed receipt carries a signature");
        let warm = tap(&payer, &mut payee.request_payment(AMOUNT, T0 + 60).unwrap(), T0 + 60, true, false);
        warm.result.as_ref().unwrap();
        // An ML-DSA-44 payee signs it with the one-time key whose commitment was the cold
        // tap's receipt key (decision 0022); a P-256 payee with its wallet key.
        let request = if suite == Suite::MlDsa44 { ONE_TIME_REQUEST } else { COMPACT_REQUEST };
        assert_eq!(warm.types(), [HELLO, request, SEALED_PAYMENT, SEALED_KEY_RECEIPT], "{suite:?}");
        assert!(warm.paying.is_complete(), "{suite:?}: the key receipt completes the spend");
        let receipt = warm.frames[3].len();
        assert!(receipt <= 100, "{suite:?}: a sealed key receipt is {receipt} B");
        assert_eq!(payer.balance().unwrap().pending, 0, "{suite:?}");
        assert_eq!(payee.balance().unwrap().spendable, 2 * AMOUNT, "{suite:?}");
    }
}

#[test]
fn a_torn_warm_tap_retried_warm_completes_with_the_new_requests_key() {
    let (payer, payee, _) = met(Suite::MlDsa44);
    let mut first = payee.request_payment(AMOUNT, T0 + 60).unwrap();
    let torn = tap(&payer, &mut first, T0 + 60, true, true);
    torn.result.as_ref().unwrap();
    assert_eq!(torn.types().last(), Some(&SEALED_KEY_RECEIPT), "the payee committed and answered");
    assert_eq!(payer.balance().unwrap().pending, AMOUNT, "the receipt was lost: the spend stays pending");
    assert_eq!(payee.balance().unwrap().spendable, 2 * AMOUNT);
    // Tapped again: the same request, presented again with a fresh key; the same payment. The
    // payer may have missed the receipt that carried the next one-time key's commitment, so a
    // request presented again is signed with the wallet key, not a one-time key (decision 0022).
    let mut again = payee.request_again(&first.nonce(), T0 + 90).unwrap();
    let retry = tap(&payer, &mut again, T0 + 90, true, false);
    retry.result.as_ref().unwrap();
    assert_eq!(retry.types(), [HELLO, COMPACT_REQUEST, SEALED_PAYMENT, SEALED_KEY_RECEIPT]);
    assert_eq!(retry.frames[2].len(), torn.frames[2].len(), "the same payment, resent");
    assert!(retry.paying.is_complete());
    assert_eq!(payer.balance().unwrap().pending, 0);
    assert_eq!(payee.balance().unwrap().spendable, 2 * AMOUNT, "nothing credited twice");
    // The retry's key receipt carried a fresh one-time key's commitment: the next warm request
    // is signed with that key.
    let next = tap(&payer, &mut payee.request_payment(AMOUNT, T0 + 120).unwrap(), T0 + 120, true, false);
    next.result.as_ref().unwrap();
    assert_eq!(next.types(), [HELLO, ONE_TIME_REQUEST, SEALED_PAYMENT, SEALED_KEY_RECEIPT]);
    assert_eq!(payee.balance().unwrap().spendable, 3 * AMOUNT);
}

#[test]
fn a_torn_warm_tap_retried_with_a_full_request_completes_with_a_signed_receipt() {
    let (payer, payee, _) = met(Suite::EcdsaP256);
    let mut first = payee.request_payment(AMOUNT, T0 + 60).unwrap();
    tap(&payer, &mut first, T0 + 60, true, true).result.unwrap();
    assert_eq!(payer.balance().unwrap().pending, AMOUNT);
    // The retry polls (an older reader, or a payer that cannot say hello): a full request,
    // which has no lock, so the key receipt stored the first time would not do.
    let mut again = payee.request_again(&first.nonce(), T0 + 90).unwrap();
    let retry = tap(&payer, &mut again, T0 + 90, false, false);
    retry.result.as_ref().unwrap();
    assert_eq!(retry.types(), [POLL, REQUEST, SEALED_PAYMENT, SEALED_RECEIPT]);
    assert!(retry.paying.is_complete());
    assert_eq!(payer.balance().unwrap().pending, 0);
    assert_eq!(payee.balance().unwrap().spendable, 2 * AMOUNT);
}

#[test]
fn a_poll_after_a_strangers_hello_gets_the_unlocked_version_2_request_and_pays() {
    let issuer = offline_cash_core::testkit::TestIssuer::new(Suite::EcdsaP256).unwrap();
    let (stranger, old_payer) =
        (provisioned(&issuer, Suite::EcdsaP256, 1).unwrap(), provisioned(&issuer, Suite::EcdsaP256, 3).unwrap());
    let payee = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    fund(&issuer, &old_payer, &[AMOUNT], T0).unwrap();
    let mut session = payee.request_payment(AMOUNT, T0).unwrap();
    // A payer that says hello and walks away: the request it got is locked (version 4).
    let locked = session.handle_frame(&stranger.pay().hello_frame(), T0).unwrap().unwrap();
    assert_eq!(locked[3], LOCKED_REQUEST_VERSION as u8);
    // Another phone taps the same request and polls, as a payer that knows only version 2 does.
    let polled = tap(&old_payer, &mut session, T0, false, false);
    polled.result.as_ref().unwrap();
    assert_eq!(polled.types(), [POLL, REQUEST, SEALED_PAYMENT, SEALED_RECEIPT]);
    assert_eq!(polled.frames[1][3], PROTOCOL_VERSION as u8, "a poll always gets version 2");
    assert!(polled.paying.is_complete());
    assert_eq!(payee.balance().unwrap().spendable, AMOUNT);
}
