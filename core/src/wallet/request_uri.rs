//! Requests as links: the payee shows its request as an `offlinecash:` URI (a QR code, an NDEF
//! tag, a deep link, a message) and the payer pays the URI (`crate::qr`, PROTOCOL.md "Payment
//! request URI").
//!
//! ```text
//!  PayeeSession::request_uri ─────────"offlinecash:R…"──┐ (certificate carried: anyone can pay)
//!  PayeeSession::compact_request_uri ─"offlinecash:C…"──┴─► PayerSession::handle_request_uri ──► payment frame
//!                                      (certificate by id: payers that hold it; one QR code in every suite)
//! ```
//!
//! Contract: the URI is the signed request, so paying it runs every check of paying the
//! request frame (signature, terms, nonce paid once). A URI that cannot be read is
//! [`WalletError::Rejected`] with reason `malformed`, before anything is committed. A compact
//! URI naming a certificate the payer does not keep (peers met, certificates learnt from
//! received chains) is `Rejected` with [`PaymentRejection::PayeeCertificateNotHeld`] (reason
//! `unknown_certificate`: scan the full, animated code), before anything is committed. This
//! module keeps nothing: a saved request ([`super::SavedRequest`]) reopens the session later,
//! and a payment answers it whichever form the payer saw (decision 0016).

use super::{PayeeSession, PayerSession, WalletError};
use crate::protocol::PaymentRejection;
use crate::qr::{self, QrError};
use crate::token::{DecodeError, Rejection};

impl From<QrError> for WalletError {
    fn from(e: QrError) -> Self {
        WalletError::Rejected(PaymentRejection::Chain(Rejection::Malformed(DecodeError::from(e))))
    }
}

impl PayeeSession {
    /// This session's request as an `offlinecash:R…` URI (the full request: any payer can pay it).
    pub fn request_uri(&self) -> Result<String, WalletError> {
        Ok(qr::request_uri(self.request_frame())?)
    }

    /// This session's request as an `offlinecash:C…` URI: the same request signed in compact
    /// form, the payee's certificate named by its id, so it fits one QR code in every suite
    /// (ML-DSA-44 too). Only payers that hold the certificate can pay it (regulars); show
    /// [`PayeeSession::request_uri`] (or its animated code) to strangers. A saved request only
    /// (a live, encrypted session is [`WalletError::Misuse`]).
    pub fn compact_request_uri(&self) -> Result<String, WalletError> {
        Ok(qr::request_uri(&self.compact_request_frame()?)?)
    }
}

impl PayerSession {
    /// Pays the request a URI carries, `R` or `C`: exactly
    /// [`PayerSession::handle_one_way_request`] on the request frame inside it. Returns the
    /// payment frame to send back (over any channel).
    pub fn handle_request_uri(&mut self, uri: &str, now: u64) -> Result<Option<Vec<u8>>, WalletError> {
        let frame = qr::request_frame_from_uri(uri)?;
        self.handle_one_way_request(&frame, now)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use crate::crypto::Suite;
    use crate::testkit::TestIssuer;
    use crate::wallet::WalletError;
    use crate::wallet::testing::{fund, provisioned};

    const NOW: u64 = crate::testkit::T0;

    #[test]
    fn a_request_uri_is_paid_like_its_frame_in_every_suite() {
        for suite in [Suite::EcdsaP256, Suite::MlDsa44] {
            let issuer = TestIssuer::new(suite).unwrap();
            let payer = provisioned(&issuer, suite, 1).unwrap();
            let payee = provisioned(&issuer, suite, 2).unwrap();
            fund(&issuer, &payer, &[500], NOW).unwrap();
            let (mut session, _saved) = payee.request_payment_saved(120, NOW).unwrap();
            let uri = session.request_uri().unwrap();
            assert!(uri.starts_with("offlinecash:R"), "{uri}");
            let mut pay = payer.pay();
            // Scanners and link handlers may change the letter case.
            let payment = pay.handle_request_uri(&uri.to_ascii_lowercase(), NOW + 1).unwrap().unwrap();
            let receipt = session.handle_frame(&payment, NOW + 2).unwrap().unwrap();
            assert_eq!(pay.handle_frame(&receipt, NOW + 3).unwrap(), None);
            assert_eq!(payee.balance().unwrap().spendable, 120);
            // Paid once: the same URI again is refused before anything is committed.
            let again = payer.pay().handle_request_uri(&uri, NOW + 4);
            assert!(again.is_err(), "{again:?}");
            assert_eq!(payer.balance().unwrap().pending, 0);
        }
    }

    #[test]
    fn an_unreadable_or_altered_uri_is_malformed_or_refused_and_commits_nothing() {
        let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
        let payer = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
        let payee = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
        fund(&issuer, &payer, &[500], NOW).unwrap();
        let (session, _) = payee.request_payment_saved(120, NOW).unwrap();
        let uri = session.request_uri().unwrap();
        for bad in ["", "offlinecash:", "https://x", "offlinecash:P", "offlinecash:R1", &uri[..uri.len() - 7]] {
            match payer.pay().handle_request_uri(bad, NOW + 1) {
                Err(WalletError::Rejected(r)) => assert_eq!(r.code(), "malformed", "{bad}: {r:?}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        // One character changed inside the signed bytes: decodes, but the signature fails.
        let mut altered = uri.clone().into_bytes();
        let i = altered.len() / 2;
        altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert!(payer.pay().handle_request_uri(&altered, NOW + 1).is_err());
        assert_eq!(payer.balance().unwrap().pending, 0);
        assert_eq!(payer.balance().unwrap().spendable, 500);
    }
}
