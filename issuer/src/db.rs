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
//! idempotency), amounts are CHECKed positive.

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
        // v3: issuer keys after the first, each with the rotation (signed by the key before it)
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
    // Future: `if found < 4 { upgrade_v3_to_v4(&tx)? }` and so on, step by step.
    tx.pragma_update(None, "user_version", CURRENT_VERSION)?;
    tx.commit()?;
    Ok(())
}
