//! A compact request signed with a one-time hash-based key instead of the payee's ML-DSA-44
//! key (frame `0x0C`, docs/decisions/0022-one-time-request-keys.md).
//!
//! ```text
//!  tap n (any locked request, signed by the payee's wallet key)
//!    receipt_lock = SHA-256("OC1/receipt-key" ‖ C)     C = commitment of a fresh one-time key S
//!    key receipt reveals C ──► the payer keeps C for this payee
//!  tap n+1 (warm, the payee holds S for this payer)
//!    OneTimeRequest [[5, certificate_id, …, receipt_lock′], σ]   σ = one-time signature by S
//!    payer: σ over this body leads to C? ──► checked as a compact request; else Poll
//! ```
//!
//! The body is a compact request's ([`CompactRequestBody`]) under version 5, hashed under the
//! same tag; the version leads the signed body, so a body signed in one form never verifies in
//! another. The one-time key signs `"OfflineCash/1 one-time " ‖ digest`, a label no suite uses.
//! Not here: which key signs (the wallet keeps one per payer and deletes it before the
//! signature leaves) and which commitment a payer holds (the wallet's store).

use crate::cbor::{Decoder, Encoder};
use crate::crypto::{ONE_TIME_SIGNATURE_LEN, OneTimeKey, OneTimeSignature, sha256};
use crate::token::{Body, DecodeError};

use super::compact::CompactRequestBody;

/// Version of a compact request body signed with a one-time key.
pub const ONE_TIME_REQUEST_VERSION: u64 = 5;

/// What a one-time key signs for a request whose digest is `digest`.
const LABEL: &[u8] = b"OfflineCash/1 one-time ";

/// A compact request signed with a one-time key: `[[5, certificate_id, amount, currency, nonce,
/// time, expires_at, can_receive, [hint…], ephemeral_key, receipt_lock], signature: bstr 1240]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeRequest {
    body: CompactRequestBody,
    digest: [u8; 32],
    signature: OneTimeSignature,
}

fn digest_of(body_bytes: &[u8]) -> [u8; 32] {
    sha256(&[CompactRequestBody::TAG, body_bytes])
}

fn message(digest: &[u8; 32]) -> Vec<u8> {
    [LABEL, &digest[..]].concat()
}

impl OneTimeRequest {
    /// Signs `body` with `key`, which is used up.
    pub fn sign(body: CompactRequestBody, key: OneTimeKey) -> Self {
        let mut enc = Encoder::new();
        body.encode_as(&mut enc, ONE_TIME_REQUEST_VERSION);
        let digest = digest_of(enc.as_slice());
        let signature = key.sign(&message(&digest));
        Self { body, digest, signature }
    }

    /// The request's fields.
    pub fn body(&self) -> &CompactRequestBody {
        &self.body
    }

    /// SHA-256 over the tag and the version-5 body.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// Whether the key whose commitment is `commitment` signed this request.
    pub fn verifies(&self, commitment: &[u8; 32]) -> bool {
        self.signature.verifies(commitment, &message(&self.digest))
    }

    /// Writes `[body, signature]`.
    pub fn encode_into(&self, enc: &mut Encoder) {
        enc.array(2);
        self.body.encode_as(enc, ONE_TIME_REQUEST_VERSION);
        enc.bytes(&self.signature.to_bytes());
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut enc = Encoder::new();
        self.encode_into(&mut enc);
        enc.finish()
    }

    /// Reads one request from `dec` (hashing the body bytes as read).
    pub fn decode_from(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        dec.array_exact(2)?;
        let start = dec.position();
        let body = CompactRequestBody::decode_as(dec, ONE_TIME_REQUEST_VERSION)?;
        let digest = digest_of(dec.since(start));
        let at = dec.position();
        let signature = OneTimeSignature::from_bytes(dec.bytes(ONE_TIME_SIGNATURE_LEN)?)
            .ok_or(DecodeError::InvalidField { offset: at, field: "one-time signature" })?;
        Ok(Self { body, digest, signature })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

    use super::*;
    use crate::protocol::{CERT_HINT_LEN, Frame};
    use crate::token::Currency;

    fn body() -> CompactRequestBody {
        CompactRequestBody {
            certificate_id: [4; 32],
            amount: 300,
            currency: Currency::new("EUR").unwrap(),
            nonce: [5; 16],
            time: 1_000,
            expires_at: 1_600,
            can_receive: 10_000,
            cert_hints: vec![[9; CERT_HINT_LEN]],
            ephemeral_key: Some([2; 33]),
            receipt_lock: Some([6; 32]),
        }
    }

    #[test]
    fn a_one_time_request_round_trips_and_verifies_only_under_its_commitment() {
        let key = OneTimeKey::from_seed([3; 32]);
        let commitment = key.commitment();
        let request = OneTimeRequest::sign(body(), key);
        let frame = Frame::OneTimeRequest(Box::new(request.clone())).encode();
        let Frame::OneTimeRequest(back) = Frame::decode(&frame).unwrap() else { panic!("not a one-time request") };
        assert_eq!(*back, request);
        assert!(back.verifies(&commitment));
        assert!(!back.verifies(&OneTimeKey::from_seed([4; 32]).commitment()));
        // Any changed field breaks the signature.
        let mut altered = frame.clone();
        let at = altered.windows(3).position(|w| w == [0x19, 0x01, 0x2c]).unwrap(); // amount 300
        altered[at + 2] = 0x2d;
        let Frame::OneTimeRequest(altered) = Frame::decode(&altered).unwrap() else { panic!() };
        assert!(!altered.verifies(&commitment));
    }

    #[test]
    fn a_one_time_body_never_passes_for_a_compact_one() {
        let request = OneTimeRequest::sign(body(), OneTimeKey::from_seed([3; 32]));
        let mut as_compact = Frame::OneTimeRequest(Box::new(request)).encode();
        as_compact[0] = 0x09;
        assert!(matches!(Frame::decode(&as_compact), Err(DecodeError::UnknownVersion { found: 5, .. })));
    }

    #[test]
    fn a_signature_of_another_length_is_malformed() {
        let request = OneTimeRequest::sign(body(), OneTimeKey::from_seed([3; 32]));
        let mut enc = Encoder::new();
        enc.array(2);
        request.body.encode_as(&mut enc, ONE_TIME_REQUEST_VERSION);
        enc.bytes(&[0u8; ONE_TIME_SIGNATURE_LEN - 1]);
        let mut frame = vec![0x0C];
        frame.extend_from_slice(enc.as_slice());
        assert!(Frame::decode(&frame).is_err());
    }
}
