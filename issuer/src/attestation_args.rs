//! `serve`'s key attestation options: which apps may attest their wallet keys, and the
//! operator's revocation status list. Without an app, evidence is refused and every wallet
//! registers at the software tier (the library's default).

use std::path::PathBuf;
use std::sync::Arc;

use offline_cash_issuer::attestation::{AllowedApps, PinnedVerifier, StatusList};
use offline_cash_issuer::{IssuerConfig, IssuerError};

#[derive(clap::Args, Debug)]
pub struct AttestationArgs {
    /// An Android package whose Keystore attestation earns its tier (TEE, StrongBox); repeat
    /// for several.
    #[arg(long = "android-package", env = "OC_ISSUER_ANDROID_PACKAGES", value_delimiter = ',')]
    android_packages: Vec<String>,
    /// SHA-256 (hex) of a signing certificate of those packages; repeat for several. Without
    /// one, any signer of an allowed package name passes (set it in production).
    #[arg(long = "android-signing-digest", env = "OC_ISSUER_ANDROID_SIGNING_DIGESTS", value_delimiter = ',')]
    android_signing_digests: Vec<String>,
    /// An Apple app id (`TEAMID.bundle.id`) whose App Attest earns the Secure Enclave tier.
    #[arg(long = "apple-app-id", env = "OC_ISSUER_APPLE_APP_IDS", value_delimiter = ',')]
    apple_app_ids: Vec<String>,
    /// Google's attestation status list (JSON, as served at
    /// https://android.googleapis.com/attestation/status), fetched by the operator.
    #[arg(long, env = "OC_ISSUER_ATTESTATION_STATUS")]
    attestation_status_list: Option<PathBuf>,
}

impl AttestationArgs {
    /// Installs the pinned verifier when an app is named.
    pub fn apply(self, config: &mut IssuerConfig) -> Result<(), IssuerError> {
        if self.android_packages.is_empty() && self.apple_app_ids.is_empty() {
            if self.attestation_status_list.is_some() || !self.android_signing_digests.is_empty() {
                return Err(IssuerError::Policy {
                    what: "attestation options need --android-package or --apple-app-id".into(),
                });
            }
            return Ok(());
        }
        let status = match &self.attestation_status_list {
            None => StatusList::empty(),
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|e| IssuerError::Policy {
                    what: format!("attestation status list {}: {e}", path.display()),
                })?;
                StatusList::from_json(&bytes)
                    .map_err(|e| IssuerError::Policy { what: format!("attestation status list: {e}") })?
            }
        };
        let mut digests = Vec::new();
        for hex in &self.android_signing_digests {
            let d = offline_cash_core::sync::auth::parse_hex::<32>(&hex.to_ascii_lowercase()).ok_or_else(|| {
                IssuerError::Policy { what: format!("--android-signing-digest {hex}: not 64 hex digits") }
            })?;
            digests.push(d.to_vec());
        }
        let apps = AllowedApps {
            android_packages: self.android_packages,
            android_signing_digests: digests,
            apple_app_ids: self.apple_app_ids,
        };
        let verifier = PinnedVerifier::pinned(status, apps)
            .map_err(|e| IssuerError::Policy { what: format!("pinned attestation roots: {e}") })?;
        config.attestation = Arc::new(verifier);
        Ok(())
    }
}
