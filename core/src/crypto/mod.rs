//! Signature suites, keys, signers and key wrapping.
//!
//! ```text
//!   object digest (32 bytes, from `token`)
//!        │  signing_message(suite, digest) = domain(suite) ‖ digest
//!        ▼
//!   Signer::sign ──► Signature { suite, canonical bytes } ──► PublicKey::verify
//! ```
//!
//! Three suites, each with a one-byte id carried by every [`PublicKey`] and [`Signature`]:
//! ECDSA P-256 with SHA-256, ML-DSA-44 (FIPS 204, the standardised Dilithium) and a
//! composite of both in which *both* signatures must verify.
//!
//! Contract:
//! - Signatures are stored and compared only in their canonical form: P-256 as raw `r ‖ s`
//!   with low S; decoding rejects anything else, so a valid signature cannot be re-shaped into
//!   a second valid one. Signatures from external signers (Android Keystore, Secure Enclave)
//!   arrive in DER and are normalised once by [`Signature::from_p256_der`].
//! - Private keys never leave a [`Signer`] in clear: a [`SoftwareSigner`] exports its secret
//!   only through a [`KeyWrapper`] the app provides; secrets are zeroized on drop.
//! - This module does not hash objects, choose what is signed, or keep any clock or global
//!   state: `token` decides what a digest covers.

mod error;
mod key_wrap;
pub mod ml_dsa;
pub mod one_time;
mod p256_secret;
mod public_key;
mod signature;
mod signer;
mod suite;

pub use error::CryptoError;
pub use key_wrap::{KeyWrapper, MAX_WRAPPED_SECRET_BYTES, SoftwareKeyWrapper, WrapError, WrappedSecretKey};
pub use one_time::{ONE_TIME_SIGNATURE_LEN, OneTimeKey, OneTimeSignature};
pub use public_key::PublicKey;
pub use signature::Signature;
pub use signer::{CompositeSigner, DerP256Signer, DerSign, SIGNER_PROBE, Signer, SoftwareSigner, check_signer};
pub use suite::Suite;

/// The bytes a signer of `suite` signs for an object whose digest is `digest`.
///
/// A domain label per suite keeps a component of a composite signature from being presented
/// as a stand-alone one (and the other way round).
pub fn signing_message(suite: Suite, digest: &[u8; 32]) -> Vec<u8> {
    let label = suite.domain_label();
    let mut message = Vec::with_capacity(label.len() + digest.len());
    message.extend_from_slice(label);
    message.extend_from_slice(digest);
    message
}

/// SHA-256 of `parts`, concatenated.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}
