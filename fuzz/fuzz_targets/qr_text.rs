//! Scanned text from an untrusted QR code or link into `core::qr`: the input, as text, is tried
//! as a request URI (`offlinecash:R…`, or the compact `offlinecash:C…`), then each line is fed to one part decoder (parts of one message, or of
//! several, in any order); the raw bytes are also tried as a binary part. Nothing may panic;
//! whatever is rebuilt is re-encoded and must rebuild the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offline_cash_core::qr::{Part, PartDecoder, PartEncoder, parse_part, request_frame_from_uri, request_uri};

fuzz_target!(|data: &[u8]| {
    let _ = Part::from_bytes(data);
    let text = String::from_utf8_lossy(data);
    if let Ok(frame) = request_frame_from_uri(&text) {
        let again = request_uri(&frame).expect("a decoded request (full or compact) re-encodes");
        assert_eq!(request_frame_from_uri(&again).expect("round trip"), frame);
    }
    let mut decoder = PartDecoder::new();
    for line in text.lines() {
        let _ = parse_part(line);
        if let Ok(true) = decoder.receive(line) {
            let message = decoder.message().expect("complete").to_vec();
            let encoder = PartEncoder::new(&message, message.len().div_ceil(16)).expect("a rebuilt message re-encodes");
            let mut again = PartDecoder::new();
            let mut seq = 1;
            while !again.receive(&encoder.part_text(seq)).expect("own parts") {
                seq += 1;
            }
            assert_eq!(again.message(), Some(&message[..]));
            break;
        }
    }
});
