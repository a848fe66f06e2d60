//! Errors of the payment protocol.

use crate::crypto::CryptoError;
use crate::reason::Reason;
use crate::token::{DecodeError, NoteId, Rejection, WalletId};

/// Which offline limit a payment hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitKind {
    /// The largest single offline payment (policy and payer certificate).
    PerPayment,
    /// The largest offline balance the payee may hold (policy and payee certificate).
    Holding,
    /// The most offline payments between two syncs.
    OfflinePayments,
}

impl std::fmt::Display for LimitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LimitKind::PerPayment => "per-payment limit",
            LimitKind::Holding => "holding limit",
            LimitKind::OfflinePayments => "offline payments limit",
        })
    }
}

/// Why a payee refused a payment (or a payer refused a request or a receipt).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaymentRejection {
    /// The notes themselves are not acceptable (forged, altered, expired, revoked, too deep…).
    #[error(transparent)]
    Chain(#[from] Rejection),
    /// The notes are owned by someone other than this payee (a payment meant for another
    /// payee, replayed here).
    #[error("payment is addressed to wallet {found}, not to this payee")]
    WrongPayee { found: WalletId },
    /// The notes do not add up to the requested amount.
    #[error("requested {requested}, paid {paid}")]
    AmountMismatch { requested: u64, paid: u64 },
    /// The payment answers a request nonce this payee did not issue or already used (replay).
    #[error("payment answers an unknown or already used request")]
    Replayed,
    /// The new links were not all signed by one payer, or bind another nonce.
    #[error("payment links do not answer this request")]
    NotBoundToRequest,
    /// A limit would be exceeded.
    #[error("{limit} of {limit_value} exceeded by {over_by}")]
    OverLimit { limit: LimitKind, limit_value: u64, over_by: u64 },
    /// This payee already holds a different spend of one of these notes.
    #[error("note {parent} was already spent to this payee by another link")]
    DoubleSpend { parent: NoteId },
    /// The counterparty's certificate is not acceptable now.
    #[error("counterparty certificate: {0}")]
    Certificate(Rejection),
    /// A receipt that is not signed by the payee or is for another payment.
    #[error("receipt does not match the payment or its signature is invalid")]
    BadReceipt,
    /// A request in another currency than the wallet's.
    #[error("currency mismatch")]
    Currency,
    /// A payment request whose signature does not verify under the payee certificate it
    /// carries (altered on the way, or made up by someone else).
    #[error("payment request signature does not verify under the payee's certificate")]
    RequestSignature,
    /// A payment request past its expiry (by the payer's clock).
    #[error("payment request expired at {expires_at}, now is {now}")]
    RequestExpired { expires_at: u64, now: u64 },
    /// A payment request dated further ahead of the payer's clock than the allowed skew: one
    /// of the two clocks is wrong, and the payee would refuse the payer's links as "not yet
    /// valid".
    #[error("payment request dated {request_time}, now is {now}: clocks differ by more than {max_skew} s")]
    ClockSkew { request_time: u64, now: u64, max_skew: u64 },
    /// The payee says (in its signed request) it cannot hold the amount.
    #[error("the payee can receive at most {can_receive}, asked for {amount}")]
    PayeeCannotHold { amount: u64, can_receive: u64 },
    /// This wallet already paid the request with this nonce (a replayed request).
    #[error("this payment request was already paid")]
    AlreadyPaid { payment_hash: [u8; 32] },
    /// The request asks for more than this wallet's user approved for the session (a phone
    /// paying as a card only pays what its user confirmed).
    #[error("the request asks for {asked}, more than the {approved} approved for this payment")]
    NotApproved { asked: u64, approved: u64 },
    /// This wallet has a payment to this payee awaiting its receipt, for an earlier request:
    /// present that request again to finish it (or sync), before a new one can be paid.
    #[error("a payment to this payee for an earlier request is pending: finish that request first (or sync)")]
    PendingForOtherRequest { payment_hash: [u8; 32] },
    /// A compact request that arrived over a one-way channel (a scanned `offlinecash:C…` code,
    /// a link, a file) names the payee's certificate by id, and this wallet does not hold that
    /// certificate: there is nobody to ask for it. Scan the payee's full (animated) code.
    #[error("the request names the payee's certificate by id and this wallet does not hold it: scan the full code")]
    PayeeCertificateNotHeld { certificate_id: [u8; 32] },
}

impl PaymentRejection {
    /// Its reason (wire code, error frames, FFI, logs).
    pub fn reason(&self) -> Reason {
        match self {
            PaymentRejection::Chain(r) => r.reason(),
            PaymentRejection::WrongPayee { .. } => Reason::WrongPayee,
            PaymentRejection::AmountMismatch { .. } => Reason::RequestedAmountMismatch,
            PaymentRejection::Replayed => Reason::Replayed,
            PaymentRejection::NotBoundToRequest => Reason::NotBoundToRequest,
            PaymentRejection::OverLimit { .. } => Reason::OverLimit,
            PaymentRejection::DoubleSpend { .. } => Reason::DoubleSpendSeen,
            PaymentRejection::Certificate(_) => Reason::Certificate,
            PaymentRejection::BadReceipt => Reason::BadReceipt,
            PaymentRejection::Currency => Reason::Currency,
            PaymentRejection::RequestSignature => Reason::Altered,
            PaymentRejection::RequestExpired { .. } => Reason::Expired,
            PaymentRejection::ClockSkew { .. } => Reason::NotYetValid,
            PaymentRejection::PayeeCannotHold { .. } => Reason::OverLimit,
            PaymentRejection::AlreadyPaid { .. } => Reason::Replayed,
            PaymentRejection::PendingForOtherRequest { .. } => Reason::PendingPayment,
            PaymentRejection::NotApproved { .. } => Reason::NotApproved,
            PaymentRejection::PayeeCertificateNotHeld { .. } => Reason::UnknownCertificate,
        }
    }

    /// Its stable name (`self.reason().name()`).
    pub fn code(&self) -> &'static str {
        self.reason().name()
    }
}

/// Anything that can go wrong in a protocol step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The peer's message was understood and refused.
    #[error("rejected: {0}")]
    Rejected(#[from] PaymentRejection),
    /// The peer's bytes are not a well-formed message.
    #[error("malformed message: {0}")]
    Malformed(#[from] DecodeError),
    /// A message of another type than this state expects.
    #[error("unexpected message: expected {expected}, got type {found:#04x}")]
    Unexpected { expected: &'static str, found: u8 },
    /// The peer sent an error frame.
    #[error("peer refused ({reason}): {message}")]
    Peer { reason: Reason, message: String },
    /// Session encryption failed (wrong key, altered ciphertext, replayed counter).
    #[error("session decryption failed")]
    Decryption,
    /// Our own signer failed.
    #[error("signer: {0}")]
    Crypto(#[from] CryptoError),
    /// The caller used the API wrongly (e.g. paid with notes that do not cover the amount).
    #[error("misuse: {0}")]
    Misuse(&'static str),
}
