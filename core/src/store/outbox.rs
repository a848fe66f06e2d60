//! Records to repatriate to the issuer, settlement results, and the state reported at sync.
//!
//! ```text
//!  begin_spend ──► outbox(link)           ┐
//!  receive     ──► outbox(received_note)  ├─► outbox(limit) ─► upload batch ─► record_settlement
//!                                         ┘        (unsettled, oldest first; resending is harmless)
//!  sync_state() = { counter, log_head, log_len } sent with every batch (rollback detection)
//! ```

use rusqlite::{Transaction, params};

use super::{Store, StoreError, blob32};

/// What an outbox record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutboxKind {
    /// A spend link this wallet signed (canonical `SpendLink` bytes).
    Link,
    /// A note received, to deposit or refresh (canonical stored chain, see `encode_chain`).
    ReceivedNote,
}

impl OutboxKind {
    fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Link => "link",
            OutboxKind::ReceivedNote => "received_note",
        }
    }
}

/// One record awaiting repatriation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRecord {
    /// Its id in the outbox (to acknowledge it).
    pub id: u64,
    /// What it is.
    pub kind: OutboxKind,
    /// The link id or note id.
    pub reference: [u8; 32],
    /// The canonical bytes.
    pub record: Vec<u8>,
    /// When it was queued.
    pub created_at: u64,
}

/// The issuer's answer for one outbox record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementResult {
    /// The outbox record it answers.
    pub outbox_id: u64,
    /// The issuer's status code (e.g. `accepted`, `duplicate`, `double_spend`).
    pub status: String,
    /// The issuer's signed detail, opaque to the store.
    pub detail: Vec<u8>,
}

/// What a wallet reports at every sync so the issuer can detect a restored old copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncState {
    /// The last spend counter committed.
    pub counter: u64,
    /// The hash of the last log entry.
    pub log_head: [u8; 32],
    /// The number of log entries.
    pub log_len: u64,
}

pub(crate) fn push(
    tx: &Transaction<'_>,
    kind: OutboxKind,
    reference: &[u8; 32],
    record: &[u8],
    now: u64,
) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO outbox (kind, ref, record, created_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![kind.as_str(), reference.as_slice(), record, now])?;
    super::crash::crash_point("outbox.pushed");
    Ok(())
}

impl Store {
    /// Up to `limit` records not yet settled, oldest first.
    pub fn outbox(&self, limit: u32) -> Result<Vec<OutboxRecord>, StoreError> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, kind, ref, record, created_at FROM outbox INDEXED BY outbox_unsettled
                 WHERE settled_at IS NULL ORDER BY id LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok((
                    r.get::<_, u64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, u64>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, kind, reference, record, created_at) = row?;
                let kind = match kind.as_str() {
                    "link" => OutboxKind::Link,
                    "received_note" => OutboxKind::ReceivedNote,
                    other => return Err(StoreError::Corrupt { detail: format!("outbox kind {other:?}") }),
                };
                out.push(OutboxRecord { id, kind, reference: blob32(reference, "outbox ref")?, record, created_at });
            }
            Ok(out)
        })
    }

    /// Stores the issuer's results and takes the records out of the outbox. Idempotent: a
    /// result for a record already settled, or for an unknown outbox id, is skipped.
    /// Returns how many records were settled by this call.
    pub fn record_settlement(&mut self, results: &[SettlementResult], now: u64) -> Result<usize, StoreError> {
        self.write(|tx| {
            let mut settled = 0;
            for r in results {
                let n = tx.execute(
                    "UPDATE outbox SET settled_at = ?2 WHERE id = ?1 AND settled_at IS NULL",
                    params![r.outbox_id, now],
                )?;
                if n == 1 {
                    tx.execute(
                        "INSERT INTO settlements (outbox_id, status, detail, settled_at) VALUES (?1, ?2, ?3, ?4)",
                        params![r.outbox_id, r.status, r.detail, now],
                    )?;
                    settled += 1;
                }
            }
            Ok(settled)
        })
    }

    /// The issuer's result for an outbox record, if settled.
    pub fn settlement(&self, outbox_id: u64) -> Result<Option<SettlementResult>, StoreError> {
        use rusqlite::OptionalExtension as _;
        Ok(self
            .conn
            .query_row("SELECT status, detail FROM settlements WHERE outbox_id = ?1", [outbox_id], |r| {
                Ok(SettlementResult { outbox_id, status: r.get(0)?, detail: r.get(1)? })
            })
            .optional()?)
    }

    /// Records a completed sync at `now`: the count of offline payments starts again from zero.
    pub fn mark_synced(&mut self, now: u64) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute("UPDATE state SET offline_payments = 0, last_sync_at = ?1 WHERE id = 1", [now])?;
            Ok(())
        })
    }

    /// Offline payments made since the last sync.
    pub fn offline_payments_since_sync(&self) -> Result<u32, StoreError> {
        Ok(self.conn.query_row("SELECT offline_payments FROM state WHERE id = 1", [], |r| r.get(0))?)
    }

    /// The counter and log head to report at sync (O(1)).
    pub fn sync_state(&self) -> Result<SyncState, StoreError> {
        let (counter, log_len, head): (u64, u64, Vec<u8>) =
            self.conn.query_row("SELECT spend_counter, log_len, log_head FROM state WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        Ok(SyncState { counter, log_head: blob32(head, "log head")?, log_len })
    }
}
