//! The card's capabilities, carried as the data of its answer to SELECT.
//!
//! ```text
//!  80 01 vv            binding version (01)
//!  81 02 hh ll         max command data per APDU (Nc) the card accepts
//!  82 02 hh ll         max response data per APDU the card sends
//!  83 01 ff            flags: bit 0 = extended length supported; other bits reserved (0)
//!  84 04 xx xx xx xx   max frame size the card accepts, in bytes
//!  85 01 ff            application features (optional; absent means 0): bits the layer
//!                      above defines, opaque here (the wallet: bit 0 = the payee answers a hello)
//! ```
//!
//! Each item is tag (1 byte), length (1 byte, < 0x80), value, big-endian. The card writes the
//! five items in this order, then tag 85 if its features are not 0 (so a card without
//! features sends exactly the bytes of binding version 1's first cards). A reader accepts them in any order, skips items with unknown tags
//! (room for later versions), and rejects: a missing or repeated known tag, a known tag with
//! another length, a truncated item, a length byte >= 0x80, and values that contradict each
//! other (a short-only card advertising more than 255 / 256 bytes per APDU, or 0).

use super::apdu::{SHORT_MAX_NC, SHORT_MAX_NE};

/// The version of this binding, sent in tag 80 of the SELECT answer.
pub const BINDING_VERSION: u8 = 1;

const TAG_VERSION: u8 = 0x80;
const TAG_MAX_COMMAND: u8 = 0x81;
const TAG_MAX_RESPONSE: u8 = 0x82;
const TAG_FLAGS: u8 = 0x83;
const TAG_MAX_FRAME: u8 = 0x84;
const TAG_FEATURES: u8 = 0x85;
const FLAG_EXTENDED: u8 = 0x01;

/// What a card accepts and sends; see the module documentation for the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CardCapabilities {
    /// Binding version.
    pub version: u8,
    /// Largest command data (`Nc`) per APDU.
    pub max_command_data: u16,
    /// Largest response data per APDU.
    pub max_response_data: u16,
    /// Whether the card accepts extended-length APDUs.
    pub extended_length: bool,
    /// Largest frame the card accepts.
    pub max_frame_size: u32,
    /// Application features (tag 85; 0 when absent), defined by the layer above.
    pub features: u8,
}

/// Why a SELECT answer is not a valid capability block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapabilitiesError {
    /// An item runs past the end of the block.
    #[error("capability item at offset {offset} is truncated")]
    Truncated { offset: usize },
    /// A length byte of 0x80 or more (multi-byte lengths are not used).
    #[error("capability item at offset {offset} has a multi-byte length")]
    LongLength { offset: usize },
    /// A known tag appears twice.
    #[error("capability tag {tag:#04x} is repeated")]
    Duplicate { tag: u8 },
    /// A known tag is absent.
    #[error("capability tag {tag:#04x} is missing")]
    Missing { tag: u8 },
    /// A known tag with a length other than its fixed one.
    #[error("capability tag {tag:#04x} has length {len}, expected {expected}")]
    WrongLength { tag: u8, len: usize, expected: usize },
    /// Values that contradict each other or are zero.
    #[error("inconsistent capabilities: {reason}")]
    Inconsistent { reason: &'static str },
}

impl CardCapabilities {
    /// The encoding sent in the SELECT answer (20 bytes, 23 with features).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20);
        out.extend_from_slice(&[TAG_VERSION, 1, self.version]);
        out.extend_from_slice(&[TAG_MAX_COMMAND, 2]);
        out.extend_from_slice(&self.max_command_data.to_be_bytes());
        out.extend_from_slice(&[TAG_MAX_RESPONSE, 2]);
        out.extend_from_slice(&self.max_response_data.to_be_bytes());
        out.extend_from_slice(&[TAG_FLAGS, 1, if self.extended_length { FLAG_EXTENDED } else { 0 }]);
        out.extend_from_slice(&[TAG_MAX_FRAME, 4]);
        out.extend_from_slice(&self.max_frame_size.to_be_bytes());
        if self.features != 0 {
            out.extend_from_slice(&[TAG_FEATURES, 1, self.features]);
        }
        out
    }

    /// Parses and checks a capability block.
    pub fn parse(bytes: &[u8]) -> Result<Self, CapabilitiesError> {
        let mut version = None;
        let mut max_command = None;
        let mut max_response = None;
        let mut flags = None;
        let mut max_frame = None;
        let mut features = None;
        let mut rest = bytes;
        let mut offset = 0;
        while let [tag, len, tail @ ..] = rest {
            let len = usize::from(*len);
            if len >= 0x80 {
                return Err(CapabilitiesError::LongLength { offset });
            }
            if tail.len() < len {
                return Err(CapabilitiesError::Truncated { offset });
            }
            let (value, next) = tail.split_at(len);
            let tag = *tag;
            match tag {
                TAG_VERSION => store(&mut version, tag, fixed::<1>(tag, value)?)?,
                TAG_MAX_COMMAND => store(&mut max_command, tag, fixed::<2>(tag, value)?)?,
                TAG_MAX_RESPONSE => store(&mut max_response, tag, fixed::<2>(tag, value)?)?,
                TAG_FLAGS => store(&mut flags, tag, fixed::<1>(tag, value)?)?,
                TAG_MAX_FRAME => store(&mut max_frame, tag, fixed::<4>(tag, value)?)?,
                TAG_FEATURES => store(&mut features, tag, fixed::<1>(tag, value)?)?,
                _ => {}
            }
            offset += 2 + len;
            rest = next;
        }
        if !rest.is_empty() {
            return Err(CapabilitiesError::Truncated { offset });
        }
        let [version] = version.ok_or(CapabilitiesError::Missing { tag: TAG_VERSION })?;
        let max_command_data =
            u16::from_be_bytes(max_command.ok_or(CapabilitiesError::Missing { tag: TAG_MAX_COMMAND })?);
        let max_response_data =
            u16::from_be_bytes(max_response.ok_or(CapabilitiesError::Missing { tag: TAG_MAX_RESPONSE })?);
        let [flags] = flags.ok_or(CapabilitiesError::Missing { tag: TAG_FLAGS })?;
        let max_frame_size = u32::from_be_bytes(max_frame.ok_or(CapabilitiesError::Missing { tag: TAG_MAX_FRAME })?);
        let caps = Self {
            version,
            max_command_data,
            max_response_data,
            extended_length: flags & FLAG_EXTENDED != 0,
            max_frame_size,
            features: features.map_or(0, |[f]| f),
        };
        caps.check()?;
        Ok(caps)
    }

    fn check(&self) -> Result<(), CapabilitiesError> {
        if self.max_command_data == 0 || self.max_response_data == 0 {
            return Err(CapabilitiesError::Inconsistent { reason: "zero bytes per APDU" });
        }
        if !self.extended_length
            && (usize::from(self.max_command_data) > SHORT_MAX_NC || usize::from(self.max_response_data) > SHORT_MAX_NE)
        {
            return Err(CapabilitiesError::Inconsistent { reason: "short-only card with more than a short APDU" });
        }
        Ok(())
    }
}

fn fixed<const N: usize>(tag: u8, value: &[u8]) -> Result<[u8; N], CapabilitiesError> {
    <[u8; N]>::try_from(value).map_err(|_| CapabilitiesError::WrongLength { tag, len: value.len(), expected: N })
}

fn store<T>(slot: &mut Option<T>, tag: u8, value: T) -> Result<(), CapabilitiesError> {
    if slot.is_some() {
        return Err(CapabilitiesError::Duplicate { tag });
    }
    *slot = Some(value);
    Ok(())
}
