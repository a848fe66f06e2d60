//! Every signed object's decoder, and the wrapped key: `from_bytes` (certificate, note, link,
//! policy, revocation list, issuer key, protocol frames, payment, receipt) and `WrappedSecretKey::decode`.
//! First byte picks the decoder; a decoded object must re-encode to the same bytes
//! (canonical encoding: no two encodings of one object) and its issuer check must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offline_cash_core::crypto::WrappedSecretKey;
use offline_cash_core::protocol::{Frame, Payment, Receipt};
use offline_cash_core::token::{IssuerKey, Note, Policy, RevocationList, SpendLink, WalletCertificate};
use offline_cash_fuzz::issuer;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else { return };
    let trust = issuer().expect("fixture").trust();
    let reencoded = match kind % 10 {
        0 => WalletCertificate::from_bytes(bytes).ok().map(|c| {
            let _ = c.verify_issuer(&trust);
            let _ = c.check_valid_at(offline_cash_fuzz::NOW);
            c.to_bytes()
        }),
        1 => Note::from_bytes(bytes).ok().map(|n| {
            let _ = n.verify_issuer(&trust);
            n.to_bytes()
        }),
        2 => SpendLink::from_bytes(bytes).ok().map(|l| {
            let _ = l.id();
            l.to_bytes()
        }),
        3 => Policy::from_bytes(bytes).ok().map(|p| {
            let _ = p.verify_issuer(&trust);
            p.to_bytes()
        }),
        4 => RevocationList::from_bytes(bytes).ok().map(|r| {
            let _ = r.verify_issuer(&trust);
            r.to_bytes()
        }),
        5 => IssuerKey::from_bytes(bytes).ok().map(|k| k.to_bytes()),
        6 => WrappedSecretKey::decode(bytes).ok().map(|w| w.encode()),
        7 => Frame::decode(bytes).ok().map(|f| f.encode()),
        8 => Payment::from_bytes(bytes).ok().map(|p| p.to_bytes()),
        _ => Receipt::from_bytes(bytes).ok().map(|r| r.to_bytes()),
    };
    if let Some(again) = reencoded {
        assert_eq!(again, bytes, "a decoded object re-encodes to the same bytes");
    }
});
