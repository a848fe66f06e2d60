//! Errors of the crypto layer.

use super::Suite;

/// What went wrong with a key, a signature or a signer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// A suite id that this version does not know.
    #[error("unknown signature suite id {0}")]
    UnknownSuite(u64),
    /// Public key bytes that are not a valid key of the suite (wrong length, not on the curve…).
    #[error("invalid {suite} public key")]
    InvalidPublicKey { suite: Suite },
    /// Signature bytes of the wrong length, or with out-of-range values.
    #[error("malformed {suite} signature")]
    MalformedSignature { suite: Suite },
    /// A P-256 signature whose S is in the upper half of the group order: valid maths,
    /// but not the canonical form, so refused.
    #[error("non-canonical (high-S) {suite} signature")]
    NonCanonicalSignature { suite: Suite },
    /// A signature of one suite presented for a key of another.
    #[error("signature suite {found} does not match key suite {expected}")]
    SuiteMismatch { expected: Suite, found: Suite },
    /// The signature does not verify for this message and key.
    #[error("signature does not verify")]
    VerificationFailed,
    /// An external signer (hardware key) failed or returned a signature that does not verify.
    #[error("signer failed: {0}")]
    Signer(String),
    /// A secret key could not be wrapped or unwrapped.
    #[error("key wrapping failed: {0}")]
    KeyWrap(String),
}
