//! Errors of the settlement client.

/// Why a call to the issuer failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The issuer could not be reached (after the retries).
    #[error("network error talking to {url}: {message}")]
    Network { url: String, message: String },
    /// The issuer refused the request (4xx), with its typed error body.
    #[error("issuer refused the request ({status} {code}): {message}")]
    Refused { status: u16, code: String, message: String },
    /// The issuer failed (5xx) on every attempt.
    #[error("issuer failed ({status}) after {attempts} attempts: {message}")]
    Server { status: u16, attempts: u32, message: String },
    /// The answer was not what the protocol promises (bad JSON, base64 or object bytes).
    #[error("invalid answer from the issuer: {what}")]
    InvalidResponse { what: String },
    /// The wallet's signer failed.
    #[error("signing the request failed: {0}")]
    Signing(#[from] crate::crypto::CryptoError),
    /// The caller passed something unusable (a bad base URL).
    #[error("misuse: {what}")]
    Misuse { what: String },
}

impl SyncError {
    /// Whether another attempt may succeed (network failures and 5xx).
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Network { .. } | SyncError::Server { .. })
    }
}
