//! The embedded SQLite store: one file, opened once, migrated in one IMMEDIATE transaction.
//!
//! ```text
//!  open(path) ─► pragmas (WAL, foreign keys, busy timeout)
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
pub const CURRENT_VERSION: i64 = 3;

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

/// Version 2 → 3: the certificate history (`wallets.certificate` stays the latest one).
const UPGRADE_V2_TO_V3: &str = "
CREATE TABLE certificates (
    wallet BLOB NOT NULL REFERENCES wallets(id),
    certificate BLOB NOT NULL,
    PRIMARY KEY (wallet, certificate)
);
INSERT INTO certificates (wallet, certificate) SELECT id, certificate FROM wallets;
";

/// Opens (creating on first start) and migrates the database at `path`.
pub fn open(path: &std::path::Path) -> Result<Connection, IssuerError> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Brings the schema to [`CURRENT_VERSION`] in one IMMEDIATE transaction.
pub fn migrate(conn: &mut Connection) -> Result<(), IssuerError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > CURRENT_VERSION {
        return Err(IssuerError::SchemaTooNew { found, supported: CURRENT_VERSION });
    }
    if found == 0 {
        tx.execute_batch(SCHEMA_V1)?;
    }
    if found < 2 {
        // v2: the log length each wallet last reported (rollback vs. fork detection).
        tx.execute_batch("ALTER TABLE wallets ADD COLUMN last_len INTEGER;")?;
    }
    if found < 3 {
        // v3: every certificate issued, not only the latest per wallet: a renewal must not
        // strand the links a wallet signed under its earlier certificates.
        tx.execute_batch(UPGRADE_V2_TO_V3)?;
    }
    // Future: `if found < 4 { … }` and so on, step by step.
    tx.pragma_update(None, "user_version", CURRENT_VERSION)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn upgrading_v2_keeps_each_wallets_certificate_in_the_history() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA_V1).unwrap();
        conn.execute_batch("ALTER TABLE wallets ADD COLUMN last_len INTEGER;").unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
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
