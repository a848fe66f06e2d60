//! Value in and out: funding, the payer's pending → complete spends, the payee's receipts.
//!
//! ```text
//!  payer: select_coins ─► sign links (counter) ─► begin_spend ══commit══► SpendDurable ─► send payment bytes
//!         receipt bytes ─► complete_spend (idempotent)      retry: pending_spends() → same bytes
//!  payee: verify (ChainVerified) ─► receive ══commit══► emit receipt bytes   repeat: Received::Duplicate{same receipt}
//! ```
//!
//! Every method here is one write transaction that updates the rows, the counters in `state`
//! and appends one log entry; nothing is visible until it commits, and a crash before the
//! commit leaves no trace.

use rusqlite::{OptionalExtension, Transaction, params};

use super::coins::{encode_chain, head_amount};
use super::crash::crash_point;
use super::log::{self, LogKind};
use super::outbox::{self, OutboxKind};
use super::{PaymentHash, Store, StoreError, blob32};
use crate::crypto::sha256;
use crate::policy::Limits;
use crate::token::{Chain, ChainVerified, LinkId, NoteId, SpendLink, WalletId};

/// An outgoing payment to commit before its bytes leave the device.
#[derive(Debug, Clone)]
pub struct PendingSpend {
    /// The payment's hash (its id everywhere: store, receipt, settlement).
    pub payment_hash: PaymentHash,
    /// The payee.
    pub payee: WalletId,
    /// The nonce of the payee's request this payment answers (a request is paid once).
    pub request_nonce: [u8; 16],
    /// The value paid to the payee.
    pub amount: u64,
    /// The notes the payment spends (all become `pending`).
    pub spent_notes: Vec<NoteId>,
    /// The links signed for them, one per spent note.
    pub links: Vec<SpendLink>,
    /// Change back to this wallet, spendable at once.
    pub change: Vec<Chain>,
    /// The signed payment exactly as it will be sent (and resent).
    pub payment_bytes: Vec<u8>,
    /// The spend counter the links carry: greater than every earlier one.
    pub counter: u64,
    /// Now (Unix seconds).
    pub now: u64,
}

/// Proof that an outgoing payment's pending spend is durable: only the store creates one
/// ([`Store::begin_spend`] after its commit, [`Store::resend_proof`] for a spend it holds as
/// pending), and the protocol releases a payment frame only against the proof for that very
/// payment (`protocol::payer::PaymentPrepared::committed`). Not `Clone`: one proof, one send.
///
/// Nothing outside the store can make one, so a payment frame cannot be released without a
/// durable pending spend:
///
/// ```compile_fail
/// let forged = offline_cash_core::store::SpendDurable { payment_hash: [0; 32] };
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct SpendDurable {
    payment_hash: PaymentHash,
}

impl SpendDurable {
    /// The payment whose pending spend is durable.
    pub fn payment_hash(&self) -> &PaymentHash {
        &self.payment_hash
    }
}

/// Whether an outgoing payment is awaiting its receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpendState {
    /// Committed, sent or not, no receipt yet.
    Pending,
    /// The receipt was stored.
    Complete,
}

/// An outgoing payment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSpend {
    /// The payment's hash.
    pub payment_hash: PaymentHash,
    /// The payee.
    pub payee: WalletId,
    /// The nonce of the request it answers (`None` for a payment made before schema 4).
    pub request_nonce: Option<[u8; 16]>,
    /// Value to the payee.
    pub amount: u64,
    /// Value back as change.
    pub change: u64,
    /// The spend counter.
    pub counter: u64,
    /// The payment bytes to (re)send.
    pub payment_bytes: Vec<u8>,
    /// The payee's receipt, once received.
    pub receipt_bytes: Option<Vec<u8>>,
    /// Pending or complete.
    pub state: SpendState,
    /// When it was committed.
    pub created_at: u64,
}

/// What [`Store::complete_spend`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Completed {
    /// The spend was pending and is now complete.
    Now,
    /// It was already complete (a repeated receipt); nothing changed.
    Already,
}

/// An incoming payment that verified, to commit before the receipt is emitted.
///
/// Its `verified` proof comes only from `token::verify_bundle`, so notes that were not
/// verified cannot reach [`Store::receive`]:
///
/// ```compile_fail
/// let forged = offline_cash_core::token::ChainVerified { _private: () };
/// ```
#[derive(Debug, Clone)]
pub struct IncomingPayment {
    /// The proof that `token::verify_bundle` accepted the payment's bundle: an incoming
    /// payment cannot be built, so not stored, without it.
    pub verified: ChainVerified,
    /// The payment's hash.
    pub payment_hash: PaymentHash,
    /// The payer.
    pub payer: WalletId,
    /// The value received (the sum of the chains' heads).
    pub amount: u64,
    /// The received notes, spendable at once.
    pub chains: Vec<Chain>,
    /// The receipt to emit (and to emit again for a repeated payment).
    pub receipt_bytes: Vec<u8>,
    /// Now (Unix seconds).
    pub now: u64,
}

/// What [`Store::receive`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Received {
    /// The payment was new and is credited.
    New,
    /// The same payment was received before: nothing credited; answer with this receipt.
    Duplicate {
        /// The receipt stored the first time.
        receipt_bytes: Vec<u8>,
    },
}

pub(super) fn insert_note(
    tx: &Transaction<'_>,
    chain: &Chain,
    origin: &str,
    incoming_id: Option<i64>,
    now: u64,
) -> Result<u64, StoreError> {
    let amount = head_amount(chain)?;
    let exists: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM notes WHERE note_id = ?1")?
        .query_row([&chain.head.0], |r| r.get(0))
        .optional()?;
    if exists.is_some() {
        return Err(StoreError::NoteExists { note: chain.head });
    }
    tx.prepare_cached(
        "INSERT INTO notes (note_id, amount, depth, expires_at, state, chain, origin, incoming_id, added_at)
         VALUES (?1, ?2, ?3, ?4, 'unspent', ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        chain.head.0.as_slice(),
        amount,
        chain.depth() as u64,
        chain.genesis.body().expires_at,
        encode_chain(chain),
        origin,
        incoming_id,
        now
    ])?;
    crash_point("note.inserted");
    let mut held = tx.prepare_cached("INSERT OR IGNORE INTO held_links (parent, link_id) VALUES (?1, ?2)")?;
    for link in &chain.links {
        held.execute(params![link.body().parent.0.as_slice(), link.id().0.as_slice()])?;
    }
    Ok(amount)
}

pub(super) fn sum_chains(chains: &[Chain]) -> Result<u64, StoreError> {
    chains.iter().try_fold(0u64, |acc, c| {
        acc.checked_add(head_amount(c)?).ok_or(StoreError::OutOfRange { field: "total amount" })
    })
}

pub(crate) fn limits(tx: &Transaction<'_>) -> Result<Limits, StoreError> {
    // Decoded from the installed objects, not from cached columns: the policy's limits depend
    // on the certificate's tier (`Limits::new` is the one rule).
    type Blobs = (Option<Vec<u8>>, Option<Vec<u8>>);
    let row: Option<Blobs> = tx
        .prepare_cached("SELECT certificate, policy FROM wallet WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((cert, policy)) = row else {
        return Err(StoreError::NotProvisioned { missing: "identity" });
    };
    let cert = cert.ok_or(StoreError::NotProvisioned { missing: "certificate" })?;
    let policy = policy.ok_or(StoreError::NotProvisioned { missing: "policy" })?;
    let cert = crate::token::WalletCertificate::from_bytes(&cert)?;
    let policy = crate::token::Policy::from_bytes(&policy)?;
    Ok(Limits::new(policy.body(), cert.body()))
}

impl Store {
    /// Adds notes issued to this wallet by the issuer (online funding, or fresh notes from a
    /// refresh at settlement); they are spendable at once. One log entry for the whole batch;
    /// an empty batch writes nothing. Returns the value added.
    pub fn fund(&mut self, chains: &[Chain], now: u64) -> Result<u64, StoreError> {
        if chains.is_empty() {
            return Ok(0);
        }
        let total = sum_chains(chains)?;
        self.write(|tx| {
            for chain in chains {
                insert_note(tx, chain, "funded", None, now)?;
            }
            tx.execute(
                "UPDATE state SET spendable = spendable + ?1, funded = funded + ?1 WHERE id = 1",
                params![total],
            )?;
            crash_point("fund.counters");
            let ids: Vec<&[u8]> = chains.iter().map(|c| c.head.0.as_slice()).collect();
            log::append(tx, now, LogKind::Fund, None, total, &sha256(&ids))?;
            Ok(total)
        })
    }

    /// The next spend counter to sign links with (one more than the last committed).
    pub fn next_counter(&self) -> Result<u64, StoreError> {
        let last: u64 = self.conn.query_row("SELECT spend_counter FROM state WHERE id = 1", [], |r| r.get(0))?;
        Ok(last.saturating_add(1))
    }

    /// Commits an outgoing payment as pending. Only after this returns `Ok` may the payment
    /// bytes leave the device. Checks the offline limits, that the notes are held and unspent,
    /// that there is one link per note and each hands on exactly that note's value, that every
    /// change note is an output of one of the links, that value is conserved
    /// (`notes == amount + change`), that the counter increases and that no payment to this
    /// payee answered the same request nonce before ([`StoreError::RequestAlreadyPaid`]).
    /// Signatures are not checked (the caller signed the links). Returns the proof, required
    /// to release the payment frame, that the pending spend is durable.
    pub fn begin_spend(&mut self, spend: &PendingSpend) -> Result<SpendDurable, StoreError> {
        let change_total = sum_chains(&spend.change)?;
        self.write(|tx| {
            let exists: Option<i64> = tx
                .prepare_cached("SELECT 1 FROM spends WHERE payment_hash = ?1")?
                .query_row([&spend.payment_hash], |r| r.get(0))
                .optional()?;
            if exists.is_some() {
                return Err(StoreError::DuplicateSpend { payment_hash: spend.payment_hash });
            }
            let paid: Option<Vec<u8>> = tx
                .prepare_cached("SELECT payment_hash FROM spends WHERE payee = ?1 AND request_nonce = ?2")?
                .query_row(params![spend.payee.0.as_slice(), spend.request_nonce.as_slice()], |r| r.get(0))
                .optional()?;
            if let Some(hash) = paid {
                return Err(StoreError::RequestAlreadyPaid { payment_hash: blob32(hash, "payment hash")? });
            }
            let (last, payments): (u64, u32) =
                tx.query_row("SELECT spend_counter, offline_payments FROM state WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            if spend.counter <= last {
                return Err(StoreError::CounterNotIncreasing { counter: spend.counter, last });
            }
            limits(tx)?.check_spend(spend.amount, payments, spend.now)?;
            if spend.links.len() != spend.spent_notes.len() {
                return Err(StoreError::ValueMismatch {
                    inputs: spend.spent_notes.len() as u64,
                    outputs: spend.links.len() as u64,
                });
            }
            for link in &spend.links {
                let parent = link.body().parent;
                if !spend.spent_notes.contains(&parent) {
                    return Err(StoreError::LinkMismatch { parent });
                }
            }
            // Change must be an output of one of the links.
            for chain in &spend.change {
                if !spend.links.iter().any(|l| l.children().any(|(id, _)| id == chain.head)) {
                    return Err(StoreError::BadChain { note: chain.head });
                }
            }
            tx.execute(
                "INSERT INTO spends (payment_hash, payee, amount, change, counter, payment, state, created_at,
                                     request_nonce)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8)",
                params![
                    spend.payment_hash.as_slice(),
                    spend.payee.0.as_slice(),
                    spend.amount,
                    change_total,
                    spend.counter,
                    spend.payment_bytes,
                    spend.now,
                    spend.request_nonce.as_slice()
                ],
            )?;
            let spend_id = tx.last_insert_rowid();
            crash_point("spend.inserted");
            let mut inputs: u64 = 0;
            for note in &spend.spent_notes {
                let amount: Option<u64> = tx
                    .prepare_cached(
                        "UPDATE notes SET state = 'pending', spend_id = ?2
                         WHERE note_id = ?1 AND state = 'unspent' RETURNING amount",
                    )?
                    .query_row(params![note.0.as_slice(), spend_id], |r| r.get(0))
                    .optional()?;
                let amount = amount.ok_or(StoreError::NoteNotSpendable { note: *note })?;
                // The link spending this note must hand on exactly its value.
                let link_total = spend
                    .links
                    .iter()
                    .filter(|l| l.body().parent == *note)
                    .flat_map(|l| l.body().outputs.iter())
                    .try_fold(0u64, |acc, o| acc.checked_add(o.amount))
                    .ok_or(StoreError::OutOfRange { field: "link outputs" })?;
                if link_total != amount {
                    return Err(StoreError::ValueMismatch { inputs: amount, outputs: link_total });
                }
                inputs = inputs.checked_add(amount).ok_or(StoreError::OutOfRange { field: "inputs" })?;
                crash_point("spend.note_marked");
            }
            let outputs =
                spend.amount.checked_add(change_total).ok_or(StoreError::OutOfRange { field: "amount + change" })?;
            if inputs != outputs {
                return Err(StoreError::ValueMismatch { inputs, outputs });
            }
            for chain in &spend.change {
                insert_note(tx, chain, "change", None, spend.now)?;
            }
            for link in &spend.links {
                outbox::push(tx, OutboxKind::Link, &link.id().0, &link.to_bytes(), spend.now)?;
            }
            tx.execute(
                "UPDATE state SET spendable = spendable - ?1 + ?2, pending = pending + ?3,
                        spend_counter = ?4, offline_payments = offline_payments + 1 WHERE id = 1",
                params![inputs, change_total, spend.amount, spend.counter],
            )?;
            crash_point("spend.counters");
            log::append(tx, spend.now, LogKind::Spend, Some(&spend.payee), spend.amount, &spend.payment_hash)?;
            Ok(())
        })?;
        Ok(SpendDurable { payment_hash: spend.payment_hash })
    }

    /// The proof that the outgoing payment `payment_hash` is durable, to resend it: it must be
    /// held as pending ([`StoreError::UnknownPayment`] otherwise; a complete one needs no resend).
    pub fn resend_proof(&self, payment_hash: &PaymentHash) -> Result<SpendDurable, StoreError> {
        match self.spend(payment_hash)? {
            Some(s) if s.state == SpendState::Pending => Ok(SpendDurable { payment_hash: *payment_hash }),
            _ => Err(StoreError::UnknownPayment { payment_hash: *payment_hash }),
        }
    }

    /// The outgoing payment (pending or complete) that answered `payee`'s request `nonce`.
    pub fn spend_for_request(&self, payee: &WalletId, nonce: &[u8; 16]) -> Result<Option<StoredSpend>, StoreError> {
        let (payee, nonce) = (payee.0.as_slice(), nonce.as_slice());
        self.read(|tx| {
            Ok(query_spends(tx, "WHERE payee = ?1 AND request_nonce = ?2", &[&payee, &nonce])?.into_iter().next())
        })
    }

    /// Marks a pending spend complete with the payee's receipt. Idempotent: a second call
    /// changes nothing and returns [`Completed::Already`].
    pub fn complete_spend(
        &mut self,
        payment_hash: &PaymentHash,
        receipt_bytes: &[u8],
        now: u64,
    ) -> Result<Completed, StoreError> {
        self.write(|tx| {
            let row: Option<(i64, String, u64, Vec<u8>)> = tx
                .query_row(
                    "SELECT id, state, amount, payee FROM spends WHERE payment_hash = ?1",
                    [payment_hash.as_slice()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((id, state, amount, payee)) = row else {
                return Err(StoreError::UnknownPayment { payment_hash: *payment_hash });
            };
            if state == "complete" {
                return Ok(Completed::Already);
            }
            tx.execute(
                "UPDATE spends SET state = 'complete', receipt = ?2, completed_at = ?3 WHERE id = ?1",
                params![id, receipt_bytes, now],
            )?;
            crash_point("complete.spend_updated");
            tx.execute("UPDATE notes SET state = 'spent' WHERE spend_id = ?1", [id])?;
            crash_point("complete.notes_spent");
            tx.execute("UPDATE state SET pending = pending - ?1, sent = sent + ?1 WHERE id = 1", [amount])?;
            let payee = WalletId(blob32(payee, "payee")?);
            log::append(tx, now, LogKind::SpendComplete, Some(&payee), amount, payment_hash)?;
            Ok(Completed::Now)
        })
    }

    /// The receipt given for the incoming payment with this hash, if it was received.
    pub fn incoming_receipt(&self, payment_hash: &PaymentHash) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT receipt FROM incoming WHERE payment_hash = ?1")?
            .query_row([payment_hash.as_slice()], |r| r.get(0))
            .optional()?)
    }

    /// The link, among every chain this wallet has held, that spends `parent` (if any).
    pub fn held_link(&self, parent: &NoteId) -> Result<Option<LinkId>, StoreError> {
        let found: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT link_id FROM held_links WHERE parent = ?1")?
            .query_row([parent.0.as_slice()], |r| r.get(0))
            .optional()?;
        found.map(|v| blob32(v, "link id").map(LinkId)).transpose()
    }

    /// Every outgoing payment still awaiting its receipt, oldest first, with the exact bytes
    /// to resend.
    pub fn pending_spends(&self) -> Result<Vec<StoredSpend>, StoreError> {
        self.read(|tx| query_spends(tx, "WHERE state = 'pending' ORDER BY id", &[]))
    }

    /// The outgoing payment with this hash, if any.
    pub fn spend(&self, payment_hash: &PaymentHash) -> Result<Option<StoredSpend>, StoreError> {
        let hash = payment_hash.as_slice();
        self.read(|tx| Ok(query_spends(tx, "WHERE payment_hash = ?1", &[&hash])?.into_iter().next()))
    }

    /// Commits an incoming payment (its notes spendable at once) before its receipt may be
    /// emitted. It carries the [`ChainVerified`] proof of its verification, so value that
    /// did not verify cannot be credited. A payment with a hash already received is [`Received::Duplicate`] with the
    /// stored receipt, and credits nothing. Checks the holding limit.
    pub fn receive(&mut self, payment: &IncomingPayment) -> Result<Received, StoreError> {
        let total = sum_chains(&payment.chains)?;
        if total != payment.amount {
            return Err(StoreError::ValueMismatch { inputs: total, outputs: payment.amount });
        }
        self.write(|tx| {
            let existing: Option<Vec<u8>> = tx
                .prepare_cached("SELECT receipt FROM incoming WHERE payment_hash = ?1")?
                .query_row([payment.payment_hash.as_slice()], |r| r.get(0))
                .optional()?;
            if let Some(receipt_bytes) = existing {
                return Ok(Received::Duplicate { receipt_bytes });
            }
            // Notes in a refresh or deposit are still held until the issuer answers.
            let held: u64 = tx.query_row("SELECT spendable + in_flows FROM state WHERE id = 1", [], |r| r.get(0))?;
            limits(tx)?.check_holding(held, payment.amount)?;
            tx.execute(
                "INSERT INTO incoming (payment_hash, payer, amount, receipt, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    payment.payment_hash.as_slice(),
                    payment.payer.0.as_slice(),
                    payment.amount,
                    payment.receipt_bytes,
                    payment.now
                ],
            )?;
            let incoming_id = tx.last_insert_rowid();
            crash_point("receive.incoming_inserted");
            for chain in &payment.chains {
                insert_note(tx, chain, "received", Some(incoming_id), payment.now)?;
                outbox::push(tx, OutboxKind::ReceivedNote, &chain.head.0, &encode_chain(chain), payment.now)?;
            }
            tx.execute(
                "UPDATE state SET spendable = spendable + ?1, received = received + ?1 WHERE id = 1",
                [payment.amount],
            )?;
            crash_point("receive.counters");
            log::append(
                tx,
                payment.now,
                LogKind::Receive,
                Some(&payment.payer),
                payment.amount,
                &payment.payment_hash,
            )?;
            Ok(Received::New)
        })
    }
}

fn query_spends(
    tx: &Transaction<'_>,
    clause: &str,
    p: &[&dyn rusqlite::ToSql],
) -> Result<Vec<StoredSpend>, StoreError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT payment_hash, payee, amount, change, counter, payment, receipt, state, created_at, request_nonce
         FROM spends {clause}"
    ))?;
    let rows = stmt.query_map(p, |r| {
        Ok((
            r.get::<_, Vec<u8>>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, u64>(2)?,
            r.get::<_, u64>(3)?,
            r.get::<_, u64>(4)?,
            r.get::<_, Vec<u8>>(5)?,
            r.get::<_, Option<Vec<u8>>>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, u64>(8)?,
            r.get::<_, Option<Vec<u8>>>(9)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (hash, payee, amount, change, counter, payment_bytes, receipt_bytes, state, created_at, nonce) = row?;
        let request_nonce = nonce
            .map(|n| n.try_into().map_err(|_| StoreError::Corrupt { detail: "request nonce is not 16 bytes".into() }))
            .transpose()?;
        out.push(StoredSpend {
            payment_hash: blob32(hash, "payment hash")?,
            payee: WalletId(blob32(payee, "payee")?),
            request_nonce,
            amount,
            change,
            counter,
            payment_bytes,
            receipt_bytes,
            state: if state == "complete" { SpendState::Complete } else { SpendState::Pending },
            created_at,
        });
    }
    Ok(out)
}

impl Store {
    /// The chain of a note this wallet holds or held (any state), if known.
    pub fn note_chain(&self, note: &NoteId) -> Result<Option<Chain>, StoreError> {
        let bytes: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT chain FROM notes WHERE note_id = ?1")?
            .query_row([note.0.as_slice()], |r| r.get(0))
            .optional()?;
        bytes.map(|b| super::decode_chain(&b)).transpose()
    }

    /// The outgoing payment that spends `note`, if any.
    pub fn spend_of_note(&self, note: &NoteId) -> Result<Option<PaymentHash>, StoreError> {
        let hash: Option<Vec<u8>> = self
            .conn
            .prepare_cached(
                "SELECT s.payment_hash FROM notes n JOIN spends s ON s.id = n.spend_id WHERE n.note_id = ?1",
            )?
            .query_row([note.0.as_slice()], |r| r.get(0))
            .optional()?;
        hash.map(|h| blob32(h, "payment hash")).transpose()
    }
}
