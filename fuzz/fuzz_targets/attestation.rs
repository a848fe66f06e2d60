//! The key attestation verifiers (issuer::attestation) on bytes from a registering phone.
//! First byte picks the input: 0 an Android chain (frames, leaf first) through
//! `verify_android`; 1 an App Attest object through `verify_app_attest_client_data`; 2 a
//! KeyDescription; 3 a status list file; 4 one certificate and one CBOR value. The pinned
//! roots are used and the instant lies inside the seed chains' windows, so the seeds (real
//! device chains) pass every signature and reach the KeyDescription and nonce checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offline_cash_fuzz::frames;
use offline_cash_issuer::attestation::{
    AndroidEvidence, AppAttestEvidence, Expected, KeyDescription, StatusList, TrustAnchors, cbor, verify_android,
    verify_app_attest_client_data, x509,
};

/// 2026-02-25, inside the Pixel 9a seed chains' windows.
const ANDROID_NOW: u64 = 1_771_977_600;
/// 2021-01-23T12:13:33Z, inside the iOS 14.4 seed's window.
const APPLE_NOW: u64 = 1_611_404_013;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else { return };
    let anchors = TrustAnchors::pinned().expect("pinned roots parse");
    match kind % 5 {
        0 => {
            let chain: Vec<Vec<u8>> = frames(bytes).into_iter().map(<[u8]>::to_vec).collect();
            let key = chain.first().and_then(|c| x509::Certificate::parse(c).ok()).map(|c| c.public_key.to_vec());
            let key = key.unwrap_or_default();
            // The tegu StrongBox seed's challenge.
            let challenge = b"90578e1d-f5bf-4ccf-a27f-a4f4d89ee21f";
            let expected = Expected::new(challenge, &key, ANDROID_NOW);
            let _ = verify_android(&AndroidEvidence { chain }, &expected, &anchors, &StatusList::empty());
        }
        1 => {
            let (key_id, object) = bytes.split_at(bytes.len().min(32));
            let evidence = AppAttestEvidence { attestation_object: object.to_vec(), key_id: key_id.to_vec() };
            let _ = verify_app_attest_client_data(&evidence, &[0; 32], &[], APPLE_NOW, &anchors);
        }
        2 => {
            let _ = KeyDescription::parse(bytes);
        }
        3 => {
            if let Ok(list) = StatusList::from_json(bytes) {
                let _ = list.is_refused("f92009e853b6b045");
            }
        }
        _ => {
            if let Ok(c) = x509::Certificate::parse(bytes) {
                let _ = c.serial_hex();
            }
            let _ = cbor::decode(bytes);
        }
    }
});
