//! The `offline-cash` command line: demo, wallet commands, simulator, benchmarks.
//!
//! Not built yet (the command-line issue). Until then it says so and exits non-zero, so no
//! script can mistake it for a working demo.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!("offline-cash: the demo is not implemented yet; see README.md for what works today");
    ExitCode::from(2)
}
