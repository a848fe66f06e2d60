//! The wallet facade from Rust, with wallets provisioned by the testkit (no issuer): payments
//! through the exported sessions in both NFC role assignments and over frames, the typed
//! errors, sessions shared between threads, and garbage bytes into every exported function
//! that takes bytes — each must answer with a typed error or an error status word, never panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;

use offline_cash_core::crypto::Suite as CoreSuite;
use offline_cash_core::testkit::TestIssuer;
use offline_cash_core::wallet::testing;
use offline_cash_ffi::{NfcRole, OfflineCashError, ReaderStep, Reason, Suite, Wallet, WalletConfig, simulate_tap};
use proptest::prelude::*;

/// The exported wallet reads the system clock, so every fixture is built around it too (never
/// around the testkit's fixed `T0`: that mix broke once the real date passed `T0` + 30 days).
fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn test_issuer() -> TestIssuer {
    TestIssuer::at(CoreSuite::EcdsaP256, now()).unwrap()
}

fn config() -> WalletConfig {
    WalletConfig {
        issuer_url: "http://127.0.0.1:9".into(),
        account_credential: "none".into(),
        suite: Suite::EcdsaP256,
        max_clock_skew_secs: 300,
        request_ttl_secs: 600,
        allow_insecure_http: false,
    }
}

fn wallet(issuer: &TestIssuer, seed: u8, notes: &[u64]) -> Arc<Wallet> {
    let core = testing::provisioned(issuer, CoreSuite::EcdsaP256, seed).unwrap();
    if !notes.is_empty() {
        testing::fund(issuer, &core, notes, now()).unwrap();
    }
    Wallet::from_core(core, &config())
}

fn drive(
    card: &offline_cash_ffi::CardSession,
    reader: &offline_cash_ffi::ReaderSession,
) -> Result<(), OfflineCashError> {
    let mut apdu = reader.start();
    loop {
        match reader.handle_response(card.process_apdu(apdu))? {
            ReaderStep::Transmit { apdu: next } => apdu = next,
            ReaderStep::Done => return Ok(()),
        }
    }
}

#[test]
fn payments_through_card_and_reader_sessions_in_both_role_assignments() {
    let issuer = test_issuer();
    let a = wallet(&issuer, 1, &[1_000]);
    let b = wallet(&issuer, 2, &[]);
    let card = b.card_session(NfcRole::Payee, Some(300), false).unwrap();
    drive(&card, &a.reader_session(NfcRole::Payer, None, false, 261).unwrap()).unwrap();
    assert!(card.is_finished());
    // A paying card needs the amount its user confirmed; a reader asking for more gets nothing.
    assert!(matches!(a.card_session(NfcRole::Payer, None, true), Err(OfflineCashError::Misuse { .. })));
    let card = a.card_session(NfcRole::Payer, Some(150), true).unwrap();
    let refused = drive(&card, &b.reader_session(NfcRole::Payee, Some(200), true, 65_546).unwrap());
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(a.balance().unwrap().spendable, 700, "nothing committed for a request over the approval");
    let card = a.card_session(NfcRole::Payer, Some(200), true).unwrap();
    drive(&card, &b.reader_session(NfcRole::Payee, Some(200), true, 65_546).unwrap()).unwrap();
    assert_eq!(a.balance().unwrap().spendable, 500);
    assert_eq!(b.balance().unwrap().spendable, 500);
    let timing = simulate_tap(b.clone(), a.clone(), 100, NfcRole::Payer, 2).unwrap();
    assert_eq!(timing.taps, 2);
    assert_eq!(a.balance().unwrap().spendable, 700);
}

#[test]
fn a_refused_payment_is_a_typed_rejection_and_credits_nothing() {
    let issuer = test_issuer();
    let a = wallet(&issuer, 3, &[1_000]);
    let b = wallet(&issuer, 4, &[]);
    let request = b.request_payment(100).unwrap();
    let payment = a.pay().handle_frame(request.request_bytes()).unwrap().unwrap();
    // A payment that answers a request of another wallet: C never issued that request.
    let c = wallet(&issuer, 5, &[]);
    let other = c.request_payment(100).unwrap();
    let err = other.handle_frame(payment.clone()).unwrap_err();
    assert!(matches!(err, OfflineCashError::Incompatible { .. } | OfflineCashError::Rejected { .. }), "{err:?}");
    assert_eq!(c.balance().unwrap().total, 0);
    // The payee it was meant for takes it; the same bytes again are not a second payment.
    let receipt = request.handle_frame(payment.clone()).unwrap();
    assert!(receipt.is_some());
    assert!(request.handle_frame(payment).is_err());
    assert_eq!(b.balance().unwrap().spendable, 100);
    // Bytes that are no request at all: a typed rejection for the payer.
    let err = b.pay().handle_frame(vec![0xff; 40]).unwrap_err();
    assert!(
        matches!(
            err,
            OfflineCashError::Rejected { reason: Reason::Malformed, .. } | OfflineCashError::Incompatible { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn sessions_can_be_shared_between_threads() {
    let issuer = test_issuer();
    let a = wallet(&issuer, 6, &[1_000]);
    let b = wallet(&issuer, 7, &[]);
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let (a, b) = (a.clone(), b.clone());
            std::thread::spawn(move || {
                for _ in 0..20 {
                    let _ = a.balance().unwrap();
                    let _ = b.history(None, 10).unwrap();
                }
            })
        })
        .collect();
    for _ in 0..5 {
        let card = b.card_session(NfcRole::Payee, Some(10), true).unwrap();
        let reader = a.reader_session(NfcRole::Payer, None, true, 65_546).unwrap();
        // The reader is driven from another thread than the card.
        let handle = std::thread::spawn(move || drive(&card, &reader));
        handle.join().unwrap().unwrap();
    }
    for r in readers {
        r.join().unwrap();
    }
    assert_eq!(b.balance().unwrap().spendable, 50);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Garbage into every exported function that takes bytes: typed errors or an error status
    /// word, never a panic, and no value moves.
    #[test]
    fn garbage_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        use std::sync::OnceLock;
        static WALLETS: OnceLock<(Arc<Wallet>, Arc<Wallet>)> = OnceLock::new();
        let (a, b) = WALLETS.get_or_init(|| {
            let issuer = test_issuer();
            (wallet(&issuer, 8, &[1_000]), wallet(&issuer, 9, &[]))
        });
        let _ = a.pay().handle_frame(bytes.clone());
        let _ = b.request_payment(10).unwrap().handle_frame(bytes.clone());
        for role in [NfcRole::Payer, NfcRole::Payee] {
            for extended in [false, true] {
                let card = a.card_session(role, Some(10), extended).unwrap();
                let response = card.process_apdu(bytes.clone());
                prop_assert!(response.len() >= 2, "a status word at least");
                let _ = card.process_apdu(offline_cash_core::nfc::select_apdu());
                let _ = card.process_apdu(bytes.clone());
                card.deactivated();
                let reader = b.reader_session(role, Some(10), extended, 261).unwrap();
                let _ = reader.start();
                let _ = reader.handle_response(bytes.clone());
                let _ = reader.handle_response(bytes.clone());
                reader.torn();
            }
        }
        let _ = offline_cash_ffi::SoftwareKey::generate(Suite::EcdsaP256);
        prop_assert_eq!(a.balance().unwrap().total, 1_000);
        prop_assert_eq!(b.balance().unwrap().total, 0);
    }
}
