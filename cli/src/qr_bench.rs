//! `offline-cash qr bench`: the QR tables of docs/PERFORMANCE.md.
//!
//! ```text
//!  request URI table   a real signed request per suite; its bytes as QR text four ways
//!                      (binary, base64url, base32 = ours, base45) and the QR version needed;
//!                      then the same request in compact form (`offlinecash:C…`, the payee's
//!                      certificate by id, decision 0016) as base32
//!  animated QR table   a real ML-DSA-44 payment at depth 1 cut into parts; parts shown in
//!                      sequence with each lost at random (rate p), or shuffled: how many parts
//!                      the receiver needed against the minimum (the fragment count), in the
//!                      part version asked for (`--part-version`, 2 by default)
//!  decode cost table   (`--decode-cost` only) repair parts alone into a decoder at the bounds
//!                      of decision 0020: time of the whole decode and of a part at rank ≈ n,
//!                      bytes held
//! ```
//!
//! The wallets come from `core::testkit` at `T0` and the losses from a seeded generator, but
//! signatures are randomized: each run's payment has another checksum, which seeds the code's
//! coefficients. The means hardly move between runs; the tail does (a code over GF(q) needs
//! more than n + k parts with probability about q^-(k+1): a visible tail in version 1, q = 2,
//! and next to none in version 2, q = 256), so the table shows the 99th percentile and the
//! worst trial beside the mean.

use offline_cash_core::crypto::Suite;
use std::time::{Duration, Instant};

use offline_cash_core::qr::fountain::{self, FountainDecoder, FountainEncoder, PART_VERSION};
use offline_cash_core::qr::{PartDecoder, PartEncoder, SplitMix64, request_uri};
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::wallet::testing::payer_at_depth;
use qrcode::{EcLevel, QrCode};

use crate::CliError;
use crate::qr::DEFAULT_FRAGMENT;

/// `offline-cash qr bench` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct QrBenchArgs {
    /// Trials per row of the animated-QR table.
    #[arg(long, default_value_t = 200)]
    pub trials: usize,
    /// Payload bytes per part.
    #[arg(long, default_value_t = DEFAULT_FRAGMENT)]
    pub fragment_bytes: usize,
    /// Part version of the animated-QR table (1: repair parts over GF(2); 2: over GF(256)).
    #[arg(long, default_value_t = PART_VERSION)]
    pub part_version: u8,
    /// Print only the decode cost table (several seconds: it rebuilds a 1 MiB message).
    #[arg(long)]
    pub decode_cost: bool,
}

const AMOUNT: u64 = 1_000;

fn fail(what: impl std::fmt::Display) -> CliError {
    CliError::Child { what: format!("qr bench: {what}") }
}

const B45: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// RFC 9285 base45 (measured only: its space and `%` are not allowed in a URI).
fn base45(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    let digit = |v: usize| char::from(B45.get(v % 45).copied().unwrap_or(b'0'));
    for pair in bytes.chunks(2) {
        match pair {
            [a, b] => {
                let v = usize::from(*a) * 256 + usize::from(*b);
                out.extend([digit(v), digit(v / 45), digit(v / 2025)]);
            }
            [a] => out.extend([digit(usize::from(*a)), digit(usize::from(*a) / 45)]),
            _ => {}
        }
    }
    out
}

/// "v12" for the smallest code holding `data` at `level`, "—" if none does.
fn version(data: &[u8], level: EcLevel) -> String {
    match QrCode::with_error_correction_level(data, level) {
        Ok(code) => match code.version() {
            qrcode::Version::Normal(v) => format!("v{v}"),
            qrcode::Version::Micro(v) => format!("M{v}"),
        },
        Err(_) => "—".into(),
    }
}

/// One row of the request table.
#[derive(Debug, Clone)]
pub struct UriRow {
    /// Suite of the payee.
    pub suite: Suite,
    /// Bytes of the signed request.
    pub request_bytes: usize,
    /// (encoding, characters, version at M, version at L) of the full request.
    pub encodings: Vec<(&'static str, usize, String, String)>,
    /// Bytes of the signed compact request.
    pub compact_bytes: usize,
    /// (characters, version at M, version at L) of its `offlinecash:C…` URI.
    pub compact: (usize, String, String),
}

/// The request table: a real request per suite.
pub fn uri_table() -> Result<Vec<UriRow>, CliError> {
    let mut rows = Vec::new();
    for suite in [Suite::EcdsaP256, Suite::MlDsa44, Suite::CompositeMlDsa44EcdsaP256] {
        let issuer = TestIssuer::new(suite)?;
        let (_, payee) = payer_at_depth(&issuer, suite, 1, AMOUNT, 1, T0).map_err(fail)?;
        let (session, _) = payee.request_payment_saved(AMOUNT, T0)?;
        let frame = session.request_frame();
        let compact_uri = session.compact_request_uri()?;
        let compact_bytes = session.compact_request_frame()?.len() - 1;
        let payload = frame.get(1..).unwrap_or_default();
        let ours = request_uri(frame).map_err(fail)?;
        let b64 = format!("offlinecash:R{}", data_encoding::BASE64URL_NOPAD.encode(payload));
        let b45 = format!("OFFLINECASH:R{}", base45(payload));
        let mut encodings = Vec::new();
        for (name, text) in [
            ("binary (byte mode)", None),
            ("base64url", Some(b64)),
            ("base32 (ours)", Some(ours)),
            ("base45", Some(b45)),
        ] {
            let data = text.as_ref().map_or(payload, |t| t.as_bytes());
            encodings.push((name, data.len(), version(data, EcLevel::M), version(data, EcLevel::L)));
        }
        let c = compact_uri.as_bytes();
        let compact = (c.len(), version(c, EcLevel::M), version(c, EcLevel::L));
        rows.push(UriRow { suite, request_bytes: payload.len(), encodings, compact_bytes, compact });
    }
    Ok(rows)
}

/// Whether the next draw keeps a part that is lost with probability `p`.
fn kept(rng: &mut SplitMix64, p: f64) -> bool {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 > p
}

/// One row of the animated-QR table.
#[derive(Debug, Clone)]
pub struct FountainRow {
    /// What the channel did.
    pub channel: String,
    /// Mean parts received / minimum.
    pub mean: f64,
    /// 99th percentile of parts received / minimum over the trials.
    pub p99: f64,
    /// Worst parts received / minimum over the trials.
    pub worst: f64,
    /// Mean parts shown / minimum (lost ones included).
    pub shown: f64,
}

/// The payment the animated table moves, its fragment count, and the QR version of a part.
pub fn pq_payment(fragment_bytes: usize) -> Result<(Vec<u8>, usize, String), CliError> {
    let suite = Suite::MlDsa44;
    let issuer = TestIssuer::new(suite)?;
    let (payer, payee) = payer_at_depth(&issuer, suite, 1, AMOUNT, 1, T0).map_err(fail)?;
    let (session, _) = payee.request_payment_saved(AMOUNT, T0)?;
    let payment = payer.pay().handle_frame(session.request_frame(), T0)?.ok_or_else(|| fail("no payment"))?;
    let encoder = PartEncoder::new(&payment, fragment_bytes).map_err(fail)?;
    let part = encoder.part_text(1);
    Ok((payment, encoder.fragments(), version(part.as_bytes(), EcLevel::M)))
}

/// Moves `message`, as parts of `version`, through a lossy (`loss`) or shuffled channel
/// `trials` times.
pub fn fountain_row(
    message: &[u8],
    fragment_bytes: usize,
    version: u8,
    (loss, shuffled): (f64, bool),
    trials: usize,
) -> Result<FountainRow, CliError> {
    let encoder = PartEncoder::with_version(message, fragment_bytes, version).map_err(fail)?;
    let n = encoder.fragments();
    let (mut received, mut shown_sum) = (Vec::new(), 0usize);
    for trial in 0..trials.max(1) {
        let mut rng = SplitMix64::new(trial as u64 * 7919 + 1);
        let mut decoder = PartDecoder::new();
        let mut order: Vec<u32> = (1..=u32::try_from(4 * n).unwrap_or(u32::MAX)).collect();
        if shuffled {
            for i in (1..order.len()).rev() {
                let j = usize::try_from(rng.next_u64() % (i as u64 + 1)).unwrap_or(0);
                order.swap(i, j);
            }
        }
        let mut shown = 0;
        let mut done = false;
        for seq in order.iter().copied().chain(u32::try_from(4 * n + 1).unwrap_or(u32::MAX)..) {
            shown += 1;
            if !kept(&mut rng, loss) {
                continue;
            }
            if decoder.receive(&encoder.part_text(seq)).map_err(fail)? {
                done = true;
                break;
            }
            if shown > 100 * n {
                break;
            }
        }
        if !done {
            return Err(fail(format!("not rebuilt after {shown} parts")));
        }
        received.push(decoder.received());
        shown_sum += shown;
    }
    received.sort_unstable();
    let t = received.len() as f64 * n as f64;
    let sum: usize = received.iter().sum();
    let p99 = received.get((received.len() * 99).div_ceil(100).saturating_sub(1)).copied().unwrap_or(0);
    let worst = received.last().copied().unwrap_or(0);
    let channel = match (shuffled, loss) {
        (true, _) => "parts shuffled, none lost".to_owned(),
        (false, l) => format!("in sequence, {:.0}% lost", l * 100.0),
    };
    Ok(FountainRow {
        channel,
        mean: sum as f64 / t,
        p99: p99 as f64 / n as f64,
        worst: worst as f64 / n as f64,
        shown: shown_sum as f64 / t,
    })
}

/// One row of the decode cost table.
#[derive(Debug, Clone)]
pub struct CostRow {
    /// Part version.
    pub version: u8,
    /// Fragments `n`.
    pub fragments: usize,
    /// Bytes a fragment, `F`.
    pub fragment_len: usize,
    /// Field of the repair parts.
    pub field: fountain::Field,
    /// Parts the decoder took.
    pub parts: usize,
    /// Time in `receive`, all parts.
    pub total: Duration,
    /// Mean time of the 10 parts before the last (the last also checks the message's
    /// SHA-256), at rank about n: what each part of a hostile stream can cost. A mean, since a
    /// single part's time on a shared machine is noisy.
    pub late: Duration,
    /// Most bytes the decoder's rows held.
    pub held: usize,
}

/// The shapes of the decode cost table: (version, n, F). Today's worst (v1 at n = 4096), v2
/// there (GF(2)), v2 at both ends of its GF(256) bound, and the payment's shape.
pub const COST_SHAPES: [(u8, usize, usize); 7] =
    [(1, 4096, 256), (2, 4096, 256), (1, 256, 256), (2, 256, 256), (2, 100, 1210), (1, 23, 385), (2, 23, 385)];

/// Rebuilds a random message of `fragments` × `fragment_len` bytes from repair parts of
/// `version` alone (every part dense: the decoder's worst case), timing each `receive`.
pub fn decode_cost(version: u8, fragments: usize, fragment_len: usize) -> Result<CostRow, CliError> {
    let mut rng = SplitMix64::new((fragments * fragment_len) as u64);
    let message: Vec<u8> = (0..fragments * fragment_len).map(|_| rng.next_u64() as u8).collect();
    let encoder = FountainEncoder::with_version(&message, fragment_len, version).map_err(fail)?;
    if encoder.fragments() != fragments {
        return Err(fail(format!("{} B do not cut into {fragments} fragments", message.len())));
    }
    let mut decoder = FountainDecoder::new();
    let (mut total, mut times, mut held) = (Duration::ZERO, Vec::new(), 0);
    let first = u32::try_from(fragments).map_err(fail)? + 1;
    for seq in first..first.saturating_mul(4) {
        let part = encoder.part(seq);
        let start = Instant::now();
        let done = decoder.receive(&part).map_err(fail)?;
        let took = start.elapsed();
        total += took;
        if done {
            break;
        }
        times.push(took);
        held = held.max(decoder.held_bytes());
    }
    if decoder.message() != Some(&message[..]) {
        return Err(fail(format!("v{version} n = {fragments}: not rebuilt")));
    }
    let field = encoder.field();
    let last = times.get(times.len().saturating_sub(10)..).unwrap_or_default();
    let late = last.iter().sum::<Duration>() / u32::try_from(last.len().max(1)).unwrap_or(1);
    Ok(CostRow { version, fragments, fragment_len, field, parts: decoder.received(), total, late, held })
}

fn print_decode_cost() -> Result<(), CliError> {
    println!("## Decoder cost: repair parts only, each `receive` timed\n");
    println!("| version | n | F (B) | field | parts taken | decode (ms) | late part (µs) | rows held (B) |");
    println!("|---:|---:|---:|---|---:|---:|---:|---:|");
    for (version, n, f) in COST_SHAPES {
        let r = decode_cost(version, n, f)?;
        println!(
            "| {} | {} | {} | {:?} | {} | {:.1} | {} | {} |",
            r.version,
            r.fragments,
            r.fragment_len,
            r.field,
            r.parts,
            r.total.as_secs_f64() * 1e3,
            r.late.as_micros(),
            r.held
        );
    }
    Ok(())
}

/// `offline-cash qr bench`: prints the request and animated-QR tables, or with
/// `--decode-cost` the decoder cost table alone.
pub fn run(args: &QrBenchArgs) -> Result<(), CliError> {
    if args.decode_cost {
        return print_decode_cost();
    }
    println!("## Payment request URI: one QR code?\n");
    println!("| suite | request B | encoding | chars | QR at M | QR at L |");
    println!("|---|---:|---|---:|---|---|");
    for row in uri_table()? {
        let suite = crate::suite_name(row.suite);
        for (name, chars, m, l) in &row.encodings {
            println!("| {suite} | {} | {name} | {chars} | {m} | {l} |", row.request_bytes);
        }
        let (chars, m, l) = &row.compact;
        println!("| {suite} | {} (compact) | base32, `offlinecash:C` | {chars} | {m} | {l} |", row.compact_bytes);
    }
    let (payment, n, part_version) = pq_payment(args.fragment_bytes)?;
    println!(
        "\n## Animated QR: ML-DSA-44 payment at depth 1, {} B, {} B per part → minimum {n} parts (QR {part_version} at M each), part version {}\n",
        payment.len(),
        args.fragment_bytes,
        args.part_version
    );
    println!(
        "| channel ({} trials) | parts received / minimum (mean) | p99 | worst | parts shown / minimum (mean) |",
        args.trials
    );
    println!("|---|---:|---:|---:|---:|");
    for (loss, shuffled) in [(0.0, false), (0.1, false), (0.25, false), (0.5, false), (0.0, true)] {
        let r = fountain_row(&payment, args.fragment_bytes, args.part_version, (loss, shuffled), args.trials)?;
        println!("| {} | {:.3} | {:.3} | {:.3} | {:.3} |", r.channel, r.mean, r.p99, r.worst, r.shown);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn a_pq_payment_needs_at_most_one_and_a_half_times_the_minimum_parts_on_average() {
        let (payment, n, _) = pq_payment(DEFAULT_FRAGMENT).unwrap();
        assert!(payment.len() > 8_000 && n > 20, "{} B in {n} parts", payment.len());
        for (loss, shuffled) in [(0.0, false), (0.25, false), (0.5, false), (0.0, true)] {
            let row = fountain_row(&payment, DEFAULT_FRAGMENT, PART_VERSION, (loss, shuffled), 30).unwrap();
            assert!(row.mean <= 1.5, "{}: {row:?}", row.channel);
            assert!(row.p99 <= row.worst && row.mean <= row.worst, "{row:?}");
        }
        let perfect = fountain_row(&payment, DEFAULT_FRAGMENT, PART_VERSION, (0.0, false), 1).unwrap();
        assert_eq!(perfect.mean, 1.0, "nothing lost: the fragments alone");
    }

    /// A fixed message of the payment's size, so this tail is the same on every run: the
    /// code's coefficients come from the message's checksum, the losses from seeded draws.
    /// In version 2 (GF(256)) no trial of 200 needs more than n + 2 parts (23 → 25, 1.087);
    /// version 1 (GF(2)) is kept to its old bounds.
    #[test]
    fn the_tail_for_a_fixed_message_stays_within_one_and_a_half_times_the_minimum() {
        let message: Vec<u8> = (0..8_841u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for channel in [(0.1, false), (0.25, false), (0.5, false), (0.0, true)] {
            let row = fountain_row(&message, DEFAULT_FRAGMENT, PART_VERSION, channel, 200).unwrap();
            assert!(row.mean <= 1.02 && row.worst <= 25.0 / 23.0 + 1e-9, "{}: {row:?}", row.channel);
            let v1 = fountain_row(&message, DEFAULT_FRAGMENT, 1, channel, 200).unwrap();
            assert!(v1.mean <= 1.15 && v1.p99 <= 1.5, "{}: {v1:?}", v1.channel);
        }
    }

    #[test]
    fn the_decoder_rebuilds_from_repair_parts_alone_in_either_field() {
        for (version, n, f) in [(2, 40, 100), (1, 40, 100), (2, 400, 30)] {
            let row = decode_cost(version, n, f).unwrap();
            let field = if (version, n) == (2, 40) { fountain::Field::Gf256 } else { fountain::Field::Gf2 };
            assert_eq!(row.field, field, "{row:?}");
            assert!(row.parts >= n && row.held <= n * (n + f), "{row:?}");
        }
    }

    #[test]
    fn base45_matches_rfc_9285() {
        assert_eq!(base45(b"AB"), "BB8");
        assert_eq!(base45(b"Hello!!"), "%69 VD92EX0");
    }

    #[test]
    fn a_p256_request_fits_one_code_and_an_ml_dsa_request_only_in_compact_form() {
        let rows = uri_table().unwrap();
        let ours = |i: usize| rows[i].encodings.iter().find(|e| e.0 == "base32 (ours)").unwrap().clone();
        assert_eq!(ours(0).2, "v13");
        assert_eq!(ours(1).3, "—");
        // Compact: smaller for P-256, one code at level L for ML-DSA-44 (not at M).
        let (p256, pq) = (&rows[0].compact, &rows[1].compact);
        assert!(p256.0 < ours(0).1 && p256.1 == "v9", "{p256:?}");
        assert_eq!((pq.1.as_str(), pq.2.as_str()), ("—", "v39"), "{pq:?}");
    }
}
