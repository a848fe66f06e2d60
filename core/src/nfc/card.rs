//! The card role: turns command APDUs into response APDUs around a [`FrameHandler`].
//!
//! ```text
//!  HostApduService.processCommandApdu(apdu) ─► CardSession::process_apdu ─► response APDU
//!                                                  │ complete frame   ▲ response frame
//!                                                  ▼                  │
//!                                              FrameHandler::handle_frame
//! ```
//!
//! States: `Deselected` → (SELECT our AID) → `Idle` ⇄ `Receiving` (a chain in progress) /
//! `Sending` (a response waiting for GET RESPONSE). Rules:
//! - [`CardSession::process_apdu`] always returns a response APDU (at least SW1 SW2); every
//!   error is a status word from [`StatusWord`], never a panic.
//! - Checks run in a fixed order: length fields (6700), CLA (6E00), INS (6D00 / 6884),
//!   P1-P2 (6A86), length limits (6700), session state (6985), frame size (6A84), handler.
//! - Any command other than the expected next one (a continuation while `Receiving`, GET
//!   RESPONSE while `Sending`) abandons the partial frame or the pending response; the
//!   selection itself survives errors. SELECT of our AID always starts a fresh session.
//! - The card never returns more than `Ne` bytes, nor more than its `max_response_data`; the
//!   rest waits behind `61xx`. A SELECT without `Le` (case 3) is answered with a bare `9000`
//!   and selects all the same; nothing waits for GET RESPONSE.
//!
//! It does no IO and keeps no clock: the platform calls it and sends back what it returns.

use std::mem;

use super::apdu::{CommandApdu, EXTENDED_MAX_NC, ResponseApdu, SHORT_MAX_NC, SHORT_MAX_NE};
use super::capabilities::{BINDING_VERSION, CardCapabilities};
use super::handler::{Deactivation, FrameHandler};
use super::status::StatusWord;
use super::{
    AID, CLA_CHAINING, CLA_ISO, CLA_PROPRIETARY, INS_EXCHANGE, INS_GET_RESPONSE, INS_SELECT, P1_CONTINUE,
    P1_SELECT_BY_AID, P1_START, P2_SELECT_FIRST,
};

/// Default largest frame a card accepts: 2 MiB, room for a 1 MiB bundle and its envelope.
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 2 * 1024 * 1024;

/// What a card accepts; advertised in its SELECT answer.
///
/// [`CardSession::new`] normalises the values: per-APDU limits are clamped to
/// `1..=255` (command) and `1..=256` (response) for a short-only card, and to `1..=65535`
/// for an extended-length card. [`CardSession::capabilities`] shows the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardConfig {
    /// Whether the card accepts extended-length APDUs (Android HCE on a device whose
    /// controller supports them; the app knows).
    pub extended_length: bool,
    /// Largest command data (`Nc`) per APDU.
    pub max_command_data: u16,
    /// Largest response data per APDU.
    pub max_response_data: u16,
    /// Largest frame accepted from the reader.
    pub max_frame_size: u32,
    /// Application features advertised in the SELECT answer (tag 85; 0 = none, not sent).
    /// The wallet's card handler sets its own bits.
    pub features: u8,
}

impl CardConfig {
    /// Short APDUs only: 255 bytes of command data, 256 of response data per APDU.
    pub fn short() -> Self {
        Self {
            extended_length: false,
            max_command_data: 255,
            max_response_data: 256,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            features: 0,
        }
    }

    /// Extended-length APDUs: up to 65535 bytes each way per APDU.
    pub fn extended() -> Self {
        Self {
            extended_length: true,
            max_command_data: 65_535,
            max_response_data: 65_535,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            features: 0,
        }
    }

    fn normalised(self) -> Self {
        let (max_nc, max_ne) =
            if self.extended_length { (EXTENDED_MAX_NC, EXTENDED_MAX_NC) } else { (SHORT_MAX_NC, SHORT_MAX_NE) };
        let clamp = |v: u16, max: usize| u16::try_from(usize::from(v).clamp(1, max)).unwrap_or(u16::MAX);
        Self {
            max_command_data: clamp(self.max_command_data, max_nc),
            max_response_data: clamp(self.max_response_data, max_ne),
            ..self
        }
    }
}

impl Default for CardConfig {
    fn default() -> Self {
        Self::short()
    }
}

#[derive(Debug)]
enum CardState {
    Deselected,
    Idle,
    Receiving { frame: Vec<u8>, next_seq: u8 },
    Sending { frame: Vec<u8>, offset: usize },
}

/// A card-emulation session; see the module documentation.
#[derive(Debug)]
pub struct CardSession<H> {
    config: CardConfig,
    handler: H,
    state: CardState,
}

impl<H: FrameHandler> CardSession<H> {
    /// A deselected session that serves frames to `handler`.
    pub fn new(config: CardConfig, handler: H) -> Self {
        Self { config: config.normalised(), handler, state: CardState::Deselected }
    }

    /// What this card advertises in its SELECT answer.
    pub fn capabilities(&self) -> CardCapabilities {
        CardCapabilities {
            version: BINDING_VERSION,
            max_command_data: self.config.max_command_data,
            max_response_data: self.config.max_response_data,
            extended_length: self.config.extended_length,
            max_frame_size: self.config.max_frame_size,
            features: self.config.features,
        }
    }

    /// Whether the reader has selected this application (and the link was not lost since).
    pub fn is_selected(&self) -> bool {
        !matches!(self.state, CardState::Deselected)
    }

    /// Whether a response is waiting for GET RESPONSE.
    pub fn has_pending_response(&self) -> bool {
        matches!(self.state, CardState::Sending { .. })
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The handler, mutably.
    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }

    /// Gives the handler back.
    pub fn into_handler(self) -> H {
        self.handler
    }

    /// The platform reports the end of the session (Android `onDeactivated`): drops any
    /// partial frame or pending response and tells the handler, if a session was active.
    pub fn deactivate(&mut self, reason: Deactivation) {
        if self.is_selected() {
            self.state = CardState::Deselected;
            self.handler.deactivated(reason);
        }
    }

    /// Processes one command APDU and returns the response APDU (data ‖ SW1 SW2). Exactly
    /// what Android `HostApduService.processCommandApdu` needs.
    #[must_use]
    pub fn process_apdu(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.process(apdu).to_bytes()
    }

    /// As [`CardSession::process_apdu`], returning the typed response.
    pub fn process(&mut self, apdu: &[u8]) -> ResponseApdu {
        // Whatever happens, the previous exchange state is consumed here: only the expected
        // next command puts a chain or a pending response back.
        let reset = if self.is_selected() { CardState::Idle } else { CardState::Deselected };
        let previous = mem::replace(&mut self.state, reset);
        match self.dispatch(apdu, previous) {
            Ok(response) => response,
            Err(status) => ResponseApdu::status(status),
        }
    }

    fn dispatch(&mut self, apdu: &[u8], previous: CardState) -> Result<ResponseApdu, StatusWord> {
        let cmd = CommandApdu::parse(apdu).map_err(|_| StatusWord::WRONG_LENGTH)?;
        let h = cmd.header();
        match (h.cla, h.ins) {
            (CLA_ISO, INS_SELECT) => self.select(&cmd, previous),
            (CLA_ISO, INS_GET_RESPONSE) => self.get_response(&cmd, previous),
            (CLA_PROPRIETARY | CLA_CHAINING, INS_EXCHANGE) => self.exchange(cmd, previous),
            (CLA_CHAINING, _) => Err(StatusWord::CHAINING_NOT_SUPPORTED),
            (CLA_ISO | CLA_PROPRIETARY, _) => Err(StatusWord::INS_NOT_SUPPORTED),
            _ => Err(StatusWord::CLA_NOT_SUPPORTED),
        }
    }

    fn check_form(&self, cmd: &CommandApdu) -> Result<(), StatusWord> {
        if cmd.is_extended() && !self.config.extended_length {
            return Err(StatusWord::WRONG_LENGTH);
        }
        Ok(())
    }

    fn select(&mut self, cmd: &CommandApdu, previous: CardState) -> Result<ResponseApdu, StatusWord> {
        let h = cmd.header();
        if h.p1 != P1_SELECT_BY_AID || h.p2 != P2_SELECT_FIRST {
            return Err(StatusWord::WRONG_P1P2);
        }
        self.check_form(cmd)?;
        if cmd.data() != AID {
            return Err(StatusWord::NOT_FOUND);
        }
        if !matches!(previous, CardState::Deselected) {
            self.handler.deactivated(Deactivation::Reselected);
        }
        self.handler.selected();
        self.state = CardState::Idle;
        // A case-3 SELECT (no Le) asks for no data: a bare 9000, as Core NFC's own discovery
        // SELECT may require. The reader's SELECT carries Le and gets the capabilities.
        if cmd.ne() == 0 {
            return Ok(ResponseApdu::status(StatusWord::OK));
        }
        Ok(self.respond(self.capabilities().to_bytes(), 0, cmd.ne()))
    }

    fn get_response(&mut self, cmd: &CommandApdu, previous: CardState) -> Result<ResponseApdu, StatusWord> {
        let h = cmd.header();
        if h.p1 != 0 || h.p2 != 0 {
            return Err(StatusWord::WRONG_P1P2);
        }
        self.check_form(cmd)?;
        if !cmd.data().is_empty() || cmd.ne() == 0 {
            return Err(StatusWord::WRONG_LENGTH);
        }
        match previous {
            CardState::Sending { frame, offset } => Ok(self.respond(frame, offset, cmd.ne())),
            _ => Err(StatusWord::OUT_OF_ORDER),
        }
    }

    fn exchange(&mut self, cmd: CommandApdu, previous: CardState) -> Result<ResponseApdu, StatusWord> {
        let h = cmd.header();
        let start = match (h.p1, h.p2) {
            (P1_START, 0) => true,
            (P1_CONTINUE, _) => false,
            _ => return Err(StatusWord::WRONG_P1P2),
        };
        let more = h.cla == CLA_CHAINING;
        self.check_form(&cmd)?;
        let nc = cmd.data().len();
        if nc > usize::from(self.config.max_command_data) {
            return Err(StatusWord::WRONG_LENGTH);
        }
        // A chained command carries data and expects none back; a continuation carries data.
        if (more && (nc == 0 || cmd.ne() != 0)) || (!start && nc == 0) {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let (mut frame, seq) = match previous {
            CardState::Deselected => return Err(StatusWord::OUT_OF_ORDER),
            _ if start => (Vec::new(), 0u8),
            CardState::Receiving { frame, next_seq } if next_seq == h.p2 => (frame, next_seq),
            _ => return Err(StatusWord::OUT_OF_ORDER),
        };
        if frame.len().saturating_add(nc) > self.max_frame() {
            return Err(StatusWord::FRAME_TOO_LARGE);
        }
        let ne = cmd.ne();
        let mut data = cmd.into_data();
        if frame.is_empty() {
            frame = data;
        } else {
            frame.append(&mut data);
        }
        if more {
            self.state = CardState::Receiving { frame, next_seq: seq.wrapping_add(1) };
            return Ok(ResponseApdu::status(StatusWord::OK));
        }
        let response = self.handler.handle_frame(&frame).map_err(|e| e.status())?;
        Ok(self.respond(response, 0, ne))
    }

    fn max_frame(&self) -> usize {
        usize::try_from(self.config.max_frame_size).unwrap_or(usize::MAX)
    }

    /// Sends `frame[offset..]` as far as `ne` and the card's limit allow; keeps the rest.
    fn respond(&mut self, frame: Vec<u8>, offset: usize, ne: usize) -> ResponseApdu {
        let remaining = frame.get(offset..).unwrap_or_default();
        let n = remaining.len().min(ne).min(usize::from(self.config.max_response_data));
        let chunk = remaining.get(..n).unwrap_or_default().to_vec();
        let left = remaining.len() - n;
        if left == 0 {
            ResponseApdu::new(chunk, StatusWord::OK)
        } else {
            self.state = CardState::Sending { frame, offset: offset + n };
            ResponseApdu::new(chunk, StatusWord::more_data(left))
        }
    }
}
