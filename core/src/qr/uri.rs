//! The payment request as a URI: `offlinecash:R` ‖ BASE32(signed request), the request frame's
//! payload exactly as the payee signed it (PROTOCOL.md, "Payment request URI").

use super::{QrError, text};
use crate::protocol::{Frame, MAX_FRAME_BYTES};
use crate::token::DecodeError;

/// The URI scheme, with its colon. Lower case (Android matches schemes case-sensitively);
/// a reader accepts any case.
pub const SCHEME: &str = "offlinecash:";
const KIND_REQUEST: char = 'R';
/// Frame type byte of a request (`protocol::messages`).
const T_REQUEST: u8 = 0x01;

/// The URI of the request `frame` (a request frame as `PayeeSession::request_frame` gives it).
/// Any other frame is [`QrError::Frame`].
pub fn request_uri(frame: &[u8]) -> Result<String, QrError> {
    match Frame::decode(frame)? {
        Frame::Request(_) => {}
        _ => return Err(QrError::Frame(DecodeError::InvalidField { offset: 0, field: "request frame type" })),
    }
    let payload = frame.get(1..).ok_or(QrError::Frame(DecodeError::Truncated))?;
    Ok(text::encode(KIND_REQUEST, payload))
}

/// The request frame a URI carries, decoded strictly (the payer engine verifies its
/// signature and terms; this only checks that it is a well-formed request).
pub fn request_frame_from_uri(uri: &str) -> Result<Vec<u8>, QrError> {
    let (kind, payload) = text::decode(uri, MAX_FRAME_BYTES)?;
    if kind != KIND_REQUEST {
        return Err(QrError::WrongKind { found: Some(kind), expected: "R (a payment request)" });
    }
    let mut frame = Vec::with_capacity(payload.len() + 1);
    frame.push(T_REQUEST);
    frame.extend_from_slice(&payload);
    match Frame::decode(&frame)? {
        Frame::Request(_) => Ok(frame),
        _ => Err(QrError::Frame(DecodeError::InvalidField { offset: 0, field: "request frame type" })),
    }
}
