//! Errors of the settlement client.

/// Why a call to the issuer failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The issuer could not be reached (after the retries).
    #[error("network error talking to {url}: {message}")]
    Network { url: String, message: String },
    /// The issuer refused the request (4xx), with its typed error body.
    #[error("issuer refused the request ({status} {reason}): {message}")]
    Refused { status: u16, reason: crate::reason::Reason, message: String },
    /// The issuer failed (5xx) on every attempt.
    #[error("issuer failed ({status}) after {attempts} attempts: {message}")]
    Server { status: u16, attempts: u32, message: String },
    /// The issuer is throttling this wallet (429) on every attempt; try again after
    /// `retry_after_secs` (its `Retry-After`).
    #[error("issuer is rate limiting this wallet: retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The answer was not what the protocol promises (bad JSON, base64 or object bytes).
    #[error("invalid answer from the issuer: {what}")]
    InvalidResponse { what: String },
    /// The wallet's signer failed.
    #[error("signing the request failed: {0}")]
    Signing(#[from] crate::crypto::CryptoError),
    /// A plain `http://` issuer URL whose host is not loopback (127.0.0.0/8, `::1`,
    /// `localhost`): anyone on the path could read the credential and rewrite the answers.
    /// Use `https://`, or [`super::ClientOptions::allow_insecure_http`] for development.
    #[error(
        "refusing plain http:// to {url}: only loopback may use http (use https, or allow_insecure_http for development)"
    )]
    InsecureUrl { url: String },
    /// The caller passed something unusable (a bad base URL).
    #[error("misuse: {what}")]
    Misuse { what: String },
}

impl SyncError {
    /// Whether another attempt may succeed (network failures, 5xx, rate limiting).
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Network { .. } | SyncError::Server { .. } | SyncError::RateLimited { .. })
    }

    /// How long to wait before the next attempt, given the backoff's own `delay`: the
    /// issuer's `Retry-After` when it is rate limiting (at most `max`), else `delay`.
    pub(crate) fn wait(&self, delay: std::time::Duration, max: std::time::Duration) -> std::time::Duration {
        match self {
            SyncError::RateLimited { retry_after_secs } => {
                delay.max(std::time::Duration::from_secs(*retry_after_secs).min(max))
            }
            _ => delay,
        }
    }
}
