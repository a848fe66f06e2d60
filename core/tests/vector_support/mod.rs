//! A P-256 signer with RFC 6979 deterministic nonces, for the committed vectors only.
//!
//! The library signs with random nonces (`ring`, decision 0009), so a vector regenerated with
//! a `SoftwareSigner` from `generate` would get new signature bytes on every run and the
//! committed files under docs/vectors/ could not be checked byte for byte. The doc tests sign
//! with [`SoftwareSigner::p256_deterministic_from_scalar`] instead, which exists only with the
//! `test-support` feature, so no shipped code signs deterministically.
#![allow(dead_code)]

use offline_cash_core::crypto::SoftwareSigner;

/// The vectors' signer type.
pub type Rfc6979Signer = SoftwareSigner;

/// The deterministic signer with secret scalar `[byte; 32]` (the vectors' keys).
pub fn rfc6979(byte: u8) -> Rfc6979Signer {
    SoftwareSigner::p256_deterministic_from_scalar(&[byte; 32]).expect("a valid scalar")
}
