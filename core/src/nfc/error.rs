//! Errors of the reader role (and of the simulated field built on it).

use super::apdu::ApduError;
use super::capabilities::CapabilitiesError;
use super::status::StatusWord;

/// Why a reader session could not go on. Grouped as in the house style: what the card said,
/// what the card did wrong, what is incompatible, what the caller misused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NfcError {
    /// The card answered an error status word (see [`StatusWord::meaning`]). The card
    /// has dropped the exchange; after an error to SELECT the reader must SELECT again,
    /// after an error to an exchange it may send another frame.
    #[error("card answered {status}")]
    Card { status: StatusWord },
    /// The protocol on the card refused the frame with its own code (`9Axx`).
    #[error("the card's protocol rejected the frame with code {code:#04x}")]
    Rejected { code: u8 },
    /// The response is not an APDU (fewer than two bytes).
    #[error("malformed response APDU: {0}")]
    MalformedResponse(#[from] ApduError),
    /// The SELECT answer is not a valid capability block.
    #[error("invalid SELECT answer: {0}")]
    BadCapabilities(#[from] CapabilitiesError),
    /// The card broke the binding's rules (data where none is due, more than `Ne` bytes,
    /// `61xx` without data, an endless SELECT answer).
    #[error("card violated the binding: {reason}")]
    Violation { reason: &'static str },
    /// The card speaks another version of the binding.
    #[error("card speaks binding version {version}, this reader speaks {supported}")]
    UnsupportedVersion { version: u8, supported: u8 },
    /// A frame larger than the receiving side accepts (the card's advertised limit when
    /// sending, the reader's configured limit when receiving).
    #[error("frame of {len} bytes exceeds the {limit}-byte limit")]
    FrameTooLarge { len: usize, limit: usize },
    /// A method called in a state where it makes no sense.
    #[error("misuse: {reason}")]
    Misuse { reason: &'static str },
    /// A [`super::ReaderConfig`] that cannot work.
    #[error("invalid reader configuration: {reason}")]
    InvalidConfig { reason: &'static str },
}

impl NfcError {
    /// The error for a status word other than `9000` / `61xx`.
    pub(crate) fn from_status(status: StatusWord) -> Self {
        match status.rejection_code() {
            Some(code) => Self::Rejected { code },
            None => Self::Card { status },
        }
    }
}
