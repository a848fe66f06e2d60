//! The worked examples in docs/nfc-binding.md are produced by the code: this test drives a
//! reader and a card, writes the transcript and compares it with the blocks in the document.
//! Run with `NFC_UPDATE_DOC=1` to rewrite the blocks after a deliberate change.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod nfc_support;

use std::fmt::Write as _;
use std::path::PathBuf;

use nfc_support::{Echo, card};
use offline_cash_core::nfc::{
    CardConfig, CardSession, CommandApdu, ReaderConfig, ReaderEvent, ReaderSession, ResponseApdu,
};

fn hex_spaced(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(" ")
}

fn ne_text(ne: usize) -> String {
    match ne {
        0 => "no Le".to_owned(),
        256 => "Le 00 (256)".to_owned(),
        65_536 => "Le 0000 (65536)".to_owned(),
        n => format!("Le {n}"),
    }
}

fn describe_command(bytes: &[u8]) -> String {
    let apdu = CommandApdu::parse(bytes).unwrap();
    let h = apdu.header();
    match (h.cla, h.ins) {
        (0x00, 0xA4) => format!("SELECT by AID, {}", ne_text(apdu.ne())),
        (0x00, 0xC0) => format!("GET RESPONSE, {}", ne_text(apdu.ne())),
        (cla, 0x10) => {
            let part = if h.p1 == 0 { "start".to_owned() } else { format!("continuation, seq {}", h.p2) };
            let more = if cla == 0x90 { "more follows (CLA 90)" } else { "last part (CLA 80)" };
            format!("EXCHANGE {part}, {} data bytes, {more}, {}", apdu.data().len(), ne_text(apdu.ne()))
        }
        _ => "?".to_owned(),
    }
}

fn describe_response(bytes: &[u8]) -> String {
    let r = ResponseApdu::parse(bytes).unwrap();
    let sw = r.status;
    let what = match sw.more_data_available() {
        Some(xx) => format!("{:04X}: {xx} more bytes waiting", sw.0),
        None => format!("{:04X}: {}", sw.0, sw.meaning()),
    };
    format!("{} data bytes, {what}", r.data.len())
}

/// SELECT then one exchange of `frame`, the card answering `reply`.
fn transcript(card_config: CardConfig, frame: &[u8], reply: &[u8]) -> String {
    let mut card: CardSession<Echo> = card(card_config);
    card.handler_mut().reply = Some(reply.to_vec());
    let mut reader = ReaderSession::new(ReaderConfig::short()).unwrap();
    let mut out = String::new();
    let mut apdu = reader.select();
    loop {
        let response = card.process_apdu(&apdu);
        writeln!(out, "> {}\n    {}", hex_spaced(&apdu), describe_command(&apdu)).unwrap();
        writeln!(out, "< {}\n    {}", hex_spaced(&response), describe_response(&response)).unwrap();
        match reader.handle_response(&response).unwrap() {
            ReaderEvent::Transmit(next) => apdu = next,
            ReaderEvent::Selected(_) => apdu = reader.send_frame(frame).unwrap(),
            ReaderEvent::Frame(received) => {
                assert_eq!(received, reply);
                return out;
            }
        }
    }
}

fn examples() -> Vec<(&'static str, String)> {
    vec![
        ("example-short", transcript(CardConfig::short(), b"PING", b"PONG")),
        (
            "example-chained",
            transcript(
                CardConfig { max_command_data: 8, max_response_data: 8, ..CardConfig::short() },
                b"hello, card: 0123",
                b"hello, reader: 01234",
            ),
        ),
    ]
}

#[test]
fn worked_examples_in_the_binding_document_match_the_code() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/nfc-binding.md");
    let mut doc = std::fs::read_to_string(&path).unwrap();
    let update = std::env::var_os("NFC_UPDATE_DOC").is_some();
    for (name, text) in examples() {
        let begin = format!("<!-- generated:{name} -->\n");
        let end = format!("<!-- /generated:{name} -->");
        let start = doc.find(&begin).unwrap_or_else(|| panic!("marker {begin:?} missing")) + begin.len();
        let stop = start + doc[start..].find(&end).unwrap_or_else(|| panic!("marker {end:?} missing"));
        let block = format!("```text\n{text}```\n");
        if update {
            doc.replace_range(start..stop, &block);
        } else {
            assert_eq!(doc[start..stop], block, "docs/nfc-binding.md {name} is stale: run with NFC_UPDATE_DOC=1");
        }
    }
    if update {
        std::fs::write(&path, doc).unwrap();
    }
}
