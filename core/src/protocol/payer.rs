//! The payer's side of a payment, as states.
//!
//! ```text
//!  ExpectRequest ──handle_frame──► RequestAccepted ──pay(funds) / resend(pending)──► PaymentPrepared
//!                                                                      (caller commits the pending
//!                                                                       spend durably, then)
//!                   ReceiptVerified ◄──handle_frame── ExpectReceipt ◄──committed()── Payment frame
//! ```
//! The payment frame can only be obtained through [`PaymentPrepared::committed`], which takes
//! the store's [`SpendDurable`] proof for that payment: the frame cannot exist before its
//! pending spend is durable. A torn tap is retried with [`RequestAccepted::resend`] and the
//! *same* payment bytes, for the request the payment answers only, so the payer never signs
//! two links for one note. A new payment is signed only after
//! [`RequestAccepted::check_payable`] (expiry, clock skew, the payee's room).

use std::collections::HashSet;

use super::compact_payment::{self, PaymentContext};
use super::messages::{AnyReceipt, CERT_HINT_LEN, Frame, Payment, Receipt, RequestBody, payment_hash};
use super::session::{Direction, Ephemeral, SessionKeys};
use super::{PaymentRejection, ProtocolError};
use crate::crypto::{Signer, Suite};
use crate::reason::Reason;
use crate::store::SpendDurable;
use crate::token::{
    Bundle, Chain, Currency, LinkBody, NoteId, Output, RevocationCheck, SpendLink, TrustStore, WalletCertificate,
    WalletId,
};

/// Waiting for a payment request.
#[derive(Debug, Default)]
pub struct ExpectRequest {
    _private: (),
}

/// What the payer checks a request against.
#[derive(Clone, Copy)]
pub struct PayerChecks<'a> {
    /// Trusted issuer keys (to verify the payee's certificate).
    pub trust: &'a TrustStore,
    /// The wallet's currency.
    pub currency: Currency,
    /// The revocation list in force.
    pub revocations: &'a dyn RevocationCheck,
    /// Payer's time.
    pub now: u64,
    /// How far (seconds) the payee's clock may be ahead of the payer's.
    pub max_clock_skew: u64,
}

impl std::fmt::Debug for PayerChecks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayerChecks").field("now", &self.now).finish_non_exhaustive()
    }
}

impl ExpectRequest {
    /// A payer waiting for a request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the payee's request frame and checks who sent it: the payee's certificate (issuer
    /// signature, validity now, not revoked), the request's signature under that certificate's
    /// key, the currency and a non-zero amount. Whether the request can still be *paid* (its
    /// time, expiry and the payee's room) is [`RequestAccepted::check_payable`], which
    /// [`RequestAccepted::pay`] runs before it signs anything.
    pub fn handle_frame(self, frame: &[u8], checks: &PayerChecks<'_>) -> Result<RequestAccepted, ProtocolError> {
        match self.handle_any_frame(frame, checks, &|_| None)? {
            RequestFrame::Accepted(accepted) => Ok(*accepted),
            RequestFrame::NeedsCertificate { .. } => {
                Err(ProtocolError::Unexpected { expected: "payment request with the payee's certificate", found: 0x09 })
            }
        }
    }

    /// As [`ExpectRequest::handle_frame`], and also takes a compact request (frame `0x09`,
    /// the answer to a hello): `known` looks the payee's certificate up by id among those this
    /// payer keeps, and the certificate found is checked exactly as a carried one is (issuer
    /// signature, validity at `checks.now`, revocation). A certificate `known` does not have
    /// is [`RequestFrame::NeedsCertificate`]: answer `Poll` and the payee sends the full request.
    pub fn handle_any_frame(
        self,
        frame: &[u8],
        checks: &PayerChecks<'_>,
        known: &dyn Fn(&[u8; 32]) -> Option<WalletCertificate>,
    ) -> Result<RequestFrame, ProtocolError> {
        self.handle_warm_frame(frame, checks, known, &|_| None)
    }

    /// As [`ExpectRequest::handle_any_frame`], and also takes a request signed with a one-time
    /// key (frame `0x0C`): `request_key` gives the commitment this payer holds for a payee (the
    /// key of the last key receipt it took from that payee). The certificate is looked up and
    /// checked as for a compact request; the request is taken only if its one-time signature
    /// leads to that commitment. A payee whose commitment this payer lacks, or another one, is
    /// [`RequestFrame::NeedsCertificate`]: answer `Poll` and the payee sends the full request
    /// signed with its wallet key. Nothing is committed before either.
    pub fn handle_warm_frame(
        self,
        frame: &[u8],
        checks: &PayerChecks<'_>,
        known: &dyn Fn(&[u8; 32]) -> Option<WalletCertificate>,
        request_key: &dyn Fn(&WalletId) -> Option<[u8; 32]>,
    ) -> Result<RequestFrame, ProtocolError> {
        let (body, request_bytes, receipt_lock) = match Frame::decode(frame)? {
            Frame::Request(request) => {
                let body = request.body().clone();
                check_payee(&body, checks)?;
                request
                    .verify_with(&body.payee_certificate.body().public_key)
                    .map_err(|_| PaymentRejection::RequestSignature)?;
                let lock = body.receipt_lock;
                (body, request.to_bytes(), lock)
            }
            Frame::CompactRequest(compact) => {
                let id = compact.body().certificate_id;
                let Some(body) = known(&id).and_then(|cert| RequestBody::expand(compact.body(), cert)) else {
                    return Ok(RequestFrame::NeedsCertificate { certificate_id: id });
                };
                check_payee(&body, checks)?;
                compact
                    .verify_with(&body.payee_certificate.body().public_key)
                    .map_err(|_| PaymentRejection::RequestSignature)?;
                let lock = compact.body().receipt_lock;
                (body, compact.to_bytes(), lock)
            }
            Frame::OneTimeRequest(one_time) => {
                let id = one_time.body().certificate_id;
                let Some(body) = known(&id).and_then(|cert| RequestBody::expand(one_time.body(), cert)) else {
                    return Ok(RequestFrame::NeedsCertificate { certificate_id: id });
                };
                check_payee(&body, checks)?;
                if !request_key(&body.payee()).is_some_and(|commitment| one_time.verifies(&commitment)) {
                    return Ok(RequestFrame::NeedsCertificate { certificate_id: id });
                }
                let lock = one_time.body().receipt_lock;
                (body, one_time.to_bytes(), lock)
            }
            Frame::Error { code, message } => {
                return Err(ProtocolError::Peer { reason: Reason::from_name(&code), message });
            }
            other => return Err(ProtocolError::Unexpected { expected: "payment request", found: other.type_byte() }),
        };
        if body.currency != checks.currency {
            return Err(PaymentRejection::Currency.into());
        }
        if body.amount == 0 {
            return Err(PaymentRejection::AmountMismatch { requested: 0, paid: 0 }.into());
        }
        Ok(RequestFrame::Accepted(Box::new(RequestAccepted {
            request: body,
            request_bytes,
            max_clock_skew: checks.max_clock_skew,
            receipt_lock,
        })))
    }
}

/// The payee's certificate: issued by a trusted key, valid now, not revoked.
fn check_payee(body: &RequestBody, checks: &PayerChecks<'_>) -> Result<(), ProtocolError> {
    let cert = &body.payee_certificate;
    cert.verify_issuer(checks.trust).map_err(PaymentRejection::Certificate)?;
    cert.check_valid_at(checks.now).map_err(PaymentRejection::Certificate)?;
    let payee = cert.wallet_id();
    if checks.revocations.is_revoked(&payee) {
        return Err(PaymentRejection::Certificate(crate::token::Rejection::Revoked { wallet: payee }).into());
    }
    Ok(())
}

/// What a payer made of a request frame.
#[derive(Debug)]
pub enum RequestFrame {
    /// A checked request.
    Accepted(Box<RequestAccepted>),
    /// A compact request naming a certificate this payer does not hold, or a one-time request
    /// that does not lead to the commitment this payer holds for that payee (or it holds none):
    /// answer `Poll`.
    NeedsCertificate {
        /// The id the request named.
        certificate_id: [u8; 32],
    },
}

/// A checked request: the wallet decides to pay it (or to resend a pending payment).
#[derive(Debug)]
pub struct RequestAccepted {
    request: RequestBody,
    request_bytes: Vec<u8>,
    max_clock_skew: u64,
    /// The compact request's receipt lock: its payee may answer with a key receipt.
    receipt_lock: Option<[u8; 32]>,
}

/// The notes a payer spends: chains spent in full, and at most one chain split into the
/// payee's part and change.
#[derive(Debug, Clone, Default)]
pub struct Funds {
    /// Held notes paid entirely to the payee.
    pub full: Vec<Chain>,
    /// A held note paid in part: (chain, amount to the payee); the rest is change.
    pub split: Option<(Chain, u64)>,
    /// Certificates of every wallet that signed a link in these chains, including the payer's.
    pub certificates: Vec<WalletCertificate>,
}

/// Everything about a payment the wallet must make durable before it is sent.
#[derive(Debug, Clone)]
pub struct PendingPayment {
    /// The payment's hash.
    pub hash: [u8; 32],
    /// The payment's canonical bytes (resent as-is on retry).
    pub payment_bytes: Vec<u8>,
    /// The payee.
    pub payee: WalletId,
    /// The nonce of the request it answers (the one its links carry).
    pub request_nonce: [u8; 16],
    /// The amount.
    pub amount: u64,
    /// The held notes this payment spends.
    pub spent: Vec<NoteId>,
    /// The links signed for it.
    pub links: Vec<SpendLink>,
    /// Change returned to the payer (spendable at once).
    pub change: Vec<Chain>,
    /// The payer's spend counter after this payment.
    pub counter: u64,
}

impl RequestAccepted {
    /// The request (verified: signed by the payee).
    pub fn request(&self) -> &RequestBody {
        &self.request
    }

    /// The payee's wallet id.
    pub fn payee(&self) -> WalletId {
        self.request.payee()
    }

    /// Whether a *new* payment may answer this request at the payer's time `now`: what the
    /// payee is bound to refuse is refused here, before anything is signed or committed, so
    /// no value sits pending for a payment that cannot succeed. In order: the request expired
    /// (`now > expires_at`); the request is dated beyond the clock skew ahead of `now` (the
    /// payer's clock is behind the payee's: its links would be "not yet valid" there, or its
    /// certificate checked at a time it does not cover); the payee cannot hold the amount.
    pub fn check_payable(&self, now: u64) -> Result<(), PaymentRejection> {
        let body = &self.request;
        if now > body.expires_at {
            return Err(PaymentRejection::RequestExpired { expires_at: body.expires_at, now });
        }
        if body.time > now.saturating_add(self.max_clock_skew) {
            return Err(PaymentRejection::ClockSkew { request_time: body.time, now, max_skew: self.max_clock_skew });
        }
        if body.amount > body.can_receive {
            return Err(PaymentRejection::PayeeCannotHold { amount: body.amount, can_receive: body.can_receive });
        }
        Ok(())
    }

    /// Signs links paying the request from `funds`. `first_counter` is the payer's next spend
    /// counter (one is used per link); `session_seed` must be `Some` iff the payee asked for
    /// session encryption.
    pub fn pay(
        self,
        funds: Funds,
        signer: &dyn Signer,
        first_counter: u64,
        now: u64,
        session_seed: Option<[u8; 32]>,
    ) -> Result<PaymentPrepared, ProtocolError> {
        self.check_payable(now)?;
        let me = crate::token::wallet_id(&signer.public_key());
        let request = &self.request;
        let payee = request.payee();
        let nonce = request.nonce;
        let mut counter = first_counter;
        let mut to_payee = Vec::new();
        let mut change = Vec::new();
        let mut links = Vec::new();
        let mut spent = Vec::new();
        let mut total: u64 = 0;
        let mut sign = |chain: &Chain, outputs: Vec<Output>| -> Result<SpendLink, ProtocolError> {
            let body = LinkBody { parent: chain.head, outputs, counter, payee_nonce: nonce, time: now };
            counter += 1;
            Ok(SpendLink::sign(body, signer)?)
        };
        for chain in &funds.full {
            if chain.owner() != Some(me) {
                return Err(ProtocolError::Misuse("a note to spend is not owned by this wallet"));
            }
            let amount = chain.amount();
            let link = sign(chain, vec![Output { owner: payee, amount }])?;
            total = total.checked_add(amount).ok_or(ProtocolError::Misuse("amount overflow"))?;
            to_payee.push(chain.extended(link.clone(), 0));
            links.push(link);
            spent.push(chain.head);
        }
        if let Some((chain, part)) = &funds.split {
            let held = chain.amount();
            if chain.owner() != Some(me) || *part == 0 || *part >= held {
                return Err(ProtocolError::Misuse("split must pay part of a note owned by this wallet"));
            }
            let link =
                sign(chain, vec![Output { owner: payee, amount: *part }, Output { owner: me, amount: held - part }])?;
            total = total.checked_add(*part).ok_or(ProtocolError::Misuse("amount overflow"))?;
            to_payee.push(chain.extended(link.clone(), 0));
            change.push(chain.extended(link.clone(), 1));
            links.push(link);
            spent.push(chain.head);
        }
        if total != request.amount {
            return Err(ProtocolError::Misuse("funds do not add up to the requested amount"));
        }
        // The certificate valid at each link's time, for every signer, less those the payee
        // says it holds (by certificate id: holding an older certificate of a wallet is not
        // holding its renewal).
        let mut bundle =
            Bundle::from_chains(&to_payee, &funds.certificates, &HashSet::new()).map_err(PaymentRejection::Chain)?;
        let hinted =
            |c: &WalletCertificate| request.cert_hints.iter().any(|h| c.digest().get(..CERT_HINT_LEN) == Some(&h[..]));
        bundle.certificates.retain(|c| !hinted(c));
        let payment_bytes = Payment { bundle }.to_bytes();
        let pending = PendingPayment {
            hash: payment_hash(&payment_bytes),
            payment_bytes,
            payee,
            request_nonce: nonce,
            amount: total,
            spent,
            links,
            change,
            counter: counter.saturating_sub(1),
        };
        self.prepare(pending, session_seed)
    }

    /// Resends a payment prepared in an earlier, torn tap for *this* request (same bytes, so
    /// the payee answers idempotently). Fails if the pending payment is for another payee or
    /// answers another request: a pending payment is never offered for a request it does not
    /// answer. No time check: resending commits nothing new.
    pub fn resend(
        self,
        pending: PendingPayment,
        session_seed: Option<[u8; 32]>,
    ) -> Result<PaymentPrepared, ProtocolError> {
        let body = &self.request;
        if pending.payee != body.payee() {
            return Err(ProtocolError::Misuse("pending payment is for another payee"));
        }
        if pending.request_nonce != body.nonce {
            return Err(PaymentRejection::PendingForOtherRequest { payment_hash: pending.hash }.into());
        }
        self.prepare(pending, session_seed)
    }

    fn prepare(
        self,
        pending: PendingPayment,
        session_seed: Option<[u8; 32]>,
    ) -> Result<PaymentPrepared, ProtocolError> {
        let (frame, session) = match (self.request.ephemeral_key, session_seed) {
            (None, _) => (Frame::Payment(pending.payment_bytes.clone()).encode(), None),
            (Some(peer), Some(seed)) => {
                let eph =
                    Ephemeral::from_seed(&seed).ok_or(ProtocolError::Misuse("session seed is not a valid scalar"))?;
                let mut keys = eph.agree(&peer, &self.request_bytes)?;
                // A payee that locked its request is current: it takes the compact form.
                let plain = match self.receipt_lock {
                    Some(_) => {
                        let context = PaymentContext { payee: self.request.payee(), nonce: self.request.nonce };
                        compact_payment::compress(&pending.payment_bytes, &context)?
                    }
                    None => pending.payment_bytes.clone(),
                };
                let ciphertext = keys.seal(Direction::PayerToPayee, &[0x03], &plain)?;
                (Frame::SealedPayment { ephemeral_key: eph.public_key(), ciphertext }.encode(), Some(keys))
            }
            (Some(_), None) => {
                return Err(ProtocolError::Misuse("payee asked for encryption: a session seed is needed"));
            }
        };
        let payee_certificate = self.request.payee_certificate.clone();
        Ok(PaymentPrepared { pending, frame, session, payee_certificate, receipt_lock: self.receipt_lock })
    }
}

/// A signed payment that must be committed (pending) before it is sent.
#[derive(Debug)]
pub struct PaymentPrepared {
    pending: PendingPayment,
    frame: Vec<u8>,
    session: Option<SessionKeys>,
    payee_certificate: WalletCertificate,
    receipt_lock: Option<[u8; 32]>,
}

impl PaymentPrepared {
    /// What to commit as a pending spend.
    pub fn pending(&self) -> &PendingPayment {
        &self.pending
    }

    /// Call with the store's proof that the pending spend is durable
    /// ([`crate::store::Store::begin_spend`], or the stored pending spend being resent):
    /// returns the next state and the frame to send. A proof for another payment is misuse.
    pub fn committed(self, durable: SpendDurable) -> Result<(ExpectReceipt, Vec<u8>), ProtocolError> {
        if durable.payment_hash() != &self.pending.hash {
            return Err(ProtocolError::Misuse("the durable spend is another payment"));
        }
        let state = ExpectReceipt {
            pending: self.pending,
            session: self.session,
            payee_certificate: self.payee_certificate,
            receipt_lock: self.receipt_lock,
        };
        Ok((state, self.frame))
    }
}

/// Waiting for the payee's receipt.
#[derive(Debug)]
pub struct ExpectReceipt {
    pending: PendingPayment,
    session: Option<SessionKeys>,
    payee_certificate: WalletCertificate,
    receipt_lock: Option<[u8; 32]>,
}

/// A receipt that verified: the wallet marks the spend complete.
#[derive(Debug, Clone)]
pub struct ReceiptVerified {
    /// The payment's hash.
    pub hash: [u8; 32],
    /// The receipt: signed, or the key of the request's lock.
    pub receipt: AnyReceipt,
    /// The commitment of the one-time key that may sign this payee's next warm request: the
    /// key of a key receipt from an ML-DSA-44 payee (docs/decisions/0022-one-time-request-keys.md).
    /// Keep it for that payee, in place of any earlier one.
    pub request_key: Option<[u8; 32]>,
}

impl ExpectReceipt {
    /// The payment in flight.
    pub fn pending(&self) -> &PendingPayment {
        &self.pending
    }

    /// Takes the payee's receipt frame and verifies it. A signed receipt is always taken; a
    /// key receipt only after a compact request that carried a lock, and only if its key opens
    /// that lock (else [`PaymentRejection::BadReceipt`]).
    pub fn handle_frame(mut self, frame: &[u8]) -> Result<ReceiptVerified, ProtocolError> {
        let receipt = match (Frame::decode(frame)?, self.session.as_mut()) {
            (Frame::Receipt(r), None) => AnyReceipt::Signed(*r),
            (Frame::KeyReceipt(k), None) => AnyReceipt::Key(k),
            (Frame::SealedReceipt(ct), Some(keys)) => {
                let plain = keys.open(Direction::PayeeToPayer, &[0x05], &ct)?;
                AnyReceipt::Signed(Receipt::from_bytes(&plain)?)
            }
            (Frame::SealedKeyReceipt(ct), Some(keys)) => {
                let plain = keys.open(Direction::PayeeToPayer, &[0x0B], &ct)?;
                match AnyReceipt::from_bytes(&plain)? {
                    key @ AnyReceipt::Key(_) => key,
                    AnyReceipt::Signed(_) => return Err(PaymentRejection::BadReceipt.into()),
                }
            }
            (Frame::Error { code, message }, _) => {
                return Err(ProtocolError::Peer { reason: Reason::from_name(&code), message });
            }
            (other, _) => return Err(ProtocolError::Unexpected { expected: "receipt", found: other.type_byte() }),
        };
        if *receipt.payment_hash() != self.pending.hash || receipt.amount() != self.pending.amount {
            return Err(PaymentRejection::BadReceipt.into());
        }
        match &receipt {
            AnyReceipt::Signed(signed) => {
                if signed.body().payee != self.payee_certificate.wallet_id() {
                    return Err(PaymentRejection::BadReceipt.into());
                }
                signed
                    .verify_with(&self.payee_certificate.body().public_key)
                    .map_err(|_| PaymentRejection::BadReceipt)?;
            }
            AnyReceipt::Key(key) => {
                if !self.receipt_lock.is_some_and(|lock| key.opens(&lock)) {
                    return Err(PaymentRejection::BadReceipt.into());
                }
            }
        }
        let request_key = match &receipt {
            AnyReceipt::Key(key) if self.payee_certificate.body().public_key.suite() == Suite::MlDsa44 => Some(key.key),
            _ => None,
        };
        Ok(ReceiptVerified { hash: self.pending.hash, receipt, request_key })
    }
}
