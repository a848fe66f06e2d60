//! Who signs: the [`Signer`] trait, the software signer, and adapters for hardware keys.

use zeroize::Zeroizing;

use super::key_wrap::{KeyWrapper, WrappedSecretKey};
use super::p256_secret::P256Secret;
use super::{CryptoError, PublicKey, Signature, Suite, ml_dsa};

/// Anything that can sign for one public key: a software key, an Android Keystore key, a
/// Secure Enclave key, or a composite of two signers.
///
/// `sign` receives the exact bytes to sign (see [`super::signing_message`]) and signs them with
/// the suite's standard algorithm: `SHA256withECDSA` for P-256, pure ML-DSA-44 with an empty
/// context for ML-DSA. It must return a signature that verifies under [`Signer::public_key`].
/// Signing need not be deterministic (the software P-256 signer and hardware keys draw random
/// nonces): callers never rely on re-signing giving the same bytes.
pub trait Signer: Send + Sync {
    /// The key this signer signs for; its suite is the signer's suite.
    fn public_key(&self) -> PublicKey;
    /// Signs `message`.
    fn sign(&self, message: &[u8]) -> Result<Signature, CryptoError>;
    /// The signer's suite.
    fn suite(&self) -> Suite {
        self.public_key().suite()
    }
}

/// The message [`check_signer`] signs. It starts with no suite's domain label, so a probe
/// signature can never be presented as a signature over a protocol object.
pub const SIGNER_PROBE: &[u8] = b"OfflineCash/1 key check";

/// Signs [`SIGNER_PROBE`] with `signer` and verifies the result under the signer's own public
/// key. Apps run it once when a key is set up: it catches a signer that signs with another key
/// than the one it reports, returns malformed signatures, or fails outright — before any payment
/// depends on it. Returns the probe signature.
pub fn check_signer(signer: &dyn Signer) -> Result<Signature, CryptoError> {
    let sig = signer.sign(SIGNER_PROBE)?;
    signer.public_key().verify(SIGNER_PROBE, &sig)?;
    Ok(sig)
}

/// A hardware or platform P-256 key that returns DER signatures (Android Keystore
/// `Signature.getInstance("SHA256withECDSA")`, CryptoKit `signature(for:).derRepresentation`).
pub trait DerSign: Send + Sync {
    /// Signs `message` with ECDSA P-256 / SHA-256 and returns the DER signature.
    fn sign_der(&self, message: &[u8]) -> Result<Vec<u8>, String>;
}

/// Adapts a [`DerSign`] key to [`Signer`]: converts DER to canonical low-S form and checks the
/// result against the public key, so a faulty or swapped hardware key fails loudly here rather
/// than producing payments that no payee will accept.
#[derive(Debug)]
pub struct DerP256Signer<D> {
    public_key: PublicKey,
    inner: D,
}

impl<D: DerSign> DerP256Signer<D> {
    /// Wraps `inner`, whose key is `public_key` (a P-256 key).
    pub fn new(public_key: PublicKey, inner: D) -> Result<Self, CryptoError> {
        if public_key.suite() != Suite::EcdsaP256 {
            return Err(CryptoError::SuiteMismatch { expected: Suite::EcdsaP256, found: public_key.suite() });
        }
        Ok(Self { public_key, inner })
    }
}

impl<D: DerSign> Signer for DerP256Signer<D> {
    fn public_key(&self) -> PublicKey {
        self.public_key.clone()
    }

    fn sign(&self, message: &[u8]) -> Result<Signature, CryptoError> {
        let der = self.inner.sign_der(message).map_err(CryptoError::Signer)?;
        let sig = Signature::from_p256_der(&der)
            .map_err(|e| CryptoError::Signer(format!("hardware signer returned an unusable signature: {e}")))?;
        self.public_key
            .verify(message, &sig)
            .map_err(|_| CryptoError::Signer("hardware signature does not verify under its public key".into()))?;
        Ok(sig)
    }
}

/// Two signers that together form a composite ML-DSA-44 + P-256 signer (for instance a
/// software ML-DSA key and a hardware P-256 key).
pub struct CompositeSigner {
    ml_dsa: Box<dyn Signer>,
    p256: Box<dyn Signer>,
    public_key: PublicKey,
}

impl std::fmt::Debug for CompositeSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompositeSigner").field("public_key", &self.public_key).finish()
    }
}

impl CompositeSigner {
    /// Combines an ML-DSA-44 signer and a P-256 signer.
    pub fn new(ml_dsa: Box<dyn Signer>, p256: Box<dyn Signer>) -> Result<Self, CryptoError> {
        let public_key = PublicKey::composite(&ml_dsa.public_key(), &p256.public_key())?;
        Ok(Self { ml_dsa, p256, public_key })
    }
}

impl Signer for CompositeSigner {
    fn public_key(&self) -> PublicKey {
        self.public_key.clone()
    }

    fn sign(&self, message: &[u8]) -> Result<Signature, CryptoError> {
        Signature::composite(&self.ml_dsa.sign(message)?, &self.p256.sign(message)?)
    }
}

enum SecretKey {
    P256(P256Secret),
    MlDsa44(Zeroizing<Vec<u8>>),
    Composite(Zeroizing<Vec<u8>>, P256Secret),
    /// Test support only: P-256 with RFC 6979 nonces on `p256` (zeroized on drop).
    #[cfg(feature = "test-support")]
    P256Deterministic(p256::ecdsa::SigningKey),
}

/// A signer whose secret key lives in process memory (zeroized on drop; `ring`'s internal
/// copy of a P-256 key is overwritten in place, see `p256_secret.rs`). Its secret leaves only wrapped by a
/// [`KeyWrapper`]; there is no other way to serialise it.
///
/// P-256 signs on `ring` with random nonces (decision 0009), ML-DSA-44 on pqcrypto-mldsa
/// (randomized too): two signatures of one message differ, and both verify.
pub struct SoftwareSigner {
    secret: SecretKey,
    public_key: PublicKey,
}

impl std::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secret material.
        f.debug_struct("SoftwareSigner").field("public_key", &self.public_key).finish_non_exhaustive()
    }
}

fn ml_dsa_public_key(bytes: &[u8]) -> Result<PublicKey, CryptoError> {
    PublicKey::from_bytes(Suite::MlDsa44, bytes)
}

impl SoftwareSigner {
    /// A fresh key of `suite` from the operating system's random source.
    pub fn generate(suite: Suite) -> Result<Self, CryptoError> {
        if suite == Suite::EcdsaP256 {
            return Self::from_p256(P256Secret::generate()?);
        }
        let (pk, sk) = ml_dsa::generate();
        let pq = ml_dsa_public_key(&pk)?;
        if suite == Suite::MlDsa44 {
            return Ok(Self { secret: SecretKey::MlDsa44(sk), public_key: pq });
        }
        let ec = P256Secret::generate()?;
        let public_key = PublicKey::composite(&pq, &PublicKey::from_p256(ec.verifying_key())?)?;
        Ok(Self { secret: SecretKey::Composite(sk, ec), public_key })
    }

    /// A P-256 signer from a 32-byte secret scalar (fixed keys for tests and vectors; the
    /// signatures are still randomized).
    pub fn p256_from_scalar(scalar: &[u8; 32]) -> Result<Self, CryptoError> {
        let key =
            P256Secret::from_slice(scalar).ok_or_else(|| CryptoError::KeyWrap("invalid P-256 secret scalar".into()))?;
        Self::from_p256(key)
    }

    /// Test support only (the `test-support` feature: not in the mobile library nor the issuer): a
    /// P-256 signer from a fixed scalar whose signatures are RFC 6979 deterministic, on `p256`,
    /// folded to low S. Fixtures signed with it are the same bytes on every run: the fuzz
    /// corpora (`fuzz/src/lib.rs`) and the committed vectors (`core/tests/vector_support`).
    /// Shipped code signs with random nonces (decision 0009).
    #[cfg(feature = "test-support")]
    pub fn p256_deterministic_from_scalar(scalar: &[u8; 32]) -> Result<Self, CryptoError> {
        let key = p256::ecdsa::SigningKey::from_slice(scalar)
            .map_err(|_| CryptoError::KeyWrap("invalid P-256 secret scalar".into()))?;
        let public_key = PublicKey::from_p256(key.verifying_key())?;
        Ok(Self { secret: SecretKey::P256Deterministic(key), public_key })
    }

    fn from_p256(key: P256Secret) -> Result<Self, CryptoError> {
        let public_key = PublicKey::from_p256(key.verifying_key())?;
        Ok(Self { secret: SecretKey::P256(key), public_key })
    }

    /// Wraps the secret key with `wrapper` for storage.
    pub fn wrap(&self, wrapper: &dyn KeyWrapper) -> Result<WrappedSecretKey, CryptoError> {
        let secret: Zeroizing<Vec<u8>> = match &self.secret {
            SecretKey::P256(k) => k.to_bytes(),
            #[cfg(feature = "test-support")]
            SecretKey::P256Deterministic(k) => {
                let mut bytes = k.to_bytes();
                let out = Zeroizing::new(bytes.to_vec());
                let raw: &mut [u8] = &mut bytes;
                zeroize::Zeroize::zeroize(raw);
                out
            }
            SecretKey::MlDsa44(sk) => sk.clone(),
            SecretKey::Composite(sk, ec) => {
                // Sized up front: a reallocation would leave a copy of the secret behind.
                let mut v = Zeroizing::new(Vec::with_capacity(sk.len() + 32));
                v.extend_from_slice(sk);
                v.extend_from_slice(&ec.to_bytes());
                v
            }
        };
        let wrapped = wrapper.wrap(&secret).map_err(|e| CryptoError::KeyWrap(e.0))?;
        Ok(WrappedSecretKey { public_key: self.public_key.clone(), wrapped })
    }

    /// Restores a signer from a wrapped secret; checks that the secret matches the public key.
    pub fn unwrap(wrapped: &WrappedSecretKey, wrapper: &dyn KeyWrapper) -> Result<Self, CryptoError> {
        let secret = wrapper.unwrap(&wrapped.wrapped).map_err(|e| CryptoError::KeyWrap(e.0))?;
        let public_key = wrapped.public_key.clone();
        let bad = || CryptoError::KeyWrap("unwrapped secret does not match the public key".into());
        let signer = match public_key.suite() {
            Suite::EcdsaP256 => {
                let key = P256Secret::from_slice(&secret).ok_or_else(bad)?;
                Self { secret: SecretKey::P256(key), public_key }
            }
            Suite::MlDsa44 => {
                if secret.len() != ml_dsa::SECRET_KEY_LEN {
                    return Err(bad());
                }
                Self { secret: SecretKey::MlDsa44(secret), public_key }
            }
            Suite::CompositeMlDsa44EcdsaP256 => {
                let (pq, ec) = secret.split_at(ml_dsa::SECRET_KEY_LEN.min(secret.len()));
                let ec = P256Secret::from_slice(ec).ok_or_else(bad)?;
                if pq.len() != ml_dsa::SECRET_KEY_LEN {
                    return Err(bad());
                }
                Self { secret: SecretKey::Composite(Zeroizing::new(pq.to_vec()), ec), public_key }
            }
        };
        // Proves the secret belongs to the public key (catches a wrong wrapper key or a swap).
        check_signer(&signer).map_err(|_| bad())?;
        Ok(signer)
    }
}

fn sign_ml_dsa(sk: &[u8], message: &[u8]) -> Result<Signature, CryptoError> {
    let raw = ml_dsa::sign(sk, message).ok_or(CryptoError::KeyWrap("malformed ML-DSA-44 secret key".into()))?;
    Signature::from_bytes(Suite::MlDsa44, &raw)
}

impl Signer for SoftwareSigner {
    fn public_key(&self) -> PublicKey {
        self.public_key.clone()
    }

    fn sign(&self, message: &[u8]) -> Result<Signature, CryptoError> {
        match &self.secret {
            SecretKey::P256(key) => key.sign(message),
            #[cfg(feature = "test-support")]
            SecretKey::P256Deterministic(key) => {
                let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(key, message);
                Signature::from_p256_raw_any_s(&sig.to_bytes())
            }
            SecretKey::MlDsa44(sk) => sign_ml_dsa(sk, message),
            SecretKey::Composite(sk, ec) => Signature::composite(&sign_ml_dsa(sk, message)?, &ec.sign(message)?),
        }
    }
}
