//! The `tap` benchmark: one payment through the simulated NFC field, per suite, chain depth,
//! APDU mode and whether the two wallets met before (cold: strangers; warm: a tap of 1 the
//! same way first, so each holds the other's certificate). Prints compute time (measured
//! here), the modelled link time under both models of `nfc::timing` (optimistic: 424 kbit/s,
//! 8 ms per APDU; conservative: 58.5 kbit/s, 20 ms per APDU) and the total with each, bytes each
//! way, APDU count, and for cold taps the ratio of bytes on the air to the protocol frames
//! carried. Run: `cargo bench -p offline-cash-core --bench tap`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::time::{Duration, Instant};

use offline_cash_core::crypto::Suite;
use offline_cash_core::nfc::LinkModel;
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::wallet::Wallet;
use offline_cash_core::wallet::tap::{CardRole, TapConfig, TapReport, tap};
use offline_cash_core::wallet::testing::{fund, payer_at_depth};

const AMOUNT: u64 = 1_000;
const RUNS: usize = 5;

/// The field: short or extended APDUs, with the payee (or, when `payer_card`, the payer) as
/// the card.
fn config(extended: bool, payer_card: bool) -> TapConfig {
    let mut config = TapConfig::payee_is_card(extended);
    if payer_card {
        config.role = CardRole::PayerIsCard;
    }
    config
}

/// A payer holding a note of depth `depth - 1`, and a fresh payee; when `warm`, the payer has
/// paid the payee 1 (from a fresh note of 1) in a tap the same way before.
fn setup(suite: Suite, depth: usize, seed: u8, warm: bool, tap_config: TapConfig) -> (Wallet, Wallet) {
    let issuer = TestIssuer::new(suite).unwrap();
    let (payer, payee) = payer_at_depth(&issuer, suite, depth, AMOUNT, seed, T0).unwrap();
    if warm {
        fund(&issuer, &payer, &[1], T0).unwrap();
        let request = payee.request_payment(1, T0).unwrap();
        let report = tap(payer.pay(), request, tap_config, T0).unwrap();
        assert!(report.payer_complete, "warm-up tap: {:?}", report.error());
    }
    (payer, payee)
}

fn main() {
    println!("tap: payee is the card, payer the reader; {RUNS} runs per row, median compute time");
    header();
    for suite in Suite::ALL {
        for depth in [1usize, 4, 8] {
            for extended in [false, true] {
                for warm in [false, true] {
                    row(suite, depth, extended, warm, false);
                }
            }
        }
    }
    println!();
    println!("tap: payer is the card (HCE), payee the reader (it polls for the card's hello); depth 1");
    header();
    for suite in Suite::ALL {
        for extended in [false, true] {
            for warm in [false, true] {
                row(suite, 1, extended, warm, true);
            }
        }
    }
}

fn header() {
    println!(
        "{:<10} {:>5} {:<8} {:<5} {:>6} {:>9} {:>9} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7}",
        "suite",
        "depth",
        "apdus",
        "peers",
        "count",
        "to card",
        "to reader",
        "compute",
        "link opt",
        "total opt",
        "link cons",
        "total cons",
        "air/fr"
    );
}

fn row(suite: Suite, depth: usize, extended: bool, warm: bool, payer_card: bool) {
    let tap_config = config(extended, payer_card);
    let mut computes = Vec::new();
    let mut last: Option<TapReport> = None;
    for run in 0..RUNS {
        let (payer, payee) = setup(suite, depth, (run * 16) as u8, warm, tap_config);
        let request = payee.request_payment(AMOUNT, T0).unwrap();
        let start = Instant::now();
        let report = tap(payer.pay(), request, tap_config, T0).unwrap();
        computes.push(start.elapsed());
        assert!(report.payer_complete, "{:?}", report.error());
        last = Some(report);
    }
    computes.sort();
    let compute = computes[RUNS / 2];
    let s = last.unwrap().stats;
    let air = s.bytes_to_card + s.bytes_to_reader;
    let ratio = if warm || payer_card {
        "-".to_owned()
    } else {
        format!("{:.3}", air as f64 / frame_bytes(suite, depth) as f64)
    };
    let (opt, cons) = (s.time_under(LinkModel::OPTIMISTIC), s.time_under(LinkModel::CONSERVATIVE));
    println!(
        "{:<10} {:>5} {:<8} {:<5} {:>6} {:>9} {:>9} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>7}",
        suite.name(),
        depth,
        if extended { "extended" } else { "short" },
        if warm { "warm" } else { "cold" },
        s.apdus,
        s.bytes_to_card,
        s.bytes_to_reader,
        ms(compute),
        ms(opt),
        ms(compute + opt),
        ms(cons),
        ms(compute + cons),
        ratio,
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// Bytes of the protocol frames of one cold tap as the field runs it (hello, the locked
/// request, the compact payment, the key receipt), re-created through the sessions without
/// the APDU layer.
fn frame_bytes(suite: Suite, depth: usize) -> u64 {
    let (payer, payee) = setup(suite, depth, 99, false, config(true, false));
    let mut payee = payee.request_payment(AMOUNT, T0).unwrap();
    let mut payer = payer.pay();
    let poll = payer.hello_frame();
    let request = payee.handle_frame(&poll, T0).unwrap().unwrap();
    let payment = payer.handle_frame(&request, T0).unwrap().unwrap();
    let receipt = payee.handle_frame(&payment, T0).unwrap().unwrap();
    assert!(payer.handle_frame(&receipt, T0).unwrap().is_none());
    (poll.len() + request.len() + payment.len() + receipt.len()) as u64
}
