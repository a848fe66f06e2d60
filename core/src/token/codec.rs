//! Encoding helpers shared by the objects: keys, signatures, versions, limits.

use crate::cbor::{Decoder, Encoder};
use crate::crypto::{PublicKey, Signature, Suite};

use super::{DecodeError, ObjectKind};

/// Writes a public key as `[suite id, key bytes]`.
pub fn encode_public_key(enc: &mut Encoder, key: &PublicKey) {
    enc.array(2).uint(u64::from(key.suite().id())).bytes(key.as_bytes());
}

/// Reads a public key written by [`encode_public_key`], validating it for its suite.
pub fn decode_public_key(dec: &mut Decoder<'_>) -> Result<PublicKey, DecodeError> {
    dec.array_exact(2)?;
    let suite = Suite::from_id(dec.uint()?)?;
    let bytes = dec.bytes(suite.public_key_len())?;
    Ok(PublicKey::from_bytes(suite, bytes)?)
}

/// Writes a signature as `[suite id, signature bytes]`.
pub fn encode_signature(enc: &mut Encoder, sig: &Signature) {
    enc.array(2).uint(u64::from(sig.suite().id())).bytes(sig.as_bytes());
}

/// Reads a signature written by [`encode_signature`]; only canonical forms are accepted.
pub fn decode_signature(dec: &mut Decoder<'_>) -> Result<Signature, DecodeError> {
    dec.array_exact(2)?;
    let suite = Suite::from_id(dec.uint()?)?;
    let bytes = dec.bytes(suite.signature_len())?;
    Ok(Signature::from_bytes(suite, bytes)?)
}

/// Reads the version item and checks it is one this code knows.
pub fn decode_version(dec: &mut Decoder<'_>, object: ObjectKind) -> Result<(), DecodeError> {
    let found = dec.uint()?;
    if found != super::VERSION {
        return Err(DecodeError::UnknownVersion { object, found });
    }
    Ok(())
}

/// Rejects an input longer than `limit` before decoding starts.
pub fn check_input_len(bytes: &[u8], limit: usize) -> Result<(), DecodeError> {
    if bytes.len() > limit {
        return Err(DecodeError::InputTooLarge { len: bytes.len(), limit });
    }
    Ok(())
}
