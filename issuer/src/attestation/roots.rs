//! The pinned attestation roots, shipped as DER files next to this module (roots/README.md
//! says where each comes from and its SHA-256 fingerprint).
//!
//! Contract: a chain is trusted when it ends at one of these keys. Android roots are matched
//! by key, so Google's reissues of a root certificate under the same key (the RSA root
//! `f92009e853b6b045` exists in several validity windows) are one anchor. Tests and operators
//! with a private PKI build their own with [`TrustAnchors::from_roots`].

use super::error::AttestationError;
use super::x509::Anchor;

/// Google Hardware Attestation Root, RSA 4096, serialNumber f92009e853b6b045 (2022–2042).
pub const GOOGLE_RSA_ROOT: &[u8] = include_bytes!("roots/google_hardware_attestation_root_rsa_f92009e853b6b045.der");
/// Google's Key Attestation CA1, ECDSA P-384 (2025–2035): the root of chains issued from 2026.
pub const GOOGLE_EC_ROOT: &[u8] = include_bytes!("roots/google_key_attestation_ca1_ec.der");
/// Apple App Attestation Root CA, ECDSA P-384 (2020–2045).
pub const APPLE_APP_ATTEST_ROOT: &[u8] = include_bytes!("roots/apple_app_attestation_root_ca.der");

/// The roots an attestation may chain to, per platform.
#[derive(Debug, Clone)]
pub struct TrustAnchors {
    pub(crate) android: Vec<Anchor>,
    pub(crate) apple: Vec<Anchor>,
}

impl TrustAnchors {
    /// Google's two hardware attestation roots and Apple's App Attest root.
    pub fn pinned() -> Result<Self, AttestationError> {
        TrustAnchors::from_roots(&[GOOGLE_RSA_ROOT, GOOGLE_EC_ROOT], &[APPLE_APP_ATTEST_ROOT])
    }

    /// Anchors from root certificates (DER) of one's own choosing.
    pub fn from_roots(android: &[&[u8]], apple: &[&[u8]]) -> Result<Self, AttestationError> {
        Ok(TrustAnchors {
            android: android.iter().map(|c| Anchor::from_certificate(c)).collect::<Result<_, _>>()?,
            apple: apple.iter().map(|c| Anchor::from_certificate(c)).collect::<Result<_, _>>()?,
        })
    }
}
