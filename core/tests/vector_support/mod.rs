//! A P-256 signer with RFC 6979 deterministic nonces, for the committed vectors only.
//!
//! The library signs with random nonces (`ring`, decision 0009), so a vector regenerated with
//! `SoftwareSigner` would get new signature bytes on every run and the committed files under
//! docs/vectors/ could not be checked byte for byte. The doc tests sign with this instead; it
//! lives in the tests, not in the library, so no shipped code signs deterministically.
#![allow(dead_code)]

use offline_cash_core::crypto::{CryptoError, PublicKey, Signature, Signer};
use p256::ecdsa::signature::Signer as _;

/// `p256` 0.13's RFC 6979 ECDSA P-256 / SHA-256 (what every P-256 software signature was
/// before decision 0009's amendment), folded to low S.
pub struct Rfc6979Signer {
    key: p256::ecdsa::SigningKey,
    public_key: PublicKey,
}

impl Rfc6979Signer {
    /// The signer with secret scalar `[byte; 32]` (the vectors' keys).
    pub fn from_byte(byte: u8) -> Self {
        let key = p256::ecdsa::SigningKey::from_slice(&[byte; 32]).expect("a valid scalar");
        let public_key =
            PublicKey::from_p256_sec1(key.verifying_key().to_encoded_point(true).as_bytes()).expect("a valid key");
        Self { key, public_key }
    }
}

impl Signer for Rfc6979Signer {
    fn public_key(&self) -> PublicKey {
        self.public_key.clone()
    }

    fn sign(&self, message: &[u8]) -> Result<Signature, CryptoError> {
        let sig: p256::ecdsa::Signature = self.key.sign(message);
        Signature::from_p256_raw_any_s(&sig.to_bytes())
    }
}
