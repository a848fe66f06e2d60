//! The schema, its version and its migrations.
//!
//! ```text
//!  open ─► pragmas ─► BEGIN IMMEDIATE ─► user_version = 0 and empty? ─► create latest ─┐
//!                                     └► 0 < v < CURRENT ─► upgrade_from(v), v+1, …  ─┼► COMMIT
//!                                     └► v > CURRENT ─► TooNew (nothing written)     ─┘
//! ```
//!
//! A fresh database is created directly at the latest version ([`CREATE_LATEST`]); an older
//! one is upgraded one step at a time. A test builds a version-1 database from [`SCHEMA_V1`],
//! upgrades it and compares every table, column and index with a fresh one.

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior};

use super::StoreError;

/// The schema version this code writes.
pub const CURRENT_VERSION: u32 = 8;

/// `PRAGMA application_id` of a wallet database ("OCW1"), so a foreign SQLite file is refused.
pub const APPLICATION_ID: i32 = 0x4F43_5731;

/// The schema as first shipped (version 1). Kept verbatim for the migration test.
pub(crate) const SCHEMA_V1: &str = r#"
CREATE TABLE wallet (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    suite INTEGER NOT NULL,
    public_key BLOB NOT NULL,
    wrapped_secret BLOB,
    hardware_key_ref TEXT,
    certificate BLOB,
    cert_not_before INTEGER, cert_not_after INTEGER,
    cert_per_payment INTEGER, cert_holding INTEGER,
    policy BLOB, policy_sequence INTEGER,
    policy_per_payment INTEGER, policy_holding INTEGER, policy_max_offline_payments INTEGER,
    revocation_list BLOB, revocation_sequence INTEGER,
    CHECK ((wrapped_secret IS NULL) <> (hardware_key_ref IS NULL))
) STRICT;
CREATE TABLE state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    spend_counter INTEGER NOT NULL,
    spendable INTEGER NOT NULL CHECK (spendable >= 0),
    pending INTEGER NOT NULL CHECK (pending >= 0),
    sent INTEGER NOT NULL CHECK (sent >= 0),
    funded INTEGER NOT NULL CHECK (funded >= 0),
    received INTEGER NOT NULL CHECK (received >= 0),
    offline_payments INTEGER NOT NULL,
    last_sync_at INTEGER NOT NULL,
    log_len INTEGER NOT NULL,
    log_head BLOB NOT NULL
) STRICT;
INSERT INTO state VALUES (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, zeroblob(32));
CREATE TABLE issuer_keys (key_id INTEGER PRIMARY KEY, key BLOB NOT NULL) STRICT;
CREATE TABLE peer_certificates (wallet_id BLOB PRIMARY KEY, certificate BLOB NOT NULL, first_seen INTEGER NOT NULL) STRICT;
CREATE TABLE spends (
    id INTEGER PRIMARY KEY,
    payment_hash BLOB NOT NULL UNIQUE,
    payee BLOB NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    change INTEGER NOT NULL CHECK (change >= 0),
    counter INTEGER NOT NULL UNIQUE,
    payment BLOB NOT NULL,
    receipt BLOB,
    state TEXT NOT NULL CHECK (state IN ('pending', 'complete')),
    created_at INTEGER NOT NULL,
    completed_at INTEGER
) STRICT;
CREATE INDEX spends_pending ON spends(id) WHERE state = 'pending';
CREATE TABLE incoming (
    id INTEGER PRIMARY KEY,
    payment_hash BLOB NOT NULL UNIQUE,
    payer BLOB NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    receipt BLOB NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;
CREATE TABLE notes (
    note_id BLOB PRIMARY KEY,
    amount INTEGER NOT NULL CHECK (amount > 0),
    depth INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('unspent', 'pending', 'spent')),
    chain BLOB NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('funded', 'received', 'change')),
    spend_id INTEGER REFERENCES spends(id),
    incoming_id INTEGER REFERENCES incoming(id),
    added_at INTEGER NOT NULL,
    CHECK ((state = 'unspent') = (spend_id IS NULL))
) STRICT, WITHOUT ROWID;
CREATE INDEX notes_unspent ON notes(amount, depth) WHERE state = 'unspent';
CREATE INDEX notes_spend ON notes(spend_id) WHERE spend_id IS NOT NULL;
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('link', 'received_note')),
    ref BLOB NOT NULL,
    record BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    settled_at INTEGER
) STRICT;
CREATE INDEX outbox_unsettled ON outbox(id) WHERE settled_at IS NULL;
CREATE TABLE settlements (
    outbox_id INTEGER PRIMARY KEY REFERENCES outbox(id),
    status TEXT NOT NULL,
    detail BLOB NOT NULL,
    settled_at INTEGER NOT NULL
) STRICT;
CREATE TABLE log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    counterparty BLOB,
    amount INTEGER NOT NULL,
    ref BLOB NOT NULL,
    hash BLOB NOT NULL
) STRICT;
CREATE INDEX log_at ON log(at, seq);
CREATE INDEX log_counterparty ON log(counterparty, seq) WHERE counterparty IS NOT NULL;
CREATE INDEX log_kind ON log(kind, seq);
"#;

/// The notes table of versions 1 to 5, as in [`SCHEMA_V1`].
const OLD_NOTES: &str = r#"CREATE TABLE notes (
    note_id BLOB PRIMARY KEY,
    amount INTEGER NOT NULL CHECK (amount > 0),
    depth INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('unspent', 'pending', 'spent')),
    chain BLOB NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('funded', 'received', 'change')),
    spend_id INTEGER REFERENCES spends(id),
    incoming_id INTEGER REFERENCES incoming(id),
    added_at INTEGER NOT NULL,
    CHECK ((state = 'unspent') = (spend_id IS NULL))
) STRICT, WITHOUT ROWID;
CREATE INDEX notes_unspent ON notes(amount, depth) WHERE state = 'unspent';
CREATE INDEX notes_spend ON notes(spend_id) WHERE spend_id IS NOT NULL;
"#;

/// Version 1 → 2: remember when a peer was last seen, so the app can prune old peers.
const UPGRADE_V1_TO_V2: &str = r#"
ALTER TABLE peer_certificates ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
UPDATE peer_certificates SET last_seen = first_seen;
CREATE INDEX peer_last_seen ON peer_certificates(last_seen);
"#;

/// Version 2 → 3: which link spends each note the wallet has ever held a chain through, so a
/// payee can tell a second, different spend of a note it already holds (a double spend
/// presented to the same payee). Chains stored before the upgrade are not indexed (their
/// blobs would have to be decoded); the index covers everything received from then on.
const UPGRADE_V2_TO_V3: &str = r#"
CREATE TABLE held_links (parent BLOB PRIMARY KEY, link_id BLOB NOT NULL) STRICT;
"#;

/// Version 3 → 4: the payee's request nonce each outgoing payment answers, so a payer pays a
/// request once (a replayed request is refused) and resends a pending payment only for the
/// request it answers. Unique per payee. Payments made before the upgrade have none (their
/// nonce is still in their links, which the wallet reads for a pending one).
const UPGRADE_V3_TO_V4: &str = r#"
ALTER TABLE spends ADD COLUMN request_nonce BLOB;
CREATE UNIQUE INDEX spends_request ON spends(payee, request_nonce) WHERE request_nonce IS NOT NULL;
"#;

/// Version 4 → 5: a certificate history. Every certificate of a wallet (its renewals) is kept,
/// its own and its peers', so a link is checked against the certificate valid when it was
/// signed; before, a renewal replaced a peer's certificate and stranded its older links. The
/// peers' rows move over; the wallet's own certificate is added by [`upgrade_v4_to_v5`] (its
/// wallet id is a digest SQL cannot compute).
const UPGRADE_V4_TO_V5: &str = r#"
CREATE TABLE certificates (
    wallet_id BLOB NOT NULL,
    certificate BLOB NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (wallet_id, certificate)
) STRICT;
CREATE INDEX certificates_last_seen ON certificates(last_seen);
INSERT INTO certificates (wallet_id, certificate, first_seen, last_seen)
    SELECT wallet_id, certificate, first_seen, last_seen FROM peer_certificates;
DROP TABLE peer_certificates;
"#;

/// The notes table from version 6: a note may also be handed to a flow (refresh, deposit) or
/// retired by one, and a note may come from a refresh.
const NOTES_V6: &str = r#"CREATE TABLE notes (
    note_id BLOB PRIMARY KEY,
    amount INTEGER NOT NULL CHECK (amount > 0),
    depth INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('unspent', 'pending', 'spent', 'in_flow', 'refreshed', 'deposited')),
    chain BLOB NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('funded', 'received', 'change', 'refreshed')),
    spend_id INTEGER REFERENCES spends(id),
    incoming_id INTEGER REFERENCES incoming(id),
    added_at INTEGER NOT NULL,
    flow_id INTEGER REFERENCES flows(id),
    CHECK ((state IN ('pending', 'spent')) = (spend_id IS NOT NULL)),
    CHECK ((state IN ('in_flow', 'refreshed', 'deposited')) = (flow_id IS NOT NULL))
) STRICT, WITHOUT ROWID;
CREATE INDEX notes_unspent ON notes(amount, depth) WHERE state = 'unspent';
CREATE INDEX notes_spend ON notes(spend_id) WHERE spend_id IS NOT NULL;
CREATE INDEX notes_flow ON notes(flow_id) WHERE flow_id IS NOT NULL;
"#;

/// Version 6's new tables and counters: persisted wallet flows (refresh, deposit) and the
/// value they hold or moved (see `super::flows`).
const FLOWS_V6: &str = r#"CREATE TABLE flows (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('refresh', 'deposit')),
    batch_id BLOB NOT NULL UNIQUE,
    amount INTEGER NOT NULL CHECK (amount > 0),
    amounts BLOB NOT NULL,
    request BLOB,
    state TEXT NOT NULL CHECK (state IN ('started', 'done', 'failed')),
    reason TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
) STRICT;
CREATE INDEX flows_open ON flows(id) WHERE state = 'started';
"#;

/// Version 5 → 6: persisted flows. The notes table is rebuilt (SQLite cannot change a CHECK in
/// place) with the new states, origin and `flow_id`; `state` gains the flows' counters.
const UPGRADE_V5_TO_V6: &str = r#"
ALTER TABLE notes RENAME TO notes_v5;
DROP INDEX notes_unspent;
DROP INDEX notes_spend;
"#;

fn upgrade_v5_to_v6(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(UPGRADE_V5_TO_V6)?;
    conn.execute_batch(FLOWS_V6)?;
    conn.execute_batch(NOTES_V6)?;
    conn.execute_batch(
        "INSERT INTO notes (note_id, amount, depth, expires_at, state, chain, origin, spend_id, incoming_id, added_at)
             SELECT note_id, amount, depth, expires_at, state, chain, origin, spend_id, incoming_id, added_at FROM notes_v5;
         DROP TABLE notes_v5;",
    )?;
    conn.execute_batch(STATE_V6)?;
    // Policies signed before version 6 lack the refresh rules and no longer decode: drop the
    // blob, keep its sequence, so the next sync installs the issuer's newer policy.
    let policy: Option<Vec<u8>> =
        conn.query_row("SELECT policy FROM wallet WHERE id = 1", [], |r| r.get(0)).optional()?.flatten();
    if policy.is_some_and(|b| crate::token::Policy::from_bytes(&b).is_err()) {
        conn.execute("UPDATE wallet SET policy = NULL WHERE id = 1", [])?;
    }
    Ok(())
}

/// The counters version 6 adds to `state`: value in notes handed to an unfinished flow, value
/// deposited to the account by flows, value re-issued by refreshes.
const STATE_V6: &str = r#"
ALTER TABLE state ADD COLUMN in_flows INTEGER NOT NULL DEFAULT 0 CHECK (in_flows >= 0);
ALTER TABLE state ADD COLUMN deposited INTEGER NOT NULL DEFAULT 0 CHECK (deposited >= 0);
ALTER TABLE state ADD COLUMN refreshed INTEGER NOT NULL DEFAULT 0 CHECK (refreshed >= 0);
"#;

/// Version 6 → 7: which peers hold which of this wallet's own certificates (by certificate id),
/// so a payee answers a hello from such a peer with a compact request (protocol::compact).
/// Nothing to carry over: before version 7 no wallet knew, and every peer pays one full tap.
const PEER_HOLDS_V7: &str = r#"CREATE TABLE peer_holds (
    peer BLOB NOT NULL,
    certificate_id BLOB NOT NULL,
    since INTEGER NOT NULL,
    PRIMARY KEY (peer, certificate_id)
) STRICT, WITHOUT ROWID;
"#;

/// Version 7 → 8: one-time request keys (docs/decisions/0022-one-time-request-keys.md). As a
/// payee, the seed of the one-time key each payer holds the commitment of; as a payer, the
/// commitment each payee revealed last. Nothing to carry over: before version 8 no key existed,
/// and each pair's next warm request is signed with the wallet key, as before.
const REQUEST_KEYS_V8: &str = r#"CREATE TABLE request_keys (
    payer BLOB PRIMARY KEY,
    seed BLOB NOT NULL,
    since INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE peer_request_keys (
    payee BLOB PRIMARY KEY,
    commitment BLOB NOT NULL,
    since INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
"#;

/// The latest schema: version 1 with the peer and spends tables' `CREATE` statements replaced in
/// place (not by running the migrations), so the migration test compares two independent routes.
pub(crate) fn create_latest() -> String {
    let mut latest = SCHEMA_V1
        .replace(
            "CREATE TABLE peer_certificates (wallet_id BLOB PRIMARY KEY, certificate BLOB NOT NULL, first_seen INTEGER NOT NULL) STRICT;",
            "CREATE TABLE certificates (wallet_id BLOB NOT NULL, certificate BLOB NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, PRIMARY KEY (wallet_id, certificate)) STRICT;\nCREATE INDEX certificates_last_seen ON certificates(last_seen);",
        );
    latest = latest.replace(
        "    completed_at INTEGER\n) STRICT;",
        "    completed_at INTEGER,\n    request_nonce BLOB\n) STRICT;\nCREATE UNIQUE INDEX spends_request ON spends(payee, request_nonce) WHERE request_nonce IS NOT NULL;",
    );
    latest = latest.replace(OLD_NOTES, "");
    latest.push_str("CREATE TABLE held_links (parent BLOB PRIMARY KEY, link_id BLOB NOT NULL) STRICT;\n");
    latest.push_str(FLOWS_V6);
    latest.push_str(NOTES_V6);
    latest.push_str(STATE_V6);
    latest.push_str(PEER_HOLDS_V7);
    latest.push_str(REQUEST_KEYS_V8);
    latest
}

/// [`UPGRADE_V4_TO_V5`], then the wallet's own certificate into the history. A certificate
/// that does not decode is [`StoreError::Corrupt`]: the upgrade fails and nothing is written.
fn upgrade_v4_to_v5(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(UPGRADE_V4_TO_V5)?;
    let own: Option<Vec<u8>> =
        conn.query_row("SELECT certificate FROM wallet WHERE id = 1", [], |r| r.get(0)).optional()?.flatten();
    if let Some(bytes) = own {
        let cert = crate::token::WalletCertificate::from_bytes(&bytes)
            .map_err(|e| StoreError::Corrupt { detail: format!("own certificate: {e}") })?;
        conn.execute(
            "INSERT OR IGNORE INTO certificates (wallet_id, certificate, first_seen, last_seen) VALUES (?1, ?2, 0, 0)",
            rusqlite::params![cert.wallet_id().0.as_slice(), bytes],
        )?;
    }
    Ok(())
}

/// Applies the pragmas every connection needs. See [`super::Store`] for why
/// `synchronous = FULL`.
pub(crate) fn apply_pragmas(conn: &Connection) -> Result<(), StoreError> {
    // Identify the file before anything writes to it: switching to WAL rewrites the header of
    // a database in rollback-journal mode, so a foreign SQLite file would be changed even
    // though it is refused afterwards.
    identify(conn)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if mode != "wal" && mode != "memory" {
        return Err(StoreError::Corrupt { detail: format!("cannot enable WAL (journal mode {mode})") });
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA fullfsync = ON;
         PRAGMA checkpoint_fullfsync = ON;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;",
    )?;
    Ok(())
}

/// Reads (never writes) what the file is: "not a database" and a foreign SQLite database are
/// [`StoreError::Corrupt`], one from newer code [`StoreError::TooNew`]. Returns the version
/// (0: an empty database, to be created).
pub(crate) fn identify(conn: &Connection) -> Result<u32, StoreError> {
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if version == 0 && (objects != 0 || app_id != 0) {
        return Err(StoreError::Corrupt { detail: "an SQLite database that is not a wallet".into() });
    }
    if version != 0 && app_id != APPLICATION_ID {
        return Err(StoreError::Corrupt { detail: format!("application id {app_id:#x} is not a wallet's") });
    }
    if version > CURRENT_VERSION {
        return Err(StoreError::TooNew { found: version, supported: CURRENT_VERSION });
    }
    Ok(version)
}

/// Creates or upgrades the schema in one IMMEDIATE transaction.
pub(crate) fn init(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Again inside the transaction: another process may have changed the file since.
    let version = identify(&tx)?;
    if version == 0 {
        tx.execute_batch(&create_latest())?;
    } else {
        for from in version..CURRENT_VERSION {
            upgrade_from(&tx, from)?;
        }
    }
    if version != CURRENT_VERSION {
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", CURRENT_VERSION)?;
    }
    tx.commit()?;
    Ok(())
}

/// One migration step: from version `from` to `from + 1`.
fn upgrade_from(conn: &Connection, from: u32) -> Result<(), StoreError> {
    match from {
        1 => conn.execute_batch(UPGRADE_V1_TO_V2)?,
        2 => conn.execute_batch(UPGRADE_V2_TO_V3)?,
        3 => conn.execute_batch(UPGRADE_V3_TO_V4)?,
        4 => upgrade_v4_to_v5(conn)?,
        5 => upgrade_v5_to_v6(conn)?,
        6 => conn.execute_batch(PEER_HOLDS_V7)?,
        7 => conn.execute_batch(REQUEST_KEYS_V8)?,
        other => return Err(StoreError::Corrupt { detail: format!("no migration from schema version {other}") }),
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    /// Every table's columns and every index's columns, in a comparable form.
    fn describe(conn: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        let mut objects = conn
            .prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap();
        let rows: Vec<(String, String, String)> =
            objects.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
        for (kind, name, table) in rows {
            out.push(format!("{kind} {name} on {table}"));
            let pragma = if kind == "table" { "table_xinfo" } else { "index_xinfo" };
            let mut cols = conn.prepare(&format!("SELECT * FROM pragma_{pragma}(?1)")).unwrap();
            let n = cols.column_count();
            let described: Vec<String> = cols
                .query_map([&name], |r| {
                    let mut s = String::new();
                    for i in 0..n {
                        s.push_str(&format!("{:?}|", r.get_ref(i)?));
                    }
                    Ok(s)
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            out.extend(described.into_iter().map(|c| format!("  {c}")));
            if kind == "index" {
                let partial: Option<String> =
                    conn.query_row("SELECT sql FROM sqlite_master WHERE name = ?1", [&name], |r| r.get(0)).unwrap();
                let where_clause = partial.and_then(|s| s.split_once(" WHERE ").map(|(_, w)| w.to_owned()));
                out.push(format!("  where {where_clause:?}"));
            }
        }
        out
    }

    #[test]
    fn upgraded_v1_database_equals_a_fresh_one() {
        let mut fresh = Connection::open_in_memory().unwrap();
        init(&mut fresh).unwrap();

        let mut old = Connection::open_in_memory().unwrap();
        old.execute_batch(SCHEMA_V1).unwrap();
        old.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
        old.pragma_update(None, "user_version", 1).unwrap();
        old.execute("INSERT INTO peer_certificates (wallet_id, certificate, first_seen) VALUES (x'01', x'02', 77)", [])
            .unwrap();
        old.execute(
            "INSERT INTO spends (payment_hash, payee, amount, change, counter, payment, state, created_at)
             VALUES (x'0a', x'0b', 5, 0, 1, x'0c', 'pending', 9)",
            [],
        )
        .unwrap();
        init(&mut old).unwrap();

        assert_eq!(describe(&old), describe(&fresh));
        let version: u32 = old.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, CURRENT_VERSION);
        let last_seen: i64 = old.query_row("SELECT last_seen FROM certificates", [], |r| r.get(0)).unwrap();
        assert_eq!(last_seen, 77, "data is carried over by the migration");
        let nonce: Option<Vec<u8>> = old.query_row("SELECT request_nonce FROM spends", [], |r| r.get(0)).unwrap();
        assert_eq!(nonce, None, "a payment made before the upgrade answers no recorded nonce");
        assert!(describe(&fresh).iter().any(|l| l.starts_with("index spends_request")), "the v4 index is created");
    }

    /// Every route to the latest version (from 1, 2, 3 and 4) ends in the fresh schema.
    #[test]
    fn a_database_of_every_older_version_upgrades_to_the_fresh_schema() {
        let mut fresh = Connection::open_in_memory().unwrap();
        init(&mut fresh).unwrap();
        for version in 1..CURRENT_VERSION {
            let mut old = Connection::open_in_memory().unwrap();
            old.execute_batch(SCHEMA_V1).unwrap();
            for from in 1..version {
                upgrade_from(&old, from).unwrap();
            }
            old.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
            old.pragma_update(None, "user_version", version).unwrap();
            init(&mut old).unwrap();
            assert_eq!(describe(&old), describe(&fresh), "upgraded from version {version}");
        }
    }

    #[test]
    fn upgrading_v4_moves_peers_and_the_wallets_own_certificate_into_the_history() {
        use crate::crypto::Signer as _;
        use crate::testkit::{TestIssuer, TestWallet};
        let issuer = TestIssuer::new(crate::crypto::Suite::EcdsaP256).unwrap();
        let (me, peer) = (
            TestWallet::new(&issuer, crate::crypto::Suite::EcdsaP256).unwrap(),
            TestWallet::new(&issuer, crate::crypto::Suite::EcdsaP256).unwrap(),
        );
        let mut old = Connection::open_in_memory().unwrap();
        old.execute_batch(SCHEMA_V1).unwrap();
        old.execute_batch(UPGRADE_V1_TO_V2).unwrap();
        old.execute_batch(UPGRADE_V2_TO_V3).unwrap();
        old.execute_batch(UPGRADE_V3_TO_V4).unwrap();
        old.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
        old.pragma_update(None, "user_version", 4).unwrap();
        let key = me.signer.public_key();
        old.execute(
            "INSERT INTO wallet (id, suite, public_key, hardware_key_ref, certificate) VALUES (1, ?1, ?2, 'k', ?3)",
            rusqlite::params![key.suite().id(), key.as_bytes(), me.cert.to_bytes()],
        )
        .unwrap();
        old.execute(
            "INSERT INTO peer_certificates (wallet_id, certificate, first_seen, last_seen) VALUES (?1, ?2, 5, 9)",
            rusqlite::params![peer.id().0.as_slice(), peer.cert.to_bytes()],
        )
        .unwrap();
        init(&mut old).unwrap();
        let mut rows: Vec<(Vec<u8>, Vec<u8>, i64)> = old
            .prepare("SELECT wallet_id, certificate, last_seen FROM certificates")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort_by_key(|r| r.2);
        assert_eq!(
            rows,
            vec![(me.id().0.to_vec(), me.cert.to_bytes(), 0), (peer.id().0.to_vec(), peer.cert.to_bytes(), 9)]
        );
    }

    #[test]
    fn upgrading_v5_keeps_the_notes_and_drops_a_policy_of_the_old_layout() {
        let mut old = Connection::open_in_memory().unwrap();
        old.execute_batch(SCHEMA_V1).unwrap();
        for from in 1..5 {
            upgrade_from(&old, from).unwrap();
        }
        old.execute_batch(
            "INSERT INTO wallet (id, suite, public_key, hardware_key_ref, policy, policy_sequence)
                 VALUES (1, 1, x'00', 'k', x'0102', 7);
             INSERT INTO notes (note_id, amount, depth, expires_at, state, chain, origin, added_at)
                 VALUES (x'11', 5, 3, 9, 'unspent', x'00', 'received', 4);",
        )
        .unwrap();
        old.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
        old.pragma_update(None, "user_version", 5).unwrap();
        init(&mut old).unwrap();
        let note: (u64, u32, String, String, Option<i64>) = old
            .query_row("SELECT amount, depth, state, origin, flow_id FROM notes", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap();
        assert_eq!(note, (5, 3, "unspent".into(), "received".into(), None));
        let (policy, sequence): (Option<Vec<u8>>, i64) =
            old.query_row("SELECT policy, policy_sequence FROM wallet", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!((policy, sequence), (None, 7), "the blob goes, its sequence stays");
        let counters: (i64, i64, i64) = old
            .query_row("SELECT in_flows, deposited, refreshed FROM state", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(counters, (0, 0, 0));
    }

    #[test]
    fn newer_database_is_refused_and_left_untouched() {
        let mut conn = Connection::open_in_memory().unwrap();
        init(&mut conn).unwrap();
        conn.pragma_update(None, "user_version", CURRENT_VERSION + 1).unwrap();
        match init(&mut conn) {
            Err(StoreError::TooNew { found, supported }) => {
                assert_eq!((found, supported), (CURRENT_VERSION + 1, CURRENT_VERSION));
            }
            other => panic!("expected TooNew, got {other:?}"),
        }
        let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, CURRENT_VERSION + 1);
    }

    #[test]
    fn foreign_sqlite_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (x)").unwrap();
        assert!(matches!(init(&mut conn), Err(StoreError::Corrupt { .. })));
    }
}
