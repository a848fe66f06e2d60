//! Hostile APDUs against a wallet acting as the card: typed status words, no value moved.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;

use offline_cash_core::crypto::Suite;
use offline_cash_core::nfc::{CardConfig, ReaderConfig, StatusWord, select_apdu};
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::wallet::testing::{fund, provisioned};
use offline_cash_core::wallet::{CardHandler, FixedClock, Party, ReaderDriver, ReaderStep};

fn sw(response: &[u8]) -> u16 {
    let n = response.len();
    u16::from_be_bytes([response[n - 2], response[n - 1]])
}

#[test]
fn truncated_oversized_and_out_of_order_apdus_are_refused_by_a_payee_card() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let bob = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    let request = bob.request_payment(300, T0).unwrap();
    let mut card = CardHandler::session(Party::Payee(Box::new(request)), Arc::new(FixedClock(T0)), CardConfig::short());

    // An exchange before SELECT is out of order.
    assert_eq!(sw(&card.process_apdu(&[0x80, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00])), StatusWord::OUT_OF_ORDER.0);
    assert_eq!(sw(&card.process_apdu(&select_apdu())), StatusWord::OK.0);
    // Lc says 5 bytes, 2 follow: wrong length. Nothing at all: wrong length too.
    assert_eq!(sw(&card.process_apdu(&[0x80, 0x10, 0x00, 0x00, 0x05, 0x01, 0x02])), StatusWord::WRONG_LENGTH.0);
    assert_eq!(sw(&card.process_apdu(&[0x80])), StatusWord::WRONG_LENGTH.0);
    // An extended APDU to a card that said it only does short ones.
    let mut extended = vec![0x80, 0x10, 0x00, 0x00, 0x00, 0x01, 0x2C];
    extended.extend(std::iter::repeat_n(0u8, 300));
    extended.extend([0x00, 0x00]);
    let status = sw(&card.process_apdu(&extended));
    assert_ne!(status, StatusWord::OK.0);
    // GET RESPONSE with nothing pending is out of order.
    assert_eq!(sw(&card.process_apdu(&[0x00, 0xC0, 0x00, 0x00, 0x00])), StatusWord::OUT_OF_ORDER.0);
    // A frame that is not a protocol message: the payee refuses it as malformed (9Axx).
    let garbage = [0x80, 0x10, 0x00, 0x00, 0x03, 0x02, 0xFF, 0xFF, 0x00];
    let status = sw(&card.process_apdu(&garbage));
    assert_eq!(status & 0xFF00, 0x9A00, "protocol rejection, got {status:04X}");
    assert_eq!(bob.balance().unwrap().total, 0);
}

#[test]
fn a_reader_payer_survives_garbage_responses() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let alice = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    fund(&issuer, &alice, &[1_000], T0).unwrap();
    for response in [vec![], vec![0x90], vec![0x6A, 0x82], vec![0x01, 0x02, 0x90, 0x00], vec![0xFF; 300]] {
        let mut reader = ReaderDriver::new(Party::Payer(alice.pay()), ReaderConfig::short()).unwrap();
        let _select = reader.start();
        match reader.handle_response(&response, T0) {
            Ok(ReaderStep::Done) => panic!("garbage cannot complete a payment"),
            Ok(ReaderStep::Transmit(_)) | Err(_) => {}
        }
    }
    let b = alice.balance().unwrap();
    assert_eq!((b.spendable, b.pending), (1_000, 0));
}
