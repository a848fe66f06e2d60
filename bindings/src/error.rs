//! The errors apps see, and the one place where core's errors are mapped to them.
//!
//! ```text
//!  core::crypto::CryptoError ─┐
//!  core::token::DecodeError  ─┼─► OfflineCashError (named fields) ─► Kotlin OfflineCashException.X
//!  host callback failures    ─┘                                     Swift   OfflineCashError.x
//! ```
//!
//! UniFFI renames `…Error` to `…Exception` in Kotlin and Python. Each variant is something the
//! app can act on; `detail` is for people and logs, never for matching. (Not `message`: a
//! field of that name clashes with `Throwable.message` in Kotlin and makes `e.message`
//! ambiguous.)

use offline_cash_core::crypto::CryptoError;
use offline_cash_core::token::DecodeError;

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
