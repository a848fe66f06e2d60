//! Android attestation chains built at test time (tests/attestation_builder), one per
//! rejection of issue 18 item 4, each refused with its typed reason — or accepted at the lower
//! level it really proves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod attestation_builder;

use attestation_builder::{AuthList, CHALLENGE, Ca, Device, Key, KeyDesc, NOW, SOFTWARE, STRONGBOX, TEE, name};
use offline_cash_core::reason::Reason;
use offline_cash_issuer::attestation::{
    AndroidAttested, AndroidEvidence, AttestationError, Expected, SecurityLevel, StatusList, TrustAnchors,
    verify_android,
};

fn anchors(device: &Device) -> TrustAnchors {
    TrustAnchors::from_roots(&[&device.root.cert], &[]).unwrap()
}

fn verify_chain(
    device: &Device,
    chain: Vec<Vec<u8>>,
    expected: &Expected<'_>,
) -> Result<AndroidAttested, AttestationError> {
    verify_android(&AndroidEvidence { chain }, expected, &anchors(device), &StatusList::empty())
}

fn verify(device: &Device, desc: &KeyDesc) -> Result<AndroidAttested, AttestationError> {
    let key = device.wallet.public();
    verify_chain(device, device.chain(desc), &Expected::new(CHALLENGE, &key, NOW))
}

#[test]
fn a_well_made_chain_is_accepted_at_its_level() {
    let device = Device::new();
    assert_eq!(verify(&device, &KeyDesc::tee(CHALLENGE)).unwrap().level, SecurityLevel::TrustedEnvironment);
    let strongbox = KeyDesc { attestation_level: STRONGBOX, keymaster_level: STRONGBOX, ..KeyDesc::tee(CHALLENGE) };
    assert_eq!(verify(&device, &strongbox).unwrap().level, SecurityLevel::StrongBox);
}

#[test]
fn the_wallet_key_may_be_given_compressed() {
    let device = Device::new();
    let uncompressed = device.wallet.public();
    let compressed = p256::PublicKey::from_sec1_bytes(&uncompressed).unwrap();
    let compressed = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&compressed, true);
    let expected = Expected::new(CHALLENGE, compressed.as_bytes(), NOW);
    assert!(verify_chain(&device, device.chain(&KeyDesc::tee(CHALLENGE)), &expected).is_ok());
}

#[test]
fn a_forged_signature_is_refused() {
    let device = Device::new();
    let mut chain = device.chain(&KeyDesc::tee(CHALLENGE));
    let last = chain[0].len() - 1;
    chain[0][last] ^= 0x01;
    let key = device.wallet.public();
    let err = verify_chain(&device, chain, &Expected::new(CHALLENGE, &key, NOW)).unwrap_err();
    // A flipped byte in a DER ECDSA signature is either a bad signature or bad DER inside it.
    assert_eq!(err, AttestationError::BadSignature { index: 0 });
    assert_eq!(Reason::from(&err), Reason::AttestationSignature);

    // A leaf signed by a key that is not the attestation key, under its name.
    let forger = Key::generate();
    let forged = device.leaf_spec(&KeyDesc::tee(CHALLENGE)).sign(&forger);
    let mut chain = device.chain(&KeyDesc::tee(CHALLENGE));
    chain[0] = forged;
    let err = verify_chain(&device, chain, &Expected::new(CHALLENGE, &key, NOW)).unwrap_err();
    assert_eq!(err, AttestationError::BadSignature { index: 0 });
}

#[test]
fn an_altered_key_description_is_refused() {
    // The signed leaf with its KeyDescription's level byte changed (TEE → StrongBox).
    let device = Device::new();
    let mut chain = device.chain(&KeyDesc::tee(CHALLENGE));
    let desc = KeyDesc::tee(CHALLENGE).encode();
    let at = chain[0].windows(desc.len()).position(|w| w == desc.as_slice()).unwrap();
    // attestationSecurityLevel: SEQUENCE header (2 or 3 bytes), INTEGER 200 (4 bytes), ENUMERATED.
    let header = if desc[1] & 0x80 != 0 { 2 + usize::from(desc[1] & 0x7f) } else { 2 };
    let level_at = at + header + 4 + 2;
    assert_eq!(chain[0][level_at], TEE);
    chain[0][level_at] = STRONGBOX;
    let key = device.wallet.public();
    let err = verify_chain(&device, chain, &Expected::new(CHALLENGE, &key, NOW)).unwrap_err();
    assert_eq!(err, AttestationError::BadSignature { index: 0 });
}

#[test]
fn every_truncation_of_every_certificate_is_malformed_never_a_panic() {
    let device = Device::new();
    let chain = device.chain(&KeyDesc::tee(CHALLENGE));
    let key = device.wallet.public();
    for i in 0..chain.len() {
        for cut in 0..chain[i].len() {
            let mut c = chain.clone();
            c[i].truncate(cut);
            let err = verify_chain(&device, c, &Expected::new(CHALLENGE, &key, NOW)).unwrap_err();
            assert!(matches!(err, AttestationError::Malformed { .. }), "cert {i} cut at {cut}: {err}");
            assert_eq!(Reason::from(&err), Reason::AttestationMalformed);
        }
    }
    // A chain cut short (the attestation key's certificate missing).
    let mut short = chain.clone();
    short.remove(1);
    let err = verify_chain(&device, short, &Expected::new(CHALLENGE, &key, NOW)).unwrap_err();
    assert!(matches!(err, AttestationError::Chain { .. }), "{err}");
    let err = verify_chain(&device, vec![], &Expected::new(CHALLENGE, &key, NOW)).unwrap_err();
    assert!(matches!(err, AttestationError::Chain { .. }), "{err}");
}

#[test]
fn a_chain_re_signed_by_another_root_is_untrusted() {
    // The same names, the same leaf, but the intermediate re-signed by an attacker's root.
    let device = Device::new();
    let attacker = Ca::root("Test Attestation Root", 1);
    let intermediate =
        attacker.spec_for(&device.intermediate.key, device.intermediate.name.clone(), 2).sign(&attacker.key);
    let mut chain = device.chain(&KeyDesc::tee(CHALLENGE));
    chain[2] = intermediate;
    chain[3] = attacker.cert.clone();
    let key = device.wallet.public();
    let err = verify_chain(&device, chain.clone(), &Expected::new(CHALLENGE, &key, NOW)).unwrap_err();
    assert_eq!(err, AttestationError::UntrustedRoot);
    assert_eq!(Reason::from(&err), Reason::AttestationUntrustedRoot);
    // Without the attacker's root in it, the chain ends at a certificate no pinned key signed.
    chain.pop();
    let err = verify_chain(&device, chain, &Expected::new(CHALLENGE, &key, NOW)).unwrap_err();
    assert_eq!(err, AttestationError::UntrustedRoot);
}

#[test]
fn an_attestation_for_another_registration_is_a_replay() {
    let device = Device::new();
    let err = verify(&device, &KeyDesc::tee(b"registration-challenge-0002")).unwrap_err();
    assert_eq!(err, AttestationError::Challenge);
    assert_eq!(Reason::from(err), Reason::AttestationReplayed);
}

#[test]
fn a_software_attestation_claiming_a_tee_keymaster_is_accepted_as_software() {
    // A software attestation proves what software says: its Keymaster claim of TEE is not
    // backed by anything, so the level is the lower of the two (Software), a lower tier.
    let device = Device::new();
    let desc = KeyDesc {
        attestation_level: SOFTWARE,
        keymaster_level: TEE,
        challenge: CHALLENGE.to_vec(),
        software: AuthList::wallet_key(),
        hardware: AuthList::default(),
    };
    let got = verify(&device, &desc).unwrap();
    assert_eq!(got.attestation_level, SecurityLevel::Software);
    assert_eq!(got.keymaster_level, SecurityLevel::TrustedEnvironment);
    assert_eq!(got.level, SecurityLevel::Software);

    // The same claim the other way round (a TEE attestation of a software Keymaster): Software.
    let desc = KeyDesc { attestation_level: TEE, keymaster_level: SOFTWARE, ..desc };
    assert_eq!(verify(&device, &desc).unwrap().level, SecurityLevel::Software);
}

#[test]
fn a_tee_claim_whose_key_properties_are_only_software_enforced_is_refused() {
    let device = Device::new();
    let desc = KeyDesc { software: AuthList::wallet_key(), hardware: AuthList::default(), ..KeyDesc::tee(CHALLENGE) };
    let err = verify(&device, &desc).unwrap_err();
    assert!(matches!(err, AttestationError::KeyProperties { .. }), "{err}");
}

#[test]
fn an_attestation_of_another_key_is_refused() {
    let device = Device::new();
    let other = Key::generate().public();
    let err = verify_chain(&device, device.chain(&KeyDesc::tee(CHALLENGE)), &Expected::new(CHALLENGE, &other, NOW))
        .unwrap_err();
    assert_eq!(err, AttestationError::WrongKey);
    assert_eq!(Reason::from(err), Reason::AttestationWrongKey);
    // Garbage as the wallet key is not a match either.
    let err = verify_chain(&device, device.chain(&KeyDesc::tee(CHALLENGE)), &Expected::new(CHALLENGE, b"junk", NOW))
        .unwrap_err();
    assert_eq!(err, AttestationError::WrongKey);
}

#[test]
fn an_expired_or_not_yet_valid_chain_is_refused() {
    let device = Device::new();
    let key = device.wallet.public();
    let chain = device.chain(&KeyDesc::tee(CHALLENGE));
    for now in [attestation_builder::NOT_AFTER + 1, attestation_builder::NOT_BEFORE - 1] {
        let err = verify_chain(&device, chain.clone(), &Expected::new(CHALLENGE, &key, now)).unwrap_err();
        assert!(matches!(err, AttestationError::OutsideValidity { .. }), "{now}: {err}");
        assert_eq!(Reason::from(&err), Reason::AttestationValidity);
    }
    // The bounds themselves are inside.
    for now in [attestation_builder::NOT_BEFORE, attestation_builder::NOT_AFTER] {
        assert!(verify_chain(&device, chain.clone(), &Expected::new(CHALLENGE, &key, now)).is_ok());
    }
}

#[test]
fn a_revoked_serial_is_refused_and_a_suspended_one_too() {
    let device = Device::new();
    let key = device.wallet.public();
    for status in ["REVOKED", "SUSPENDED"] {
        // The attestation key's certificate has serial 3.
        let list = format!(r#"{{"entries": {{"03": {{"status": "{status}", "reason": "KEY_COMPROMISE"}}}}}}"#);
        let list = StatusList::from_json(list.as_bytes()).unwrap();
        let err = verify_android(
            &AndroidEvidence { chain: device.chain(&KeyDesc::tee(CHALLENGE)) },
            &Expected::new(CHALLENGE, &key, NOW),
            &anchors(&device),
            &list,
        )
        .unwrap_err();
        assert_eq!(err, AttestationError::Revoked { serial: "3".into() });
    }
}

#[test]
fn an_attested_key_used_as_a_ca_cannot_vouch_for_a_forged_leaf() {
    // The known attack on attestation verifiers: take a genuine attested key, and sign with it
    // a new leaf that claims StrongBox. Only the leaf may carry a KeyDescription.
    let device = Device::new();
    let genuine = device.chain(&KeyDesc::tee(CHALLENGE));
    let forged_key = Key::generate();
    let mut spec = device.attestation.spec_for(&forged_key, name("Forged"), 5);
    spec.issuer = name("Android Keystore Key");
    let desc = KeyDesc { attestation_level: STRONGBOX, keymaster_level: STRONGBOX, ..KeyDesc::tee(CHALLENGE) };
    spec.extensions.push((attestation_builder::OID_KEY_DESCRIPTION.to_vec(), desc.encode()));
    let forged = spec.sign(&device.wallet);
    let mut chain = vec![forged];
    chain.extend(genuine);
    let key = forged_key.public();
    let err = verify_chain(&device, chain, &Expected::new(CHALLENGE, &key, NOW)).unwrap_err();
    assert!(matches!(err, AttestationError::Chain { .. }), "{err}");
    assert_eq!(Reason::from(&err), Reason::AttestationChain);
}

#[test]
fn key_properties_other_than_a_wallet_keys_are_refused() {
    let device = Device::new();
    let cases: Vec<(&str, AuthList)> = vec![
        ("no SIGN purpose", AuthList { purposes: vec![3], ..AuthList::wallet_key() }),
        ("RSA", AuthList { algorithm: Some(1), ..AuthList::wallet_key() }),
        ("P-384", AuthList { ec_curve: Some(2), ..AuthList::wallet_key() }),
        ("imported", AuthList { origin: Some(2), ..AuthList::wallet_key() }),
        ("no origin", AuthList { origin: None, ..AuthList::wallet_key() }),
    ];
    for (what, hardware) in cases {
        let err = verify(&device, &KeyDesc { hardware, ..KeyDesc::tee(CHALLENGE) }).unwrap_err();
        assert!(matches!(err, AttestationError::KeyProperties { .. }), "{what}: {err}");
        assert_eq!(Reason::from(&err), Reason::AttestationKeyProperties);
    }
}

#[test]
fn an_unlocked_or_unverified_boot_proves_only_software() {
    let device = Device::new();
    for (state, locked) in [(0u8, false), (1, true), (2, false), (3, true)] {
        let hardware = AuthList { root_of_trust: Some((state, locked)), ..AuthList::wallet_key() };
        let got = verify(&device, &KeyDesc { hardware, ..KeyDesc::tee(CHALLENGE) }).unwrap();
        assert_eq!(got.level, SecurityLevel::Software, "state {state}, locked {locked}");
        assert_eq!(got.attestation_level, SecurityLevel::TrustedEnvironment);
    }
}

#[test]
fn the_application_allow_lists_are_enforced() {
    let device = Device::new();
    let key = device.wallet.public();
    let chain = device.chain(&KeyDesc::tee(CHALLENGE));
    let digest = [0xd1u8; 32];
    let ok = Expected {
        android_packages: &["app.offline.cash"],
        android_signing_digests: &[&digest],
        ..Expected::new(CHALLENGE, &key, NOW)
    };
    assert_eq!(verify_chain(&device, chain.clone(), &ok).unwrap().package(), Some("app.offline.cash"));
    let other_package = Expected { android_packages: &["com.example.patched"], ..ok };
    let err = verify_chain(&device, chain.clone(), &other_package).unwrap_err();
    assert!(matches!(err, AttestationError::Application { .. }), "{err}");
    assert_eq!(Reason::from(&err), Reason::AttestationApplication);
    let other_signer = Expected { android_signing_digests: &[&[0xee; 32]], ..ok };
    assert!(matches!(verify_chain(&device, chain, &other_signer), Err(AttestationError::Application { .. })));
    // No application id at all while an allow-list is set.
    let desc = KeyDesc { software: AuthList::default(), ..KeyDesc::tee(CHALLENGE) };
    let err = verify_chain(&device, device.chain(&desc), &ok).unwrap_err();
    assert!(matches!(err, AttestationError::Application { .. }), "{err}");
}

#[test]
fn a_repeated_authorization_tag_is_malformed() {
    let device = Device::new();
    let mut hardware = AuthList::wallet_key().encode();
    // Append a second [2] algorithm EC to the list (fix the SEQUENCE length: short form).
    let extra = attestation_builder::explicit(2, &attestation_builder::int(3));
    assert!(hardware[1] < 0x80 && usize::from(hardware[1]) + extra.len() < 0x80);
    hardware[1] += extra.len() as u8;
    hardware.extend(extra);
    let desc = KeyDesc::tee(CHALLENGE);
    let encoded = attestation_builder::seq(&[
        attestation_builder::int(200),
        attestation_builder::enumerated(desc.attestation_level),
        attestation_builder::int(200),
        attestation_builder::enumerated(desc.keymaster_level),
        attestation_builder::octets(CHALLENGE),
        attestation_builder::octets(&[]),
        desc.software.encode(),
        hardware,
    ]);
    let mut spec = device.leaf_spec(&desc);
    spec.extensions = vec![(attestation_builder::OID_KEY_DESCRIPTION.to_vec(), encoded)];
    let mut chain = device.chain(&desc);
    chain[0] = spec.sign(&device.attestation.key);
    let key = device.wallet.public();
    let err = verify_chain(&device, chain, &Expected::new(CHALLENGE, &key, NOW)).unwrap_err();
    assert!(matches!(err, AttestationError::Malformed { .. }), "{err}");
}
