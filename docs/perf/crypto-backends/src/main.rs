//! Times P-256 verify and sign under `p256` 0.13, `ring` 0.17 and `aws-lc-rs` 1, and ML-DSA-44
//! verify and sign with pqcrypto-mldsa's portable ("clean") and AVX2 code and with libcrux-ml-dsa
//! (its run-time dispatch, which picks AVX2 here, and its portable code), all in one process.
//!
//! Method: ROUNDS rounds; in each round every contestant runs OPS operations back to back and
//! its thread CPU time per operation is recorded; contestants take turns inside a round, so
//! load from other processes falls on all of them alike. Printed: median and min per contestant
//! and each median's ratio to the reference (ring for P-256, AVX2 for ML-DSA).

use std::hint::black_box;

const ROUNDS: usize = 15;
const OPS: usize = 200;

fn cpu_ns() -> u128 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128
}

fn per_op_us(ops: usize, mut f: impl FnMut()) -> f64 {
    let start = cpu_ns();
    for _ in 0..ops {
        f();
    }
    (cpu_ns() - start) as f64 / ops as f64 / 1000.0
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn race(title: &str, reference: &str, contestants: &mut [(&str, usize, Box<dyn FnMut()>)]) {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); contestants.len()];
    for _ in 0..ROUNDS {
        for (i, (_, ops, f)) in contestants.iter_mut().enumerate() {
            times[i].push(per_op_us(*ops, f));
        }
    }
    let medians: Vec<f64> = times.iter_mut().map(|t| median(t)).collect();
    let reference_median = contestants
        .iter()
        .position(|(name, _, _)| *name == reference)
        .map(|i| medians[i])
        .unwrap();
    println!("\n{title} (CPU µs per operation, {ROUNDS} interleaved rounds)");
    println!("{:<28} {:>10} {:>10} {:>12}", "", "median", "min", format!("× {reference}"));
    for (i, (name, _, _)) in contestants.iter().enumerate() {
        let min = times[i].iter().cloned().fold(f64::INFINITY, f64::min);
        println!("{name:<28} {:>10.1} {:>10.1} {:>12.2}", medians[i], min, medians[i] / reference_median);
    }
}

fn main() {
    use p256::ecdsa::signature::{Signer as _, Verifier as _};
    use rand_core::OsRng;

    // One key and one message, signed once; every backend verifies the same bytes.
    let message = b"OfflineCash/1 ecdsa-p256 0123456789abcdef0123456789abcdef".to_vec();
    let sk = p256::ecdsa::SigningKey::random(&mut OsRng);
    let vk = *sk.verifying_key();
    let sig: p256::ecdsa::Signature = sk.sign(&message);
    let sig = sig.normalize_s().unwrap_or(sig);
    let raw_sig = sig.to_bytes().to_vec();
    let compressed = vk.to_encoded_point(true).as_bytes().to_vec();
    let uncompressed = vk.to_encoded_point(false).as_bytes().to_vec();
    let secret = sk.to_bytes().to_vec();

    let ring_vk = ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, uncompressed.clone());
    let aws_vk =
        aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED, uncompressed.clone());
    assert!(ring_vk.verify(&message, &raw_sig).is_ok());
    assert!(aws_vk.verify(&message, &raw_sig).is_ok());

    let ring_rng = ring::rand::SystemRandom::new();
    let ring_sk = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &secret,
        &uncompressed,
        &ring_rng,
    )
    .unwrap();
    let aws_rng = aws_lc_rs::rand::SystemRandom::new();
    let aws_sk = aws_lc_rs::signature::EcdsaKeyPair::from_private_key_and_public_key(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &secret,
        &uncompressed,
    )
    .unwrap();

    let (m1, m2, m3, m4, m5, m6) =
        (message.clone(), message.clone(), message.clone(), message.clone(), message.clone(), message.clone());
    let (s1, s2, s3) = (raw_sig.clone(), raw_sig.clone(), raw_sig.clone());
    let c1 = compressed.clone();
    let (m7, s4) = (message.clone(), raw_sig.clone());
    race(
        "P-256 verify",
        "ring 0.17",
        &mut [
            ("p256 0.13 (parsed key)", OPS, Box::new(move || {
                let sig = p256::ecdsa::Signature::from_slice(&s1).unwrap();
                assert!(vk.verify(black_box(&m1), &sig).is_ok());
            })),
            ("p256 0.13 (key from wire)", OPS, Box::new(move || {
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(black_box(&c1)).unwrap();
                let sig = p256::ecdsa::Signature::from_slice(&s4).unwrap();
                assert!(key.verify(&m7, &sig).is_ok());
            })),
            ("ring 0.17", OPS, Box::new(move || assert!(ring_vk.verify(black_box(&m2), &s2).is_ok()))),
            ("aws-lc-rs 1", OPS, Box::new(move || assert!(aws_vk.verify(black_box(&m3), &s3).is_ok()))),
        ],
    );
    let c2 = compressed.clone();
    race(
        "P-256 decompress a wire key (once per key, then cached)",
        "p256 0.13",
        &mut [("p256 0.13", OPS, Box::new(move || {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(black_box(&c2)).unwrap();
            black_box(key.to_encoded_point(false));
        }))],
    );
    race(
        "P-256 sign",
        "ring 0.17 (random k)",
        &mut [
            ("p256 0.13 (RFC 6979)", OPS, Box::new(move || {
                let sig: p256::ecdsa::Signature = sk.sign(black_box(&m4));
                black_box(sig.normalize_s());
            })),
            ("ring 0.17 (random k)", OPS, Box::new(move || {
                black_box(ring_sk.sign(&ring_rng, black_box(&m5)).unwrap());
            })),
            ("aws-lc-rs 1 (random k)", OPS, Box::new(move || {
                black_box(aws_sk.sign(&aws_rng, black_box(&m6)).unwrap());
            })),
        ],
    );

    ml_dsa();
}

fn ml_dsa() {
    use pqcrypto_mldsa::ffi;
    use pqcrypto_mldsa::mldsa44;
    use pqcrypto_traits::sign::{DetachedSignature as _, PublicKey as _, SecretKey as _};

    assert!(std::is_x86_feature_detected!("avx2"), "this machine has no AVX2");
    let (pk, sk) = mldsa44::keypair();
    let message = b"OfflineCash/1 ml-dsa-44 0123456789abcdef0123456789abcdef".to_vec();
    let sig = mldsa44::detached_sign(&message, &sk).as_bytes().to_vec();
    let (pk, sk) = (pk.as_bytes().to_vec(), sk.as_bytes().to_vec());

    type Verify = unsafe extern "C" fn(*const u8, usize, *const u8, usize, *const u8, usize, *const u8) -> i32;
    type Sign = unsafe extern "C" fn(*mut u8, *mut usize, *const u8, usize, *const u8, usize, *const u8) -> i32;
    let verify = |f: Verify, pk: Vec<u8>, sig: Vec<u8>, m: Vec<u8>| -> Box<dyn FnMut()> {
        Box::new(move || {
            // SAFETY: lengths passed match the buffers; pk and sig have the sizes ML-DSA-44 expects.
            let rc = unsafe { f(sig.as_ptr(), sig.len(), m.as_ptr(), m.len(), std::ptr::null(), 0, pk.as_ptr()) };
            assert_eq!(rc, 0);
        })
    };
    let sign = |f: Sign, sk: Vec<u8>, m: Vec<u8>| -> Box<dyn FnMut()> {
        Box::new(move || {
            let mut out = vec![0u8; 2420];
            let mut len = 0usize;
            // SAFETY: `out` holds a full signature; sk has the size ML-DSA-44 expects.
            let rc = unsafe { f(out.as_mut_ptr(), &mut len, m.as_ptr(), m.len(), std::ptr::null(), 0, sk.as_ptr()) };
            assert_eq!(rc, 0);
            black_box(out);
        })
    };

    // libcrux-ml-dsa takes the same FIPS 204 encodings: pqcrypto's key, secret key and signature
    // as they are. Verify builds the key and signature from bytes on every call, as core's
    // wrapper does (`ml_dsa::VerifyingKey::verify` copies the signature into an array).
    use libcrux_ml_dsa::ml_dsa_44::{self as crux, MLDSA44Signature, MLDSA44SigningKey, MLDSA44VerificationKey};
    let crux_vk = MLDSA44VerificationKey::new(pk.clone().try_into().unwrap());
    let crux_sk = MLDSA44SigningKey::new(sk.clone().try_into().unwrap());
    let crux_sig = |s: &[u8]| MLDSA44Signature::new(s.try_into().unwrap());
    assert!(crux::verify(&crux_vk, &message, &[], &crux_sig(&sig)).is_ok(), "libcrux refuses pqcrypto's signature");
    assert!(crux::portable::verify(&crux_vk, &message, &[], &crux_sig(&sig)).is_ok());
    let mut bad = sig.clone();
    bad[100] ^= 1;
    assert!(crux::verify(&crux_vk, &message, &[], &crux_sig(&bad)).is_err());
    let rnd = || {
        let mut r = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut r);
        r
    };
    let crux_signed = crux::sign(&crux_sk, &message, &[], rnd()).unwrap();
    // libcrux's signature with pqcrypto's secret key verifies under pqcrypto's portable verifier.
    let detached = mldsa44::DetachedSignature::from_bytes(crux_signed.as_slice()).unwrap();
    let pq_pk = mldsa44::PublicKey::from_bytes(&pk).unwrap();
    assert!(mldsa44::verify_detached_signature(&detached, &message, &pq_pk).is_ok());

    let crux_verify = |portable: bool, vk: MLDSA44VerificationKey, sig: Vec<u8>, m: Vec<u8>| -> Box<dyn FnMut()> {
        Box::new(move || {
            let s = MLDSA44Signature::new(black_box(sig.as_slice()).try_into().unwrap());
            let r = if portable { crux::portable::verify(&vk, &m, &[], &s) } else { crux::verify(&vk, &m, &[], &s) };
            assert!(r.is_ok());
        })
    };
    let crux_sign = |portable: bool, sk: MLDSA44SigningKey, m: Vec<u8>| -> Box<dyn FnMut()> {
        Box::new(move || {
            let r = rnd();
            let s = if portable { crux::portable::sign(&sk, &m, &[], r) } else { crux::sign(&sk, &m, &[], r) };
            black_box(s.unwrap());
        })
    };
    race(
        "ML-DSA-44 verify",
        "AVX2",
        &mut [
            ("clean (portable C)", OPS, verify(ffi::PQCLEAN_MLDSA44_CLEAN_crypto_sign_verify_ctx, pk.clone(), sig.clone(), message.clone())),
            ("AVX2", OPS, verify(ffi::PQCLEAN_MLDSA44_AVX2_crypto_sign_verify_ctx, pk.clone(), sig.clone(), message.clone())),
            ("libcrux 0.0.11 (dispatch)", OPS, crux_verify(false, crux_vk.clone(), sig.clone(), message.clone())),
            ("libcrux 0.0.11 portable", OPS, crux_verify(true, crux_vk.clone(), sig.clone(), message.clone())),
        ],
    );
    race(
        "ML-DSA-44 sign",
        "AVX2",
        &mut [
            ("clean (portable C)", OPS / 4, sign(ffi::PQCLEAN_MLDSA44_CLEAN_crypto_sign_signature_ctx, sk.clone(), message.clone())),
            ("AVX2", OPS / 4, sign(ffi::PQCLEAN_MLDSA44_AVX2_crypto_sign_signature_ctx, sk.clone(), message.clone())),
            ("libcrux 0.0.11 (dispatch)", OPS / 4, crux_sign(false, crux_sk.clone(), message.clone())),
            ("libcrux 0.0.11 portable", OPS / 4, crux_sign(true, crux_sk.clone(), message.clone())),
        ],
    );
}
