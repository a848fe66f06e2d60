//! Receiving a payment: one [`PayeeSession`] per request, driven by frames from any channel.

use crate::crypto::{OneTimeKey, Suite};
use crate::protocol::compact::Hello;
use crate::protocol::payee::{self, ExpectPayment, PayeeChecks, RequestParams};
use crate::protocol::{AnyReceipt, Frame};
use crate::store::{IncomingPayment, Received};
use crate::token::VerifyContext;

use super::{Wallet, WalletError, WalletEvent, revocation_check};

const MAX_HINTS: usize = crate::protocol::MAX_CERT_HINTS;

/// How a [`PayeeSession`] comes to be.
#[derive(Debug, Clone, Copy)]
pub(super) enum Opening {
    /// A request for a tap.
    Live,
    /// A request whose parameters the caller saves to reopen it later.
    Saved,
    /// A saved request, reopened.
    Resumed {
        /// Its nonce.
        nonce: [u8; 16],
        /// When it was made.
        created: u64,
    },
    /// A live request still open, presented again after a torn tap (same nonce, amount and
    /// time; a fresh session key), so the payer can finish the payment it has pending for it.
    Again {
        /// Its nonce.
        nonce: [u8; 16],
        /// When it was made.
        created: u64,
    },
}

/// A payment request in progress.
///
/// Frames in, frames out: `Poll` → the request (when this phone is the card), a payment → the
/// receipt (after the notes are committed), `Ack` → finished (when this phone is the reader).
#[derive(Debug)]
pub struct PayeeSession {
    wallet: Wallet,
    state: Option<ExpectPayment>,
    request_frame: Vec<u8>,
    amount: u64,
    nonce: [u8; 16],
    received: Option<[u8; 32]>,
    /// What the request was made of, to present it again in another form (answering a hello,
    /// or a poll after a compact request).
    params: RequestParams,
    opening: Opening,
    /// The payer a hello identified, if the last request answered one.
    hello: Option<Introduced>,
    /// The seed of the one-time key whose commitment is the receipt key of the last request
    /// sent (an ML-DSA-44 payee answering a hello): kept for the payer once it has paid.
    request_key: Option<[u8; 32]>,
}

/// What a hello told this payee.
#[derive(Debug, Clone, Copy)]
struct Introduced {
    /// The payer it named, if this payee holds that certificate.
    payer: Option<crate::token::WalletId>,
    /// The last request sent named this payee's certificate by id.
    compact: bool,
}

impl PayeeSession {
    pub(super) fn start(wallet: Wallet, amount: u64, now: u64) -> Result<Self, WalletError> {
        Self::open(wallet, amount, now, Opening::Live)
    }

    /// Opens a request: a fresh one (`Live`: encrypted session, certificate hints), a fresh one
    /// to be saved (`Saved`: clear session, no hints, so it can be rebuilt byte for byte), or a
    /// saved one again (`Resumed`).
    pub(super) fn open(wallet: Wallet, amount: u64, now: u64, opening: Opening) -> Result<Self, WalletError> {
        if amount == 0 {
            return Err(WalletError::Misuse { detail: "a payment request needs a positive amount".into() });
        }
        let (state, request_frame, nonce, params) = {
            let mut inner = wallet.lock();
            inner.ensure_sound()?;
            let cert = inner.certificate()?;
            let policy = inner.policy()?;
            let (nonce, session_seed, known_certificates, created) = match opening {
                Opening::Live => {
                    let nonce = inner.random::<16>();
                    let seed = Some(inner.session_seed());
                    (nonce, seed, inner.certificate_hints(now, MAX_HINTS), now)
                }
                Opening::Again { nonce, created } => {
                    let seed = Some(inner.session_seed());
                    (nonce, seed, inner.certificate_hints(now, MAX_HINTS), created)
                }
                Opening::Saved => (inner.random::<16>(), None, Vec::new(), now),
                Opening::Resumed { nonce, created } => (nonce, None, Vec::new(), created),
            };
            // Never issue a request this wallet would have to refuse: the amount must fit in
            // what it can still hold, and it says so (signed) so the payer can check first.
            let limits = inner.limits()?;
            let held = inner.held()?;
            if matches!(opening, Opening::Live | Opening::Saved) {
                limits.check_holding(held, amount)?;
            }
            let params = RequestParams {
                amount,
                currency: policy.body().currency,
                nonce,
                now: created,
                expires_at: created.saturating_add(inner.config.request_ttl),
                can_receive: limits.can_receive(held),
                known_certificates,
                session_seed,
                receipt_key: None,
            };
            let started = payee::request(cert, params.clone(), inner.signer.as_ref())?;
            // Presented again, a request keeps its record (and stays closed if it was paid).
            if !matches!(opening, Opening::Again { .. }) {
                inner.open_request(nonce, amount, created, now);
            }
            (started.0, started.1, nonce, params)
        };
        Ok(Self {
            wallet,
            state: Some(state),
            request_frame,
            amount,
            nonce,
            received: None,
            params,
            opening,
            hello: None,
            request_key: None,
        })
    }

    /// Answers a payer's hello. A live request (not a saved one, which must stay byte for
    /// byte) is presented again: by certificate id if the payer the hello names is known to
    /// hold this payee's certificate, else in full with hints for that payer's certificates
    /// only. A hello naming no certificate this payee holds gets the full request again, with
    /// the same hints. Either way the request answering a hello locks its receipt.
    fn answer_hello(&mut self, hello: &Hello) -> Result<Vec<u8>, WalletError> {
        if !matches!(self.opening, Opening::Live | Opening::Again { .. }) || self.state.is_none() {
            return Ok(self.request_frame.clone());
        }
        let wallet = self.wallet.clone();
        let mut inner = wallet.lock();
        // A payer that says hello understands a locked request (full version 4 or compact):
        // the payee answers by revealing the key, not with a second signature, and takes the
        // compact payment (docs/decisions/0019-key-receipts.md, 0021-compact-cold-taps.md).
        // An ML-DSA-44 payee makes the key the commitment of a fresh one-time key: the payer
        // keeps it, and the next warm request to that payer is signed with that key instead of
        // a 2,420-byte signature (docs/decisions/0022-one-time-request-keys.md).
        let one_time = inner.signer.suite() == Suite::MlDsa44;
        let seed = one_time.then(|| inner.random::<32>());
        let receipt_key = Some(match &seed {
            Some(seed) => OneTimeKey::from_seed(*seed).commitment(),
            None => inner.random::<32>(),
        });
        let cert = inner.certificate()?;
        let payer = inner.certs.iter().find(|c| hello.names(c.digest())).map(|c| c.wallet_id());
        let Some(payer) = payer else {
            let params = RequestParams { receipt_key, ..self.params.clone() };
            let (state, frame) = payee::request(cert, params, inner.signer.as_ref())?;
            self.state = Some(state);
            self.request_frame = frame.clone();
            self.hello = Some(Introduced { payer: None, compact: false });
            self.request_key = seed;
            return Ok(frame);
        };
        // Hints: the certificates of that payer (and this payee's own, for chains through it).
        let mut hints: Vec<[u8; 32]> = inner.certs.history(&payer).iter().rev().map(|c| *c.digest()).collect();
        hints.extend(inner.certs.history(&wallet.id).iter().rev().map(|c| *c.digest()));
        hints.truncate(MAX_HINTS);
        let compact = inner.store.peer_holds(&payer, cert.digest())?;
        let params = RequestParams { known_certificates: hints, receipt_key, ..self.params.clone() };
        // The one-time key this payer holds the commitment of signs, once: it is deleted, in a
        // committed transaction, before the request exists. Not for a request presented again
        // after a torn tap: that payer may have missed the receipt with the key's commitment.
        let fresh = !matches!(self.opening, Opening::Again { .. });
        let old_key = if compact && one_time && fresh { inner.store.take_request_key(&payer)? } else { None };
        let (state, frame) = match old_key {
            Some(old) => payee::one_time_request(cert, params, inner.signer.as_ref(), OneTimeKey::from_seed(old))?,
            None if compact => payee::compact_request(cert, params, inner.signer.as_ref())?,
            None => payee::request(cert, params, inner.signer.as_ref())?,
        };
        self.state = Some(state);
        self.request_frame = frame.clone();
        self.hello = Some(Introduced { payer: Some(payer), compact });
        self.request_key = seed;
        Ok(frame)
    }

    /// Answers a poll: the request frame, in full and unlocked (version 2), whatever a hello
    /// made of it before: a poll may come from a payer that does not know version 4 (another
    /// phone tapping the same request). After a compact request, the payer has shown it lacks
    /// this payee's certificate: forget that it held it, too.
    fn answer_poll(&mut self) -> Result<Vec<u8>, WalletError> {
        let Some(introduced) = self.hello else {
            return Ok(self.request_frame.clone());
        };
        let wallet = self.wallet.clone();
        let mut inner = wallet.lock();
        let cert = inner.certificate()?;
        let Introduced { payer: Some(payer), compact: true } = introduced else {
            let (state, frame) = payee::request(cert, self.params.clone(), inner.signer.as_ref())?;
            self.state = Some(state);
            self.request_frame = frame.clone();
            self.hello = None;
            self.request_key = None;
            return Ok(frame);
        };
        inner.store.forget_peer_holds(&payer, cert.digest())?;
        let (state, frame) = payee::request(cert, self.params.clone(), inner.signer.as_ref())?;
        self.state = Some(state);
        self.request_frame = frame.clone();
        self.hello = Some(Introduced { payer: Some(payer), compact: false });
        self.request_key = None;
        Ok(frame)
    }

    /// This request in compact form (frame `0x09`: the payee's certificate by id), signed
    /// afresh with the same parameters, to show as `offlinecash:C…`
    /// ([`PayeeSession::compact_request_uri`]) or to send as a file.
    /// Only a clear session (a saved request): its payment does not depend on which form the
    /// payer saw, so the full and the compact form stay payable side by side. An encrypted
    /// session binds its key to the exact request bytes sent, so it is [`WalletError::Misuse`].
    pub fn compact_request_frame(&self) -> Result<Vec<u8>, WalletError> {
        if self.params.session_seed.is_some() {
            return Err(WalletError::Misuse {
                detail: "a compact request URI is made of a saved request (request_payment_saved)".into(),
            });
        }
        let inner = self.wallet.lock();
        let cert = inner.certificate()?;
        let (_, frame) = payee::compact_request(cert, self.params.clone(), inner.signer.as_ref())?;
        Ok(frame)
    }

    /// The nonce of this session's request: [`Wallet::request_again`] presents it again.
    ///
    /// [`Wallet::request_again`]: super::Wallet::request_again
    pub fn nonce(&self) -> [u8; 16] {
        self.nonce
    }

    /// The request frame (send it first when this phone is the reader, or show it as a QR code).
    pub fn request_frame(&self) -> &[u8] {
        &self.request_frame
    }

    /// The requested amount.
    pub fn amount(&self) -> u64 {
        self.amount
    }

    /// The hash of the payment received, once it is committed.
    pub fn received(&self) -> Option<[u8; 32]> {
        self.received
    }

    /// Takes a frame from the payer; returns the frame to send back, or `None` when finished.
    pub fn handle_frame(&mut self, frame: &[u8], now: u64) -> Result<Option<Vec<u8>>, WalletError> {
        match Frame::decode(frame) {
            Ok(Frame::Poll) => return Ok(Some(self.answer_poll()?)),
            Ok(Frame::Hello(hello)) => return Ok(Some(self.answer_hello(&hello)?)),
            Ok(Frame::Ack) => return Ok(None),
            Ok(Frame::Error { code, message }) => {
                let reason = crate::reason::Reason::from_name(&code);
                return Err(crate::protocol::ProtocolError::Peer { reason, message }.into());
            }
            _ => {}
        }
        let state = self.state.take().ok_or(WalletError::Misuse { detail: "payment already handled".into() })?;
        let incoming = state.handle_frame(frame)?;
        let wallet = self.wallet.clone();
        let mut inner = wallet.lock();
        let hash = incoming.payment_hash();
        if let Some(bytes) = inner.store.incoming_receipt(&hash)? {
            // A payment retried after a torn tap: the same receipt again, nothing credited twice.
            let receipt = AnyReceipt::from_bytes(&bytes).map_err(|e| WalletError::Storage(e.into()))?;
            self.received = Some(hash);
            let answer = incoming.answer_duplicate(&receipt, inner.signer.as_ref(), wallet.id, now)?;
            // Answered with this request's key: keep its one-time key for the payer the hello named.
            if let (Some(seed), Some(Introduced { payer: Some(payer), .. })) = (&self.request_key, self.hello) {
                keep_request_key(&mut inner.store, &payer, seed, now);
            }
            return Ok(Some(answer));
        }
        let cert = inner.certificate()?;
        let policy = inner.policy()?;
        let revocations = inner.store.revocation_list()?;
        let balance = inner.held()?;
        let accepted = {
            let inner_ref = &*inner;
            let open = |nonce: &[u8; 16]| inner_ref.open_request_amount(nonce, now);
            let spent_by = |parent: &crate::token::NoteId| inner_ref.store.held_link(parent).ok().flatten();
            let checks = PayeeChecks {
                verify: VerifyContext {
                    trust: &inner_ref.trust,
                    policy: policy.body(),
                    revocations: revocation_check(revocations.as_ref()),
                    known_certificates: &inner_ref.certs,
                    now,
                    max_clock_skew: inner_ref.config.max_clock_skew,
                },
                payee_certificate: &cert,
                open_request: &open,
                spent_by: &spent_by,
                balance,
            };
            match incoming.verify(&checks) {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(target: "offline_cash::wallet", reason = e.code(), "payment rejected: {e}");
                    return Err(e.into());
                }
            }
        };
        let receipt = accepted.receipt(inner.signer.as_ref(), wallet.id, now)?;
        let record = IncomingPayment {
            verified: accepted.proof,
            payment_hash: hash,
            payer: accepted.payer,
            amount: accepted.amount,
            chains: accepted.chains.clone(),
            receipt_bytes: receipt.to_bytes(),
            now,
        };
        // Durable before the receipt leaves: the receipt frame is built only after this commit.
        let stored = inner.store.receive(&record)?;
        let receipt = match stored {
            Received::New => {
                tracing::info!(target: "offline_cash::wallet", amount = accepted.amount, "payment received and committed");
                for peer in &accepted.certificates {
                    inner.store.remember_peer(peer, now)?;
                    let trust = inner.trust.clone();
                    let _ = inner.certs.insert(peer.clone(), &trust);
                }
                // A payer that said hello keeps the certificate of the request it paid.
                if self.hello.is_some() && !inner.store.peer_holds(&accepted.payer, cert.digest())? {
                    inner.store.record_peer_holds(&accepted.payer, cert.digest(), now)?;
                }
                inner.push_event(WalletEvent::PaymentReceived {
                    payer: accepted.payer,
                    payer_tier: accepted.payer_tier,
                    amount: accepted.amount,
                    payment_hash: hash,
                });
                receipt
            }
            Received::Duplicate { receipt_bytes } => {
                let stored = AnyReceipt::from_bytes(&receipt_bytes).map_err(|e| WalletError::Storage(e.into()))?;
                accepted.receipt_again(&stored, inner.signer.as_ref(), wallet.id, now)?
            }
        };
        // The key receipt reveals the commitment of this request's one-time key: the payer that
        // takes it may get the next warm request signed with that key.
        if let (Some(seed), AnyReceipt::Key(_)) = (&self.request_key, &receipt) {
            keep_request_key(&mut inner.store, &accepted.payer, seed, now);
        }
        inner.close_request(&accepted.nonce);
        self.received = Some(hash);
        Ok(Some(accepted.receipt_frame(&receipt)?))
    }
}

/// Keeps the one-time key `payer` is about to learn the commitment of. A failure is not worth
/// failing a committed payment over: without the key, that payer's next request is signed with
/// the wallet key.
fn keep_request_key(store: &mut crate::store::Store, payer: &crate::token::WalletId, seed: &[u8; 32], now: u64) {
    if let Err(e) = store.record_request_key(payer, seed, now) {
        tracing::warn!(target: "offline_cash::wallet", "could not keep a one-time request key: {e}");
    }
}
