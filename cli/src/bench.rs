//! `offline-cash bench`: the benchmark tables of docs/PERFORMANCE.md from one command.
//!
//! ```text
//!  verify tables (sign/verify, verify_bundle, decode, sizes) ◄── child: cargo bench -p offline-cash-core --bench verify
//!  tap table (APDUs, bytes, compute, modelled link time)     ◄── re-implemented here (core::wallet::tap + testkit)
//! ```
//!
//! The verify tables need criterion and a source checkout, so they run as a child process
//! (`cargo bench`, about two minutes; skipped with `--skip-verify` or outside a checkout). The
//! tap table is small and runs in-process with the same setup as `core/benches/tap.rs`
//! (`core::wallet::testing::payer_at_depth`: a payer whose note has depth d − 1, a fresh
//! payee, the payee's phone is the card): median compute time of `--runs` taps, link time from
//! the field model. Its "air/frames" column is left out.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use offline_cash_core::crypto::Suite;
use offline_cash_core::nfc::LinkModel;
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::wallet::Wallet;
use offline_cash_core::wallet::tap::{TapConfig, TapReport, tap};
use offline_cash_core::wallet::testing::payer_at_depth;

use crate::CliError;
use crate::svg::Series;

/// `offline-cash bench` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Taps per row of the tap table (median compute time).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Do not run the criterion verify benchmark (child `cargo bench`).
    #[arg(long)]
    pub skip_verify: bool,
}

const AMOUNT: u64 = 1_000;

fn fail(what: impl std::fmt::Display) -> CliError {
    CliError::Child { what: format!("tap bench: {what}") }
}

/// A payer holding a note of depth `depth - 1`, and a fresh payee (the tap bench's setup).
fn setup(suite: Suite, depth: usize, seed: u8) -> Result<(Wallet, Wallet), CliError> {
    let issuer = TestIssuer::new(suite)?;
    payer_at_depth(&issuer, suite, depth, AMOUNT, seed, T0).map_err(fail)
}

/// One measured tap: compute time and the field's report.
fn measure(suite: Suite, depth: usize, extended: bool, seed: u8) -> Result<(Duration, TapReport), CliError> {
    let (payer, payee) = setup(suite, depth, seed)?;
    let request = payee.request_payment(AMOUNT, T0)?;
    let start = Instant::now();
    let report = tap(payer.pay(), request, TapConfig::payee_is_card(extended), T0)?;
    let compute = start.elapsed();
    if !report.payer_complete {
        return Err(fail(format!("{suite:?} depth {depth}: {:?}", report.error())));
    }
    Ok((compute, report))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// Prints the tap table.
pub fn tap_table(runs: usize) -> Result<(), CliError> {
    println!("tap: payee is the card, payer the reader; {runs} runs per row, median compute time");
    println!(
        "{:<10} {:>5} {:<8} {:>6} {:>9} {:>9} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "suite",
        "depth",
        "apdus",
        "count",
        "to card",
        "to reader",
        "compute",
        "link opt",
        "total opt",
        "link cons",
        "total cons"
    );
    for suite in Suite::ALL {
        for depth in [1usize, 4, 8] {
            for extended in [false, true] {
                let mut computes = Vec::new();
                let mut last = None;
                for run in 0..runs.max(1) {
                    let (compute, report) = measure(suite, depth, extended, (run * 16) as u8)?;
                    computes.push(compute);
                    last = Some(report);
                }
                computes.sort();
                let compute = computes.get(computes.len() / 2).copied().unwrap_or_default();
                let s = last.ok_or_else(|| fail("no run"))?.stats;
                let (opt, cons) = (s.time_under(LinkModel::OPTIMISTIC), s.time_under(LinkModel::CONSERVATIVE));
                println!(
                    "{:<10} {:>5} {:<8} {:>6} {:>9} {:>9} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>8.1}ms",
                    suite.name(),
                    depth,
                    if extended { "extended" } else { "short" },
                    s.apdus,
                    s.bytes_to_card,
                    s.bytes_to_reader,
                    ms(compute),
                    ms(opt),
                    ms(compute + opt),
                    ms(cons),
                    ms(compute + cons),
                );
            }
        }
    }
    Ok(())
}

/// Modelled tap time (extended APDUs) against chain depth, for every suite (for the chart).
pub fn sweep_series(depths: &[usize]) -> Result<Vec<Series>, CliError> {
    let mut out = Vec::new();
    for suite in Suite::ALL {
        let mut points = Vec::new();
        for &d in depths {
            let (_, report) = measure(suite, d, true, 7)?;
            points.push((d as f64, ms(report.stats.link_time)));
        }
        out.push(Series { name: format!("{} (sweep)", crate::suite_name(suite)), points });
    }
    Ok(out)
}

fn workspace() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent()?.to_path_buf();
    dir.join("core").join("benches").join("verify.rs").exists().then_some(dir)
}

/// Runs the benchmarks and prints their tables.
pub fn run(args: &BenchArgs) -> Result<(), CliError> {
    if args.skip_verify {
        println!("(verify tables skipped: --skip-verify)");
    } else if let Some(dir) = workspace() {
        println!("== verify tables: cargo bench -p offline-cash-core --bench verify (about two minutes)");
        let status = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["bench", "-p", "offline-cash-core", "--bench", "verify"])
            .current_dir(&dir)
            .status()
            .map_err(|e| CliError::Child { what: format!("cannot run cargo bench: {e}") })?;
        if !status.success() {
            return Err(CliError::Child { what: format!("cargo bench exited with {status}") });
        }
    } else {
        println!(
            "(verify tables skipped: no source checkout at build path; run `cargo bench -p offline-cash-core --bench verify`)"
        );
    }
    println!();
    println!("== tap table (in-process)");
    tap_table(args.runs)
}
