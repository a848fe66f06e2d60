//! Signatures of every suite, in canonical form only.

use super::suite::{ML_DSA_44_SIGNATURE_LEN, P256_SIGNATURE_LEN};
use super::{CryptoError, Suite};

/// A signature of one suite, always in canonical form.
///
/// P-256 is raw `r ‖ s` (64 bytes, big-endian) with `1 ≤ r, s < n` and `s ≤ n/2` (low S);
/// ML-DSA-44 is FIPS 204 `sigEncode` (2,420 bytes); composite is the ML-DSA-44 signature
/// followed by the P-256 signature.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    suite: Suite,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature({}, {} bytes)", self.suite, self.bytes.len())
    }
}

/// Checks a raw P-256 signature: in range and low-S.
fn check_p256(suite: Suite, raw: &[u8]) -> Result<(), CryptoError> {
    if raw.len() != P256_SIGNATURE_LEN {
        return Err(CryptoError::MalformedSignature { suite });
    }
    let sig = p256::ecdsa::Signature::from_slice(raw).map_err(|_| CryptoError::MalformedSignature { suite })?;
    if sig.normalize_s().is_some() {
        return Err(CryptoError::NonCanonicalSignature { suite });
    }
    Ok(())
}

impl Signature {
    /// Accepts `bytes` as a signature of `suite` only if they are in canonical form.
    pub fn from_bytes(suite: Suite, bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != suite.signature_len() {
            return Err(CryptoError::MalformedSignature { suite });
        }
        match suite {
            Suite::EcdsaP256 => check_p256(suite, bytes)?,
            Suite::MlDsa44 => {}
            Suite::CompositeMlDsa44EcdsaP256 => {
                let ec = bytes.get(ML_DSA_44_SIGNATURE_LEN..).unwrap_or(&[]);
                check_p256(suite, ec)?;
            }
        }
        Ok(Self { suite, bytes: bytes.to_vec() })
    }

    /// Converts a DER-encoded ECDSA P-256 signature (what Android Keystore's
    /// `SHA256withECDSA` and the Secure Enclave's `derRepresentation` return) to the canonical
    /// raw low-S form. Strict DER only; a high S is folded to `n − s`, which verifies the same.
    pub fn from_p256_der(der: &[u8]) -> Result<Self, CryptoError> {
        let suite = Suite::EcdsaP256;
        let sig = p256::ecdsa::Signature::from_der(der).map_err(|_| CryptoError::MalformedSignature { suite })?;
        let sig = sig.normalize_s().unwrap_or(sig);
        Ok(Self { suite, bytes: sig.to_bytes().to_vec() })
    }

    /// Normalises a raw P-256 `r ‖ s` signature to low S (for signers that return raw form).
    pub fn from_p256_raw_any_s(raw: &[u8]) -> Result<Self, CryptoError> {
        let suite = Suite::EcdsaP256;
        let sig = p256::ecdsa::Signature::from_slice(raw).map_err(|_| CryptoError::MalformedSignature { suite })?;
        let sig = sig.normalize_s().unwrap_or(sig);
        Ok(Self { suite, bytes: sig.to_bytes().to_vec() })
    }

    /// A composite signature from its two canonical halves.
    pub fn composite(ml_dsa: &Signature, p256: &Signature) -> Result<Self, CryptoError> {
        if ml_dsa.suite != Suite::MlDsa44 {
            return Err(CryptoError::SuiteMismatch { expected: Suite::MlDsa44, found: ml_dsa.suite });
        }
        if p256.suite != Suite::EcdsaP256 {
            return Err(CryptoError::SuiteMismatch { expected: Suite::EcdsaP256, found: p256.suite });
        }
        let mut bytes = ml_dsa.bytes.clone();
        bytes.extend_from_slice(&p256.bytes);
        Ok(Self { suite: Suite::CompositeMlDsa44EcdsaP256, bytes })
    }

    /// The suite of this signature.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The canonical signature bytes (without the suite id).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}
