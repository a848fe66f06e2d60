//! The payment request as a URI (PROTOCOL.md §5.1, "Payment request URI"), in two kinds:
//!
//! ```text
//!  offlinecash:R ‖ BASE32(request payload)          frame 0x01: carries the payee's certificate
//!  offlinecash:C ‖ BASE32(compact request payload)  frame 0x09: names it by id (decision 0016)
//! ```
//!
//! Each payload is the frame's bytes after its type byte, exactly as the payee signed them.
//! The kind letter says which frame type to put back; the two never verify as one another
//! (a compact body leads with version 3, `protocol::compact`).

use super::{QrError, text};
use crate::protocol::{Frame, MAX_FRAME_BYTES};
use crate::token::DecodeError;

/// The URI scheme, with its colon. Lower case (Android matches schemes case-sensitively);
/// a reader accepts any case.
pub const SCHEME: &str = "offlinecash:";
const KIND_REQUEST: char = 'R';
const KIND_COMPACT: char = 'C';
/// Frame type bytes of a request and a compact request (`protocol::messages`).
const T_REQUEST: u8 = 0x01;
const T_COMPACT_REQUEST: u8 = 0x09;

fn not_a_request() -> QrError {
    QrError::Frame(DecodeError::InvalidField { offset: 0, field: "request frame type" })
}

/// The URI of the request `frame`: `offlinecash:R…` for a request (as
/// `PayeeSession::request_frame` gives it), `offlinecash:C…` for a compact request (the
/// payee's certificate by id). Any other frame is [`QrError::Frame`].
pub fn request_uri(frame: &[u8]) -> Result<String, QrError> {
    let kind = match Frame::decode(frame)? {
        Frame::Request(_) => KIND_REQUEST,
        Frame::CompactRequest(_) => KIND_COMPACT,
        _ => return Err(not_a_request()),
    };
    let payload = frame.get(1..).ok_or(QrError::Frame(DecodeError::Truncated))?;
    Ok(text::encode(kind, payload))
}

/// The request frame a URI carries, decoded strictly: a request (`0x01`) for an `R` URI, a
/// compact request (`0x09`) for a `C` URI. The payer engine verifies its signature and terms
/// (and, for a compact one, looks the payee's certificate up); this only checks that it is a
/// well-formed request of the kind its letter says.
pub fn request_frame_from_uri(uri: &str) -> Result<Vec<u8>, QrError> {
    let (kind, payload) = text::decode(uri, MAX_FRAME_BYTES)?;
    let type_byte = match kind {
        KIND_REQUEST => T_REQUEST,
        KIND_COMPACT => T_COMPACT_REQUEST,
        other => {
            return Err(QrError::WrongKind { found: Some(other), expected: "R or C (a payment request)" });
        }
    };
    let mut frame = Vec::with_capacity(payload.len() + 1);
    frame.push(type_byte);
    frame.extend_from_slice(&payload);
    match (Frame::decode(&frame)?, type_byte) {
        (Frame::Request(_), T_REQUEST) | (Frame::CompactRequest(_), T_COMPACT_REQUEST) => Ok(frame),
        _ => Err(not_a_request()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn other_kinds_and_frames_are_typed_errors() {
        // A kind letter this module does not read.
        assert!(matches!(request_frame_from_uri("offlinecash:X"), Err(QrError::WrongKind { found: Some('X'), .. })));
        assert!(matches!(request_frame_from_uri("offlinecash:"), Err(QrError::WrongKind { found: None, .. })));
        // A compact URI whose payload is not a compact request (empty, or a poll's bytes).
        assert!(matches!(request_frame_from_uri("offlinecash:C"), Err(QrError::Frame(_))));
        assert!(matches!(request_frame_from_uri("offlinecash:CAA"), Err(QrError::Frame(_))));
        // Not a request frame at all: a poll.
        assert!(matches!(request_uri(&[0x00]), Err(QrError::Frame(_))));
    }
}
