//! One reason type end to end: the reason a wallet refuses with is the reason the other side
//! reads, whether it travels in an error frame (files) or in the NFC status word `9Axx` (a tap).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use offline_cash_core::crypto::Suite;
use offline_cash_core::nfc::{CardConfig, FieldConfig, NfcError, ReaderConfig};
use offline_cash_core::protocol::{Frame, ProtocolError};
use offline_cash_core::reason::Reason;
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::wallet::WalletError;
use offline_cash_core::wallet::tap::{CardRole, TapConfig, tap};
use offline_cash_core::wallet::testing::{fund, provisioned};

#[test]
fn every_reason_crosses_an_error_frame_and_a_status_word_unchanged() {
    for reason in Reason::all().filter(|r| *r != Reason::Unknown) {
        // Files: the payee's error frame, decoded by the payer.
        let bytes = Frame::error(reason, "why").encode();
        let frame = Frame::decode(&bytes).unwrap();
        let decoded = frame.reason();
        let Frame::Error { message, .. } = frame else { panic!("not an error frame") };
        assert_eq!((decoded, message.as_str()), (reason, "why"));
        let seen = WalletError::from(ProtocolError::Peer { reason: decoded, message });
        assert!(matches!(seen, WalletError::PeerRejected { reason: r } if r == reason), "{seen}");
        // NFC: the card's status word 9Axx, read by the reader.
        let seen = WalletError::from(NfcError::Rejected { code: reason.code() });
        assert!(matches!(seen, WalletError::PeerRejected { reason: r } if r == reason), "{seen}");
        assert!(seen.to_string().contains(reason.name()), "the message names the reason: {seen}");
    }
}

#[test]
fn a_reason_from_a_newer_peer_is_unknown_not_a_broken_frame() {
    // An error frame naming a reason this version does not have still decodes.
    let mut bytes = Frame::error(Reason::Revoked, "").encode();
    let at = bytes.windows(7).position(|w| w == b"revoked").unwrap();
    bytes[at..at + 7].copy_from_slice(b"zzzzzzz");
    let frame = Frame::decode(&bytes).unwrap();
    assert_eq!(frame.reason(), Reason::Unknown);
    // …and re-encodes to its own bytes (the fuzz target's property: the name is kept as sent).
    assert_eq!(frame.encode(), bytes);
    let seen = WalletError::from(NfcError::Rejected { code: 0xEE });
    assert!(matches!(seen, WalletError::PeerRejected { reason: Reason::Unknown }), "{seen}");
}

/// A payer that does not know it was revoked pays a payee that does: the payee refuses with
/// `Revoked`, and the payer reads `Revoked` from the card's status word, in both card roles.
#[test]
fn a_payees_refusal_reaches_the_payer_with_the_same_reason_over_a_tap() {
    for role in [CardRole::PayeeIsCard, CardRole::PayerIsCard] {
        let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
        let payer = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
        let payee = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
        fund(&issuer, &payer, &[500], T0).unwrap();
        payee.install_revocations(&issuer.revoke(vec![payer.id()]).unwrap()).unwrap();
        let request = payee.request_payment(100, T0).unwrap();
        let config = TapConfig {
            role,
            field: FieldConfig { reader: ReaderConfig::short(), ..FieldConfig::default() },
            card: CardConfig::short(),
        };
        let report = tap(payer.pay(), request, config, T0).unwrap();
        let refused = match &report.payee_error {
            Some(WalletError::Rejected(r)) => r.reason(),
            other => panic!("{role:?}: payee should refuse, got {other:?}"),
        };
        assert_eq!(refused, Reason::Revoked, "{role:?}");
        assert!(
            matches!(report.payer_error, Some(WalletError::PeerRejected { reason: Reason::Revoked })),
            "{role:?}: the payer reads the payee's reason: {:?}",
            report.payer_error
        );
        assert_eq!(payee.balance().unwrap().total, 0, "{role:?}");
    }
}
