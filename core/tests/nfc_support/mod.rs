//! Handlers and helpers shared by the nfc_* tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::nfc::{
    CardConfig, CardSession, Deactivation, Field, FieldConfig, FrameError, FrameHandler, ReaderConfig,
};

/// Answers every frame with itself (or with `reply` when set) and records what it saw.
#[derive(Debug, Default)]
pub struct Echo {
    pub frames: Vec<Vec<u8>>,
    pub selected: usize,
    pub deactivations: Vec<Deactivation>,
    /// When set, the handler answers this instead of echoing.
    pub reply: Option<Vec<u8>>,
    /// When set, the handler fails with this.
    pub fail: Option<FrameError>,
}

impl FrameHandler for Echo {
    fn handle_frame(&mut self, frame: &[u8]) -> Result<Vec<u8>, FrameError> {
        self.frames.push(frame.to_vec());
        if let Some(e) = self.fail {
            return Err(e);
        }
        Ok(self.reply.clone().unwrap_or_else(|| frame.to_vec()))
    }
    fn selected(&mut self) {
        self.selected += 1;
    }
    fn deactivated(&mut self, reason: Deactivation) {
        self.deactivations.push(reason);
    }
}

/// `len` bytes that differ from one position to the next (and from seed to seed).
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed).wrapping_add((i >> 8) as u8)).collect()
}

pub fn card(config: CardConfig) -> CardSession<Echo> {
    CardSession::new(config, Echo::default())
}

pub fn field(card_config: CardConfig, reader: ReaderConfig) -> Field<Echo> {
    Field::new(FieldConfig { reader, ..FieldConfig::default() }, card(card_config)).unwrap()
}

/// The status word at the end of a response APDU.
pub fn sw(response: &[u8]) -> u16 {
    assert!(response.len() >= 2, "response shorter than a status word: {response:02X?}");
    u16::from_be_bytes([response[response.len() - 2], response[response.len() - 1]])
}

/// Selects `card`, following `61xx` with GET RESPONSE; returns the SELECT answer data.
pub fn select_card(card: &mut CardSession<Echo>) -> Vec<u8> {
    let mut r = card.process_apdu(&offline_cash_core::nfc::select_apdu());
    let mut answer = Vec::new();
    while sw(&r) >> 8 == 0x61 {
        answer.extend_from_slice(&r[..r.len() - 2]);
        r = card.process_apdu(&[0x00, 0xC0, 0x00, 0x00, 0x00]);
    }
    assert_eq!(sw(&r), 0x9000);
    answer.extend_from_slice(&r[..r.len() - 2]);
    answer
}

pub fn hex(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}
