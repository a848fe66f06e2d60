//! The issuer's typed errors and their HTTP mapping.

use offline_cash_core::reason::Reason;

/// Why an issuer operation failed. Each variant maps to one HTTP status and a stable code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerError {
    /// The request body or a field in it is malformed.
    #[error("malformed request: {what}")]
    Malformed { what: String },
    /// The body exceeds the configured limit.
    #[error("request body exceeds {limit} bytes")]
    TooLarge { limit: usize },
    /// Missing or wrong credential / admin token.
    #[error("unauthorized: {what}")]
    Unauthorized { what: String },
    /// The request signature does not verify.
    #[error("bad request signature")]
    BadSignature,
    /// The request timestamp is outside the allowed window.
    #[error("stale timestamp {timestamp} (issuer time {now}, window {window}s)")]
    StaleTimestamp { timestamp: u64, now: u64, window: u64 },
    /// The nonce was already used by this wallet.
    #[error("replayed request nonce")]
    ReplayedNonce,
    /// The wallet is unknown, or belongs to another account.
    #[error("unknown wallet")]
    UnknownWallet,
    /// The wallet is revoked.
    #[error("wallet is revoked")]
    Revoked,
    /// The account is revoked (one of its wallets double spent): no new wallet, no funding,
    /// until an administrator reinstates it.
    #[error("account is revoked (a wallet of it double spent); an administrator must reinstate it")]
    AccountRevoked,
    /// No account has this customer reference.
    #[error("unknown account")]
    UnknownAccount,
    /// Funding would take the wallet over its holding limit (what the issuer knows it holds,
    /// plus the amount): spend or deposit first, or sync if it spent offline since.
    #[error("{0}; the issuer counts the notes it knows the wallet holds (sync first if it spent offline)")]
    Limit(offline_cash_core::policy::LimitError),
    /// The account cannot pay.
    #[error("insufficient balance: {balance} < {needed}")]
    InsufficientBalance { balance: i64, needed: u64 },
    /// A request breaks the issuer's policy (limits, sizes).
    #[error("policy violation: {what}")]
    Policy { what: String },
    /// Something already exists (account, wallet) or an idempotency key was reused.
    #[error("conflict: {what}")]
    Conflict { what: String },
    /// A bundle did not verify.
    #[error("rejected: {0}")]
    Rejected(#[from] offline_cash_core::token::Rejection),
    /// The database failed.
    #[error("storage: {0}")]
    Storage(#[from] rusqlite::Error),
    /// The PostgreSQL backend failed (crate::store::postgres).
    #[cfg(feature = "postgres")]
    #[error("postgres: {0}{detail}", detail = postgres_detail(.0))]
    Postgres(#[source] postgres::Error),
    /// A transaction kept conflicting with others (SQLSTATE 40001 serialization failure or
    /// 40P01 deadlock, or a busy SQLite file), more often than crate::store::MAX_ATTEMPTS.
    #[error("storage contended: {what}")]
    Contended { what: String },
    /// The database schema is newer than this code.
    #[error("database schema version {found} is newer than supported {supported}")]
    SchemaTooNew { found: i64, supported: i64 },
    /// Signing with the issuer key failed.
    #[error("crypto: {0}")]
    Crypto(#[from] offline_cash_core::crypto::CryptoError),
    /// The wallet has used up its request budget; try again after `retry_after_secs`.
    #[error("too many requests from this wallet: retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// Registration evidence refused: the attestation did not verify
    /// ([`Reason::AttestationRefused`], or the verifier's own reason) or its challenge is
    /// unknown, expired, used or of another registration ([`Reason::AttestationChallenge`]).
    #[error("attestation: {what}")]
    Attestation { reason: Reason, what: String },
    /// Anything else internal (e.g. a worker thread failed).
    #[error("internal: {what}")]
    Internal { what: String },
}

impl IssuerError {
    /// HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            IssuerError::Malformed { .. }
            | IssuerError::Rejected(_)
            | IssuerError::Policy { .. }
            | IssuerError::Limit(_) => 400,
            IssuerError::TooLarge { .. } => 413,
            IssuerError::Unauthorized { .. }
            | IssuerError::BadSignature
            | IssuerError::StaleTimestamp { .. }
            | IssuerError::ReplayedNonce => 401,
            IssuerError::Revoked | IssuerError::AccountRevoked | IssuerError::Attestation { .. } => 403,
            IssuerError::UnknownWallet | IssuerError::UnknownAccount => 404,
            IssuerError::InsufficientBalance { .. } => 402,
            IssuerError::Conflict { .. } => 409,
            IssuerError::RateLimited { .. } => 429,
            IssuerError::Storage(_)
            | IssuerError::Contended { .. }
            | IssuerError::SchemaTooNew { .. }
            | IssuerError::Crypto(_)
            | IssuerError::Internal { .. } => 500,
            #[cfg(feature = "postgres")]
            IssuerError::Postgres(_) => 500,
        }
    }

    /// Why, as the one reason type of the protocol (the `code` of the HTTP error body).
    pub fn reason(&self) -> Reason {
        match self {
            IssuerError::Malformed { .. } => Reason::Malformed,
            IssuerError::TooLarge { .. } => Reason::TooLarge,
            IssuerError::Unauthorized { .. } => Reason::Unauthorized,
            IssuerError::BadSignature => Reason::BadSignature,
            IssuerError::StaleTimestamp { .. } => Reason::StaleTimestamp,
            IssuerError::ReplayedNonce => Reason::ReplayedNonce,
            IssuerError::UnknownWallet => Reason::UnknownWallet,
            IssuerError::Revoked => Reason::Revoked,
            IssuerError::AccountRevoked => Reason::AccountRevoked,
            IssuerError::UnknownAccount => Reason::UnknownAccount,
            IssuerError::Limit(e) => e.reason(),
            IssuerError::InsufficientBalance { .. } => Reason::InsufficientBalance,
            IssuerError::Policy { .. } => Reason::Policy,
            IssuerError::Conflict { .. } => Reason::Conflict,
            IssuerError::RateLimited { .. } => Reason::RateLimited,
            IssuerError::Rejected(r) => r.reason(),
            IssuerError::Storage(_) | IssuerError::Contended { .. } => Reason::Storage,
            #[cfg(feature = "postgres")]
            IssuerError::Postgres(_) => Reason::Storage,
            IssuerError::SchemaTooNew { .. } => Reason::SchemaTooNew,
            IssuerError::Crypto(_) => Reason::Crypto,
            IssuerError::Internal { .. } => Reason::Internal,
            IssuerError::Attestation { reason, .. } => *reason,
        }
    }

    /// Its stable name (`self.reason().name()`).
    pub fn code(&self) -> &'static str {
        self.reason().name()
    }

    pub(crate) fn malformed(what: impl Into<String>) -> Self {
        IssuerError::Malformed { what: what.into() }
    }
}

/// The server's message and SQLSTATE of a PostgreSQL error (its Display says only "db error").
#[cfg(feature = "postgres")]
fn postgres_detail(e: &postgres::Error) -> String {
    e.as_db_error().map(|d| format!(" ({}: {})", d.code().code(), d.message())).unwrap_or_default()
}
