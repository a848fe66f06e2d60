//! Issuer-key rotation: the only way a wallet comes to trust a key it did not pin at
//! provisioning.
//!
//! ```text
//!  pinned key 1 ──signs──► KeyRotation { new key 2, ends key 1 at T } ──► trust {1 (ends T), 2}
//!                 key 2 ──signs──► KeyRotation { new key 3 }          ──► trust {1, 2, 3}
//! ```
//!
//! A rotation is an issuer-signed object (`[body, signature]`, like a policy) whose body names
//! the key that signed it, the time it was signed, the new key, and optionally a key whose
//! validity it ends. [`TrustStore::apply_rotation`] checks it against the keys trusted *now*
//! and only then adds the new key, so a chain of rotations verifies back to a pinned key one
//! link at a time. Nothing here removes a key: an ended key still verifies what it signed
//! before its end (notes, certificates), which is what keeps value issued under it good.
//!
//! Not done here: storing the result (the wallet's store does) or choosing which rotations to
//! fetch (the sync answer carries the issuer's whole chain, oldest first).

use crate::cbor::{Decoder, Encoder};

use super::signed::{Body, IssuerSigned, Signed};
use super::{DecodeError, IssuerKey, ObjectKind, Rejection, TrustStore, codec};

/// The end of an existing key's validity, set by a rotation: `[key_id, not_after]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEnd {
    /// The key whose validity ends.
    pub key_id: u32,
    /// Its new last second of validity (never later than the one trusted now).
    pub not_after: u64,
}

/// The signed content of a rotation:
/// `[version, signer_key_id, issued_at, new_key, ends]`, where `new_key` is an [`IssuerKey`]
/// (`[version, key_id, public_key, not_before, not_after]`) and `ends` is `[]` or
/// `[[key_id, not_after]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRotationBody {
    /// The trusted issuer key that signs the rotation.
    pub signer_key_id: u32,
    /// When the issuer signed it; the signer must be valid then.
    pub issued_at: u64,
    /// The key introduced.
    pub new_key: IssuerKey,
    /// A key whose validity ends, if any (typically the signer itself: "key 1 signs until T,
    /// key 2 from now on").
    pub ends: Option<KeyEnd>,
}

/// An issuer-signed rotation.
pub type KeyRotation = Signed<KeyRotationBody>;

impl Body for KeyRotationBody {
    const TAG: &'static [u8] = b"OC1/key-rotation";
    const KIND: ObjectKind = ObjectKind::KeyRotation;

    fn encode(&self, enc: &mut Encoder) {
        enc.array(5).uint(super::VERSION).uint(u64::from(self.signer_key_id)).uint(self.issued_at);
        self.new_key.encode_into(enc);
        match &self.ends {
            None => {
                enc.array(0);
            }
            Some(end) => {
                enc.array(1).array(2).uint(u64::from(end.key_id)).uint(end.not_after);
            }
        }
    }

    fn decode(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        dec.array_exact(5)?;
        codec::decode_version(dec, Self::KIND)?;
        let signer_key_id = dec.u32()?;
        let issued_at = dec.uint()?;
        let new_key = IssuerKey::decode_from(dec)?;
        let ends = match dec.array(1)? {
            0 => None,
            _ => {
                dec.array_exact(2)?;
                Some(KeyEnd { key_id: dec.u32()?, not_after: dec.uint()? })
            }
        };
        Ok(Self { signer_key_id, issued_at, new_key, ends })
    }
}

impl IssuerSigned for KeyRotationBody {
    fn issuer_key_id(&self) -> u32 {
        self.signer_key_id
    }
    fn signed_at(&self) -> u64 {
        self.issued_at
    }
}

/// Why a rotation was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RotationError {
    /// The signer is not a trusted key valid at `issued_at` ([`Rejection::Forged`]) or the
    /// signature does not match ([`Rejection::Altered`]).
    #[error("rotation not signed by a trusted key: {0}")]
    Signature(Rejection),
    /// Dated after the verifier's clock (beyond the allowed skew).
    #[error("rotation dated {issued_at}, after the time checked {now}")]
    FutureDated {
        /// The rotation's date.
        issued_at: u64,
        /// The verifier's time plus skew.
        now: u64,
    },
    /// The new key's id is already trusted with another public key or validity.
    #[error("key id {key_id} is already trusted with another key")]
    KeyIdConflict {
        /// The id.
        key_id: u32,
    },
    /// The new key's validity is empty (`not_before > not_after`).
    #[error("new key {key_id} has an empty validity")]
    EmptyValidity {
        /// The id.
        key_id: u32,
    },
    /// `ends` names a key that is not trusted, would extend it, or ends it before the
    /// rotation's own date (which would retroactively invalidate what it signed).
    #[error("rotation cannot end key {key_id} at {not_after}")]
    BadEnd {
        /// The key named.
        key_id: u32,
        /// The end asked for.
        not_after: u64,
    },
}

/// What applying a rotation changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationApplied {
    /// The new key (and the end, if any) is now trusted.
    Added,
    /// Everything in it was already trusted (the same rotation seen again).
    AlreadyTrusted,
}

impl TrustStore {
    /// Checks `rotation` against the keys trusted now (`now` is the verifier's clock,
    /// `max_skew` how far ahead a signer's clock may be) and, if it verifies, trusts the new
    /// key and applies its end. On error the store is unchanged.
    pub fn apply_rotation(
        &mut self,
        rotation: &KeyRotation,
        now: u64,
        max_skew: u64,
    ) -> Result<RotationApplied, RotationError> {
        let body = rotation.body();
        rotation.verify_issuer(self).map_err(RotationError::Signature)?;
        if body.issued_at > now.saturating_add(max_skew) {
            return Err(RotationError::FutureDated { issued_at: body.issued_at, now: now.saturating_add(max_skew) });
        }
        let new = &body.new_key;
        if new.not_before > new.not_after {
            return Err(RotationError::EmptyValidity { key_id: new.key_id });
        }
        // The new key as it will be trusted: its own end may be part of this rotation.
        let mut new_trusted = new.clone();
        let mut ended = None;
        if let Some(end) = body.ends {
            let current = if end.key_id == new.key_id { Some(new) } else { self.get(end.key_id) };
            let ok = current.is_some_and(|k| end.not_after <= k.not_after && end.not_after >= body.issued_at);
            let Some(current) = current.filter(|_| ok) else {
                return Err(RotationError::BadEnd { key_id: end.key_id, not_after: end.not_after });
            };
            let mut k = current.clone();
            k.not_after = end.not_after;
            if end.key_id == new.key_id {
                new_trusted = k;
            } else {
                ended = Some(k);
            }
        }
        let already = match self.get(new.key_id) {
            None => false,
            // The same key seen again (possibly already ended by this or a later rotation).
            Some(k) if k.public_key == new.public_key && k.not_before == new.not_before => true,
            Some(_) => return Err(RotationError::KeyIdConflict { key_id: new.key_id }),
        };
        let mut changed = false;
        if !already {
            self.add(new_trusted);
            changed = true;
        }
        if let Some(k) = ended {
            // An end only ever shortens a key (an older rotation seen again changes nothing).
            if self.get(k.key_id).is_some_and(|cur| k.not_after < cur.not_after) {
                self.add(k);
                changed = true;
            }
        }
        Ok(if changed { RotationApplied::Added } else { RotationApplied::AlreadyTrusted })
    }

    /// Applies a chain of rotations in order (oldest first), each checked against the keys
    /// trusted after the ones before it. Returns the outcome of each, in order; one that fails
    /// leaves the store as the ones before it made it and does not stop the others.
    pub fn apply_rotations(
        &mut self,
        rotations: &[KeyRotation],
        now: u64,
        max_skew: u64,
    ) -> Vec<Result<RotationApplied, RotationError>> {
        rotations.iter().map(|r| self.apply_rotation(r, now, max_skew)).collect()
    }
}
