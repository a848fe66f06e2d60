//! Key attestation at registration: what proves that a wallet's key lives in Android Keystore
//! (TEE or StrongBox) or behind Apple's App Attest, rather than in a patched app.
//!
//! ```text
//!  registration ──► AndroidEvidence (DER chain) ──► verify_android ──► AndroidAttested { level, … }
//!                └► AppAttestEvidence (CBOR)    ──► verify_app_attest ──► AppAttested { counter, … }
//!                      Expected { challenge, wallet key, now, allow-lists }
//!                      TrustAnchors (pinned Google and Apple roots) · StatusList (operator's file)
//! ```
//!
//! Contract: pure functions over bytes, the caller's instant and the anchors it passes: no
//! database, no HTTP, no system clock, no network fetch of the status list. Every failure is an
//! [`AttestationError`] that maps to one [`Reason`](offline_cash_core::reason::Reason)
//! (112–127); no input panics (fuzz target `attestation`). What the verdict means for a
//! wallet's limits is not decided here: the tier and its policy are the caller's. What
//! attestation proves and what it does not: docs/THREAT_MODEL.md; why these choices:
//! docs/decisions/0014-key-attestation-verifiers.md.
//!
//! Parts: [`der`] (DER reader) → [`x509`] (certificates, chains, `ring` signatures) →
//! [`key_description`] (Android's extension) → `android.rs`; [`cbor`] → `app_attest.rs`;
//! `status_list.rs` and `roots.rs` (with `roots/README.md`) are data.

mod android;
mod app_attest;
pub mod cbor;
pub mod der;
mod error;
pub mod key_description;
mod roots;
mod status_list;
mod verifier;
pub mod x509;

pub use android::{AndroidAttested, AndroidEvidence, verify_android};
pub use app_attest::{
    AppAttestEnvironment, AppAttestEvidence, AppAttested, client_data_hash, verify_app_attest,
    verify_app_attest_client_data,
};
pub use error::AttestationError;
pub use key_description::{ApplicationId, BootState, KeyDescription, SecurityLevel, VerifiedBoot};
pub use roots::{APPLE_APP_ATTEST_ROOT, GOOGLE_EC_ROOT, GOOGLE_RSA_ROOT, TrustAnchors};
pub use status_list::StatusList;
pub use verifier::{AllowedApps, PinnedVerifier, tier_of};

/// What this registration expects the evidence to attest.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The challenge the issuer gave this registration (Android: attestationChallenge;
    /// Apple: hashed with the wallet key into clientDataHash, [`client_data_hash`]).
    pub challenge: &'a [u8],
    /// The wallet key being registered, SEC1 P-256 (compressed or not).
    pub wallet_public_key: &'a [u8],
    /// The instant to check certificate validity at (Unix seconds, the caller's clock).
    pub now_unix: u64,
    /// Android packages allowed to hold wallet keys; empty: any.
    pub android_packages: &'a [&'a str],
    /// SHA-256 digests of the Android signing certificates allowed; empty: any.
    pub android_signing_digests: &'a [&'a [u8]],
    /// Apple app ids (`TEAMID.bundle.id`) allowed; empty: any (set it in production: without
    /// it any app of any developer can attest).
    pub apple_app_ids: &'a [&'a str],
}

impl<'a> Expected<'a> {
    /// Expects `challenge` and `wallet_public_key` at `now_unix`, with no allow-list.
    pub fn new(challenge: &'a [u8], wallet_public_key: &'a [u8], now_unix: u64) -> Self {
        Expected {
            challenge,
            wallet_public_key,
            now_unix,
            android_packages: &[],
            android_signing_digests: &[],
            apple_app_ids: &[],
        }
    }
}
