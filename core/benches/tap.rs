//! The `tap` benchmark: one payment through the simulated NFC field, per suite, chain depth
//! and APDU mode. Prints compute time (measured here), modelled link time (424 kbit/s, 8 ms per
//! APDU round trip), bytes each way, APDU count, and the ratio of bytes on the air to the
//! protocol frames carried. Run: `cargo bench -p offline-cash-core --bench tap`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::time::{Duration, Instant};

use offline_cash_core::crypto::Suite;
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::wallet::Wallet;
use offline_cash_core::wallet::tap::{TapConfig, TapReport, tap};
use offline_cash_core::wallet::testing::payer_at_depth;

const AMOUNT: u64 = 1_000;
const RUNS: usize = 5;

/// A payer holding a note of depth `depth - 1`, and a fresh payee.
fn setup(suite: Suite, depth: usize, seed: u8) -> (Wallet, Wallet) {
    payer_at_depth(&TestIssuer::new(suite).unwrap(), suite, depth, AMOUNT, seed, T0).unwrap()
}

fn main() {
    println!("tap: payee is the card, payer the reader; {RUNS} runs per row, median compute time");
    println!(
        "{:<10} {:>5} {:<8} {:>6} {:>9} {:>9} {:>10} {:>10} {:>10} {:>7}",
        "suite", "depth", "apdus", "count", "to card", "to reader", "compute", "link", "total", "air/fr"
    );
    for suite in Suite::ALL {
        for depth in [1usize, 4, 8] {
            for extended in [false, true] {
                let mut computes = Vec::new();
                let mut last: Option<TapReport> = None;
                for run in 0..RUNS {
                    let (payer, payee) = setup(suite, depth, (run * 16) as u8);
                    let request = payee.request_payment(AMOUNT, T0).unwrap();
                    let start = Instant::now();
                    let report = tap(payer.pay(), request, TapConfig::payee_is_card(extended), T0).unwrap();
                    computes.push(start.elapsed());
                    assert!(report.payer_complete, "{:?}", report.error());
                    last = Some(report);
                }
                computes.sort();
                let compute = computes[RUNS / 2];
                let report = last.unwrap();
                let s = report.stats;
                let frames = frame_bytes(suite, depth);
                let air = s.bytes_to_card + s.bytes_to_reader;
                println!(
                    "{:<10} {:>5} {:<8} {:>6} {:>9} {:>9} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>7.3}",
                    suite.name(),
                    depth,
                    if extended { "extended" } else { "short" },
                    s.apdus,
                    s.bytes_to_card,
                    s.bytes_to_reader,
                    ms(compute),
                    ms(s.link_time),
                    ms(compute + s.link_time),
                    air as f64 / frames as f64,
                );
            }
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// Bytes of the protocol frames of one tap (poll, request, payment, receipt), measured by
/// running the same payment over a field whose APDU overhead we subtract: here, simply the
/// frames' own lengths, re-created through the sessions.
fn frame_bytes(suite: Suite, depth: usize) -> u64 {
    let (payer, payee) = setup(suite, depth, 99);
    let mut payee = payee.request_payment(AMOUNT, T0).unwrap();
    let mut payer = payer.pay();
    let poll = payer.first_frame();
    let request = payee.handle_frame(&poll, T0).unwrap().unwrap();
    let payment = payer.handle_frame(&request, T0).unwrap().unwrap();
    let receipt = payee.handle_frame(&payment, T0).unwrap().unwrap();
    assert!(payer.handle_frame(&receipt, T0).unwrap().is_none());
    (poll.len() + request.len() + payment.len() + receipt.len()) as u64
}
