//! Settlement: verify uploaded bundles with the phones' own `verify_bundle`, record every link
//! once, detect double spends with proof, credit deposits, re-issue refreshed notes.
//!
//! ```text
//!  SyncRequest ─► same batch_id seen? ─yes─► stored answer (idempotent)
//!      │ no
//!      ▼ decode every record, look up the issuer's own genesis notes among them (no lock)
//!  Store::write (SQLite: BEGIN IMMEDIATE; PostgreSQL: SERIALIZABLE, retried on conflict),
//!      while workers verify_bundle every record on all cores (crate::settle_stream): each
//!      record below is settled once its verdict is in
//!      rollback check (counter, log head)
//!      what the batch's links need, read set-wise (crate::settle_sets): a new link spending
//!      a live note, with an unseen counter, is settled there and written with the others in
//!      multi-row statements; every other link first flushes those, then takes this path:
//!      per record, per link in order:
//!         INSERT links … ON CONFLICT DO NOTHING RETURNING (crate::store)
//!              ── new ──► parent spent, children live;
//!              │                                  same signer + counter as a recorded link?
//!              │                                  ─► evidence of a rollback (counter_reuses)
//!              └─ parent taken by another link ──► DOUBLE SPEND: store both links, revoke signer and
//!                                           its account, guarantee payee outputs ≤ per-payment
//!                                           limit once per (parent, payee account), to one
//!                                           paid by the accepted link only within the parent's
//!                                           value, debit the signer's account as far as its
//!                                           balance goes
//!      heads: deposit (credit account) | refresh (fresh genesis notes)
//!      rollback evidence for the caller not yet reported ─► rollback_detected
//!      store answer under (wallet, batch_id)
//!  COMMIT
//! ```
//!
//! Checks that differ from a phone's: revocations are not applied to chains (settlement is
//! first-seen per parent, and a payee who took a note from a wallet revoked later is honest);
//! expiry is checked at the issuer's time, but a note expired less than the settlement grace
//! ago is verified as of its expiry (its links were signed while it was valid); the uploader's
//! own revocation refuses its deposits and refreshes but its links are still recorded.

use offline_cash_core::crypto::sha256;
use offline_cash_core::reason::Reason;
use offline_cash_core::sync::{auth, wire};

use offline_cash_core::token::{SpendLink, VerifiedBundle, WalletId};
use wire::{RecordKind, RecordResult, RecordStatus};

use crate::IssuerError;
use crate::issuer::{Caller, Issuer, to_i64};
use crate::nonce_use::NonceUse;
use crate::settle_sets::{LinkBatch, Settled};
use crate::settle_verify::Checked;
use crate::store::accounts::Entry;
use crate::store::double_spends::NewDoubleSpend;
use crate::store::link_sets::PIECE;
use crate::store::notes::{NoteState, Origin};
use crate::store::{
    Accounts as _, DoubleSpends as _, LinkRow, Notes as _, Recorded, RevocationReason, Store as _, Tx, Wallets as _,
};

/// Most records in one batch.
pub const MAX_RECORDS: usize = 1024;

/// Looks up a stored answer for an idempotency key; a key reused with other content is a conflict.
pub(crate) fn stored_answer(
    tx: &mut dyn Tx,
    wallet: &WalletId,
    key: &[u8],
    hash: &[u8; 32],
) -> Result<Option<String>, IssuerError> {
    match tx.batch_answer(wallet, key)? {
        Some((h, answer)) if h == hash => Ok(Some(answer)),
        Some(_) => Err(IssuerError::Conflict { what: "idempotency key reused with different content".into() }),
        None => Ok(None),
    }
}

pub(crate) fn store_answer<T: serde::Serialize>(
    tx: &mut dyn Tx,
    wallet: &WalletId,
    key: &[u8],
    hash: &[u8; 32],
    answer: &T,
) -> Result<(), IssuerError> {
    let text = serde_json::to_string(answer).map_err(|e| IssuerError::Internal { what: e.to_string() })?;
    if tx.store_batch(wallet, key, hash, &text)? {
        Ok(())
    } else {
        // Answered meanwhile by a concurrent writer: this transaction's effects must not commit.
        Err(IssuerError::Conflict { what: "the idempotency key was answered concurrently; resend".into() })
    }
}

#[derive(Default)]
struct Outcome {
    new_links: u32,
    duplicates: u32,
    double_spend: bool,
    reason: Option<Reason>,
    credited: u64,
    fresh: Vec<String>,
    any_new_effect: bool,
    /// Double spends stored by this record (counted in the metrics after the commit).
    proofs: u32,
    /// A lost wallet's returned note was reopened for a late honest spend (crate::lost).
    reopened: bool,
}

/// Why a note in state `state` (`None`: never recorded) cannot be deposited or refreshed.
fn note_state_reason(state: Option<NoteState>) -> Reason {
    match state {
        None => Reason::UnknownNote,
        Some(NoteState::Spent) => Reason::NoteSpent,
        Some(NoteState::Deposited) => Reason::NoteDeposited,
        Some(NoteState::Refreshed) => Reason::NoteRefreshed,
        Some(NoteState::Live | NoteState::ExpiredReturned) => Reason::NoteExpiredReturned,
    }
}

impl Outcome {
    fn reject(&mut self, reason: Reason) {
        if self.reason.is_none() {
            self.reason = Some(reason);
        }
    }

    /// What a link settled on the common path (crate::settle_sets) did.
    fn settled(&mut self, settled: Settled) {
        match settled {
            Settled::New => self.new_links += 1,
            Settled::Duplicate => self.duplicates += 1,
            Settled::KnownProof => self.double_spend = true,
            Settled::Refused(reason) => self.reject(reason),
        }
    }

    fn into_result(self, index: u32) -> RecordResult {
        let status = if self.double_spend {
            RecordStatus::DoubleSpend
        } else if self.reason.is_some() {
            RecordStatus::Rejected
        } else if self.new_links == 0 && !self.any_new_effect {
            RecordStatus::Duplicate
        } else {
            RecordStatus::Accepted
        };
        RecordResult { index, status, reason: self.reason, credited: self.credited, fresh_notes: self.fresh }
    }
}

impl Issuer {
    /// A stored sync answer (the batch's outcome) with the current revocations, policy and
    /// keys. Answers stored before only the outcome was kept carry their own: they are
    /// replaced too.
    fn current_answer(
        &self,
        tx: &mut dyn Tx,
        stored: &str,
        req: &wire::SyncRequest,
    ) -> Result<wire::SyncResponse, IssuerError> {
        let outcome: wire::SyncResponse =
            serde_json::from_str(stored).map_err(|e| IssuerError::Internal { what: e.to_string() })?;
        self.with_current_state(tx, outcome, req)
    }

    /// `outcome` with what a sync answer carries besides the batch's outcome, as it is now:
    /// the revocations the wallet lacks (none when its list is current), the policy, the
    /// issuer keys and their rotations. Not stored with the outcome (decision 0026): the
    /// revocation list alone can be megabytes, and a resend gets the current one.
    fn with_current_state(
        &self,
        tx: &mut dyn Tx,
        outcome: wire::SyncResponse,
        req: &wire::SyncRequest,
    ) -> Result<wire::SyncResponse, IssuerError> {
        let current_seq = tx.revocation_sequence()?;
        let revocations = if req.revocation_sequence == Some(current_seq) {
            None
        } else {
            Some(self.revocations_from(tx.revocations()?, req.revocation_sequence)?)
        };
        Ok(wire::SyncResponse {
            revocations,
            policy: auth::b64(&self.policy.to_bytes()),
            issuer_keys: self.issuer_keys().iter().map(|k| auth::b64(&k.to_bytes())).collect(),
            key_rotations: self.key_rotations_wire(),
            ..outcome
        })
    }
}

/// What one record asks for: its kind and, for a refresh, the fresh notes' amounts.
#[derive(Clone, Copy)]
struct Asked<'a> {
    kind: RecordKind,
    amounts: &'a [u64],
}

impl Issuer {
    /// Settles one batch for an authenticated caller. Idempotent by `batch_id`.
    pub fn sync(&self, caller: Caller, req: &wire::SyncRequest) -> Result<wire::SyncResponse, IssuerError> {
        self.settle_batch(caller, None, req)
    }

    /// [`Issuer::sync`] for a caller authenticated by [`Issuer::authenticate_deferred`]: the
    /// request's nonce is stored in the batch's own transaction (with a resend's stored answer,
    /// in a transaction of its own), and a replayed nonce settles nothing.
    pub fn sync_spending(
        &self,
        caller: Caller,
        nonce: &NonceUse,
        req: &wire::SyncRequest,
    ) -> Result<wire::SyncResponse, IssuerError> {
        self.settle_batch(caller, Some(nonce), req)
    }

    fn settle_batch(
        &self,
        caller: Caller,
        nonce: Option<&NonceUse>,
        req: &wire::SyncRequest,
    ) -> Result<wire::SyncResponse, IssuerError> {
        let started = std::time::Instant::now();
        let batch_id = auth::parse_hex::<16>(&req.batch_id).ok_or_else(|| IssuerError::malformed("batch_id"))?;
        let log_head = auth::parse_hex::<32>(&req.log_head).ok_or_else(|| IssuerError::malformed("log_head"))?;
        if req.records.len() > MAX_RECORDS {
            return Err(IssuerError::Policy { what: format!("at most {MAX_RECORDS} records per batch") });
        }
        let hash = sha256(&[&serde_json::to_vec(req).map_err(|e| IssuerError::malformed(e.to_string()))?]);
        let key = [b"sync:".as_slice(), &batch_id].concat();
        // A resend answered before needs no verification. Read without waiting for a writer:
        // the transaction below looks again.
        let resent = self.store.read(|tx| {
            stored_answer(tx, &caller.wallet, &key, &hash)?.map(|a| self.current_answer(tx, &a, req)).transpose()
        })?;
        if let Some(answer) = resent {
            if let Some(nonce) = nonce {
                self.store.write(|tx| nonce.spend(tx))?;
            }
            return Ok(answer);
        }
        let hashed = started.elapsed();
        let bundles: Vec<&str> = req.records.iter().map(|r| r.bundle.as_str()).collect();
        let now = self.now();
        // (decoded and looked up, links settled, statements done, waited for verification)
        let work = std::cell::Cell::new([std::time::Duration::ZERO; 4]);
        let settled = self.while_verifying(&bundles, |verifying| {
            let looked_up = started.elapsed();
            self.store.write(|tx| {
                let begun = std::time::Instant::now();
                if let Some(nonce) = nonce {
                    nonce.spend(tx)?;
                }
                // A concurrent resend of the same batch may have committed meanwhile.
                if let Some(answer) = stored_answer(tx, &caller.wallet, &key, &hash)? {
                    return Ok(Err(self.current_answer(tx, &answer, req)?));
                }
                let rollback_detected = self.check_rollback(tx, &caller.wallet, req.counter, &log_head, req.log_len)?;
                let uploader_revoked = tx.is_revoked(&caller.wallet)?;
                // What the links of every decoded record need: a record refused by its
                // verification is settled from its verdict, whatever the picture holds for it.
                let mut sets = LinkBatch::read(tx, verifying.decoded())?;
                let mut results = Vec::with_capacity(req.records.len());
                let (mut settled, mut proofs, mut reopened) = (0u64, 0u32, false);
                let mut waited = std::time::Duration::ZERO;
                for (i, record) in req.records.iter().enumerate() {
                    let index = u32::try_from(i).unwrap_or(u32::MAX);
                    let asked = Asked { kind: record.kind, amounts: &record.amounts };
                    let waiting = std::time::Instant::now();
                    let checked = verifying.checked(tx, i)?.ok_or_else(|| IssuerError::malformed("records"))?;
                    waited += waiting.elapsed();
                    let outcome = self.settle_record(tx, &mut sets, caller, asked, &checked, uploader_revoked, now)?;
                    settled += u64::from(outcome.new_links);
                    proofs += outcome.proofs;
                    reopened |= outcome.reopened;
                    results.push(outcome.into_result(index));
                    // Written while later records are still being verified.
                    if sets.pending() >= PIECE {
                        sets.flush(tx)?;
                    }
                }
                sets.flush(tx)?;
                let links_done = begun.elapsed();
                // A late spend of a lost wallet's returned note left change in its name: it
                // returns now, in this transaction, so the account is debited only what the
                // payee was paid (not the whole note until the next sweep).
                if reopened {
                    crate::lost::return_due(tx, now)?;
                }
                // Evidence found in this batch (or uploaded earlier by the wallet's payees).
                let rollback_detected = tx.take_counter_reuses(&caller.wallet.0)? || rollback_detected;
                let balance = tx.balance(caller.account)?;
                // Stored: the batch's outcome only. The revocations, policy and keys are added
                // as they are when it is answered, now or at a resend.
                let outcome = wire::SyncResponse {
                    batch_id: req.batch_id.clone(),
                    results,
                    rollback_detected,
                    balance,
                    revocations: None,
                    policy: String::new(),
                    issuer_keys: Vec::new(),
                    key_rotations: Vec::new(),
                };
                store_answer(tx, &caller.wallet, &key, &hash, &outcome)?;
                let answer = self.with_current_state(tx, outcome, req)?;
                work.set([looked_up, links_done, begun.elapsed(), waited]);
                Ok(Ok((answer, settled, proofs)))
            })
        })?;
        if let Some(nonce) = nonce.filter(|n| n.sweeps()) {
            // After the commit: the batch is settled whatever happens here.
            if let Err(e) = self.store.write(|tx| nonce.sweep(tx)) {
                tracing::warn!(error = %e, "expired nonces not swept");
            }
        }
        // Err: the answer a concurrent resend committed (nothing settled here).
        let (answer, settled, proofs) = match settled {
            Ok(done) => done,
            Err(answer) => return Ok(answer),
        };
        let rollback_detected = answer.rollback_detected;
        let [looked_up, links_us, statements_us, waited_us] = work.get();
        tracing::debug!(
            records = req.records.len(),
            hash_us = hashed.as_micros(),
            decode_lookup_us = (looked_up - hashed).as_micros(),
            transaction_us = (started.elapsed() - looked_up).as_micros(),
            links_us = links_us.as_micros(),
            statements_us = statements_us.as_micros(),
            waited_for_verification_us = waited_us.as_micros(),
            "sync phases"
        );
        (0..proofs).for_each(|_| self.metrics.double_spend());
        self.metrics.batch_done(settled, started.elapsed());
        if rollback_detected {
            self.metrics.rollback();
        }
        Ok(answer)
    }

    /// Deposits the notes of one bundle owned by the caller (defund).
    pub fn defund(&self, caller: Caller, req: &wire::DefundRequest) -> Result<wire::DefundResponse, IssuerError> {
        let checked = self.check_bundle(&req.bundle);
        let now = self.now();
        let (outcome, balance) = self.store.write(|tx| {
            let revoked = tx.is_revoked(&caller.wallet)?;
            let asked = Asked { kind: RecordKind::Deposit, amounts: &[] };
            let outcome = self.settle_record(tx, &mut LinkBatch::default(), caller, asked, &checked, revoked, now)?;
            Ok((outcome, tx.balance(caller.account)?))
        })?;
        let links = outcome.new_links;
        (0..outcome.proofs).for_each(|_| self.metrics.double_spend());
        self.metrics.links_settled(u64::from(links));
        Ok(wire::DefundResponse { result: outcome.into_result(0), balance })
    }

    /// A counter or log head going backwards marks the wallet as rolled back.
    fn check_rollback(
        &self,
        tx: &mut dyn Tx,
        wallet: &WalletId,
        counter: u64,
        head: &[u8; 32],
        log_len: Option<u64>,
    ) -> Result<bool, IssuerError> {
        let counter_i = to_i64(counter)?;
        let len_i = log_len.map(to_i64).transpose()?;
        let (last_counter, last_head, last_len) = tx.sync_state(&wallet.0)?;
        let seen_at = tx.head_counter(&wallet.0, head)?;
        let head_differs = last_head.as_deref().is_some_and(|h| h != head);
        let (backwards, forked) = match (len_i, last_len) {
            // Both lengths known: a shorter log went back; the same length with another head
            // is a fork. A longer log with the same counter is a wallet that received money
            // (or recorded a settlement) since: not a rollback.
            (Some(len), Some(last)) => {
                (last_counter.is_some_and(|lc| counter_i < lc) || len < last, len == last && head_differs)
            }
            // An older client (no length): the counter alone. A changed head at the same
            // counter is only flagged when the length cannot tell (kept as before).
            _ => (last_counter.is_some_and(|lc| counter_i < lc), last_counter == Some(counter_i) && head_differs),
        };
        let old_head = seen_at.is_some_and(|c| c != counter_i);
        if backwards || forked || old_head {
            tx.mark_rolled_back(&wallet.0)?;
            return Ok(true);
        }
        tx.advance(&wallet.0, counter_i, head, len_i)?;
        Ok(false)
    }

    #[allow(clippy::too_many_arguments)]
    fn settle_record(
        &self,
        tx: &mut dyn Tx,
        sets: &mut LinkBatch,
        caller: Caller,
        asked: Asked<'_>,
        checked: &Checked,
        uploader_revoked: bool,
        now: u64,
    ) -> Result<Outcome, IssuerError> {
        let Asked { kind, amounts } = asked;
        let mut out = Outcome::default();
        let (bundle, verified) = match checked {
            Ok((bundle, verified)) => (bundle, verified),
            Err(rejection) => {
                out.reject(rejection.reason());
                return Ok(out);
            }
        };
        for link in &bundle.links {
            match sets.settle(link, now) {
                Some(settled) => out.settled(settled),
                None => {
                    sets.flush(tx)?;
                    self.settle_link(tx, link, now, &mut out)?;
                    sets.settled_per_link(link);
                }
            }
        }
        if kind == RecordKind::Spent {
            return Ok(out);
        }
        // Deposits and refreshes read and change notes: the batch's picture of them follows.
        sets.flush(tx)?;
        sets.heads_changed(verified.coins.iter().map(|c| &c.id.0));
        if uploader_revoked {
            out.reject(Reason::Revoked);
            return Ok(out);
        }
        if kind == RecordKind::Refresh && !amounts.is_empty() {
            self.refresh_into(tx, caller, amounts, verified, now, &mut out)?;
            return Ok(out);
        }
        for coin in &verified.coins {
            if coin.owner != caller.wallet {
                out.reject(Reason::NotOwner);
                continue;
            }
            match tx.note_state(&coin.id.0)? {
                Some(NoteState::Live) => {}
                Some(NoteState::Deposited) if kind == RecordKind::Deposit => {
                    out.duplicates += 1;
                    continue;
                }
                Some(NoteState::Refreshed) if kind == RecordKind::Refresh => {
                    out.duplicates += 1;
                    continue;
                }
                Some(other) => {
                    out.reject(note_state_reason(Some(other)));
                    continue;
                }
                None => {
                    out.reject(Reason::UnknownNote);
                    continue;
                }
            }
            let amount = to_i64(coin.amount)?;
            if kind == RecordKind::Deposit {
                tx.set_note_state(&coin.id.0, NoteState::Deposited)?;
                tx.book(caller.account, amount, Entry::Deposit, &coin.id.0, to_i64(now)?)?;
                out.credited = out.credited.saturating_add(coin.amount);
            } else {
                tx.set_note_state(&coin.id.0, NoteState::Refreshed)?;
                let fresh = self.issue_note(tx, caller.wallet, coin.amount, now)?;
                out.fresh.push(auth::b64(&fresh.to_bytes()));
            }
            out.any_new_effect = true;
        }
        Ok(out)
    }

    /// A refresh into chosen amounts: every head must be the caller's and live, and `amounts`
    /// must add up to their total; then all of them are retired and one fresh note issued per
    /// amount. Anything else rejects the whole record with no effect (a record whose heads are
    /// all refreshed already is a duplicate).
    fn refresh_into(
        &self,
        tx: &mut dyn Tx,
        caller: Caller,
        amounts: &[u64],
        verified: &VerifiedBundle,
        now: u64,
        out: &mut Outcome,
    ) -> Result<(), IssuerError> {
        if amounts.len() > MAX_RECORDS || amounts.contains(&0) {
            out.reject(Reason::BadAmounts);
            return Ok(());
        }
        let asked = amounts.iter().try_fold(0u64, |s, a| s.checked_add(*a));
        let held = verified.coins.iter().try_fold(0u64, |s, c| s.checked_add(c.amount));
        if asked.is_none() || asked != held {
            out.reject(Reason::BadAmounts);
            return Ok(());
        }
        let mut states = Vec::with_capacity(verified.coins.len());
        for coin in &verified.coins {
            if coin.owner != caller.wallet {
                out.reject(Reason::NotOwner);
                return Ok(());
            }
            states.push(tx.note_state(&coin.id.0)?);
        }
        if states.iter().all(|s| *s == Some(NoteState::Refreshed)) {
            out.duplicates += 1;
            return Ok(());
        }
        if let Some(bad) = states.iter().find(|s| **s != Some(NoteState::Live)) {
            out.reject(note_state_reason(*bad));
            return Ok(());
        }
        for coin in &verified.coins {
            tx.set_note_state(&coin.id.0, NoteState::Refreshed)?;
        }
        for amount in amounts {
            let fresh = self.issue_note(tx, caller.wallet, *amount, now)?;
            out.fresh.push(auth::b64(&fresh.to_bytes()));
        }
        out.any_new_effect = true;
        Ok(())
    }

    fn settle_link(&self, tx: &mut dyn Tx, link: &SpendLink, now: u64, out: &mut Outcome) -> Result<(), IssuerError> {
        let id = link.id();
        let parent = link.body().parent;
        if tx.link_exists(&id.0)? {
            out.duplicates += 1;
            return Ok(());
        }
        if tx.proof_known(&id.0)? {
            out.double_spend = true;
            return Ok(());
        }
        let Some((owner, state)) = tx.note_owner_state(&parent.0)? else {
            // Its parent was created by a link the issuer refused (a cheater's change output).
            out.reject(Reason::UnknownNote);
            return Ok(());
        };
        let signer = WalletId(
            <[u8; 32]>::try_from(owner.as_slice())
                .map_err(|_| IssuerError::Internal { what: "bad owner in notes".into() })?,
        );
        match state {
            NoteState::Live | NoteState::Spent => {}
            // A lost wallet's note returned to its account, spent before the loss by a payee
            // who settles only now: honoured, and booked to the account (crate::lost).
            NoteState::Deposited if crate::lost::reopen_returned(tx, &parent, now)? => out.reopened = true,
            NoteState::Deposited | NoteState::Refreshed => {
                // The owner deposited (or refreshed) the note and also spent it offline.
                return self.double_spend(tx, link, signer, None, now, out);
            }
            NoteState::ExpiredReturned => {
                out.reject(Reason::NoteExpiredReturned);
                return Ok(());
            }
        }
        let bytes = link.to_bytes();
        let row = LinkRow {
            id: &id.0,
            parent: &parent.0,
            signer: &signer.0,
            bytes: &bytes,
            counter: to_i64(link.body().counter)?,
            settled_at: to_i64(now)?,
        };
        match tx.record_link(&row)? {
            Recorded::New => {}
            // Recorded meanwhile by a concurrent writer (another node): a resend.
            Recorded::Duplicate => {
                out.duplicates += 1;
                return Ok(());
            }
            // Another link already spent this note.
            Recorded::ParentTaken { id, bytes } => {
                return self.double_spend(tx, link, signer, Some((id, bytes)), now, out);
            }
        }
        self.check_counter_reuse(tx, link, signer, now)?;
        tx.set_note_state(&parent.0, NoteState::Spent)?;
        for (child, output) in link.children() {
            tx.insert_child(&child.0, &output.owner.0, to_i64(output.amount)?, &parent.0, Origin::Link)?;
        }
        out.new_links += 1;
        Ok(())
    }

    /// Two recorded links of one wallet with the same spend counter: the wallet signed again
    /// from an earlier state (a restored backup that went on past its last sync). Stored as
    /// evidence with both links, the wallet is flagged as rolled back, and its next sync answer
    /// says so (`rollback_detected`), whoever uploaded the links.
    fn check_counter_reuse(
        &self,
        tx: &mut dyn Tx,
        link: &SpendLink,
        signer: WalletId,
        now: u64,
    ) -> Result<(), IssuerError> {
        let id = link.id();
        let counter = to_i64(link.body().counter)?;
        let Some(first) = tx.link_with_counter(&signer.0, counter, &id.0)? else { return Ok(()) };
        let bytes = link.to_bytes();
        if tx.record_counter_reuse(&signer.0, counter, &first, (&id.0, &bytes), to_i64(now)?)? {
            tracing::warn!(wallet = %signer, counter, "spend counter used twice: the wallet was rolled back");
            tx.mark_rolled_back(&signer.0)?;
        }
        Ok(())
    }

    /// Loss policy. The payees of the conflicting link are guaranteed up to the per-payment
    /// limit per output, but only for a real loss, once:
    /// - never the signer, nor any wallet of the signer's account;
    /// - to an account that also received from the accepted link of the same parent, only
    ///   when both together fit within the parent's value (decision 0023): a payer and payee
    ///   who collude get the note once, not twice, while an honest payee paid twice from one
    ///   note (say the first tap tore and was never retapped) is made whole;
    /// - at most once per (parent, payee account), however many conflicting links arrive
    ///   (the `guarantees` primary key);
    /// - only to registered wallets (a payee always has a certificate).
    ///
    /// The signer (the parent's owner, who signed both) is revoked, its account too (no new
    /// wallet, no funding until an administrator reinstates it), and the account is debited
    /// by what was guaranteed, as far as its balance goes: that part is `recovered`, the rest
    /// is the issuer's loss. Change back to the signer is never created.
    fn double_spend(
        &self,
        tx: &mut dyn Tx,
        link: &SpendLink,
        signer: WalletId,
        accepted: Option<(Vec<u8>, Vec<u8>)>,
        now: u64,
        out: &mut Outcome,
    ) -> Result<(), IssuerError> {
        out.double_spend = true;
        let id = link.id();
        let parent = link.body().parent;
        let accepted_link = accepted
            .as_ref()
            .map(|(_, bytes)| {
                SpendLink::from_bytes(bytes)
                    .map_err(|e| IssuerError::Internal { what: format!("stored link does not decode: {e}") })
            })
            .transpose()?;
        let conflicting_bytes = link.to_bytes();
        let stored = tx.record_double_spend(&NewDoubleSpend {
            parent: &parent.0,
            signer: &signer.0,
            accepted: accepted.as_ref().map(|(i, b)| (i.as_slice(), b.as_slice())),
            conflicting: &id.0,
            conflicting_bytes: &conflicting_bytes,
            at: to_i64(now)?,
        })?;
        if !stored {
            return Ok(());
        }
        out.proofs += 1;
        tracing::warn!(signer = %signer, parent = %parent, "double spend detected; revoking the signer");
        tx.revoke(&signer, RevocationReason::DoubleSpend, to_i64(now)?)?;
        let signer_account = tx.wallet_account(&signer.0)?;
        if let Some(account) = signer_account {
            tx.revoke_account(account, to_i64(now)?)?;
        }
        // What each account already holds from this parent through the accepted link
        // (decision 0023: a payee account gets no more than the parent's value from it).
        let mut received: Vec<(i64, u64)> = Vec::new();
        for output in accepted_link.iter().flat_map(|l| l.body().outputs.iter()) {
            if let Some(account) = tx.wallet_account(&output.owner.0)? {
                match received.iter_mut().find(|(a, _)| *a == account) {
                    Some((_, sum)) => *sum = sum.saturating_add(output.amount),
                    None => received.push((account, output.amount)),
                }
            }
        }
        // Verification checked that a link's outputs add up to its parent.
        let parent_value = link.body().outputs.iter().fold(0u64, |s, o| s.saturating_add(o.amount));
        let mut guaranteed = 0u64;
        // A payee could accept up to the cheater's own per-payment limit (its tier's).
        let per_payment_limit = self.per_payment_limit_of(tx, &signer, link.body().time)?;
        for (child, output) in link.children() {
            if output.owner == signer || output.amount > per_payment_limit {
                continue;
            }
            let Some(payee_account) = tx.wallet_account(&output.owner.0)? else { continue };
            if Some(payee_account) == signer_account {
                continue;
            }
            let already = received.iter().find(|(a, _)| *a == payee_account).map_or(0, |(_, sum)| *sum);
            if already.saturating_add(output.amount) > parent_value {
                // Both links pay this account the same value twice over.
                continue;
            }
            let amount = to_i64(output.amount)?;
            if !tx.guarantee_once(&parent.0, payee_account, &id.0, amount, to_i64(now)?)? {
                continue;
            }
            let created = tx.insert_child(&child.0, &output.owner.0, amount, &parent.0, Origin::Guarantee)?;
            if created {
                guaranteed = guaranteed.saturating_add(output.amount);
            }
        }
        if guaranteed > 0 {
            let g = to_i64(guaranteed)?;
            let mut recovered = 0i64;
            if let Some(account) = signer_account {
                recovered = g.min(tx.balance(account)?.max(0));
                if recovered > 0 {
                    tx.book(account, -recovered, Entry::DoubleSpendRecovery, &id.0, to_i64(now)?)?;
                }
            }
            if recovered < g {
                tracing::warn!(signer = %signer, loss = g - recovered, "double spend guarantee not covered by the cheater's account");
            }
            tx.settle_double_spend(&id.0, g, recovered)?;
        }
        Ok(())
    }
}
