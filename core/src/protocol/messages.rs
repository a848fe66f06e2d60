//! The protocol's messages and the frames that carry them.
//!
//! ```text
//!  frame = type (1 byte) ‖ payload
//!   0x00 Poll           (empty)            reader asks the card to speak first
//!   0x01 Request        PaymentRequest     payee → payer (signed by the payee)
//!   0x02 Payment        Payment            payer → payee (plain)
//!   0x03 SealedPayment  [ephemeral, ct]    payer → payee (session-encrypted Payment)
//!   0x04 Receipt        Receipt            payee → payer (plain)
//!   0x05 SealedReceipt  ct                 payee → payer (session-encrypted Receipt)
//!   0x06 Error          [code, message]    either way
//!   0x07 Ack            (empty)            card acknowledges a receipt (reader is payee)
//!   0x08 Hello          [1, salt, tag]     payer → payee (reader payer, card said "hello")
//!   0x09 CompactRequest CompactRequest     payee → payer (v3: certificate by id)
//!   0x0A KeyReceipt     KeyReceipt         payee → payer (reveals the key a compact request locked)
//!   0x0B SealedKeyReceipt ct               payee → payer (session-encrypted KeyReceipt)
//!   0x0C OneTimeRequest OneTimeRequest     payee → payer (v5: compact, signed with a one-time key)
//! ```

use crate::cbor::{Decoder, Encoder};
use crate::crypto::sha256;
use crate::reason::Reason;
use crate::token::{Body, Bundle, Currency, DecodeError, ObjectKind, Signed, WalletCertificate, WalletId};

use super::compact::{CompactRequest, CompactRequestBody, Hello};
use super::one_time_request::OneTimeRequest;

pub use super::hints::{CERT_HINT_LEN, MAX_CERT_HINTS};
/// Largest frame accepted by `Frame::decode` (bytes).
pub const MAX_FRAME_BYTES: usize = crate::token::MAX_BUNDLE_BYTES + 1024;
/// Longest error message carried in an error frame.
pub const MAX_ERROR_MESSAGE: usize = 256;

/// Version of the payment request, and so of the payment protocol: every tap starts with a
/// request, and a wallet refuses a request of another version with
/// [`DecodeError::UnknownVersion`] (version 1 was unsigned). Payments and receipts keep the
/// object version [`crate::token::VERSION`].
pub const PROTOCOL_VERSION: u64 = 2;
/// Version of a full request that locks its receipt: version 2's fields and `receipt_lock`.
/// A payee sends one only in answer to a hello, which only payers that know it send.
pub const LOCKED_REQUEST_VERSION: u64 = 4;

/// What a payee asks for, signed by the payee's wallet key:
/// `[[2, payee_certificate, amount, currency, nonce, time, expires_at, can_receive, [hint…],
/// ephemeral_key], signature]`, tag `OC1/payment-request` (distinct from `OC1/request`, the
/// tag of signed HTTP requests to the issuer); with a receipt lock, version 4 and the lock
/// last: `[[4, …, ephemeral_key, receipt_lock], signature]`.
///
/// The signature (under the key of `payee_certificate`) covers every field, the ephemeral
/// session key included, so an altered byte, a swapped session key or a request made up by
/// someone else does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestBody {
    /// The payee's certificate (so the payer can check who it pays and verify the receipt).
    pub payee_certificate: WalletCertificate,
    /// Requested amount (minor units).
    pub amount: u64,
    /// Requested currency.
    pub currency: Currency,
    /// Fresh random nonce; the payer's links must carry it, and a payer pays it once.
    pub nonce: [u8; 16],
    /// Payee's time when it made the request.
    pub time: u64,
    /// Payee's time after which it no longer accepts a payment for this request.
    pub expires_at: u64,
    /// How much more the payee can hold now (its holding limit minus its balance); never
    /// less than `amount` in a request the payee issues.
    pub can_receive: u64,
    /// First 8 bytes of the ids (digests) of certificates the payee already holds; the payer
    /// leaves those out of the payment. A wallet may have several (its renewals).
    pub cert_hints: Vec<[u8; CERT_HINT_LEN]>,
    /// Payee's ephemeral P-256 key (compressed) if it wants session encryption.
    pub ephemeral_key: Option<[u8; 33]>,
    /// `receipt_lock(key)` for a key only the payee knows (version 4 only): the payee will
    /// answer with a [`KeyReceipt`] revealing `key`, and the payer may send the compact
    /// payment (`compact_payment`).
    pub receipt_lock: Option<[u8; 32]>,
}

/// A payment request as it travels: the body and the payee's signature.
pub type PaymentRequest = Signed<RequestBody>;

const REQUEST_FIELDS: usize = 10;

impl Body for RequestBody {
    const TAG: &'static [u8] = b"OC1/payment-request";
    const KIND: ObjectKind = ObjectKind::Message;

    fn encode(&self, enc: &mut Encoder) {
        match self.receipt_lock {
            None => enc.array(REQUEST_FIELDS).uint(PROTOCOL_VERSION),
            Some(_) => enc.array(REQUEST_FIELDS + 1).uint(LOCKED_REQUEST_VERSION),
        };
        self.payee_certificate.encode_into(enc);
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
        if let Some(lock) = &self.receipt_lock {
            enc.bytes(lock);
        }
    }

    fn decode(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let at = dec.position();
        let n = dec.array(REQUEST_FIELDS + 2)?;
        // The version first, so a request of another version says so (not "wrong length").
        let found = dec.uint()?;
        let fields = match found {
            PROTOCOL_VERSION => REQUEST_FIELDS,
            LOCKED_REQUEST_VERSION => REQUEST_FIELDS + 1,
            _ => return Err(DecodeError::UnknownVersion { object: ObjectKind::Message, found }),
        };
        if n != fields {
            return Err(DecodeError::InvalidField { offset: at, field: "request fields" });
        }
        let payee_certificate = WalletCertificate::decode_from(dec)?;
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
        let receipt_lock = if found == LOCKED_REQUEST_VERSION { Some(dec.fixed::<32>()?) } else { None };
        Ok(Self {
            payee_certificate,
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

impl RequestBody {
    /// The payee's wallet id.
    pub fn payee(&self) -> WalletId {
        self.payee_certificate.wallet_id()
    }

    /// The compact form: the certificate replaced by its id.
    pub fn compact(&self) -> CompactRequestBody {
        CompactRequestBody {
            certificate_id: *self.payee_certificate.digest(),
            amount: self.amount,
            currency: self.currency,
            nonce: self.nonce,
            time: self.time,
            expires_at: self.expires_at,
            can_receive: self.can_receive,
            cert_hints: self.cert_hints.clone(),
            ephemeral_key: self.ephemeral_key,
            receipt_lock: self.receipt_lock,
        }
    }

    /// The full body of `compact` with `certificate` in place of its id; `None` if
    /// `certificate` is not the one named.
    pub fn expand(compact: &CompactRequestBody, certificate: WalletCertificate) -> Option<Self> {
        (certificate.digest() == &compact.certificate_id).then(|| Self {
            payee_certificate: certificate,
            amount: compact.amount,
            currency: compact.currency,
            nonce: compact.nonce,
            time: compact.time,
            expires_at: compact.expires_at,
            can_receive: compact.can_receive,
            cert_hints: compact.cert_hints.clone(),
            ephemeral_key: compact.ephemeral_key,
            receipt_lock: compact.receipt_lock,
        })
    }
}

/// Decodes a request frame's payload. A version-1 request (an unsigned bare body `[1, …]`)
/// is [`DecodeError::UnknownVersion`], like any other version.
fn decode_request(dec: &mut Decoder<'_>) -> Result<PaymentRequest, DecodeError> {
    let mut probe = dec.clone();
    if probe.array(REQUEST_FIELDS + 1).is_ok() {
        if let Ok(found) = probe.uint() {
            return Err(DecodeError::UnknownVersion { object: ObjectKind::Message, found });
        }
    }
    PaymentRequest::decode_from(dec)
}

fn version(dec: &mut Decoder<'_>) -> Result<(), DecodeError> {
    let found = dec.uint()?;
    if found != crate::token::VERSION {
        return Err(DecodeError::UnknownVersion { object: ObjectKind::Message, found });
    }
    Ok(())
}

/// What a payer sends: `[version, bundle]`. The bundle's heads are the notes the payee
/// receives; the links that created them carry the request's nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// The notes and their chains.
    pub bundle: Bundle,
}

impl Payment {
    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut enc = Encoder::new();
        enc.array(2).uint(crate::token::VERSION);
        self.bundle.encode_into(&mut enc);
        enc.finish()
    }

    /// Decodes exactly one payment.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_FRAME_BYTES {
            return Err(DecodeError::InputTooLarge { len: bytes.len(), limit: MAX_FRAME_BYTES });
        }
        let mut dec = Decoder::new(bytes);
        dec.array_exact(2)?;
        version(&mut dec)?;
        let bundle = Bundle::decode_from(&mut dec)?;
        dec.finish()?;
        Ok(Self { bundle })
    }
}

/// The id of a payment: SHA-256("OC1/payment" ‖ canonical payment bytes). A payer resends the
/// same bytes on retry, so a repeated payment has the same hash.
pub fn payment_hash(payment_bytes: &[u8]) -> [u8; 32] {
    sha256(&[b"OC1/payment", payment_bytes])
}

/// The signed content of a receipt: `[version, payment_hash, payee, amount, time]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptBody {
    /// The payment it acknowledges.
    pub payment_hash: [u8; 32],
    /// The payee that signs it.
    pub payee: WalletId,
    /// The amount received.
    pub amount: u64,
    /// Payee's time.
    pub time: u64,
}

/// A receipt signed by the payee.
pub type Receipt = Signed<ReceiptBody>;

impl Body for ReceiptBody {
    const TAG: &'static [u8] = b"OC1/receipt";
    const KIND: ObjectKind = ObjectKind::Receipt;

    fn encode(&self, enc: &mut Encoder) {
        enc.array(5)
            .uint(crate::token::VERSION)
            .bytes(&self.payment_hash)
            .bytes(&self.payee.0)
            .uint(self.amount)
            .uint(self.time);
    }

    fn decode(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        dec.array_exact(5)?;
        version(dec)?;
        Ok(Self {
            payment_hash: dec.fixed::<32>()?,
            payee: WalletId(dec.fixed::<32>()?),
            amount: dec.uint()?,
            time: dec.uint()?,
        })
    }
}

/// Length of a receipt key and of its lock.
pub const RECEIPT_KEY_LEN: usize = 32;

/// The lock a compact request carries for `key`: SHA-256("OC1/receipt-key" ‖ key). Only the
/// payee that drew `key` can open it, so revealing `key` acknowledges the payment
/// (docs/decisions/0019-key-receipts.md).
pub fn receipt_lock(key: &[u8; RECEIPT_KEY_LEN]) -> [u8; RECEIPT_KEY_LEN] {
    sha256(&[b"OC1/receipt-key", key])
}

/// A receipt without a signature: `[1, payment_hash, amount, key]`. It answers a compact
/// request that carried `receipt_lock(key)` under the payee's signature, so the payee, and only
/// the payee, could reveal `key`; and it does so only after it committed the payment. It saves
/// a signature per tap (2,420 bytes with ML-DSA-44) and is valid only for the payer that holds
/// that request: unlike a signed [`Receipt`], it proves nothing to a third party that has not
/// seen the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyReceipt {
    /// The payment it acknowledges.
    pub payment_hash: [u8; 32],
    /// The amount received.
    pub amount: u64,
    /// The key whose lock the request carried.
    pub key: [u8; RECEIPT_KEY_LEN],
}

impl KeyReceipt {
    fn encode_into(&self, enc: &mut Encoder) {
        enc.array(4).uint(crate::token::VERSION).bytes(&self.payment_hash).uint(self.amount).bytes(&self.key);
    }

    fn decode_from(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        dec.array_exact(4)?;
        version(dec)?;
        Ok(Self { payment_hash: dec.fixed::<32>()?, amount: dec.uint()?, key: dec.fixed::<RECEIPT_KEY_LEN>()? })
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut enc = Encoder::new();
        self.encode_into(&mut enc);
        enc.finish()
    }

    /// Whether this receipt opens `lock`.
    pub fn opens(&self, lock: &[u8; RECEIPT_KEY_LEN]) -> bool {
        receipt_lock(&self.key) == *lock
    }
}

/// Either form of receipt, as the wallets store them: a signed [`Receipt`] (`[body, signature]`)
/// or a [`KeyReceipt`] (`[1, hash, amount, key]`); the array's length tells them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyReceipt {
    /// Signed by the payee.
    Signed(Receipt),
    /// The key a compact request locked.
    Key(KeyReceipt),
}

impl AnyReceipt {
    /// The payment it acknowledges.
    pub fn payment_hash(&self) -> &[u8; 32] {
        match self {
            AnyReceipt::Signed(r) => &r.body().payment_hash,
            AnyReceipt::Key(k) => &k.payment_hash,
        }
    }

    /// The amount it says was received.
    pub fn amount(&self) -> u64 {
        match self {
            AnyReceipt::Signed(r) => r.body().amount,
            AnyReceipt::Key(k) => k.amount,
        }
    }

    /// The canonical encoding (what the stores keep).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            AnyReceipt::Signed(r) => r.to_bytes(),
            AnyReceipt::Key(k) => k.to_bytes(),
        }
    }

    /// Decodes exactly one receipt of either form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut probe = Decoder::new(bytes);
        if probe.array(4).ok() == Some(4) {
            let mut dec = Decoder::new(bytes);
            let key = KeyReceipt::decode_from(&mut dec)?;
            dec.finish()?;
            return Ok(AnyReceipt::Key(key));
        }
        Ok(AnyReceipt::Signed(Receipt::from_bytes(bytes)?))
    }

    /// The frame carrying it in clear.
    pub fn frame(&self) -> Frame {
        match self {
            AnyReceipt::Signed(r) => Frame::Receipt(Box::new(r.clone())),
            AnyReceipt::Key(k) => Frame::KeyReceipt(k.clone()),
        }
    }
}

impl From<Receipt> for AnyReceipt {
    fn from(receipt: Receipt) -> Self {
        AnyReceipt::Signed(receipt)
    }
}

/// One protocol frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The reader has nothing to say and asks the card to speak (card is the payee).
    Poll,
    /// A payment request.
    Request(Box<PaymentRequest>),
    /// A payment, in clear: the canonical payment bytes.
    Payment(Vec<u8>),
    /// A payment under session encryption.
    SealedPayment {
        /// Payer's ephemeral P-256 key (compressed).
        ephemeral_key: [u8; 33],
        /// AES-256-GCM ciphertext of the payment bytes.
        ciphertext: Vec<u8>,
    },
    /// A receipt, in clear.
    Receipt(Box<Receipt>),
    /// A receipt under session encryption (ciphertext of the receipt bytes).
    SealedReceipt(Vec<u8>),
    /// The card acknowledges a receipt (when the reader is the payee).
    Ack,
    /// A payer's salted introduction (reader payer, to a card that advertised it).
    Hello(Hello),
    /// A payment request naming the payee's certificate by id (answers a hello).
    CompactRequest(Box<CompactRequest>),
    /// A compact request signed with a one-time key the payer holds the commitment of.
    OneTimeRequest(Box<OneTimeRequest>),
    /// A receipt that reveals the key of a compact request's lock, in clear.
    KeyReceipt(KeyReceipt),
    /// A key receipt under session encryption (ciphertext of its bytes).
    SealedKeyReceipt(Vec<u8>),
    /// A refusal with a stable code and a human-readable message.
    Error {
        /// The reason's stable name, exactly as received (see [`Frame::error`] and
        /// [`Frame::reason`]); kept as text so that a frame from a newer peer re-encodes to
        /// its own bytes.
        code: String,
        /// Explanation for logs and people.
        message: String,
    },
}

const T_POLL: u8 = 0x00;
const T_REQUEST: u8 = 0x01;
const T_PAYMENT: u8 = 0x02;
const T_SEALED_PAYMENT: u8 = 0x03;
const T_RECEIPT: u8 = 0x04;
const T_SEALED_RECEIPT: u8 = 0x05;
const T_ERROR: u8 = 0x06;
const T_ACK: u8 = 0x07;
const T_HELLO: u8 = 0x08;
const T_COMPACT_REQUEST: u8 = 0x09;
const T_KEY_RECEIPT: u8 = 0x0A;
const T_SEALED_KEY_RECEIPT: u8 = 0x0B;
const T_ONE_TIME_REQUEST: u8 = 0x0C;

impl Frame {
    /// An error frame naming `reason`.
    pub fn error(reason: Reason, message: impl Into<String>) -> Self {
        Frame::Error { code: reason.name().to_owned(), message: message.into() }
    }

    /// The reason of an error frame ([`Reason::Unknown`] for a name this version does not
    /// know, and for any other frame).
    pub fn reason(&self) -> Reason {
        match self {
            Frame::Error { code, .. } => Reason::from_name(code),
            _ => Reason::Unknown,
        }
    }

    /// The frame's type byte.
    pub fn type_byte(&self) -> u8 {
        match self {
            Frame::Poll => T_POLL,
            Frame::Request(_) => T_REQUEST,
            Frame::Payment(_) => T_PAYMENT,
            Frame::SealedPayment { .. } => T_SEALED_PAYMENT,
            Frame::Receipt(_) => T_RECEIPT,
            Frame::SealedReceipt(_) => T_SEALED_RECEIPT,
            Frame::Error { .. } => T_ERROR,
            Frame::Ack => T_ACK,
            Frame::Hello(_) => T_HELLO,
            Frame::CompactRequest(_) => T_COMPACT_REQUEST,
            Frame::KeyReceipt(_) => T_KEY_RECEIPT,
            Frame::SealedKeyReceipt(_) => T_SEALED_KEY_RECEIPT,
            Frame::OneTimeRequest(_) => T_ONE_TIME_REQUEST,
        }
    }

    /// Encodes the frame.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.type_byte()];
        match self {
            Frame::Poll | Frame::Ack => {}
            Frame::Request(r) => out.extend_from_slice(&r.to_bytes()),
            Frame::CompactRequest(r) => out.extend_from_slice(&r.to_bytes()),
            Frame::OneTimeRequest(r) => out.extend_from_slice(&r.to_bytes()),
            Frame::Hello(h) => {
                let mut enc = Encoder::new();
                h.encode_into(&mut enc);
                out.extend_from_slice(enc.as_slice());
            }
            Frame::Payment(p) => out.extend_from_slice(p),
            Frame::SealedPayment { ephemeral_key, ciphertext } => {
                let mut enc = Encoder::new();
                enc.array(2).bytes(ephemeral_key).bytes(ciphertext);
                out.extend_from_slice(enc.as_slice());
            }
            Frame::Receipt(r) => out.extend_from_slice(&r.to_bytes()),
            Frame::KeyReceipt(k) => out.extend_from_slice(&k.to_bytes()),
            Frame::SealedReceipt(ct) | Frame::SealedKeyReceipt(ct) => {
                let mut enc = Encoder::new();
                enc.bytes(ct);
                out.extend_from_slice(enc.as_slice());
            }
            Frame::Error { code, message } => {
                let mut enc = Encoder::new();
                enc.array(2).text(code).text(message);
                out.extend_from_slice(enc.as_slice());
            }
        }
        out
    }

    /// Decodes a frame strictly (payments are checked for canonical form here too).
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_FRAME_BYTES {
            return Err(DecodeError::InputTooLarge { len: bytes.len(), limit: MAX_FRAME_BYTES });
        }
        let (&tag, payload) = bytes.split_first().ok_or(DecodeError::Truncated)?;
        let mut dec = Decoder::new(payload);
        let frame = match tag {
            T_POLL => Frame::Poll,
            T_ACK => Frame::Ack,
            T_REQUEST => Frame::Request(Box::new(decode_request(&mut dec)?)),
            T_COMPACT_REQUEST => Frame::CompactRequest(Box::new(CompactRequest::decode_from(&mut dec)?)),
            T_ONE_TIME_REQUEST => Frame::OneTimeRequest(Box::new(OneTimeRequest::decode_from(&mut dec)?)),
            T_HELLO => Frame::Hello(Hello::decode_from(&mut dec)?),
            T_PAYMENT => {
                Payment::from_bytes(payload)?;
                return Ok(Frame::Payment(payload.to_vec()));
            }
            T_SEALED_PAYMENT => {
                dec.array_exact(2)?;
                let ephemeral_key = dec.fixed::<33>()?;
                let ciphertext = dec.bytes(MAX_FRAME_BYTES)?.to_vec();
                Frame::SealedPayment { ephemeral_key, ciphertext }
            }
            T_RECEIPT => Frame::Receipt(Box::new(Receipt::decode_from(&mut dec)?)),
            T_SEALED_RECEIPT => Frame::SealedReceipt(dec.bytes(MAX_FRAME_BYTES)?.to_vec()),
            T_KEY_RECEIPT => Frame::KeyReceipt(KeyReceipt::decode_from(&mut dec)?),
            T_SEALED_KEY_RECEIPT => Frame::SealedKeyReceipt(dec.bytes(MAX_FRAME_BYTES)?.to_vec()),
            T_ERROR => {
                dec.array_exact(2)?;
                let code = dec.text(64)?.to_owned();
                let message = dec.text(MAX_ERROR_MESSAGE)?.to_owned();
                Frame::Error { code, message }
            }
            _ => return Err(DecodeError::InvalidField { offset: 0, field: "frame type" }),
        };
        dec.finish()?;
        Ok(frame)
    }
}
