//! APDU and capability codecs: the ISO cases, strict rejection, round trips, no panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod nfc_support;

use nfc_support::hex;
use offline_cash_core::nfc::{
    ApduError, CapabilitiesError, CardCapabilities, CommandApdu, Header, ResponseApdu, StatusWord,
};
use proptest::prelude::*;

fn parse(s: &str) -> Result<CommandApdu, ApduError> {
    CommandApdu::parse(&hex(s))
}

#[test]
fn the_seven_iso_cases_parse_and_re_encode_byte_for_byte() {
    // (bytes, Nc, Ne, extended)
    let cases = [
        ("80100000", 0, 0, false),                      // case 1
        ("80100000 00", 0, 256, false),                 // case 2S, Le 00 = 256
        ("80100000 10", 0, 16, false),                  // case 2S
        ("80100000 02 AABB", 2, 0, false),              // case 3S
        ("80100000 02 AABB 00", 2, 256, false),         // case 4S
        ("80100000 000000", 0, 65_536, true),           // case 2E, Le 0000 = 65536
        ("80100000 000102", 0, 258, true),              // case 2E
        ("80100000 000002 AABB", 2, 0, true),           // case 3E
        ("80100000 000002 AABB 0000", 2, 65_536, true), // case 4E
        ("80100000 000002 AABB 0101", 2, 257, true),    // case 4E
    ];
    for (bytes, nc, ne, extended) in cases {
        let apdu = parse(bytes).unwrap_or_else(|e| panic!("{bytes}: {e}"));
        assert_eq!(apdu.header(), Header { cla: 0x80, ins: 0x10, p1: 0, p2: 0 });
        assert_eq!(apdu.data().len(), nc, "{bytes}");
        assert_eq!(apdu.ne(), ne, "{bytes}");
        assert_eq!(apdu.is_extended(), extended, "{bytes}");
        assert_eq!(apdu.to_bytes(), hex(bytes), "{bytes}");
    }
}

#[test]
fn malformed_length_fields_are_typed_errors() {
    assert_eq!(parse(""), Err(ApduError::TooShort { len: 0, min: 4 }));
    assert_eq!(parse("801000"), Err(ApduError::TooShort { len: 3, min: 4 }));
    // Lc announces 5 bytes, 2 are there.
    assert_eq!(parse("80100000 05 AABB"), Err(ApduError::Truncated { expected: 10, actual: 7 }));
    // Lc 2, data 2, then two bytes where at most one Le fits.
    assert_eq!(parse("80100000 02 AABB 0000"), Err(ApduError::TrailingBytes { expected: 8, actual: 9 }));
    // Six bytes whose fifth is 00: no ISO case.
    assert_eq!(parse("80100000 00 01"), Err(ApduError::InvalidLength { offset: 4 }));
    // Extended Lc of 0000 followed by bytes.
    assert_eq!(parse("80100000 000000 AA"), Err(ApduError::InvalidLength { offset: 5 }));
    // Extended Lc 3, 2 data bytes.
    assert_eq!(parse("80100000 000003 AABB"), Err(ApduError::Truncated { expected: 10, actual: 9 }));
    // Extended case 4 with a one-byte Le.
    assert_eq!(parse("80100000 000002 AABB 00"), Err(ApduError::Truncated { expected: 11, actual: 10 }));
    assert_eq!(parse("80100000 000002 AABB 000000"), Err(ApduError::TrailingBytes { expected: 11, actual: 12 }));
}

#[test]
fn new_picks_the_shortest_form_and_refuses_what_no_form_carries() {
    let h = Header { cla: 0x80, ins: 0x10, p1: 0, p2: 0 };
    assert!(!CommandApdu::new(h, vec![1; 255], 256).unwrap().is_extended());
    assert!(CommandApdu::new(h, vec![1; 256], 0).unwrap().is_extended());
    assert!(CommandApdu::new(h, vec![], 257).unwrap().is_extended());
    assert_eq!(CommandApdu::new(h, vec![1; 255], 256).unwrap().to_bytes().len(), 261);
    assert!(matches!(CommandApdu::new(h, vec![0; 65_536], 0), Err(ApduError::TooLarge { .. })));
    assert!(matches!(CommandApdu::new(h, vec![], 65_537), Err(ApduError::TooLarge { .. })));
}

#[test]
fn response_apdus_split_data_and_status() {
    let r = ResponseApdu::parse(&hex("AABB 6102")).unwrap();
    assert_eq!(r.data, vec![0xAA, 0xBB]);
    assert_eq!(r.status.more_data_available(), Some(2));
    assert_eq!(r.to_bytes(), hex("AABB 6102"));
    assert_eq!(ResponseApdu::parse(&hex("9A07")).unwrap().status.rejection_code(), Some(7));
    assert_eq!(ResponseApdu::parse(&[0x90]), Err(ApduError::TooShort { len: 1, min: 2 }));
    assert_eq!(StatusWord::more_data(300), StatusWord(0x6100));
    assert_eq!(StatusWord::more_data(44), StatusWord(0x612C));
    assert_eq!(StatusWord::NOT_FOUND.to_string(), "6A82 (application (AID) not found)");
}

fn caps() -> CardCapabilities {
    CardCapabilities {
        version: 1,
        max_command_data: 255,
        max_response_data: 256,
        extended_length: false,
        max_frame_size: 0x0020_0000,
        features: 0,
    }
}

#[test]
fn capabilities_encode_as_documented_and_round_trip() {
    let bytes = caps().to_bytes();
    assert_eq!(bytes, hex("800101 810200FF 82020100 830100 840400200000"));
    assert_eq!(CardCapabilities::parse(&bytes), Ok(caps()));
}

#[test]
fn capabilities_carry_features_only_when_there_are_some() {
    let with = CardCapabilities { features: 0x01, ..caps() };
    let bytes = with.to_bytes();
    assert_eq!(bytes, hex("800101 810200FF 82020100 830100 840400200000 850101"));
    assert_eq!(CardCapabilities::parse(&bytes), Ok(with));
    // A card of before tag 85 is a card without features.
    assert_eq!(CardCapabilities::parse(&hex("800101 810200FF 82020100 830100 840400200000")).unwrap().features, 0);
    assert_eq!(
        CardCapabilities::parse(&hex("800101 810200FF 82020100 830100 840400200000 85020101")),
        Err(CapabilitiesError::WrongLength { tag: 0x85, len: 2, expected: 1 })
    );
}

#[test]
fn capabilities_tolerate_unknown_tags_and_any_order_but_nothing_else() {
    let reordered = hex("840400200000 830100 C00300FFEE 82020100 810200FF 800101");
    assert_eq!(CardCapabilities::parse(&reordered), Ok(caps()));
    let cases: [(&str, CapabilitiesError); 7] = [
        ("800101 810200FF 82020100 830100", CapabilitiesError::Missing { tag: 0x84 }),
        ("800101 800101 810200FF 82020100 830100 840400200000", CapabilitiesError::Duplicate { tag: 0x80 }),
        (
            "80020001 810200FF 82020100 830100 840400200000",
            CapabilitiesError::WrongLength { tag: 0x80, len: 2, expected: 1 },
        ),
        ("800101 810200FF 82020100 830100 8404002000", CapabilitiesError::Truncated { offset: 14 }),
        ("800101 810200FF 82020100 830100 840400200000 C0", CapabilitiesError::Truncated { offset: 20 }),
        ("800101 8181", CapabilitiesError::LongLength { offset: 3 }),
        (
            "800101 81020100 82020100 830100 840400200000",
            CapabilitiesError::Inconsistent { reason: "short-only card with more than a short APDU" },
        ),
    ];
    for (bytes, err) in cases {
        assert_eq!(CardCapabilities::parse(&hex(bytes)), Err(err), "{bytes}");
    }
    let zero = hex("800101 81020000 82020100 830100 840400200000");
    assert!(matches!(CardCapabilities::parse(&zero), Err(CapabilitiesError::Inconsistent { .. })));
    // An extended card may advertise more than a short APDU.
    let ext = hex("800101 8102FFFF 8202FFFF 830101 840400200000");
    assert!(CardCapabilities::parse(&ext).unwrap().extended_length);
}

proptest! {
    #[test]
    fn command_parser_never_panics_and_re_encodes_what_it_accepts(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(apdu) = CommandApdu::parse(&bytes) {
            prop_assert_eq!(apdu.to_bytes(), bytes);
        }
    }

    #[test]
    fn command_parser_on_plausible_headers(
        head in prop::collection::vec(any::<u8>(), 4..=4),
        lens in prop::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..4),
        data in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let bytes = [head, lens, data].concat();
        if let Ok(apdu) = CommandApdu::parse(&bytes) {
            prop_assert_eq!(apdu.to_bytes(), bytes);
        }
    }

    #[test]
    fn built_commands_round_trip(
        cla in any::<u8>(), ins in any::<u8>(), p1 in any::<u8>(), p2 in any::<u8>(),
        len in prop_oneof![0usize..300, 65_000usize..=65_535],
        ne in prop_oneof![0usize..=300, 65_000usize..=65_536],
    ) {
        let h = Header { cla, ins, p1, p2 };
        let apdu = CommandApdu::new(h, vec![0x5A; len], ne).unwrap();
        let parsed = CommandApdu::parse(&apdu.to_bytes()).unwrap();
        prop_assert_eq!(parsed.header(), h);
        prop_assert_eq!(parsed.data().len(), len);
        prop_assert_eq!(parsed.ne(), ne);
    }

    #[test]
    fn response_and_capability_parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        if let Ok(r) = ResponseApdu::parse(&bytes) {
            prop_assert_eq!(r.to_bytes(), bytes.clone());
        }
        let _ = CardCapabilities::parse(&bytes);
    }

    #[test]
    fn capabilities_round_trip(nc in 1u16..=255, ne in 1u16..=256, frame in any::<u32>(), ext in any::<bool>(), features in any::<u8>()) {
        let c = CardCapabilities { version: 1, max_command_data: nc, max_response_data: ne, extended_length: ext, max_frame_size: frame, features };
        prop_assert_eq!(CardCapabilities::parse(&c.to_bytes()), Ok(c));
    }
}
