//! A deliberately small, strict subset of deterministic CBOR (RFC 8949 §4.2.1).
//!
//! Every signed object of the protocol is a CBOR array whose items are unsigned integers
//! (major type 0), byte strings (2), text strings (3) or nested arrays (4). Nothing else is
//! ever produced or accepted: no maps, tags, floats or indefinite lengths. Negative integers
//! (1) appear in one place only, as references in the compact form of a payment on the air
//! (`protocol::compact_payment`), never in a signed object.
//!
//! The decoder is the gatekeeper for bytes from outside, so it is strict:
//! - every length and integer must use the shortest head (otherwise [`DecodeError::NonCanonical`]);
//! - a declared length larger than the bytes that remain is [`DecodeError::Truncated`] *before*
//!   anything is allocated, so a 5-byte input cannot ask for a 4 GiB buffer;
//! - callers give a maximum item count for every array;
//! - [`Decoder::finish`] rejects trailing bytes.
//!
//! It does not know what the fields mean: that is the job of `token`.

use crate::token::DecodeError;

const MAJOR_UINT: u8 = 0;
const MAJOR_NEGATIVE: u8 = 1;
const MAJOR_BYTES: u8 = 2;
const MAJOR_TEXT: u8 = 3;
const MAJOR_ARRAY: u8 = 4;

/// Appends canonical CBOR items to a buffer.
#[derive(Debug, Default, Clone)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    /// An empty encoder.
    pub fn new() -> Self {
        Self::default()
    }

    fn head(&mut self, major: u8, value: u64) {
        let m = major << 5;
        if value < 24 {
            self.buf.push(m | value as u8);
        } else if value <= u64::from(u8::MAX) {
            self.buf.extend_from_slice(&[m | 24, value as u8]);
        } else if value <= u64::from(u16::MAX) {
            self.buf.push(m | 25);
            self.buf.extend_from_slice(&(value as u16).to_be_bytes());
        } else if value <= u64::from(u32::MAX) {
            self.buf.push(m | 26);
            self.buf.extend_from_slice(&(value as u32).to_be_bytes());
        } else {
            self.buf.push(m | 27);
            self.buf.extend_from_slice(&value.to_be_bytes());
        }
    }

    /// An unsigned integer.
    pub fn uint(&mut self, value: u64) -> &mut Self {
        self.head(MAJOR_UINT, value);
        self
    }

    /// A reference `index` (the negative integer `-1 - index`), used only by the compact
    /// payment form.
    pub fn reference(&mut self, index: u64) -> &mut Self {
        self.head(MAJOR_NEGATIVE, index);
        self
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// A byte string.
    pub fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.head(MAJOR_BYTES, value.len() as u64);
        self.buf.extend_from_slice(value);
        self
    }

    /// A UTF-8 text string.
    pub fn text(&mut self, value: &str) -> &mut Self {
        self.head(MAJOR_TEXT, value.len() as u64);
        self.buf.extend_from_slice(value.as_bytes());
        self
    }

    /// The head of an array of `len` items; the caller then writes the items.
    pub fn array(&mut self, len: usize) -> &mut Self {
        self.head(MAJOR_ARRAY, len as u64);
        self
    }

    /// Appends bytes that are already a canonical encoding of one item.
    pub fn raw(&mut self, encoded: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(encoded);
        self
    }

    /// The bytes written so far.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// The finished encoding.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads canonical CBOR items from a byte slice, strictly.
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    /// A decoder over `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self { input, pos: 0 }
    }

    /// Offset of the next unread byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Truncated)?;
        let out = self.input.get(self.pos..end).ok_or(DecodeError::Truncated)?;
        self.pos = end;
        Ok(out)
    }

    fn head(&mut self, expected_major: u8) -> Result<u64, DecodeError> {
        let first = *self.take(1)?.first().ok_or(DecodeError::Truncated)?;
        let major = first >> 5;
        if major != expected_major {
            return Err(DecodeError::UnexpectedType { offset: self.pos - 1 });
        }
        let info = first & 0x1f;
        let (value, min) = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => (u64::from(self.take(1)?.first().copied().unwrap_or(0)), 24u64),
            25 => (u64::from(u16::from_be_bytes(self.array_of::<2>()?)), 0x100),
            26 => (u64::from(u32::from_be_bytes(self.array_of::<4>()?)), 0x1_0000),
            27 => (u64::from_be_bytes(self.array_of::<8>()?), 0x1_0000_0000),
            _ => return Err(DecodeError::NonCanonical { offset: self.pos - 1 }),
        };
        if value < min {
            return Err(DecodeError::NonCanonical { offset: self.pos });
        }
        Ok(value)
    }

    fn array_of<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let slice = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn length(&mut self, major: u8) -> Result<usize, DecodeError> {
        let len = self.head(major)?;
        let len = usize::try_from(len).map_err(|_| DecodeError::Truncated)?;
        Ok(len)
    }

    /// The major type of the next item (0 unsigned, 1 reference, 2 bytes, 3 text, 4 array,
    /// anything else as found), without reading it.
    pub fn peek_major(&self) -> Result<u8, DecodeError> {
        self.input.get(self.pos).map(|b| b >> 5).ok_or(DecodeError::Truncated)
    }

    /// A reference (see [`Encoder::reference`]).
    pub fn reference(&mut self) -> Result<u64, DecodeError> {
        self.head(MAJOR_NEGATIVE)
    }

    /// An unsigned integer.
    pub fn uint(&mut self) -> Result<u64, DecodeError> {
        self.head(MAJOR_UINT)
    }

    /// An unsigned integer that must fit in `u32`.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        let at = self.pos;
        u32::try_from(self.uint()?).map_err(|_| DecodeError::InvalidField { offset: at, field: "u32" })
    }

    /// A byte string of at most `max` bytes.
    pub fn bytes(&mut self, max: usize) -> Result<&'a [u8], DecodeError> {
        let at = self.pos;
        let len = self.length(MAJOR_BYTES)?;
        if len > max {
            return Err(DecodeError::TooLarge { offset: at, limit: max });
        }
        self.take(len)
    }

    /// A byte string of exactly `N` bytes.
    pub fn fixed<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let at = self.pos;
        let slice = self.bytes(N)?;
        let mut out = [0u8; N];
        if slice.len() != N {
            return Err(DecodeError::InvalidField { offset: at, field: "fixed-length bytes" });
        }
        out.copy_from_slice(slice);
        Ok(out)
    }

    /// A byte string of exactly `N` bytes, or empty for none; any other length is
    /// [`DecodeError::InvalidField`] named `field`.
    pub fn optional_fixed<const N: usize>(&mut self, field: &'static str) -> Result<Option<[u8; N]>, DecodeError> {
        let at = self.pos;
        let slice = self.bytes(N)?;
        match slice.len() {
            0 => Ok(None),
            _ => slice.try_into().map(Some).map_err(|_| DecodeError::InvalidField { offset: at, field }),
        }
    }

    /// A UTF-8 text string of at most `max` bytes.
    pub fn text(&mut self, max: usize) -> Result<&'a str, DecodeError> {
        let at = self.pos;
        let len = self.length(MAJOR_TEXT)?;
        if len > max {
            return Err(DecodeError::TooLarge { offset: at, limit: max });
        }
        let raw = self.take(len)?;
        std::str::from_utf8(raw).map_err(|_| DecodeError::InvalidField { offset: at, field: "utf-8 text" })
    }

    /// The head of an array; returns its item count, at most `max`.
    pub fn array(&mut self, max: usize) -> Result<usize, DecodeError> {
        let at = self.pos;
        let len = self.length(MAJOR_ARRAY)?;
        if len > max {
            return Err(DecodeError::TooLarge { offset: at, limit: max });
        }
        // Every item takes at least one byte: a count larger than the input is a lie.
        if len > self.remaining() {
            return Err(DecodeError::Truncated);
        }
        Ok(len)
    }

    /// The head of an array that must have exactly `len` items.
    pub fn array_exact(&mut self, len: usize) -> Result<(), DecodeError> {
        let at = self.pos;
        let found = self.length(MAJOR_ARRAY)?;
        if found != len {
            return Err(DecodeError::InvalidField { offset: at, field: "array length" });
        }
        Ok(())
    }

    /// The raw bytes from `start` to the current position (used to hash what was decoded).
    pub fn since(&self, start: usize) -> &'a [u8] {
        self.input.get(start..self.pos).unwrap_or(&[])
    }

    /// Succeeds only if every byte was consumed.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.remaining() != 0 {
            return Err(DecodeError::TrailingBytes { offset: self.pos });
        }
        Ok(())
    }
}
