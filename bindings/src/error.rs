//! The errors apps see, and the one place where core's errors are mapped to them.
//!
//! ```text
//!  core::crypto::CryptoError ─┐
//!  core::token::DecodeError  ─┤
//!  core::wallet::WalletError ─┼─► OfflineCashError (named fields) ─► Kotlin OfflineCashException.X
//!  host callback failures    ─┘                                     Swift   OfflineCashError.x
//! ```
//!
//! UniFFI renames `…Error` to `…Exception` in Kotlin and Python. Each variant is something the
//! app can act on; `detail` is for people and logs, never for matching. (Not `message`: a
//! field of that name clashes with `Throwable.message` in Kotlin and makes `e.message`
//! ambiguous.)

use offline_cash_core::crypto::CryptoError;
use offline_cash_core::policy::LimitError;
use offline_cash_core::protocol::PaymentRejection;
pub use offline_cash_core::reason::Reason;
use offline_cash_core::token::DecodeError;
use offline_cash_core::wallet::WalletError;

/// Why a call into Offline Cash failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum OfflineCashError {
    /// A key or signature is invalid, or a signature does not verify.
    #[error("{detail}")]
    Crypto { reason: CryptoReason, detail: String },
    /// Bytes handed in by the app (a stored blob) are not a well-formed object.
    #[error("malformed input: {detail}")]
    Malformed { detail: String },
    /// The app's `Signer` failed, reported a malformed public key, or signed with
    /// another key than the one it reports.
    #[error("signer: {detail}")]
    Signer { detail: String },
    /// The app's `KeyWrapper` failed, or an unwrapped secret does not belong to its
    /// public key (wrong wrapping key, altered or swapped blob).
    #[error("key wrapping: {detail}")]
    KeyWrap { detail: String },
    /// Something this version of the library does not support.
    #[error("incompatible: {detail}")]
    Incompatible { detail: String },
    /// The app called the API in a way it does not allow.
    #[error("misuse: {detail}")]
    Misuse { detail: String },
    /// The other wallet's message was understood and refused (a forged, replayed, expired…
    /// payment or request). Nothing was committed for it.
    #[error("rejected ({reason}): {detail}")]
    Rejected { reason: Reason, detail: String },
    /// The other wallet refused our message, with its reason (`code` is its wire code).
    #[error("the other wallet refused: {reason} (code {code})")]
    PeerRejected { reason: Reason, code: u8 },
    /// An offline limit would be exceeded (`limit_value` is the limit, `excess` by how much).
    #[error("{limit:?} limit of {limit_value} exceeded by {excess}")]
    Limit { limit: LimitKind, limit_value: u64, excess: u64 },
    /// Not enough usable value: `available` is what one payment can carry now; the rest of
    /// the held value is `expired`, `too_deep` (chains at the depth limit: sync to refresh),
    /// or `beyond_note_limit` (more notes than one payment carries: pay in parts).
    #[error("insufficient funds: {needed} needed, {available} usable in one payment")]
    InsufficientFunds {
        needed: u64,
        available: u64,
        expired: u64,
        too_deep: u64,
        beyond_note_limit: u64,
        revoked_custodian: u64,
    },
    /// Something's validity ran out (`what`, at `expired_at`, Unix seconds): e.g. a saved
    /// payment request past its time to live. Issue a new one.
    #[error("{what} expired at {expired_at}")]
    Expired { what: String, expired_at: u64 },
    /// The issuer understood the request and refused it (`reason`, e.g. `Revoked`,
    /// `AccountRevoked`, `InsufficientBalance`, `LimitHolding`); retrying unchanged will not help.
    #[error("issuer refused ({status} {reason}): {detail}")]
    IssuerRefused { status: u16, reason: Reason, detail: String },
    /// The wallet database failed its consistency check (counters that disagree with the
    /// notes, a broken log chain): paying, receiving and syncing are refused; the file is
    /// kept for recovery.
    #[error("wallet database damaged: {detail}")]
    Damaged { detail: String },
    /// The tap ended before the exchange completed: tap again to finish it.
    #[error("tap interrupted: {detail}")]
    Torn { detail: String },
    /// The wallet lacks something it needs (`missing`: certificate, policy, issuer keys):
    /// call `register()` (online).
    #[error("wallet not provisioned: no {missing}")]
    NotProvisioned { missing: String },
    /// The wallet database failed.
    #[error("storage: {detail}")]
    Storage { detail: String },
    /// The issuer could not be reached or answered with an error; `retryable` says whether
    /// trying again later may succeed.
    #[error("network: {detail}")]
    Network { retryable: bool, detail: String },
}

/// Why something was refused, the same enum end to end: a payment, request or receipt this
/// wallet refused (`Rejected`), the other wallet's refusal of ours (`PeerRejected`, from its
/// error frame or its NFC status word `9Axx`), and the issuer's (`IssuerRefused`). It is core's
/// [`offline_cash_core::reason::Reason`] itself, exported as it is (a variant added there
/// does not compile here until it is added below). `Unknown` is a reason of a newer version.
#[uniffi::remote(Enum)]
pub enum Reason {
    Unknown = 0,
    Malformed = 1,
    Forged = 2,
    Altered = 3,
    WrongOwner = 4,
    UnknownParent = 5,
    AmountMismatch = 6,
    ZeroAmount = 7,
    Expired = 8,
    NotYetValid = 9,
    Revoked = 10,
    TooDeep = 11,
    CurrencyMismatch = 12,
    DoubleSpend = 13,
    UnknownCertificate = 14,
    Unreferenced = 15,
    WrongPayee = 32,
    RequestedAmountMismatch = 33,
    Replayed = 34,
    NotBoundToRequest = 35,
    OverLimit = 36,
    DoubleSpendSeen = 37,
    Certificate = 38,
    BadReceipt = 39,
    Currency = 40,
    Busy = 41,
    PendingPayment = 42,
    NotApproved = 43,
    LimitPerPayment = 48,
    LimitHolding = 49,
    LimitOfflinePayments = 50,
    CertificateExpired = 51,
    CertificateNotYetValid = 52,
    AttestationRefused = 53,
    AttestationChallenge = 54,
    BadSignature = 64,
    StaleTimestamp = 65,
    ReplayedNonce = 66,
    UnknownWallet = 67,
    AccountRevoked = 68,
    UnknownAccount = 69,
    InsufficientBalance = 70,
    Policy = 71,
    Conflict = 72,
    RateLimited = 73,
    TooLarge = 74,
    Unauthorized = 75,
    Storage = 76,
    Internal = 77,
    SchemaTooNew = 78,
    Crypto = 79,
    NotFound = 80,
    MethodNotAllowed = 81,
    NotOwner = 96,
    UnknownNote = 97,
    NoteSpent = 98,
    NoteDeposited = 99,
    NoteRefreshed = 100,
    NoteExpiredReturned = 101,
    BadAmounts = 102,
    AttestationMalformed = 112,
    AttestationUnsupported = 113,
    AttestationChain = 114,
    AttestationSignature = 115,
    AttestationUntrustedRoot = 116,
    AttestationValidity = 117,
    AttestationRevoked = 118,
    AttestationReplayed = 119,
    AttestationWrongKey = 120,
    AttestationKeyProperties = 121,
    AttestationApplication = 122,
    AttestationCounter = 123,
    AttestationStatusList = 124,
}

/// Which limit an operation would exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LimitKind {
    /// The largest single offline payment.
    PerPayment,
    /// The largest offline balance.
    Holding,
    /// The most offline payments between two syncs: sync first.
    OfflinePayments,
    /// The wallet's certificate expired (`limitValue`: its expiry, `excess`: seconds overdue):
    /// sync first.
    CertificateExpired,
    /// The wallet's certificate is not valid yet (`limitValue`: its start, `excess`: seconds
    /// to wait); the device clock is probably wrong.
    CertificateNotYetValid,
}

impl From<LimitError> for OfflineCashError {
    fn from(e: LimitError) -> Self {
        let (limit, limit_value, excess) = match e {
            LimitError::PerPayment { limit, excess, .. } => (LimitKind::PerPayment, limit, excess),
            LimitError::Holding { limit, excess, .. } => (LimitKind::Holding, limit, excess),
            LimitError::OfflinePayments { max, excess, .. } => {
                (LimitKind::OfflinePayments, u64::from(max), u64::from(excess))
            }
            LimitError::CertificateExpired { not_after, overdue, .. } => {
                (LimitKind::CertificateExpired, not_after, overdue)
            }
            LimitError::CertificateNotYetValid { not_before, now } => {
                (LimitKind::CertificateNotYetValid, not_before, not_before.saturating_sub(now))
            }
            other => return OfflineCashError::Misuse { detail: other.to_string() },
        };
        OfflineCashError::Limit { limit, limit_value, excess }
    }
}

impl From<PaymentRejection> for OfflineCashError {
    fn from(e: PaymentRejection) -> Self {
        OfflineCashError::Rejected { reason: e.reason(), detail: e.to_string() }
    }
}

/// The one mapping from core's wallet errors to what the apps see.
impl From<WalletError> for OfflineCashError {
    fn from(e: WalletError) -> Self {
        let detail = e.to_string();
        match e {
            WalletError::Rejected(r) => r.into(),
            WalletError::PeerRejected { reason } => OfflineCashError::PeerRejected { reason, code: reason.code() },
            WalletError::Limit(l) => l.into(),
            WalletError::InsufficientFunds { needed, available, unusable } => OfflineCashError::InsufficientFunds {
                needed,
                available,
                expired: unusable.expired,
                too_deep: unusable.too_deep,
                beyond_note_limit: unusable.beyond_note_limit,
                revoked_custodian: unusable.revoked_custodian,
            },
            WalletError::Expired { what, expired_at } => OfflineCashError::Expired { what: what.into(), expired_at },
            WalletError::IssuerRefused { status, reason, detail } => {
                OfflineCashError::IssuerRefused { status, reason, detail }
            }
            WalletError::Damaged { detail } => OfflineCashError::Damaged { detail },
            WalletError::Incompatible { detail } => OfflineCashError::Incompatible { detail },
            WalletError::Torn { detail } => OfflineCashError::Torn { detail },
            WalletError::NotProvisioned { missing } => OfflineCashError::NotProvisioned { missing: missing.into() },
            WalletError::Misuse { detail } => OfflineCashError::Misuse { detail },
            WalletError::Network { retryable, detail } => OfflineCashError::Network { retryable, detail },
            WalletError::Storage(_) => OfflineCashError::Storage { detail },
            WalletError::Signer(c) => c.into(),
            _ => OfflineCashError::Storage { detail },
        }
    }
}

impl From<offline_cash_core::nfc::NfcError> for OfflineCashError {
    fn from(e: offline_cash_core::nfc::NfcError) -> Self {
        WalletError::from(e).into()
    }
}

/// What was wrong with a key or signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CryptoReason {
    /// A suite id this version does not know.
    UnknownSuite,
    /// Public key bytes that are not a valid key of the suite.
    InvalidPublicKey,
    /// Signature bytes that are malformed or not in canonical form.
    MalformedSignature,
    /// A key or signature of one suite where another was required.
    SuiteMismatch,
    /// The signature does not verify.
    VerificationFailed,
    /// A failure this version of the bindings does not classify further.
    Other,
}

impl From<CryptoError> for OfflineCashError {
    fn from(err: CryptoError) -> Self {
        let detail = err.to_string();
        let reason = match err {
            CryptoError::Signer(_) => return OfflineCashError::Signer { detail },
            CryptoError::KeyWrap(_) => return OfflineCashError::KeyWrap { detail },
            CryptoError::UnknownSuite(_) => CryptoReason::UnknownSuite,
            CryptoError::InvalidPublicKey { .. } => CryptoReason::InvalidPublicKey,
            CryptoError::MalformedSignature { .. } | CryptoError::NonCanonicalSignature { .. } => {
                CryptoReason::MalformedSignature
            }
            CryptoError::SuiteMismatch { .. } => CryptoReason::SuiteMismatch,
            CryptoError::VerificationFailed => CryptoReason::VerificationFailed,
            _ => CryptoReason::Other,
        };
        OfflineCashError::Crypto { reason, detail }
    }
}

impl From<DecodeError> for OfflineCashError {
    fn from(err: DecodeError) -> Self {
        match err {
            DecodeError::Crypto(inner) => inner.into(),
            other => OfflineCashError::Malformed { detail: other.to_string() },
        }
    }
}

/// How an app's `Signer` reports a failure (thrown as `SignerException` in Kotlin).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum SignerError {
    /// The platform refused or failed to sign (key invalidated, user not authenticated…).
    #[error("{detail}")]
    Failed { detail: String },
    /// The host threw something other than a `SignerError`; UniFFI reports it here.
    #[error("unexpected error from the host signer: {detail}")]
    Unexpected { detail: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SignerError {
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        SignerError::Unexpected { detail: err.reason }
    }
}

/// How an app's `KeyWrapper` reports a failure (thrown as `KeyWrapperException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum KeyWrapperError {
    /// The platform could not wrap or unwrap (keystore locked, tag mismatch…).
    #[error("{detail}")]
    Failed { detail: String },
    /// The host threw something other than a `KeyWrapperError`; UniFFI reports it here.
    #[error("unexpected error from the host key wrapper: {detail}")]
    Unexpected { detail: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeyWrapperError {
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        KeyWrapperError::Unexpected { detail: err.reason }
    }
}
