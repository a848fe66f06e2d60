//! Wrapped secret keys survive storage as bytes, and signer checks catch swapped keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::crypto::{
    CryptoError, DerP256Signer, DerSign, KeyWrapper, SIGNER_PROBE, Signer, SoftwareKeyWrapper, SoftwareSigner, Suite,
    WrappedSecretKey, check_signer,
};
use offline_cash_core::token::DecodeError;

#[test]
fn wrapped_key_round_trips_through_its_encoding_for_every_suite() {
    let wrapper = SoftwareKeyWrapper::generate();
    for suite in Suite::ALL {
        let signer = SoftwareSigner::generate(suite).unwrap();
        let bytes = signer.wrap(&wrapper).unwrap().encode();
        let decoded = WrappedSecretKey::decode(&bytes).unwrap();
        assert_eq!(decoded.encode(), bytes, "{suite}: encoding is canonical");
        let restored = SoftwareSigner::unwrap(&decoded, &wrapper).unwrap();
        assert_eq!(restored.public_key(), signer.public_key(), "{suite}");
        let sig = restored.sign(b"message").unwrap();
        signer.public_key().verify(b"message", &sig).unwrap();
    }
}

#[test]
fn wrapped_key_decoding_rejects_garbage_truncation_and_trailing_bytes() {
    let wrapper = SoftwareKeyWrapper::generate();
    let bytes = SoftwareSigner::generate(Suite::EcdsaP256).unwrap().wrap(&wrapper).unwrap().encode();
    for cut in 0..bytes.len() {
        assert!(WrappedSecretKey::decode(&bytes[..cut]).is_err(), "truncated at {cut}");
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(matches!(WrappedSecretKey::decode(&long), Err(DecodeError::TrailingBytes { .. })));
    let mut other_version = bytes.clone();
    other_version[1] = 2;
    assert!(matches!(WrappedSecretKey::decode(&other_version), Err(DecodeError::UnknownVersion { .. })));
    assert!(WrappedSecretKey::decode(&[0xff; 64]).is_err());
    assert!(WrappedSecretKey::decode(&vec![0u8; 1 << 20]).is_err());
}

#[test]
fn unwrapping_with_another_wrapper_key_fails() {
    let signer = SoftwareSigner::generate(Suite::EcdsaP256).unwrap();
    let wrapped = signer.wrap(&SoftwareKeyWrapper::generate()).unwrap();
    let err = SoftwareSigner::unwrap(&wrapped, &SoftwareKeyWrapper::generate()).unwrap_err();
    assert!(matches!(err, CryptoError::KeyWrap(_)), "{err:?}");
}

#[test]
fn a_wrapped_secret_swapped_onto_another_public_key_is_refused() {
    let wrapper = SoftwareKeyWrapper::generate();
    let a = SoftwareSigner::generate(Suite::EcdsaP256).unwrap().wrap(&wrapper).unwrap();
    let b = SoftwareSigner::generate(Suite::EcdsaP256).unwrap().wrap(&wrapper).unwrap();
    let swapped = WrappedSecretKey { public_key: a.public_key, wrapped: b.wrapped };
    let err = SoftwareSigner::unwrap(&swapped, &wrapper).unwrap_err();
    assert!(matches!(err, CryptoError::KeyWrap(_)), "{err:?}");
}

/// A platform key that signs with `key` (DER), as Android Keystore would.
struct DerKey(p256::ecdsa::SigningKey);

impl DerSign for DerKey {
    fn sign_der(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        use p256::ecdsa::signature::Signer as _;
        let sig: p256::ecdsa::Signature = self.0.sign(message);
        Ok(sig.to_der().as_bytes().to_vec())
    }
}

fn p256_public_key(key: &p256::ecdsa::SigningKey) -> offline_cash_core::crypto::PublicKey {
    let sec1 = key.verifying_key().to_encoded_point(false);
    offline_cash_core::crypto::PublicKey::from_p256_sec1(sec1.as_bytes()).unwrap()
}

#[test]
fn check_signer_passes_an_honest_der_signer_and_every_software_suite() {
    let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let signer = DerP256Signer::new(p256_public_key(&key), DerKey(key)).unwrap();
    let sig = check_signer(&signer).unwrap();
    signer.public_key().verify(SIGNER_PROBE, &sig).unwrap();
    for suite in Suite::ALL {
        check_signer(&SoftwareSigner::generate(suite).unwrap()).unwrap();
    }
}

#[test]
fn check_signer_catches_a_signer_that_signs_with_another_key() {
    let reported = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let actual = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let signer = DerP256Signer::new(p256_public_key(&reported), DerKey(actual)).unwrap();
    let err = check_signer(&signer).unwrap_err();
    assert!(matches!(err, CryptoError::Signer(_)), "{err:?}");
}

struct FailingWrapper;

impl KeyWrapper for FailingWrapper {
    fn wrap(&self, _: &[u8]) -> Result<Vec<u8>, offline_cash_core::crypto::WrapError> {
        Err(offline_cash_core::crypto::WrapError("keystore locked".into()))
    }
    fn unwrap(&self, _: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, offline_cash_core::crypto::WrapError> {
        Err(offline_cash_core::crypto::WrapError("keystore locked".into()))
    }
}

#[test]
fn a_failing_wrapper_is_a_key_wrap_error_with_its_message() {
    let err = SoftwareSigner::generate(Suite::EcdsaP256).unwrap().wrap(&FailingWrapper).unwrap_err();
    assert_eq!(err, CryptoError::KeyWrap("keystore locked".into()));
}

#[test]
fn check_signer_reports_a_malformed_der_signature_as_a_signer_failure() {
    struct Garbage(Vec<u8>);
    impl DerSign for Garbage {
        fn sign_der(&self, _: &[u8]) -> Result<Vec<u8>, String> {
            Ok(self.0.clone())
        }
    }
    let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    for garbage in [vec![], vec![0x30], vec![0u8; 64], vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]] {
        let signer = DerP256Signer::new(p256_public_key(&key), Garbage(garbage.clone())).unwrap();
        let err = check_signer(&signer).unwrap_err();
        assert!(matches!(err, CryptoError::Signer(_)), "{garbage:?}: {err:?}");
    }
}

#[test]
fn a_p256_key_has_one_encoding_the_compact_form_is_refused() {
    let key = SoftwareSigner::generate(Suite::EcdsaP256).unwrap().public_key();
    let mut compact = key.as_bytes().to_vec();
    compact[0] = 0x05;
    let err = offline_cash_core::crypto::PublicKey::from_bytes(Suite::EcdsaP256, &compact).unwrap_err();
    assert_eq!(err, CryptoError::InvalidPublicKey { suite: Suite::EcdsaP256 });
    for tag in [0x00, 0x01, 0x04, 0x06, 0x07, 0xff] {
        compact[0] = tag;
        assert!(offline_cash_core::crypto::PublicKey::from_bytes(Suite::EcdsaP256, &compact).is_err(), "tag {tag:#x}");
    }
}
