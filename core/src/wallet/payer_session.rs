//! Paying: one [`PayerSession`] per tap, driven by frames from any channel.

use crate::protocol::compact::Hello;
use crate::protocol::payer::{
    ExpectReceipt, ExpectRequest, Funds, PayerChecks, PendingPayment, RequestAccepted, RequestFrame,
};
use crate::protocol::{Frame, PaymentRejection, payment_hash};
use crate::store::{CoinSelection, PendingSpend, SpendState, StoreError, StoredSpend};
use crate::token::{WalletCertificate, WalletId};

use super::saved_request::nonce_of_payment;
use super::{Inner, Wallet, WalletError, WalletEvent, revocation_check};

enum State {
    ExpectRequest,
    ExpectReceipt(Box<ExpectReceipt>),
    Done,
}

/// A payment in progress. Frames in, frames out: the payee's request → the payment (after the
/// pending spend is committed); the receipt → `None` (finished, spend complete).
///
/// A request is paid once. If a pending payment answers this very request (a torn tap), the
/// request is answered with *that* payment, byte for byte, so the payee answers idempotently
/// and no note is ever signed twice. A request already paid is refused
/// ([`PaymentRejection::AlreadyPaid`]); so is a new request from a payee while a payment to it
/// for another request is pending ([`PaymentRejection::PendingForOtherRequest`]: present the
/// original request again, or sync), so one value never backs two live payments.
pub struct PayerSession {
    wallet: Wallet,
    state: State,
    paid: Option<[u8; 32]>,
    complete: bool,
    /// The most the user approved for this session ([`PayerSession::approve_at_most`]).
    approved: Option<u64>,
}

impl std::fmt::Debug for PayerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayerSession").field("paid", &self.paid).finish_non_exhaustive()
    }
}

impl PayerSession {
    pub(super) fn new(wallet: Wallet) -> Self {
        Self { wallet, state: State::ExpectRequest, paid: None, complete: false, approved: None }
    }

    /// Pays at most `amount`: a request for more is refused before anything is committed
    /// ([`PaymentRejection::NotApproved`]). An app that lets its phone pay as a card (HCE) arms
    /// a session only after the user confirmed an amount, so a reader that touches the unlocked
    /// phone cannot take more than the user agreed to.
    pub fn approve_at_most(mut self, amount: u64) -> Self {
        self.approved = Some(amount);
        self
    }

    /// The frame a payer sends first when it is the reader: a poll asking the card for its request.
    pub fn first_frame(&self) -> Vec<u8> {
        Frame::Poll.encode()
    }

    /// The frame a payer sends first to a card that advertised
    /// [`FEATURE_HELLO`](crate::protocol::compact::FEATURE_HELLO): a hello naming this wallet's
    /// certificate under a fresh salt, so a payee that met it skips both certificates. A wallet
    /// without a certificate polls (and is refused when it pays, as ever).
    pub fn hello_frame(&self) -> Vec<u8> {
        let mut inner = self.wallet.lock();
        let Ok(cert) = inner.certificate() else {
            return Frame::Poll.encode();
        };
        let salt = inner.random::<{ crate::protocol::compact::HELLO_LEN }>();
        Frame::Hello(Hello::new(salt, cert.digest())).encode()
    }

    /// The payment's hash, once committed.
    pub fn payment(&self) -> Option<[u8; 32]> {
        self.paid
    }

    /// Whether the receipt arrived.
    pub fn is_complete(&self) -> bool {
        // Not `State::Done`: a session that failed is done too, but did not complete.
        self.complete
    }

    /// Reports a tap that ended before the receipt arrived.
    pub fn torn(&mut self) {
        if let State::ExpectReceipt(_) = self.state {
            tracing::warn!(target: "offline_cash::wallet", "tap torn before the receipt: payment stays pending");
            self.wallet.lock().push_event(WalletEvent::TapTorn { pending: self.paid });
        }
    }

    /// Takes a frame from the payee; returns the frame to send back, or `None` when finished.
    pub fn handle_frame(&mut self, frame: &[u8], now: u64) -> Result<Option<Vec<u8>>, WalletError> {
        self.handle(frame, now, Channel::TwoWay)
    }

    /// Pays a request frame that came over a one-way channel (a scanned code, a link, a file):
    /// as [`PayerSession::handle_frame`], except that a compact request naming a certificate
    /// this wallet does not hold is refused with
    /// [`PaymentRejection::PayeeCertificateNotHeld`] (reason `unknown_certificate`) rather
    /// than answered with a poll, since no payee listens for one. Nothing is committed then,
    /// and the session still takes a request (the payee's full one).
    pub fn handle_one_way_request(&mut self, frame: &[u8], now: u64) -> Result<Option<Vec<u8>>, WalletError> {
        self.handle(frame, now, Channel::OneWay)
    }

    fn handle(&mut self, frame: &[u8], now: u64, channel: Channel) -> Result<Option<Vec<u8>>, WalletError> {
        match std::mem::replace(&mut self.state, State::Done) {
            // A reader payee asks this card payer to speak first (the card advertised
            // FEATURE_PAYER_HELLO): the hello, so that a payee that met it answers compactly.
            // Every poll before a request gets a fresh one (a re-tap SELECTs and polls again);
            // nothing is committed, and two hellos carry unrelated salts and tags.
            State::ExpectRequest if matches!(Frame::decode(frame), Ok(Frame::Poll)) => {
                self.state = State::ExpectRequest;
                Ok(Some(self.hello_frame()))
            }
            State::ExpectRequest => match self.pay(frame, now)? {
                Paid::Sent(state, frame) => {
                    self.state = State::ExpectReceipt(state);
                    Ok(Some(frame))
                }
                Paid::NeedsCertificate { certificate_id } => {
                    // A compact request for a certificate this wallet does not keep (nothing
                    // was committed): ask for the full request, or say why it cannot be paid.
                    self.state = State::ExpectRequest;
                    match channel {
                        Channel::TwoWay => {
                            tracing::info!(target: "offline_cash::wallet", "compact request for an unknown certificate: polling for the full one");
                            Ok(Some(Frame::Poll.encode()))
                        }
                        Channel::OneWay => {
                            tracing::warn!(target: "offline_cash::wallet", "compact request for an unknown certificate on a one-way channel: refused");
                            Err(PaymentRejection::PayeeCertificateNotHeld { certificate_id }.into())
                        }
                    }
                }
            },
            State::ExpectReceipt(state) => {
                let pending = state.pending().clone();
                let verified = match state.handle_frame(frame) {
                    Ok(v) => v,
                    Err(e) => {
                        self.state = State::Done;
                        return Err(e.into());
                    }
                };
                let mut inner = self.wallet.lock();
                let _ = inner.store.complete_spend(&verified.hash, &verified.receipt.to_bytes(), now)?;
                self.complete = true;
                // The payee keeps the certificate this payment carried or it said it holds: it
                // can now be sent by id to that payee (when it pays this wallet after a hello).
                let own = inner.certificate()?;
                if !inner.store.peer_holds(&pending.payee, own.digest())? {
                    inner.store.record_peer_holds(&pending.payee, own.digest(), now)?;
                }
                // An ML-DSA-44 payee's key receipt: the commitment of the one-time key that may
                // sign its next warm request to this wallet.
                // Not worth failing a completed payment over: without it, that payee's next
                // request is signed with its wallet key.
                if let Some(commitment) = &verified.request_key {
                    if let Err(e) = inner.store.record_peer_request_key(&pending.payee, commitment, now) {
                        tracing::warn!(target: "offline_cash::wallet", "could not keep the payee's next request key: {e}");
                    }
                }
                tracing::info!(target: "offline_cash::wallet", amount = pending.amount, "payment completed: receipt verified");
                inner.push_event(WalletEvent::PaymentCompleted {
                    payee: pending.payee,
                    amount: pending.amount,
                    payment_hash: verified.hash,
                });
                Ok(None)
            }
            State::Done => Err(WalletError::Misuse { detail: "payment session already finished".into() }),
        }
    }

    fn pay(&mut self, frame: &[u8], now: u64) -> Result<Paid, WalletError> {
        let wallet = self.wallet.clone();
        let mut inner = wallet.lock();
        inner.ensure_sound()?;
        // This wallet's own state first: a payer whose certificate ended must sync, whatever
        // the request says (and a request it cannot verify yet, say signed under an issuer key
        // announced after its last sync, would otherwise hide that).
        inner.limits()?.check_certificate(now)?;
        let policy = inner.policy()?;
        let revocations = inner.store.revocation_list()?;
        let checks = PayerChecks {
            trust: &inner.trust,
            currency: policy.body().currency,
            revocations: revocation_check(revocations.as_ref()),
            now,
            max_clock_skew: inner.config.max_clock_skew,
        };
        let known = |id: &[u8; 32]| inner.certs.iter().find(|c| c.digest() == id).cloned();
        let request_key = |payee: &WalletId| inner.store.peer_request_key(payee).ok().flatten();
        let accepted = match ExpectRequest::new().handle_warm_frame(frame, &checks, &known, &request_key)? {
            RequestFrame::Accepted(accepted) => *accepted,
            RequestFrame::NeedsCertificate { certificate_id } => return Ok(Paid::NeedsCertificate { certificate_id }),
        };
        if let Some(approved) = self.approved {
            let asked = accepted.request().amount;
            if asked > approved {
                return Err(PaymentRejection::NotApproved { asked, approved }.into());
            }
        }
        let seed = Some(inner.session_seed());
        let payee = accepted.payee();
        let payee_certificate = accepted.request().payee_certificate.clone();
        let nonce = accepted.request().nonce;
        let (prepared, durable) = match answering(&inner, &payee, &nonce)? {
            Answer::Resend(stored) => {
                let pending = PendingPayment {
                    hash: stored.payment_hash,
                    payment_bytes: stored.payment_bytes,
                    payee: stored.payee,
                    request_nonce: nonce,
                    amount: stored.amount,
                    spent: Vec::new(),
                    links: Vec::new(),
                    change: Vec::new(),
                    counter: stored.counter,
                };
                let durable = inner.store.resend_proof(&pending.hash)?;
                tracing::info!(target: "offline_cash::wallet", amount = pending.amount, "resending the pending payment for this request");
                (accepted.resend(pending, seed)?, durable)
            }
            Answer::AlreadyPaid(hash) => {
                tracing::warn!(target: "offline_cash::wallet", "request refused: already paid");
                return Err(PaymentRejection::AlreadyPaid { payment_hash: hash }.into());
            }
            Answer::PendingForOther(hash) => {
                tracing::warn!(target: "offline_cash::wallet", "request refused: a payment to this payee for another request is pending");
                return Err(PaymentRejection::PendingForOtherRequest { payment_hash: hash }.into());
            }
            Answer::New => {
                let prepared = new_payment(&mut inner, accepted, now, seed)?;
                let p = prepared.pending();
                // Durable before the payment frame exists: the frame needs this proof.
                let durable = inner
                    .store
                    .begin_spend(&PendingSpend {
                        payment_hash: p.hash,
                        payee: p.payee,
                        request_nonce: p.request_nonce,
                        amount: p.amount,
                        spent_notes: p.spent.clone(),
                        links: p.links.clone(),
                        change: p.change.clone(),
                        payment_bytes: p.payment_bytes.clone(),
                        counter: p.counter,
                        now,
                    })
                    .map_err(|e| match e {
                        StoreError::RequestAlreadyPaid { payment_hash } => {
                            WalletError::Rejected(PaymentRejection::AlreadyPaid { payment_hash })
                        }
                        other => other.into(),
                    })?;
                tracing::info!(target: "offline_cash::wallet", amount = p.amount, "payment committed as pending");
                (prepared, durable)
            }
        };
        let p = prepared.pending();
        debug_assert_eq!(p.hash, payment_hash(&p.payment_bytes));
        inner.push_event(WalletEvent::PaymentSent { payee: p.payee, amount: p.amount, payment_hash: p.hash });
        self.paid = Some(p.hash);
        // Keep the payee's certificate (verified above), so its next request can name it by id.
        // (A write only the first time: a commit costs an fsync.)
        if !inner.certs.iter().any(|c| c.digest() == payee_certificate.digest()) {
            let trust = inner.trust.clone();
            if inner.certs.insert(payee_certificate.clone(), &trust).is_ok() {
                inner.store.remember_peer(&payee_certificate, now)?;
            }
        }
        let (state, frame) = prepared.committed(durable)?;
        Ok(Paid::Sent(Box::new(state), frame))
    }
}

/// What answering a request frame led to.
enum Paid {
    /// The payment frame, after its pending spend was committed.
    Sent(Box<ExpectReceipt>, Vec<u8>),
    /// A compact request naming a certificate this wallet does not hold.
    NeedsCertificate { certificate_id: [u8; 32] },
}

/// Whether the payee can be asked for its full request.
#[derive(Debug, Clone, Copy)]
enum Channel {
    /// A tap or a link both ways: a poll brings the full request.
    TwoWay,
    /// A scanned code, a link, a file: nobody to poll.
    OneWay,
}

/// How a verified request is answered, from what the store remembers.
enum Answer {
    /// The pending payment that answers this very request (a torn tap): the same bytes again.
    Resend(StoredSpend),
    /// The request was paid and its receipt arrived: a replayed request.
    AlreadyPaid([u8; 32]),
    /// A payment to this payee for another request awaits its receipt: finish that first.
    PendingForOther([u8; 32]),
    /// A new payment.
    New,
}

fn answering(inner: &Inner, payee: &WalletId, nonce: &[u8; 16]) -> Result<Answer, WalletError> {
    if let Some(spend) = inner.store.spend_for_request(payee, nonce)? {
        return Ok(match spend.state {
            SpendState::Pending => Answer::Resend(spend),
            _ => Answer::AlreadyPaid(spend.payment_hash),
        });
    }
    let mut pending: Vec<StoredSpend> =
        inner.store.pending_spends()?.into_iter().filter(|s| s.payee == *payee).collect();
    // A payment made before schema 4 has no recorded nonce: its links carry it.
    let answers = |s: &StoredSpend| s.request_nonce.or_else(|| nonce_of_payment(&s.payment_bytes));
    if let Some(i) = pending.iter().position(|s| answers(s) == Some(*nonce)) {
        return Ok(Answer::Resend(pending.swap_remove(i)));
    }
    Ok(pending.first().map_or(Answer::New, |s| Answer::PendingForOther(s.payment_hash)))
}

fn new_payment(
    inner: &mut Inner,
    accepted: RequestAccepted,
    now: u64,
    seed: Option<[u8; 32]>,
) -> Result<crate::protocol::payer::PaymentPrepared, WalletError> {
    // What the payee is bound to refuse is refused here, before anything is signed or
    // committed: an expired request, clocks too far apart, a payee that cannot hold it.
    accepted.check_payable(now)?;
    let amount = accepted.request().amount;
    // The payee checks at its own time, no earlier than the request's: this wallet's
    // certificate and notes must still be good then, not only at this wallet's `now`.
    let payee_time = now.max(accepted.request().time);
    let since_sync = inner.store.offline_payments_since_sync()?;
    let limits = inner.limits()?;
    limits.check_spend(amount, since_sync, now)?;
    limits.check_spend(amount, since_sync, payee_time)?;
    // Only notes a payee can accept: a payment it must refuse would stay pending forever.
    // Nor notes that passed through a wallet this one knows is revoked (refreshed at the next
    // sync): a synced payee refuses them, and the pending spend would settle to a payee that
    // never took it.
    let max_depth = inner.policy()?.body().max_chain_depth;
    let own = inner.certificate()?;
    let me = own.wallet_id();
    let revocations = inner.store.revocation_list()?;
    let revoked = revocation_check(revocations.as_ref());
    let blocked = |note: &crate::store::HeldNote| super::passed_through_revoked(note, &me, revoked);
    let selection: CoinSelection = inner.store.select_coins_for_payment(amount, payee_time, max_depth, &blocked)?;
    // Every certificate of every signer in the chains (renewals included: each link needs the
    // one valid at its time); the bundle takes the ones it needs.
    let mut certificates: Vec<WalletCertificate> = inner.store.certificates_of(&own.wallet_id())?;
    if !certificates.contains(&own) {
        certificates.push(own.clone());
    }
    let full: Vec<_> = selection.full.iter().map(|n| n.chain.clone()).collect();
    let split = selection.split.as_ref().map(|s| (s.note.chain.clone(), s.to_payee));
    let mut signers: Vec<WalletId> = vec![own.wallet_id()];
    for chain in full.iter().chain(split.iter().map(|(c, _)| c)) {
        for signer in chain.signers() {
            if !signers.contains(&signer) {
                signers.push(signer);
                let history = inner.store.certificates_of(&signer)?;
                if history.is_empty() {
                    return Err(PaymentRejection::Chain(crate::token::Rejection::UnknownCertificate {
                        wallet: signer,
                    })
                    .into());
                }
                certificates.extend(history);
            }
        }
    }
    let counter = inner.store.next_counter()?;
    let funds = Funds { full, split, certificates };
    Ok(accepted.pay(funds, inner.signer.as_ref(), counter, now, seed)?)
}
