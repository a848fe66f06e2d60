//! A sealed payment's plaintext from an untrusted payer, in the compact form
//! (`core::protocol::compact_payment`, decision 0021): expanding it must never panic nor grow
//! past `MAX_FRAME_BYTES`, and whatever it expands to compacts and expands back to the same
//! bytes, so a payee and a payer always agree on the canonical payment and its hash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offline_cash_core::protocol::compact_payment::{PaymentContext, compress, expand};
use offline_cash_core::protocol::{MAX_FRAME_BYTES, Payment};
use offline_cash_core::token::WalletId;

fuzz_target!(|data: &[u8]| {
    let context = PaymentContext { payee: WalletId([0x11; 32]), nonce: [0x22; 16] };
    if let Ok(canonical) = expand(data, &context) {
        assert!(canonical.len() <= MAX_FRAME_BYTES);
        let again = compress(&canonical, &context).expect("an expanded payment compacts");
        assert_eq!(expand(&again, &context).expect("and expands"), canonical);
        let _ = Payment::from_bytes(&canonical);
    }
    // The other way: bytes taken as a canonical payment.
    if let Ok(compact) = compress(data, &context) {
        assert_eq!(expand(&compact, &context).expect("a compacted payment expands"), data);
    }
});
