//! Payment requests that outlive the process that made them: file and QR flows, where the
//! request leaves as a file and the payment comes back later, maybe to another process
//! (`offline-cash wallet request` … `wallet accept`).
//!
//! ```text
//!  request_payment_saved(amount, now) ─► (PayeeSession, SavedRequest) ─► SavedRequest::to_bytes ─► disk
//!  disk ─► SavedRequest::from_bytes ─► resume_request(saved, now) ─► PayeeSession ─► handle_frame(payment)
//! ```
//!
//! Contract: a saved request uses a clear session (there is no channel on which to agree a
//! session key; the payment is signed and bound to the request nonce either way) and sends no
//! certificate hints, so reopening it rebuilds the same request (same nonce, amount and times,
//! and room if the payee's is unchanged; signed afresh, so its signature bytes differ: P-256
//! and ML-DSA signatures are randomized). A payer knows a request by payee and nonce, never by
//! its bytes, so it answers the rebuilt request with the payment it already made. It stays valid
//! for `WalletConfig::request_ttl` seconds from its creation, like any request. This module
//! does not remember which saved requests were used: the caller deletes a saved request once
//! its payment is accepted (a payment answered again gets the same receipt, nothing is
//! credited twice; only a *different* payment to a reopened used nonce would be accepted).

use super::payee_session::Opening;
use super::{PayeeSession, Wallet, WalletError};
use crate::protocol::{Frame, Payment};

/// Format version of [`SavedRequest::to_bytes`].
const SAVED_VERSION: u8 = 1;
/// `version ‖ amount (8, BE) ‖ nonce (16) ‖ created (8, BE)`.
const SAVED_LEN: usize = 1 + 8 + 16 + 8;

/// What a payee keeps to reopen a payment request later. Holds no secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavedRequest {
    /// The requested amount.
    pub amount: u64,
    /// The request's nonce (every link of the payment carries it).
    pub nonce: [u8; 16],
    /// When the request was made (Unix seconds).
    pub created: u64,
}

impl SavedRequest {
    /// Fixed-length encoding (33 bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(SAVED_LEN);
        out.push(SAVED_VERSION);
        out.extend_from_slice(&self.amount.to_be_bytes());
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.created.to_be_bytes());
        out
    }

    /// Decodes [`SavedRequest::to_bytes`]; anything else is [`WalletError::Incompatible`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WalletError> {
        let bad = |detail: &str| WalletError::Incompatible { detail: format!("saved request: {detail}") };
        if bytes.len() != SAVED_LEN {
            return Err(bad("wrong length"));
        }
        let (version, rest) = bytes.split_first().ok_or_else(|| bad("empty"))?;
        if *version != SAVED_VERSION {
            return Err(bad("unknown version"));
        }
        let (amount, rest) = rest.split_at(8);
        let (nonce, created) = rest.split_at(16);
        let amount = u64::from_be_bytes(amount.try_into().map_err(|_| bad("amount"))?);
        let nonce: [u8; 16] = nonce.try_into().map_err(|_| bad("nonce"))?;
        let created = u64::from_be_bytes(created.try_into().map_err(|_| bad("time"))?);
        if amount == 0 {
            return Err(bad("zero amount"));
        }
        Ok(Self { amount, nonce, created })
    }
}

/// The request nonce a clear payment frame answers (the nonce its links carry), to find the
/// saved request it belongs to. `None` if the frame is not a clear payment.
pub fn payment_request_nonce(frame: &[u8]) -> Option<[u8; 16]> {
    payment_nonce(frame).ok()
}

/// As [`payment_request_nonce`], with why the bytes are not a clear payment: a malformed
/// frame or payment is [`WalletError::Rejected`] with the decoder's reason (truncated,
/// non-canonical, trailing bytes…), another frame type [`WalletError::Incompatible`].
pub fn payment_nonce(frame: &[u8]) -> Result<[u8; 16], WalletError> {
    let malformed = |e: crate::token::DecodeError| WalletError::from(crate::token::Rejection::Malformed(e));
    let bytes = match Frame::decode(frame).map_err(malformed)? {
        Frame::Payment(bytes) => bytes,
        other => {
            return Err(WalletError::Incompatible {
                detail: format!("expected a clear payment frame, got frame type {:#04x}", other.type_byte()),
            });
        }
    };
    let payment = Payment::from_bytes(&bytes).map_err(malformed)?;
    payment
        .bundle
        .links
        .last()
        .map(|link| link.body().payee_nonce)
        .ok_or(WalletError::Rejected(crate::protocol::PaymentRejection::NotBoundToRequest))
}

/// The request nonce the payment with these canonical bytes answers (its last link's).
pub(crate) fn nonce_of_payment(payment_bytes: &[u8]) -> Option<[u8; 16]> {
    let payment = Payment::from_bytes(payment_bytes).ok()?;
    payment.bundle.links.last().map(|link| link.body().payee_nonce)
}

impl Wallet {
    /// The receipt this wallet already gave for the clear payment `frame`, as a receipt frame,
    /// if it accepted that payment before (a payment file delivered twice, a retried tap whose
    /// request is closed): the payer completes with it, and nothing is credited again. A receipt
    /// given as a key receipt (warm NFC tap) is signed afresh, dated `now`.
    pub fn stored_receipt(&self, frame: &[u8], now: u64) -> Result<Option<Vec<u8>>, WalletError> {
        let Ok(Frame::Payment(bytes)) = Frame::decode(frame) else {
            return Ok(None);
        };
        let hash = crate::protocol::payment_hash(&bytes);
        let Some(receipt) = self.lock().store.incoming_receipt(&hash)? else {
            return Ok(None);
        };
        let stored = crate::protocol::AnyReceipt::from_bytes(&receipt).map_err(|e| WalletError::Storage(e.into()))?;
        // A key receipt answered a locked request of an NFC tap; a payment file's payer needs
        // a signed one.
        let inner = self.lock();
        let receipt = crate::protocol::payee::receipt_again(None, &stored, inner.signer.as_ref(), self.id, now)?;
        Ok(Some(receipt.frame().encode()))
    }

    /// Starts receiving `amount` with a request that can be saved and reopened in another
    /// process: returns the session (its request frame is what the payer needs) and what to save.
    pub fn request_payment_saved(&self, amount: u64, now: u64) -> Result<(PayeeSession, SavedRequest), WalletError> {
        let session = PayeeSession::open(self.clone(), amount, now, Opening::Saved)?;
        let nonce = session.nonce();
        Ok((session, SavedRequest { amount, nonce, created: now }))
    }

    /// Reopens a saved request to take its payment. Refused once the request is older than
    /// the wallet's `request_ttl` (or dated in the future beyond the clock skew).
    pub fn resume_request(&self, saved: &SavedRequest, now: u64) -> Result<PayeeSession, WalletError> {
        let config = self.lock().config;
        if saved.created.saturating_add(config.request_ttl) < now {
            return Err(WalletError::Expired {
                what: "the payment request",
                expired_at: saved.created.saturating_add(config.request_ttl),
            });
        }
        if saved.created > now.saturating_add(config.max_clock_skew) {
            return Err(WalletError::Misuse { detail: "the payment request is dated in the future".into() });
        }
        PayeeSession::open(
            self.clone(),
            saved.amount,
            now,
            Opening::Resumed { nonce: saved.nonce, created: saved.created },
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;
    use crate::crypto::Suite;
    use crate::crypto::{Signer, SoftwareSigner};
    use crate::store::KeyLocation;
    use crate::testkit::TestIssuer;
    use crate::wallet::testing::{fund, provisioned};
    use crate::wallet::{SeededEntropy, WalletConfig};
    use std::sync::Arc;

    const NOW: u64 = crate::testkit::T0;

    #[test]
    fn a_saved_request_is_paid_after_the_payee_reopens_it_and_only_once() {
        let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
        let payer = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
        fund(&issuer, &payer, &[500], NOW).unwrap();
        let dir = std::env::temp_dir().join(format!("oc-saved-request-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("payee.db");
        let _ = std::fs::remove_file(&path);
        let key: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
        let open = |seed: u8| {
            let w = Wallet::open(
                &path,
                key.clone(),
                KeyLocation::Hardware("payee".into()),
                Box::new(SeededEntropy::new([seed; 32])),
                WalletConfig::default(),
            )
            .unwrap();
            w.install_issuer_keys(std::slice::from_ref(&issuer.key)).unwrap();
            w
        };
        let first_process = open(2);
        first_process.install_certificate(issuer.certify(key.as_ref()).unwrap()).unwrap();
        first_process.install_policy(&issuer.policy).unwrap();

        let (session, saved) = first_process.request_payment_saved(120, NOW).unwrap();
        let request_frame = session.request_frame().to_vec();
        let saved = SavedRequest::from_bytes(&saved.to_bytes()).unwrap();
        drop(session);
        drop(first_process);
        let payee_first = open(3);

        let mut pay = payer.pay();
        let payment = pay.handle_frame(&request_frame, NOW + 5).unwrap().unwrap();
        assert_eq!(payment_request_nonce(&payment), Some(saved.nonce));

        // Another process: the open request was forgotten with the first; the saved one reopens.
        let (mut unrelated, _) = payee_first.request_payment_saved(120, NOW + 10).unwrap();
        match unrelated.handle_frame(&payment, NOW + 10) {
            Err(WalletError::Rejected(r)) => assert_eq!(r.code(), "replayed", "{r:?}"),
            other => panic!("a payment to a forgotten request must be refused, got {other:?}"),
        }
        let mut resumed = payee_first.resume_request(&saved, NOW + 10).unwrap();
        let body = |frame: &[u8]| match Frame::decode(frame).unwrap() {
            Frame::Request(r) => r.body().clone(),
            other => panic!("a request frame, got {:?}", other.type_byte()),
        };
        assert_eq!(body(resumed.request_frame()), body(&request_frame), "the same request, signed again");
        // A payer that lost the receipt (torn tap) is shown the rebuilt request: it resends the
        // payment it made, byte for byte, and signs nothing new.
        let resent = payer.pay().handle_frame(resumed.request_frame(), NOW + 10).unwrap().unwrap();
        assert_eq!(resent, payment, "the pending payment again");
        assert_eq!(payer.balance().unwrap().pending, 120);
        let receipt = resumed.handle_frame(&payment, NOW + 10).unwrap().unwrap();
        assert_eq!(payee_first.balance().unwrap().spendable, 120);
        assert_eq!(pay.handle_frame(&receipt, NOW + 11).unwrap(), None);
        assert!(pay.is_complete());
        assert_eq!(payer.balance().unwrap().pending, 0);

        // The same payment again: the same receipt, nothing credited twice.
        let mut again = payee_first.resume_request(&saved, NOW + 12).unwrap();
        assert_eq!(again.handle_frame(&payment, NOW + 12).unwrap().unwrap(), receipt);
        assert_eq!(payee_first.balance().unwrap().spendable, 120);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_expired_saved_request_cannot_be_reopened() {
        let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
        let payee = provisioned(&issuer, Suite::EcdsaP256, 3).unwrap();
        let (_, saved) = payee.request_payment_saved(10, NOW).unwrap();
        let ttl = crate::wallet::WalletConfig::default().request_ttl;
        assert!(payee.resume_request(&saved, NOW + ttl).is_ok());
        assert!(matches!(
            payee.resume_request(&saved, NOW + ttl + 1),
            Err(WalletError::Expired { expired_at, .. }) if expired_at == NOW + ttl
        ));
    }

    #[test]
    fn garbage_is_not_a_saved_request() {
        assert!(SavedRequest::from_bytes(&[]).is_err());
        assert!(SavedRequest::from_bytes(&[9; SAVED_LEN]).is_err());
        let mut zero = SavedRequest { amount: 1, nonce: [1; 16], created: 2 }.to_bytes();
        zero[1..9].copy_from_slice(&0u64.to_be_bytes());
        assert!(SavedRequest::from_bytes(&zero).is_err());
        assert_eq!(payment_request_nonce(b"not a frame"), None);
    }
}
