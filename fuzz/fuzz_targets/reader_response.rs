//! Responses from an untrusted card into the reader role: `wallet::ReaderDriver` (payer or
//! payee as reader) and the bare `nfc::ReaderSession`. First byte: bits 0-1 the role
//! (0 payer reader, 1 payee reader, 2-3 bare session), bit 2 extended. Then length-prefixed
//! response APDUs, fed in order whatever the driver answered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offline_cash_core::nfc::{ReaderConfig, ReaderEvent, ReaderSession};
use offline_cash_core::wallet::{Party, ReaderDriver};
use offline_cash_fuzz::{AMOUNT, NOW, frames, issuer, payee, payer};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let config = if mode & 4 == 4 { ReaderConfig::extended() } else { ReaderConfig::short() };
    if mode & 2 == 2 {
        let Ok(mut reader) = ReaderSession::new(config) else { return };
        let _ = reader.select();
        for response in frames(rest) {
            if let Ok(ReaderEvent::Selected(_)) = reader.handle_response(response) {
                let _ = reader.send_frame(b"frame from the reader");
            }
        }
        return;
    }
    let issuer = issuer().expect("fixture");
    let party = if mode & 1 == 0 {
        Party::Payer(payer(&issuer).expect("fixture").pay())
    } else {
        let wallet = payee(&issuer).expect("fixture");
        Party::Payee(Box::new(wallet.request_payment(AMOUNT, NOW).expect("fixture")))
    };
    let Ok(mut driver) = ReaderDriver::new(party, config) else { return };
    let _ = driver.start();
    for response in frames(rest) {
        let _ = driver.handle_response(response, NOW);
    }
    driver.torn();
});
