//! The PostgreSQL backend of [`crate::store`] (feature `postgres`): every transaction
//! SERIALIZABLE, retried on SQLSTATE 40001 (serialization failure) and 40P01 (deadlock).
//!
//! ```text
//!  connect(url) ─► CREATE TABLE IF NOT EXISTS oc_schema ─► SERIALIZABLE: version v < CURRENT
//!               ─► step v+1, …, CURRENT (each one statement batch) ─► version = CURRENT ─► COMMIT
//! ```
//!
//! Several issuer nodes may start at once over one database: the migration runs in one
//! serializable transaction that updates the `oc_schema` row, so one node migrates and the
//! others retry and find the schema current.
//!
//! The revocation sequence comes from the one-row `revocation_counter`, incremented by the
//! revoking transaction only (`UPDATE … RETURNING`): the row lock orders revokers by commit,
//! so a sequence committed later is never smaller (an identity column would hand out numbers
//! in begin order, and a wallet could skip one committed late). Revocations are rare (a double
//! spend, a lost phone); the settlement of ordinary links never writes that row.
//!
//! Only what this module stores lives in PostgreSQL so far: the link and revocation
//! aggregates and the stored batch answers. The rest of the issuer (accounts, notes, nonces)
//! is still on SQLite.

use offline_cash_core::token::WalletId;
use parking_lot::Mutex;
use postgres::error::SqlState;
use postgres::{Client, IsolationLevel, NoTls, Transaction};

use super::{LinkRow, Recorded, RevocationReason, Store, StoredAnswer, StoredLink, Tx, with_retries};
use crate::IssuerError;

/// The schema version this code writes.
pub const CURRENT_VERSION: i64 = 3;

/// Step 1: the links (one per parent) and the revocations with their counter.
const STEP_1: &str = "
CREATE TABLE links (
    id BYTEA PRIMARY KEY,
    parent BYTEA NOT NULL UNIQUE,
    signer BYTEA NOT NULL,
    bytes BYTEA NOT NULL,
    settled_at BIGINT NOT NULL
);
CREATE TABLE revocations (
    seq BIGINT PRIMARY KEY,
    wallet BYTEA NOT NULL UNIQUE,
    reason TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE TABLE revocation_counter (
    id INT PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO revocation_counter (id, n) VALUES (1, 0);
";

/// Step 2: each link's spend counter, to find a wallet that signed two links with one counter.
const STEP_2: &str = "
ALTER TABLE links ADD COLUMN counter BIGINT;
CREATE INDEX links_signer_counter ON links (signer, counter);
";

/// Step 3: the answers stored under idempotency keys (a batch resent to any node gets the
/// first answer).
const STEP_3: &str = "
CREATE TABLE batches (
    wallet BYTEA NOT NULL,
    batch_id BYTEA NOT NULL,
    request_hash BYTEA NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (wallet, batch_id)
);
";

/// The steps in order: `STEPS[i]` takes version `i` to `i + 1`.
const STEPS: [&str; 3] = [STEP_1, STEP_2, STEP_3];

/// A serialization failure or a deadlock is a contention (retried by [`with_retries`]).
pub(crate) fn pg(e: postgres::Error) -> IssuerError {
    match e.code() {
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED => {
            IssuerError::Contended { what: e.to_string() }
        }
        _ => IssuerError::Postgres(e),
    }
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// The operations on an open PostgreSQL transaction.
pub struct PgTx<'t, 'c>(pub &'t mut Transaction<'c>);

impl Tx for PgTx<'_, '_> {
    fn record_link(&mut self, link: &LinkRow<'_>) -> Result<Recorded, IssuerError> {
        let inserted = self
            .0
            .query_opt(
                "INSERT INTO links (id, parent, signer, bytes, settled_at, counter) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT DO NOTHING RETURNING id",
                &[&&link.id[..], &&link.parent[..], &&link.signer[..], &link.bytes, &link.settled_at, &link.counter],
            )
            .map_err(pg)?;
        if inserted.is_some() {
            return Ok(Recorded::New);
        }
        super::sqlite::after_conflict(link, self.link_by_parent(link.parent)?)
    }

    fn link_by_parent(&mut self, parent: &[u8; 32]) -> Result<Option<StoredLink>, IssuerError> {
        let row = self.0.query_opt("SELECT id, bytes FROM links WHERE parent = $1", &[&&parent[..]]).map_err(pg)?;
        row.map(|r| Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?))).transpose()
    }

    fn revoke(&mut self, wallet: &WalletId, reason: RevocationReason, at: i64) -> Result<Option<u64>, IssuerError> {
        let known = self.0.query_opt("SELECT 1 FROM revocations WHERE wallet = $1", &[&&wallet.0[..]]).map_err(pg)?;
        if known.is_some() {
            return Ok(None);
        }
        let seq: i64 = self
            .0
            .query_one("UPDATE revocation_counter SET n = n + 1 WHERE id = 1 RETURNING n", &[])
            .map_err(pg)?
            .try_get(0)
            .map_err(pg)?;
        self.0
            .execute(
                "INSERT INTO revocations (seq, wallet, reason, at) VALUES ($1, $2, $3, $4)",
                &[&seq, &&wallet.0[..], &reason.name(), &at],
            )
            .map_err(pg)?;
        Ok(Some(to_u64(seq)))
    }

    fn revocation_sequence(&mut self) -> Result<u64, IssuerError> {
        let n: i64 = self
            .0
            .query_one("SELECT n FROM revocation_counter WHERE id = 1", &[])
            .map_err(pg)?
            .try_get(0)
            .map_err(pg)?;
        Ok(to_u64(n))
    }

    fn revocations(&mut self) -> Result<Vec<(u64, Vec<u8>)>, IssuerError> {
        let rows = self.0.query("SELECT seq, wallet FROM revocations ORDER BY seq", &[]).map_err(pg)?;
        rows.iter().map(|r| Ok((to_u64(r.try_get(0).map_err(pg)?), r.try_get(1).map_err(pg)?))).collect()
    }

    fn batch_answer(&mut self, wallet: &WalletId, key: &[u8]) -> Result<Option<StoredAnswer>, IssuerError> {
        let row = self
            .0
            .query_opt(
                "SELECT request_hash, response FROM batches WHERE wallet = $1 AND batch_id = $2",
                &[&&wallet.0[..], &key],
            )
            .map_err(pg)?;
        row.map(|r| Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?))).transpose()
    }

    fn store_batch(
        &mut self,
        wallet: &WalletId,
        key: &[u8],
        hash: &[u8; 32],
        answer: &str,
    ) -> Result<bool, IssuerError> {
        let stored = self
            .0
            .execute(
                "INSERT INTO batches (wallet, batch_id, request_hash, response) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&&wallet.0[..], &key, &&hash[..], &answer],
            )
            .map_err(pg)?;
        Ok(stored > 0)
    }
}

/// A PostgreSQL database as a [`Store`]: one connection per store (one per issuer node).
pub struct PgStore {
    client: Mutex<Client>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and migrates to [`CURRENT_VERSION`].
    pub fn connect(url: &str) -> Result<Self, IssuerError> {
        let config: postgres::Config = url.parse().map_err(pg)?;
        Self::with_config(&config)
    }

    /// Connects with `config` and migrates to [`CURRENT_VERSION`].
    pub fn with_config(config: &postgres::Config) -> Result<Self, IssuerError> {
        let mut client = config.connect(NoTls).map_err(pg)?;
        migrate(&mut client, CURRENT_VERSION)?;
        Ok(PgStore { client: Mutex::new(client) })
    }
}

/// Brings the schema from whatever version it has up to `target`, one step after the other
/// (a fresh database runs every step, so an upgraded one and a fresh one end equal).
pub fn migrate(client: &mut Client, target: i64) -> Result<(), IssuerError> {
    with_retries(|| {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS oc_schema (id INT PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
                 INSERT INTO oc_schema (id, version) VALUES (1, 0) ON CONFLICT DO NOTHING;",
            )
            .map_err(|e| match e.code() {
                // Two nodes creating the table at the same moment: the loser retries.
                Some(c) if *c == SqlState::UNIQUE_VIOLATION => IssuerError::Contended { what: e.to_string() },
                _ => pg(e),
            })?;
        let mut tx = client.build_transaction().isolation_level(IsolationLevel::Serializable).start().map_err(pg)?;
        let found: i64 = tx
            .query_one("SELECT version FROM oc_schema WHERE id = 1 FOR UPDATE", &[])
            .map_err(pg)?
            .try_get(0)
            .map_err(pg)?;
        let supported = i64::try_from(STEPS.len()).unwrap_or(i64::MAX);
        if found > supported {
            return Err(IssuerError::SchemaTooNew { found, supported });
        }
        for (version, step) in (1..).zip(STEPS) {
            if found < version && version <= target {
                tx.batch_execute(step).map_err(pg)?;
            }
        }
        if target > found {
            tx.execute("UPDATE oc_schema SET version = $1 WHERE id = 1", &[&target]).map_err(pg)?;
        }
        tx.commit().map_err(pg)
    })
}

impl Store for PgStore {
    fn write<T, F>(&self, mut f: F) -> Result<T, IssuerError>
    where
        F: FnMut(&mut dyn Tx) -> Result<T, IssuerError>,
    {
        with_retries(|| {
            let mut client = self.client.lock();
            let mut tx =
                client.build_transaction().isolation_level(IsolationLevel::Serializable).start().map_err(pg)?;
            let value = f(&mut PgTx(&mut tx))?;
            tx.commit().map_err(pg)?;
            Ok(value)
        })
    }
}

impl std::fmt::Debug for PgTx<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTx").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}
