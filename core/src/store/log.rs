//! The append-only, hash-chained log of every change of value, and history queries over it.
//!
//! ```text
//!  entry n: hash_n = SHA-256("OC1/log" ‖ hash_{n-1} ‖ CBOR[seq, at, kind, counterparty, amount, ref])
//!  hash_0 = 32 zero bytes;  state.log_len = n, state.log_head = hash_n  (same transaction)
//! ```
//!
//! Each entry is appended in the transaction that changes the balance, so the log and the
//! balance can never disagree. [`verify_log`] recomputes the chain: an edited, deleted,
//! inserted or reordered entry breaks it, and a truncated tail disagrees with the head kept in
//! the `state` row. Someone who rewrites the whole file consistently is not detected here; the
//! issuer compares the head reported at each sync (see docs/THREAT_MODEL.md).
//!
//! History pages use keyset pagination on indexed columns (never OFFSET).

use rusqlite::{Transaction, params};

use super::{StoreError, blob32};
use crate::cbor::Encoder;
use crate::crypto::sha256;
use crate::token::WalletId;

/// What a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LogKind {
    /// Notes issued to this wallet (online funding or refresh).
    Fund,
    /// An outgoing payment committed as pending (value left spendable).
    Spend,
    /// An outgoing payment confirmed by the payee's receipt (value left pending).
    SpendComplete,
    /// An incoming payment (value became spendable).
    Receive,
    /// Notes handed to a refresh or deposit flow (value left spendable, now in the flow).
    FlowStarted,
    /// A refresh finished: the notes are retired, fresh notes of the same total are spendable.
    Refreshed,
    /// A deposit finished: the notes' value is in the account.
    Deposited,
    /// A flow was refused by the issuer: its notes are spendable again.
    FlowFailed,
    /// Notes expired past the refresh window left the wallet: the issuer returns their value
    /// to the account (its expiry sweep).
    ExpiredReturned,
}

impl LogKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Fund => "fund",
            LogKind::Spend => "spend",
            LogKind::SpendComplete => "spend_complete",
            LogKind::Receive => "receive",
            LogKind::FlowStarted => "flow_started",
            LogKind::Refreshed => "refreshed",
            LogKind::Deposited => "deposited",
            LogKind::FlowFailed => "flow_failed",
            LogKind::ExpiredReturned => "expired_returned",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "fund" => LogKind::Fund,
            "spend" => LogKind::Spend,
            "spend_complete" => LogKind::SpendComplete,
            "receive" => LogKind::Receive,
            "flow_started" => LogKind::FlowStarted,
            "refreshed" => LogKind::Refreshed,
            "deposited" => LogKind::Deposited,
            "flow_failed" => LogKind::FlowFailed,
            "expired_returned" => LogKind::ExpiredReturned,
            other => return Err(StoreError::Corrupt { detail: format!("unknown log kind {other:?}") }),
        })
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// When it happened (Unix seconds, as given by the caller).
    pub at: u64,
    /// What happened.
    pub kind: LogKind,
    /// The other wallet, if any (payee of a spend, payer of a receipt).
    pub counterparty: Option<WalletId>,
    /// The value moved (minor units).
    pub amount: u64,
    /// What it refers to: the payment hash, or a digest of the funded note ids.
    pub reference: [u8; 32],
    /// The entry's hash (chained over every previous entry).
    pub hash: [u8; 32],
}

/// Which entries a history page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HistoryFilter {
    /// Every entry.
    All,
    /// Entries with `from <= at < to`.
    TimeRange {
        /// Inclusive start (Unix seconds).
        from: u64,
        /// Exclusive end (Unix seconds).
        to: u64,
    },
    /// Entries with this counterparty.
    Counterparty(WalletId),
    /// Entries of this kind.
    Kind(LogKind),
}

/// Where the next page starts: the last entry of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCursor {
    /// `at` of the last entry returned.
    pub at: u64,
    /// `seq` of the last entry returned.
    pub seq: u64,
}

/// One page of history, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    /// The entries.
    pub entries: Vec<LogEntry>,
    /// The cursor for the next (older) page, if there may be one.
    pub next: Option<HistoryCursor>,
}

/// The verified length and head of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogVerified {
    /// Number of entries.
    pub len: u64,
    /// Hash of the last entry (zeros if empty).
    pub head: [u8; 32],
}

fn entry_hash(
    prev: &[u8; 32],
    seq: u64,
    at: u64,
    kind: LogKind,
    counterparty: Option<&WalletId>,
    amount: u64,
    reference: &[u8; 32],
) -> [u8; 32] {
    let mut enc = Encoder::new();
    enc.array(6).uint(seq).uint(at).text(kind.as_str());
    enc.bytes(counterparty.map(|c| c.0.as_slice()).unwrap_or(&[]));
    enc.uint(amount).bytes(reference);
    sha256(&[b"OC1/log", prev, enc.as_slice()])
}

/// Appends an entry inside `tx` and advances the head kept in `state`.
pub(crate) fn append(
    tx: &Transaction<'_>,
    at: u64,
    kind: LogKind,
    counterparty: Option<&WalletId>,
    amount: u64,
    reference: &[u8; 32],
) -> Result<u64, StoreError> {
    let (len, head): (u64, Vec<u8>) =
        tx.query_row("SELECT log_len, log_head FROM state WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let head = blob32(head, "log head")?;
    let seq = len + 1;
    let hash = entry_hash(&head, seq, at, kind, counterparty, amount, reference);
    tx.execute(
        "INSERT INTO log (seq, at, kind, counterparty, amount, ref, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            seq,
            at,
            kind.as_str(),
            counterparty.map(|c| c.0.to_vec()),
            amount,
            reference.as_slice(),
            hash.as_slice()
        ],
    )?;
    super::crash::crash_point("log.appended");
    tx.execute("UPDATE state SET log_len = ?1, log_head = ?2 WHERE id = 1", params![seq, hash.as_slice()])?;
    Ok(seq)
}

const ENTRY_COLUMNS: &str = "seq, at, kind, counterparty, amount, ref, hash";

fn read_entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?))
}

type RawEntry = (u64, u64, String, Option<Vec<u8>>, u64, Vec<u8>, Vec<u8>);

fn to_entry(raw: RawEntry) -> Result<LogEntry, StoreError> {
    let (seq, at, kind, counterparty, amount, reference, hash) = raw;
    Ok(LogEntry {
        seq,
        at,
        kind: LogKind::parse(&kind)?,
        counterparty: counterparty.map(|c| blob32(c, "log counterparty").map(WalletId)).transpose()?,
        amount,
        reference: blob32(reference, "log reference")?,
        hash: blob32(hash, "log hash")?,
    })
}

/// Recomputes the whole chain and compares its end with the head kept in `state`.
pub(crate) fn verify(tx: &Transaction<'_>) -> Result<LogVerified, StoreError> {
    let mut stmt = tx.prepare(&format!("SELECT {ENTRY_COLUMNS} FROM log ORDER BY seq"))?;
    let mut rows = stmt.query([])?;
    let mut prev = [0u8; 32];
    let mut expected_seq = 1u64;
    while let Some(row) = rows.next()? {
        let raw = read_entry(row)?;
        let seq = raw.0;
        let entry = to_entry(raw).map_err(|_| StoreError::LogTampered { seq, reason: "entry does not decode" })?;
        if entry.seq != expected_seq {
            return Err(StoreError::LogTampered { seq: expected_seq, reason: "entry missing (gap in sequence)" });
        }
        let hash = entry_hash(
            &prev,
            entry.seq,
            entry.at,
            entry.kind,
            entry.counterparty.as_ref(),
            entry.amount,
            &entry.reference,
        );
        if hash != entry.hash {
            return Err(StoreError::LogTampered { seq, reason: "content or order does not match its hash" });
        }
        prev = hash;
        expected_seq += 1;
    }
    let len = expected_seq - 1;
    let (stored_len, stored_head): (u64, Vec<u8>) =
        tx.query_row("SELECT log_len, log_head FROM state WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if stored_len != len || stored_head != prev {
        return Err(StoreError::LogTampered {
            seq: len + 1,
            reason: "log is shorter or longer than its recorded head",
        });
    }
    Ok(LogVerified { len, head: prev })
}

/// One page of history, newest first, after `cursor`.
pub(crate) fn page(
    tx: &Transaction<'_>,
    filter: HistoryFilter,
    cursor: Option<HistoryCursor>,
    limit: u32,
) -> Result<HistoryPage, StoreError> {
    let limit = limit.clamp(1, 1_000);
    let seq_before = cursor.map_or(i64::MAX, |c| i64::try_from(c.seq).unwrap_or(i64::MAX));
    let mut raws = Vec::new();
    {
        let mut collect = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<(), StoreError> {
            let mut stmt = tx.prepare_cached(sql)?;
            let rows = stmt.query_map(p, read_entry)?;
            for r in rows {
                raws.push(r?);
            }
            Ok(())
        };
        match filter {
            HistoryFilter::All => collect(
                &format!("SELECT {ENTRY_COLUMNS} FROM log WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2"),
                &[&seq_before, &limit],
            )?,
            HistoryFilter::TimeRange { from, to } => {
                // Both upper bounds folded into one inclusive bound on `at`, so the index range
                // starts exactly at the cursor (a row-value comparison would not bound it).
                let upper = sql_u64(to).saturating_sub(1).min(cursor.map_or(i64::MAX, |c| sql_u64(c.at)));
                collect(
                    &format!(
                        "SELECT {ENTRY_COLUMNS} FROM log INDEXED BY log_at
                         WHERE at >= ?1 AND at <= ?2 AND (at < ?2 OR seq < ?3)
                         ORDER BY at DESC, seq DESC LIMIT ?4"
                    ),
                    &[&sql_u64(from), &upper, &seq_before, &limit],
                )?
            }
            HistoryFilter::Counterparty(wallet) => collect(
                &format!(
                    "SELECT {ENTRY_COLUMNS} FROM log INDEXED BY log_counterparty
                     WHERE counterparty = ?1 AND counterparty IS NOT NULL AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
                ),
                &[&wallet.0.as_slice(), &seq_before, &limit],
            )?,
            HistoryFilter::Kind(kind) => collect(
                &format!(
                    "SELECT {ENTRY_COLUMNS} FROM log INDEXED BY log_kind
                     WHERE kind = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
                ),
                &[&kind.as_str(), &seq_before, &limit],
            )?,
        }
    }
    let entries = raws.into_iter().map(to_entry).collect::<Result<Vec<_>, _>>()?;
    let next = if entries.len() == limit as usize {
        entries.last().map(|e| HistoryCursor { at: e.at, seq: e.seq })
    } else {
        None
    };
    Ok(HistoryPage { entries, next })
}

/// Clamps a `u64` into SQLite's signed range for comparisons (times never get near it).
fn sql_u64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
