//! Paying: one [`PayerSession`] per tap, driven by frames from any channel.

use crate::protocol::payer::{ExpectReceipt, ExpectRequest, Funds, PayerChecks, PendingPayment, RequestAccepted};
use crate::protocol::{Frame, PaymentRejection, payment_hash};
use crate::store::{CoinSelection, PendingSpend};
use crate::token::{WalletCertificate, WalletId};

use super::{Inner, Wallet, WalletError, WalletEvent, revocation_check};

enum State {
    ExpectRequest,
    ExpectReceipt(Box<ExpectReceipt>),
    Done,
}

/// A payment in progress. Frames in, frames out: the payee's request → the payment (after the
/// pending spend is committed); the receipt → `None` (finished, spend complete). If a pending
/// payment to the same payee exists (a torn tap), the request is answered with *that* payment,
/// byte for byte, so the payee answers idempotently and no note is ever signed twice.
pub struct PayerSession {
    wallet: Wallet,
    state: State,
    paid: Option<[u8; 32]>,
    complete: bool,
}

impl std::fmt::Debug for PayerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayerSession").field("paid", &self.paid).finish_non_exhaustive()
    }
}

impl PayerSession {
    pub(super) fn new(wallet: Wallet) -> Self {
        Self { wallet, state: State::ExpectRequest, paid: None, complete: false }
    }

    /// The frame a payer sends first when it is the reader: a poll asking the card for its request.
    pub fn first_frame(&self) -> Vec<u8> {
        Frame::Poll.encode()
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
        match std::mem::replace(&mut self.state, State::Done) {
            State::ExpectRequest => {
                let (state, frame) = self.pay(frame, now)?;
                self.state = State::ExpectReceipt(Box::new(state));
                Ok(Some(frame))
            }
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

    fn pay(&mut self, frame: &[u8], now: u64) -> Result<(ExpectReceipt, Vec<u8>), WalletError> {
        let wallet = self.wallet.clone();
        let mut inner = wallet.lock();
        let policy = inner.policy()?;
        let revocations = inner.store.revocation_list()?;
        let checks = PayerChecks {
            trust: &inner.trust,
            currency: policy.body().currency,
            revocations: revocation_check(revocations.as_ref()),
            now,
        };
        let accepted = ExpectRequest::new().handle_frame(frame, &checks)?;
        let seed = Some(inner.session_seed());
        let payee = accepted.payee();
        let retry = inner.store.pending_spends()?.into_iter().find(|s| s.payee == payee);
        let prepared = match retry {
            Some(stored) => {
                let pending = PendingPayment {
                    hash: stored.payment_hash,
                    payment_bytes: stored.payment_bytes,
                    payee: stored.payee,
                    amount: stored.amount,
                    spent: Vec::new(),
                    links: Vec::new(),
                    change: Vec::new(),
                    counter: stored.counter,
                };
                accepted.resend(pending, seed)?
            }
            None => {
                let prepared = new_payment(&mut inner, accepted, now, seed)?;
                let p = prepared.pending();
                // Durable before the payment frame exists.
                inner.store.begin_spend(&PendingSpend {
                    payment_hash: p.hash,
                    payee: p.payee,
                    amount: p.amount,
                    spent_notes: p.spent.clone(),
                    links: p.links.clone(),
                    change: p.change.clone(),
                    payment_bytes: p.payment_bytes.clone(),
                    counter: p.counter,
                    now,
                })?;
                tracing::info!(target: "offline_cash::wallet", amount = p.amount, "payment committed as pending");
                prepared
            }
        };
        let p = prepared.pending();
        debug_assert_eq!(p.hash, payment_hash(&p.payment_bytes));
        inner.push_event(WalletEvent::PaymentSent { payee: p.payee, amount: p.amount, payment_hash: p.hash });
        self.paid = Some(p.hash);
        Ok(prepared.committed())
    }
}

fn new_payment(
    inner: &mut Inner,
    accepted: RequestAccepted,
    now: u64,
    seed: Option<[u8; 32]>,
) -> Result<crate::protocol::payer::PaymentPrepared, WalletError> {
    let amount = accepted.request().amount;
    let since_sync = inner.store.offline_payments_since_sync()?;
    inner.limits()?.check_spend(amount, since_sync, now)?;
    // Only notes a payee can accept: a payment it must refuse would stay pending forever.
    let max_depth = inner.policy()?.body().max_chain_depth;
    let selection: CoinSelection = inner.store.select_coins_within(amount, now, max_depth)?;
    // Every certificate of every signer in the chains (renewals included: each link needs the
    // one valid at its time); the bundle takes the ones it needs.
    let own = inner.certificate()?;
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
