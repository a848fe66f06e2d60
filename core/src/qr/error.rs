//! Why text is not a request URI or a part.

use crate::token::DecodeError;

/// A URI or a part that cannot be read. Never a panic: every malformed input lands here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The text does not start with `offlinecash:` (any case).
    #[error("not an offlinecash: URI")]
    NotOurScheme,
    /// The kind letter after the scheme is not `R` (request), `C` (compact request) or `P`
    /// (part), or not the one expected.
    #[error("offlinecash: URI of kind {found:?} where {expected} was expected")]
    WrongKind {
        /// The character found (None: nothing after the scheme).
        found: Option<char>,
        /// What the caller wanted.
        expected: &'static str,
    },
    /// The payload is not base32 (RFC 4648, no padding).
    #[error("invalid base32 at character {position}")]
    Base32 {
        /// Character offset inside the payload.
        position: usize,
    },
    /// Longer than anything this version accepts.
    #[error("input of {len} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Length found.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The bytes of a request URI are not a well-formed request frame.
    #[error("not a payment request: {0}")]
    Frame(#[from] DecodeError),
    /// A part's header is malformed (short, unknown version (not 1 or 2), zero or too many fragments,
    /// a fragment of the wrong length).
    #[error("malformed part: {detail}")]
    BadPart {
        /// What was wrong.
        detail: &'static str,
    },
    /// A part of another message (other length, fragment count or checksum) than the parts
    /// received so far.
    #[error("part belongs to another message")]
    OtherMessage,
    /// A part of the same message in another part version than the first part received (a
    /// message is rebuilt from parts of one version).
    #[error("part of version {found} where this message's first part was version {first}")]
    OtherVersion {
        /// The version of the first part accepted.
        first: u8,
        /// The version of this part.
        found: u8,
    },
    /// The reassembled message does not match its checksum.
    #[error("reassembled message fails its checksum")]
    Checksum,
}

impl From<QrError> for DecodeError {
    /// A URI or part that cannot be read is a malformed input (reason `malformed` on the wire).
    fn from(e: QrError) -> Self {
        match e {
            QrError::Frame(d) => d,
            QrError::TooLarge { len, limit } => DecodeError::InputTooLarge { len, limit },
            QrError::Base32 { position } => DecodeError::InvalidField { offset: position, field: "base32 text" },
            _ => DecodeError::InvalidField { offset: 0, field: "offlinecash: URI" },
        }
    }
}
