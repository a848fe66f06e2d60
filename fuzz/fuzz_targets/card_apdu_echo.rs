//! APDUs from an untrusted reader into the card session's framing alone (an echo handler):
//! SELECT, command chaining, GET RESPONSE, frame size limits. First byte: bit 0 extended,
//! bits 1.. the card's frame limit choice. Then length-prefixed command APDUs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offline_cash_core::nfc::{CardConfig, CardSession, FrameError, FrameHandler};
use offline_cash_fuzz::frames;

#[derive(Debug, Default)]
struct Echo;

impl FrameHandler for Echo {
    fn handle_frame(&mut self, frame: &[u8]) -> Result<Vec<u8>, FrameError> {
        if frame.first() == Some(&0xEE) {
            return Err(FrameError::Rejected { code: frame.get(1).copied().unwrap_or(0) });
        }
        Ok(frame.to_vec())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut config = if mode & 1 == 1 { CardConfig::extended() } else { CardConfig::short() };
    config.max_frame_size = match (mode >> 1) & 3 {
        0 => config.max_frame_size,
        1 => 1_000,
        2 => 0,
        _ => u32::MAX,
    };
    let mut card = CardSession::new(config, Echo);
    for apdu in frames(rest) {
        let response = card.process_apdu(apdu);
        assert!(response.len() >= 2, "every response ends with a status word");
    }
});
