//! The wallet's durable store: notes, payments, the hash-chained log, limits' counters, the
//! outbox for settlement, on SQLite.
//!
//! ```text
//!  protocol / nfc / sync ──► Store methods ──► one IMMEDIATE transaction each ──► wallet.db (+ -wal)
//!       payer:  begin_spend ──(durable)──► send payment bytes ──► receipt ──► complete_spend
//!       payee:  receive ─────(durable)──► emit receipt bytes
//!  every change of value: rows + counters in `state` + one log entry, in the same transaction
//! ```
//!
//! # Contract
//! - **Durability.** A method that returns `Ok` has committed, and the commit is on stable
//!   storage: the database runs in WAL mode with `synchronous = FULL`, so every commit
//!   fsyncs the WAL before returning (on Apple platforms `fullfsync` makes that an
//!   `F_FULLFSYNC`). `NORMAL` would be consistent but could lose the last commits on power
//!   loss, and a payer that sent a payment whose pending spend was then lost could spend the
//!   same notes again: a double spend by an honest wallet. See
//!   docs/decisions/0002-store-durability.md.
//! - **Atomicity.** Each method is one transaction, committed only when everything in it
//!   succeeded; an error leaves the database as it was. A crash at any point leaves either the
//!   whole operation or none of it (tested by killing a child process at every crash point).
//! - **Value.** `spendable + pending + sent + in_flows + deposited + refreshed == funded +
//!   received + refreshed`, where `spendable` is the sum of unspent notes, `pending` the sum
//!   of payments awaiting a receipt, `sent` the sum of confirmed ones, `in_flows` the notes
//!   handed to an unfinished refresh or deposit (see `flows`), `deposited` what flows moved to
//!   the account and `refreshed` both the notes a refresh retired and the fresh ones it gave. The counters are maintained in the same transaction as the rows;
//!   [`Store::check_consistency`] recomputes them.
//! - **Never destroys a wallet.** A file that is not a wallet, is damaged or is from a newer
//!   version is refused with a typed error and left untouched.
//!
//! # What it does not do
//! It verifies no signature and no chain: callers store only what `token::verify_bundle` (or
//! the issuer, over an authenticated channel) accepted. It reads no clock (every method that
//! records time takes `now`). It knows nothing of protocol messages: payments and receipts are
//! opaque bytes, stored so that a retry resends exactly the same bytes.

mod coins;
mod config;
mod crash;
mod error;
mod flows;
mod log;
mod outbox;
mod payments;
mod peer_holds;
mod request_keys;
mod schema;
#[cfg(feature = "test-support")]
pub mod testing;

use std::path::Path;

use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use coins::{CoinSelection, HeldNote, Split, decode_chain, encode_chain};
pub use config::{KeyLocation, WalletIdentity};
#[cfg(feature = "test-support")]
pub use crash::crash_points_passed;
pub use error::{StoreError, Unusable};
pub use flows::{Flow, FlowKind, FlowRequest, FlowState, MAX_FLOW_NOTES};
pub use log::{HistoryCursor, HistoryFilter, HistoryPage, LogEntry, LogKind, LogVerified};
pub use outbox::{OutboxKind, OutboxRecord, SettlementResult, SyncState};
pub use payments::{Completed, IncomingPayment, PendingSpend, Received, SpendDurable, SpendState, StoredSpend};
pub use schema::{APPLICATION_ID, CURRENT_VERSION};

/// The hash identifying a payment (computed by the protocol over the payment's bytes).
pub type PaymentHash = [u8; 32];

/// The wallet's balance, from counters maintained with every change (O(1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balance {
    /// Value in unspent notes: what can be paid now.
    pub spendable: u64,
    /// Value in outgoing payments awaiting the payee's receipt.
    pub pending: u64,
    /// Value handed to a refresh whose fresh notes have not arrived yet (the wallet's still).
    pub refreshing: u64,
    /// Value on its way to the online account (a deposit or defund not yet confirmed).
    pub depositing: u64,
    /// `spendable + pending + refreshing + depositing`.
    pub total: u64,
}

/// The wallet database. One per wallet; not shared between processes.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if absent) the wallet database at `path`, applying the pragmas and any
    /// migration. A damaged or foreign file is [`StoreError::Corrupt`], one from newer code is
    /// [`StoreError::TooNew`]; in both cases the file is left exactly as it was.
    ///
    /// An existing empty file is damaged too, not a place for a new wallet: SQLite would treat
    /// it as an empty database, and a wallet truncated to nothing would come back as a fresh
    /// one that reuses its old spend counters (a "double spender" at the next sync).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() && meta.len() == 0 => {
                return Err(StoreError::Corrupt {
                    detail: format!("{} is an empty file, not a wallet database", path.display()),
                });
            }
            Ok(meta) if !meta.is_file() => {
                return Err(StoreError::Corrupt { detail: format!("{} is not a regular file", path.display()) });
            }
            Ok(_) => {
                // An existing file must already be a wallet: an SQLite file without our schema
                // (another program's, or the main file of a database whose content is still in
                // a WAL file left behind) is refused, never turned into a fresh wallet.
                let conn = Connection::open(path)?;
                if schema::identify(&conn)? == 0 {
                    return Err(StoreError::Corrupt {
                        detail: format!("{} is an SQLite database without a wallet in it", path.display()),
                    });
                }
                return Self::init(conn);
            }
            Err(_) => {}
        }
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// A store in memory (tests, the simulator). Not durable, by definition.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    /// A store in memory whose database pages are `page_size` bytes: a power of two from 512
    /// to 65,536 (SQLite's default, used by every other constructor, is 4,096); another size is
    /// [`StoreError::OutOfRange`]. Every table and index takes at least one page, so a nearly
    /// empty wallet takes ~120 KB at 1,024-byte pages against ~200 KB at the default: for
    /// simulators holding thousands of wallets in one process. Not durable, by definition.
    pub fn open_in_memory_with_page_size(page_size: u32) -> Result<Self, StoreError> {
        if !(512..=65_536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(StoreError::OutOfRange { field: "page_size" });
        }
        let conn = Connection::open_in_memory()?;
        // Takes effect because the database is still empty: the schema is created after it.
        conn.pragma_update(None, "page_size", page_size)?;
        Self::init(conn)
    }

    /// The database's page size in bytes.
    pub fn page_size(&self) -> Result<u32, StoreError> {
        Ok(self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        schema::apply_pragmas(&conn)?;
        schema::init(&mut conn)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Self { conn })
    }

    /// Runs `f` in a read transaction (a consistent snapshot); nothing is written.
    fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let out = f(&tx)?;
        tx.finish()?;
        Ok(out)
    }

    /// Runs `f` in an IMMEDIATE write transaction, committed only if `f` returns `Ok`.
    fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        crash::crash_point("tx.begun");
        let out = f(&tx)?;
        crash::crash_point("tx.before_commit");
        tx.commit()?;
        crash::crash_point("tx.committed");
        Ok(out)
    }

    /// The balance, from the maintained counters.
    pub fn balance(&self) -> Result<Balance, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT spendable, pending FROM state WHERE id = 1")?;
        let (spendable, pending): (u64, u64) = stmt.query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let (refreshing, depositing) = self.in_flows()?;
        let total = spendable.saturating_add(pending).saturating_add(refreshing).saturating_add(depositing);
        Ok(Balance { spendable, pending, refreshing, depositing, total })
    }

    /// Recomputes every counter from the rows and the log from its start; the first
    /// disagreement is [`StoreError::Inconsistent`] or [`StoreError::LogTampered`].
    pub fn check_consistency(&self) -> Result<(), StoreError> {
        self.read(|tx| {
            coins::check_counters(tx)?;
            log::verify(tx)?;
            Ok(())
        })
    }

    /// Recomputes the hash chain of the log; any edited, deleted, inserted or reordered entry
    /// is [`StoreError::LogTampered`].
    pub fn verify_log(&self) -> Result<LogVerified, StoreError> {
        self.read(log::verify)
    }

    /// One page of at most `limit` entries (clamped to 1..=1,000), newest first. Pass the
    /// previous page's `next` to continue; `next` is `None` on the last page.
    pub fn history(
        &self,
        filter: HistoryFilter,
        cursor: Option<HistoryCursor>,
        limit: u32,
    ) -> Result<HistoryPage, StoreError> {
        self.read(|tx| log::page(tx, filter, cursor, limit))
    }

    /// Runs SQLite's full integrity check (slow: reads the whole file). `Ok` if it passes.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let result: String = self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if result == "ok" { Ok(()) } else { Err(StoreError::Corrupt { detail: result }) }
    }
}

/// A 32-byte blob from a column, or [`StoreError::Corrupt`].
pub(crate) fn blob32(v: Vec<u8>, what: &'static str) -> Result<[u8; 32], StoreError> {
    v.try_into().map_err(|_| StoreError::Corrupt { detail: format!("{what} is not 32 bytes") })
}
