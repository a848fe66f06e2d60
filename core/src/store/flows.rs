//! Persisted wallet flows that move notes through the issuer: **refresh** (notes → fresh
//! depth-0 notes of the same total) and **deposit** (notes → the online account; defunding is
//! a deposit the user asks for).
//!
//! ```text
//!  begin_flow ──► notes 'in_flow', spendable → in_flows, log flow_started      (one transaction)
//!      │
//!  set_flow_request (once: the counter / log head the batch reports, kept so a resend is
//!      │             byte-identical and the issuer answers it from its stored answer)
//!      ▼  … upload, crash, restart, upload again with the same batch id …
//!  finish_refresh ─► notes 'refreshed', fresh notes 'unspent', in_flows → spendable, log refreshed
//!  finish_deposit ─► notes 'deposited', in_flows → deposited, log deposited
//!  fail_flow ──────► notes 'unspent' again, in_flows → spendable, log flow_failed
//! ```
//!
//! Value: `funded + received + refreshed == spendable + pending + sent + in_flows + deposited
//! + refreshed` ([`super::coins::check_counters`]). A note in a flow is never spendable and
//! never counted twice: it is in `in_flows` until the flow ends, and a flow ends once.
//! What this module does not do: talk to the issuer or verify the fresh notes (the wallet does,
//! `crate::wallet::flows`).

use rusqlite::{OptionalExtension as _, Transaction, params};

use super::coins::{HeldNote, decode_chain};
use super::crash::crash_point;
use super::log::{self, LogKind};
use super::payments::{insert_note, sum_chains};
use super::{Store, StoreError, blob32};
use crate::crypto::sha256;
use crate::token::{Chain, NoteId};

/// What a flow does with its notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowKind {
    /// Re-issue them as fresh genesis notes of the same total.
    Refresh,
    /// Credit their value to the wallet's online account.
    Deposit,
}

impl FlowKind {
    fn as_str(self) -> &'static str {
        match self {
            FlowKind::Refresh => "refresh",
            FlowKind::Deposit => "deposit",
        }
    }

    /// How many of the flow's notes (in note id order) go in one record of its batch: a refresh
    /// record is one bundle (all-or-nothing at the issuer, with its fresh amounts); a deposit
    /// record is one note, so that every note's result is known.
    pub fn notes_per_record(self) -> usize {
        match self {
            FlowKind::Refresh => crate::token::MAX_BUNDLE_HEADS,
            FlowKind::Deposit => 1,
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "refresh" => Ok(FlowKind::Refresh),
            "deposit" => Ok(FlowKind::Deposit),
            other => Err(StoreError::Corrupt { detail: format!("flow kind {other:?}") }),
        }
    }
}

/// Where a flow is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowState {
    /// Its notes are handed over; the issuer's answer is awaited (resumable).
    Started,
    /// Finished: refreshed or deposited.
    Done,
    /// The issuer refused it; its notes are spendable again.
    Failed,
}

impl FlowState {
    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "started" => Ok(FlowState::Started),
            "done" => Ok(FlowState::Done),
            "failed" => Ok(FlowState::Failed),
            other => Err(StoreError::Corrupt { detail: format!("flow state {other:?}") }),
        }
    }
}

/// The state a flow's batch reports to the issuer, fixed when first sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowRequest {
    /// The spend counter reported.
    pub counter: u64,
    /// The log head reported.
    pub log_head: [u8; 32],
    /// The log length reported.
    pub log_len: u64,
    /// The revocation list sequence reported.
    pub revocation_sequence: Option<u64>,
}

impl FlowRequest {
    fn to_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(57);
        out.extend_from_slice(&self.counter.to_be_bytes());
        out.extend_from_slice(&self.log_head);
        out.extend_from_slice(&self.log_len.to_be_bytes());
        match self.revocation_sequence {
            Some(s) => {
                out.push(1);
                out.extend_from_slice(&s.to_be_bytes());
            }
            None => out.push(0),
        }
        out
    }

    fn from_bytes(b: &[u8]) -> Result<Self, StoreError> {
        let corrupt = || StoreError::Corrupt { detail: "flow request".into() };
        let u64_at = |i: usize| -> Result<u64, StoreError> {
            let s: [u8; 8] = b.get(i..i + 8).and_then(|s| s.try_into().ok()).ok_or_else(corrupt)?;
            Ok(u64::from_be_bytes(s))
        };
        let log_head: [u8; 32] = b.get(8..40).and_then(|s| s.try_into().ok()).ok_or_else(corrupt)?;
        let revocation_sequence = match b.get(48) {
            Some(0) if b.len() == 49 => None,
            Some(1) if b.len() == 57 => Some(u64_at(49)?),
            _ => return Err(corrupt()),
        };
        Ok(Self { counter: u64_at(0)?, log_head, log_len: u64_at(40)?, revocation_sequence })
    }
}

/// One persisted flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// Its id in the store.
    pub id: u64,
    /// Refresh or deposit.
    pub kind: FlowKind,
    /// The idempotency key of its batch at the issuer.
    pub batch_id: [u8; 16],
    /// The value of its notes.
    pub amount: u64,
    /// For a refresh, the fresh notes' amounts asked for, per record (empty for a deposit).
    pub amounts: Vec<Vec<u64>>,
    /// What its batch reports, once fixed.
    pub request: Option<FlowRequest>,
    /// Where it is.
    pub state: FlowState,
    /// Why it failed, if it did.
    pub reason: Option<String>,
    /// When it started.
    pub created_at: u64,
}

/// Most notes in one flow (a deposit sends one record per note, and a batch holds at most
/// 1,024 records).
pub const MAX_FLOW_NOTES: usize = 1024;

/// Per record: its count (u64 BE), then its amounts (u64 BE each).
fn encode_amounts(amounts: &[Vec<u64>]) -> Vec<u8> {
    let mut out = Vec::new();
    for record in amounts {
        out.extend_from_slice(&(record.len() as u64).to_be_bytes());
        out.extend(record.iter().flat_map(|a| a.to_be_bytes()));
    }
    out
}

fn decode_amounts(b: &[u8]) -> Result<Vec<Vec<u64>>, StoreError> {
    let corrupt = || StoreError::Corrupt { detail: "flow amounts".into() };
    if b.len() % 8 != 0 {
        return Err(corrupt());
    }
    let mut words = b.chunks_exact(8).map(|c| u64::from_be_bytes(<[u8; 8]>::try_from(c).unwrap_or_default()));
    let mut out = Vec::new();
    while let Some(n) = words.next() {
        let n = usize::try_from(n).map_err(|_| corrupt())?;
        let record: Vec<u64> = words.by_ref().take(n).collect();
        if record.len() != n {
            return Err(corrupt());
        }
        out.push(record);
    }
    Ok(out)
}

type FlowRow = (u64, String, Vec<u8>, u64, Vec<u8>, Option<Vec<u8>>, String, Option<String>, u64);

const FLOW_COLUMNS: &str = "id, kind, batch_id, amount, amounts, request, state, reason, created_at";

fn flow_of(row: FlowRow) -> Result<Flow, StoreError> {
    let (id, kind, batch_id, amount, amounts, request, state, reason, created_at) = row;
    Ok(Flow {
        id,
        kind: FlowKind::parse(&kind)?,
        batch_id: batch_id.try_into().map_err(|_| StoreError::Corrupt { detail: "flow batch id".into() })?,
        amount,
        amounts: decode_amounts(&amounts)?,
        request: request.as_deref().map(FlowRequest::from_bytes).transpose()?,
        state: FlowState::parse(&state)?,
        reason,
        created_at,
    })
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FlowRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
}

fn started(tx: &Transaction<'_>, id: u64) -> Result<Flow, StoreError> {
    let row = tx
        .query_row(&format!("SELECT {FLOW_COLUMNS} FROM flows WHERE id = ?1"), [id], read_row)
        .optional()?
        .ok_or(StoreError::Corrupt { detail: format!("no flow {id}") })?;
    let flow = flow_of(row)?;
    if flow.state != FlowState::Started {
        return Err(StoreError::FlowFinished { id });
    }
    Ok(flow)
}

fn log_ref(batch_id: &[u8; 16]) -> [u8; 32] {
    sha256(&[b"OC1/flow", batch_id])
}

/// Ends a flow: the notes in `returned` are spendable again, the others go to `kept` (their
/// value out of `in_flows`); the flow is done if it kept anything, else failed.
fn end(
    tx: &Transaction<'_>,
    flow: &Flow,
    kept: &str,
    returned: &[NoteId],
    reason: Option<&str>,
    now: u64,
) -> Result<(u64, u64), StoreError> {
    let held: u64 = tx.query_row(
        "SELECT coalesce(sum(amount), 0) FROM notes WHERE flow_id = ?1 AND state = 'in_flow'",
        [flow.id],
        |r| r.get(0),
    )?;
    if held != flow.amount {
        return Err(StoreError::ValueMismatch { inputs: flow.amount, outputs: held });
    }
    let mut back: u64 = 0;
    for note in returned {
        let amount: Option<u64> = tx
            .prepare_cached("SELECT amount FROM notes WHERE note_id = ?1 AND flow_id = ?2 AND state = 'in_flow'")?
            .query_row(params![note.0.as_slice(), flow.id], |r| r.get(0))
            .optional()?;
        let amount = amount.ok_or(StoreError::NoteNotSpendable { note: *note })?;
        tx.prepare_cached("UPDATE notes SET state = 'unspent', flow_id = NULL WHERE note_id = ?1")?
            .execute([note.0.as_slice()])?;
        back = back.saturating_add(amount);
    }
    tx.execute("UPDATE notes SET state = ?2 WHERE flow_id = ?1 AND state = 'in_flow'", params![flow.id, kept])?;
    crash_point("flow.notes_moved");
    let kept_value = flow.amount - back;
    tx.execute(
        "UPDATE state SET in_flows = in_flows - ?1, spendable = spendable + ?2 WHERE id = 1",
        params![flow.amount, back],
    )?;
    let state = if kept_value > 0 { "done" } else { "failed" };
    tx.execute(
        "UPDATE flows SET state = ?2, reason = ?3, finished_at = ?4 WHERE id = ?1",
        params![flow.id, state, reason, now],
    )?;
    if back > 0 {
        log::append(tx, now, LogKind::FlowFailed, None, back, &log_ref(&flow.batch_id))?;
    }
    Ok((kept_value, back))
}

impl Store {
    /// Hands `notes` (unspent, held) to a new flow under the issuer batch id `batch_id`. For a
    /// refresh, `amounts` are the fresh notes' amounts (their sum is the notes' total; empty:
    /// one fresh note per note). Returns the flow's id. Nothing changes on error.
    pub fn begin_flow(
        &mut self,
        kind: FlowKind,
        batch_id: &[u8; 16],
        notes: &[NoteId],
        amounts: &[Vec<u64>],
        now: u64,
    ) -> Result<u64, StoreError> {
        if notes.is_empty() || notes.len() > MAX_FLOW_NOTES {
            return Err(StoreError::OutOfRange { field: "notes in one flow" });
        }
        let mut notes = notes.to_vec();
        notes.sort_unstable_by_key(|n| n.0);
        notes.dedup();
        let records = notes.len().div_ceil(kind.notes_per_record());
        let asked_records = if kind == FlowKind::Refresh { records } else { 0 };
        if amounts.len() != asked_records {
            return Err(StoreError::OutOfRange { field: "fresh amounts per record" });
        }
        self.write(|tx| {
            let mut total: u64 = 0;
            let mut record_totals = Vec::with_capacity(records);
            for chunk in notes.chunks(kind.notes_per_record()) {
                let mut record_total: u64 = 0;
                for note in chunk {
                let row: Option<(u64, String)> = tx
                    .prepare_cached("SELECT amount, state FROM notes WHERE note_id = ?1")?
                    .query_row([note.0.as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                match row {
                    Some((amount, state)) if state == "unspent" => {
                        record_total = record_total
                            .checked_add(amount)
                            .ok_or(StoreError::OutOfRange { field: "flow amount" })?;
                    }
                    _ => return Err(StoreError::NoteNotSpendable { note: *note }),
                }
                }
                total = total.checked_add(record_total).ok_or(StoreError::OutOfRange { field: "flow amount" })?;
                record_totals.push(record_total);
            }
            for (asked, held) in amounts.iter().zip(&record_totals) {
                let sum = asked.iter().try_fold(0u64, |s, a| if *a == 0 { None } else { s.checked_add(*a) });
                if sum != Some(*held) || asked.len() > MAX_FLOW_NOTES {
                    return Err(StoreError::ValueMismatch { inputs: *held, outputs: sum.unwrap_or(0) });
                }
            }
            tx.execute(
                "INSERT INTO flows (kind, batch_id, amount, amounts, state, created_at) VALUES (?1, ?2, ?3, ?4, 'started', ?5)",
                params![kind.as_str(), batch_id.as_slice(), total, encode_amounts(amounts), now],
            )?;
            let id = u64::try_from(tx.last_insert_rowid()).map_err(|_| StoreError::OutOfRange { field: "flow id" })?;
            for note in &notes {
                tx.prepare_cached("UPDATE notes SET state = 'in_flow', flow_id = ?2 WHERE note_id = ?1")?
                    .execute(params![note.0.as_slice(), id])?;
            }
            crash_point("flow.notes_taken");
            tx.execute(
                "UPDATE state SET spendable = spendable - ?1, in_flows = in_flows + ?1 WHERE id = 1",
                [total],
            )?;
            log::append(tx, now, LogKind::FlowStarted, None, total, &log_ref(batch_id))?;
            Ok(id)
        })
    }

    /// Fixes what the flow's batch reports, the first time only (a later call keeps the first
    /// and returns it), so every resend of the batch carries the same bytes.
    pub fn fix_flow_request(&mut self, id: u64, request: FlowRequest) -> Result<FlowRequest, StoreError> {
        self.write(|tx| {
            let flow = started(tx, id)?;
            if let Some(fixed) = flow.request {
                return Ok(fixed);
            }
            tx.execute("UPDATE flows SET request = ?2 WHERE id = ?1", params![id, request.to_bytes()])?;
            Ok(request)
        })
    }

    /// The flows not yet finished, oldest first.
    pub fn open_flows(&self) -> Result<Vec<Flow>, StoreError> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {FLOW_COLUMNS} FROM flows INDEXED BY flows_open WHERE state = 'started' ORDER BY id"
            ))?;
            let rows: Vec<FlowRow> = stmt.query_map([], read_row)?.collect::<Result<_, _>>()?;
            rows.into_iter().map(flow_of).collect()
        })
    }

    /// A flow by id.
    pub fn flow(&self, id: u64) -> Result<Option<Flow>, StoreError> {
        self.read(|tx| {
            let row =
                tx.query_row(&format!("SELECT {FLOW_COLUMNS} FROM flows WHERE id = ?1"), [id], read_row).optional()?;
            row.map(flow_of).transpose()
        })
    }

    /// The notes handed to a flow, in note id order (the order its batch lists them).
    pub fn flow_notes(&self, id: u64) -> Result<Vec<HeldNote>, StoreError> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT note_id, amount, depth, expires_at, chain FROM notes WHERE flow_id = ?1 ORDER BY note_id",
            )?;
            type Row = (Vec<u8>, u64, u32, u64, Vec<u8>);
            let rows: Vec<Row> = stmt
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(|(id, amount, depth, expires_at, chain)| {
                    Ok(HeldNote {
                        id: NoteId(blob32(id, "note id")?),
                        amount,
                        depth,
                        expires_at,
                        chain: decode_chain(&chain)?,
                    })
                })
                .collect()
        })
    }

    /// Ends a refresh: the notes in `returned` (refused by the issuer) are spendable again; the
    /// others are retired and the `fresh` notes (verified by the caller, of their total) become
    /// spendable. [`StoreError::ValueMismatch`] if the totals differ; nothing changes on error.
    pub fn finish_refresh(
        &mut self,
        id: u64,
        fresh: &[Chain],
        returned: &[NoteId],
        reason: Option<&str>,
        now: u64,
    ) -> Result<(), StoreError> {
        let fresh_total = sum_chains(fresh)?;
        self.write(|tx| {
            let flow = started(tx, id)?;
            if flow.kind != FlowKind::Refresh {
                return Err(StoreError::FlowFinished { id });
            }
            let (kept, _) = end(tx, &flow, "refreshed", returned, reason, now)?;
            if fresh_total != kept {
                return Err(StoreError::ValueMismatch { inputs: kept, outputs: fresh_total });
            }
            for chain in fresh {
                insert_note(tx, chain, "refreshed", None, now)?;
            }
            tx.execute("UPDATE state SET spendable = spendable + ?1, refreshed = refreshed + ?1 WHERE id = 1", [kept])?;
            if kept > 0 {
                log::append(tx, now, LogKind::Refreshed, None, kept, &log_ref(&flow.batch_id))?;
            }
            Ok(())
        })
    }

    /// Ends a deposit: the notes in `returned` (refused by the issuer) are spendable again, the
    /// others' value is in the account now.
    pub fn finish_deposit(
        &mut self,
        id: u64,
        returned: &[NoteId],
        reason: Option<&str>,
        now: u64,
    ) -> Result<u64, StoreError> {
        self.write(|tx| {
            let flow = started(tx, id)?;
            if flow.kind != FlowKind::Deposit {
                return Err(StoreError::FlowFinished { id });
            }
            let (kept, _) = end(tx, &flow, "deposited", returned, reason, now)?;
            tx.execute("UPDATE state SET deposited = deposited + ?1 WHERE id = 1", [kept])?;
            if kept > 0 {
                log::append(tx, now, LogKind::Deposited, None, kept, &log_ref(&flow.batch_id))?;
            }
            Ok(kept)
        })
    }

    /// Retires the unspent notes that expired before `expired_before`: no payee takes them and
    /// the issuer no longer refreshes them, it returns their value to the wallet's account (its
    /// expiry sweep). Recorded as a finished deposit (reason `expired`) so the value is counted
    /// once, in `deposited`, with a log entry. Returns the value retired (0: none).
    pub fn retire_expired(&mut self, expired_before: u64, batch_id: &[u8; 16], now: u64) -> Result<u64, StoreError> {
        let before = i64::try_from(expired_before).unwrap_or(i64::MAX);
        self.write(|tx| {
            let total: u64 = tx.query_row(
                "SELECT coalesce(sum(amount), 0) FROM notes WHERE state = 'unspent' AND expires_at < ?1",
                [before],
                |r| r.get(0),
            )?;
            if total == 0 {
                return Ok(0);
            }
            tx.execute(
                "INSERT INTO flows (kind, batch_id, amount, amounts, state, reason, created_at, finished_at)
                 VALUES ('deposit', ?1, ?2, x'', 'done', 'expired', ?3, ?3)",
                params![batch_id.as_slice(), total, now],
            )?;
            let id = tx.last_insert_rowid();
            tx.execute(
                "UPDATE notes SET state = 'deposited', flow_id = ?1 WHERE state = 'unspent' AND expires_at < ?2",
                params![id, before],
            )?;
            crash_point("flow.expired_retired");
            tx.execute(
                "UPDATE state SET spendable = spendable - ?1, deposited = deposited + ?1 WHERE id = 1",
                [total],
            )?;
            log::append(tx, now, LogKind::ExpiredReturned, None, total, &log_ref(batch_id))?;
            Ok(total)
        })
    }

    /// Value in unfinished flows: (refreshing, depositing).
    pub fn in_flows(&self) -> Result<(u64, u64), StoreError> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(CASE WHEN kind = 'refresh' THEN amount END), 0),
                    coalesce(sum(CASE WHEN kind = 'deposit' THEN amount END), 0)
             FROM flows WHERE state = 'started'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_request_round_trips() {
        for revocation_sequence in [None, Some(7)] {
            let r = FlowRequest { counter: 3, log_head: [9; 32], log_len: 12, revocation_sequence };
            assert_eq!(FlowRequest::from_bytes(&r.to_bytes()).unwrap(), r);
        }
        assert!(FlowRequest::from_bytes(&[0; 10]).is_err());
    }
}
