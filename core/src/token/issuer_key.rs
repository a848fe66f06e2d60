//! Issuer public keys and the wallet's trust store of them.

use std::collections::BTreeMap;

use crate::cbor::{Decoder, Encoder};
use crate::crypto::PublicKey;

use super::{DecodeError, ObjectKind, codec};

/// An issuer signing key as wallets pin it: `[version, key_id, public_key, not_before, not_after]`.
///
/// Issuer keys are trust anchors: a wallet pins its first keys at provisioning (out of band,
/// or on first use at registration) and trusts a later key only through a
/// [`super::KeyRotation`] signed by a key it already trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerKey {
    /// Small id that signed objects name (`issuer_key_id`).
    pub key_id: u32,
    /// The key.
    pub public_key: PublicKey,
    /// First second (Unix time) at which the key may sign.
    pub not_before: u64,
    /// Last second at which the key may sign.
    pub not_after: u64,
}

impl IssuerKey {
    /// Writes the canonical encoding.
    pub fn encode_into(&self, enc: &mut Encoder) {
        enc.array(5).uint(super::VERSION).uint(u64::from(self.key_id));
        codec::encode_public_key(enc, &self.public_key);
        enc.uint(self.not_before).uint(self.not_after);
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut enc = Encoder::new();
        self.encode_into(&mut enc);
        enc.finish()
    }

    /// Reads one key.
    pub fn decode_from(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        dec.array_exact(5)?;
        codec::decode_version(dec, ObjectKind::IssuerKey)?;
        let key_id = dec.u32()?;
        let public_key = codec::decode_public_key(dec)?;
        let not_before = dec.uint()?;
        let not_after = dec.uint()?;
        Ok(Self { key_id, public_key, not_before, not_after })
    }

    /// Decodes exactly one key from `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::check_input_len(bytes, super::MAX_OBJECT_BYTES)?;
        let mut dec = Decoder::new(bytes);
        let key = Self::decode_from(&mut dec)?;
        dec.finish()?;
        Ok(key)
    }

    /// Whether the key may have signed something dated `at`.
    pub fn covers(&self, at: u64) -> bool {
        self.not_before <= at && at <= self.not_after
    }
}

/// The issuer keys a wallet trusts, by key id.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    keys: BTreeMap<u32, IssuerKey>,
}

impl TrustStore {
    /// An empty store (trusts nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// A store trusting `keys`.
    pub fn with_keys(keys: impl IntoIterator<Item = IssuerKey>) -> Self {
        let mut store = Self::new();
        for key in keys {
            store.add(key);
        }
        store
    }

    /// Trusts `key` (replacing any key with the same id).
    pub fn add(&mut self, key: IssuerKey) {
        self.keys.insert(key.key_id, key);
    }

    /// The key with id `key_id`, if trusted.
    pub fn get(&self, key_id: u32) -> Option<&IssuerKey> {
        self.keys.get(&key_id)
    }

    /// Every trusted key, by id.
    pub fn keys(&self) -> impl Iterator<Item = &IssuerKey> {
        self.keys.values()
    }
}
