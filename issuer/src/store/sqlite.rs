//! The SQLite backend of [`crate::store`]: the issuer's own file (schema in [`crate::db`]).
//!
//! One writer at a time (`BEGIN IMMEDIATE`), so commit order is sequence order and the
//! revocation sequence is the table's rowid (`seq INTEGER PRIMARY KEY`, assigned on insert).
//! Another process holding the file past the busy timeout is a contention, retried.

use offline_cash_core::token::WalletId;
use parking_lot::Mutex;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OptionalExtension as _, TransactionBehavior, params};

use super::value::sqlite_dialect;
use super::{LinkRow, Recorded, RevocationReason, Row, Store, StoredAnswer, StoredLink, Tx, Value, with_retries};
use crate::IssuerError;

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Bytes(b) => ValueRef::Blob(b),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
        }))
    }
}

fn column(v: ValueRef<'_>) -> Result<Value, IssuerError> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Real(_) => return Err(IssuerError::Internal { what: "a REAL column in the issuer's file".into() }),
    })
}

/// The operations on an open SQLite transaction (or connection).
pub struct SqliteTx<'c>(pub &'c Connection);

/// A busy or locked file is a contention (retried); everything else stays what it is.
fn busy_to_contended(e: IssuerError) -> IssuerError {
    match e {
        IssuerError::Storage(rusqlite::Error::SqliteFailure(f, what))
            if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
        {
            IssuerError::Contended { what: what.unwrap_or_else(|| f.to_string()) }
        }
        other => other,
    }
}

impl Tx for SqliteTx<'_> {
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, IssuerError> {
        let mut stmt = self.0.prepare_cached(&sqlite_dialect(sql))?;
        let changed = stmt.execute(rusqlite::params_from_iter(args))?;
        Ok(u64::try_from(changed).unwrap_or(u64::MAX))
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, IssuerError> {
        let mut stmt = self.0.prepare_cached(&sqlite_dialect(sql))?;
        let n = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(Row((0..n).map(|i| column(r.get_ref(i)?)).collect::<Result<_, IssuerError>>()?));
        }
        Ok(out)
    }

    fn record_link(&mut self, link: &LinkRow<'_>) -> Result<Recorded, IssuerError> {
        let inserted: Option<Vec<u8>> = self
            .0
            .query_row(
                "INSERT INTO links (id, parent, signer, bytes, settled_at, counter) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT DO NOTHING RETURNING id",
                params![&link.id[..], &link.parent[..], &link.signer[..], link.bytes, link.settled_at, link.counter],
                |r| r.get(0),
            )
            .optional()?;
        if inserted.is_some() {
            return Ok(Recorded::New);
        }
        after_conflict(link, self.link_by_parent(link.parent)?)
    }

    fn link_by_parent(&mut self, parent: &[u8; 32]) -> Result<Option<StoredLink>, IssuerError> {
        Ok(self
            .0
            .query_row("SELECT id, bytes FROM links WHERE parent = ?1", [&parent[..]], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn revoke(&mut self, wallet: &WalletId, reason: RevocationReason, at: i64) -> Result<Option<u64>, IssuerError> {
        let seq: Option<i64> = self
            .0
            .query_row(
                "INSERT INTO revocations (wallet, reason, at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING RETURNING seq",
                params![&wallet.0[..], reason.name(), at],
                |r| r.get(0),
            )
            .optional()?;
        Ok(seq.map(|s| u64::try_from(s).unwrap_or(0)))
    }

    fn revocation_sequence(&mut self) -> Result<u64, IssuerError> {
        let seq: i64 = self.0.query_row("SELECT COALESCE(MAX(seq), 0) FROM revocations", [], |r| r.get(0))?;
        Ok(u64::try_from(seq).unwrap_or(0))
    }

    fn revocations(&mut self) -> Result<Vec<(u64, Vec<u8>)>, IssuerError> {
        let mut stmt = self.0.prepare("SELECT seq, wallet FROM revocations ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0), r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn batch_answer(&mut self, wallet: &WalletId, key: &[u8]) -> Result<Option<StoredAnswer>, IssuerError> {
        Ok(self
            .0
            .query_row(
                "SELECT request_hash, response FROM batches WHERE wallet = ?1 AND batch_id = ?2",
                params![&wallet.0[..], key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    fn store_batch(
        &mut self,
        wallet: &WalletId,
        key: &[u8],
        hash: &[u8; 32],
        answer: &str,
    ) -> Result<bool, IssuerError> {
        let stored = self.0.execute(
            "INSERT INTO batches (wallet, batch_id, request_hash, response) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
            params![&wallet.0[..], key, &hash[..], answer],
        )?;
        Ok(stored > 0)
    }
}

/// After `INSERT … ON CONFLICT DO NOTHING` inserted nothing: the same link again, or another
/// one that spent the parent first.
pub(crate) fn after_conflict(link: &LinkRow<'_>, holder: Option<StoredLink>) -> Result<Recorded, IssuerError> {
    match holder {
        Some((id, _)) if id == link.id[..] => Ok(Recorded::Duplicate),
        Some((id, bytes)) => Ok(Recorded::ParentTaken { id, bytes }),
        // A link id is the hash of its body, parent included: the same id never has another parent.
        None => Err(IssuerError::Internal { what: "a link conflicted but no link holds its parent".into() }),
    }
}

/// An issuer database file as a [`Store`].
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// A second connection for [`Store::read`]: in WAL mode a reader sees the last commit
    /// and neither waits for the writer nor blocks it. `None` for a database that a second
    /// connection does not share (`:memory:`): reads then run on `conn`.
    reader: Option<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating and migrating) the file at `path` ([`crate::db::open`]).
    pub fn open(path: &std::path::Path) -> Result<Self, IssuerError> {
        let conn = crate::db::open(path)?;
        let reader = Connection::open(path)?;
        reader.busy_timeout(std::time::Duration::from_secs(10))?;
        reader.pragma_update(None, "query_only", true)?;
        crate::db::set_cache(&reader)?;
        reader.set_prepared_statement_cache_capacity(64);
        // An in-memory database opened twice is two databases: the second is empty, not
        // migrated.
        let version = |c: &Connection| c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0));
        let shared = version(&reader)? == version(&conn)?;
        Ok(SqliteStore { conn: Mutex::new(conn), reader: shared.then(|| Mutex::new(reader)) })
    }
}

impl Store for SqliteStore {
    fn write<T, F>(&self, mut f: F) -> Result<T, IssuerError>
    where
        F: FnMut(&mut dyn Tx) -> Result<T, IssuerError>,
    {
        run(&self.conn, TransactionBehavior::Immediate, &mut f)
    }

    fn read<T, F>(&self, mut f: F) -> Result<T, IssuerError>
    where
        F: FnMut(&mut dyn Tx) -> Result<T, IssuerError>,
    {
        match &self.reader {
            Some(reader) => run(reader, TransactionBehavior::Deferred, &mut f),
            None => self.write(f),
        }
    }
}

/// One transaction on `conn`, begun as `behavior` (IMMEDIATE to write, DEFERRED to read) and
/// run again while the file is busy.
fn run<T, F>(conn: &Mutex<Connection>, behavior: TransactionBehavior, f: &mut F) -> Result<T, IssuerError>
where
    F: FnMut(&mut dyn Tx) -> Result<T, IssuerError>,
{
    with_retries(|| {
        let mut conn = conn.lock();
        let attempt = (|| {
            let tx = conn.transaction_with_behavior(behavior)?;
            let value = f(&mut SqliteTx(&tx))?;
            tx.commit()?;
            Ok(value)
        })();
        attempt.map_err(busy_to_contended)
    })
}

impl std::fmt::Debug for SqliteTx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteTx").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}
