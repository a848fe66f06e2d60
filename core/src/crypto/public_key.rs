//! Public keys of every suite, parsed once and verified against many times.
//!
//! P-256 keys travel compressed (33 bytes). Parsing decompresses the point once (with `p256`,
//! which also checks that it is on the curve) and keeps the 65-byte uncompressed form, which is
//! what `ring` verifies against; a key held in a [`crate::token::CertificateStore`] or a trust
//! store is therefore never decompressed again. Verification runs on `ring` (decision 0009).

use super::suite::{ML_DSA_44_PUBLIC_KEY_LEN, ML_DSA_44_SIGNATURE_LEN, P256_PUBLIC_KEY_LEN, P256_SIGNATURE_LEN};
use super::{CryptoError, Signature, Suite, ml_dsa};

/// A public key of one suite. Constructed only from valid bytes, so holding one means the key
/// is well formed (on the curve, right length).
///
/// Encodings: P-256 is the 33-byte compressed SEC1 point; ML-DSA-44 is FIPS 204 `pkEncode`
/// (1,312 bytes); composite is the ML-DSA-44 key followed by the P-256 key.
#[derive(Clone)]
pub struct PublicKey {
    suite: Suite,
    bytes: Vec<u8>,
    p256: Option<P256Key>,
    ml_dsa: Option<ml_dsa::VerifyingKey>,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.suite == other.suite && self.bytes == other.bytes
    }
}
impl Eq for PublicKey {}

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.suite.hash(state);
        self.bytes.hash(state);
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let head: String = self.bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
        write!(f, "PublicKey({}, {head}…)", self.suite)
    }
}

/// Length of an uncompressed SEC1 P-256 point (`04 ‖ x ‖ y`).
const P256_UNCOMPRESSED_LEN: usize = 65;

/// A P-256 public key, decompressed once, ready for `ring`.
#[derive(Clone, Copy)]
struct P256Key(ring::signature::UnparsedPublicKey<[u8; P256_UNCOMPRESSED_LEN]>);

impl P256Key {
    fn new(key: &p256::ecdsa::VerifyingKey) -> Option<Self> {
        let point = key.to_encoded_point(false);
        let uncompressed: [u8; P256_UNCOMPRESSED_LEN] = point.as_bytes().try_into().ok()?;
        Some(Self(ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, uncompressed)))
    }

    /// ECDSA P-256 / SHA-256 over `message` with a raw `r ‖ s` signature. `ring` checks
    /// `1 ≤ r, s < n` itself and accepts either S; low S is enforced when a [`Signature`] is
    /// built, so only canonical signatures get here.
    fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        sig.len() == P256_SIGNATURE_LEN && self.0.verify(message, sig).is_ok()
    }
}

fn parse_p256(bytes: &[u8]) -> Option<P256Key> {
    // Only the compressed form (tag 02 or 03) is canonical. The 33-byte "compact" form (tag 05)
    // also parses, and would give the same key a second encoding and so a second wallet id.
    if bytes.len() != P256_PUBLIC_KEY_LEN || !matches!(bytes.first(), Some(0x02 | 0x03)) {
        return None;
    }
    P256Key::new(&p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes).ok()?)
}

impl PublicKey {
    /// Parses `bytes` as a key of `suite`.
    pub fn from_bytes(suite: Suite, bytes: &[u8]) -> Result<Self, CryptoError> {
        let invalid = || CryptoError::InvalidPublicKey { suite };
        let (p256, ml_dsa) = match suite {
            Suite::EcdsaP256 => (Some(parse_p256(bytes).ok_or_else(invalid)?), None),
            Suite::MlDsa44 => (None, Some(ml_dsa::VerifyingKey::from_bytes(bytes).ok_or_else(invalid)?)),
            Suite::CompositeMlDsa44EcdsaP256 => {
                if bytes.len() != suite.public_key_len() {
                    return Err(invalid());
                }
                let (pq, ec) = bytes.split_at(ML_DSA_44_PUBLIC_KEY_LEN);
                (
                    Some(parse_p256(ec).ok_or_else(invalid)?),
                    Some(ml_dsa::VerifyingKey::from_bytes(pq).ok_or_else(invalid)?),
                )
            }
        };
        Ok(Self { suite, bytes: bytes.to_vec(), p256, ml_dsa })
    }

    /// A P-256 key from a SEC1 point in any form (compressed or uncompressed, as Android's
    /// `ECPublicKey` and CryptoKit's `x963Representation` give it); stored compressed.
    pub fn from_p256_sec1(bytes: &[u8]) -> Result<Self, CryptoError> {
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
            .map_err(|_| CryptoError::InvalidPublicKey { suite: Suite::EcdsaP256 })?;
        Self::from_p256(&key)
    }

    pub(crate) fn from_p256(key: &p256::ecdsa::VerifyingKey) -> Result<Self, CryptoError> {
        let bytes = key.to_encoded_point(true).as_bytes().to_vec();
        let p256 = P256Key::new(key).ok_or(CryptoError::InvalidPublicKey { suite: Suite::EcdsaP256 })?;
        Ok(Self { suite: Suite::EcdsaP256, bytes, p256: Some(p256), ml_dsa: None })
    }

    /// A composite key from its two halves.
    pub fn composite(ml_dsa: &PublicKey, p256: &PublicKey) -> Result<Self, CryptoError> {
        if ml_dsa.suite != Suite::MlDsa44 {
            return Err(CryptoError::SuiteMismatch { expected: Suite::MlDsa44, found: ml_dsa.suite });
        }
        if p256.suite != Suite::EcdsaP256 {
            return Err(CryptoError::SuiteMismatch { expected: Suite::EcdsaP256, found: p256.suite });
        }
        let mut bytes = ml_dsa.bytes.clone();
        bytes.extend_from_slice(&p256.bytes);
        Ok(Self { suite: Suite::CompositeMlDsa44EcdsaP256, bytes, p256: p256.p256, ml_dsa: ml_dsa.ml_dsa.clone() })
    }

    /// The suite of this key.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The key's canonical encoding (without the suite id).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Verifies `signature` over `message` (the output of [`super::signing_message`]).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), CryptoError> {
        if signature.suite() != self.suite {
            return Err(CryptoError::SuiteMismatch { expected: self.suite, found: signature.suite() });
        }
        let sig = signature.as_bytes();
        let ok = match (self.suite, self.p256.as_ref(), self.ml_dsa.as_ref()) {
            (Suite::EcdsaP256, Some(ec), _) => ec.verify(message, sig),
            (Suite::MlDsa44, _, Some(pq)) => pq.verify(message, &[], sig),
            (Suite::CompositeMlDsa44EcdsaP256, Some(ec), Some(pq)) => {
                let (pq_sig, ec_sig) = sig.split_at(ML_DSA_44_SIGNATURE_LEN.min(sig.len()));
                // Both must verify; evaluate both so timing does not say which one failed.
                let pq_ok = pq.verify(message, &[], pq_sig);
                let ec_ok = ec.verify(message, ec_sig);
                pq_ok & ec_ok
            }
            _ => false,
        };
        if ok { Ok(()) } else { Err(CryptoError::VerificationFailed) }
    }
}
