//! The four NFC role combinations: payer or payee, as card or reader.
//!
//! ```text
//!  reader payer : SELECT, Poll → Request,    Payment → Receipt          (done)
//!                (Hello → Request or CompactRequest when the card advertises FEATURE_HELLO;
//!                 a payer lacking the certificate a CompactRequest names answers Poll: +1 exchange)
//!  reader payee : SELECT, Request → Payment, Receipt → Ack              (done)
//!                (Poll → Hello, then Request or CompactRequest → Payment, Receipt → Ack when
//!                 the card advertises FEATURE_PAYER_HELLO: +1 exchange, both certificates saved)
//!  card   payee : answers Poll with Request, Payment with Receipt
//!  card   payer : answers Request with Payment, Receipt with Ack (and a Poll with its Hello)
//! ```
//! Two round trips after SELECT in every combination, three for a card payer that says hello.

use std::sync::Arc;

use crate::nfc::{
    CardConfig, CardSession, Deactivation, FrameError, FrameHandler, ReaderConfig, ReaderEvent, ReaderSession,
};
use crate::protocol::Frame;
use crate::protocol::compact::{FEATURE_HELLO, FEATURE_PAYER_HELLO};

use super::{Clock, PayeeSession, PayerSession, WalletError};

/// One side of a payment, whichever role it plays on the link.
#[derive(Debug)]
pub enum Party {
    /// Paying.
    Payer(PayerSession),
    /// Receiving.
    Payee(Box<PayeeSession>),
}

impl Party {
    /// The first frame after SELECT; `card_features` are the features the card advertised.
    fn first_frame(&self, card_features: u8) -> Vec<u8> {
        match self {
            Party::Payer(p) if card_features & FEATURE_HELLO != 0 => p.hello_frame(),
            Party::Payer(p) => p.first_frame(),
            Party::Payee(_) if card_features & FEATURE_PAYER_HELLO != 0 => Frame::Poll.encode(),
            Party::Payee(p) => p.request_frame().to_vec(),
        }
    }

    fn handle(&mut self, frame: &[u8], now: u64) -> Result<Option<Vec<u8>>, WalletError> {
        match self {
            Party::Payer(p) => p.handle_frame(frame, now),
            Party::Payee(p) => p.handle_frame(frame, now),
        }
    }

    fn torn(&mut self) {
        if let Party::Payer(p) = self {
            p.torn();
        }
    }
}

/// The card role: give it to `CardSession` and call `process_apdu` from
/// `HostApduService.processCommandApdu` (Android) or the iOS card session.
pub struct CardHandler {
    party: Party,
    clock: Arc<dyn Clock>,
    last_error: Option<WalletError>,
    finished: bool,
}

impl std::fmt::Debug for CardHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardHandler").field("party", &self.party).field("finished", &self.finished).finish()
    }
}

impl CardHandler {
    /// A card session for `party` with NFC limits `config`. A payee's card advertises that it
    /// answers a hello ([`FEATURE_HELLO`] in the SELECT answer), so a payer that knows it skips
    /// the certificates they both hold; a payer's card, that it answers a poll with its hello
    /// ([`FEATURE_PAYER_HELLO`]), so a reader payee that met it does the same.
    pub fn session(party: Party, clock: Arc<dyn Clock>, config: CardConfig) -> CardSession<CardHandler> {
        let mut config = config;
        config.features |= match party {
            Party::Payee(_) => FEATURE_HELLO,
            Party::Payer(_) => FEATURE_PAYER_HELLO,
        };
        CardSession::new(config, CardHandler { party, clock, last_error: None, finished: false })
    }

    /// The error that ended the exchange, if any.
    pub fn last_error(&self) -> Option<&WalletError> {
        self.last_error.as_ref()
    }

    /// Takes the error that ended the exchange, if any.
    pub fn take_error(&mut self) -> Option<WalletError> {
        self.last_error.take()
    }

    /// Whether the payment completed on this side.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The party (to read its outcome).
    pub fn party(&self) -> &Party {
        &self.party
    }
}

impl FrameHandler for CardHandler {
    fn handle_frame(&mut self, frame: &[u8]) -> Result<Vec<u8>, FrameError> {
        match self.party.handle(frame, self.clock.now()) {
            Ok(Some(reply)) => {
                if matches!(self.party, Party::Payee(ref p) if p.received().is_some()) {
                    self.finished = true;
                }
                Ok(reply)
            }
            Ok(None) => {
                self.finished = true;
                Ok(Frame::Ack.encode())
            }
            Err(e) => {
                let code = match &e {
                    WalletError::Rejected(r) => Some(r.reason().code()),
                    _ => None,
                };
                self.last_error = Some(e);
                Err(match code {
                    Some(code) => FrameError::Rejected { code },
                    None => FrameError::Internal,
                })
            }
        }
    }

    fn deactivated(&mut self, _reason: Deactivation) {
        if !self.finished {
            self.party.torn();
        }
    }
}

/// What the app does next with the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderStep {
    /// Send this command APDU (`IsoDep.transceive` / `sendCommand`) and pass the response back.
    Transmit(Vec<u8>),
    /// The payment is complete on this side.
    Done,
}

/// The reader role, sans-IO: `start()` gives the first APDU, then feed every response to
/// [`ReaderDriver::handle_response`] until it says `Done`.
#[derive(Debug)]
pub struct ReaderDriver {
    reader: ReaderSession,
    party: Party,
    done: bool,
    /// This side refused the card's frame: the error frame telling the card why is on its
    /// way, and this error ends the exchange when the card answers it.
    refusing: Option<WalletError>,
}

impl ReaderDriver {
    /// A reader for `party` with this device's NFC limits.
    pub fn new(party: Party, config: ReaderConfig) -> Result<Self, WalletError> {
        Ok(Self { reader: ReaderSession::new(config)?, party, done: false, refusing: None })
    }

    /// The SELECT command to send first (again after a tear: re-tapping starts here).
    pub fn start(&mut self) -> Vec<u8> {
        self.reader.select()
    }

    /// The party (to read its outcome).
    pub fn party(&self) -> &Party {
        &self.party
    }

    /// Reports that the tag was lost before `Done` (a tear).
    pub fn torn(&mut self) {
        if !self.done {
            self.party.torn();
        }
        self.reader.reset();
        self.refusing = None;
    }

    /// Takes the card's response to the last command.
    ///
    /// When this side refuses the card's frame (a payment or receipt it must not accept), it
    /// first sends the card an error frame with the [`Reason`](crate::reason::Reason), so the
    /// wallet on the card learns why as `PeerRejected`, and returns the refusal when the card
    /// has answered it (or at once if sending fails).
    pub fn handle_response(&mut self, response: &[u8], now: u64) -> Result<ReaderStep, WalletError> {
        let event = self.reader.handle_response(response);
        if let Some(refusal) = self.refusing.take() {
            if let Ok(ReaderEvent::Transmit(apdu)) = event {
                // The error frame is still being chained out.
                self.refusing = Some(refusal);
                return Ok(ReaderStep::Transmit(apdu));
            }
            return Err(refusal);
        }
        match event? {
            ReaderEvent::Transmit(apdu) => Ok(ReaderStep::Transmit(apdu)),
            ReaderEvent::Selected(caps) => {
                Ok(ReaderStep::Transmit(self.reader.send_frame(&self.party.first_frame(caps.features))?))
            }
            ReaderEvent::Frame(frame) => match self.party.handle(&frame, now) {
                Ok(Some(next)) => Ok(ReaderStep::Transmit(self.reader.send_frame(&next)?)),
                Ok(None) => {
                    self.done = true;
                    Ok(ReaderStep::Done)
                }
                Err(WalletError::Rejected(r)) => {
                    let frame = Frame::error(r.reason(), r.to_string()).encode();
                    match self.reader.send_frame(&frame) {
                        Ok(apdu) => {
                            self.refusing = Some(WalletError::Rejected(r));
                            Ok(ReaderStep::Transmit(apdu))
                        }
                        Err(_) => Err(WalletError::Rejected(r)),
                    }
                }
                Err(e) => Err(e),
            },
        }
    }
}
