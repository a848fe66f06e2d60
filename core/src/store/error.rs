//! Errors of the wallet store.

use crate::policy::LimitError;
use crate::token::NoteId;

/// Why a store operation failed. Nothing was written when an operation returns an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed (I/O error, disk full, locked…). The file was left as it was.
    #[error("sqlite: {source}")]
    Sqlite {
        #[source]
        source: rusqlite::Error,
    },
    /// The file is not a wallet database, or its content is damaged. It is never deleted or
    /// reset: the app must show the error and keep the file for recovery.
    #[error("wallet database is damaged or not a wallet database: {detail}")]
    Corrupt { detail: String },
    /// The database was written by a newer version of this code.
    #[error("wallet database schema version {found} is newer than this code supports ({supported})")]
    TooNew { found: u32, supported: u32 },
    /// Not enough usable value for the payment: `available` is what one payment can carry
    /// now; `unusable` says why the rest of the held value cannot.
    #[error("insufficient funds: {needed} needed, {available} usable in one payment{unusable}")]
    InsufficientFunds { needed: u64, available: u64, unusable: Unusable },
    /// An offline limit would be exceeded.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// No outgoing spend has this payment hash.
    #[error("no outgoing payment with hash {}", hex32(payment_hash))]
    UnknownPayment { payment_hash: [u8; 32] },
    /// An outgoing spend with this payment hash already exists.
    #[error("an outgoing payment with hash {} already exists", hex32(payment_hash))]
    DuplicateSpend { payment_hash: [u8; 32] },
    /// This wallet already made a payment (pending or complete) for the payee's request with
    /// this nonce: a request is paid once.
    #[error("the request was already paid by payment {}", hex32(payment_hash))]
    RequestAlreadyPaid { payment_hash: [u8; 32] },
    /// A note to spend is not held, or not unspent.
    #[error("note {note} is not spendable")]
    NoteNotSpendable { note: NoteId },
    /// The flow is already finished (or is not of the kind asked).
    #[error("flow {id} is already finished")]
    FlowFinished { id: u64 },
    /// A note to add is already in the wallet.
    #[error("note {note} is already held")]
    NoteExists { note: NoteId },
    /// A chain whose head is not the genesis note nor an output of its last link.
    #[error("chain for note {note} does not deliver its head")]
    BadChain { note: NoteId },
    /// The spend counter must increase with every spend.
    #[error("spend counter {counter} is not greater than the last one, {last}")]
    CounterNotIncreasing { counter: u64, last: u64 },
    /// Inputs and outputs of an operation do not add up.
    #[error("value does not add up: inputs {inputs}, outputs {outputs}")]
    ValueMismatch { inputs: u64, outputs: u64 },
    /// A spend link in a pending spend does not spend one of the notes being spent.
    #[error("spend link does not spend one of the notes named by the payment (parent {parent})")]
    LinkMismatch { parent: NoteId },
    /// Something the operation needs was never installed (identity, certificate, policy).
    #[error("wallet is not provisioned: no {missing}")]
    NotProvisioned { missing: &'static str },
    /// An identity with another key than the one this database belongs to.
    #[error("this database belongs to another wallet key")]
    IdentityMismatch,
    /// A certificate for another key than the wallet's.
    #[error("the certificate is for another key than this wallet's")]
    CertificateMismatch,
    /// A policy or revocation list older than the installed one.
    #[error("{object} sequence {offered} is older than the installed {current}")]
    Stale { object: &'static str, current: u64, offered: u64 },
    /// An issuer key whose id is already trusted with another public key (trusted keys are
    /// never replaced; a later key comes with a new id through a rotation).
    #[error("issuer key id {key_id} is already trusted with another key")]
    IssuerKeyConflict { key_id: u32 },
    /// A value too large to store (SQLite integers are signed 64-bit).
    #[error("{field} is out of range")]
    OutOfRange { field: &'static str },
    /// The hash-chained log was edited, truncated, reordered or has a gap at `seq`.
    #[error("log entry {seq} fails verification: {reason}")]
    LogTampered { seq: u64, reason: &'static str },
    /// A maintained counter disagrees with the rows it summarises.
    #[error("inconsistent {what}: stored {stored}, computed {computed}")]
    Inconsistent { what: &'static str, stored: u64, computed: u64 },
}

fn hex32(bytes: &[u8; 32]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

impl From<rusqlite::Error> for StoreError {
    fn from(source: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match source.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                StoreError::Corrupt { detail: source.to_string() }
            }
            _ => StoreError::Sqlite { source },
        }
    }
}

impl From<crate::token::DecodeError> for StoreError {
    fn from(e: crate::token::DecodeError) -> Self {
        StoreError::Corrupt { detail: format!("stored object does not decode: {e}") }
    }
}

impl From<crate::crypto::CryptoError> for StoreError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        StoreError::Corrupt { detail: format!("stored key does not decode: {e}") }
    }
}

/// Held value that a payment cannot use now, by reason (the rest of an
/// [`StoreError::InsufficientFunds`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Unusable {
    /// In notes past their expiry (the issuer returns it to the account after its sweep).
    pub expired: u64,
    /// In notes whose chain of custody is at the policy's depth limit (a refresh at the
    /// issuer makes it spendable again).
    pub too_deep: u64,
    /// In notes beyond the most one payment may carry
    /// ([`MAX_BUNDLE_HEADS`](crate::token::MAX_BUNDLE_HEADS)): pay in parts, or consolidate
    /// at the issuer.
    pub beyond_note_limit: u64,
    /// In notes whose chain holds a custodian this wallet knows is revoked: every synced payee
    /// refuses them; the next sync refreshes them at the issuer.
    pub revoked_custodian: u64,
}

impl std::fmt::Display for Unusable {
    /// Empty when nothing is unusable; else `"; also held: 5 expired, …"`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = [
            (self.expired, "in expired notes"),
            (self.too_deep, "in notes at the chain-depth limit (refresh at the issuer)"),
            (self.beyond_note_limit, "in notes beyond the most one payment may carry"),
            (self.revoked_custodian, "in notes that passed through a revoked wallet (sync to refresh them)"),
        ]
        .into_iter()
        .filter(|(v, _)| *v > 0)
        .map(|(v, why)| {
            if why.ends_with("carry") {
                format!("{v} {why} ({})", crate::token::MAX_BUNDLE_HEADS)
            } else {
                format!("{v} {why}")
            }
        })
        .collect();
        if parts.is_empty() { Ok(()) } else { write!(f, "; also held: {}", parts.join(", ")) }
    }
}
