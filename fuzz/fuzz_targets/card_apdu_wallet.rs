//! APDUs from an untrusted reader into a wallet's card role (`CardSession::process_apdu` with
//! `wallet::CardHandler`). First byte: bit 0 payer (1) or payee (0) is the card, bit 1
//! extended (1) or short (0) APDUs. Then length-prefixed command APDUs.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use offline_cash_core::nfc::CardConfig;
use offline_cash_core::wallet::{CardHandler, FixedClock, Party};
use offline_cash_fuzz::{AMOUNT, NOW, frames, issuer, payee, payer};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let issuer = issuer().expect("fixture");
    let party = if mode & 1 == 1 {
        Party::Payer(payer(&issuer).expect("fixture").pay())
    } else {
        let wallet = payee(&issuer).expect("fixture");
        Party::Payee(Box::new(wallet.request_payment(AMOUNT, NOW).expect("fixture")))
    };
    let config = if mode & 2 == 2 { CardConfig::extended() } else { CardConfig::short() };
    let mut card = CardHandler::session(party, Arc::new(FixedClock(NOW)), config);
    for apdu in frames(rest) {
        let response = card.process_apdu(apdu);
        assert!(response.len() >= 2, "every response ends with a status word");
    }
});
