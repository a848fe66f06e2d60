//! ML-DSA-44 (FIPS 204, the standardised Dilithium) through `pqcrypto-mldsa`.
//!
//! Thin, panic-free wrappers: lengths are checked before anything reaches the C code. Public
//! so that tests can run known-answer and interoperability vectors against exactly the code
//! path that verifies payments.

use pqcrypto_mldsa::mldsa44;
use pqcrypto_traits::sign::{DetachedSignature as _, PublicKey as _, SecretKey as _};
use zeroize::Zeroizing;

use super::suite::{ML_DSA_44_PUBLIC_KEY_LEN, ML_DSA_44_SIGNATURE_LEN};

/// Length of an ML-DSA-44 secret key as `pqcrypto-mldsa` stores it.
pub const SECRET_KEY_LEN: usize = 2560;

/// A parsed ML-DSA-44 public key.
#[derive(Clone, Copy)]
pub struct VerifyingKey(mldsa44::PublicKey);

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ml_dsa::VerifyingKey")
    }
}

impl VerifyingKey {
    /// Parses the 1,312-byte encoding of FIPS 204 `pkEncode`.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != ML_DSA_44_PUBLIC_KEY_LEN {
            return None;
        }
        mldsa44::PublicKey::from_bytes(bytes).ok().map(Self)
    }

    /// Verifies `signature` on `message` with context string `context` (FIPS 204 `ML-DSA.Verify`).
    pub fn verify(&self, message: &[u8], context: &[u8], signature: &[u8]) -> bool {
        if signature.len() != ML_DSA_44_SIGNATURE_LEN || context.len() > 255 {
            return false;
        }
        let Ok(sig) = mldsa44::DetachedSignature::from_bytes(signature) else {
            return false;
        };
        mldsa44::verify_detached_signature_ctx(&sig, message, context, &self.0).is_ok()
    }
}

/// A fresh key pair: (public key bytes, secret key bytes).
pub fn generate() -> (Vec<u8>, Zeroizing<Vec<u8>>) {
    let (pk, sk) = mldsa44::keypair();
    (pk.as_bytes().to_vec(), Zeroizing::new(sk.as_bytes().to_vec()))
}

/// Signs `message` with the empty context. `None` if the secret key bytes are malformed.
pub fn sign(secret_key: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    if secret_key.len() != SECRET_KEY_LEN {
        return None;
    }
    let sk = mldsa44::SecretKey::from_bytes(secret_key).ok()?;
    Some(mldsa44::detached_sign(message, &sk).as_bytes().to_vec())
}
