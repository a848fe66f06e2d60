//! The envelope shared by every signed object: `[body, signature]`.
//!
//! The digest (and so every id) is SHA-256 over a per-type domain tag and the canonical bytes
//! of the *body only*; the signature is over the digest (see [`crate::crypto::signing_message`]).
//! Re-encoding a signature, even if it were malleable, can therefore never change an id.

use crate::cbor::{Decoder, Encoder};
use crate::crypto::{CryptoError, PublicKey, Signature, Signer, Suite, sha256, signing_message};

use super::{DecodeError, ObjectKind, codec};

/// The unsigned content of a signed object.
pub trait Body: Sized + Clone {
    /// Domain tag hashed before the body; unique per object type.
    const TAG: &'static [u8];
    /// What kind of object this is (for errors).
    const KIND: ObjectKind;
    /// Largest encoding of a whole signed object of this type that [`Signed::from_bytes`]
    /// accepts (checked before decoding starts).
    const MAX_BYTES: usize = super::MAX_OBJECT_BYTES;
    /// Writes the canonical body: a CBOR array whose first item is the version.
    fn encode(&self, enc: &mut Encoder);
    /// Reads a body written by [`Body::encode`], strictly.
    fn decode(dec: &mut Decoder<'_>) -> Result<Self, DecodeError>;
}

/// A body with its signature and its digest, computed once.
#[derive(Clone)]
pub struct Signed<B: Body> {
    body: B,
    signature: Signature,
    digest: [u8; 32],
}

impl<B: Body + std::fmt::Debug> std::fmt::Debug for Signed<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signed").field("body", &self.body).field("signature", &self.signature).finish()
    }
}

impl<B: Body> PartialEq for Signed<B> {
    fn eq(&self, other: &Self) -> bool {
        self.digest == other.digest && self.signature == other.signature
    }
}
impl<B: Body> Eq for Signed<B> {}

/// Digest of a body: SHA-256(tag ‖ canonical body bytes).
pub fn body_digest<B: Body>(body: &B) -> [u8; 32] {
    let mut enc = Encoder::new();
    body.encode(&mut enc);
    sha256(&[B::TAG, enc.as_slice()])
}

impl<B: Body> Signed<B> {
    /// Signs `body` with `signer`.
    pub fn sign(body: B, signer: &dyn Signer) -> Result<Self, CryptoError> {
        let digest = body_digest(&body);
        let signature = signer.sign(&signing_message(signer.suite(), &digest))?;
        Ok(Self { body, signature, digest })
    }

    /// Puts a body and a signature together without checking the signature (used by decoders
    /// and by tests that tamper with objects). Check with [`Signed::verify_with`].
    pub fn from_parts(body: B, signature: Signature) -> Self {
        let digest = body_digest(&body);
        Self { body, signature, digest }
    }

    /// The unsigned content.
    pub fn body(&self) -> &B {
        &self.body
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// SHA-256 over the type's tag and the canonical body: the object's id.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// Checks the signature under `key`.
    pub fn verify_with(&self, key: &PublicKey) -> Result<(), CryptoError> {
        key.verify(&signing_message(key.suite(), &self.digest), &self.signature)
    }

    /// Writes `[body, signature]`.
    pub fn encode_into(&self, enc: &mut Encoder) {
        enc.array(2);
        self.body.encode(enc);
        codec::encode_signature(enc, &self.signature);
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut enc = Encoder::new();
        self.encode_into(&mut enc);
        enc.finish()
    }

    /// Reads one object from `dec` (hashing the body bytes as read, without re-encoding).
    pub fn decode_from(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        dec.array_exact(2)?;
        let start = dec.position();
        let body = B::decode(dec)?;
        let digest = sha256(&[B::TAG, dec.since(start)]);
        let signature = codec::decode_signature(dec)?;
        Ok(Self { body, signature, digest })
    }

    /// Decodes exactly one object from `bytes`; rejects trailing bytes and inputs over
    /// [`Body::MAX_BYTES`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::check_input_len(bytes, B::MAX_BYTES)?;
        let mut dec = Decoder::new(bytes);
        let out = Self::decode_from(&mut dec)?;
        dec.finish()?;
        Ok(out)
    }

    /// The suite that signed this object.
    pub fn suite(&self) -> Suite {
        self.signature.suite()
    }
}

/// A body signed by an issuer key named inside it.
pub trait IssuerSigned: Body {
    /// The issuer key id the body names.
    fn issuer_key_id(&self) -> u32;
    /// The time the signing key must have been valid at (issue time, or start of validity).
    fn signed_at(&self) -> u64;
}

impl<B: IssuerSigned> Signed<B> {
    /// Checks the signature with the trusted issuer key the body names, which must have been
    /// valid at the body's signing time. An unknown key is [`Rejection::Forged`]; a signature
    /// that does not match is [`Rejection::Altered`].
    pub fn verify_issuer(&self, trust: &super::TrustStore) -> Result<(), super::Rejection> {
        let key_id = self.body.issuer_key_id();
        let key = trust
            .get(key_id)
            .filter(|k| k.covers(self.body.signed_at()))
            .ok_or(super::Rejection::Forged { object: B::KIND, key_id })?;
        self.verify_with(&key.public_key).map_err(|_| super::Rejection::Altered { object: B::KIND })
    }
}
