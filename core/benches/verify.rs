//! Signing, verification and chain verification cost per suite, and what a hop costs in bytes.
//!
//! ```text
//!  per suite:  sign, verify (one signature)
//!  per suite × depth d ∈ {1, 4, 8, 16}:
//!     cold: bundle carries d certificates → 1 note + d links + d certificates = 2d + 1 verifications
//!     warm: certificates already in the CertificateStore → 1 note + d links = d + 1 verifications
//!     decode: Bundle::from_bytes of the cold and warm bundles
//!  then a table: times, ratios to one verification, encoded sizes, bytes per hop vs raw minimum
//! ```
//!
//! Run: `cargo bench -p offline-cash-core --bench verify` (about three minutes). The table
//! is computed from the very samples criterion measured (`iter_custom`), medians of the
//! per-iteration times of the measured samples. For the ratios, each bundle run is paired with
//! `n` single verifications timed right after it, so both sides of a ratio come from the same
//! moment even when the machine's load changes during the run. Pass a criterion filter to run a subset; rows
//! that were not measured print `-`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, HashSet};
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::Criterion;
use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite, signing_message};
use offline_cash_core::testkit::{Fixture, certificates};
use offline_cash_core::token::{Bundle, CertificateStore, VerifyContext, WalletId, verify_bundle};

const DEPTHS: [usize; 4] = [1, 4, 8, 16];
const SAMPLES: usize = 10;

/// Per-iteration times (ns) of every sample criterion took, by benchmark name.
static TIMES: Mutex<BTreeMap<String, Vec<f64>>> = Mutex::new(BTreeMap::new());

/// Benchmarks `f` under `name`, recording each sample's per-iteration time for the table.
fn bench(c: &mut Criterion, name: &str, mut f: impl FnMut()) {
    let key = name.to_string();
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            let elapsed = start.elapsed();
            let per_iter = elapsed.as_nanos() as f64 / iters.max(1) as f64;
            TIMES.lock().unwrap().entry(key.clone()).or_default().push(per_iter);
            elapsed
        });
    });
}

/// Benchmarks `f` under `name` and, interleaved with every iteration, `n` runs of `baseline`
/// (one signature verification), recorded under `name` + `#base` as time per baseline run.
/// Pairing the two in the same time window keeps the ratio honest on a machine whose load
/// changes while the bench runs (the baseline time is not reported to criterion).
fn bench_paired(c: &mut Criterion, name: &str, n: usize, mut f: impl FnMut(), mut baseline: impl FnMut()) {
    let key = name.to_string();
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let (mut measured, mut base) = (Duration::ZERO, Duration::ZERO);
            for _ in 0..iters {
                let start = Instant::now();
                f();
                measured += start.elapsed();
                let start = Instant::now();
                for _ in 0..n {
                    baseline();
                }
                base += start.elapsed();
            }
            let per_iter = measured.as_nanos() as f64 / iters.max(1) as f64;
            let per_base = base.as_nanos() as f64 / (iters.max(1) as f64 * n as f64);
            let mut times = TIMES.lock().unwrap();
            times.entry(key.clone()).or_default().push(per_iter);
            times.entry(format!("{key}#base")).or_default().push(per_base);
            measured
        });
    });
}

/// Median per-iteration time (µs) of the measured samples (the last `SAMPLES` recorded; the
/// earlier ones are criterion's warm-up).
fn micros(name: &str) -> Option<f64> {
    let times = TIMES.lock().unwrap();
    let all = times.get(name)?;
    let mut last: Vec<f64> = all.iter().rev().take(SAMPLES).copied().collect();
    last.sort_by(f64::total_cmp);
    last.get(last.len() / 2).map(|ns| ns / 1_000.0)
}

/// A chain of depth `d` as a cold and a warm bundle, with the verifier's stores.
struct Case {
    fixture: Fixture,
    empty: CertificateStore,
    cold: Bundle,
    warm: Bundle,
}

impl Case {
    fn new(suite: Suite, depth: usize) -> Self {
        let mut fixture = Fixture::new(suite).unwrap();
        let (wallets, chain) = fixture.chain_of_depth(suite, depth, 1_000).unwrap();
        let certs = certificates(&wallets);
        let cold = Bundle::from_chains(std::slice::from_ref(&chain), &certs, &HashSet::new()).unwrap();
        let mut known = CertificateStore::new();
        for cert in &certs {
            known.insert(cert.clone(), &fixture.trust).unwrap();
        }
        let omit: HashSet<WalletId> = known.wallets().copied().collect();
        let warm = Bundle::from_chains(&[chain], &[], &omit).unwrap();
        fixture.known = known;
        assert_eq!(cold.certificates.len(), depth);
        assert!(warm.certificates.is_empty());
        Self { fixture, empty: CertificateStore::new(), cold, warm }
    }

    fn cold_context(&self) -> VerifyContext<'_> {
        VerifyContext { known_certificates: &self.empty, ..self.fixture.context() }
    }
}

fn benches(c: &mut Criterion) {
    for suite in Suite::ALL {
        let signer = SoftwareSigner::generate(suite).unwrap();
        let key = signer.public_key();
        let message = signing_message(suite, &[7; 32]);
        let sig = signer.sign(&message).unwrap();
        bench(c, &format!("sign/{suite}"), || {
            black_box(signer.sign(black_box(&message)).unwrap());
        });
        bench(c, &format!("verify/{suite}"), || {
            key.verify(black_box(&message), black_box(&sig)).unwrap();
        });

        for depth in DEPTHS {
            let case = Case::new(suite, depth);
            let (cold_ctx, warm_ctx) = (case.cold_context(), case.fixture.context());
            // Both must verify, or the timings mean nothing.
            assert_eq!(verify_bundle(&case.cold, &cold_ctx).unwrap().coins[0].depth as usize, depth);
            assert_eq!(verify_bundle(&case.warm, &warm_ctx).unwrap().coins[0].depth as usize, depth);
            let one = || key.verify(black_box(&message), black_box(&sig)).unwrap();
            bench_paired(
                c,
                &format!("verify_bundle_cold/{suite}/{depth}"),
                2 * depth + 1,
                || {
                    black_box(verify_bundle(black_box(&case.cold), &cold_ctx).unwrap());
                },
                one,
            );
            bench_paired(
                c,
                &format!("verify_bundle_warm/{suite}/{depth}"),
                depth + 1,
                || {
                    black_box(verify_bundle(black_box(&case.warm), &warm_ctx).unwrap());
                },
                one,
            );
            let (cold_bytes, warm_bytes) = (case.cold.to_bytes(), case.warm.to_bytes());
            bench(c, &format!("decode_cold/{suite}/{depth}"), || {
                black_box(Bundle::from_bytes(black_box(&cold_bytes)).unwrap());
            });
            bench(c, &format!("decode_warm/{suite}/{depth}"), || {
                black_box(Bundle::from_bytes(black_box(&warm_bytes)).unwrap());
            });
        }
    }
}

fn show(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.1}"))
}

fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.3}"))
}

fn timing_table() {
    println!("\n== One signature (median µs) ==");
    println!("{:<10} {:>10} {:>10}", "suite", "sign", "verify");
    for suite in Suite::ALL {
        println!(
            "{:<10} {:>10} {:>10}",
            suite.name(),
            show(micros(&format!("sign/{suite}"))),
            show(micros(&format!("verify/{suite}")))
        );
    }

    println!("\n== verify_bundle of one chain of depth d (median µs) ==");
    println!("cold: d certificates carried and verified, 2d+1 signature verifications");
    println!("warm: certificates already held, d+1 signature verifications (genesis note + d links)");
    println!("v = one verification of the suite, measured interleaved with each bundle run (paired);");
    println!("    the stand-alone `verify/<suite>` figure above is shown for comparison");
    println!(
        "{:<10} {:>3} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11} {:>11} {:>11}",
        "suite",
        "d",
        "cold",
        "warm",
        "v_paired",
        "dec_warm",
        "cold/n·v",
        "warm/n·v",
        "warm/(d·v)",
        "(w+dec)/dv",
        "≤1.15?"
    );
    for suite in Suite::ALL {
        for d in DEPTHS {
            let cold = micros(&format!("verify_bundle_cold/{suite}/{d}"));
            let warm = micros(&format!("verify_bundle_warm/{suite}/{d}"));
            let one_cold = micros(&format!("verify_bundle_cold/{suite}/{d}#base"));
            let one = micros(&format!("verify_bundle_warm/{suite}/{d}#base"));
            let dec_warm = micros(&format!("decode_warm/{suite}/{d}"));
            let df = d as f64;
            let per = |t: Option<f64>, n: f64, v: Option<f64>| Some(t? / (n * v?));
            let target = per(warm, df, one);
            let with_decode = (|| Some((warm? + dec_warm?) / (df * one?)))();
            let met = with_decode.map_or("-", |r| if r <= 1.15 { "yes" } else { "no" });
            println!(
                "{:<10} {:>3} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11} {:>11} {:>11}",
                suite.name(),
                d,
                show(cold),
                show(warm),
                show(one),
                show(dec_warm),
                ratio(per(cold, 2.0 * df + 1.0, one_cold)),
                ratio(per(warm, df + 1.0, one)),
                ratio(target),
                ratio(with_decode),
                met
            );
        }
    }

    println!("\n== Bundle decode, Bundle::from_bytes (median µs) ==");
    println!("{:<10} {:>3} {:>10} {:>10}", "suite", "d", "cold", "warm");
    for suite in Suite::ALL {
        for d in DEPTHS {
            let cold = micros(&format!("decode_cold/{suite}/{d}"));
            let warm = micros(&format!("decode_warm/{suite}/{d}"));
            println!("{:<10} {:>3} {:>10} {:>10}", suite.name(), d, show(cold), show(warm));
        }
    }
}

fn size_table() {
    println!("\n== Encoded bundle size (bytes) and bytes per hop ==");
    println!("per hop = (size(d) − size(0)) / d, where size(0) is the bundle of the bare genesis note");
    println!(
        "{:<10} {:>3} {:>9} {:>9} {:>12} {:>12} {:>12} {:>12}",
        "suite", "d", "cold", "warm", "hop cold", "hop warm", "raw hop cold", "raw hop warm"
    );
    for suite in Suite::ALL {
        let base = Case::new(suite, 0).cold.to_bytes().len();
        let (raw_link, raw_cert) = raw_hop(suite);
        for d in DEPTHS {
            let case = Case::new(suite, d);
            let (cold, warm) = (case.cold.to_bytes().len(), case.warm.to_bytes().len());
            let per = |size: usize| (size - base) as f64 / d as f64;
            println!(
                "{:<10} {:>3} {:>9} {:>9} {:>12.1} {:>12.1} {:>12} {:>12}",
                suite.name(),
                d,
                cold,
                warm,
                per(cold),
                per(warm),
                raw_link + raw_cert,
                raw_link
            );
        }
    }
}

/// Raw minimum of one hop: (link, certificate) as packed fixed-width fields plus the
/// signature and public key, with no framing.
///
/// link: parent id 32 + owner 32 + amount 8 + counter 8 + payee nonce 16 + time 8 + signature.
/// certificate: public key + customer ref + not_before 8 + not_after 8 + currency 3 +
/// two limits 16 + issuer key id 4 + signature.
fn raw_hop(suite: Suite) -> (usize, usize) {
    let customer_ref = b"customer".len();
    let link = 32 + 32 + 8 + 8 + 16 + 8 + suite.signature_len();
    let cert = suite.public_key_len() + customer_ref + 8 + 8 + 3 + 16 + 4 + suite.signature_len();
    (link, cert)
}

fn hop_table() {
    println!("\n== One hop, byte by byte (fixture values: one output, amount 1000, counter 1, time ≈ 1.79e9) ==");
    println!(
        "{:<10} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>9} {:>10} {:>10}",
        "suite", "link", "raw", "over%", "cert", "raw", "over%", "hop", "raw hop", "over%"
    );
    for suite in Suite::ALL {
        let case = Case::new(suite, 1);
        let link = case.cold.links[0].to_bytes().len();
        let cert = case.cold.certificates[0].to_bytes().len();
        let (raw_link, raw_cert) = raw_hop(suite);
        let pct = |enc: usize, raw: usize| 100.0 * (enc as f64 - raw as f64) / raw as f64;
        println!(
            "{:<10} {:>8} {:>8} {:>+8.2} {:>9} {:>8} {:>+8.2} {:>9} {:>10} {:>+10.2}",
            suite.name(),
            link,
            raw_link,
            pct(link, raw_link),
            cert,
            raw_cert,
            pct(cert, raw_cert),
            link + cert,
            raw_link + raw_cert,
            pct(link + cert, raw_link + raw_cert)
        );
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1_200))
        .sample_size(SAMPLES)
        .configure_from_args();
    benches(&mut c);
    c.final_summary();
    timing_table();
    size_table();
    hop_table();
}
