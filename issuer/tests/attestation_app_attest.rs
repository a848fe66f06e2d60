//! Apple App Attest: real attestation objects from iPhones (published in
//! veehaitch/devicecheck-appattest's test resources; tests/data/attestation/README.md) against
//! Apple's pinned root at an explicit instant, and objects built at test time for each
//! rejection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod attestation_builder;

use attestation_builder::{APP_ID, AppleDevice, CHALLENGE, Ca, Key, NOW, data, sha256};
use base64::Engine;
use offline_cash_core::reason::Reason;
use offline_cash_issuer::attestation::{
    AppAttestEnvironment, AppAttestEvidence, AppAttested, AttestationError, Expected, TrustAnchors, client_data_hash,
    verify_app_attest, verify_app_attest_client_data,
};

struct Real {
    evidence: AppAttestEvidence,
    client_data_hash: [u8; 32],
    app_id: String,
    now: u64,
}

fn real(file: &str, now: u64) -> Real {
    let b64 = base64::engine::general_purpose::STANDARD;
    let v: serde_json::Value = serde_json::from_slice(&data(file)).unwrap();
    let field = |k: &str| b64.decode(v[k].as_str().unwrap()).unwrap();
    let client_data = field("client_data_base64");
    Real {
        evidence: AppAttestEvidence { attestation_object: field("attestation_base64"), key_id: field("key_id_base64") },
        client_data_hash: sha256(&client_data).try_into().unwrap(),
        app_id: v["app_id"].as_str().unwrap().to_owned(),
        now,
    }
}

/// iOS 14.4 (2021-01-23T12:13:33Z) and iOS 14.2 (2020-11-21T22:13:00Z), development builds.
fn samples() -> Vec<Real> {
    vec![real("appattest_ios14_4.json", 1_611_404_013), real("appattest_ios14_2.json", 1_605_996_780)]
}

fn verify_real(r: &Real, hash: &[u8; 32], app_ids: &[&str], now: u64) -> Result<AppAttested, AttestationError> {
    verify_app_attest_client_data(&r.evidence, hash, app_ids, now, &TrustAnchors::pinned().unwrap())
}

#[test]
fn real_attestations_verify_at_their_instant() {
    for r in samples() {
        let got = verify_real(&r, &r.client_data_hash, &[&r.app_id], r.now).unwrap();
        assert_eq!(got.counter, 0);
        assert_eq!(got.environment, AppAttestEnvironment::Development);
        assert_eq!(got.app_id.as_deref(), Some(r.app_id.as_str()));
        assert_eq!(sha256(&got.public_key), r.evidence.key_id);
        assert!(!got.receipt.is_empty());
    }
}

#[test]
fn a_real_attestation_for_other_client_data_is_refused() {
    let r = &samples()[0];
    let err = verify_real(r, &[0u8; 32], &[&r.app_id], r.now).unwrap_err();
    assert_eq!(err, AttestationError::Challenge);
    // Our binding: it was not made over this challenge and wallet key.
    let key = Key::generate().public();
    let expected = Expected { apple_app_ids: &[&r.app_id], ..Expected::new(CHALLENGE, &key, r.now) };
    let err = verify_app_attest(&r.evidence, &expected, &TrustAnchors::pinned().unwrap()).unwrap_err();
    assert_eq!(err, AttestationError::Challenge);
}

#[test]
fn a_real_attestation_is_refused_after_its_certificate_expired() {
    let r = &samples()[0];
    let err = verify_real(r, &r.client_data_hash, &[&r.app_id], r.now + 3 * 86_400).unwrap_err();
    assert!(matches!(err, AttestationError::OutsideValidity { index: 0, .. }), "{err}");
}

#[test]
fn a_real_attestation_of_another_app_is_refused() {
    let r = &samples()[0];
    let err = verify_real(r, &r.client_data_hash, &["6MURL8TA57.com.example.other"], r.now).unwrap_err();
    assert!(matches!(err, AttestationError::Application { .. }), "{err}");
    assert_eq!(Reason::from(&err), Reason::AttestationApplication);
}

#[test]
fn a_real_attestation_with_another_key_id_is_refused() {
    let mut r = samples().remove(0);
    r.evidence.key_id[0] ^= 1;
    let err = verify_real(&r, &r.client_data_hash, &[&r.app_id], r.now).unwrap_err();
    assert_eq!(err, AttestationError::WrongKey);
}

#[test]
fn every_truncation_of_a_real_attestation_is_refused_never_a_panic() {
    let r = &samples()[0];
    let anchors = TrustAnchors::pinned().unwrap();
    for cut in 0..r.evidence.attestation_object.len() {
        let ev = AppAttestEvidence {
            attestation_object: r.evidence.attestation_object[..cut].to_vec(),
            key_id: r.evidence.key_id.clone(),
        };
        let err = verify_app_attest_client_data(&ev, &r.client_data_hash, &[], r.now, &anchors).unwrap_err();
        assert!(matches!(err, AttestationError::Malformed { .. }), "cut at {cut}: {err}");
    }
}

// ---- built at test time ----

fn built(device: &AppleDevice) -> (TrustAnchors, Vec<u8>) {
    (TrustAnchors::from_roots(&[], &[&device.root.cert]).unwrap(), Key::generate().public())
}

fn check(
    device: &AppleDevice,
    anchors: &TrustAnchors,
    object: Vec<u8>,
    wallet: &[u8],
) -> Result<AppAttested, AttestationError> {
    let evidence = AppAttestEvidence { attestation_object: object, key_id: device.key_id() };
    let expected = Expected { apple_app_ids: &[APP_ID], ..Expected::new(CHALLENGE, wallet, NOW) };
    verify_app_attest(&evidence, &expected, anchors)
}

#[test]
fn an_attestation_over_the_challenge_and_the_wallet_key_is_accepted() {
    let device = AppleDevice::new();
    let (anchors, wallet) = built(&device);
    let spec = device.spec(&client_data_hash(CHALLENGE, &wallet));
    let got = check(&device, &anchors, device.attestation_object(&spec), &wallet).unwrap();
    assert_eq!(got.environment, AppAttestEnvironment::Production);
    assert_eq!(got.public_key, device.key.public());
}

#[test]
fn a_replayed_attestation_or_one_for_another_wallet_key_fails_the_nonce() {
    let device = AppleDevice::new();
    let (anchors, wallet) = built(&device);
    let other_registration = device.spec(&client_data_hash(b"registration-challenge-0002", &wallet));
    let err = check(&device, &anchors, device.attestation_object(&other_registration), &wallet).unwrap_err();
    assert_eq!(err, AttestationError::Challenge);
    assert_eq!(Reason::from(&err), Reason::AttestationReplayed);
    let other_key = device.spec(&client_data_hash(CHALLENGE, &Key::generate().public()));
    let err = check(&device, &anchors, device.attestation_object(&other_key), &wallet).unwrap_err();
    assert_eq!(err, AttestationError::Challenge);
}

#[test]
fn a_used_key_counter_is_refused() {
    let device = AppleDevice::new();
    let (anchors, wallet) = built(&device);
    let spec = attestation_builder::AppAttestSpec { counter: 1, ..device.spec(&client_data_hash(CHALLENGE, &wallet)) };
    let err = check(&device, &anchors, device.attestation_object(&spec), &wallet).unwrap_err();
    assert_eq!(err, AttestationError::Counter { counter: 1 });
    assert_eq!(Reason::from(&err), Reason::AttestationCounter);
}

#[test]
fn a_credential_id_that_is_not_the_key_id_is_refused() {
    let device = AppleDevice::new();
    let (anchors, wallet) = built(&device);
    let spec = attestation_builder::AppAttestSpec {
        credential_id: Some(vec![7; 32]),
        ..device.spec(&client_data_hash(CHALLENGE, &wallet))
    };
    let err = check(&device, &anchors, device.attestation_object(&spec), &wallet).unwrap_err();
    assert_eq!(err, AttestationError::WrongKey);
}

#[test]
fn another_app_another_format_another_root_and_expiry_are_refused() {
    let device = AppleDevice::new();
    let (anchors, wallet) = built(&device);
    let base = device.spec(&client_data_hash(CHALLENGE, &wallet));

    let other_app =
        attestation_builder::AppAttestSpec { app_id: "TEAM123456.com.example.patched".into(), ..base.clone() };
    let err = check(&device, &anchors, device.attestation_object(&other_app), &wallet).unwrap_err();
    assert!(matches!(err, AttestationError::Application { .. }), "{err}");

    let packed = attestation_builder::AppAttestSpec { fmt: "packed".into(), ..base.clone() };
    let err = check(&device, &anchors, device.attestation_object(&packed), &wallet).unwrap_err();
    assert!(matches!(err, AttestationError::Unsupported { .. }), "{err}");
    assert_eq!(Reason::from(&err), Reason::AttestationUnsupported);

    let odd_aaguid = attestation_builder::AppAttestSpec { aaguid: [0; 16], ..base.clone() };
    let err = check(&device, &anchors, device.attestation_object(&odd_aaguid), &wallet).unwrap_err();
    assert!(matches!(err, AttestationError::Unsupported { .. }), "{err}");

    let expired = attestation_builder::AppAttestSpec { not_after: NOW - 1, ..base.clone() };
    let err = check(&device, &anchors, device.attestation_object(&expired), &wallet).unwrap_err();
    assert!(matches!(err, AttestationError::OutsideValidity { index: 0, .. }), "{err}");

    // Apple's pinned root instead of the device's own: untrusted.
    let pinned = TrustAnchors::pinned().unwrap();
    let err = check(&device, &pinned, device.attestation_object(&base), &wallet).unwrap_err();
    assert_eq!(err, AttestationError::UntrustedRoot);
    // And a chain re-signed by another root with the same name.
    let attacker = Ca::root("Test App Attestation Root CA", 1);
    let other = TrustAnchors::from_roots(&[], &[&attacker.cert]).unwrap();
    let err = check(&device, &other, device.attestation_object(&base), &wallet).unwrap_err();
    assert_eq!(err, AttestationError::UntrustedRoot);
}

#[test]
fn a_forged_credential_certificate_is_refused() {
    let device = AppleDevice::new();
    let (anchors, wallet) = built(&device);
    let mut object = device.attestation_object(&device.spec(&client_data_hash(CHALLENGE, &wallet)));
    // One byte of the credential certificate's subject (the key id in hex) changed: the DER
    // stays well-formed, the intermediate's signature no longer covers it.
    let cn = hex::encode(device.key_id());
    let at = object.windows(cn.len()).position(|w| w == cn.as_bytes()).unwrap();
    object[at] = if object[at] == b'0' { b'1' } else { b'0' };
    let err = check(&device, &anchors, object, &wallet).unwrap_err();
    assert_eq!(err, AttestationError::BadSignature { index: 0 });
    assert_eq!(Reason::from(&err), Reason::AttestationSignature);
}
