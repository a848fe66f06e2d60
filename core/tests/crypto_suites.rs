//! Suite behaviour a wallet relies on: composite signatures need both halves, suites never mix,
//! hardware (DER) signers yield canonical signatures, wrapped keys round-trip and fail closed,
//! and secrets never show up in `Debug` output.
//!
//! ```text
//!  p256 SigningKey ──DER (like Android Keystore)──► DerP256Signer ──► canonical low-S Signature
//!  SoftwareSigner ──wrap(KeyWrapper)──► WrappedSecretKey ──unwrap──► SoftwareSigner (same key)
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};

use offline_cash_core::crypto::{
    CompositeSigner, CryptoError, DerP256Signer, DerSign, KeyWrapper, PublicKey, Signature, Signer, SoftwareKeyWrapper,
    SoftwareSigner, Suite, WrapError, WrappedSecretKey, signing_message,
};
use zeroize::Zeroizing;

const DIGEST: [u8; 32] = [0x5a; 32];

fn message(suite: Suite) -> Vec<u8> {
    signing_message(suite, &DIGEST)
}

// ---------------------------------------------------------------------------------------------
// Composite: both halves are needed.

/// A composite signer built from two software signers whose halves the test can use alone.
struct Parts {
    ml_dsa: SoftwareSigner,
    p256: SoftwareSigner,
    composite: CompositeSigner,
}

fn parts() -> Parts {
    let ml_dsa = SoftwareSigner::generate(Suite::MlDsa44).unwrap();
    let p256 = SoftwareSigner::p256_from_scalar(&[0x42; 32]).unwrap();
    let composite = CompositeSigner::new(
        Box::new(SoftwareSigner::unwrap(&ml_dsa.wrap(&PlainWrapper).unwrap(), &PlainWrapper).unwrap()),
        Box::new(SoftwareSigner::p256_from_scalar(&[0x42; 32]).unwrap()),
    )
    .unwrap();
    Parts { ml_dsa, p256, composite }
}

#[test]
fn composite_signature_verifies_and_is_ml_dsa_then_p256() {
    let p = parts();
    let key = p.composite.public_key();
    assert_eq!(key.suite(), Suite::CompositeMlDsa44EcdsaP256);
    assert_eq!(&key.as_bytes()[..1312], p.ml_dsa.public_key().as_bytes());
    assert_eq!(&key.as_bytes()[1312..], p.p256.public_key().as_bytes());
    let msg = message(Suite::CompositeMlDsa44EcdsaP256);
    let sig = p.composite.sign(&msg).unwrap();
    assert_eq!(sig.as_bytes().len(), 2420 + 64);
    key.verify(&msg, &sig).unwrap();
    // Each half on its own is a valid signature of its suite over the same message.
    let pq = Signature::from_bytes(Suite::MlDsa44, &sig.as_bytes()[..2420]).unwrap();
    let ec = Signature::from_bytes(Suite::EcdsaP256, &sig.as_bytes()[2420..]).unwrap();
    p.ml_dsa.public_key().verify(&msg, &pq).unwrap();
    p.p256.public_key().verify(&msg, &ec).unwrap();
}

#[test]
fn tampering_either_half_of_a_composite_signature_fails() {
    let p = parts();
    let key = p.composite.public_key();
    let msg = message(Suite::CompositeMlDsa44EcdsaP256);
    let good = p.composite.sign(&msg).unwrap();
    // Flip one bit at a few places of each half (in the P-256 half only where the value stays
    // in range, so the tampered bytes still parse and reach verification).
    for at in [0usize, 1000, 2419, 2420 + 31, 2420 + 63] {
        let mut bytes = good.as_bytes().to_vec();
        bytes[at] ^= 0x01;
        let tampered = match Signature::from_bytes(Suite::CompositeMlDsa44EcdsaP256, &bytes) {
            Ok(sig) => sig,
            // Flipping the last bit of S can make it high: refused before verification.
            Err(CryptoError::NonCanonicalSignature { .. }) if at >= 2420 => continue,
            Err(e) => panic!("byte {at}: {e}"),
        };
        assert_eq!(key.verify(&msg, &tampered), Err(CryptoError::VerificationFailed), "byte {at}");
    }
}

#[test]
fn composite_with_one_half_from_another_message_or_key_fails() {
    let p = parts();
    let key = p.composite.public_key();
    let msg = message(Suite::CompositeMlDsa44EcdsaP256);
    let other_msg = signing_message(Suite::CompositeMlDsa44EcdsaP256, &[0x01; 32]);
    let stranger = SoftwareSigner::p256_from_scalar(&[0x07; 32]).unwrap();

    let pq_good = p.ml_dsa.sign(&msg).unwrap();
    let ec_good = p.p256.sign(&msg).unwrap();
    let cases = [
        ("ML-DSA half over another message", p.ml_dsa.sign(&other_msg).unwrap(), ec_good.clone()),
        ("P-256 half over another message", pq_good.clone(), p.p256.sign(&other_msg).unwrap()),
        ("P-256 half by another key", pq_good.clone(), stranger.sign(&msg).unwrap()),
    ];
    for (what, pq, ec) in cases {
        let sig = Signature::composite(&pq, &ec).unwrap();
        assert_eq!(key.verify(&msg, &sig), Err(CryptoError::VerificationFailed), "{what}");
    }
    // The two good halves together verify (the control for the cases above).
    key.verify(&msg, &Signature::composite(&pq_good, &ec_good).unwrap()).unwrap();
}

#[test]
fn a_half_of_a_composite_signature_is_not_a_stand_alone_signature() {
    // Domain labels differ per suite: the P-256 half of a composite signature over an object
    // does not verify as a P-256 signature over the same object (and likewise for ML-DSA).
    let p = parts();
    let sig = p.composite.sign(&message(Suite::CompositeMlDsa44EcdsaP256)).unwrap();
    let pq = Signature::from_bytes(Suite::MlDsa44, &sig.as_bytes()[..2420]).unwrap();
    let ec = Signature::from_bytes(Suite::EcdsaP256, &sig.as_bytes()[2420..]).unwrap();
    assert_eq!(p.ml_dsa.public_key().verify(&message(Suite::MlDsa44), &pq), Err(CryptoError::VerificationFailed));
    assert_eq!(p.p256.public_key().verify(&message(Suite::EcdsaP256), &ec), Err(CryptoError::VerificationFailed));
}

// ---------------------------------------------------------------------------------------------
// Suites never mix.

#[test]
fn a_signature_of_one_suite_is_refused_by_a_key_of_another() {
    let signers: Vec<SoftwareSigner> = Suite::ALL.iter().map(|s| SoftwareSigner::generate(*s).unwrap()).collect();
    for signer in &signers {
        let sig = signer.sign(&message(signer.suite())).unwrap();
        for other in signers.iter().filter(|o| o.suite() != signer.suite()) {
            assert_eq!(
                other.public_key().verify(&message(signer.suite()), &sig),
                Err(CryptoError::SuiteMismatch { expected: other.suite(), found: signer.suite() })
            );
        }
    }
}

#[test]
fn composites_refuse_halves_of_the_wrong_suite() {
    let pq = SoftwareSigner::generate(Suite::MlDsa44).unwrap();
    let ec = SoftwareSigner::p256_from_scalar(&[3; 32]).unwrap();
    let (pq_key, ec_key) = (pq.public_key(), ec.public_key());
    let mismatch = |expected, found| Err(CryptoError::SuiteMismatch { expected, found });
    assert_eq!(PublicKey::composite(&ec_key, &ec_key).map(|_| ()), mismatch(Suite::MlDsa44, Suite::EcdsaP256));
    assert_eq!(PublicKey::composite(&pq_key, &pq_key).map(|_| ()), mismatch(Suite::EcdsaP256, Suite::MlDsa44));

    let (pq_sig, ec_sig) = (pq.sign(b"m").unwrap(), ec.sign(b"m").unwrap());
    assert_eq!(Signature::composite(&ec_sig, &pq_sig).map(|_| ()), mismatch(Suite::MlDsa44, Suite::EcdsaP256));
    assert_eq!(Signature::composite(&pq_sig, &pq_sig).map(|_| ()), mismatch(Suite::EcdsaP256, Suite::MlDsa44));

    // A composite signer from swapped halves is refused at construction.
    let swapped = CompositeSigner::new(
        Box::new(SoftwareSigner::p256_from_scalar(&[3; 32]).unwrap()),
        Box::new(SoftwareSigner::generate(Suite::MlDsa44).unwrap()),
    );
    assert_eq!(swapped.map(|_| ()), mismatch(Suite::MlDsa44, Suite::EcdsaP256));

    // A DER adapter only takes a P-256 key.
    let der = DerP256Signer::new(pq_key, KeystoreLike::new([1; 32], HighS::Never));
    assert_eq!(der.map(|_| ()), mismatch(Suite::EcdsaP256, Suite::MlDsa44));
}

#[test]
fn wrong_lengths_are_typed_errors_for_every_suite() {
    for suite in Suite::ALL {
        for len in [0, suite.signature_len() - 1, suite.signature_len() + 1] {
            assert_eq!(
                Signature::from_bytes(suite, &vec![1u8; len]),
                Err(CryptoError::MalformedSignature { suite }),
                "{suite} signature of {len} bytes"
            );
        }
        for len in [0, suite.public_key_len() - 1, suite.public_key_len() + 1] {
            assert_eq!(
                PublicKey::from_bytes(suite, &vec![2u8; len]).map(|_| ()),
                Err(CryptoError::InvalidPublicKey { suite }),
                "{suite} key of {len} bytes"
            );
        }
    }
    assert_eq!(Suite::from_id(0), Err(CryptoError::UnknownSuite(0)));
    assert_eq!(Suite::from_id(4), Err(CryptoError::UnknownSuite(4)));
}

// ---------------------------------------------------------------------------------------------
// DER signers (hardware keys).

#[derive(Debug, Clone, Copy)]
enum HighS {
    /// Return whatever the signer produced after folding S low.
    Never,
    /// Always return the high-S twin (as some keystores may).
    Always,
}

/// A P-256 key that answers in DER, like Android Keystore's `SHA256withECDSA`.
#[derive(Debug)]
struct KeystoreLike {
    key: p256::ecdsa::SigningKey,
    high_s: HighS,
    calls: AtomicUsize,
}

impl KeystoreLike {
    fn new(scalar: [u8; 32], high_s: HighS) -> Self {
        Self { key: p256::ecdsa::SigningKey::from_slice(&scalar).unwrap(), high_s, calls: AtomicUsize::new(0) }
    }

    fn public_key(&self) -> PublicKey {
        // Android hands out the uncompressed X9.62 point.
        PublicKey::from_p256_sec1(self.key.verifying_key().to_encoded_point(false).as_bytes()).unwrap()
    }
}

impl DerSign for KeystoreLike {
    fn sign_der(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(&self.key, message);
        let low = sig.normalize_s().unwrap_or(sig);
        let out = match self.high_s {
            HighS::Never => low,
            HighS::Always => {
                let (r, s) = low.split_scalars();
                p256::ecdsa::Signature::from_scalars(r, -*s).map_err(|e| e.to_string())?
            }
        };
        Ok(out.to_der().as_bytes().to_vec())
    }
}

#[test]
fn der_signer_yields_canonical_low_s_signatures_that_verify() {
    for high_s in [HighS::Never, HighS::Always] {
        let keystore = KeystoreLike::new([0x24; 32], high_s);
        let public_key = keystore.public_key();
        assert_eq!(public_key.as_bytes().len(), 33, "stored compressed");
        let signer = DerP256Signer::new(public_key.clone(), keystore).unwrap();
        for i in 0u8..8 {
            let msg = signing_message(Suite::EcdsaP256, &[i; 32]);
            let sig = signer.sign(&msg).unwrap();
            assert_eq!(sig.suite(), Suite::EcdsaP256);
            // Canonical: accepted by the strict raw decoder, which refuses high S.
            assert_eq!(Signature::from_bytes(Suite::EcdsaP256, sig.as_bytes()).unwrap(), sig);
            let parsed = p256::ecdsa::Signature::from_slice(sig.as_bytes()).unwrap();
            assert!(parsed.normalize_s().is_none(), "{high_s:?}: high S leaked through");
            public_key.verify(&msg, &sig).unwrap();
        }
    }
}

#[test]
fn der_signer_holding_another_key_is_refused() {
    let keystore = KeystoreLike::new([0x24; 32], HighS::Never);
    let claimed = SoftwareSigner::p256_from_scalar(&[0x25; 32]).unwrap().public_key();
    let signer = DerP256Signer::new(claimed, keystore).unwrap();
    match signer.sign(&message(Suite::EcdsaP256)) {
        Err(CryptoError::Signer(reason)) => assert!(reason.contains("does not verify"), "{reason}"),
        other => panic!("expected a signer error, got {other:?}"),
    }
}

#[derive(Debug)]
struct Broken(Result<Vec<u8>, String>);

impl DerSign for Broken {
    fn sign_der(&self, _: &[u8]) -> Result<Vec<u8>, String> {
        self.0.clone()
    }
}

#[test]
fn der_signer_failures_are_typed() {
    let key = SoftwareSigner::p256_from_scalar(&[0x25; 32]).unwrap().public_key();
    let failing = DerP256Signer::new(key.clone(), Broken(Err("user cancelled".into()))).unwrap();
    assert_eq!(failing.sign(b"m"), Err(CryptoError::Signer("user cancelled".into())));
    let garbage = DerP256Signer::new(key, Broken(Ok(vec![0x30, 0x03, 0x02, 0x01, 0x01]))).unwrap();
    // Garbage DER from a hardware key is the signer's fault, not a peer's malformed signature.
    assert!(matches!(garbage.sign(b"m"), Err(CryptoError::Signer(m)) if m.contains("malformed")));
}

#[test]
fn composite_of_software_ml_dsa_and_hardware_p256_verifies() {
    let keystore = KeystoreLike::new([0x31; 32], HighS::Always);
    let hw = DerP256Signer::new(keystore.public_key(), keystore).unwrap();
    let signer =
        CompositeSigner::new(Box::new(SoftwareSigner::generate(Suite::MlDsa44).unwrap()), Box::new(hw)).unwrap();
    let msg = message(Suite::CompositeMlDsa44EcdsaP256);
    let sig = signer.sign(&msg).unwrap();
    assert_eq!(Signature::from_bytes(Suite::CompositeMlDsa44EcdsaP256, sig.as_bytes()).unwrap(), sig);
    signer.public_key().verify(&msg, &sig).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Key wrapping.

#[test]
fn wrap_unwrap_round_trip_for_every_suite() {
    let wrapper = SoftwareKeyWrapper::generate();
    for suite in Suite::ALL {
        let signer = SoftwareSigner::generate(suite).unwrap();
        let wrapped = signer.wrap(&wrapper).unwrap();
        assert_eq!(wrapped.public_key, signer.public_key());
        let restored = SoftwareSigner::unwrap(&wrapped, &wrapper).unwrap();
        assert_eq!(restored.public_key(), signer.public_key());
        let msg = message(suite);
        // The restored signer signs for the original key, and the other way round.
        signer.public_key().verify(&msg, &restored.sign(&msg).unwrap()).unwrap();
        restored.public_key().verify(&msg, &signer.sign(&msg).unwrap()).unwrap();
        // Wrapping is randomised: the same key wraps differently each time.
        assert_ne!(signer.wrap(&wrapper).unwrap().wrapped, wrapped.wrapped, "{suite}");
    }
}

fn is_key_wrap_error<T: std::fmt::Debug>(result: Result<T, CryptoError>) -> bool {
    matches!(result, Err(CryptoError::KeyWrap(_)))
}

#[test]
fn wrong_wrapping_key_fails_with_key_wrap_error() {
    let right = SoftwareKeyWrapper::new([1; 32]);
    let wrong = SoftwareKeyWrapper::new([2; 32]);
    for suite in Suite::ALL {
        let wrapped = SoftwareSigner::generate(suite).unwrap().wrap(&right).unwrap();
        let result = SoftwareSigner::unwrap(&wrapped, &wrong);
        assert!(is_key_wrap_error(result), "{suite}");
    }
}

#[test]
fn altered_wrapped_bytes_fail_with_key_wrap_error() {
    let wrapper = SoftwareKeyWrapper::generate();
    for suite in Suite::ALL {
        let wrapped = SoftwareSigner::generate(suite).unwrap().wrap(&wrapper).unwrap();
        let len = wrapped.wrapped.len();
        // Nonce, first ciphertext byte, middle, tag.
        for at in [0, 11, 12, len / 2, len - 1] {
            let mut altered = wrapped.clone();
            altered.wrapped[at] ^= 0x80;
            assert!(is_key_wrap_error(SoftwareSigner::unwrap(&altered, &wrapper)), "{suite} byte {at}");
        }
        for cut in [0, 27, len - 1] {
            let mut truncated = wrapped.clone();
            truncated.wrapped.truncate(cut);
            assert!(is_key_wrap_error(SoftwareSigner::unwrap(&truncated, &wrapper)), "{suite} cut {cut}");
        }
        let mut extended = wrapped.clone();
        extended.wrapped.push(0);
        assert!(is_key_wrap_error(SoftwareSigner::unwrap(&extended, &wrapper)), "{suite} extended");
    }
}

#[test]
fn a_wrapped_secret_under_another_public_key_is_refused() {
    let wrapper = SoftwareKeyWrapper::generate();
    for suite in Suite::ALL {
        let a = SoftwareSigner::generate(suite).unwrap().wrap(&wrapper).unwrap();
        let b = SoftwareSigner::generate(suite).unwrap();
        let swapped = WrappedSecretKey { public_key: b.public_key(), wrapped: a.wrapped };
        assert!(is_key_wrap_error(SoftwareSigner::unwrap(&swapped, &wrapper)), "{suite}");
    }
    // A P-256 secret presented as an ML-DSA one (lengths differ) is refused too.
    let ec = SoftwareSigner::p256_from_scalar(&[9; 32]).unwrap().wrap(&wrapper).unwrap();
    let pq = SoftwareSigner::generate(Suite::MlDsa44).unwrap().public_key();
    let confused = WrappedSecretKey { public_key: pq, wrapped: ec.wrapped };
    assert!(is_key_wrap_error(SoftwareSigner::unwrap(&confused, &wrapper)));
}

#[test]
fn a_failing_platform_wrapper_is_a_key_wrap_error() {
    #[derive(Debug)]
    struct Locked;
    impl KeyWrapper for Locked {
        fn wrap(&self, _: &[u8]) -> Result<Vec<u8>, WrapError> {
            Err(WrapError("keystore locked".into()))
        }
        fn unwrap(&self, _: &[u8]) -> Result<Zeroizing<Vec<u8>>, WrapError> {
            Err(WrapError("keystore locked".into()))
        }
    }
    let signer = SoftwareSigner::p256_from_scalar(&[9; 32]).unwrap();
    assert_eq!(signer.wrap(&Locked).map(|_| ()), Err(CryptoError::KeyWrap("keystore locked".into())));
    let wrapped = signer.wrap(&SoftwareKeyWrapper::generate()).unwrap();
    assert_eq!(
        SoftwareSigner::unwrap(&wrapped, &Locked).map(|_| ()),
        Err(CryptoError::KeyWrap("keystore locked".into()))
    );
}

// ---------------------------------------------------------------------------------------------
// Secrets stay out of Debug output.

/// A "wrapper" that does not encrypt, so the test can see the secret bytes.
#[derive(Debug)]
struct PlainWrapper;

impl KeyWrapper for PlainWrapper {
    fn wrap(&self, secret: &[u8]) -> Result<Vec<u8>, WrapError> {
        Ok(secret.to_vec())
    }
    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, WrapError> {
        Ok(Zeroizing::new(wrapped.to_vec()))
    }
}

/// Every way an 8-byte run of `secret` could be printed: hex (both cases) or a `[1, 2, …]` list.
/// Runs that also occur in `public` are not secret (an ML-DSA secret key starts with the
/// public seed ρ, which is also the start of the public key that `Debug` shows).
fn leaks(debug: &str, secret: &[u8], public: &[u8]) -> Option<String> {
    let compact: String = debug.chars().filter(|c| !c.is_whitespace()).collect();
    for window in secret.windows(8).filter(|w| !public.windows(8).any(|p| p == *w)) {
        let hex: String = window.iter().map(|b| format!("{b:02x}")).collect();
        let list = window.iter().map(u8::to_string).collect::<Vec<_>>().join(",");
        if compact.contains(&hex) || compact.contains(&hex.to_uppercase()) || compact.contains(&list) {
            return Some(hex);
        }
    }
    None
}

#[test]
fn secrets_never_appear_in_debug_output() {
    for suite in Suite::ALL {
        let signer = SoftwareSigner::generate(suite).unwrap();
        let secret = signer.wrap(&PlainWrapper).unwrap().wrapped;
        assert!(secret.len() >= 32);
        let public = signer.public_key().as_bytes().to_vec();
        // The test's leak detector does find the secret when it is printed.
        assert!(leaks(&format!("{secret:?}"), &secret, &public).is_some());

        let signer_debug = format!("{signer:?} {signer:#?}");
        assert_eq!(leaks(&signer_debug, &secret, &public), None, "{suite}: SoftwareSigner Debug leaks: {signer_debug}");

        // Even when the wrapper does not encrypt, WrappedSecretKey's Debug omits the bytes.
        let wrapped = signer.wrap(&PlainWrapper).unwrap();
        let wrapped_debug = format!("{wrapped:?} {wrapped:#?}");
        assert_eq!(
            leaks(&wrapped_debug, &secret, &public),
            None,
            "{suite}: WrappedSecretKey Debug leaks: {wrapped_debug}"
        );
        assert!(wrapped_debug.contains("WrappedSecretKey"));
    }
    let key = [0xa7u8; 32];
    let wrapper = SoftwareKeyWrapper::new(key);
    assert_eq!(leaks(&format!("{wrapper:?}"), &key, &[]), None);
    // A P-256 key from a known scalar: the scalar is not in the Debug output.
    let scalar: [u8; 32] = core::array::from_fn(|i| i as u8 + 1);
    let signer = SoftwareSigner::p256_from_scalar(&scalar).unwrap();
    assert_eq!(leaks(&format!("{signer:?}"), &scalar, &[]), None);
}
