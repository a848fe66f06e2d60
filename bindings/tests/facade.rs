//! The facade as the apps call it, from Rust: host signers and wrappers, and garbage bytes into
//! every entry point that takes bytes. Each must give a typed `OfflineCashError`, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;

use offline_cash_core::crypto::{KeyWrapper as _, SoftwareKeyWrapper};
use offline_cash_ffi::{
    CryptoReason, KeyWrapper, KeyWrapperError, OfflineCashError, Signer, SignerError, SoftwareKey, Suite, check_signer,
};
use p256::ecdsa::signature::Signer as _;
use proptest::prelude::*;

/// A platform P-256 key returning DER signatures, like Android Keystore.
struct DerSigner {
    sign_with: p256::ecdsa::SigningKey,
    report: p256::ecdsa::VerifyingKey,
}

impl DerSigner {
    fn honest() -> Self {
        let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        Self { report: *key.verifying_key(), sign_with: key }
    }
}

impl Signer for DerSigner {
    fn public_key(&self) -> Result<Vec<u8>, SignerError> {
        Ok(self.report.to_encoded_point(false).as_bytes().to_vec())
    }
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, SignerError> {
        let sig: p256::ecdsa::Signature = self.sign_with.sign(&message);
        Ok(sig.to_der().as_bytes().to_vec())
    }
}

/// A signer returning fixed bytes for its key and its signatures.
struct Scripted {
    public_key: Vec<u8>,
    signature: Vec<u8>,
}

impl Signer for Scripted {
    fn public_key(&self) -> Result<Vec<u8>, SignerError> {
        Ok(self.public_key.clone())
    }
    fn sign(&self, _: Vec<u8>) -> Result<Vec<u8>, SignerError> {
        Ok(self.signature.clone())
    }
}

struct AesWrapper(SoftwareKeyWrapper);

impl KeyWrapper for AesWrapper {
    fn wrap(&self, secret: Vec<u8>) -> Result<Vec<u8>, KeyWrapperError> {
        self.0.wrap(&secret).map_err(|e| KeyWrapperError::Failed { detail: e.0 })
    }
    fn unwrap(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyWrapperError> {
        self.0.unwrap(&wrapped).map(|s| s.to_vec()).map_err(|e| KeyWrapperError::Failed { detail: e.0 })
    }
}

fn aes() -> Arc<dyn KeyWrapper> {
    Arc::new(AesWrapper(SoftwareKeyWrapper::generate()))
}

/// A wrapper whose unwrap returns fixed bytes.
struct Liar(Vec<u8>);

impl KeyWrapper for Liar {
    fn wrap(&self, secret: Vec<u8>) -> Result<Vec<u8>, KeyWrapperError> {
        Ok(secret)
    }
    fn unwrap(&self, _: Vec<u8>) -> Result<Vec<u8>, KeyWrapperError> {
        Ok(self.0.clone())
    }
}

#[test]
fn an_honest_der_signer_passes_and_reports_its_wallet() {
    let signer = DerSigner::honest();
    let compressed = signer.report.to_encoded_point(true).as_bytes().to_vec();
    let report = check_signer(Arc::new(signer)).unwrap();
    assert_eq!(report.suite, Suite::EcdsaP256);
    assert_eq!(report.public_key, compressed);
    assert_eq!(report.wallet_id.len(), 64);
    assert!(report.wallet_id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
}

#[test]
fn a_signer_with_a_swapped_key_is_a_signer_error() {
    let mut signer = DerSigner::honest();
    signer.report = *DerSigner::honest().sign_with.verifying_key();
    assert!(matches!(check_signer(Arc::new(signer)), Err(OfflineCashError::Signer { .. })));
}

#[test]
fn a_failing_signer_keeps_its_detail() {
    struct Refuses;
    impl Signer for Refuses {
        fn public_key(&self) -> Result<Vec<u8>, SignerError> {
            DerSigner::honest().public_key()
        }
        fn sign(&self, _: Vec<u8>) -> Result<Vec<u8>, SignerError> {
            Err(SignerError::Failed { detail: "user not authenticated".into() })
        }
    }
    let Err(OfflineCashError::Signer { detail }) = check_signer(Arc::new(Refuses)) else { panic!("expected Signer") };
    assert!(detail.contains("user not authenticated"), "{detail}");
}

#[test]
fn software_keys_round_trip_through_a_host_wrapper_for_every_suite() {
    let wrapper = aes();
    for suite in [Suite::EcdsaP256, Suite::MlDsa44, Suite::CompositeMlDsa44EcdsaP256] {
        let key = SoftwareKey::generate(suite).unwrap();
        let restored = SoftwareKey::unwrap(key.wrap(wrapper.clone()).unwrap(), wrapper.clone()).unwrap();
        assert_eq!(restored.suite().unwrap(), suite);
        assert_eq!(restored.public_key(), key.public_key());
        assert_eq!(restored.wallet_id(), key.wallet_id());
    }
}

#[test]
fn a_corrupted_key_in_the_blob_is_a_crypto_error_with_its_reason() {
    let wrapper = aes();
    let mut blob = SoftwareKey::generate(Suite::EcdsaP256).unwrap().wrap(wrapper.clone()).unwrap();
    blob[6] = 0x07; // the SEC1 tag of the stored public key
    let Err(OfflineCashError::Crypto { reason, .. }) = SoftwareKey::unwrap(blob, wrapper) else {
        panic!("expected Crypto")
    };
    assert_eq!(reason, CryptoReason::InvalidPublicKey);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn garbage_wrapped_key_bytes_are_typed_errors(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let result = SoftwareKey::unwrap(bytes, aes());
        let typed = matches!(
            result,
            Err(OfflineCashError::Malformed { .. } | OfflineCashError::Crypto { .. } | OfflineCashError::KeyWrap { .. })
        );
        prop_assert!(typed, "{:?}", result.err());
    }

    #[test]
    fn garbage_from_the_host_wrapper_is_a_key_wrap_error(secret in proptest::collection::vec(any::<u8>(), 0..3000)) {
        for suite in [Suite::EcdsaP256, Suite::CompositeMlDsa44EcdsaP256] {
            let blob = SoftwareKey::generate(suite).unwrap().wrap(aes()).unwrap();
            let result = SoftwareKey::unwrap(blob, Arc::new(Liar(secret.clone())));
            prop_assert!(matches!(result, Err(OfflineCashError::KeyWrap { .. })), "{:?}", result.err());
        }
    }

    #[test]
    fn garbage_keys_and_signatures_from_the_host_signer_are_signer_errors(
        public_key in proptest::collection::vec(any::<u8>(), 0..100),
        signature in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let result = check_signer(Arc::new(Scripted { public_key, signature }));
        prop_assert!(matches!(result, Err(OfflineCashError::Signer { .. })), "{:?}", result.err());
    }
}
