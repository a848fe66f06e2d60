//! Status words (SW1 SW2) of the binding: every one the card can answer, and what it means.
//!
//! ```text
//!  9000  success                          6A80  wrong data (frame malformed for the protocol)
//!  61xx  more response data: GET RESPONSE 6A82  AID not found (SELECT of another AID)
//!  6700  wrong length                     6A84  frame too large for the card
//!  6884  command chaining not supported   6A86  incorrect P1-P2
//!  6985  conditions not satisfied         6D00  INS not supported
//!        (command out of order)           6E00  CLA not supported
//!  6F00  internal failure of the handler  9Axx  rejected by the protocol, xx = its code
//! ```
//!
//! The table in docs/nfc-binding.md is the normative list; this module only names them.

use std::fmt;

/// A status word: SW1 in the high byte, SW2 in the low byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `9000`: the command succeeded; the response data (if any) is complete.
    pub const OK: Self = Self(0x9000);
    /// `6700`: the APDU's length fields are malformed, `Nc` exceeds what the card accepts per
    /// APDU, an extended APDU reached a card that does not support them, or a required `Le`
    /// is missing / a forbidden one present.
    pub const WRONG_LENGTH: Self = Self(0x6700);
    /// `6884`: CLA has the chaining bit on a command that cannot be chained.
    pub const CHAINING_NOT_SUPPORTED: Self = Self(0x6884);
    /// `6985`: the command is out of order: EXCHANGE or GET RESPONSE before SELECT, GET
    /// RESPONSE with nothing pending, a chained continuation without its start or with the
    /// wrong sequence number; also a handler that was not expecting a frame.
    pub const OUT_OF_ORDER: Self = Self(0x6985);
    /// `6A80`: the frame is malformed for the protocol above (from the handler).
    pub const WRONG_DATA: Self = Self(0x6A80);
    /// `6A82`: SELECT named an AID this card does not serve.
    pub const NOT_FOUND: Self = Self(0x6A82);
    /// `6A84`: the frame being received exceeds the card's maximum frame size.
    pub const FRAME_TOO_LARGE: Self = Self(0x6A84);
    /// `6A86`: P1 or P2 has a value the instruction does not define.
    pub const WRONG_P1P2: Self = Self(0x6A86);
    /// `6D00`: the instruction is not defined for this class.
    pub const INS_NOT_SUPPORTED: Self = Self(0x6D00);
    /// `6E00`: the class byte is not one of 00, 80, 90.
    pub const CLA_NOT_SUPPORTED: Self = Self(0x6E00);
    /// `6F00`: the handler failed internally (storage, crypto backend); retrying may help.
    pub const INTERNAL: Self = Self(0x6F00);
    /// SW1 of "more data available" (`61xx`).
    pub const SW1_MORE_DATA: u8 = 0x61;
    /// SW1 of a protocol rejection (`9Axx`, xx = the protocol's code).
    pub const SW1_REJECTED: u8 = 0x9A;

    /// From SW1 and SW2.
    pub fn from_bytes(sw1: u8, sw2: u8) -> Self {
        Self(u16::from_be_bytes([sw1, sw2]))
    }

    /// SW1 then SW2.
    pub fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// SW1.
    pub fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// SW2.
    pub fn sw2(self) -> u8 {
        (self.0 & 0xFF) as u8
    }

    /// `61xx`: `remaining` bytes wait for GET RESPONSE; xx is `remaining`, or 00 when 256 or
    /// more remain.
    pub fn more_data(remaining: usize) -> Self {
        Self::from_bytes(Self::SW1_MORE_DATA, u8::try_from(remaining).unwrap_or(0))
    }

    /// `9Axx`: the protocol above refused the frame with `code`.
    pub fn rejected(code: u8) -> Self {
        Self::from_bytes(Self::SW1_REJECTED, code)
    }

    /// Whether this is `9000`.
    pub fn is_ok(self) -> bool {
        self == Self::OK
    }

    /// `Some(xx)` for `61xx`.
    pub fn more_data_available(self) -> Option<u8> {
        (self.sw1() == Self::SW1_MORE_DATA).then_some(self.sw2())
    }

    /// `Some(code)` for `9Axx`.
    pub fn rejection_code(self) -> Option<u8> {
        (self.sw1() == Self::SW1_REJECTED).then_some(self.sw2())
    }

    /// A short English description, for logs and error messages.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::OK => "success",
            Self::WRONG_LENGTH => "wrong length",
            Self::CHAINING_NOT_SUPPORTED => "command chaining not supported",
            Self::OUT_OF_ORDER => "conditions of use not satisfied (command out of order)",
            Self::WRONG_DATA => "wrong data (frame malformed for the protocol)",
            Self::NOT_FOUND => "application (AID) not found",
            Self::FRAME_TOO_LARGE => "frame too large for the card",
            Self::WRONG_P1P2 => "incorrect parameters P1-P2",
            Self::INS_NOT_SUPPORTED => "instruction not supported",
            Self::CLA_NOT_SUPPORTED => "class not supported",
            Self::INTERNAL => "internal failure of the card's handler",
            sw if sw.more_data_available().is_some() => "more response data available",
            sw if sw.rejection_code().is_some() => "frame rejected by the protocol",
            _ => "unknown status word",
        }
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusWord({:04X})", self.0)
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X} ({})", self.0, self.meaning())
    }
}
