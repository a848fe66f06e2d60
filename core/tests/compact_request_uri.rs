//! Compact request URIs (`offlinecash:C…`, decision 0016): a payee's request that names its
//! certificate by id, paid by a payer that holds the certificate (met before, or learnt from a
//! received chain), refused with `unknown_certificate` by a stranger (who then pays the full
//! URI), refused when it names another certificate, `malformed` when its text is damaged.
//! Nothing is committed by any refusal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::crypto::Suite;
use offline_cash_core::protocol::{Frame, PaymentRejection};
use offline_cash_core::qr::{request_frame_from_uri, request_uri};
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::wallet::testing::{fund, provisioned};
use offline_cash_core::wallet::{PayeeSession, PayerSession, Wallet, WalletError};

/// Pays `uri` with `pay`, hands the payment to `session`, the receipt back: a complete payment.
fn pay_uri(uri: &str, pay: &mut PayerSession, session: &mut PayeeSession, now: u64) {
    let payment = pay.handle_request_uri(uri, now).unwrap().expect("a payment frame");
    let receipt = session.handle_frame(&payment, now + 1).unwrap().expect("a receipt");
    assert_eq!(pay.handle_frame(&receipt, now + 2).unwrap(), None);
    assert!(pay.is_complete());
}

/// `payer` pays `payee` once through the full URI, so it keeps the payee's certificate.
fn meet(payer: &Wallet, payee: &Wallet, amount: u64, now: u64) {
    let (mut session, _) = payee.request_payment_saved(amount, now).unwrap();
    pay_uri(&session.request_uri().unwrap(), &mut payer.pay(), &mut session, now);
}

/// The certificate id a compact URI names.
fn named_certificate(uri: &str) -> [u8; 32] {
    match Frame::decode(&request_frame_from_uri(uri).unwrap()).unwrap() {
        Frame::CompactRequest(c) => c.body().certificate_id,
        other => panic!("not a compact request: {other:?}"),
    }
}

fn assert_untouched(wallet: &Wallet, spendable: u64) {
    let balance = wallet.balance().unwrap();
    assert_eq!((balance.spendable, balance.pending), (spendable, 0), "{balance:?}");
}

#[test]
fn a_compact_uri_is_paid_by_a_payer_that_met_the_payee_in_every_suite() {
    for suite in [Suite::EcdsaP256, Suite::MlDsa44] {
        let issuer = TestIssuer::new(suite).unwrap();
        let payer = provisioned(&issuer, suite, 1).unwrap();
        let payee = provisioned(&issuer, suite, 2).unwrap();
        fund(&issuer, &payer, &[500], T0).unwrap();
        meet(&payer, &payee, 100, T0);
        let (mut session, _) = payee.request_payment_saved(120, T0 + 10).unwrap();
        let full = session.request_uri().unwrap();
        let compact = session.compact_request_uri().unwrap();
        assert!(compact.starts_with("offlinecash:C"), "{compact}");
        // A certificate shorter: under the 4,296 characters of one code (version 40-L), where
        // an ML-DSA-44 full request is not.
        assert!(compact.len() < full.len() * 3 / 5, "{suite:?}: {} vs {}", compact.len(), full.len());
        assert!(compact.len() < 4_296, "{suite:?}: {} characters", compact.len());
        // Scanners change the letter case; the payee's session answers either form.
        pay_uri(&compact.to_ascii_lowercase(), &mut payer.pay(), &mut session, T0 + 11);
        assert_eq!(payee.balance().unwrap().spendable, 220);
        assert_eq!(payer.balance().unwrap().spendable, 280);
        // Paid once: the compact URI again, or the full one, is refused before anything is
        // committed (same nonce).
        for again in [&compact, &full] {
            match payer.pay().handle_request_uri(again, T0 + 20) {
                Err(WalletError::Rejected(PaymentRejection::AlreadyPaid { .. })) => {}
                other => panic!("{suite:?}: {other:?}"),
            }
        }
        assert_untouched(&payer, 280);
        // A saved request reopened (another process) takes a payment made from its compact URI.
        let (_, saved2) = payee.request_payment_saved(50, T0 + 30).unwrap();
        let compact2 = payee.resume_request(&saved2, T0 + 31).unwrap().compact_request_uri().unwrap();
        let payment = payer.pay().handle_request_uri(&compact2, T0 + 32).unwrap().unwrap();
        let mut reopened = payee.resume_request(&saved2, T0 + 33).unwrap();
        assert!(reopened.handle_frame(&payment, T0 + 34).unwrap().is_some(), "a receipt");
        assert_eq!(payee.balance().unwrap().spendable, 270);
    }
}

#[test]
fn a_stranger_gets_unknown_certificate_commits_nothing_and_pays_the_full_uri() {
    let suite = Suite::MlDsa44;
    let issuer = TestIssuer::new(suite).unwrap();
    let stranger = provisioned(&issuer, suite, 3).unwrap();
    let payee = provisioned(&issuer, suite, 2).unwrap();
    fund(&issuer, &stranger, &[500], T0).unwrap();
    let (mut session, _) = payee.request_payment_saved(120, T0).unwrap();
    let compact = session.compact_request_uri().unwrap();
    let mut pay = stranger.pay();
    let err = pay.handle_request_uri(&compact, T0 + 1).unwrap_err();
    match &err {
        WalletError::Rejected(r @ PaymentRejection::PayeeCertificateNotHeld { certificate_id }) => {
            assert_eq!(r.code(), "unknown_certificate");
            assert_eq!(*certificate_id, named_certificate(&compact));
        }
        other => panic!("{other:?}"),
    }
    assert_untouched(&stranger, 500);
    assert_eq!(stranger.history(offline_cash_core::store::HistoryFilter::All, None, 10).unwrap().entries.len(), 1);
    // The same session then takes the payee's full code (the app said "scan the full code").
    pay_uri(&session.request_uri().unwrap(), &mut pay, &mut session, T0 + 2);
    assert_eq!(payee.balance().unwrap().spendable, 120);
    // Now the stranger is a regular: the next compact URI is paid.
    let (mut next, _) = payee.request_payment_saved(30, T0 + 10).unwrap();
    pay_uri(&next.compact_request_uri().unwrap(), &mut stranger.pay(), &mut next, T0 + 11);
    assert_eq!(payee.balance().unwrap().spendable, 150);
}

#[test]
fn a_certificate_learnt_from_a_received_payment_pays_a_compact_uri() {
    let suite = Suite::EcdsaP256;
    let issuer = TestIssuer::new(suite).unwrap();
    let shop = provisioned(&issuer, suite, 1).unwrap();
    let customer = provisioned(&issuer, suite, 2).unwrap();
    fund(&issuer, &shop, &[300], T0).unwrap();
    fund(&issuer, &customer, &[300], T0).unwrap();
    // The shop paid the customer once (a refund): the customer kept the shop's certificate
    // from the payment's chain, without ever paying the shop.
    let (mut refund, _) = customer.request_payment_saved(40, T0).unwrap();
    pay_uri(&refund.request_uri().unwrap(), &mut shop.pay(), &mut refund, T0);
    let (mut session, _) = shop.request_payment_saved(70, T0 + 10).unwrap();
    pay_uri(&session.compact_request_uri().unwrap(), &mut customer.pay(), &mut session, T0 + 11);
    assert_eq!(shop.balance().unwrap().spendable, 300 - 40 + 70);
}

#[test]
fn a_compact_uri_naming_another_certificate_is_refused() {
    let suite = Suite::EcdsaP256;
    let issuer = TestIssuer::new(suite).unwrap();
    let payer = provisioned(&issuer, suite, 1).unwrap();
    let payee = provisioned(&issuer, suite, 2).unwrap();
    let other = provisioned(&issuer, suite, 3).unwrap();
    fund(&issuer, &payer, &[500], T0).unwrap();
    meet(&payer, &payee, 10, T0);
    meet(&payer, &other, 10, T0);
    let spendable = payer.balance().unwrap().spendable;
    let (session, _) = payee.request_payment_saved(120, T0 + 10).unwrap();
    let compact = session.compact_request_uri().unwrap();
    let (other_session, _) = other.request_payment_saved(5, T0 + 10).unwrap();
    let others_id = named_certificate(&other_session.compact_request_uri().unwrap());
    let own_id = named_certificate(&compact);
    let swap_id = |id: &[u8; 32]| {
        let frame = request_frame_from_uri(&compact).unwrap();
        let at = frame.windows(32).position(|w| w == own_id).unwrap();
        let mut frame = frame.clone();
        frame[at..at + 32].copy_from_slice(id);
        request_uri(&frame).unwrap()
    };
    // Another certificate this payer holds: the payee's signature does not verify under it.
    match payer.pay().handle_request_uri(&swap_id(&others_id), T0 + 11) {
        Err(WalletError::Rejected(r)) => assert_eq!(r, PaymentRejection::RequestSignature),
        other => panic!("{other:?}"),
    }
    // A certificate nobody holds: nothing to check it against.
    match payer.pay().handle_request_uri(&swap_id(&[7; 32]), T0 + 11) {
        Err(WalletError::Rejected(r)) => assert_eq!(r.code(), "unknown_certificate"),
        other => panic!("{other:?}"),
    }
    assert_untouched(&payer, spendable);
}

#[test]
fn damaged_compact_text_is_malformed_or_refused_and_commits_nothing() {
    let suite = Suite::EcdsaP256;
    let issuer = TestIssuer::new(suite).unwrap();
    let payer = provisioned(&issuer, suite, 1).unwrap();
    let payee = provisioned(&issuer, suite, 2).unwrap();
    fund(&issuer, &payer, &[500], T0).unwrap();
    meet(&payer, &payee, 10, T0);
    let (session, _) = payee.request_payment_saved(120, T0 + 10).unwrap();
    let compact = session.compact_request_uri().unwrap();
    let full_payload = &session.request_uri().unwrap()["offlinecash:R".len()..];
    let truncated = &compact[..compact.len() - 7];
    let bad_char = format!("{}1{}", &compact[..40], &compact[41..]);
    // A full request's bytes under the compact letter: the kind letter is part of the contract.
    let full_as_compact = format!("offlinecash:C{full_payload}");
    for bad in ["offlinecash:C", "offlinecash:C1", truncated, &bad_char, &full_as_compact] {
        match payer.pay().handle_request_uri(bad, T0 + 11) {
            Err(WalletError::Rejected(r)) => assert_eq!(r.code(), "malformed", "{bad}: {r:?}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    // One character changed inside the signed bytes (after the certificate id): decodes, but
    // the signature fails.
    let mut altered = compact.clone().into_bytes();
    let i = altered.len() - 20;
    altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    assert!(payer.pay().handle_request_uri(&altered, T0 + 11).is_err());
    assert_untouched(&payer, 490);
}

#[test]
fn a_live_encrypted_request_has_no_compact_uri() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let payee = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    let session = payee.request_payment(120, T0).unwrap();
    assert!(matches!(session.compact_request_uri(), Err(WalletError::Misuse { .. })));
    assert!(session.request_uri().unwrap().starts_with("offlinecash:R"));
}
