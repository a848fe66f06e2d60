//! Saved and shareable payment requests: a request that outlives the app process (saved bytes
//! to reopen it) and travels as an `offlinecash:` URI (QR code, NDEF tag, deep link, message).
//!
//! ```text
//!  Wallet.requestPaymentSaved(amount) ─► SavedPaymentRequest { session, saved, uri }
//!  uri ──QR / link──► payer: PayerSession.handleRequestUri(uri) ─► payment frame ──►
//!  Wallet.resumeRequest(saved) ─► PayeeSession.handleFrame(payment) ─► receipt
//! ```
//!
//! Wraps `offline_cash_core::wallet::{request_payment_saved, resume_request, SavedRequest}` and
//! `PayeeSession::request_uri`; no logic of its own.

use std::sync::Arc;

use offline_cash_core::wallet as cw;

use crate::OfflineCashError;
use crate::session::PayeeSession;
use crate::wallet::{Wallet, now};

/// A request that can be saved and reopened later, and shared as a URI.
#[derive(Debug, uniffi::Record)]
pub struct SavedPaymentRequest {
    /// The open session (feed it the payment while the app runs).
    pub session: Arc<PayeeSession>,
    /// What to store to reopen the request with `Wallet.resumeRequest` (33 bytes, no secret).
    pub saved: Vec<u8>,
    /// The request as an `offlinecash:R…` URI, for a QR code, a tag or a link.
    pub uri: String,
}

#[uniffi::export]
impl Wallet {
    /// Starts receiving `amount` with a request that survives the app: keep `saved`, show
    /// `uri`; when the payment arrives (maybe in another process), `resumeRequest(saved)`.
    pub fn request_payment_saved(&self, amount: u64) -> Result<SavedPaymentRequest, OfflineCashError> {
        let result = self.core().request_payment_saved(amount, now());
        self.shared_drain();
        let (session, saved) = result?;
        let uri = session.request_uri()?;
        Ok(SavedPaymentRequest {
            session: Arc::new(PayeeSession::new(self.shared.clone(), session)),
            saved: saved.to_bytes(),
            uri,
        })
    }

    /// Reopens a saved request (`SavedPaymentRequest.saved`) to take its payment; refused once
    /// it is older than the request lifetime (`Expired`).
    pub fn resume_request(&self, saved: Vec<u8>) -> Result<Arc<PayeeSession>, OfflineCashError> {
        let saved = cw::SavedRequest::from_bytes(&saved)?;
        let result = self.core().resume_request(&saved, now());
        self.shared_drain();
        Ok(Arc::new(PayeeSession::new(self.shared.clone(), result?)))
    }
}

/// The nonce of the request a clear payment frame answers (16 bytes), to find its saved
/// request; none if the bytes are not a clear payment.
#[uniffi::export]
pub fn payment_request_nonce(frame: Vec<u8>) -> Option<Vec<u8>> {
    cw::payment_request_nonce(&frame).map(|n| n.to_vec())
}
