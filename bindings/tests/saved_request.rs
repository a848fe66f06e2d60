//! Saved and shareable requests through the facade: a request made with
//! `requestPaymentSaved`, shared as its URI, paid with `PayerSession.handleRequestUri`, and
//! taken by a session reopened from the saved bytes; garbage URIs and saved bytes are typed
//! errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;

use offline_cash_core::crypto::Suite as CoreSuite;
use offline_cash_core::reason::Reason;
use offline_cash_core::testkit::TestIssuer;
use offline_cash_core::wallet::testing;
use offline_cash_ffi::{OfflineCashError, Suite, Wallet, WalletConfig, payment_request_nonce};

/// The exported wallet reads the system clock, so the fixture is built around it too.
fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn wallet(issuer: &TestIssuer, seed: u8, notes: &[u64]) -> Arc<Wallet> {
    let core = testing::provisioned(issuer, CoreSuite::EcdsaP256, seed).unwrap();
    if !notes.is_empty() {
        testing::fund(issuer, &core, notes, now()).unwrap();
    }
    let config = WalletConfig {
        issuer_url: "http://127.0.0.1:9".into(),
        account_credential: "none".into(),
        suite: Suite::EcdsaP256,
        max_clock_skew_secs: 300,
        request_ttl_secs: 600,
        allow_insecure_http: false,
    };
    Wallet::from_core(core, &config)
}

#[test]
fn a_saved_request_is_shared_as_a_uri_paid_and_taken_after_reopening() {
    let issuer = TestIssuer::at(CoreSuite::EcdsaP256, now()).unwrap();
    let payer = wallet(&issuer, 1, &[500]);
    let payee = wallet(&issuer, 2, &[]);
    let request = payee.request_payment_saved(120).unwrap();
    assert!(request.uri.starts_with("offlinecash:R"), "{}", request.uri);
    assert_eq!(request.session.request_uri().unwrap(), request.uri);
    let pay = payer.pay();
    let payment = pay.handle_request_uri(request.uri.clone()).unwrap().unwrap();
    assert_eq!(payment_request_nonce(payment.clone()), Some(request.session.nonce()));
    drop(request.session);
    let reopened = payee.resume_request(request.saved.clone()).unwrap();
    let receipt = reopened.handle_frame(payment).unwrap().unwrap();
    assert_eq!(pay.handle_frame(receipt).unwrap(), None);
    assert!(pay.is_complete());
    assert_eq!(payee.balance().unwrap().spendable, 120);
    // Paid once.
    assert!(payer.pay().handle_request_uri(request.uri).is_err());
}

#[test]
fn a_compact_uri_is_paid_by_a_regular_and_refused_to_a_stranger_with_nothing_committed() {
    let issuer = TestIssuer::at(CoreSuite::EcdsaP256, now()).unwrap();
    let regular = wallet(&issuer, 1, &[500]);
    let stranger = wallet(&issuer, 3, &[500]);
    let payee = wallet(&issuer, 2, &[]);
    // The regular paid this payee once (full URI), so it holds the payee's certificate.
    let first = payee.request_payment_saved(10).unwrap();
    let pay = regular.pay();
    pay.handle_frame(first.session.handle_frame(pay.handle_request_uri(first.uri).unwrap().unwrap()).unwrap().unwrap())
        .unwrap();
    let request = payee.request_payment_saved(120).unwrap();
    let compact = request.session.compact_request_uri().unwrap();
    assert!(compact.starts_with("offlinecash:C") && compact.len() < request.uri.len(), "{compact}");
    match stranger.pay().handle_request_uri(compact.clone()) {
        Err(OfflineCashError::Rejected { reason: Reason::UnknownCertificate, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!((stranger.balance().unwrap().spendable, stranger.balance().unwrap().pending), (500, 0));
    let pay = regular.pay();
    let receipt = request.session.handle_frame(pay.handle_request_uri(compact).unwrap().unwrap()).unwrap().unwrap();
    assert_eq!(pay.handle_frame(receipt).unwrap(), None);
    assert_eq!(payee.balance().unwrap().spendable, 130);
}

#[test]
fn garbage_uris_and_saved_bytes_are_typed_errors() {
    let issuer = TestIssuer::at(CoreSuite::EcdsaP256, now()).unwrap();
    let payer = wallet(&issuer, 1, &[500]);
    for uri in ["", "offlinecash:", "offlinecash:R0", "offlinecash:C0", "https://example.org", "offlinecash:PAAAA"] {
        match payer.pay().handle_request_uri(uri.into()) {
            Err(OfflineCashError::Rejected { .. }) => {}
            other => panic!("{uri}: {other:?}"),
        }
    }
    assert!(payer.resume_request(vec![1, 2, 3]).is_err());
    assert_eq!(payment_request_nonce(vec![2, 0]), None);
    assert_eq!(payer.balance().unwrap().pending, 0);
}
