//! Reproducible fixtures shared by the fuzz targets and the corpus seeder.
//!
//! Every key is derived from a fixed scalar, every nonce from a fixed seed, and every
//! signature is RFC 6979 deterministic ([`SoftwareSigner::p256_deterministic_from_scalar`]),
//! so the transcripts the seeder records (`examples/seed.rs`) are exactly the bytes a target's
//! fresh wallets produce and expect, on every run: the fuzzer starts from inputs that pass
//! every signature check, including the payee's request that an encrypted session's key is
//! bound to, and mutates from there.
//!
//! ```text
//!  seed.rs ──(real taps, real objects)──► corpus/<target>/*
//!                                             │
//!  fuzz_targets/<target>.rs ◄─────────────────┘  fresh fixture per input, same keys
//! ```
//!
//! Inputs that carry several messages (APDU sequences) are a sequence of frames, each a
//! big-endian `u16` length then that many bytes ([`frames`], [`join_frames`]).

use offline_cash_core::crypto::SoftwareSigner;
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::wallet::Wallet;
use offline_cash_core::wallet::testing::{fund, provisioned_with};

/// The time every fixture runs at.
pub const NOW: u64 = T0;
/// The amount the fixture payee asks for.
pub const AMOUNT: u64 = 300;
/// The notes the fixture payer holds.
pub const PAYER_NOTES: [u64; 3] = [1_000, 500, 250];

const ISSUER_SCALAR: [u8; 32] = [0x11; 32];
const PAYER_SCALAR: [u8; 32] = [0x22; 32];
const PAYEE_SCALAR: [u8; 32] = [0x33; 32];

/// Any fixture failure (it never happens with the fixed keys).
pub type FixtureError = Box<dyn std::error::Error>;

/// The fixed issuer (key id 1, the testkit's policy).
pub fn issuer() -> Result<TestIssuer, FixtureError> {
    Ok(TestIssuer::with_signer(SoftwareSigner::p256_deterministic_from_scalar(&ISSUER_SCALAR)?)?)
}

/// The payer's key.
pub fn payer_key() -> Result<SoftwareSigner, FixtureError> {
    Ok(SoftwareSigner::p256_deterministic_from_scalar(&PAYER_SCALAR)?)
}

/// The payee's key.
pub fn payee_key() -> Result<SoftwareSigner, FixtureError> {
    Ok(SoftwareSigner::p256_deterministic_from_scalar(&PAYEE_SCALAR)?)
}

/// A fresh in-memory payer holding [`PAYER_NOTES`].
pub fn payer(issuer: &TestIssuer) -> Result<Wallet, FixtureError> {
    let wallet = provisioned_with(issuer, payer_key()?, 2)?;
    fund(issuer, &wallet, &PAYER_NOTES, NOW)?;
    Ok(wallet)
}

/// A fresh, empty in-memory payee.
pub fn payee(issuer: &TestIssuer) -> Result<Wallet, FixtureError> {
    Ok(provisioned_with(issuer, payee_key()?, 1)?)
}

/// Splits `data` into length-prefixed frames (a short last frame is taken as it is).
pub fn frames(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let [hi, lo, rest @ ..] = data {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        let (frame, tail) = rest.split_at(len);
        out.push(frame);
        data = tail;
    }
    out
}

/// The inverse of [`frames`] (frames longer than 65535 bytes are cut).
pub fn join_frames(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        let len = u16::try_from(f.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(f.get(..usize::from(len)).unwrap_or(f));
    }
    out
}
