//! The `offline-cash` command line, as a library: the binary parses arguments and calls these
//! functions; tests call them too.
//!
//! ```text
//!  main.rs (clap) ──► demo::run        embedded issuer + five wallets, the story, checked
//!                 ├─► files::*        wallet commands over a directory (scriptable)
//!                 ├─► simulate::run   many devices, one clock, invariants checked
//!                 ├─► qr::show|scan   frame files as QR codes (terminal, PNG) and back
//!                 └─► bench::run      the tables of docs/PERFORMANCE.md
//! ```
//!
//! Contract: nothing here decides about money. Every payment, verification, settlement and
//! audit is done by `offline-cash-core` and `offline-cash-issuer`; this crate orders their
//! calls, checks the outcomes it expects and prints them. A broken expectation is a
//! [`CliError::Failed`] (the binary prints `FAILED: …` and exits non-zero).
#![forbid(unsafe_code)]

pub mod account;
pub mod bench;
pub mod check;
pub mod demo;
pub mod files;
pub mod flows;
mod peak;
pub mod people;
pub mod qr;
pub mod qr_bench;
pub mod rss;
pub mod sim_year;
pub mod simulate;
pub mod svg;

use offline_cash_core::crypto::Suite;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// An expected outcome did not hold (the demo's or the simulator's invariants).
    #[error("{count} check(s) failed (first: {first})")]
    Failed {
        /// How many checks failed.
        count: usize,
        /// The first one.
        first: String,
    },
    /// A wallet operation failed.
    #[error("wallet: {0}")]
    Wallet(#[from] offline_cash_core::wallet::WalletError),
    /// The issuer failed.
    #[error("issuer: {0}")]
    Issuer(#[from] offline_cash_issuer::IssuerError),
    /// Talking to the issuer failed.
    #[error("sync: {0}")]
    Sync(#[from] offline_cash_core::sync::SyncError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] offline_cash_core::store::StoreError),
    /// A key operation failed.
    #[error("crypto: {0}")]
    Crypto(#[from] offline_cash_core::crypto::CryptoError),
    /// The simulated NFC field refused its configuration.
    #[error("nfc field: {0}")]
    Field(#[from] offline_cash_core::nfc::FieldError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What happened.
        source: std::io::Error,
    },
    /// The input (a file, an argument) is not what the command expects.
    #[error("{detail}")]
    Input {
        /// What is wrong.
        detail: String,
    },
    /// A child process (benchmarks) failed.
    #[error("{what}")]
    Child {
        /// What failed.
        what: String,
    },
}

impl CliError {
    pub(crate) fn input(detail: impl Into<String>) -> Self {
        CliError::Input { detail: detail.into() }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        CliError::Io { path: path.display().to_string(), source }
    }
}

/// The signature suite named on the command line.
pub fn parse_suite(name: &str) -> Result<Suite, CliError> {
    match name {
        "p256" | "ecdsa-p256" => Ok(Suite::EcdsaP256),
        "ml-dsa-44" | "mldsa44" => Ok(Suite::MlDsa44),
        "composite" => Ok(Suite::CompositeMlDsa44EcdsaP256),
        other => Err(CliError::input(format!("unknown suite {other:?} (p256, ml-dsa-44, composite)"))),
    }
}

/// The command-line name of a suite.
pub fn suite_name(suite: Suite) -> &'static str {
    match suite {
        Suite::EcdsaP256 => "p256",
        Suite::MlDsa44 => "ml-dsa-44",
        Suite::CompositeMlDsa44EcdsaP256 => "composite",
        _ => suite.name(),
    }
}

/// Unix seconds now.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
