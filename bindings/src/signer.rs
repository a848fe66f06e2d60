//! The app's hardware signer, adapted to core, and the key-setup check.
//!
//! ```text
//!  app Signer (Keystore / Secure Enclave)         core
//!   public_key() ── SEC1 ──► PublicKey::from_p256_sec1
//!   sign(msg)    ── DER  ──► DerP256Signer (DER → canonical low-S, verified) ──► check_signer
//! ```

use std::sync::Arc;

use offline_cash_core::crypto::{self, DerP256Signer, DerSign, PublicKey};
use offline_cash_core::token::wallet_id;

use crate::{OfflineCashError, SignerError, Suite};

/// An ECDSA P-256 key held by the platform, implemented by the app: Android Keystore /
/// StrongBox (`Signature.getInstance("SHA256withECDSA")`) or iOS CryptoKit / Secure Enclave
/// (`signature(for:).derRepresentation`). The private key never enters the library.
#[uniffi::export(with_foreign)]
pub trait Signer: Send + Sync {
    /// The public key as a SEC1 point, compressed (33 bytes) or uncompressed (65 bytes), as
    /// `ECPublicKey.encoded`'s point or CryptoKit `x963Representation` give it.
    fn public_key(&self) -> Result<Vec<u8>, SignerError>;
    /// Signs `message` with ECDSA P-256 / SHA-256 (the platform hashes it) and returns the
    /// DER-encoded signature.
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, SignerError>;
}

/// What `check_signer` found: the signer works, and this is the wallet its key identifies.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignerReport {
    /// The wallet id of the signer's key: 64 lower-case hex characters.
    pub wallet_id: String,
    /// The signer's suite (always `EcdsaP256` for a platform signer).
    pub suite: Suite,
    /// The public key in its canonical form (33-byte compressed SEC1).
    pub public_key: Vec<u8>,
}

/// Adapts the app's `Signer` to core's [`DerSign`].
struct ForeignDer(Arc<dyn Signer>);

impl DerSign for ForeignDer {
    fn sign_der(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.0.sign(message.to_vec()).map_err(|e| e.to_string())
    }
}

/// Core's signer over the app's platform key.
pub(crate) fn core_signer(signer: Arc<dyn Signer>) -> Result<DerP256Signer<impl DerSign>, OfflineCashError> {
    let sec1 = signer.public_key().map_err(|e| OfflineCashError::Signer { detail: e.to_string() })?;
    let public_key = PublicKey::from_p256_sec1(&sec1).map_err(|e| OfflineCashError::Signer {
        detail: format!("the signer's public key is not a SEC1 P-256 point: {e}"),
    })?;
    Ok(DerP256Signer::new(public_key, ForeignDer(signer))?)
}

/// Signs a probe with `signer` and verifies it under the signer's own public key (core's
/// `crypto::check_signer`). Run it once when a key is set up: it catches a wrong key, a
/// signer returning malformed signatures, or a broken hardware signer, before any payment
/// depends on it. Fails with `OfflineCashError::Signer`.
#[uniffi::export]
pub fn check_signer(signer: Arc<dyn Signer>) -> Result<SignerReport, OfflineCashError> {
    let signer = core_signer(signer)?;
    crypto::check_signer(&signer)?;
    let public_key = crypto::Signer::public_key(&signer);
    Ok(SignerReport {
        wallet_id: wallet_id(&public_key).to_hex(),
        suite: public_key.suite().try_into()?,
        public_key: public_key.as_bytes().to_vec(),
    })
}
