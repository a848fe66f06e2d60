//! One tap through a simulated NFC field: two wallets, one as card and one as reader, the APDU
//! layer between them, a link-time model and an optional tear. Used by tests, the CLI demo,
//! the simulator and the tap benchmark; apps use [`super::CardHandler`] and
//! [`super::ReaderDriver`] with a real NFC stack instead.

use std::sync::Arc;

use crate::nfc::{CardConfig, Field, FieldConfig, FieldError, FieldStats, ReaderConfig};

use super::{CardHandler, FixedClock, Party, PayeeSession, PayerSession, ReaderDriver, ReaderStep, WalletError};

/// Which phone is the card (Android HCE / iOS card session); the other is the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardRole {
    /// The payer emulates the card; the payee reads.
    PayerIsCard,
    /// The payee emulates the card; the payer reads.
    PayeeIsCard,
}

/// How a tap is simulated.
#[derive(Debug, Clone, Copy)]
pub struct TapConfig {
    /// Who is the card.
    pub role: CardRole,
    /// The field: bit rate, round trip, reader limits, tear.
    pub field: FieldConfig,
    /// The card's limits (short or extended APDUs).
    pub card: CardConfig,
}

impl TapConfig {
    /// The payee's phone is the card, the payer's the reader (the usual point-of-sale tap),
    /// with short APDUs or, when `extended`, extended-length APDUs on both sides; the default
    /// field model, no tear.
    pub fn payee_is_card(extended: bool) -> Self {
        let (reader, card) = if extended {
            (ReaderConfig::extended(), CardConfig::extended())
        } else {
            (ReaderConfig::short(), CardConfig::short())
        };
        Self { role: CardRole::PayeeIsCard, field: FieldConfig { reader, ..FieldConfig::default() }, card }
    }
}

/// What happened in one tap.
#[derive(Debug)]
pub struct TapReport {
    /// APDUs, bytes each way, modelled link time.
    pub stats: FieldStats,
    /// Whether the field tore before the exchange finished.
    pub torn: bool,
    /// The payer finished (receipt verified, spend complete).
    pub payer_complete: bool,
    /// The payee committed the payment.
    pub payee_received: Option<[u8; 32]>,
    /// The error that ended the tap on the payer's side, if any.
    pub payer_error: Option<WalletError>,
    /// The error that ended the tap on the payee's side, if any.
    pub payee_error: Option<WalletError>,
}

impl TapReport {
    /// The first error of either side (the payee's reason if it refused the payment).
    pub fn error(&self) -> Option<&WalletError> {
        self.payee_error.as_ref().or(self.payer_error.as_ref())
    }
}

/// Runs one tap between `payer` and `payee` at time `now`.
pub fn tap(payer: PayerSession, payee: PayeeSession, config: TapConfig, now: u64) -> Result<TapReport, FieldError> {
    let clock = Arc::new(FixedClock(now));
    let (card_party, reader_party) = match config.role {
        CardRole::PayerIsCard => (Party::Payer(payer), Party::Payee(Box::new(payee))),
        CardRole::PayeeIsCard => (Party::Payee(Box::new(payee)), Party::Payer(payer)),
    };
    let card = CardHandler::session(card_party, clock, config.card);
    let mut field = Field::new(config.field, card)?;
    let mut driver = match ReaderDriver::new(reader_party, config.field.reader) {
        Ok(d) => d,
        Err(_) => return Err(FieldError::InvalidConfig { reason: "reader configuration refused" }),
    };
    let mut apdu = driver.start();
    let mut torn = false;
    let mut error = None;
    loop {
        let response = match field.transceive(&apdu) {
            Ok(r) => r,
            Err(FieldError::Torn { .. }) => {
                driver.torn();
                torn = true;
                break;
            }
            Err(e) => return Err(e),
        };
        match driver.handle_response(&response, now) {
            Ok(ReaderStep::Transmit(next)) => apdu = next,
            Ok(ReaderStep::Done) => break,
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let stats = field.stats();
    let (_, card) = field.into_parts();
    let mut handler = card.into_handler();
    let card_error = handler.take_error();
    let (payer_complete, payee_received) = outcome(driver.party(), handler.party());
    let (payer_error, payee_error) = match config.role {
        CardRole::PayerIsCard => (card_error, error),
        CardRole::PayeeIsCard => (error, card_error),
    };
    Ok(TapReport { stats, torn, payer_complete, payee_received, payer_error, payee_error })
}

fn outcome(a: &Party, b: &Party) -> (bool, Option<[u8; 32]>) {
    let mut complete = false;
    let mut received = None;
    for party in [a, b] {
        match party {
            Party::Payer(p) => complete = p.is_complete(),
            Party::Payee(p) => received = p.received(),
        }
    }
    (complete, received)
}
