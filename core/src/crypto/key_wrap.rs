//! Wrapping secret keys at rest with a key the app provides.
//!
//! ```text
//!   SoftwareSigner ──secret──► KeyWrapper::wrap (app: Keystore AES-GCM, Keychain…)
//!        ▲                          │ opaque bytes
//!        │                          ▼
//!   unwrap + key check ◄── WrappedSecretKey { public key, wrapped } ◄──► encode / decode
//! ```
//!
//! The core never sees the wrapping key and never stores a secret any other way. A
//! [`WrappedSecretKey`] has one canonical encoding (`[version, [suite, public key], wrapped]`,
//! see [`crate::cbor`]) so the app can store it as a blob; decoding is strict and bounded. This
//! module does not decide where the blob is stored.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use super::PublicKey;
use crate::cbor::{Decoder, Encoder};
use crate::token::{DecodeError, ObjectKind, codec};

/// Largest wrapper output accepted when decoding a [`WrappedSecretKey`] (a composite secret is
/// 2,592 bytes; this leaves room for any wrapper's nonce, tag and framing).
pub const MAX_WRAPPED_SECRET_BYTES: usize = 8 * 1024;

/// Largest encoding of a [`WrappedSecretKey`]: the wrapped secret, a composite public key, framing.
const MAX_ENCODED_BYTES: usize = MAX_WRAPPED_SECRET_BYTES + 2 * 1024;

/// Why a wrap or unwrap failed (the platform's message, never key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrapError(pub String);

impl std::fmt::Display for WrapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Encrypts and decrypts secret keys with a key the app holds (Android Keystore AES-GCM key,
/// iOS Keychain / Secure Enclave). The core never stores a secret key any other way.
pub trait KeyWrapper: Send + Sync {
    /// Encrypts `secret`; the output is opaque to the core.
    fn wrap(&self, secret: &[u8]) -> Result<Vec<u8>, WrapError>;
    /// Decrypts what [`KeyWrapper::wrap`] produced.
    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, WrapError>;
}

/// A secret key in wrapped form, with the public key it belongs to.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedSecretKey {
    /// The public key (and so the suite) of the wrapped secret.
    pub public_key: PublicKey,
    /// The wrapper's output.
    pub wrapped: Vec<u8>,
}

impl WrappedSecretKey {
    /// The canonical encoding: `[version, [suite id, public key], wrapped]`.
    pub fn encode(&self) -> Vec<u8> {
        let mut enc = Encoder::new();
        enc.array(3).uint(crate::token::VERSION);
        codec::encode_public_key(&mut enc, &self.public_key);
        enc.bytes(&self.wrapped);
        enc.finish()
    }

    /// Decodes what [`WrappedSecretKey::encode`] wrote; rejects anything else (unknown version,
    /// invalid public key, oversize or trailing bytes). Does not unwrap anything.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::check_input_len(bytes, MAX_ENCODED_BYTES)?;
        let mut dec = Decoder::new(bytes);
        dec.array_exact(3)?;
        codec::decode_version(&mut dec, ObjectKind::WrappedKey)?;
        let public_key = codec::decode_public_key(&mut dec)?;
        let wrapped = dec.bytes(MAX_WRAPPED_SECRET_BYTES)?.to_vec();
        dec.finish()?;
        Ok(Self { public_key, wrapped })
    }
}

impl std::fmt::Debug for WrappedSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WrappedSecretKey").field("public_key", &self.public_key).finish_non_exhaustive()
    }
}

/// AES-256-GCM with a key held in memory: for tests, the CLI and hosts without a keystore.
/// Output layout: 12-byte random nonce ‖ ciphertext ‖ 16-byte tag.
pub struct SoftwareKeyWrapper {
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SoftwareKeyWrapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SoftwareKeyWrapper")
    }
}

impl SoftwareKeyWrapper {
    /// A wrapper using `key` as its AES-256 key.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key: Zeroizing::new(key) }
    }

    /// A wrapper with a fresh random key.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self::new(key)
    }
}

const NONCE_LEN: usize = 12;

impl KeyWrapper for SoftwareKeyWrapper {
    fn wrap(&self, secret: &[u8]) -> Result<Vec<u8>, WrapError> {
        let cipher = Aes256Gcm::new_from_slice(self.key.as_ref()).map_err(|_| WrapError("bad AES key".into()))?;
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ct =
            cipher.encrypt(&Nonce::from(nonce), secret).map_err(|_| WrapError("AES-GCM encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, WrapError> {
        if wrapped.len() < NONCE_LEN + 16 {
            return Err(WrapError("wrapped key too short".into()));
        }
        let (nonce, ct) = wrapped.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| WrapError("wrapped key too short".into()))?;
        let cipher = Aes256Gcm::new_from_slice(self.key.as_ref()).map_err(|_| WrapError("bad AES key".into()))?;
        cipher
            .decrypt(&Nonce::from(nonce), ct)
            .map(Zeroizing::new)
            .map_err(|_| WrapError("wrapped key does not authenticate (wrong wrapping key or altered)".into()))
    }
}
