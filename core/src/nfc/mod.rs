//! ISO 7816-4 APDU transport for protocol frames between two phones over NFC.
//!
//! ```text
//!   protocol (payer / payee)            protocol (payee / payer)
//!        │ frame: Vec<u8>                    ▲ frame          │ response frame
//!        ▼                                   │                ▼
//!   ReaderSession ──command APDUs──► CardSession ──► FrameHandler::handle_frame
//!   (IsoDep /       ◄─response APDUs── (HostApduService /
//!    NFCTagReaderSession)              CardSession on iOS)
//! ```
//!
//! The link is half-duplex request/response: the reader sends a frame (possibly empty, a
//! poll), the card answers one frame (possibly empty). The reader SELECTs the application by
//! [`AID`]; the card's answer carries its [`CardCapabilities`]. A frame travels in one or
//! more EXCHANGE commands (CLA 80, or 90 while more follow: ISO command chaining), and a
//! response longer than one APDU is fetched with GET RESPONSE after `61xx`. Extended-length
//! APDUs are used only when both sides support them. The byte-level specification is
//! docs/nfc-binding.md.
//!
//! Contract: sans-IO (no NFC handle, clock, thread or socket); nothing from the peer can
//! panic; every card-side failure is a documented [`StatusWord`]; every reader-side failure
//! a typed [`NfcError`]. Frames are opaque: this module knows nothing about payments, and
//! the protocol knows nothing about APDUs.
//!
//! - [`apdu`]: command / response APDU codec (short and extended forms).
//! - [`CardSession`]: the card role around a [`FrameHandler`].
//! - [`ReaderSession`]: the reader role.
//! - [`field`]: a simulated field joining the two, with a link-time model and tears.
//! - [`timing`]: the link-time models (optimistic and conservative) every tap table prints.
//!
//! Driving both roles by hand (a platform does the same with `transceive` in between):
//!
//! ```
//! use offline_cash_core::nfc::{
//!     CardConfig, CardSession, FrameError, FrameHandler, ReaderConfig, ReaderEvent, ReaderSession,
//! };
//!
//! struct Upper;
//! impl FrameHandler for Upper {
//!     fn handle_frame(&mut self, frame: &[u8]) -> Result<Vec<u8>, FrameError> {
//!         Ok(frame.to_ascii_uppercase())
//!     }
//! }
//!
//! # fn main() -> Result<(), offline_cash_core::nfc::NfcError> {
//! let mut card = CardSession::new(CardConfig::short(), Upper);
//! let mut reader = ReaderSession::new(ReaderConfig::short())?;
//! let mut apdu = reader.select();
//! let answer = loop {
//!     let response = card.process_apdu(&apdu); // HostApduService.processCommandApdu
//!     match reader.handle_response(&response)? {
//!         ReaderEvent::Transmit(next) => apdu = next,
//!         ReaderEvent::Selected(_) => apdu = reader.send_frame(&[b'x'; 600])?,
//!         ReaderEvent::Frame(frame) => break frame,
//!     }
//! };
//! assert_eq!(answer, vec![b'X'; 600]);
//! # Ok(())
//! # }
//! ```

pub mod apdu;
mod capabilities;
mod card;
mod error;
pub mod field;
mod handler;
mod reader;
mod status;
pub mod timing;

pub use apdu::{ApduError, CommandApdu, Header, ResponseApdu};
pub use capabilities::{BINDING_VERSION, CapabilitiesError, CardCapabilities};
pub use card::{CardConfig, CardSession, DEFAULT_MAX_FRAME_SIZE};
pub use error::NfcError;
pub use field::{Field, FieldConfig, FieldError, FieldStats};
pub use handler::{Deactivation, FrameError, FrameHandler};
pub use reader::{LinkParams, ReaderConfig, ReaderEvent, ReaderSession, SELECT_APDU_LEN, select_apdu};
pub use status::StatusWord;
pub use timing::LinkModel;

/// The application identifier: `F0 'O' 'C' 'A' 'S' 'H' 01`, a proprietary AID (first nibble
/// F, ISO 7816-5 "unregistered"), the last byte the binding's major version.
pub const AID: [u8; 7] = [0xF0, 0x4F, 0x43, 0x41, 0x53, 0x48, 0x01];

/// CLA of the inter-industry commands SELECT and GET RESPONSE.
pub const CLA_ISO: u8 = 0x00;
/// CLA of EXCHANGE: proprietary class, no secure messaging, logical channel 0.
pub const CLA_PROPRIETARY: u8 = 0x80;
/// CLA of EXCHANGE when more commands of the same frame follow (bit 0x10, ISO chaining).
pub const CLA_CHAINING: u8 = CLA_PROPRIETARY | 0x10;
/// SELECT.
pub const INS_SELECT: u8 = 0xA4;
/// GET RESPONSE.
pub const INS_GET_RESPONSE: u8 = 0xC0;
/// EXCHANGE: carries (part of) a frame; the last part's answer carries the response frame.
pub const INS_EXCHANGE: u8 = 0x10;
/// SELECT P1: select by DF name (AID).
pub const P1_SELECT_BY_AID: u8 = 0x04;
/// SELECT P2: first or only occurrence, return the FCI (here: the capabilities).
pub const P2_SELECT_FIRST: u8 = 0x00;
/// EXCHANGE P1: first command of a frame (P2 = 00).
pub const P1_START: u8 = 0x00;
/// EXCHANGE P1: continuation of a chained frame (P2 = sequence number mod 256).
pub const P1_CONTINUE: u8 = 0x01;
