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
//!
//! Secrets: `p256` zeroizes its key on drop. `ring` 0.17 has no way to wipe an `EcdsaKeyPair`
//! (its scalar in Montgomery form and the nonce key derived from it), and core forbids
//! `unsafe`. So the pair lives in a box of its own, never moved, and on drop it is overwritten
//! in place with the pair of the public scalar 1 (decision 0009, "Secrets"). What this does not
//! reach: temporaries ring leaves on the stack while it builds the pair or signs.

use rand_core::OsRng;
use zeroize::Zeroizing;

use super::{CryptoError, Signature};

/// A P-256 secret key with the `ring` key pair built from it once.
///
/// `key` is zeroized on drop (`p256`). `ring`'s copy, in its own box so that moving the
/// signer never copies it, is overwritten on drop with the pair of the scalar 1 (see the
/// module's doc). The bytes handed to ring to build the pair are wiped.
pub(super) struct P256Secret {
    key: p256::ecdsa::SigningKey,
    pair: Box<ring::signature::EcdsaKeyPair>,
    rng: ring::rand::SystemRandom,
}

impl Drop for P256Secret {
    fn drop(&mut self) {
        // Assigning through the box writes every field of the pair in place (the old value has
        // no drop glue of its own, so nothing copies it out first); black_box makes the write
        // observable, so it is not removed as a store to memory about to be freed.
        let generator =
            p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&p256::AffinePoint::GENERATOR, false);
        if let Ok(blank) = pair_of(&SCALAR_ONE, generator.as_bytes(), &self.rng) {
            *self.pair = blank;
        }
        std::hint::black_box(&*self.pair);
    }
}

/// The scalar 1, big-endian: a valid key whose "secret" everybody knows.
const SCALAR_ONE: [u8; 32] = {
    let mut one = [0u8; 32];
    one[31] = 1;
    one
};

/// ring's key pair for the 32-byte big-endian scalar `secret` and its uncompressed public point.
fn pair_of(
    secret: &[u8],
    public: &[u8],
    rng: &ring::rand::SystemRandom,
) -> Result<ring::signature::EcdsaKeyPair, CryptoError> {
    ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        secret,
        public,
        rng,
    )
    .map_err(|e| CryptoError::Signer(format!("ring refused the P-256 key: {e}")))
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
        let pair = Box::new(pair_of(&secret_bytes(&key), public.as_bytes(), &rng)?);
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
