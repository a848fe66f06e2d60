//! Tiers and key attestation, as the apps see them: the tier a payer's certificate carries
//! (shown on `WalletEvent.Received`), the registration challenge, and the evidence a wallet
//! registers with (wraps `core::token::Tier` and `core::sync::attestation`).

use offline_cash_core::sync::{self, SyncClient};
use offline_cash_core::token;
use offline_cash_core::wallet::WalletError;

use crate::OfflineCashError;

/// Where a wallet's key lives, as the issuer verified it at registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Tier {
    /// Nothing proven (a software key, or evidence the issuer could not verify).
    Software,
    /// Android Keystore, TEE security level.
    Tee,
    /// Android StrongBox (a discrete secure element).
    StrongBox,
    /// The Apple Secure Enclave (App Attest).
    SecureEnclave,
}

impl From<token::Tier> for Tier {
    fn from(tier: token::Tier) -> Self {
        match tier {
            token::Tier::Software => Tier::Software,
            token::Tier::Tee => Tier::Tee,
            token::Tier::StrongBox => Tier::StrongBox,
            token::Tier::SecureEnclave => Tier::SecureEnclave,
        }
    }
}

/// Key attestation evidence for `Wallet.registerAttested`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AttestationEvidence {
    /// Android: the key's attestation certificate chain (`KeyStore.getCertificateChain`),
    /// DER, leaf first.
    Android { chain: Vec<Vec<u8>> },
    /// iOS App Attest: the attestation object and the key id.
    AppAttest { attestation_object: Vec<u8>, key_id: Vec<u8> },
}

impl From<AttestationEvidence> for sync::AttestationEvidence {
    fn from(e: AttestationEvidence) -> Self {
        match e {
            AttestationEvidence::Android { chain } => sync::AttestationEvidence::Android { chain },
            AttestationEvidence::AppAttest { attestation_object, key_id } => {
                sync::AttestationEvidence::AppAttest { attestation_object, key_id }
            }
        }
    }
}

/// A registration challenge: create the wallet key with it, then register within its time.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AttestationChallenge {
    /// The 32 challenge bytes (Android `setAttestationChallenge`; iOS App Attest client data).
    pub challenge: Vec<u8>,
    /// When the issuer stops accepting it (Unix seconds).
    pub expires_at: u64,
}

/// Asks the issuer for a single-use registration challenge for the account whose
/// `credential` this is (online; no wallet needed: the key to attest is made with it).
#[uniffi::export(async_runtime = "tokio")]
pub async fn attestation_challenge(
    issuer_url: String,
    credential: String,
) -> Result<AttestationChallenge, OfflineCashError> {
    let (challenge, expires_at) =
        SyncClient::attestation_challenge(&issuer_url, &credential).await.map_err(WalletError::from)?;
    Ok(AttestationChallenge { challenge, expires_at })
}
