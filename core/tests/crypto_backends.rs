//! The library under P-256 verification and software signing (decision 0009): `ring`, which
//! must accept exactly what the `p256` code accepted before (old signatures, and canonical
//! low-S ones only), and whose signatures must come out canonical.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::crypto::{CryptoError, PublicKey, Signature, Signer, SoftwareSigner, Suite, signing_message};
use p256::ecdsa::signature::Signer as _;

fn message(i: u8) -> Vec<u8> {
    signing_message(Suite::EcdsaP256, &[i; 32])
}

/// Signatures made by `p256` 0.13 (RFC 6979, what every signature made so far is) verify.
#[test]
fn signatures_made_by_p256_crate_still_verify() {
    let secret = p256::ecdsa::SigningKey::from_slice(&[0x42; 32]).unwrap();
    let key = PublicKey::from_p256_sec1(secret.verifying_key().to_encoded_point(true).as_bytes()).unwrap();
    for i in 0..32 {
        let sig: p256::ecdsa::Signature = secret.sign(&message(i));
        let sig = Signature::from_p256_raw_any_s(&sig.to_bytes()).unwrap();
        key.verify(&message(i), &sig).unwrap();
        assert_eq!(key.verify(&message(i ^ 1), &sig), Err(CryptoError::VerificationFailed));
    }
}

/// Signatures made by `ring` (random nonces, either S) verify once folded to low S, and the
/// high-S form stays refused as before.
#[test]
fn signatures_made_by_ring_verify_in_low_s_form_only() {
    let signer = SoftwareSigner::p256_from_scalar(&[0x42; 32]).unwrap();
    let key = signer.public_key();
    let uncompressed = p256::ecdsa::VerifyingKey::from_sec1_bytes(key.as_bytes()).unwrap().to_encoded_point(false);
    let rng = ring::rand::SystemRandom::new();
    let theirs = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &[0x42; 32],
        uncompressed.as_bytes(),
        &rng,
    )
    .unwrap();
    let (mut high, mut low) = (0, 0);
    for i in 0..64 {
        let raw = theirs.sign(&rng, &message(i)).unwrap();
        match Signature::from_bytes(Suite::EcdsaP256, raw.as_ref()) {
            Ok(sig) => {
                low += 1;
                key.verify(&message(i), &sig).unwrap();
            }
            Err(e) => {
                high += 1;
                assert_eq!(e, CryptoError::NonCanonicalSignature { suite: Suite::EcdsaP256 });
            }
        }
        let folded = Signature::from_p256_raw_any_s(raw.as_ref()).unwrap();
        key.verify(&message(i), &folded).unwrap();
    }
    assert!(high > 0 && low > 0, "64 random nonces give both halves of S ({low} low, {high} high)");
}

fn numbered(suite: Suite, i: u32) -> Vec<u8> {
    let mut digest = [0u8; 32];
    digest[..4].copy_from_slice(&i.to_be_bytes());
    signing_message(suite, &digest)
}

/// Every signature the software signer makes (on ring, whose raw S is high half the time) is
/// canonical: our own strict decoder takes its bytes back and they verify. Without the fold to
/// low S this fails with probability 1 − 2⁻²⁰⁰⁰ (plain) and 1 − 2⁻¹⁵⁰ (the composite's half).
#[test]
fn every_software_signature_is_canonical_and_verifies() {
    for (suite, count) in [(Suite::EcdsaP256, 2_000), (Suite::CompositeMlDsa44EcdsaP256, 150)] {
        let signer = SoftwareSigner::generate(suite).unwrap();
        let key = signer.public_key();
        for i in 0..count {
            let m = numbered(suite, i);
            let sig = signer.sign(&m).unwrap();
            let decoded = Signature::from_bytes(suite, sig.as_bytes())
                .unwrap_or_else(|e| panic!("{suite} signature {i} refused by our decoder: {e}"));
            key.verify(&m, &decoded).unwrap_or_else(|e| panic!("{suite} signature {i} does not verify: {e}"));
        }
    }
}

/// Signing is randomized (ring draws the nonce): one message signed twice gives two different
/// signatures, both valid. Nothing may rely on re-signing reproducing bytes (decision 0009).
#[test]
fn signing_one_message_twice_gives_two_valid_signatures() {
    let signer = SoftwareSigner::p256_from_scalar(&[0x42; 32]).unwrap();
    let (a, b) = (signer.sign(&message(7)).unwrap(), signer.sign(&message(7)).unwrap());
    assert_ne!(a, b, "random nonces");
    signer.public_key().verify(&message(7), &a).unwrap();
    signer.public_key().verify(&message(7), &b).unwrap();
}

/// The test-support signer the fuzz corpora and the vectors use is RFC 6979: RFC 6979 A.2.5's
/// P-256 / SHA-256 answer for "sample" (r as given, s folded to low S), the same bytes on every
/// call, and the library verifies them.
#[test]
fn the_deterministic_test_signer_is_rfc_6979() {
    let hex =
        |s: &str| (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect::<Vec<_>>();
    let x: [u8; 32] = hex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721").try_into().unwrap();
    let signer = SoftwareSigner::p256_deterministic_from_scalar(&x).unwrap();
    let sig = signer.sign(b"sample").unwrap();
    assert_eq!(sig, signer.sign(b"sample").unwrap(), "deterministic");
    let r = hex("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716");
    let s = hex("F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8");
    let rfc = Signature::from_p256_raw_any_s(&[r.as_slice(), s.as_slice()].concat()).unwrap();
    assert_eq!(sig, rfc, "RFC 6979 A.2.5, folded to low S");
    assert_eq!(&sig.as_bytes()[..32], r.as_slice());
    signer.public_key().verify(b"sample", &sig).unwrap();
    assert!(SoftwareSigner::p256_deterministic_from_scalar(&[0; 32]).is_err(), "zero is not a key");
}

/// A signature under another key, a flipped bit, or a key given uncompressed all behave as
/// with the old code: refused, refused, and the same key (stored compressed).
#[test]
fn wrong_key_flipped_bit_and_uncompressed_key() {
    let signer = SoftwareSigner::p256_from_scalar(&[0x11; 32]).unwrap();
    let other = SoftwareSigner::p256_from_scalar(&[0x12; 32]).unwrap().public_key();
    let sig = signer.sign(&message(1)).unwrap();
    assert_eq!(other.verify(&message(1), &sig), Err(CryptoError::VerificationFailed));
    for bit in [0usize, 100, 255, 256, 400, 511] {
        let mut raw = sig.as_bytes().to_vec();
        raw[bit / 8] ^= 1 << (bit % 8);
        if let Ok(bad) = Signature::from_bytes(Suite::EcdsaP256, &raw) {
            assert_eq!(
                signer.public_key().verify(&message(1), &bad),
                Err(CryptoError::VerificationFailed),
                "bit {bit}"
            );
        }
    }
    let point = p256::ecdsa::VerifyingKey::from_sec1_bytes(signer.public_key().as_bytes()).unwrap();
    let from_uncompressed = PublicKey::from_p256_sec1(point.to_encoded_point(false).as_bytes()).unwrap();
    assert_eq!(from_uncompressed, signer.public_key());
    assert_eq!(from_uncompressed.as_bytes().len(), 33);
    from_uncompressed.verify(&message(1), &sig).unwrap();
}
