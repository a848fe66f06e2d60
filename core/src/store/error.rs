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
    /// Not enough spendable value for the payment.
    #[error("insufficient funds: {needed} needed, {available} spendable")]
    InsufficientFunds { needed: u64, available: u64 },
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
