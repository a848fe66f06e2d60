//! Every error path of the card role answers its documented status word; the reader turns
//! them into typed errors; nothing from outside panics either role.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod nfc_support;

use nfc_support::{Echo, card, hex, pattern, select_card, sw};
use offline_cash_core::nfc::{
    CardConfig, CardSession, Deactivation, FrameError, NfcError, ReaderConfig, ReaderEvent, ReaderSession, StatusWord,
    select_apdu,
};
use proptest::prelude::*;

/// Sends `apdu` (hex) to `card` and returns the response.
fn send(card: &mut CardSession<Echo>, apdu: &str) -> Vec<u8> {
    card.process_apdu(&hex(apdu))
}

#[test]
fn select_answers_the_capabilities_and_starts_a_session() {
    let mut c = card(CardConfig::short());
    let r = c.process_apdu(&select_apdu());
    assert_eq!(r, hex("800101 810200FF 82020100 830100 840400200000 9000"));
    assert!(c.is_selected());
    assert_eq!(c.handler().selected, 1);
    // Selecting again restarts the session and says so.
    assert_eq!(sw(&c.process_apdu(&select_apdu())), 0x9000);
    assert_eq!(c.handler().deactivations, vec![Deactivation::Reselected]);
    assert_eq!(c.handler().selected, 2);
}

#[test]
fn select_of_another_aid_is_not_found_and_does_not_select() {
    let mut c = card(CardConfig::short());
    assert_eq!(send(&mut c, "00A40400 07 A0000000041010 00"), hex("6A82"));
    assert_eq!(send(&mut c, "00A40400 06 F04F43415348 00"), hex("6A82")); // a prefix of ours
    assert_eq!(send(&mut c, "00A40400 08 F04F4341534801FF 00"), hex("6A82"));
    assert!(!c.is_selected());
    // SELECT by file id or "next occurrence" is not ours to answer.
    assert_eq!(send(&mut c, "00A40000 02 3F00"), hex("6A86"));
    assert_eq!(send(&mut c, "00A40402 07 F04F4341534801 00"), hex("6A86"));
    assert_eq!(c.handler().selected, 0);
}

#[test]
fn select_without_le_is_a_bare_9000_and_still_selects() {
    // Core NFC's own discovery SELECT may carry no Le: answering 61 14 could fail that SELECT.
    let mut c = card(CardConfig::short());
    assert_eq!(send(&mut c, "00A40400 07 F04F4341534801"), hex("9000"));
    assert!(c.is_selected());
    assert_eq!(c.handler().selected, 1);
    // Nothing waits behind it.
    assert_eq!(send(&mut c, "00C00000 14"), hex("6985"));
    // The reader's own SELECT (with Le) then gets the capabilities: a fresh session.
    assert_eq!(send(&mut c, "00A40400 07 F04F4341534801 00"), hex("800101 810200FF 82020100 830100 840400200000 9000"));
    assert_eq!(c.handler().deactivations, vec![Deactivation::Reselected]);
    assert_eq!(c.handler().selected, 2);
}

#[test]
fn commands_out_of_order_answer_6985() {
    let mut c = card(CardConfig::short());
    // Exchange and GET RESPONSE before SELECT.
    assert_eq!(send(&mut c, "80100000 01 AA 00"), hex("6985"));
    assert_eq!(send(&mut c, "00C00000 00"), hex("6985"));
    assert!(c.handler().frames.is_empty());
    let _ = select_card(&mut c);
    // GET RESPONSE with nothing pending.
    assert_eq!(send(&mut c, "00C00000 00"), hex("6985"));
    // A continuation without a start.
    assert_eq!(send(&mut c, "80100101 01 AA 00"), hex("6985"));
    assert_eq!(send(&mut c, "90100101 01 AA"), hex("6985"));
    // A continuation with the wrong sequence number: start, then 02 instead of 01.
    assert_eq!(send(&mut c, "90100000 01 AA"), hex("9000"));
    assert_eq!(send(&mut c, "80100102 01 BB 00"), hex("6985"));
    // … which abandoned the chain: the right continuation is now out of order too.
    assert_eq!(send(&mut c, "80100101 01 BB 00"), hex("6985"));
    assert!(c.handler().frames.is_empty());
    // The session survives: a fresh frame goes through.
    assert_eq!(send(&mut c, "80100000 01 CC 00"), hex("CC 9000"));
}

#[test]
fn any_other_command_abandons_a_chain_or_a_pending_response() {
    let mut c = card(CardConfig { max_response_data: 4, ..CardConfig::short() });
    let _ = select_card(&mut c);
    assert_eq!(send(&mut c, "80100000 06 010203040506 00"), hex("01020304 6102"));
    assert!(c.has_pending_response());
    assert_eq!(send(&mut c, "80FF0000"), hex("6D00"));
    assert!(!c.has_pending_response());
    assert_eq!(send(&mut c, "00C00000 00"), hex("6985"));
    // A new frame replaces a pending response.
    assert_eq!(send(&mut c, "80100000 06 010203040506 00"), hex("01020304 6102"));
    assert_eq!(send(&mut c, "80100000 01 07 00"), hex("07 9000"));
}

#[test]
fn malformed_and_oversized_apdus_answer_6700() {
    let mut c = card(CardConfig::short());
    let _ = select_card(&mut c);
    for apdu in [
        "",                      // nothing
        "801000",                // header cut short
        "80100000 05 AABB",      // Lc 5, 2 bytes
        "80100000 02 AABB 0000", // a byte too many
        "80100000 00 01",        // no ISO case
        "80100000 000003 AABB",  // extended Lc 3, 2 bytes
        "00C00000",              // GET RESPONSE without Le (nothing pending is checked later)
        "00C00000 01 AA 00",     // GET RESPONSE with data
        "90100000 01 AA 00",     // chained command with Le
        "90100000",              // chained command without data
    ] {
        assert_eq!(send(&mut c, apdu), hex("6700"), "{apdu}");
    }
    // An extended APDU to a card that does not support them.
    let mut long = hex("80100000 00012C");
    long.extend(pattern(300, 0));
    long.extend([0, 0]);
    assert_eq!(c.process_apdu(&long), hex("6700"));
    // More command data per APDU than an extended card advertised.
    let mut c = card(CardConfig { max_command_data: 1000, ..CardConfig::extended() });
    let _ = select_card(&mut c);
    let mut apdu = hex("80100000 0003E9");
    apdu.extend(pattern(1001, 0));
    apdu.extend([0, 0]);
    assert_eq!(c.process_apdu(&apdu), hex("6700"));
    assert!(c.handler().frames.is_empty());
}

#[test]
fn frames_larger_than_the_card_accepts_answer_6a84() {
    let mut c = card(CardConfig { max_frame_size: 300, ..CardConfig::short() });
    let _ = select_card(&mut c);
    let mut first = hex("90100000 FF");
    first.extend(pattern(255, 0));
    assert_eq!(c.process_apdu(&first), hex("9000"));
    let mut second = hex("80100101 2E");
    second.extend(pattern(46, 0)); // 301 bytes in all
    second.push(0);
    assert_eq!(c.process_apdu(&second), hex("6A84"));
    assert!(c.handler().frames.is_empty());
    // Exactly at the limit is fine.
    assert_eq!(c.process_apdu(&first), hex("9000"));
    second[4] = 0x2D;
    second.remove(5);
    assert_eq!(sw(&c.process_apdu(&second)), 0x612C); // 256 of 300 bytes echoed
    // The reader refuses to send what the card advertised it would refuse.
    let mut reader = ReaderSession::new(ReaderConfig::short()).unwrap();
    let _ = reader.select();
    let caps = c.capabilities();
    assert!(matches!(reader.handle_response(&[caps.to_bytes(), vec![0x90, 0]].concat()), Ok(ReaderEvent::Selected(_))));
    assert_eq!(reader.send_frame(&[0; 301]), Err(NfcError::FrameTooLarge { len: 301, limit: 300 }));
    assert!(reader.is_ready());
}

#[test]
fn unknown_classes_and_instructions() {
    let mut c = card(CardConfig::short());
    let _ = select_card(&mut c);
    assert_eq!(send(&mut c, "40100000 01 AA 00"), hex("6E00"));
    assert_eq!(send(&mut c, "01A40400 07 F04F4341534801 00"), hex("6E00")); // logical channel 1
    assert_eq!(send(&mut c, "FF100000"), hex("6E00"));
    assert_eq!(send(&mut c, "80200000 00"), hex("6D00"));
    assert_eq!(send(&mut c, "00B00000 00"), hex("6D00")); // READ BINARY
    assert_eq!(send(&mut c, "80C00000 00"), hex("6D00")); // GET RESPONSE is class 00
    assert_eq!(send(&mut c, "90C00000 00"), hex("6884")); // only EXCHANGE chains
    assert_eq!(send(&mut c, "10A40400 07 F04F4341534801 00"), hex("6E00"));
    assert_eq!(send(&mut c, "80100200 00"), hex("6A86")); // P1 neither start nor continuation
    assert_eq!(send(&mut c, "80100005 00"), hex("6A86")); // a start with a sequence number
    assert_eq!(send(&mut c, "00C00100 00"), hex("6A86"));
    assert!(c.is_selected());
}

#[test]
fn handler_errors_become_status_words_and_typed_reader_errors() {
    let cases = [
        (FrameError::Rejected { code: 0x42 }, 0x9A42, NfcError::Rejected { code: 0x42 }),
        (FrameError::OutOfOrder, 0x6985, NfcError::Card { status: StatusWord::OUT_OF_ORDER }),
        (FrameError::Malformed, 0x6A80, NfcError::Card { status: StatusWord::WRONG_DATA }),
        (FrameError::Internal, 0x6F00, NfcError::Card { status: StatusWord::INTERNAL }),
    ];
    for (error, status, reader_error) in cases {
        let mut c = card(CardConfig::short());
        let _ = select_card(&mut c);
        c.handler_mut().fail = Some(error);
        assert_eq!(sw(&send(&mut c, "80100000 01 AA 00")), status);
        // Through a reader: the error is typed and the reader may go on.
        let mut reader = ReaderSession::new(ReaderConfig::short()).unwrap();
        let select = reader.select();
        assert!(matches!(reader.handle_response(&c.process_apdu(&select)), Ok(ReaderEvent::Selected(_))));
        let apdu = reader.send_frame(b"pay").unwrap();
        assert_eq!(reader.handle_response(&c.process_apdu(&apdu)), Err(reader_error));
        assert!(reader.is_ready());
        c.handler_mut().fail = None;
        let apdu = reader.send_frame(b"again").unwrap();
        assert_eq!(reader.handle_response(&c.process_apdu(&apdu)), Ok(ReaderEvent::Frame(b"again".to_vec())));
    }
}

#[test]
fn reader_refuses_misuse_and_cards_that_break_the_rules() {
    let mut reader = ReaderSession::new(ReaderConfig::short()).unwrap();
    assert!(matches!(reader.send_frame(b"x"), Err(NfcError::Misuse { .. })));
    assert!(matches!(reader.handle_response(&hex("9000")), Err(NfcError::Misuse { .. })));
    assert!(matches!(ReaderSession::new(ReaderConfig::new(false, 12)), Err(NfcError::InvalidConfig { .. })));

    let caps = card(CardConfig::short()).capabilities().to_bytes();
    let selected = |reader: &mut ReaderSession| {
        let _ = reader.select();
        assert!(matches!(
            reader.handle_response(&[caps.clone(), vec![0x90, 0]].concat()),
            Ok(ReaderEvent::Selected(_))
        ));
    };
    // SELECT refused: the reader is not selected.
    let _ = reader.select();
    assert_eq!(reader.handle_response(&hex("6A82")), Err(NfcError::Card { status: StatusWord::NOT_FOUND }));
    assert!(reader.link().is_none());
    // Another binding version.
    let _ = reader.select();
    let mut v2 = caps.clone();
    v2[2] = 2;
    v2.extend([0x90, 0]);
    assert_eq!(reader.handle_response(&v2), Err(NfcError::UnsupportedVersion { version: 2, supported: 1 }));
    // A response shorter than a status word.
    selected(&mut reader);
    let _ = reader.send_frame(b"x").unwrap();
    assert!(matches!(reader.handle_response(&[0x90]), Err(NfcError::MalformedResponse(_))));
    assert!(!reader.is_ready());
    // 61xx with no data would loop forever: refused.
    selected(&mut reader);
    let _ = reader.send_frame(b"x").unwrap();
    assert!(matches!(reader.handle_response(&hex("6100")), Err(NfcError::Violation { .. })));
    // Data in the answer to a chained command.
    selected(&mut reader);
    let _ = reader.send_frame(&[0; 300]).unwrap();
    assert!(matches!(reader.handle_response(&hex("AA 9000")), Err(NfcError::Violation { .. })));
    // More data than Ne.
    selected(&mut reader);
    let _ = reader.send_frame(b"x").unwrap();
    let too_much = [vec![0; 257], vec![0x90, 0]].concat();
    assert!(matches!(reader.handle_response(&too_much), Err(NfcError::Violation { .. })));
    // A response frame larger than the reader accepts.
    let mut small = ReaderSession::new(ReaderConfig { max_frame_size: 300, ..ReaderConfig::short() }).unwrap();
    selected(&mut small);
    let _ = small.send_frame(b"x").unwrap();
    assert!(matches!(small.handle_response(&[vec![0; 256], vec![0x61, 0]].concat()), Ok(ReaderEvent::Transmit(_))));
    assert_eq!(
        small.handle_response(&[vec![0; 45], vec![0x90, 0]].concat()),
        Err(NfcError::FrameTooLarge { len: 301, limit: 300 })
    );
}

#[test]
fn deactivation_tells_the_handler_once_and_deselects() {
    let mut c = card(CardConfig::short());
    c.deactivate(Deactivation::LinkLost); // not selected: nothing to tell
    let _ = select_card(&mut c);
    c.deactivate(Deactivation::Deselected);
    c.deactivate(Deactivation::LinkLost);
    assert_eq!(c.handler().deactivations, vec![Deactivation::Deselected]);
    assert_eq!(send(&mut c, "80100000 01 AA 00"), hex("6985"));
}

#[test]
fn card_config_is_normalised_to_what_its_apdu_form_can_carry() {
    let c = card(CardConfig { max_command_data: 1000, max_response_data: 0, ..CardConfig::short() });
    assert_eq!((c.capabilities().max_command_data, c.capabilities().max_response_data), (255, 1));
}

const DOCUMENTED: [u16; 10] = [0x9000, 0x6700, 0x6884, 0x6985, 0x6A80, 0x6A82, 0x6A84, 0x6A86, 0x6D00, 0x6E00];

fn apdu_strategy() -> impl Strategy<Value = Vec<u8>> {
    let header = prop_oneof![
        Just(vec![0x00, 0xA4, 0x04, 0x00]),
        Just(vec![0x00, 0xC0, 0x00, 0x00]),
        Just(vec![0x80, 0x10, 0x00, 0x00]),
        Just(vec![0x80, 0x10, 0x01, 0x01]),
        Just(vec![0x90, 0x10, 0x00, 0x00]),
        Just(vec![0x90, 0x10, 0x01, 0x01]),
        prop::collection::vec(any::<u8>(), 0..=4),
    ];
    (header, prop::collection::vec(any::<u8>(), 0..300)).prop_map(|(h, body)| [h, body].concat())
}

proptest! {
    #[test]
    fn card_answers_every_apdu_sequence_with_a_documented_status_word(
        apdus in prop::collection::vec(prop_oneof![apdu_strategy(), Just(select_apdu())], 1..12),
        extended in any::<bool>(),
    ) {
        let config = if extended { CardConfig::extended() } else { CardConfig::short() };
        let mut c = CardSession::new(config, Echo::default());
        for apdu in apdus {
            let r = c.process_apdu(&apdu);
            prop_assert!(r.len() >= 2 && r.len() <= 65_535 + 2);
            let status = sw(&r);
            prop_assert!(DOCUMENTED.contains(&status) || status >> 8 == 0x61, "{:04X}", status);
        }
    }

    #[test]
    fn reader_survives_any_response_in_any_state(
        responses in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..8),
        frame_len in 0usize..600,
    ) {
        let caps = card(CardConfig::short()).capabilities().to_bytes();
        for state in 0..3 {
            let mut reader = ReaderSession::new(ReaderConfig::short()).unwrap();
            let _ = reader.select();
            if state > 0 {
                assert!(matches!(reader.handle_response(&[caps.clone(), vec![0x90, 0]].concat()), Ok(ReaderEvent::Selected(_))));
            }
            if state > 1 {
                let _ = reader.send_frame(&pattern(frame_len, 0)).unwrap();
            }
            for r in &responses {
                let _ = reader.handle_response(r);
            }
        }
    }
}
