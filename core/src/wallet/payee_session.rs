//! Receiving a payment: one [`PayeeSession`] per request, driven by frames from any channel.

use crate::protocol::payee::{self, ExpectPayment, PayeeChecks, RequestParams};
use crate::protocol::{Frame, Receipt};
use crate::store::{IncomingPayment, Received};
use crate::token::{NoRevocations, RevocationCheck, VerifyContext};

use super::{Wallet, WalletError, WalletEvent};

const MAX_HINTS: usize = crate::protocol::MAX_CERT_HINTS;

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
    received: Option<[u8; 32]>,
}

impl PayeeSession {
    pub(super) fn start(wallet: Wallet, amount: u64, now: u64) -> Result<Self, WalletError> {
        if amount == 0 {
            return Err(WalletError::Misuse { detail: "a payment request needs a positive amount".into() });
        }
        let (state, request_frame) = {
            let mut inner = wallet.lock();
            let cert = inner.store.certificate()?.ok_or(WalletError::NotProvisioned { missing: "certificate" })?;
            let policy = inner.store.policy()?.ok_or(WalletError::NotProvisioned { missing: "policy" })?;
            let nonce = inner.random::<16>();
            let session_seed = Some(inner.session_seed());
            let known_wallets = inner.certs.wallets().take(MAX_HINTS).copied().collect();
            let params =
                RequestParams { amount, currency: policy.body().currency, nonce, now, known_wallets, session_seed };
            let started = payee::request(cert, params)?;
            inner.open_request(nonce, amount, now);
            started
        };
        Ok(Self { wallet, state: Some(state), request_frame, amount, received: None })
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
            Ok(Frame::Poll) => return Ok(Some(self.request_frame.clone())),
            Ok(Frame::Ack) => return Ok(None),
            Ok(Frame::Error { code, message }) => {
                return Err(crate::protocol::ProtocolError::Peer { code, message }.into());
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
            let receipt = Receipt::from_bytes(&bytes).map_err(|e| WalletError::Storage(e.into()))?;
            self.received = Some(hash);
            return Ok(Some(incoming.answer_duplicate(&receipt)?));
        }
        let cert = inner.store.certificate()?.ok_or(WalletError::NotProvisioned { missing: "certificate" })?;
        let policy = inner.store.policy()?.ok_or(WalletError::NotProvisioned { missing: "policy" })?;
        let revocations = inner.store.revocation_list()?;
        let balance = inner.store.balance()?.spendable;
        let accepted = {
            let inner_ref = &*inner;
            let open = |nonce: &[u8; 16]| inner_ref.open_request_amount(nonce, now);
            let spent_by = |parent: &crate::token::NoteId| inner_ref.store.held_link(parent).ok().flatten();
            let checks = PayeeChecks {
                verify: VerifyContext {
                    trust: &inner_ref.trust,
                    policy: policy.body(),
                    revocations: revocations.as_ref().map_or(&NoRevocations as &dyn RevocationCheck, |l| l as _),
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
        let receipt = accepted.sign_receipt(inner.signer.as_ref(), wallet.id, now)?;
        let record = IncomingPayment {
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
                inner.push_event(WalletEvent::PaymentReceived {
                    payer: accepted.payer,
                    amount: accepted.amount,
                    payment_hash: hash,
                });
                receipt
            }
            Received::Duplicate { receipt_bytes } => {
                Receipt::from_bytes(&receipt_bytes).map_err(|e| WalletError::Storage(e.into()))?
            }
        };
        inner.close_request(&accepted.nonce);
        self.received = Some(hash);
        Ok(Some(accepted.receipt_frame(&receipt)?))
    }
}
