//! The registration seam's real verifier ([`crate::tier_attestation::AttestationVerifier`]):
//! Android key attestation and App Attest under pinned roots, each platform only for the apps
//! the operator names.
//!
//! ```text
//!  Android chain ─► verify_android ─► level: StrongBox → Tier::StrongBox
//!                                            TrustedEnvironment → Tier::Tee
//!                                            Software (or an unlocked boot) → Tier::Software
//!  App Attest    ─► verify_app_attest ─────► Tier::SecureEnclave
//! ```
//!
//! A platform without an allow-list refuses its evidence (`attestation_application`): without
//! it any app of any developer — a repackaged wallet that skips its own limits — could present
//! a genuine hardware key and earn the hardware tier's limits. Evidence is never required: a
//! wallet registering without it is software, as before.

use offline_cash_core::reason::Reason;
use offline_cash_core::sync::AttestationEvidence;
use offline_cash_core::token::Tier;

use super::{
    AndroidEvidence, AppAttestEvidence, AttestationError, Expected, SecurityLevel, StatusList, TrustAnchors,
    verify_android, verify_app_attest,
};
use crate::tier_attestation::AttestationVerifier;

/// Which apps may attest, per platform. Empty: that platform's evidence is refused.
#[derive(Debug, Clone, Default)]
pub struct AllowedApps {
    /// Android package names.
    pub android_packages: Vec<String>,
    /// SHA-256 digests of the Android signing certificates (any app when empty but packages given).
    pub android_signing_digests: Vec<Vec<u8>>,
    /// Apple app ids, `TEAMID.bundle.id`.
    pub apple_app_ids: Vec<String>,
}

/// Verifies evidence under `anchors` (Google's and Apple's pinned roots in production) and the
/// operator's status list.
#[derive(Debug)]
pub struct PinnedVerifier {
    anchors: TrustAnchors,
    status: StatusList,
    apps: AllowedApps,
}

impl PinnedVerifier {
    /// A verifier over these roots, status list and apps.
    pub fn new(anchors: TrustAnchors, status: StatusList, apps: AllowedApps) -> Self {
        Self { anchors, status, apps }
    }

    /// Google's and Apple's pinned roots.
    pub fn pinned(status: StatusList, apps: AllowedApps) -> Result<Self, AttestationError> {
        Ok(Self::new(TrustAnchors::pinned()?, status, apps))
    }
}

/// The tier an Android attestation level proves.
pub fn tier_of(level: SecurityLevel) -> Tier {
    match level {
        SecurityLevel::StrongBox => Tier::StrongBox,
        SecurityLevel::TrustedEnvironment => Tier::Tee,
        SecurityLevel::Software => Tier::Software,
    }
}

impl AttestationVerifier for PinnedVerifier {
    fn verify(
        &self,
        evidence: &AttestationEvidence,
        challenge: &[u8],
        wallet_key: &[u8],
        now: u64,
    ) -> Result<Tier, Reason> {
        let packages: Vec<&str> = self.apps.android_packages.iter().map(String::as_str).collect();
        let digests: Vec<&[u8]> = self.apps.android_signing_digests.iter().map(Vec::as_slice).collect();
        let app_ids: Vec<&str> = self.apps.apple_app_ids.iter().map(String::as_str).collect();
        let expected = Expected {
            android_packages: &packages,
            android_signing_digests: &digests,
            apple_app_ids: &app_ids,
            ..Expected::new(challenge, wallet_key, now)
        };
        match evidence {
            AttestationEvidence::Android { chain } => {
                if packages.is_empty() {
                    return Err(Reason::AttestationApplication);
                }
                let evidence = AndroidEvidence { chain: chain.clone() };
                let attested =
                    verify_android(&evidence, &expected, &self.anchors, &self.status).map_err(|e| Reason::from(&e))?;
                Ok(tier_of(attested.level))
            }
            AttestationEvidence::AppAttest { attestation_object, key_id } => {
                if app_ids.is_empty() {
                    return Err(Reason::AttestationApplication);
                }
                let evidence =
                    AppAttestEvidence { attestation_object: attestation_object.clone(), key_id: key_id.clone() };
                verify_app_attest(&evidence, &expected, &self.anchors).map_err(|e| Reason::from(&e))?;
                Ok(Tier::SecureEnclave)
            }
        }
    }
}
