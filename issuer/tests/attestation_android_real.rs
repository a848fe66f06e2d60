//! Real Android attestation chains (Pixel devices, published in android/keyattestation's
//! testdata; tests/data/attestation/README.md) against the pinned Google roots, each at an
//! explicit instant inside its chain's validity window — never at the system clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod attestation_builder;

use attestation_builder::{Ca, data, pem_chain};
use base64::Engine;
use offline_cash_core::reason::Reason;
use offline_cash_issuer::attestation::x509::Certificate;
use offline_cash_issuer::attestation::{
    AndroidEvidence, AttestationError, BootState, Expected, SecurityLevel, StatusList, TrustAnchors, verify_android,
};

struct Sample {
    file: &'static str,
    challenge_b64: &'static str,
    /// Inside every certificate's validity.
    now: u64,
    attestation: SecurityLevel,
    keymaster: SecurityLevel,
    /// What the chain proves (the tier).
    level: SecurityLevel,
    package: &'static str,
}

const COM_GOOGLE: &str = "com.google.android.attestation";

const SAMPLES: &[Sample] = &[
    // Pixel 9a (preproduction), KeyMint 300 StrongBox, chained to the 2026 EC root.
    Sample {
        file: "tegu_sdk36_SB_EC_2026_ROOT.pem",
        challenge_b64: "OTA1NzhlMWQtZjViZi00Y2NmLWEyN2YtYTRmNGQ4OWVlMjFm",
        now: 1_771_977_600, // 2026-02-25
        attestation: SecurityLevel::StrongBox,
        keymaster: SecurityLevel::StrongBox,
        level: SecurityLevel::StrongBox,
        package: COM_GOOGLE,
    },
    Sample {
        file: "tegu_sdk36_TEE_EC_2026_ROOT.pem",
        challenge_b64: "NjQxN2Y5MmMtZGFlZi00Y2MxLTg4MjgtNWJiMzkzMzhmZmQ1",
        now: 1_771_977_600,
        attestation: SecurityLevel::TrustedEnvironment,
        keymaster: SecurityLevel::TrustedEnvironment,
        level: SecurityLevel::TrustedEnvironment,
        package: COM_GOOGLE,
    },
    // Pixel 9 Pro, remotely provisioned keys, chained to the RSA root.
    Sample {
        file: "caiman_sdk36_SB_EC_RKP.pem",
        challenge_b64: "N2NjYWMxZWEtNDg0NS00ODJlLTg1OGQtZjZmYTlhYThjMjk1",
        now: 1_759_017_600, // 2025-09-28
        attestation: SecurityLevel::StrongBox,
        keymaster: SecurityLevel::StrongBox,
        level: SecurityLevel::StrongBox,
        package: COM_GOOGLE,
    },
    Sample {
        file: "caiman_sdk36_TEE_EC_RKP.pem",
        challenge_b64: "ZDY4OGQ3NjMtNjExOC00Y2E2LTk0YjItZTZjZDllZDdlNGU0",
        now: 1_759_017_600,
        attestation: SecurityLevel::TrustedEnvironment,
        keymaster: SecurityLevel::TrustedEnvironment,
        level: SecurityLevel::TrustedEnvironment,
        package: COM_GOOGLE,
    },
    // Pixel 8a with an unlocked bootloader (verifiedBootState UNVERIFIED, deviceLocked false):
    // the key is in the TEE, but the OS and the app using it may be anything, so it proves
    // only the Software level.
    Sample {
        file: "akita_sdk34_TEE_EC_NONE.pem",
        challenge_b64: "Y2hhbGxlbmdl",
        now: 1_726_790_400, // 2024-09-20
        attestation: SecurityLevel::TrustedEnvironment,
        keymaster: SecurityLevel::TrustedEnvironment,
        level: SecurityLevel::Software,
        package: "com.google.wireless.android.security.attestationverifier.collector",
    },
];

fn challenge(s: &Sample) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s.challenge_b64).unwrap()
}

fn leaf_key(chain: &[Vec<u8>]) -> Vec<u8> {
    Certificate::parse(&chain[0]).unwrap().public_key.to_vec()
}

#[test]
fn real_chains_yield_the_levels_they_attest() {
    let anchors = TrustAnchors::pinned().unwrap();
    for s in SAMPLES {
        let chain = pem_chain(s.file);
        let key = leaf_key(&chain);
        let challenge = challenge(s);
        let expected = Expected { android_packages: &[s.package], ..Expected::new(&challenge, &key, s.now) };
        let got = verify_android(&AndroidEvidence { chain }, &expected, &anchors, &StatusList::empty())
            .unwrap_or_else(|e| panic!("{}: {e}", s.file));
        assert_eq!(got.attestation_level, s.attestation, "{}", s.file);
        assert_eq!(got.keymaster_level, s.keymaster, "{}", s.file);
        assert_eq!(got.level, s.level, "{}", s.file);
        assert_eq!(got.package(), Some(s.package), "{}", s.file);
        assert!(got.verified_boot.is_some(), "{}", s.file);
    }
}

#[test]
fn the_unlocked_pixel_reports_its_boot_state() {
    let s = &SAMPLES[4];
    let chain = pem_chain(s.file);
    let key = leaf_key(&chain);
    let challenge = challenge(s);
    let got = verify_android(
        &AndroidEvidence { chain },
        &Expected::new(&challenge, &key, s.now),
        &TrustAnchors::pinned().unwrap(),
        &StatusList::empty(),
    )
    .unwrap();
    let boot = got.verified_boot.unwrap();
    assert_eq!(boot.state, BootState::Unverified);
    assert!(!boot.device_locked);
}

#[test]
fn a_real_chain_is_refused_outside_its_validity_window() {
    let s = &SAMPLES[0];
    let chain = pem_chain(s.file);
    let key = leaf_key(&chain);
    let challenge = challenge(s);
    for now in [1_767_225_600 /* 2026-01-01 */, 1_775_001_600 /* 2026-04-01 */] {
        let err = verify_android(
            &AndroidEvidence { chain: chain.clone() },
            &Expected::new(&challenge, &key, now),
            &TrustAnchors::pinned().unwrap(),
            &StatusList::empty(),
        )
        .unwrap_err();
        assert!(matches!(err, AttestationError::OutsideValidity { .. }), "{now}: {err}");
        assert_eq!(Reason::from(&err), Reason::AttestationValidity);
    }
}

#[test]
fn a_real_chain_for_another_challenge_is_a_replay() {
    let s = &SAMPLES[2];
    let chain = pem_chain(s.file);
    let key = leaf_key(&chain);
    // The challenge of another registration (another sample's).
    let other = challenge(&SAMPLES[3]);
    let err = verify_android(
        &AndroidEvidence { chain },
        &Expected::new(&other, &key, s.now),
        &TrustAnchors::pinned().unwrap(),
        &StatusList::empty(),
    )
    .unwrap_err();
    assert_eq!(err, AttestationError::Challenge);
    assert_eq!(Reason::from(err), Reason::AttestationReplayed);
}

#[test]
fn a_real_chain_for_another_wallet_key_is_refused() {
    let s = &SAMPLES[1];
    let chain = pem_chain(s.file);
    let other_key = leaf_key(&pem_chain(SAMPLES[0].file));
    let err = verify_android(
        &AndroidEvidence { chain },
        &Expected::new(&challenge(s), &other_key, s.now),
        &TrustAnchors::pinned().unwrap(),
        &StatusList::empty(),
    )
    .unwrap_err();
    assert_eq!(err, AttestationError::WrongKey);
}

#[test]
fn a_real_chain_is_untrusted_when_only_another_root_is_pinned() {
    let s = &SAMPLES[0];
    let chain = pem_chain(s.file);
    let key = leaf_key(&chain);
    let other = Ca::root("Some Other Root", 1);
    let anchors = TrustAnchors::from_roots(&[&other.cert], &[]).unwrap();
    let err = verify_android(
        &AndroidEvidence { chain },
        &Expected::new(&challenge(s), &key, s.now),
        &anchors,
        &StatusList::empty(),
    )
    .unwrap_err();
    assert_eq!(err, AttestationError::UntrustedRoot);
}

#[test]
fn a_real_chain_without_its_root_still_ends_at_the_pinned_key() {
    // Devices may omit the root: the last certificate is then checked under the pinned key.
    let s = &SAMPLES[3];
    let mut chain = pem_chain(s.file);
    chain.pop();
    let key = leaf_key(&chain);
    let got = verify_android(
        &AndroidEvidence { chain },
        &Expected::new(&challenge(s), &key, s.now),
        &TrustAnchors::pinned().unwrap(),
        &StatusList::empty(),
    )
    .unwrap();
    assert_eq!(got.level, SecurityLevel::TrustedEnvironment);
}

#[test]
fn a_revoked_intermediate_of_a_real_chain_is_refused() {
    let s = &SAMPLES[2];
    let chain = pem_chain(s.file);
    let key = leaf_key(&chain);
    let serial = Certificate::parse(&chain[2]).unwrap().serial_hex();
    let list = format!(r#"{{"entries": {{"{serial}": {{"status": "REVOKED", "reason": "KEY_COMPROMISE"}}}}}}"#);
    let list = StatusList::from_json(list.as_bytes()).unwrap();
    let err = verify_android(
        &AndroidEvidence { chain },
        &Expected::new(&challenge(s), &key, s.now),
        &TrustAnchors::pinned().unwrap(),
        &list,
    )
    .unwrap_err();
    assert_eq!(err, AttestationError::Revoked { serial });
    assert_eq!(Reason::from(&err), Reason::AttestationRevoked);
}

#[test]
fn googles_published_status_list_sample_reads() {
    // google/android-key-attestation src/test/resources/status.json: four REVOKED, one SUSPENDED.
    let list = StatusList::from_json(&data("google_status_sample.json")).unwrap();
    assert_eq!(list.len(), 5);
    assert!(list.is_refused("6681152659205225093"));
    assert!(list.is_refused("CC66E9A93713B6E643B26C15879786F7"));
    assert!(list.is_refused("00cc66e9a93713b6e643b26c15879786f7"));
    assert!(!list.is_refused("1"));
    // And nothing of the real chains is on it.
    for s in SAMPLES {
        for c in pem_chain(s.file) {
            assert!(!list.is_refused(&Certificate::parse(&c).unwrap().serial_hex()));
        }
    }
}

#[test]
fn a_status_list_that_is_not_googles_format_is_an_error() {
    for bad in
        [&b"not json"[..], b"{}", br#"{"entries": {"xyz": {"status": "REVOKED"}}}"#, br#"{"entries": {"ab": {}}}"#]
    {
        let err = StatusList::from_json(bad).unwrap_err();
        assert_eq!(Reason::from(err), Reason::AttestationStatusList);
    }
}
