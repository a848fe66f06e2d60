//! A software P-256 secret key: kept by `p256` (generation, wrapping, zeroized on drop), signed
//! with by `ring` (decision 0009).
//!
//! ```text
//!   p256::SigningKey ──(once, at construction)──► ring::EcdsaKeyPair
//!        │ to_bytes (wrap)                          │ sign(message), random k
//!        ▼                                          ▼
//!   Zeroizing secret bytes               raw r ‖ s ──fold to low S──► Signature
//! ```
//!
//! Contract: every signature returned is canonical (low S), so our own strict decoder accepts
//! it. Nonces are random (ring has no RFC 6979 mode): signing the same message twice gives two
//! different valid signatures, so nothing may rely on re-signing reproducing bytes (a payer
//! stores a signed payment durably before it leaves and resends those bytes; decision 0009).

use rand_core::OsRng;
use zeroize::Zeroizing;

use super::{CryptoError, Signature};

/// A P-256 secret key with the `ring` key pair built from it once.
///
/// `key` is zeroized on drop. `ring` 0.17 keeps its own copy of the scalar (in Montgomery form)
/// and a nonce key derived from it, and does not wipe them on drop; ring offers no way to, and
/// core forbids `unsafe`. The bytes handed to ring to build the pair are wiped.
pub(super) struct P256Secret {
    key: p256::ecdsa::SigningKey,
    pair: ring::signature::EcdsaKeyPair,
    rng: ring::rand::SystemRandom,
}

impl P256Secret {
    /// A fresh key from the operating system's random source.
    pub(super) fn generate() -> Result<Self, CryptoError> {
        Self::new(p256::ecdsa::SigningKey::random(&mut OsRng))
    }

    /// The key with secret scalar `bytes` (32 bytes, big-endian, `1 ≤ d < n`), or `None`.
    pub(super) fn from_slice(bytes: &[u8]) -> Option<Self> {
        Self::new(p256::ecdsa::SigningKey::from_slice(bytes).ok()?).ok()
    }

    fn new(key: p256::ecdsa::SigningKey) -> Result<Self, CryptoError> {
        let rng = ring::rand::SystemRandom::new();
        let public = key.verifying_key().to_encoded_point(false);
        let pair = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &secret_bytes(&key),
            public.as_bytes(),
            &rng,
        )
        .map_err(|e| CryptoError::Signer(format!("ring refused the P-256 key: {e}")))?;
        Ok(Self { key, pair, rng })
    }

    /// The public half, for [`super::PublicKey::from_p256`].
    pub(super) fn verifying_key(&self) -> &p256::ecdsa::VerifyingKey {
        self.key.verifying_key()
    }

    /// The 32-byte secret scalar, for wrapping only.
    pub(super) fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        secret_bytes(&self.key)
    }

    /// ECDSA P-256 / SHA-256 over `message` with a random nonce, in canonical low-S form.
    pub(super) fn sign(&self, message: &[u8]) -> Result<Signature, CryptoError> {
        let raw = self
            .pair
            .sign(&self.rng, message)
            .map_err(|_| CryptoError::Signer("P-256 signing failed (no randomness?)".into()))?;
        // ring returns either S; our decoder accepts low S only (signature.rs).
        Signature::from_p256_raw_any_s(raw.as_ref())
    }
}

/// The 32-byte scalar of `key`, with the temporary copy wiped.
fn secret_bytes(key: &p256::ecdsa::SigningKey) -> Zeroizing<Vec<u8>> {
    let mut bytes = key.to_bytes();
    let out = Zeroizing::new(bytes.to_vec());
    let raw: &mut [u8] = &mut bytes;
    zeroize::Zeroize::zeroize(raw);
    out
}
