//! The embedded SQLite store: one file, opened once, migrated in one IMMEDIATE transaction.
//!
//! ```text
//!  open(path) ─► pragmas (WAL, synchronous = FULL, foreign keys, busy timeout, cache and
//!               checkpoint interval of decision 0026)
//!            ─► BEGIN IMMEDIATE ─► user_version 0 → init, n < CURRENT → upgrade_from(n)
//!                                   n > CURRENT → SchemaTooNew (the file is left untouched)
//!            ─► COMMIT
//! ```
//!
//! The settlement invariants live in the schema, not only in code: `links.parent` is UNIQUE
//! (one parent → at most one accepted child), `double_spends.conflicting_link` is UNIQUE (a
//! proof is stored once), `nonces` and `batches` have composite primary keys (replay and
//! idempotency), amounts are CHECKed positive. `certificates` keeps every certificate issued
//! (renewals included), so settlement checks a link against the one valid at its time.

use rusqlite::{Connection, TransactionBehavior};

use crate::IssuerError;

/// The schema version this code writes.
pub const CURRENT_VERSION: i64 = 10;

const SCHEMA_V1: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    customer_ref TEXT NOT NULL UNIQUE,
    credential_hash BLOB NOT NULL UNIQUE,
    balance INTEGER NOT NULL,
    initial INTEGER NOT NULL,
    recovered INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE wallets (
    id BLOB PRIMARY KEY,
    account INTEGER NOT NULL REFERENCES accounts(id),
    public_key BLOB NOT NULL,
    suite INTEGER NOT NULL,
    certificate BLOB NOT NULL,
    last_counter INTEGER,
    last_head BLOB,
    rolled_back INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE wallet_heads (
    wallet BLOB NOT NULL REFERENCES wallets(id),
    head BLOB NOT NULL,
    counter INTEGER NOT NULL,
    PRIMARY KEY (wallet, head)
);
CREATE TABLE revocations (
    seq INTEGER PRIMARY KEY,
    wallet BLOB NOT NULL UNIQUE,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE notes (
    id BLOB PRIMARY KEY,
    owner BLOB NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    expires_at INTEGER NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('genesis', 'link', 'guarantee')),
    state TEXT NOT NULL CHECK (state IN ('live', 'spent', 'deposited', 'refreshed', 'expired_returned'))
);
CREATE INDEX notes_state ON notes(state, expires_at);
CREATE TABLE links (
    id BLOB PRIMARY KEY,
    parent BLOB NOT NULL UNIQUE,
    signer BLOB NOT NULL,
    bytes BLOB NOT NULL,
    settled_at INTEGER NOT NULL
);
CREATE TABLE double_spends (
    id INTEGER PRIMARY KEY,
    parent BLOB NOT NULL,
    signer BLOB NOT NULL,
    accepted_link BLOB,
    accepted_bytes BLOB,
    conflicting_link BLOB NOT NULL UNIQUE,
    conflicting_bytes BLOB NOT NULL,
    guaranteed INTEGER NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE nonces (
    wallet BLOB NOT NULL,
    nonce BLOB NOT NULL,
    ts INTEGER NOT NULL,
    PRIMARY KEY (wallet, nonce)
);
CREATE TABLE batches (
    wallet BLOB NOT NULL,
    batch_id BLOB NOT NULL,
    request_hash BLOB NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (wallet, batch_id)
);
CREATE TABLE ledger (
    id INTEGER PRIMARY KEY,
    account INTEGER NOT NULL REFERENCES accounts(id),
    delta INTEGER NOT NULL,
    kind TEXT NOT NULL,
    reference BLOB,
    at INTEGER NOT NULL
);
";

/// v3: losses paid once and limits across operations.
/// - `accounts.revoked_at`: an account whose wallet double spent is revoked as a whole (no new
///   wallet, no funding) until an administrator reinstates it.
/// - `guarantees`: one row per (parent note, payee account) the double-spend guarantee paid;
///   the primary key is the rule "paid once".
/// - `double_spends.recovered`: what the cheater's account actually paid back (the rest of
///   `guaranteed` is the issuer's loss).
/// - `links.counter` (filled from the stored link bytes) and `counter_reuses`: two recorded
///   links of one wallet with the same spend counter are evidence of a rolled-back wallet.
const SCHEMA_V3: &str = "
ALTER TABLE accounts ADD COLUMN revoked_at INTEGER;
ALTER TABLE double_spends ADD COLUMN recovered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN counter INTEGER;
CREATE INDEX links_signer_counter ON links(signer, counter);
CREATE TABLE guarantees (
    parent BLOB NOT NULL,
    account INTEGER NOT NULL REFERENCES accounts(id),
    link BLOB NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    at INTEGER NOT NULL,
    PRIMARY KEY (parent, account)
);
CREATE TABLE counter_reuses (
    id INTEGER PRIMARY KEY,
    wallet BLOB NOT NULL,
    counter INTEGER NOT NULL,
    first_link BLOB NOT NULL,
    second_link BLOB NOT NULL UNIQUE,
    second_bytes BLOB NOT NULL,
    reported INTEGER NOT NULL DEFAULT 0,
    at INTEGER NOT NULL
);
";

fn upgrade_v2_to_v3(tx: &Connection) -> Result<(), IssuerError> {
    tx.execute_batch(SCHEMA_V3)?;
    // Links recorded before v3 get their counter from their own signed bytes.
    let rows: Vec<(Vec<u8>, Vec<u8>)> = {
        let mut stmt = tx.prepare("SELECT id, bytes FROM links")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (id, bytes) in rows {
        let link = offline_cash_core::token::SpendLink::from_bytes(&bytes)
            .map_err(|e| IssuerError::Internal { what: format!("stored link does not decode: {e}") })?;
        let counter = crate::issuer::to_i64(link.body().counter)?;
        tx.execute("UPDATE links SET counter = ?1 WHERE id = ?2", rusqlite::params![counter, id])?;
    }
    Ok(())
}

/// Version 4 → 5: the certificate history (`wallets.certificate` stays the latest one).
const UPGRADE_V4_TO_V5: &str = "
CREATE TABLE certificates (
    wallet BLOB NOT NULL REFERENCES wallets(id),
    certificate BLOB NOT NULL,
    PRIMARY KEY (wallet, certificate)
);
INSERT INTO certificates (wallet, certificate) SELECT id, certificate FROM wallets;
";

/// Page cache of each connection, in KiB (decision 0026): the indexes on random keys (note
/// and link ids, parents) of an issuer with a history are read at random by every batch.
pub const CACHE_KIB: i64 = 64 * 1024;

/// WAL pages (4 KiB) written before the committing connection copies them into the file
/// (SQLite's default is 1,000; decision 0026).
pub const WAL_CHECKPOINT_PAGES: i64 = 10_000;

/// Sets a connection's page cache to [`CACHE_KIB`].
pub fn set_cache(conn: &Connection) -> Result<(), IssuerError> {
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    Ok(())
}

/// v9, besides the live notes by owner (crate::store::notes::LIVE_OWNER_INDEX), two indexes
/// the PostgreSQL schema had from its step 4 (decision 0026):
/// - `nonces_ts`: the sweep of expired nonces read the whole table, which holds every nonce
///   of the last `2 × auth_window_secs`, once every 16 signed requests;
/// - `ledger_reference`: a link spending a deposited note looks up the note's `lost_return`
///   entry, and read the whole ledger for it.
const SCHEMA_V9: &str = "
CREATE INDEX nonces_ts ON nonces (ts);
CREATE INDEX ledger_reference ON ledger (reference);
";

/// Opens (creating on first start) and migrates the database at `path`.
pub fn open(path: &std::path::Path) -> Result<Connection, IssuerError> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit the issuer answered survives a power loss (docs/decisions/0008).
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    set_cache(&conn)?;
    // Checkpoint every WAL_CHECKPOINT_PAGES (decision 0026): a page written by several
    // batches between two checkpoints is copied into the file once.
    conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)?;
    // Settlement's statements, the set-wise ones (crate::store::link_sets) in several lengths
    // each, stay prepared: rusqlite keeps 16 by default, and a multi-row statement costs more to
    // parse than to run.
    conn.set_prepared_statement_cache_capacity(256);
    migrate(&mut conn)?;
    Ok(conn)
}

/// Applies the steps from version `found` up to `target`, one after the other (a fresh file
/// runs every step, so an upgraded file and a fresh one end equal).
fn upgrade(tx: &Connection, found: i64, target: i64) -> Result<(), IssuerError> {
    if found == 0 {
        tx.execute_batch(SCHEMA_V1)?;
    }
    if found < 2 && target >= 2 {
        // v2: the log length each wallet last reported (rollback vs. fork detection).
        tx.execute_batch("ALTER TABLE wallets ADD COLUMN last_len INTEGER;")?;
    }
    if found < 3 && target >= 3 {
        upgrade_v2_to_v3(tx)?;
    }
    if found < 4 && target >= 4 {
        // v4: issuer keys after the first, each with the rotation (signed by the key before it)
        // that introduced it. The highest key_id signs new objects.
        tx.execute_batch(
            "CREATE TABLE issuer_key_rotations (
                key_id INTEGER PRIMARY KEY,
                scalar BLOB NOT NULL,
                rotation BLOB NOT NULL,
                created_at INTEGER NOT NULL
            );",
        )?;
    }
    if found < 5 && target >= 5 {
        // v5: every certificate issued, not only the latest per wallet: a renewal must not
        // strand the links a wallet signed under its earlier certificates.
        tx.execute_batch(UPGRADE_V4_TO_V5)?;
    }
    if found < 6 && target >= 6 {
        // v6: wallets reported lost, and when their value returns to the account.
        tx.execute_batch(crate::lost::SCHEMA_V6)?;
    }
    if found < 7 && target >= 7 {
        // v7: the digest of each genesis note's bytes as signed, so settlement recognises its
        // own notes without verifying its signature again (NULL: verified as before).
        tx.execute_batch("ALTER TABLE notes ADD COLUMN genesis_digest BLOB;")?;
    }
    if found < 8 && target >= 8 {
        // v8: the tier each wallet was registered at, and open attestation challenges.
        tx.execute_batch(crate::tier_attestation::SCHEMA_V8)?;
    }
    if found < 9 && target >= 9 {
        // v9: indexes that PostgreSQL had and SQLite lacked (decision 0026).
        tx.execute_batch(crate::store::notes::LIVE_OWNER_INDEX)?;
        tx.execute_batch(SCHEMA_V9)?;
    }
    if found < 10 && target >= 10 {
        // v10: the live notes by expiry in place of every note by state (decision 0028).
        tx.execute_batch(crate::store::notes::LIVE_EXPIRY_INDEX)?;
    }
    // Future: `if found < 11 && target >= 11 { … }` and so on.
    Ok(())
}

/// Brings the schema to [`CURRENT_VERSION`] in one IMMEDIATE transaction.
pub fn migrate(conn: &mut Connection) -> Result<(), IssuerError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > CURRENT_VERSION {
        return Err(IssuerError::SchemaTooNew { found, supported: CURRENT_VERSION });
    }
    upgrade(&tx, found, CURRENT_VERSION)?;
    tx.pragma_update(None, "user_version", CURRENT_VERSION)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use offline_cash_core::crypto::{Signer as _, SoftwareSigner, Suite};
    use offline_cash_core::token::{LinkBody, NoteId, Output, SpendLink, WalletId, wallet_id};
    use rusqlite::params;

    use super::*;

    /// Every table, index and column, as SQLite reports them.
    fn schema(conn: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        let mut stmt = conn.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?)))
            .unwrap();
        for row in rows {
            let (kind, name, sql) = row.unwrap();
            out.push(format!("{kind} {name}: {}", sql.unwrap_or_default()));
            if kind == "table" {
                let mut cols = conn.prepare(&format!("PRAGMA table_info({name})")).unwrap();
                let cols = cols
                    .query_map([], |r| {
                        Ok(format!(
                            "  {} {} notnull={} default={:?} pk={}",
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, Option<String>>(4)?,
                            r.get::<_, i64>(5)?
                        ))
                    })
                    .unwrap();
                out.extend(cols.map(Result::unwrap));
            }
        }
        out
    }

    /// Decision 0008: every commit is synced before it is answered, in WAL mode.
    #[test]
    fn the_file_is_opened_durable_in_wal_mode() {
        let dir = std::env::temp_dir().join(format!("oc-issuer-db-durable-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("issuer.db");
        let _ = std::fs::remove_file(&path);
        let conn = open(&path).unwrap();
        let synchronous: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        let journal: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(synchronous, 2, "synchronous = FULL");
        assert_eq!(journal, "wal");
        let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap();
        let checkpoint: i64 = conn.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)).unwrap();
        assert_eq!((cache, checkpoint), (-CACHE_KIB, WAL_CHECKPOINT_PAGES), "decision 0026");
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// What SQLite would do for `sql` (one bytes parameter per `$n`), step by step.
    fn plan(sql: &str, params: usize) -> Vec<String> {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let args: Vec<Vec<u8>> = vec![b"x".to_vec(); params];
        stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Decision 0026: statements whose tables grow with the issuer's life search an index
    /// for the rows they need instead of reading the table. The holding limit of a funding
    /// (every live note of the issuer before), the nonce sweep (every nonce of the window) and
    /// the `lost_return` entry of a deposited note (the whole ledger).
    #[test]
    fn statements_on_growing_tables_search_an_index() {
        assert_eq!(
            plan(crate::store::notes::HELD_LIVE_SQL, 1),
            vec!["SEARCH notes USING INDEX notes_live_owner (owner=?)"]
        );
        let expired = plan(crate::store::notes::EXPIRED_LIVE_SQL, 1);
        assert_eq!(
            expired,
            vec![
                "SEARCH n USING INDEX notes_live_expiry (expires_at<?)",
                "SEARCH w USING COVERING INDEX sqlite_autoindex_wallets_1 (id=?)"
            ]
        );
        assert_eq!(
            plan(crate::store::nonces::FORGET_NONCES_SQL, 1),
            vec!["SEARCH nonces USING INDEX nonces_ts (ts<?)"]
        );
        let lost = plan(crate::store::accounts::LOST_RETURN_SQL, 1);
        assert!(!lost.iter().any(|step| step.starts_with("SCAN")), "{lost:?}");
        assert_eq!(
            lost.iter().filter(|s| s.contains("USING INDEX ledger_reference (reference=?)")).count(),
            2,
            "{lost:?}"
        );
    }

    #[test]
    fn a_v2_file_upgraded_equals_a_fresh_one_and_its_links_get_their_counters() {
        let mut fresh = Connection::open_in_memory().unwrap();
        migrate(&mut fresh).unwrap();

        let mut old = Connection::open_in_memory().unwrap();
        {
            let tx = old.transaction().unwrap();
            upgrade(&tx, 0, 2).unwrap();
            tx.pragma_update(None, "user_version", 2).unwrap();
            tx.commit().unwrap();
        }
        // A link recorded by a v2 issuer.
        let signer = SoftwareSigner::generate(Suite::EcdsaP256).unwrap();
        let me = wallet_id(&signer.public_key());
        let link = SpendLink::sign(
            LinkBody {
                parent: NoteId([1; 32]),
                outputs: vec![Output { owner: WalletId([2; 32]), amount: 5 }],
                counter: 41,
                payee_nonce: [0; 16],
                time: 1,
            },
            &signer,
        )
        .unwrap();
        old.execute(
            "INSERT INTO links (id, parent, signer, bytes, settled_at) VALUES (?1, ?2, ?3, ?4, 1)",
            params![&link.id().0[..], &[1u8; 32][..], &me.0[..], link.to_bytes()],
        )
        .unwrap();
        migrate(&mut old).unwrap();

        assert_eq!(schema(&old), schema(&fresh));
        let version: i64 = old.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, CURRENT_VERSION);
        let counter: i64 = old.query_row("SELECT counter FROM links", [], |r| r.get(0)).unwrap();
        assert_eq!(counter, 41, "the counter is read from the stored link");
    }

    /// Every route to the latest version (a file of version 1, 2, 3 or 4) ends in the fresh schema.
    #[test]
    fn a_file_of_every_older_version_upgrades_to_the_fresh_schema() {
        let mut fresh = Connection::open_in_memory().unwrap();
        migrate(&mut fresh).unwrap();
        for version in 1..CURRENT_VERSION {
            let mut old = Connection::open_in_memory().unwrap();
            {
                let tx = old.transaction().unwrap();
                upgrade(&tx, 0, version).unwrap();
                tx.pragma_update(None, "user_version", version).unwrap();
                tx.commit().unwrap();
            }
            migrate(&mut old).unwrap();
            assert_eq!(schema(&old), schema(&fresh), "upgraded from version {version}");
        }
    }

    #[test]
    fn upgrading_v4_keeps_each_wallets_certificate_in_the_history() {
        let mut conn = Connection::open_in_memory().unwrap();
        {
            let tx = conn.transaction().unwrap();
            upgrade(&tx, 0, 4).unwrap();
            tx.pragma_update(None, "user_version", 4).unwrap();
            tx.commit().unwrap();
        }
        conn.execute(
            "INSERT INTO accounts (customer_ref, credential_hash, balance, initial) VALUES ('a', x'01', 0, 0)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO wallets (id, account, public_key, suite, certificate) VALUES (x'aa', 1, x'02', 1, x'c0ffee')",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let rows: Vec<(Vec<u8>, Vec<u8>)> = conn
            .prepare("SELECT wallet, certificate FROM certificates")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows, vec![(vec![0xaa], vec![0xc0, 0xff, 0xee])]);
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, CURRENT_VERSION);
    }
}
