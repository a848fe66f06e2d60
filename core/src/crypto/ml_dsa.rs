//! ML-DSA-44 (FIPS 204, the standardised Dilithium): signing through `pqcrypto-mldsa`'s
//! portable C, verification through the same code or, with the `fast-ml-dsa` feature, through
//! Cryspen's `libcrux-ml-dsa` (formally verified Rust; AVX2, NEON or portable code chosen at
//! run time by CPU detection; decision 0018).
//!
//! ```text
//!  sign:    secret key ─► pqcrypto-mldsa (portable C) ─► 2,420-byte signature
//!  verify:  1,312-byte key + message + context + signature
//!             ├─ default ──────────► pqcrypto-mldsa (portable C)
//!             └─ fast-ml-dsa ──────► libcrux-ml-dsa (AVX2 | NEON | portable)
//! ```
//!
//! Both verifiers are pure ML-DSA (FIPS 204 Algorithm 3, `ML-DSA.Verify`) with the caller's
//! context string, and take the same encodings, so a signature verifies under one exactly when
//! it verifies under the other (Wycheproof in `core/tests/crypto_ml_dsa.rs` runs against
//! whichever is built). Thin, panic-free wrappers: lengths are checked before anything reaches
//! either library. Public so that tests can run known-answer and interoperability vectors
//! against exactly the code path that verifies payments.

use pqcrypto_mldsa::mldsa44;
use pqcrypto_traits::sign::{DetachedSignature as _, PublicKey as _, SecretKey as _};
use zeroize::Zeroizing;

use super::suite::{ML_DSA_44_PUBLIC_KEY_LEN, ML_DSA_44_SIGNATURE_LEN};

/// Length of an ML-DSA-44 secret key as `pqcrypto-mldsa` stores it.
pub const SECRET_KEY_LEN: usize = 2560;

/// The library that [`VerifyingKey::verify`] runs in this build.
#[cfg(not(feature = "fast-ml-dsa"))]
pub const VERIFIER: &str = "pqcrypto-mldsa (portable C)";
/// The library that [`VerifyingKey::verify`] runs in this build.
#[cfg(feature = "fast-ml-dsa")]
pub const VERIFIER: &str = "libcrux-ml-dsa";

#[cfg(not(feature = "fast-ml-dsa"))]
type Key = mldsa44::PublicKey;
#[cfg(feature = "fast-ml-dsa")]
type Key = libcrux_ml_dsa::ml_dsa_44::MLDSA44VerificationKey;

/// A parsed ML-DSA-44 public key (held in the form the verifier of this build takes).
#[derive(Clone)]
pub struct VerifyingKey(Key);

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ml_dsa::VerifyingKey")
    }
}

impl VerifyingKey {
    /// Parses the 1,312-byte encoding of FIPS 204 `pkEncode`.
    ///
    /// Every 1,312-byte string is a key (`pkDecode` only splits it into ρ and t₁), so this
    /// checks the length; both verifiers agree on that.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != ML_DSA_44_PUBLIC_KEY_LEN {
            return None;
        }
        #[cfg(not(feature = "fast-ml-dsa"))]
        {
            mldsa44::PublicKey::from_bytes(bytes).ok().map(Self)
        }
        #[cfg(feature = "fast-ml-dsa")]
        {
            let bytes: [u8; ML_DSA_44_PUBLIC_KEY_LEN] = bytes.try_into().ok()?;
            Some(Self(libcrux_ml_dsa::ml_dsa_44::MLDSA44VerificationKey::new(bytes)))
        }
    }

    /// Verifies `signature` on `message` with context string `context` (FIPS 204 `ML-DSA.Verify`,
    /// pure ML-DSA: the message is bound as `0 ‖ len(ctx) ‖ ctx ‖ message`).
    pub fn verify(&self, message: &[u8], context: &[u8], signature: &[u8]) -> bool {
        if signature.len() != ML_DSA_44_SIGNATURE_LEN || context.len() > 255 {
            return false;
        }
        #[cfg(not(feature = "fast-ml-dsa"))]
        {
            let Ok(sig) = mldsa44::DetachedSignature::from_bytes(signature) else {
                return false;
            };
            mldsa44::verify_detached_signature_ctx(&sig, message, context, &self.0).is_ok()
        }
        #[cfg(feature = "fast-ml-dsa")]
        {
            let Ok(sig) = <[u8; ML_DSA_44_SIGNATURE_LEN]>::try_from(signature) else {
                return false;
            };
            let sig = libcrux_ml_dsa::ml_dsa_44::MLDSA44Signature::new(sig);
            libcrux_ml_dsa::ml_dsa_44::verify(&self.0, message, context, &sig).is_ok()
        }
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
