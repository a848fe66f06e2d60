//! The reader role: produces command APDUs and consumes response APDUs (sans-IO).
//!
//! ```text
//!  app                         ReaderSession                       IsoDep / NFCISO7816Tag
//!  select() ─────────────────► SELECT APDU ───────────────────────► transceive
//!  handle_response(resp) ◄──── Transmit(GET RESPONSE) / Selected(caps) ◄─ resp
//!  send_frame(frame) ────────► first EXCHANGE APDU ───────────────► transceive
//!  handle_response(resp) ◄──── Transmit(next APDU) … Frame(response frame)
//! ```
//!
//! The app transmits every APDU the session gives it and feeds each response back to
//! [`ReaderSession::handle_response`] until it gets [`ReaderEvent::Selected`] or
//! [`ReaderEvent::Frame`]. The session splits a long frame into a chain, follows `61xx` with
//! GET RESPONSE, and sizes every APDU from what the card advertised and what the app said
//! about its NFC stack ([`ReaderConfig`]): extended length only when both sides support it;
//! command APDUs never longer than `max_transceive_length`.
//!
//! After an error the card has dropped its exchange too: the session is ready for another
//! frame after a card status error ([`NfcError::Card`], [`NfcError::Rejected`]), and must
//! SELECT again after anything else (a broken rule, a lost link: [`ReaderSession::reset`]).
//! [`ReaderSession::select`] may be called in any state and always starts afresh.

use std::mem;

use super::apdu::{CommandApdu, EXTENDED_MAX_NC, Header, ResponseApdu, SHORT_MAX_APDU, SHORT_MAX_NC, SHORT_MAX_NE};
use super::capabilities::{BINDING_VERSION, CardCapabilities};
use super::card::DEFAULT_MAX_FRAME_SIZE;
use super::error::NfcError;
use super::{
    AID, CLA_CHAINING, CLA_ISO, CLA_PROPRIETARY, INS_EXCHANGE, INS_GET_RESPONSE, INS_SELECT, P1_CONTINUE,
    P1_SELECT_BY_AID, P1_START, P2_SELECT_FIRST,
};

/// Length of the SELECT command this reader sends; the smallest usable transceive length.
pub const SELECT_APDU_LEN: usize = 4 + 1 + AID.len() + 1;

/// Largest SELECT answer (all GET RESPONSE parts together) a reader accepts.
const MAX_SELECT_ANSWER: usize = 1024;

/// What the app knows about its NFC stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderConfig {
    /// Android `IsoDep.isExtendedLengthApduSupported()`; iOS: true where the tag session
    /// supports extended APDUs.
    pub extended_length_supported: bool,
    /// Android `IsoDep.getMaxTransceiveLength()`: the longest command APDU, header included.
    /// At least [`SELECT_APDU_LEN`].
    pub max_transceive_length: usize,
    /// Largest response frame this reader accepts.
    pub max_frame_size: usize,
}

impl ReaderConfig {
    /// A reader with the given stack limits and the default frame limit.
    pub fn new(extended_length_supported: bool, max_transceive_length: usize) -> Self {
        Self {
            extended_length_supported,
            max_transceive_length,
            max_frame_size: usize::try_from(DEFAULT_MAX_FRAME_SIZE).unwrap_or(usize::MAX),
        }
    }

    /// Short APDUs only, 261-byte transceive length.
    pub fn short() -> Self {
        Self::new(false, SHORT_MAX_APDU)
    }

    /// Extended APDUs, with the longest transceive length an extended command can have.
    pub fn extended() -> Self {
        Self::new(true, 4 + 3 + EXTENDED_MAX_NC + 2)
    }
}

impl Default for ReaderConfig {
    fn default() -> Self {
        Self::short()
    }
}

/// The link the reader negotiated from the card's capabilities and its own configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkParams {
    /// Whether APDUs may use the extended form.
    pub extended_length: bool,
    /// Command data bytes per EXCHANGE APDU.
    pub max_command_data: usize,
    /// `Ne` asked for on the last EXCHANGE APDU and on every GET RESPONSE.
    pub max_response_data: usize,
    /// Largest frame the card accepts.
    pub max_frame_size: usize,
}

impl LinkParams {
    fn negotiate(config: &ReaderConfig, caps: &CardCapabilities) -> Self {
        let extended = config.extended_length_supported && caps.extended_length;
        let (form_nc, overhead, form_ne) =
            if extended { (EXTENDED_MAX_NC, 9, EXTENDED_MAX_NC) } else { (SHORT_MAX_NC, 6, SHORT_MAX_NE) };
        Self {
            extended_length: extended,
            max_command_data: form_nc
                .min(usize::from(caps.max_command_data))
                .min(config.max_transceive_length.saturating_sub(overhead))
                .max(1),
            max_response_data: form_ne.min(usize::from(caps.max_response_data)),
            max_frame_size: usize::try_from(caps.max_frame_size).unwrap_or(usize::MAX),
        }
    }

    /// How many EXCHANGE APDUs a frame of `len` bytes takes (GET RESPONSEs not counted).
    pub fn command_apdus(&self, len: usize) -> usize {
        len.div_ceil(self.max_command_data).max(1)
    }
}

/// What the app does next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum ReaderEvent {
    /// Transmit this command APDU and feed its response back.
    Transmit(Vec<u8>),
    /// SELECT succeeded; frames can be sent.
    Selected(CardCapabilities),
    /// The card's complete response frame.
    Frame(Vec<u8>),
}

#[derive(Debug)]
enum ReaderState {
    Idle,
    Selecting { answer: Vec<u8> },
    Ready { link: LinkParams },
    Sending { link: LinkParams, frame: Vec<u8>, offset: usize, seq: u8 },
    Receiving { link: LinkParams, frame: Vec<u8> },
}

/// A reader session; see the module documentation.
#[derive(Debug)]
pub struct ReaderSession {
    config: ReaderConfig,
    capabilities: Option<CardCapabilities>,
    state: ReaderState,
}

impl ReaderSession {
    /// A session for a stack described by `config`.
    pub fn new(config: ReaderConfig) -> Result<Self, NfcError> {
        if config.max_transceive_length < SELECT_APDU_LEN {
            return Err(NfcError::InvalidConfig { reason: "max_transceive_length is shorter than SELECT" });
        }
        Ok(Self { config, capabilities: None, state: ReaderState::Idle })
    }

    /// The configuration.
    pub fn config(&self) -> &ReaderConfig {
        &self.config
    }

    /// The capabilities of the selected card.
    pub fn capabilities(&self) -> Option<&CardCapabilities> {
        self.capabilities.as_ref()
    }

    /// The negotiated link, once selected (and until an error that needs a new SELECT).
    pub fn link(&self) -> Option<LinkParams> {
        match &self.state {
            ReaderState::Ready { link } | ReaderState::Sending { link, .. } | ReaderState::Receiving { link, .. } => {
                Some(*link)
            }
            ReaderState::Idle | ReaderState::Selecting { .. } => None,
        }
    }

    /// Whether a frame can be sent now.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, ReaderState::Ready { .. })
    }

    /// The link was lost (tag lost, tear): forget everything; [`ReaderSession::select`] next.
    pub fn reset(&mut self) {
        self.state = ReaderState::Idle;
        self.capabilities = None;
    }

    /// Starts a session: returns the SELECT APDU to transmit. Valid in every state.
    #[must_use]
    pub fn select(&mut self) -> Vec<u8> {
        self.reset();
        self.state = ReaderState::Selecting { answer: Vec::new() };
        select_apdu()
    }

    /// Starts sending `frame` (possibly empty: a poll); returns the first APDU to transmit.
    ///
    /// Errors with [`NfcError::Misuse`] unless the session is selected and idle, and with
    /// [`NfcError::FrameTooLarge`] when the card does not accept that much (the session is
    /// unchanged then).
    pub fn send_frame(&mut self, frame: &[u8]) -> Result<Vec<u8>, NfcError> {
        let ReaderState::Ready { link } = self.state else {
            return Err(NfcError::Misuse { reason: "send_frame needs a selected card and no exchange in progress" });
        };
        if frame.len() > link.max_frame_size {
            return Err(NfcError::FrameTooLarge { len: frame.len(), limit: link.max_frame_size });
        }
        Ok(self.next_command(link, frame.to_vec(), 0, 0))
    }

    /// Consumes the response to the last APDU transmitted.
    pub fn handle_response(&mut self, response: &[u8]) -> Result<ReaderEvent, NfcError> {
        let state = mem::replace(&mut self.state, ReaderState::Idle);
        if let ReaderState::Idle | ReaderState::Ready { .. } = state {
            self.state = state;
            return Err(NfcError::Misuse { reason: "no APDU is awaiting a response" });
        }
        let response = ResponseApdu::parse(response)?;
        let status = response.status;
        let more = status.more_data_available().is_some();
        if !status.is_ok() && !more {
            // The card dropped the exchange; it stays selected unless this was the SELECT.
            if let Some(link) = link_of(&state) {
                self.state = ReaderState::Ready { link };
            }
            return Err(NfcError::from_status(status));
        }
        match state {
            ReaderState::Selecting { mut answer } => {
                if response.data.len() > SHORT_MAX_NE {
                    return Err(NfcError::Violation { reason: "more data than Ne" });
                }
                answer.extend_from_slice(&response.data);
                if answer.len() > MAX_SELECT_ANSWER {
                    return Err(NfcError::Violation { reason: "SELECT answer too long" });
                }
                if more {
                    if response.data.is_empty() {
                        return Err(NfcError::Violation { reason: "61xx without data" });
                    }
                    self.state = ReaderState::Selecting { answer };
                    return Ok(ReaderEvent::Transmit(get_response(SHORT_MAX_NE)));
                }
                let caps = CardCapabilities::parse(&answer)?;
                if caps.version != BINDING_VERSION {
                    return Err(NfcError::UnsupportedVersion { version: caps.version, supported: BINDING_VERSION });
                }
                self.capabilities = Some(caps);
                self.state = ReaderState::Ready { link: LinkParams::negotiate(&self.config, &caps) };
                Ok(ReaderEvent::Selected(caps))
            }
            ReaderState::Sending { link, frame, offset, seq } => {
                if more || !response.data.is_empty() {
                    return Err(NfcError::Violation { reason: "data in answer to a chained command" });
                }
                Ok(ReaderEvent::Transmit(self.next_command(link, frame, offset, seq)))
            }
            ReaderState::Receiving { link, mut frame } => {
                if response.data.len() > link.max_response_data {
                    return Err(NfcError::Violation { reason: "more data than Ne" });
                }
                let len = frame.len().saturating_add(response.data.len());
                if len > self.config.max_frame_size {
                    return Err(NfcError::FrameTooLarge { len, limit: self.config.max_frame_size });
                }
                frame.extend_from_slice(&response.data);
                if !more {
                    self.state = ReaderState::Ready { link };
                    return Ok(ReaderEvent::Frame(frame));
                }
                if response.data.is_empty() {
                    return Err(NfcError::Violation { reason: "61xx without data" });
                }
                self.state = ReaderState::Receiving { link, frame };
                Ok(ReaderEvent::Transmit(get_response(link.max_response_data)))
            }
            ReaderState::Idle | ReaderState::Ready { .. } => Err(NfcError::Misuse { reason: "unreachable state" }),
        }
    }

    /// The EXCHANGE APDU carrying `frame[offset..]` as far as the link allows.
    fn next_command(&mut self, link: LinkParams, frame: Vec<u8>, offset: usize, seq: u8) -> Vec<u8> {
        let rest = frame.get(offset..).unwrap_or_default();
        let n = rest.len().min(link.max_command_data);
        let last = n == rest.len();
        let chunk = rest.get(..n).unwrap_or_default().to_vec();
        let header = Header {
            cla: if last { CLA_PROPRIETARY } else { CLA_CHAINING },
            ins: INS_EXCHANGE,
            p1: if offset == 0 { P1_START } else { P1_CONTINUE },
            p2: seq,
        };
        let ne = if last { link.max_response_data } else { 0 };
        self.state = if last {
            ReaderState::Receiving { link, frame: Vec::new() }
        } else {
            ReaderState::Sending { link, frame, offset: offset + n, seq: seq.wrapping_add(1) }
        };
        // n <= 65535 and ne <= 65535 by construction of the link.
        CommandApdu::new(header, chunk, ne).map(|c| c.to_bytes()).unwrap_or_default()
    }
}

fn link_of(state: &ReaderState) -> Option<LinkParams> {
    match state {
        ReaderState::Sending { link, .. } | ReaderState::Receiving { link, .. } => Some(*link),
        _ => None,
    }
}

/// The SELECT command: `00 A4 04 00 07 F0 4F 43 41 53 48 01 00`.
pub fn select_apdu() -> Vec<u8> {
    let mut out = vec![CLA_ISO, INS_SELECT, P1_SELECT_BY_AID, P2_SELECT_FIRST, AID.len() as u8];
    out.extend_from_slice(&AID);
    out.push(0x00);
    out
}

/// A GET RESPONSE asking for `ne` bytes.
fn get_response(ne: usize) -> Vec<u8> {
    let header = Header { cla: CLA_ISO, ins: INS_GET_RESPONSE, p1: 0, p2: 0 };
    CommandApdu::new(header, Vec::new(), ne).map(|c| c.to_bytes()).unwrap_or_default()
}
