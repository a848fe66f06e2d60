//! Errors of decoding and of offline verification.

use super::{NoteId, ObjectKind, WalletId};
use crate::crypto::CryptoError;
use crate::reason::Reason;

/// Why bytes could not be decoded into an object. Offsets are byte positions in the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended in the middle of an item (or declared more than it holds).
    #[error("truncated input")]
    Truncated,
    /// Bytes remain after the object.
    #[error("trailing bytes at offset {offset}")]
    TrailingBytes { offset: usize },
    /// An integer or length not in its shortest form, or an indefinite length.
    #[error("non-canonical encoding at offset {offset}")]
    NonCanonical { offset: usize },
    /// A CBOR item of another major type than the field requires.
    #[error("unexpected item type at offset {offset}")]
    UnexpectedType { offset: usize },
    /// A string or array longer than the field allows.
    #[error("item at offset {offset} exceeds its limit of {limit}")]
    TooLarge { offset: usize, limit: usize },
    /// The whole input is larger than the object can ever be.
    #[error("input of {len} bytes exceeds the {limit}-byte limit")]
    InputTooLarge { len: usize, limit: usize },
    /// A field whose value is out of its domain.
    #[error("invalid {field} at offset {offset}")]
    InvalidField { offset: usize, field: &'static str },
    /// A version this code does not know.
    #[error("unknown {object} version {found}")]
    UnknownVersion { object: ObjectKind, found: u64 },
    /// The same object twice where each must appear once.
    #[error("duplicate {object} in bundle")]
    Duplicate { object: ObjectKind },
    /// A key or signature that is not valid or not canonical for its suite.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// Why a payee (or the issuer) refuses value. Each variant names what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The bytes are not a well-formed, canonical object.
    #[error("malformed: {0}")]
    Malformed(#[from] DecodeError),
    /// Signed by an issuer key this wallet does not trust: a counterfeit.
    #[error("forged {object}: issuer key {key_id} is not trusted")]
    Forged { object: ObjectKind, key_id: u32 },
    /// The signature does not match the content under the key that must have made it: the
    /// object was altered after signing (or forged with a trusted key id).
    #[error("altered {object}: signature does not match its content")]
    Altered { object: ObjectKind },
    /// A link spending a note was signed by a wallet that does not own the note (stolen note).
    #[error("note {parent} spent by a wallet that does not own it")]
    WrongOwner { parent: NoteId },
    /// A link spends a note that is not in the bundle.
    #[error("link spends unknown note {parent}")]
    UnknownParent { parent: NoteId },
    /// The outputs of a link do not add up to the note it spends.
    #[error("outputs total {outputs_total} but the spent note holds {parent_amount}")]
    AmountMismatch { parent_amount: u64, outputs_total: u64 },
    /// A note or output of zero value.
    #[error("zero amount in {object}")]
    ZeroAmount { object: ObjectKind },
    /// Something expired before `now` (a note) or before the link was signed (a certificate).
    #[error("{object} expired at {expired_at} (time checked: {at})")]
    Expired { object: ObjectKind, expired_at: u64, at: u64 },
    /// Something dated after the time it was checked at (beyond the allowed clock skew).
    #[error("{object} not valid until {valid_from} (time checked: {at})")]
    NotYetValid { object: ObjectKind, valid_from: u64, at: u64 },
    /// A wallet in the chain of custody is on the revocation list.
    #[error("wallet {wallet} is revoked")]
    Revoked { wallet: WalletId },
    /// The chain of custody is longer than the policy allows.
    #[error("chain depth {depth} exceeds the policy's {max}")]
    TooDeep { depth: u32, max: u32 },
    /// A note in another currency than the one expected.
    #[error("currency {found} where {expected} was expected")]
    CurrencyMismatch { expected: super::Currency, found: super::Currency },
    /// Two links in one bundle spend the same note.
    #[error("note {parent} is spent twice")]
    DoubleSpend { parent: NoteId },
    /// A link signer whose certificate is neither in the bundle nor known to the verifier.
    #[error("no certificate for wallet {wallet}")]
    UnknownCertificate { wallet: WalletId },
    /// An object in the bundle that no transferred note depends on.
    #[error("{object} in bundle is not needed by any transferred note")]
    Unreferenced { object: ObjectKind },
}

impl Rejection {
    /// Its reason (wire code, FFI, logs).
    pub fn reason(&self) -> Reason {
        match self {
            Rejection::Malformed(_) => Reason::Malformed,
            Rejection::Forged { .. } => Reason::Forged,
            Rejection::Altered { .. } => Reason::Altered,
            Rejection::WrongOwner { .. } => Reason::WrongOwner,
            Rejection::UnknownParent { .. } => Reason::UnknownParent,
            Rejection::AmountMismatch { .. } => Reason::AmountMismatch,
            Rejection::ZeroAmount { .. } => Reason::ZeroAmount,
            Rejection::Expired { .. } => Reason::Expired,
            Rejection::NotYetValid { .. } => Reason::NotYetValid,
            Rejection::Revoked { .. } => Reason::Revoked,
            Rejection::TooDeep { .. } => Reason::TooDeep,
            Rejection::CurrencyMismatch { .. } => Reason::CurrencyMismatch,
            Rejection::DoubleSpend { .. } => Reason::DoubleSpend,
            Rejection::UnknownCertificate { .. } => Reason::UnknownCertificate,
            Rejection::Unreferenced { .. } => Reason::Unreferenced,
        }
    }

    /// Its stable name (`self.reason().name()`).
    pub fn code(&self) -> &'static str {
        self.reason().name()
    }
}
