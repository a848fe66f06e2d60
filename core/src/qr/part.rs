//! Parts as text, for an animated QR code: `offlinecash:P` ‖ BASE32(part bytes).

use super::fountain::{FountainDecoder, FountainEncoder, PART_HEADER_LEN};
use super::{MAX_MESSAGE_BYTES, QrError, text};

pub use super::fountain::Part;

const KIND_PART: char = 'P';

/// Emits the parts of one message as text.
#[derive(Debug, Clone)]
pub struct PartEncoder {
    fountain: FountainEncoder,
}

impl PartEncoder {
    /// Cuts `message` so that each part's text is at most about `max_fragment_len` bytes of
    /// payload (see [`FountainEncoder::new`]).
    pub fn new(message: &[u8], max_fragment_len: usize) -> Result<Self, QrError> {
        Ok(Self { fountain: FountainEncoder::new(message, max_fragment_len)? })
    }

    /// As [`PartEncoder::new`], in part version `version` (see [`FountainEncoder::with_version`]).
    pub fn with_version(message: &[u8], max_fragment_len: usize, version: u8) -> Result<Self, QrError> {
        Ok(Self { fountain: FountainEncoder::with_version(message, max_fragment_len, version)? })
    }

    /// The fewest parts that can rebuild the message.
    pub fn fragments(&self) -> usize {
        self.fountain.fragments()
    }

    /// The text of part `seq` (from 1).
    pub fn part_text(&self, seq: u32) -> String {
        text::encode(KIND_PART, &self.fountain.part(seq).to_bytes())
    }
}

/// Parses one part's text.
pub fn parse_part(text: &str) -> Result<Part, QrError> {
    let (kind, bytes) = text::decode(text, MAX_MESSAGE_BYTES + PART_HEADER_LEN)?;
    if kind != KIND_PART {
        return Err(QrError::WrongKind { found: Some(kind), expected: "P (a part)" });
    }
    Part::from_bytes(&bytes)
}

/// Collects part texts (as a camera scans them) until the message is whole.
#[derive(Debug, Clone, Default)]
pub struct PartDecoder {
    fountain: FountainDecoder,
}

impl PartDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one scanned text. `Ok(true)` once the message is complete.
    pub fn receive(&mut self, text: &str) -> Result<bool, QrError> {
        let part = parse_part(text)?;
        self.fountain.receive(&part)
    }

    /// Parts accepted so far.
    pub fn received(&self) -> usize {
        self.fountain.received()
    }

    /// Independent parts so far, and the number needed.
    pub fn progress(&self) -> (usize, usize) {
        self.fountain.progress()
    }

    /// The message, once complete.
    pub fn message(&self) -> Option<&[u8]> {
        self.fountain.message()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn parts_round_trip_as_text_in_any_case() {
        let m: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let enc = PartEncoder::new(&m, 500).unwrap();
        let mut dec = PartDecoder::new();
        let mut seq = 40;
        while !dec.receive(&enc.part_text(seq).to_ascii_lowercase()).unwrap() {
            seq += 1;
        }
        assert_eq!(dec.message(), Some(&m[..]));
        assert!(enc.part_text(1).starts_with("offlinecash:P"));
    }

    #[test]
    fn text_that_is_not_a_part_is_a_typed_error() {
        let mut dec = PartDecoder::new();
        assert_eq!(dec.receive("https://example.org"), Err(QrError::NotOurScheme));
        assert!(matches!(dec.receive("offlinecash:RAAAA"), Err(QrError::WrongKind { .. })));
        assert!(matches!(dec.receive("offlinecash:P0189"), Err(QrError::Base32 { .. })));
        assert!(matches!(dec.receive("offlinecash:PAE"), Err(QrError::BadPart { .. })));
        assert!(matches!(dec.receive("offlinecash:"), Err(QrError::WrongKind { found: None, .. })));
        assert!(matches!(dec.receive("offlinecash:é"), Err(QrError::WrongKind { .. })));
        assert!(matches!(dec.receive("offlinecasé:P"), Err(QrError::NotOurScheme)));
        assert_eq!(dec.progress(), (0, 0));
    }
}
