//! The storage seam: what settlement asks of a database, per aggregate, behind one trait, with
//! two backends (SQLite embedded, the default; PostgreSQL behind the `postgres` feature).
//!
//! ```text
//!  Store::write(|tx| …) ─► begin (SQLite: IMMEDIATE; PostgreSQL: SERIALIZABLE)
//!        │                   f(tx) ─► Tx: record_link · link_by_parent · revoke · revocation_sequence
//!        │                             · batch_answer · store_batch (idempotency keys)
//!        │                             · exec / query, in which the aggregates are written once:
//!        │                               Accounts · Wallets · Notes · Nonces · DoubleSpends
//!        │                               · LostWallets · Meta · Audit
//!        │                               · LinkSets (a batch's links, set-wise)
//!        │                   commit
//!        └─ IssuerError::Contended (SQLite busy, SQLSTATE 40001 / 40P01) ─► roll back, run f again
//!                                                                      (at most MAX_ATTEMPTS times)
//! ```
//!
//! Rules every backend keeps (tests/store_conformance.rs checks them on both):
//! - a link is recorded with `INSERT … ON CONFLICT DO NOTHING RETURNING`: a parent already
//!   spent is an answer ([`Recorded::ParentTaken`]), not an error that aborts the transaction;
//! - the revocation sequence is handed out without reading `MAX(seq)`: sequences grow, and one
//!   committed later is never smaller than one committed earlier (a wallet holding sequence n
//!   never misses a revocation committed after it read n);
//! - `f` may run more than once, so it must have no effect outside `tx`.
//!
//! The SQL stays within what PostgreSQL-compatible distributed engines (CockroachDB,
//! YugabyteDB) accept: no advisory locks, no `LISTEN`, no table inheritance, no `INSERT OR …`
//! (`ON CONFLICT` instead), no `EXISTS` as a value (a row or none), sums cast to `BIGINT`
//! (PostgreSQL's `SUM(bigint)` is `NUMERIC`).

pub mod accounts;
pub mod audit;
mod backend;
pub mod challenges;
pub mod double_spends;
pub mod link_sets;
pub mod lost_wallets;
pub mod meta;
pub mod nonces;
pub mod notes;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod rate_buckets;
pub mod sqlite;
mod value;
pub mod wallets;

pub use accounts::Accounts;
pub use audit::Audit;
pub use backend::Backend;
pub use challenges::Challenges;
pub use double_spends::DoubleSpends;
pub use link_sets::LinkSets;
pub use lost_wallets::LostWallets;
pub use meta::Meta;
pub use nonces::Nonces;
pub use notes::Notes;
pub use rate_buckets::RateBuckets;
pub use value::{Row, Value};
pub use wallets::Wallets;

use offline_cash_core::token::WalletId;

use crate::IssuerError;

/// How often [`Store::write`] runs its closure when the database reports a serialization
/// failure or a deadlock, before giving up with [`IssuerError::Contended`].
pub const MAX_ATTEMPTS: u32 = 12;

/// The longest pause between two runs of a contended transaction.
const MAX_PAUSE_MS: u64 = 100;

/// A link to record: its id, the note it spends, who signed it, its bytes and counter.
#[derive(Clone, Copy, Debug)]
pub struct LinkRow<'a> {
    pub id: &'a [u8; 32],
    pub parent: &'a [u8; 32],
    pub signer: &'a [u8; 32],
    pub bytes: &'a [u8],
    pub counter: i64,
    pub settled_at: i64,
}

/// A recorded link: its id and its bytes.
pub type StoredLink = (Vec<u8>, Vec<u8>);

/// An answer stored under an idempotency key: the request's hash and the answer's JSON.
pub type StoredAnswer = (Vec<u8>, String);

/// What recording a link did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The link is now the one that spent its parent.
    New,
    /// This very link was recorded before (a resend).
    Duplicate,
    /// Another link spent the parent first: its id and bytes (the evidence of a double spend).
    ParentTaken { id: Vec<u8>, bytes: Vec<u8> },
}

/// Why a wallet was revoked (stored as text, `revocations.reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevocationReason {
    DoubleSpend,
    Lost,
}

impl RevocationReason {
    /// Its stored name.
    pub fn name(self) -> &'static str {
        match self {
            RevocationReason::DoubleSpend => "double_spend",
            RevocationReason::Lost => "lost",
        }
    }
}

/// The operations of one transaction: the statements every aggregate is written in
/// ([`Tx::exec`], [`Tx::query`]: SQL with `$n` placeholders, shared by the backends), and the
/// few operations whose SQL differs per backend.
pub trait Tx {
    /// Runs one statement; the number of rows it changed.
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, IssuerError>;
    /// Runs one query; its rows.
    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, IssuerError>;
    /// Runs one query; its first row, if any.
    fn query_opt(&mut self, sql: &str, args: &[Value]) -> Result<Option<Row>, IssuerError> {
        Ok(self.query(sql, args)?.into_iter().next())
    }
    /// Runs one query that answers one row.
    fn query_one(&mut self, sql: &str, args: &[Value]) -> Result<Row, IssuerError> {
        self.query_opt(sql, args)?.ok_or_else(|| IssuerError::Internal { what: format!("no row for: {sql}") })
    }
    /// Records `link` unless its parent is spent already (see [`Recorded`]).
    fn record_link(&mut self, link: &LinkRow<'_>) -> Result<Recorded, IssuerError>;
    /// The link that spent `parent`, if any: its id and bytes.
    fn link_by_parent(&mut self, parent: &[u8; 32]) -> Result<Option<StoredLink>, IssuerError>;
    /// Revokes `wallet`; its new sequence, or `None` if it was revoked already.
    fn revoke(&mut self, wallet: &WalletId, reason: RevocationReason, at: i64) -> Result<Option<u64>, IssuerError>;
    /// Whether `wallet` is revoked.
    fn is_revoked(&mut self, wallet: &WalletId) -> Result<bool, IssuerError> {
        Ok(self.query_opt("SELECT 1 FROM revocations WHERE wallet = $1", crate::args![&wallet.0[..]])?.is_some())
    }
    /// The highest revocation sequence committed (0: none).
    fn revocation_sequence(&mut self) -> Result<u64, IssuerError>;
    /// Every revocation in sequence order: (sequence, wallet).
    fn revocations(&mut self) -> Result<Vec<(u64, Vec<u8>)>, IssuerError>;
    /// The answer stored for `wallet` under idempotency key `key`, if any.
    fn batch_answer(&mut self, wallet: &WalletId, key: &[u8]) -> Result<Option<StoredAnswer>, IssuerError>;
    /// Stores `answer` under `key` unless an answer is stored there already (`INSERT … ON
    /// CONFLICT DO NOTHING`); whether this one was stored.
    fn store_batch(
        &mut self,
        wallet: &WalletId,
        key: &[u8],
        hash: &[u8; 32],
        answer: &str,
    ) -> Result<bool, IssuerError>;
}

/// A database settlement can run on.
pub trait Store: Send + Sync {
    /// Runs `f` in one transaction and commits it; runs it again (from a fresh transaction)
    /// when the database reports a serialization failure or a deadlock.
    fn write<T, F>(&self, f: F) -> Result<T, IssuerError>
    where
        F: FnMut(&mut dyn Tx) -> Result<T, IssuerError>;

    /// Runs `f`, which only reads, on a snapshot of committed data, over a connection of its
    /// own: it does not wait for a writer's transaction, nor holds one up. What it returns may
    /// be out of date the moment it returns, so it serves only reads whose answer a writing
    /// transaction checks again, or that stay true once true (crate::settle_verify). A
    /// statement that writes fails. (A SQLite `:memory:` database has only its writer's
    /// connection: there a read waits for the writer, and nothing stops it from writing.)
    fn read<T, F>(&self, f: F) -> Result<T, IssuerError>
    where
        F: FnMut(&mut dyn Tx) -> Result<T, IssuerError>;
}

/// The retry loop shared by the backends: `attempt` runs one transaction from begin to
/// commit; a [`IssuerError::Contended`] from it is retried, anything else returned.
pub(crate) fn with_retries<T>(mut attempt: impl FnMut() -> Result<T, IssuerError>) -> Result<T, IssuerError> {
    let mut tries = 0u32;
    loop {
        tries += 1;
        match attempt() {
            Err(IssuerError::Contended { what }) if tries < MAX_ATTEMPTS => {
                tracing::debug!(tries, %what, "transaction conflicted; retrying");
                std::thread::sleep(pause(tries));
            }
            other => return other,
        }
    }
}

/// The pause after the `tries`-th conflicting run: a random time up to a bound that doubles
/// with each try (1, 2, 4 … ms, at most [`MAX_PAUSE_MS`]), so writers that conflicted do not
/// meet again at once, and many of them spread out the more they conflict.
fn pause(tries: u32) -> std::time::Duration {
    use rand_core::RngCore as _;
    let bound_ms = (1u64 << tries.saturating_sub(1).min(16)).min(MAX_PAUSE_MS);
    let micros = rand_core::OsRng.next_u64() % (bound_ms * 1_000 + 1);
    std::time::Duration::from_micros(micros)
}
