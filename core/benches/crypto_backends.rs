//! The signature checks settlement is bound by, against the libraries underneath, in one run:
//! P-256 verify through our `PublicKey::verify` (ring) against `ring` called directly and
//! against `p256` 0.13 (the code before decision 0009); ML-DSA-44 verify through our path
//! against the portable C entry point it wraps. Also signing: ours (`SoftwareSigner`, on ring
//! since decision 0009's amendment) against ring and `p256` called directly.
//!
//! ```text
//!  ROUNDS rounds × every contestant × OPS operations   (contestants take turns in a round,
//!  each round starting with the next one → per-operation time per round → median per
//!  contestant → ratio to the reference)
//! ```
//!
//! Run: `cargo bench -p offline-cash-core --bench crypto_backends` (under a minute). Target
//! (issue 16): ours ≤ 1.2× ring for P-256 verify and sign; the bench prints `ok` or `MISSED` and fails
//! nothing: it is a measurement. aws-lc-rs and pqcrypto-mldsa's AVX2 code are timed in
//! docs/perf/crypto-backends, kept out of the workspace build (decision 0009).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, unsafe_code)]

use std::hint::black_box;
use std::time::Instant;

use offline_cash_core::crypto::{PublicKey, Signature, Signer, SoftwareSigner, Suite, signing_message};

const ROUNDS: usize = 21;
const OPS: usize = 100;

type Contestant<'a> = (&'a str, Box<dyn FnMut() + 'a>);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Runs the contestants in turns and prints median µs per operation and the ratio to
/// `reference`; returns the medians by name.
fn race(title: &str, reference: &str, ops: usize, contestants: &mut [Contestant<'_>]) -> Vec<(String, f64)> {
    let mut times = vec![Vec::with_capacity(ROUNDS); contestants.len()];
    let n = contestants.len();
    for round in 0..ROUNDS {
        // Each round starts with another contestant, so no one always runs first or last.
        for i in (0..n).map(|k| (k + round) % n) {
            let f = &mut contestants[i].1;
            let start = Instant::now();
            for _ in 0..ops {
                f();
            }
            times[i].push(start.elapsed().as_nanos() as f64 / ops as f64 / 1000.0);
        }
    }
    let medians: Vec<(String, f64)> =
        contestants.iter().zip(times).map(|((name, _), t)| ((*name).to_string(), median(t))).collect();
    let base = medians.iter().find(|(n, _)| n == reference).map(|(_, m)| *m).unwrap();
    println!("\n{title}: median µs per operation over {ROUNDS} interleaved rounds of {ops}");
    for (name, m) in &medians {
        println!("  {name:<34} {m:>9.1} µs  {:>6.2}× {reference}", m / base);
    }
    medians
}

fn verdict(what: &str, medians: &[(String, f64)], ours: &str, reference: &str, target: f64) {
    let get = |n: &str| medians.iter().find(|(m, _)| m == n).map(|(_, v)| *v).unwrap();
    let ratio = get(ours) / get(reference);
    let mark = if ratio <= target { "ok" } else { "MISSED" };
    println!("  target {what}: {ours} ≤ {target}× {reference}: {ratio:.2}× {mark}");
}

fn p256() {
    use p256::ecdsa::signature::{Signer as _, Verifier as _};

    let signer = SoftwareSigner::p256_from_scalar(&[0x42; 32]).unwrap();
    let message = signing_message(Suite::EcdsaP256, &[7; 32]);
    let sig = signer.sign(&message).unwrap();
    let key = signer.public_key();
    let old_key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key.as_bytes()).unwrap();
    let uncompressed = old_key.to_encoded_point(false).as_bytes().to_vec();
    let ring_key = ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &uncompressed);
    let raw = sig.as_bytes().to_vec();
    let medians = race(
        "P-256 verify",
        "ring 0.17 direct",
        OPS,
        &mut [
            (
                "p256 0.13 (before)",
                Box::new(|| {
                    let s = p256::ecdsa::Signature::from_slice(&raw).unwrap();
                    assert!(old_key.verify(black_box(&message), &s).is_ok());
                }),
            ),
            ("ring 0.17 direct", Box::new(|| assert!(ring_key.verify(black_box(&message), &raw).is_ok()))),
            ("ours: PublicKey::verify", Box::new(|| assert!(key.verify(black_box(&message), &sig).is_ok()))),
            (
                "ours: from_bytes + verify",
                Box::new(|| {
                    let k = PublicKey::from_bytes(Suite::EcdsaP256, black_box(key.as_bytes())).unwrap();
                    assert!(k.verify(&message, &sig).is_ok());
                }),
            ),
        ],
    );
    verdict("P-256 verify", &medians, "ours: PublicKey::verify", "ring 0.17 direct", 1.2);

    let secret = p256::ecdsa::SigningKey::from_slice(&[0x42; 32]).unwrap();
    let rng = ring::rand::SystemRandom::new();
    let ring_signer = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &[0x42; 32],
        &uncompressed,
        &rng,
    )
    .unwrap();
    let medians = race(
        "P-256 sign",
        "ring 0.17 direct (random k)",
        OPS,
        &mut [
            (
                "p256 0.13 direct (RFC 6979)",
                Box::new(|| {
                    let s: p256::ecdsa::Signature = secret.sign(black_box(&message));
                    black_box(s);
                }),
            ),
            (
                "ring 0.17 direct (random k)",
                Box::new(|| {
                    black_box(ring_signer.sign(&rng, black_box(&message)).unwrap());
                }),
            ),
            (
                "ours: SoftwareSigner::sign",
                Box::new(|| {
                    black_box(signer.sign(black_box(&message)).unwrap());
                }),
            ),
            (
                "ring direct + our low-S fold",
                Box::new(|| {
                    let raw = ring_signer.sign(&rng, black_box(&message)).unwrap();
                    black_box(Signature::from_p256_raw_any_s(raw.as_ref()).unwrap());
                }),
            ),
            (
                "our low-S fold alone",
                Box::new(|| {
                    black_box(Signature::from_p256_raw_any_s(black_box(&raw)).unwrap());
                }),
            ),
        ],
    );
    // Ours is ring plus the fold to low S.
    verdict("P-256 sign", &medians, "ours: SoftwareSigner::sign", "ring 0.17 direct (random k)", 1.2);
}

type CVerify = unsafe extern "C" fn(*const u8, usize, *const u8, usize, *const u8, usize, *const u8) -> i32;

fn c_verify(f: CVerify, pk: &[u8], sig: &[u8], m: &[u8]) -> bool {
    // SAFETY: every pointer comes with its buffer's true length; `pk` is an ML-DSA-44 public
    // key (1,312 bytes), the length the C code reads.
    unsafe { f(sig.as_ptr(), sig.len(), m.as_ptr(), m.len(), std::ptr::null(), 0, pk.as_ptr()) == 0 }
}

/// Our ML-DSA-44 path against the portable C entry point it wraps (the AVX2 code is off, see
/// decision 0009; docs/perf/crypto-backends times it).
fn ml_dsa() {
    use pqcrypto_mldsa::ffi;

    let signer = SoftwareSigner::generate(Suite::MlDsa44).unwrap();
    let message = signing_message(Suite::MlDsa44, &[7; 32]);
    let sig: Signature = signer.sign(&message).unwrap();
    let key = signer.public_key();
    let pk = key.as_bytes().to_vec();
    let raw = sig.as_bytes().to_vec();
    race(
        "ML-DSA-44 verify",
        "portable C direct",
        OPS,
        &mut [
            (
                "portable C direct",
                Box::new(|| {
                    assert!(c_verify(
                        ffi::PQCLEAN_MLDSA44_CLEAN_crypto_sign_verify_ctx,
                        &pk,
                        &raw,
                        black_box(&message)
                    ));
                }),
            ),
            ("ours: PublicKey::verify", Box::new(|| assert!(key.verify(black_box(&message), &sig).is_ok()))),
        ],
    );
    race(
        "ML-DSA-44 sign",
        "ours: SoftwareSigner::sign",
        OPS / 4,
        &mut [(
            "ours: SoftwareSigner::sign",
            Box::new(|| {
                black_box(signer.sign(black_box(&message)).unwrap());
            }),
        )],
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects "p256" or "ml-dsa".
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    if wanted("p256") {
        p256();
    }
    if wanted("ml-dsa") {
        ml_dsa();
    }
}
