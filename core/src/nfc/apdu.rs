//! ISO 7816-4 command and response APDUs: strict parsing and canonical encoding.
//!
//! ```text
//!  command:  CLA INS P1 P2 [Lc data] [Le]
//!            short:     Lc = 1 byte (1..=255),              Le = 1 byte (00 = 256)
//!            extended:  Lc = 00 HH LL (1..=65535),          Le = HH LL (0000 = 65536),
//!                       or, with no data, Le = 00 HH LL
//!  response: [data] SW1 SW2
//! ```
//!
//! Contract:
//! - [`CommandApdu::parse`] accepts exactly the four ISO cases in either length form and
//!   nothing else: every byte of the input must be accounted for by the length fields
//!   ([`ApduError::Truncated`] when `Lc` announces more than is there,
//!   [`ApduError::TrailingBytes`] when bytes remain). It never panics and allocates at most
//!   the input's length.
//! - `Ne` (the number of response bytes expected) is `0` when there is no `Le` field; a short
//!   `Le = 00` means 256 and an extended `Le = 0000` means 65536.
//! - [`CommandApdu::to_bytes`] writes the short form whenever `Nc <= 255` and `Ne <= 256`,
//!   unless the APDU was parsed from (or built in) the extended form, so
//!   `parse(b).to_bytes() == b` for every `b` that parses.
//!
//! This module knows nothing about which commands exist: see `card` and `reader`.

use super::status::StatusWord;

/// Largest `Nc` of a short APDU.
pub const SHORT_MAX_NC: usize = 255;
/// Largest `Ne` of a short APDU (`Le = 00`).
pub const SHORT_MAX_NE: usize = 256;
/// Largest `Nc` of an extended APDU.
pub const EXTENDED_MAX_NC: usize = 65_535;
/// Largest `Ne` of an extended APDU (`Le = 0000`).
pub const EXTENDED_MAX_NE: usize = 65_536;
/// Largest short command APDU: header, `Lc`, 255 data bytes, `Le`.
pub const SHORT_MAX_APDU: usize = 4 + 1 + SHORT_MAX_NC + 1;

/// Why bytes are not a well-formed APDU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApduError {
    /// Fewer bytes than the fixed part (4 for a command header, 2 for a status word).
    #[error("APDU of {len} bytes is shorter than its {min}-byte minimum")]
    TooShort { len: usize, min: usize },
    /// `Lc` announces more data than the APDU holds.
    #[error("APDU of {actual} bytes is truncated: its length fields require {expected}")]
    Truncated { expected: usize, actual: usize },
    /// Bytes remain after the data and `Le` that the length fields describe.
    #[error("APDU of {actual} bytes has trailing bytes: its length fields describe {expected}")]
    TrailingBytes { expected: usize, actual: usize },
    /// A length field that no ISO case allows (a 6-byte APDU whose fifth byte is 00, an
    /// extended `Lc` of 0000).
    #[error("invalid length field at offset {offset}")]
    InvalidLength { offset: usize },
    /// Data or `Ne` larger than even the extended form can carry (only when building).
    #[error("{field} of {len} exceeds the limit of {limit}")]
    TooLarge { field: &'static str, len: usize, limit: usize },
}

/// The four bytes every command starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
}

/// A command APDU: header, command data (`Nc` bytes) and the number of response bytes
/// expected (`Ne`, 0 when there is no `Le` field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandApdu {
    header: Header,
    data: Vec<u8>,
    ne: usize,
    extended: bool,
}

impl CommandApdu {
    /// A command in the shortest form that carries `data` and `ne`.
    ///
    /// Errors with [`ApduError::TooLarge`] when `data` exceeds 65535 bytes or `ne` exceeds 65536.
    pub fn new(header: Header, data: Vec<u8>, ne: usize) -> Result<Self, ApduError> {
        if data.len() > EXTENDED_MAX_NC {
            return Err(ApduError::TooLarge { field: "Nc", len: data.len(), limit: EXTENDED_MAX_NC });
        }
        if ne > EXTENDED_MAX_NE {
            return Err(ApduError::TooLarge { field: "Ne", len: ne, limit: EXTENDED_MAX_NE });
        }
        let extended = data.len() > SHORT_MAX_NC || ne > SHORT_MAX_NE;
        Ok(Self { header, data, ne, extended })
    }

    /// Parses one command APDU; see the module documentation for what is accepted.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let (head, body) = match bytes {
            [cla, ins, p1, p2, body @ ..] => (Header { cla: *cla, ins: *ins, p1: *p1, p2: *p2 }, body),
            _ => return Err(ApduError::TooShort { len: bytes.len(), min: 4 }),
        };
        let total = bytes.len();
        let (data, ne, extended) = match body {
            // Case 1.
            [] => (&[][..], 0, false),
            // Case 2 short.
            [le] => (&[][..], short_ne(*le), false),
            // Extended: first body byte 00 followed by at least two more.
            [0, b1, b2, rest @ ..] => {
                let n = usize::from(u16::from_be_bytes([*b1, *b2]));
                if rest.is_empty() {
                    // Case 2 extended.
                    (&[][..], extended_ne(n), true)
                } else {
                    if n == 0 {
                        return Err(ApduError::InvalidLength { offset: 5 });
                    }
                    let nc = n;
                    let (data, tail) = split(rest, nc, 7, total)?;
                    match tail {
                        [] => (data, 0, true),
                        [h, l] => (data, extended_ne(usize::from(u16::from_be_bytes([*h, *l]))), true),
                        [_] => return Err(ApduError::Truncated { expected: 7 + nc + 2, actual: total }),
                        _ => return Err(ApduError::TrailingBytes { expected: 7 + nc + 2, actual: total }),
                    }
                }
            }
            [0, _] => return Err(ApduError::InvalidLength { offset: 4 }),
            [lc, rest @ ..] => {
                let nc = usize::from(*lc);
                let (data, tail) = split(rest, nc, 5, total)?;
                match tail {
                    [] => (data, 0, false),
                    [le] => (data, short_ne(*le), false),
                    _ => return Err(ApduError::TrailingBytes { expected: 5 + nc + 1, actual: total }),
                }
            }
        };
        Ok(Self { header: head, data: data.to_vec(), ne, extended })
    }

    /// The header.
    pub fn header(&self) -> Header {
        self.header
    }

    /// The command data (`Nc` bytes, possibly none).
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Takes the command data out.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// Response bytes expected; 0 when the command has no `Le` field.
    pub fn ne(&self) -> usize {
        self.ne
    }

    /// Whether the length fields use the extended form.
    pub fn is_extended(&self) -> bool {
        self.extended
    }

    /// The encoding, in the form recorded by [`CommandApdu::new`] or [`CommandApdu::parse`].
    pub fn to_bytes(&self) -> Vec<u8> {
        let Header { cla, ins, p1, p2 } = self.header;
        let nc = self.data.len();
        let mut out = Vec::with_capacity(4 + 3 + nc + 2);
        out.extend_from_slice(&[cla, ins, p1, p2]);
        if self.extended {
            // Both lengths fit in 16 bits: checked by `new`, guaranteed by `parse`.
            let lc = u16::try_from(nc).unwrap_or(u16::MAX).to_be_bytes();
            let le = u16::try_from(self.ne % EXTENDED_MAX_NE).unwrap_or(0).to_be_bytes();
            match (nc, self.ne) {
                (0, 0) => {}
                (0, _) => out.extend_from_slice(&[0, le[0], le[1]]),
                (_, 0) => {
                    out.extend_from_slice(&[0, lc[0], lc[1]]);
                    out.extend_from_slice(&self.data);
                }
                _ => {
                    out.extend_from_slice(&[0, lc[0], lc[1]]);
                    out.extend_from_slice(&self.data);
                    out.extend_from_slice(&le);
                }
            }
        } else {
            if nc > 0 {
                out.push(u8::try_from(nc).unwrap_or(u8::MAX));
                out.extend_from_slice(&self.data);
            }
            if self.ne > 0 {
                out.push(u8::try_from(self.ne % SHORT_MAX_NE).unwrap_or(0));
            }
        }
        out
    }
}

fn short_ne(le: u8) -> usize {
    if le == 0 { SHORT_MAX_NE } else { usize::from(le) }
}

fn extended_ne(le: usize) -> usize {
    if le == 0 { EXTENDED_MAX_NE } else { le }
}

/// Splits `nc` data bytes off `rest`; `offset` is where `rest` starts in an input of `total` bytes.
fn split(rest: &[u8], nc: usize, offset: usize, total: usize) -> Result<(&[u8], &[u8]), ApduError> {
    if rest.len() < nc {
        return Err(ApduError::Truncated { expected: offset + nc, actual: total });
    }
    Ok(rest.split_at(nc))
}

/// A response APDU: data followed by a status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseApdu {
    /// Response data (possibly none).
    pub data: Vec<u8>,
    /// The status word (SW1 SW2).
    pub status: StatusWord,
}

impl ResponseApdu {
    /// A response with data.
    pub fn new(data: Vec<u8>, status: StatusWord) -> Self {
        Self { data, status }
    }

    /// A response with no data.
    pub fn status(status: StatusWord) -> Self {
        Self { data: Vec::new(), status }
    }

    /// Parses `data ‖ SW1 ‖ SW2`.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        match bytes {
            [data @ .., sw1, sw2] => Ok(Self { data: data.to_vec(), status: StatusWord::from_bytes(*sw1, *sw2) }),
            _ => Err(ApduError::TooShort { len: bytes.len(), min: 2 }),
        }
    }

    /// The encoding: data then SW1 SW2.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.status.to_bytes());
        out
    }
}
