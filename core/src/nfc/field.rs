//! A simulated NFC field: a [`ReaderSession`] and a [`CardSession`] in memory, with a link
//! model and an optional tear. For tests and the tap benchmark.
//!
//! ```text
//!  Field::exchange(frame)
//!    ReaderSession ──command APDU──► [bytes counted, tear?] ──► CardSession::process_apdu
//!    ReaderSession ◄─response APDU── [bytes counted, tear?] ◄──
//!    … until the reader yields the response frame
//! ```
//!
//! Link time is modelled, never measured ([`super::timing`] holds the models): for each APDU
//! exchanged,
//! `(command bytes + response bytes) × 8 / bit_rate + round_trip`. The sum is computed from
//! the totals, so [`FieldStats::link_time`] is `total_bits × 10⁹ / bit_rate` nanoseconds
//! (rounded down) plus `apdus × round_trip`. ISO 14443 framing (parity, CRC, PCB) is not
//! counted byte by byte: the round trip absorbs it.
//!
//! A tear at byte `N` (counted over the field's life, both directions) delivers exactly `N`
//! bytes: the APDU in flight when the count passes `N` is lost whole (a frame cut short
//! fails its CRC), so a command cut in the middle never reaches the card, while a response
//! cut in the middle was already acted on by the card but never reaches the reader. The
//! field then tells both sides the link is lost ([`CardSession::deactivate`],
//! [`ReaderSession::reset`]) and refuses to carry anything until [`Field::retap`].

use std::time::Duration;

use super::capabilities::CardCapabilities;
use super::card::CardSession;
use super::error::NfcError;
use super::handler::{Deactivation, FrameHandler};
use super::reader::{ReaderConfig, ReaderEvent, ReaderSession};

use super::timing::LinkModel;

/// Default bit rate: 424 kbit/s (ISO 14443 at fc/32), [`LinkModel::OPTIMISTIC`].
pub const DEFAULT_BIT_RATE: u64 = LinkModel::OPTIMISTIC.bit_rate;
/// Default round trip per APDU: 8 ms, [`LinkModel::OPTIMISTIC`].
pub const DEFAULT_ROUND_TRIP: Duration = LinkModel::OPTIMISTIC.round_trip;

/// How the field behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldConfig {
    /// Bits per second each way.
    pub bit_rate: u64,
    /// Fixed cost of every APDU exchange (turnaround, framing, platform latency).
    pub round_trip: Duration,
    /// The reader's stack: extended length on/off and the longest command APDU.
    pub reader: ReaderConfig,
    /// Tear the field once `N` bytes have crossed it, counting both directions.
    pub tear_at_byte: Option<u64>,
}

impl Default for FieldConfig {
    fn default() -> Self {
        Self {
            bit_rate: DEFAULT_BIT_RATE,
            round_trip: DEFAULT_ROUND_TRIP,
            reader: ReaderConfig::short(),
            tear_at_byte: None,
        }
    }
}

/// What crossed the field so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldStats {
    /// Command APDUs started (a torn one included).
    pub apdus: u64,
    /// Bytes sent reader → card (of a torn command, those before the tear).
    pub bytes_to_card: u64,
    /// Bytes sent card → reader (of a torn response, those before the tear).
    pub bytes_to_reader: u64,
    /// Modelled link time (see the module documentation).
    pub link_time: Duration,
}

impl FieldStats {
    /// Bytes in both directions.
    pub fn bytes_total(&self) -> u64 {
        self.bytes_to_card + self.bytes_to_reader
    }

    /// The link time of these APDUs and bytes under `model` (whatever model the field ran
    /// with): the tap tables print [`LinkModel::BOTH`] side by side.
    pub fn time_under(&self, model: LinkModel) -> Duration {
        model.time(self.apdus, self.bytes_total())
    }
}

/// Why the field could not carry an exchange.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// The field was torn: `at_byte` bytes crossed it in total.
    #[error("field torn after {at_byte} bytes")]
    Torn { at_byte: u64 },
    /// The reader session failed.
    #[error(transparent)]
    Reader(#[from] NfcError),
    /// A command APDU longer than the reader's stack can transmit (IsoDep would throw).
    #[error("command APDU of {len} bytes exceeds the transceive limit of {limit}")]
    CommandTooLong { len: usize, limit: usize },
    /// The reader produced an event the driving method did not expect.
    #[error("unexpected reader event: {what}")]
    UnexpectedEvent { what: &'static str },
    /// The field configuration cannot work.
    #[error("invalid field configuration: {reason}")]
    InvalidConfig { reason: &'static str },
}

/// A reader and a card sharing a simulated field.
#[derive(Debug)]
pub struct Field<H> {
    config: FieldConfig,
    reader: ReaderSession,
    card: CardSession<H>,
    apdus: u64,
    to_card: u64,
    to_reader: u64,
    torn: bool,
}

impl<H: FrameHandler> Field<H> {
    /// A field between a new reader (from `config.reader`) and `card`.
    pub fn new(config: FieldConfig, card: CardSession<H>) -> Result<Self, FieldError> {
        if config.bit_rate == 0 {
            return Err(FieldError::InvalidConfig { reason: "bit_rate is zero" });
        }
        let reader = ReaderSession::new(config.reader)?;
        Ok(Self { config, reader, card, apdus: 0, to_card: 0, to_reader: 0, torn: false })
    }

    /// Carries one command APDU to the card and its response back.
    pub fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, FieldError> {
        let limit = self.config.reader.max_transceive_length;
        if command.len() > limit {
            return Err(FieldError::CommandTooLong { len: command.len(), limit });
        }
        if self.torn {
            return Err(FieldError::Torn { at_byte: self.bytes_total() });
        }
        self.apdus += 1;
        let cmd_len = command.len() as u64;
        if let Some(room) = self.room() {
            if cmd_len > room {
                self.to_card += room;
                return Err(self.tear());
            }
        }
        let response = self.card.process_apdu(command);
        self.to_card += cmd_len;
        let resp_len = response.len() as u64;
        if let Some(room) = self.room() {
            if resp_len > room {
                self.to_reader += room;
                return Err(self.tear());
            }
        }
        self.to_reader += resp_len;
        Ok(response)
    }

    /// Selects the card.
    pub fn select(&mut self) -> Result<CardCapabilities, FieldError> {
        let apdu = self.reader.select();
        match self.drive(apdu)? {
            ReaderEvent::Selected(caps) => Ok(caps),
            _ => Err(FieldError::UnexpectedEvent { what: "not Selected after SELECT" }),
        }
    }

    /// Sends `frame` to the card and returns its response frame.
    pub fn exchange(&mut self, frame: &[u8]) -> Result<Vec<u8>, FieldError> {
        let apdu = self.reader.send_frame(frame)?;
        match self.drive(apdu)? {
            ReaderEvent::Frame(response) => Ok(response),
            _ => Err(FieldError::UnexpectedEvent { what: "not Frame after an exchange" }),
        }
    }

    fn drive(&mut self, mut apdu: Vec<u8>) -> Result<ReaderEvent, FieldError> {
        loop {
            let response = self.transceive(&apdu)?;
            match self.reader.handle_response(&response)? {
                ReaderEvent::Transmit(next) => apdu = next,
                done => return Ok(done),
            }
        }
    }

    /// What crossed the field so far, and the modelled time it took.
    pub fn stats(&self) -> FieldStats {
        let model = LinkModel { name: "field", bit_rate: self.config.bit_rate, round_trip: self.config.round_trip };
        FieldStats {
            apdus: self.apdus,
            bytes_to_card: self.to_card,
            bytes_to_reader: self.to_reader,
            link_time: model.time(self.apdus, self.bytes_total()),
        }
    }

    /// Whether the field is torn (nothing crosses until [`Field::retap`]).
    pub fn is_torn(&self) -> bool {
        self.torn
    }

    /// The phones are tapped again: the field carries APDUs again, with a new tear threshold
    /// (absolute, on the same byte count). Both sessions must SELECT again.
    pub fn retap(&mut self, tear_at_byte: Option<u64>) {
        self.torn = false;
        self.config.tear_at_byte = tear_at_byte;
    }

    /// The reader session.
    pub fn reader(&self) -> &ReaderSession {
        &self.reader
    }

    /// The reader session, mutably.
    pub fn reader_mut(&mut self) -> &mut ReaderSession {
        &mut self.reader
    }

    /// The card session.
    pub fn card(&self) -> &CardSession<H> {
        &self.card
    }

    /// The card session, mutably.
    pub fn card_mut(&mut self) -> &mut CardSession<H> {
        &mut self.card
    }

    /// The reader and the card.
    pub fn into_parts(self) -> (ReaderSession, CardSession<H>) {
        (self.reader, self.card)
    }

    fn bytes_total(&self) -> u64 {
        self.to_card + self.to_reader
    }

    /// Bytes that may still cross before the tear, if one is set.
    fn room(&self) -> Option<u64> {
        self.config.tear_at_byte.map(|n| n.saturating_sub(self.bytes_total()))
    }

    fn tear(&mut self) -> FieldError {
        self.torn = true;
        self.card.deactivate(Deactivation::LinkLost);
        self.reader.reset();
        FieldError::Torn { at_byte: self.bytes_total() }
    }
}
