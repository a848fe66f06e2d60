//! The warm-tap messages: a payer's `Hello` and a payee's compact request. Together they let two
//! wallets that met before skip both certificates.
//!
//! ```text
//!  reader payer                                   card payee (advertised "hello" in SELECT)
//!   Hello [1, salt, tag] ───────────────────────►  tag = SHA-256("OC1/hello" ‖ salt ‖ cert id)[..8]
//!                                                  matches a payer certificate it holds?
//!      ◄── CompactRequest (v3: payee cert by id)   …and the payer is known to hold its cert
//!      ◄── Request (v2: full cert, hints for that payer's certs)   otherwise
//!   payer lacks the certificate named by id?
//!   Poll ───────────────────────────────────────►  the full v2 request again (same nonce)
//! ```
//!
//! The tag names the payer's current certificate without showing its id to an eavesdropper.
//! The salt is fresh for every tap, so two taps of the same payer carry unrelated tags. A
//! holder of that certificate can still test a tag, which is the point: only such a holder
//! can use it. A compact request has the same fields as a v2 request ([`RequestBody`]), except
//! that the payee's certificate is replaced by its id (digest). It is signed under the same
//! tag, and version 3 leads the signed body, so one form never verifies as the other. The payer
//! looks the id up in the certificates it keeps and checks the certificate found exactly as if
//! it had been carried ([`RequestBody::compact`](super::RequestBody::compact) and
//! [`RequestBody::expand`](super::RequestBody::expand) convert) (issuer signature, validity at the tap's instant, revocation).
//!
//! Not here: deciding whom to answer compactly (the wallet keeps who holds which of its
//! certificates) and caching certificates (the wallet's store).

use crate::cbor::{Decoder, Encoder};
use crate::crypto::sha256;
use crate::token::{Body, Currency, DecodeError, ObjectKind, Signed};

use super::hints::{CERT_HINT_LEN, MAX_CERT_HINTS};

/// Card application feature bit (SELECT answer, tag 85): this card's payee answers a hello.
pub const FEATURE_HELLO: u8 = 0x01;
/// Card application feature bit (SELECT answer, tag 85): this card's payer answers a Poll with
/// its hello, so a reader payee that met it sends a compact request (the card-payer tap).
pub const FEATURE_PAYER_HELLO: u8 = 0x02;

/// Version of the compact request body.
pub const COMPACT_REQUEST_VERSION: u64 = 3;
/// Version of the hello payload.
pub const HELLO_VERSION: u64 = 1;
/// Length of a hello's salt and tag.
pub const HELLO_LEN: usize = 8;

/// The payer's opening frame to a card that understands it: who the payer is, salted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello {
    /// Fresh random bytes.
    pub salt: [u8; HELLO_LEN],
    /// The first 8 bytes of SHA-256("OC1/hello" ‖ salt ‖ id of the payer's current certificate).
    pub tag: [u8; HELLO_LEN],
}

impl Hello {
    /// The hello of the payer whose current certificate has id `certificate_id`.
    pub fn new(salt: [u8; HELLO_LEN], certificate_id: &[u8; 32]) -> Self {
        Self { salt, tag: hello_tag(&salt, certificate_id) }
    }

    /// Whether `certificate_id` is the one this hello names.
    pub fn names(&self, certificate_id: &[u8; 32]) -> bool {
        hello_tag(&self.salt, certificate_id) == self.tag
    }

    pub(super) fn encode_into(&self, enc: &mut Encoder) {
        enc.array(3).uint(HELLO_VERSION).bytes(&self.salt).bytes(&self.tag);
    }

    pub(super) fn decode_from(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        dec.array_exact(3)?;
        let found = dec.uint()?;
        if found != HELLO_VERSION {
            return Err(DecodeError::UnknownVersion { object: ObjectKind::Message, found });
        }
        Ok(Self { salt: dec.fixed::<HELLO_LEN>()?, tag: dec.fixed::<HELLO_LEN>()? })
    }
}

fn hello_tag(salt: &[u8; HELLO_LEN], certificate_id: &[u8; 32]) -> [u8; HELLO_LEN] {
    let h = sha256(&[b"OC1/hello", salt, certificate_id]);
    let mut tag = [0u8; HELLO_LEN];
    tag.copy_from_slice(h.get(..HELLO_LEN).unwrap_or(&[0; HELLO_LEN]));
    tag
}

/// A payment request that names the payee's certificate by id:
/// `[[3, certificate_id, amount, currency, nonce, time, expires_at, can_receive, [hint…],
/// ephemeral_key, receipt_lock], signature]`, tag `OC1/payment-request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactRequestBody {
    /// Id (digest) of the payee's certificate, which the payer holds.
    pub certificate_id: [u8; 32],
    /// Requested amount (minor units).
    pub amount: u64,
    /// Requested currency.
    pub currency: Currency,
    /// Fresh random nonce.
    pub nonce: [u8; 16],
    /// Payee's time when it made the request.
    pub time: u64,
    /// Payee's time after which it no longer accepts a payment for this request.
    pub expires_at: u64,
    /// How much more the payee can hold now.
    pub can_receive: u64,
    /// First 8 bytes of the ids of certificates the payee holds (the payer omits those).
    pub cert_hints: Vec<[u8; CERT_HINT_LEN]>,
    /// Payee's ephemeral P-256 key (compressed) if it wants session encryption.
    pub ephemeral_key: Option<[u8; 33]>,
    /// `receipt_lock(key)` for a key only the payee knows: the payee will answer with a
    /// [`KeyReceipt`](super::KeyReceipt) revealing `key` instead of a signed receipt.
    pub receipt_lock: Option<[u8; 32]>,
}

/// A compact request as it travels.
pub type CompactRequest = Signed<CompactRequestBody>;

const FIELDS: usize = 11;

impl Body for CompactRequestBody {
    const TAG: &'static [u8] = b"OC1/payment-request";
    const KIND: ObjectKind = ObjectKind::Message;

    fn encode(&self, enc: &mut Encoder) {
        self.encode_as(enc, COMPACT_REQUEST_VERSION);
    }

    fn decode(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Self::decode_as(dec, COMPACT_REQUEST_VERSION)
    }
}

impl CompactRequestBody {
    /// The body's fields under `version`: 3, or 5 for a request signed with a one-time key
    /// ([`OneTimeRequest`](super::one_time_request::OneTimeRequest)).
    pub(super) fn encode_as(&self, enc: &mut Encoder, version: u64) {
        enc.array(FIELDS).uint(version).bytes(&self.certificate_id);
        enc.uint(self.amount)
            .text(self.currency.as_str())
            .bytes(&self.nonce)
            .uint(self.time)
            .uint(self.expires_at)
            .uint(self.can_receive);
        enc.array(self.cert_hints.len());
        for h in &self.cert_hints {
            enc.bytes(h);
        }
        enc.bytes(self.ephemeral_key.as_ref().map_or(&[][..], |k| &k[..]));
        enc.bytes(self.receipt_lock.as_ref().map_or(&[][..], |k| &k[..]));
    }

    /// Decodes a body of exactly `version` (any other is [`DecodeError::UnknownVersion`]).
    pub(super) fn decode_as(dec: &mut Decoder<'_>, version: u64) -> Result<Self, DecodeError> {
        let at = dec.position();
        let n = dec.array(FIELDS + 1)?;
        let found = dec.uint()?;
        if found != version {
            return Err(DecodeError::UnknownVersion { object: ObjectKind::Message, found });
        }
        if n != FIELDS {
            return Err(DecodeError::InvalidField { offset: at, field: "compact request fields" });
        }
        let certificate_id = dec.fixed::<32>()?;
        let amount = dec.uint()?;
        let currency = Currency::decode(dec)?;
        let nonce = dec.fixed::<16>()?;
        let time = dec.uint()?;
        let expires_at = dec.uint()?;
        let can_receive = dec.uint()?;
        let n = dec.array(MAX_CERT_HINTS)?;
        let mut cert_hints = Vec::with_capacity(n);
        for _ in 0..n {
            cert_hints.push(dec.fixed::<CERT_HINT_LEN>()?);
        }
        let ephemeral_key = dec.optional_fixed::<33>("ephemeral key")?;
        let receipt_lock = dec.optional_fixed::<32>("receipt lock")?;
        Ok(Self {
            certificate_id,
            amount,
            currency,
            nonce,
            time,
            expires_at,
            can_receive,
            cert_hints,
            ephemeral_key,
            receipt_lock,
        })
    }
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;
    use crate::crypto::{Signer as _, SoftwareSigner, Suite};
    use crate::protocol::{Frame, PaymentRequest, RequestBody};
    use crate::testkit::{T0, TestIssuer, eur};

    #[test]
    fn a_hello_names_one_certificate_and_changes_with_its_salt() {
        let (a, b) = ([1u8; 32], [2u8; 32]);
        let hello = Hello::new([7; HELLO_LEN], &a);
        assert!(hello.names(&a) && !hello.names(&b));
        assert_ne!(Hello::new([8; HELLO_LEN], &a).tag, hello.tag, "two taps look unrelated");
        let frame = Frame::Hello(hello).encode();
        assert_eq!(frame.len(), 1 + 1 + 1 + 9 + 9);
        assert_eq!(Frame::decode(&frame).unwrap(), Frame::Hello(hello));
        let mut other_version = frame.clone();
        other_version[2] = 2;
        assert!(matches!(Frame::decode(&other_version), Err(DecodeError::UnknownVersion { found: 2, .. })));
    }

    #[test]
    fn a_compact_request_round_trips_and_never_passes_for_a_full_one() {
        let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
        let payee = SoftwareSigner::generate(Suite::EcdsaP256).unwrap();
        let cert = issuer.certify(&payee).unwrap();
        let body = request_body(&cert);
        let compact = CompactRequest::sign(body.compact(), &payee).unwrap();
        let frame = Frame::CompactRequest(Box::new(compact.clone())).encode();
        let Frame::CompactRequest(back) = Frame::decode(&frame).unwrap() else { panic!("not a compact request") };
        assert_eq!(*back, compact);
        back.verify_with(&payee.public_key()).unwrap();
        assert_eq!(RequestBody::expand(back.body(), cert.clone()), Some(body.clone()));
        let other = issuer.certify(&SoftwareSigner::generate(Suite::EcdsaP256).unwrap()).unwrap();
        assert_eq!(RequestBody::expand(back.body(), other), None, "only the certificate it names");
        // The compact bytes under the full request's frame type are version 3, not a request.
        let mut as_full = frame.clone();
        as_full[0] = Frame::Request(Box::new(PaymentRequest::sign(body, &payee).unwrap())).type_byte();
        assert!(matches!(Frame::decode(&as_full), Err(DecodeError::UnknownVersion { found: 3, .. })));
        // Shorter than the full request by about a certificate.
        assert!(frame.len() + cert.to_bytes().len() < 40 + full_len(&cert, &payee));
    }

    /// The request body both tests sign, for `cert`.
    fn request_body(cert: &crate::token::WalletCertificate) -> RequestBody {
        RequestBody {
            payee_certificate: cert.clone(),
            amount: 300,
            currency: eur(),
            nonce: [5; 16],
            time: T0,
            expires_at: T0 + 600,
            can_receive: 1_000,
            cert_hints: vec![[9; CERT_HINT_LEN]],
            ephemeral_key: None,
            receipt_lock: None,
        }
    }

    fn full_len(cert: &crate::token::WalletCertificate, payee: &SoftwareSigner) -> usize {
        Frame::Request(Box::new(PaymentRequest::sign(request_body(cert), payee).unwrap())).encode().len()
    }
}
