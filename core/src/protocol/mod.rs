//! The offline payment protocol: PaymentRequest → Payment → Receipt, as sans-IO state machines.
//!
//! ```text
//!   payee                                   payer
//!   payee::request() ── Request frame ────► ExpectRequest::handle_frame (signature, certificate)
//!     (signed by the payee)                 RequestAccepted::pay (check_payable first) / resend
//!                                           (commit pending spend) PaymentPrepared::committed(SpendDurable)
//!   ExpectPayment::handle_frame ◄── Payment frame ──
//!   IncomingPayment::verify (or answer_duplicate)
//!   (commit notes + receipt) receipt_frame ── Receipt frame ──► ExpectReceipt::handle_frame
//!                                           (mark spend complete)
//! ```
//! After a request that carried a receipt lock (one answering a hello), the receipt is a
//! `KeyReceipt`: the payee reveals the key instead of signing (messages.rs,
//! docs/decisions/0019-key-receipts.md), and the sealed payment travels in its compact form
//! (compact_payment.rs, docs/decisions/0021-compact-cold-taps.md). An ML-DSA-44 payee makes
//! that key the commitment of a one-time hash-based key, which signs its next warm request
//! to the same payer in place of a 2,420-byte ML-DSA-44 signature (one_time_request.rs,
//! docs/decisions/0022-one-time-request-keys.md).
//!
//! The machines take bytes, `now` and random seeds, and return bytes and data; they own no
//! socket, NFC handle, clock, RNG, thread or database. The same machines serve NFC, QR codes
//! or files. Storage decisions (what is durable when) are the caller's, guided by the types:
//! the payment frame is released only against the store's proof that the pending spend is
//! committed (`store::SpendDurable`), and the receipt is signed for notes the caller commits
//! (with the `ChainVerified` proof) before sending it.

pub mod compact;
pub mod compact_payment;
mod error;
mod hints;
mod messages;
pub mod one_time_request;
pub mod payee;
pub mod payer;
pub mod session;

pub use error::{LimitKind, PaymentRejection, ProtocolError};
pub use messages::{
    AnyReceipt, CERT_HINT_LEN, Frame, KeyReceipt, LOCKED_REQUEST_VERSION, MAX_CERT_HINTS, MAX_ERROR_MESSAGE,
    MAX_FRAME_BYTES, PROTOCOL_VERSION, Payment, PaymentRequest, RECEIPT_KEY_LEN, Receipt, ReceiptBody, RequestBody,
    payment_hash, receipt_lock,
};
