//! What the wallet says when it cannot do what was asked: a damaged database refuses to move
//! money (and says so), "insufficient funds" says why held value cannot be used, and an
//! expired saved request is an expiry, not a misuse.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;

use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::store::testing::TempDir;
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::wallet::tap::{TapConfig, tap};
use offline_cash_core::wallet::testing::{fund, provisioned, provisioned_on_disk};
use offline_cash_core::wallet::{Wallet, WalletError};

fn pay(payer: &Wallet, payee: &Wallet, amount: u64) -> Result<(), WalletError> {
    let request = payee.request_payment(amount, T0)?;
    let report = tap(payer.pay(), request, TapConfig::payee_is_card(true), T0).unwrap();
    match report.error() {
        None => Ok(()),
        Some(e) => Err(WalletError::Misuse { detail: format!("{e:?}") }),
    }
}

#[test]
fn a_database_whose_counters_disagree_with_its_notes_moves_no_money_but_still_shows_its_state() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let dir = TempDir::new("wallet-damaged").unwrap();
    let path = dir.join("wallet.db");
    let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    let bob = provisioned(&issuer, Suite::EcdsaP256, 9).unwrap();
    {
        let alice = provisioned_on_disk(&issuer, signer.clone(), &path, 1).unwrap();
        fund(&issuer, &alice, &[1_000], T0).unwrap();
        pay(&alice, &bob, 100).unwrap();
        alice.check().unwrap();
    }
    // Someone edits the balance counter (a bug, or a user hoping for more money).
    rusqlite::Connection::open(&path).unwrap().execute_batch("UPDATE state SET spendable = spendable + 500").unwrap();

    let alice = provisioned_on_disk(&issuer, signer.clone(), &path, 1).unwrap();
    assert_eq!(alice.balance().unwrap().spendable, 1_400, "balance still answers (for support)");
    assert!(matches!(alice.check(), Err(WalletError::Damaged { .. })));
    // Paying: refused before anything is signed or committed.
    let request = bob.request_payment(50, T0).unwrap();
    let err = alice.pay().handle_frame(request.request_frame(), T0).unwrap_err();
    assert!(matches!(err, WalletError::Damaged { .. }), "{err:?}");
    assert_eq!(alice.balance().unwrap().pending, 0);
    // Receiving and funding: refused too.
    assert!(matches!(alice.request_payment(10, T0), Err(WalletError::Damaged { .. })));
    assert!(matches!(fund(&issuer, &alice, &[10], T0), Err(WalletError::Damaged { .. })));

    // An edited log entry (the counters agree, the hash chain does not) is caught the same way.
    let dir2 = TempDir::new("wallet-damaged-log").unwrap();
    let path2 = dir2.join("wallet.db");
    let signer2: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    {
        let carol = provisioned_on_disk(&issuer, signer2.clone(), &path2, 2).unwrap();
        fund(&issuer, &carol, &[1_000], T0).unwrap();
    }
    rusqlite::Connection::open(&path2).unwrap().execute_batch("UPDATE log SET at = at + 1").unwrap();
    let carol = provisioned_on_disk(&issuer, signer2, &path2, 2).unwrap();
    let request = bob.request_payment(50, T0).unwrap();
    assert!(matches!(carol.pay().handle_frame(request.request_frame(), T0), Err(WalletError::Damaged { .. })));
}

#[test]
fn insufficient_funds_says_why_held_notes_cannot_pay() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let payee = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();

    // 70 notes of 1: one payment carries at most 64 of them.
    let many = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    fund(&issuer, &many, &[1; 70], T0).unwrap();
    let request = payee.request_payment(70, T0).unwrap();
    match many.pay().handle_frame(request.request_frame(), T0) {
        Err(WalletError::InsufficientFunds { needed: 70, available: 64, unusable }) => {
            assert_eq!((unusable.expired, unusable.too_deep, unusable.beyond_note_limit), (0, 0, 6));
        }
        other => panic!("expected InsufficientFunds, got {other:?}"),
    }
    assert_eq!(many.balance().unwrap().pending, 0);

    // Expired notes: held, but no payee would take them. The issuer (one key, as two testkit
    // issuers built on it) certifies the wallet again a year on, so that only the notes are out
    // of date when it pays.
    let scalar = [0x42u8; 32];
    let year0 = TestIssuer::with_signer(SoftwareSigner::p256_from_scalar(&scalar).unwrap()).unwrap();
    let later = T0 + 370 * 86_400;
    let year1 = TestIssuer::with_signer_at(SoftwareSigner::p256_from_scalar(&scalar).unwrap(), later).unwrap();
    let old = provisioned(&year0, Suite::EcdsaP256, 3).unwrap();
    fund(&year0, &old, &[300], T0).unwrap();
    old.install_certificate(year1.certify(old.signer().as_ref()).unwrap()).unwrap();
    let payee = provisioned(&year1, Suite::EcdsaP256, 4).unwrap();
    let request = payee.request_payment(10, later).unwrap();
    let err = old.pay().handle_frame(request.request_frame(), later).unwrap_err();
    match &err {
        WalletError::InsufficientFunds { needed: 10, available: 0, unusable } => {
            assert_eq!((unusable.expired, unusable.too_deep, unusable.beyond_note_limit), (300, 0, 0));
            assert!(err.to_string().contains("300 in expired notes"), "{err}");
        }
        other => panic!("expected InsufficientFunds, got {other:?}"),
    }
}

#[test]
fn an_expired_saved_request_is_an_expiry_not_a_misuse() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let payee = provisioned(&issuer, Suite::EcdsaP256, 5).unwrap();
    let (_session, saved) = payee.request_payment_saved(10, T0).unwrap();
    let ttl = 600; // WalletConfig::default().request_ttl
    assert!(payee.resume_request(&saved, T0 + ttl).is_ok());
    match payee.resume_request(&saved, T0 + ttl + 1) {
        Err(WalletError::Expired { expired_at, .. }) => assert_eq!(expired_at, T0 + ttl),
        other => panic!("expected Expired, got {other:?}"),
    }
}

/// A note that passed through a wallet this payer knows is revoked is not paid with: every
/// synced payee would refuse it, and its pending spend would settle to a payee that never took
/// it. Other notes pay; if none can, "insufficient funds" names the revoked custodian.
#[test]
fn notes_that_passed_through_a_revoked_wallet_are_not_paid_with_and_are_named() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let mallory = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let bob = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    let dave = provisioned(&issuer, Suite::EcdsaP256, 3).unwrap();
    fund(&issuer, &mallory, &[200], T0).unwrap();
    // Mallory pays Bob before anyone knows; then she is revoked and Bob learns it.
    let request = bob.request_payment(200, T0).unwrap();
    let report = tap(mallory.pay(), request, TapConfig::payee_is_card(false), T0).unwrap();
    assert!(report.payer_complete, "{:?}", report.error());
    bob.install_revocations(&issuer.revoke(vec![mallory.id()]).unwrap()).unwrap();
    let request = dave.request_payment(150, T0 + 10).unwrap();
    match bob.pay().handle_frame(request.request_frame(), T0 + 10) {
        Err(err @ WalletError::InsufficientFunds { needed: 150, available: 0, unusable }) => {
            assert_eq!(unusable.revoked_custodian, 200, "{err}");
            assert_eq!(unusable.beyond_note_limit, 0, "{err}");
            assert!(err.to_string().contains("passed through a revoked wallet"), "{err}");
        }
        other => panic!("expected InsufficientFunds naming the revoked custodian, got {other:?}"),
    }
    assert_eq!(bob.balance().unwrap().pending, 0, "nothing committed");
    // A clean note pays, and the tainted one is left alone.
    fund(&issuer, &bob, &[500], T0 + 20).unwrap();
    let request = dave.request_payment(150, T0 + 30).unwrap();
    let report = tap(bob.pay(), request, TapConfig::payee_is_card(false), T0 + 30).unwrap();
    assert!(report.payer_complete && report.payee_received.is_some(), "{:?}", report.error());
    assert_eq!(bob.balance().unwrap().spendable, 200 + 350);
}
