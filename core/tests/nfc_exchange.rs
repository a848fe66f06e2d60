//! Frames through the simulated field: round trips of every size in every mode, the link
//! model against a hand computation, and tears at every byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod nfc_support;

use std::time::Duration;

use nfc_support::{Echo, card, field, pattern};
use offline_cash_core::nfc::{
    CardConfig, Deactivation, Field, FieldConfig, FieldError, FieldStats, ReaderConfig, ReaderEvent, ReaderSession,
};
use proptest::prelude::*;

const SIZES: [usize; 7] = [0, 1, 254, 255, 256, 1000, 10_000];

fn modes() -> [(&'static str, CardConfig, ReaderConfig); 5] {
    [
        ("short", CardConfig::short(), ReaderConfig::short()),
        ("extended", CardConfig::extended(), ReaderConfig::extended()),
        // Either side lacking extended length falls back to short APDUs.
        ("extended card, short reader", CardConfig::extended(), ReaderConfig::short()),
        ("short card, extended reader", CardConfig::short(), ReaderConfig::extended()),
        // An extended link on a stack that transmits at most 300-byte commands.
        ("extended, 300-byte transceive", CardConfig::extended(), ReaderConfig::new(true, 300)),
    ]
}

#[test]
fn frames_of_every_size_round_trip_in_every_mode_both_ways() {
    for (mode, card_config, reader_config) in modes() {
        let mut f = field(card_config, reader_config);
        let caps = f.select().unwrap();
        assert_eq!(caps.extended_length, card_config.extended_length);
        let extended = f.reader().link().unwrap().extended_length;
        assert_eq!(extended, card_config.extended_length && reader_config.extended_length_supported, "{mode}");
        for (i, &size) in SIZES.iter().enumerate() {
            let frame = pattern(size, i as u8);
            // Reader → card and card → reader with the same size (echo).
            assert_eq!(f.exchange(&frame).unwrap(), frame, "{mode}: echo of {size}");
            // Only reader → card: the card answers an empty frame.
            f.card_mut().handler_mut().reply = Some(Vec::new());
            assert_eq!(f.exchange(&frame).unwrap(), Vec::<u8>::new(), "{mode}: {size} up");
            // Only card → reader: an empty poll answered by `size` bytes.
            f.card_mut().handler_mut().reply = Some(frame.clone());
            assert_eq!(f.exchange(&[]).unwrap(), frame, "{mode}: {size} down");
            f.card_mut().handler_mut().reply = None;
        }
        // The card's handler saw every frame whole, never a part.
        let seen = &f.card().handler().frames;
        assert_eq!(seen.len(), SIZES.len() * 3);
        for (i, &size) in SIZES.iter().enumerate() {
            assert_eq!(seen[3 * i], pattern(size, i as u8));
            assert_eq!(seen[3 * i + 2], Vec::<u8>::new());
        }
    }
}

#[test]
fn every_command_apdu_fits_the_reader_stack_and_the_card_limits() {
    // A stack that takes 100-byte commands, a card that takes 60 bytes and sends 40 per APDU.
    let card_config = CardConfig { max_command_data: 60, max_response_data: 40, ..CardConfig::short() };
    let reader_config = ReaderConfig::new(false, 100);
    let mut reader = ReaderSession::new(reader_config).unwrap();
    let mut card = card(card_config);
    let frame = pattern(500, 3);
    let mut apdu = reader.select();
    let mut apdus = 0;
    let mut answer = None;
    for step in 0.. {
        assert!(step < 100, "no progress");
        assert!(apdu.len() <= 100, "command of {} bytes", apdu.len());
        let response = card.process_apdu(&apdu);
        assert!(response.len() <= 40 + 2);
        apdus += 1;
        match reader.handle_response(&response).unwrap() {
            ReaderEvent::Transmit(next) => apdu = next,
            ReaderEvent::Selected(_) => apdu = reader.send_frame(&frame).unwrap(),
            ReaderEvent::Frame(f) => {
                answer = Some(f);
                break;
            }
        }
    }
    assert_eq!(answer.unwrap(), frame);
    // SELECT, ceil(500/60) = 9 EXCHANGE, then ceil(500/40) - 1 = 12 GET RESPONSE.
    assert_eq!(apdus, 1 + 9 + 12);
}

#[test]
fn field_reports_what_a_hand_computation_gives_in_short_mode() {
    let mut f = field(CardConfig::short(), ReaderConfig::short());
    f.select().unwrap();
    assert_eq!(f.exchange(&pattern(300, 0)).unwrap(), pattern(300, 0));
    // SELECT:             13 bytes up (00A4040007 AID 00),     22 down (20 capability bytes + 9000)
    // EXCHANGE 90, 255 B: 5 + 255 = 260 up,                     2 down (9000)
    // EXCHANGE 80, 45 B:  6 + 45 = 51 up (Le 00),             258 down (256 bytes + 612C)
    // GET RESPONSE:        5 up (00C0000000),                  46 down (44 bytes + 9000)
    let stats = f.stats();
    let up = 13 + 260 + 51 + 5;
    let down = 22 + 2 + 258 + 46;
    assert_eq!((stats.apdus, stats.bytes_to_card, stats.bytes_to_reader), (4, up, down));
    // 657 bytes × 8 = 5256 bits at 424 kbit/s = 12.396226… ms, plus 4 × 8 ms.
    assert_eq!(up + down, 657);
    assert_eq!(stats.link_time, Duration::from_nanos(12_396_226) + Duration::from_millis(32));
}

#[test]
fn field_reports_what_a_hand_computation_gives_in_extended_mode() {
    let config = FieldConfig {
        bit_rate: 848_000,
        round_trip: Duration::from_millis(10),
        reader: ReaderConfig::extended(),
        tear_at_byte: None,
    };
    let mut f = Field::new(config, card(CardConfig::extended())).unwrap();
    f.select().unwrap();
    assert_eq!(f.exchange(&pattern(1000, 1)).unwrap(), pattern(1000, 1));
    // SELECT 13 up / 22 down; one EXCHANGE 80100000 0003E8 [1000] FFFF = 1009 up, 1002 down.
    let stats = f.stats();
    assert_eq!(
        stats,
        FieldStats {
            apdus: 2,
            bytes_to_card: 13 + 1009,
            bytes_to_reader: 22 + 1002,
            // 2046 × 8 = 16368 bits at 848 kbit/s = 19.301886… ms, plus 2 × 10 ms.
            link_time: Duration::from_nanos(19_301_886) + Duration::from_millis(20),
        }
    );
}

/// Runs SELECT + one exchange of `frame` and returns the bytes that crossed.
fn clean_run(card_config: CardConfig, reader_config: ReaderConfig, frame: &[u8]) -> u64 {
    let mut f = field(card_config, reader_config);
    f.select().unwrap();
    assert_eq!(f.exchange(frame).unwrap(), frame);
    f.stats().bytes_total()
}

fn tear_everywhere(card_config: CardConfig, reader_config: ReaderConfig, frame_len: usize) {
    let frame = pattern(frame_len, 9);
    let total = clean_run(card_config, reader_config, &frame);
    for n in 0..total {
        let config = FieldConfig { reader: reader_config, tear_at_byte: Some(n), ..FieldConfig::default() };
        let mut f = Field::new(config, card(card_config)).unwrap();
        let torn = f.select().and_then(|_| f.exchange(&frame));
        assert_eq!(torn, Err(FieldError::Torn { at_byte: n }), "tear at {n}");
        assert_eq!(f.stats().bytes_total(), n);
        // Both sides know the link is gone.
        assert!(f.is_torn());
        assert!(!f.card().is_selected(), "tear at {n}");
        assert!(!f.reader().is_ready() && f.reader().link().is_none(), "tear at {n}");
        // Nothing crosses a torn field.
        assert!(matches!(f.transceive(&[0, 0xA4, 4, 0]), Err(FieldError::Torn { .. })));
        let handled_before = f.card().handler().frames.len();
        let deactivations = f.card().handler().deactivations.clone();
        // The card only reports a lost link if a session had started.
        assert!(deactivations.is_empty() || deactivations == vec![Deactivation::LinkLost], "tear at {n}");
        // Tap again: a fresh SELECT and the same frame go through.
        f.retap(None);
        f.select().unwrap();
        assert_eq!(f.exchange(&frame).unwrap(), frame, "retry after tear at {n}");
        // The handler only ever saw the whole frame: never a part, at most once per tap.
        let frames = &f.card().handler().frames;
        assert!(handled_before <= 1);
        assert_eq!(frames.len(), handled_before + 1);
        assert!(frames.iter().all(|seen| *seen == frame), "tear at {n}");
    }
    // A threshold at or past the end never tears.
    let config = FieldConfig { reader: reader_config, tear_at_byte: Some(total), ..FieldConfig::default() };
    let mut f = Field::new(config, card(card_config)).unwrap();
    f.select().unwrap();
    assert_eq!(f.exchange(&frame).unwrap(), frame);
}

#[test]
fn a_tear_at_every_byte_of_a_chained_short_exchange_leaves_both_sides_able_to_start_over() {
    // 600 bytes: SELECT, 3 chained EXCHANGE, 2 GET RESPONSE (~1500 bytes on the air).
    tear_everywhere(CardConfig::short(), ReaderConfig::short(), 600);
}

#[test]
fn a_tear_at_every_byte_of_a_chained_extended_exchange_leaves_both_sides_able_to_start_over() {
    let card_config = CardConfig { max_command_data: 1000, max_response_data: 700, ..CardConfig::extended() };
    tear_everywhere(card_config, ReaderConfig::extended(), 2500);
}

#[test]
fn a_tear_during_the_response_loses_it_but_the_card_already_handled_the_frame() {
    let frame = pattern(10, 0);
    // SELECT costs 35 bytes; the exchange command is 6 + 10 = 16 bytes; its answer 12.
    let config = FieldConfig { tear_at_byte: Some(35 + 16 + 5), ..FieldConfig::default() };
    let mut f: Field<Echo> = Field::new(config, card(CardConfig::short())).unwrap();
    f.select().unwrap();
    assert_eq!(f.exchange(&frame), Err(FieldError::Torn { at_byte: 56 }));
    assert_eq!(f.card().handler().frames, vec![frame]);
    assert_eq!(f.card().handler().deactivations, vec![Deactivation::LinkLost]);
    assert_eq!(f.stats().bytes_to_reader, 22 + 5);
}

#[test]
fn a_card_that_sends_a_few_bytes_per_apdu_is_still_selected_and_served() {
    let card_config = CardConfig { max_command_data: 3, max_response_data: 4, ..CardConfig::short() };
    let mut f = field(card_config, ReaderConfig::short());
    let caps = f.select().unwrap();
    assert_eq!((caps.max_command_data, caps.max_response_data), (3, 4));
    // The 20-byte SELECT answer took 1 SELECT + 4 GET RESPONSE.
    assert_eq!(f.stats().apdus, 5);
    assert_eq!(f.exchange(&pattern(50, 2)).unwrap(), pattern(50, 2));
    // 17 chained EXCHANGE (50 / 3), 12 GET RESPONSE (50 / 4 - 1).
    assert_eq!(f.stats().apdus, 5 + 17 + 12);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_limits_on_either_side_still_carry_any_frame_both_ways(
        extended_card in any::<bool>(),
        max_command_data in 1u16..=600,
        max_response_data in 1u16..=600,
        extended_reader in any::<bool>(),
        max_transceive_length in 13usize..=700,
        up in 0usize..3000,
        down in 0usize..3000,
    ) {
        let card_config = CardConfig {
            extended_length: extended_card,
            max_command_data,
            max_response_data,
            ..CardConfig::short()
        };
        let mut f = field(card_config, ReaderConfig::new(extended_reader, max_transceive_length));
        f.select().unwrap();
        f.card_mut().handler_mut().reply = Some(pattern(down, 2));
        // The field refuses any command longer than the stack's limit, so success proves the
        // sizing too.
        prop_assert_eq!(f.exchange(&pattern(up, 1)).unwrap(), pattern(down, 2));
        prop_assert_eq!(&f.card().handler().frames, &vec![pattern(up, 1)]);
    }
}

#[test]
fn link_negotiation_follows_the_documented_formulas() {
    use offline_cash_core::nfc::LinkParams;
    let link = |card_config: CardConfig, reader_config: ReaderConfig| {
        let mut f = field(card_config, reader_config);
        f.select().unwrap();
        f.reader().link().unwrap()
    };
    let two_mib = 2 * 1024 * 1024;
    let cases = [
        (CardConfig::short(), ReaderConfig::short(), (false, 255, 256)),
        (CardConfig::extended(), ReaderConfig::extended(), (true, 65_535, 65_535)),
        (CardConfig::extended(), ReaderConfig::short(), (false, 255, 256)),
        (CardConfig::short(), ReaderConfig::extended(), (false, 255, 256)),
        // Android devices that report a 253-byte transceive limit.
        (CardConfig::short(), ReaderConfig::new(false, 253), (false, 247, 256)),
        (CardConfig::extended(), ReaderConfig::new(true, 300), (true, 291, 65_535)),
        (
            CardConfig { max_command_data: 100, max_response_data: 50, ..CardConfig::short() },
            ReaderConfig::short(),
            (false, 100, 50),
        ),
    ];
    for (card_config, reader_config, (extended_length, max_command_data, max_response_data)) in cases {
        let expected = LinkParams { extended_length, max_command_data, max_response_data, max_frame_size: two_mib };
        assert_eq!(link(card_config, reader_config), expected, "{card_config:?} / {reader_config:?}");
    }
    let short = link(CardConfig::short(), ReaderConfig::short());
    assert_eq!([0, 1, 255, 256, 600].map(|n| short.command_apdus(n)), [1, 1, 1, 2, 3]);
}
