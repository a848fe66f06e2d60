//! The payee's side of a payment, as states.
//!
//! ```text
//!  request() ──► ExpectPayment ──handle_frame──► IncomingPayment ──verify──► AcceptedPayment
//!     │ Request frame                     │ already received? answer_duplicate(receipt)  │
//!     ▼                                   ▼                                  (caller commits
//!   to payer                      same receipt again                          the notes, then)
//!                                                   receipt, commit, receipt_frame ──► Receipt frame
//! ```
//! Each transition consumes the state. Accepting funds requires a [`ChainVerified`] token,
//! which only `token::verify_bundle` can create, so an [`AcceptedPayment`] cannot exist for
//! an unverified bundle. The caller (the wallet) owns storage: it looks up duplicates between
//! `handle_frame` and `verify`, and commits the received notes *before* asking for the receipt.

use super::compact::CompactRequest;
use super::compact_payment::{self, PaymentContext};
use super::messages::{
    AnyReceipt, CERT_HINT_LEN, Frame, KeyReceipt, Payment, PaymentRequest, RECEIPT_KEY_LEN, Receipt, ReceiptBody,
    RequestBody, payment_hash, receipt_lock,
};
use super::one_time_request::OneTimeRequest;
use super::session::{Direction, Ephemeral, SessionKeys};
use super::{LimitKind, PaymentRejection, ProtocolError};
use crate::crypto::{OneTimeKey, Signer};
use crate::reason::Reason;
use crate::token::{
    Chain, ChainVerified, Currency, LinkId, NoteId, VerifiedCoin, VerifyContext, WalletCertificate, WalletId,
    verify_bundle,
};

/// What the payee asks for.
#[derive(Debug, Clone)]
pub struct RequestParams {
    /// Amount (minor units).
    pub amount: u64,
    /// Currency.
    pub currency: Currency,
    /// A fresh random nonce (from a CSPRNG).
    pub nonce: [u8; 16],
    /// Payee's time.
    pub now: u64,
    /// When the request stops being accepted (payee's time).
    pub expires_at: u64,
    /// How much more the payee can hold (its holding limit minus its balance); a request for
    /// more is refused here, since the payee would have to refuse its payment.
    pub can_receive: u64,
    /// Ids (digests) of certificates the payee holds (the payer omits those certificates).
    pub known_certificates: Vec<[u8; 32]>,
    /// 32 random bytes to turn on session encryption, or `None` for a clear session.
    pub session_seed: Option<[u8; 32]>,
    /// 32 random bytes (from a CSPRNG) for the request to lock its receipt with: the payee
    /// then answers with a [`KeyReceipt`] revealing them instead of signing, and takes the
    /// compact payment. A full request with a lock is version 4, which only a payer that sent
    /// a hello understands: give a key only when answering a hello.
    pub receipt_key: Option<[u8; RECEIPT_KEY_LEN]>,
}

/// Waiting for the payer's payment.
#[derive(Debug)]
pub struct ExpectPayment {
    request: RequestBody,
    request_bytes: Vec<u8>,
    ephemeral: Option<Ephemeral>,
    /// The key whose lock the request sent carried.
    receipt_key: Option<[u8; RECEIPT_KEY_LEN]>,
}

/// Starts a payment request signed by `signer` (the key of `certificate`). Returns the state
/// and the request frame to send. The caller states `can_receive` truthfully and does not
/// issue a *new* request for more (the wallet refuses with the holding limit); a request
/// presented again may ask for more than the payee can now hold, so that a payer resends the
/// payment it already made for it (a new payment to it is refused by the payer).
/// [`ProtocolError::Misuse`] if `signer` is not the certificate's key.
pub fn request(
    certificate: WalletCertificate,
    params: RequestParams,
    signer: &dyn Signer,
) -> Result<(ExpectPayment, Vec<u8>), ProtocolError> {
    start(certificate, params, signer, Form::Full)
}

/// As [`request`], but the frame names the payee's certificate by id (a
/// [`CompactRequest`](super::compact::CompactRequest), frame `0x09`): for a payer known to
/// hold that certificate, which answers a hello. The payer that turns out not to hold it
/// answers `Poll`; send it the full [`request`] then (same parameters).
pub fn compact_request(
    certificate: WalletCertificate,
    params: RequestParams,
    signer: &dyn Signer,
) -> Result<(ExpectPayment, Vec<u8>), ProtocolError> {
    start(certificate, params, signer, Form::Compact)
}

/// As [`compact_request`], but signed with `key`, a one-time key whose commitment this payer
/// holds (it came as the receipt key of an earlier locked request to the same payer): frame
/// `0x0C`, 1,240 signature bytes instead of a 2,420-byte ML-DSA-44 signature. The key is used
/// up; the caller has deleted it durably before this frame leaves
/// (docs/decisions/0022-one-time-request-keys.md). A payer that holds another commitment, or
/// none, answers `Poll`: send it the full [`request`].
pub fn one_time_request(
    certificate: WalletCertificate,
    params: RequestParams,
    signer: &dyn Signer,
    key: OneTimeKey,
) -> Result<(ExpectPayment, Vec<u8>), ProtocolError> {
    start(certificate, params, signer, Form::OneTime(key))
}

/// How a request is signed and what it carries of the certificate.
enum Form {
    /// The certificate in full, signed by the wallet key.
    Full,
    /// The certificate by id, signed by the wallet key.
    Compact,
    /// The certificate by id, signed by a one-time key.
    OneTime(OneTimeKey),
}

fn start(
    certificate: WalletCertificate,
    params: RequestParams,
    signer: &dyn Signer,
    form: Form,
) -> Result<(ExpectPayment, Vec<u8>), ProtocolError> {
    if signer.public_key() != certificate.body().public_key {
        return Err(ProtocolError::Misuse("the request signer is not the certificate's key"));
    }
    let ephemeral = match params.session_seed {
        Some(seed) => {
            Some(Ephemeral::from_seed(&seed).ok_or(ProtocolError::Misuse("session seed is not a valid scalar"))?)
        }
        None => None,
    };
    let cert_hints = params
        .known_certificates
        .iter()
        .take(super::messages::MAX_CERT_HINTS)
        .map(|id| {
            let mut h = [0u8; CERT_HINT_LEN];
            h.copy_from_slice(id.get(..CERT_HINT_LEN).unwrap_or(&[0; CERT_HINT_LEN]));
            h
        })
        .collect();
    let body = RequestBody {
        payee_certificate: certificate,
        amount: params.amount,
        currency: params.currency,
        nonce: params.nonce,
        time: params.now,
        expires_at: params.expires_at,
        can_receive: params.can_receive,
        cert_hints,
        ephemeral_key: ephemeral.as_ref().map(Ephemeral::public_key),
        receipt_lock: params.receipt_key.as_ref().map(receipt_lock),
    };
    let receipt_key = params.receipt_key;
    let (request_bytes, frame) = match form {
        Form::Compact => {
            let signed = CompactRequest::sign(body.compact(), signer)?;
            (signed.to_bytes(), Frame::CompactRequest(Box::new(signed)).encode())
        }
        Form::OneTime(key) => {
            let signed = OneTimeRequest::sign(body.compact(), key);
            (signed.to_bytes(), Frame::OneTimeRequest(Box::new(signed)).encode())
        }
        Form::Full => {
            let signed = PaymentRequest::sign(body.clone(), signer)?;
            (signed.to_bytes(), Frame::Request(Box::new(signed)).encode())
        }
    };
    Ok((ExpectPayment { request: body, request_bytes, ephemeral, receipt_key }, frame))
}

impl ExpectPayment {
    /// The request this state answers (in full, whichever form was sent).
    pub fn request(&self) -> &RequestBody {
        &self.request
    }

    /// The signed request as sent (the bytes the session key is bound to).
    pub fn request_bytes(&self) -> &[u8] {
        &self.request_bytes
    }

    /// Takes the payer's frame: decrypts it if the session is encrypted and decodes the payment.
    pub fn handle_frame(self, frame: &[u8]) -> Result<IncomingPayment, ProtocolError> {
        let (payment_bytes, session) = match (Frame::decode(frame)?, &self.ephemeral) {
            (Frame::Payment(bytes), None) => (bytes, None),
            (Frame::SealedPayment { ephemeral_key, ciphertext }, Some(eph)) => {
                let mut keys = eph.agree(&ephemeral_key, &self.request_bytes)?;
                let plain = keys.open(Direction::PayerToPayee, &[0x03], &ciphertext)?;
                (plain, Some(keys))
            }
            (Frame::Error { code, message }, _) => {
                return Err(ProtocolError::Peer { reason: Reason::from_name(&code), message });
            }
            (other, _) => {
                return Err(ProtocolError::Unexpected { expected: "payment", found: other.type_byte() });
            }
        };
        // A payer that saw this request's lock may send the compact form; only the canonical
        // bytes go further (hash, store, verification).
        let payment_bytes = if compact_payment::is_compact(&payment_bytes) {
            let context = PaymentContext { payee: self.request.payee(), nonce: self.request.nonce };
            compact_payment::expand(&payment_bytes, &context)?
        } else {
            payment_bytes
        };
        let payment = Payment::from_bytes(&payment_bytes)?;
        let hash = payment_hash(&payment_bytes);
        Ok(IncomingPayment { payment, payment_bytes, hash, session, receipt_key: self.receipt_key })
    }
}

/// A decoded payment, not verified yet.
#[derive(Debug)]
pub struct IncomingPayment {
    payment: Payment,
    payment_bytes: Vec<u8>,
    hash: [u8; 32],
    session: Option<SessionKeys>,
    receipt_key: Option<[u8; RECEIPT_KEY_LEN]>,
}

/// What the payee's own records say, for checks that verification alone cannot make.
pub struct PayeeChecks<'a> {
    /// Offline verification inputs (trust, policy, revocations, known certificates, now).
    pub verify: VerifyContext<'a>,
    /// This payee's certificate.
    pub payee_certificate: &'a WalletCertificate,
    /// The amount of the open (issued, not yet used) request with this nonce, if any.
    pub open_request: &'a dyn Fn(&[u8; 16]) -> Option<u64>,
    /// The link this payee already holds that spends `note`, if any.
    pub spent_by: &'a dyn Fn(&NoteId) -> Option<LinkId>,
    /// The payee's current offline balance (for the holding limit).
    pub balance: u64,
}

impl std::fmt::Debug for PayeeChecks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayeeChecks").field("balance", &self.balance).finish_non_exhaustive()
    }
}

impl IncomingPayment {
    /// The payment's hash: look it up to answer a repeated payment idempotently.
    pub fn payment_hash(&self) -> [u8; 32] {
        self.hash
    }

    /// Answers a payment already received (`stored`: the receipt given for it then) in the
    /// form the payer of *this* exchange can check: a key receipt with this request's key if it
    /// was locked; else the stored receipt if it is signed; else (it was a key receipt of an
    /// earlier tap's request, which this payer cannot check now) a receipt signed afresh.
    pub fn answer_duplicate(
        mut self,
        stored: &AnyReceipt,
        signer: &dyn Signer,
        payee: WalletId,
        now: u64,
    ) -> Result<Vec<u8>, ProtocolError> {
        let receipt = receipt_again(self.receipt_key, stored, signer, payee, now)?;
        receipt_frame(&mut self.session, &receipt)
    }

    /// Verifies the payment against the request and the payee's records.
    pub fn verify(self, checks: &PayeeChecks<'_>) -> Result<AcceptedPayment, PaymentRejection> {
        let bundle = &self.payment.bundle;
        let verified = verify_bundle(bundle, &checks.verify)?;
        let me = checks.payee_certificate.wallet_id();
        if let Some(other) = verified.coins.iter().find(|c| c.owner != me) {
            return Err(PaymentRejection::WrongPayee { found: other.owner });
        }
        let chains = bundle.chains()?;
        // The links that created the heads must all carry one nonce and one signer: the payer.
        let mut nonce = None;
        let mut payer = None;
        for (chain, coin) in chains.iter().zip(&verified.coins) {
            let link = chain.links.last().ok_or(PaymentRejection::NotBoundToRequest)?;
            let signer = signer_of_last_link(chain).ok_or(PaymentRejection::NotBoundToRequest)?;
            if *nonce.get_or_insert(link.body().payee_nonce) != link.body().payee_nonce
                || *payer.get_or_insert(signer) != signer
                || coin.depth == 0
            {
                return Err(PaymentRejection::NotBoundToRequest);
            }
        }
        let (Some(nonce), Some(payer)) = (nonce, payer) else {
            return Err(PaymentRejection::NotBoundToRequest);
        };
        let requested = (checks.open_request)(&nonce).ok_or(PaymentRejection::Replayed)?;
        let paid = verified.total();
        if paid != requested {
            return Err(PaymentRejection::AmountMismatch { requested, paid });
        }
        // The payer's certificate in force now (its latest renewal), carried or held.
        let now = checks.verify.now;
        let carried = bundle.certificates.iter().filter(|c| c.wallet_id() == payer);
        let candidates = carried.chain(checks.verify.known_certificates.history(&payer));
        let payer_cert = crate::token::select_valid_at(candidates, now).ok_or(PaymentRejection::NotBoundToRequest)?;
        payer_cert.check_valid_at(now).map_err(PaymentRejection::Certificate)?;
        let policy = checks.verify.policy;
        // The payer's limits (those of its tier) and the payee's, each min(policy, certificate):
        // one rule, in `Limits`. A payer whose app skips its own check is refused here.
        let payer_tier = payer_cert.body().tier;
        let per_payment = crate::policy::Limits::new(policy, payer_cert.body()).per_payment;
        check_limit(LimitKind::PerPayment, per_payment, paid)?;
        let holding = crate::policy::Limits::new(policy, checks.payee_certificate.body()).holding;
        check_limit(LimitKind::Holding, holding, checks.balance.saturating_add(paid))?;
        for link in &bundle.links {
            let parent = link.body().parent;
            if (checks.spent_by)(&parent).is_some_and(|held| held != link.id()) {
                return Err(PaymentRejection::DoubleSpend { parent });
            }
        }
        Ok(AcceptedPayment {
            proof: verified.proof,
            coins: verified.coins,
            chains,
            payer,
            payer_tier,
            amount: paid,
            nonce,
            hash: self.hash,
            certificates: bundle.certificates.clone(),
            payment_bytes: self.payment_bytes,
            session: self.session,
            receipt_key: self.receipt_key,
        })
    }
}

fn check_limit(limit: LimitKind, limit_value: u64, attempted: u64) -> Result<(), PaymentRejection> {
    if attempted > limit_value {
        return Err(PaymentRejection::OverLimit { limit, limit_value, over_by: attempted - limit_value });
    }
    Ok(())
}

/// The owner of the note that the last link of `chain` spends.
fn signer_of_last_link(chain: &Chain) -> Option<WalletId> {
    chain.signers().last().copied()
}

/// The receipt for a payment received before, in the form this exchange's payer can check: a
/// key receipt with this request's key if it was locked; the stored receipt if it is signed;
/// else (a key receipt of an earlier request, which this payer cannot check) one signed afresh.
pub fn receipt_again(
    receipt_key: Option<[u8; RECEIPT_KEY_LEN]>,
    stored: &AnyReceipt,
    signer: &dyn Signer,
    payee: WalletId,
    now: u64,
) -> Result<AnyReceipt, ProtocolError> {
    let (payment_hash, amount) = (*stored.payment_hash(), stored.amount());
    Ok(match (receipt_key, stored) {
        (Some(key), _) => AnyReceipt::Key(KeyReceipt { payment_hash, amount, key }),
        (None, AnyReceipt::Signed(_)) => stored.clone(),
        (None, AnyReceipt::Key(_)) => {
            AnyReceipt::Signed(Receipt::sign(ReceiptBody { payment_hash, payee, amount, time: now }, signer)?)
        }
    })
}

fn receipt_frame(session: &mut Option<SessionKeys>, receipt: &AnyReceipt) -> Result<Vec<u8>, ProtocolError> {
    Ok(match (session, receipt) {
        (None, receipt) => receipt.frame().encode(),
        (Some(keys), AnyReceipt::Signed(r)) => {
            Frame::SealedReceipt(keys.seal(Direction::PayeeToPayer, &[0x05], &r.to_bytes())?).encode()
        }
        (Some(keys), AnyReceipt::Key(k)) => {
            Frame::SealedKeyReceipt(keys.seal(Direction::PayeeToPayer, &[0x0B], &k.to_bytes())?).encode()
        }
    })
}

/// A verified payment: the caller commits it durably, then asks for the receipt.
#[derive(Debug)]
pub struct AcceptedPayment {
    /// Proof that the bundle verified.
    pub proof: ChainVerified,
    /// The notes received.
    pub coins: Vec<VerifiedCoin>,
    /// Their chains, to store.
    pub chains: Vec<Chain>,
    /// The payer's wallet id.
    pub payer: WalletId,
    /// The payer's tier, from its certificate in force (whose limits the payment passed).
    pub payer_tier: crate::token::Tier,
    /// The amount received.
    pub amount: u64,
    /// The request nonce it answered (now used up).
    pub nonce: [u8; 16],
    /// The payment's hash.
    pub hash: [u8; 32],
    /// The payment's canonical bytes (kept for settlement).
    pub payment_bytes: Vec<u8>,
    /// The certificates the payment carried (the payee keeps them to spend the notes on).
    pub certificates: Vec<WalletCertificate>,
    session: Option<SessionKeys>,
    receipt_key: Option<[u8; RECEIPT_KEY_LEN]>,
}

impl AcceptedPayment {
    /// Signs the receipt. The wallet commits the received notes together with this receipt,
    /// and only then sends it with [`AcceptedPayment::receipt_frame`].
    pub fn sign_receipt(&self, signer: &dyn Signer, payee: WalletId, now: u64) -> Result<Receipt, ProtocolError> {
        Ok(Receipt::sign(ReceiptBody { payment_hash: self.hash, payee, amount: self.amount, time: now }, signer)?)
    }

    /// The receipt this payment gets: a [`KeyReceipt`] if the request was a compact one with a
    /// lock (no signature), else one signed by `signer` ([`AcceptedPayment::sign_receipt`]).
    /// The wallet commits the received notes together with it, and only then sends it.
    pub fn receipt(&self, signer: &dyn Signer, payee: WalletId, now: u64) -> Result<AnyReceipt, ProtocolError> {
        Ok(match self.receipt_key {
            Some(key) => AnyReceipt::Key(KeyReceipt { payment_hash: self.hash, amount: self.amount, key }),
            None => AnyReceipt::Signed(self.sign_receipt(signer, payee, now)?),
        })
    }

    /// For a payment the store says it already holds (`stored`, its receipt then): the
    /// receipt to send now ([`receipt_again`]).
    pub fn receipt_again(
        &self,
        stored: &AnyReceipt,
        signer: &dyn Signer,
        payee: WalletId,
        now: u64,
    ) -> Result<AnyReceipt, ProtocolError> {
        receipt_again(self.receipt_key, stored, signer, payee, now)
    }

    /// The frame carrying `receipt` (sealed if the session is encrypted).
    pub fn receipt_frame(mut self, receipt: &AnyReceipt) -> Result<Vec<u8>, ProtocolError> {
        receipt_frame(&mut self.session, receipt)
    }
}
