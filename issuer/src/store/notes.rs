//! The notes aggregate: every note the issuer knows (genesis notes it signed, children of the
//! links it recorded, guarantees) and its state.
//!
//! ```text
//!  live ─► spent (a link recorded) | deposited | refreshed | expired_returned
//!  deposited ─► live again only for a lost wallet's note spent before the loss (crate::lost)
//! ```

use super::Tx;
use crate::{IssuerError, args};

/// The value of the live notes of owner `$1` ([`Notes::held_live`]).
pub const HELD_LIVE_SQL: &str =
    "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM notes WHERE owner = $1 AND state = 'live'";

/// An index of the live notes by owner (SQLite version 9, PostgreSQL step 8), the same SQL
/// on both. Without it, [`HELD_LIVE_SQL`] read every live note of the issuer on SQLite
/// (through `notes_state`) and every note the owner ever held on PostgreSQL (through
/// `notes_owner`), inside the write transaction of every funding (decision 0026).
pub const LIVE_OWNER_INDEX: &str = "CREATE INDEX notes_live_owner ON notes (owner) WHERE state = 'live';";

/// The live notes by expiry, in place of every note by (state, expiry) (SQLite version 10,
/// PostgreSQL step 9), the same SQL on both: [`EXPIRED_LIVE_SQL`] is all that reads it. A note
/// spent, deposited or refreshed leaves it, so the index holds what is live now, not every
/// note ever issued, and marking 1,000 parents spent in a batch writes no entry into it
/// (decision 0028).
pub const LIVE_EXPIRY_INDEX: &str = "
DROP INDEX notes_state;
CREATE INDEX notes_live_expiry ON notes (expires_at) WHERE state = 'live';
";

/// The live notes of registered wallets that expired before `$1`.
pub const EXPIRED_LIVE_SQL: &str = "SELECT n.id, n.owner, n.amount FROM notes n JOIN wallets w ON w.id = n.owner
     WHERE n.state = 'live' AND n.expires_at < $1";

/// Where a note came from (`notes.origin`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Signed by the issuer (funding, refresh).
    Genesis,
    /// An output of a recorded link.
    Link,
    /// An output of a double-spent link, guaranteed to its payee.
    Guarantee,
}

impl Origin {
    /// Its stored name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Origin::Genesis => "genesis",
            Origin::Link => "link",
            Origin::Guarantee => "guarantee",
        }
    }
}

/// The state of a note (`notes.state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteState {
    Live,
    Spent,
    Deposited,
    Refreshed,
    ExpiredReturned,
}

impl NoteState {
    /// Its stored name.
    pub fn name(self) -> &'static str {
        match self {
            NoteState::Live => "live",
            NoteState::Spent => "spent",
            NoteState::Deposited => "deposited",
            NoteState::Refreshed => "refreshed",
            NoteState::ExpiredReturned => "expired_returned",
        }
    }

    /// The state stored as `name`.
    pub(crate) fn parse(name: &str) -> Result<Self, IssuerError> {
        Ok(match name {
            "live" => NoteState::Live,
            "spent" => NoteState::Spent,
            "deposited" => NoteState::Deposited,
            "refreshed" => NoteState::Refreshed,
            "expired_returned" => NoteState::ExpiredReturned,
            other => return Err(IssuerError::Internal { what: format!("unknown note state {other}") }),
        })
    }
}

/// A note due to go back to an account: its id, owner and amount.
pub type DueNote = (Vec<u8>, Vec<u8>, i64);

/// The note operations, on any backend.
pub trait Notes: Tx {
    /// Records a genesis note the issuer just signed, live, with the digest of its bytes.
    fn insert_genesis(
        &mut self,
        id: &[u8],
        owner: &[u8],
        amount: i64,
        expires_at: i64,
        digest: &[u8],
    ) -> Result<(), IssuerError> {
        self.exec(
            "INSERT INTO notes (id, owner, amount, expires_at, origin, state, genesis_digest)
             VALUES ($1, $2, $3, $4, 'genesis', 'live', $5)",
            args![id, owner, amount, expires_at, digest],
        )?;
        Ok(())
    }

    /// The digests of the signed bytes of those genesis notes among `ids` the issuer holds.
    fn genesis_digests(&mut self, ids: &[[u8; 32]]) -> Result<Vec<Vec<u8>>, IssuerError> {
        let mut out = Vec::new();
        // One statement per list of up to 1,024 ids, padded to a power of two so that a few
        // SQL texts serve every batch (`IN ($1, …)`: arrays are not portable to SQLite).
        for list in super::link_sets::lookups(ids) {
            let marks: Vec<String> = (1..=list.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT genesis_digest FROM notes WHERE origin = 'genesis' AND genesis_digest IS NOT NULL AND id IN ({})",
                marks.join(", ")
            );
            let args: Vec<crate::store::Value> = list.iter().map(|id| crate::store::Value::from(&id[..])).collect();
            for row in self.query(&sql, &args)? {
                out.push(row.bytes(0)?);
            }
        }
        Ok(out)
    }

    /// Records `child` (an output of a link spending `parent`, or its guarantee), live, expiring
    /// with its parent; `false` if it was recorded already.
    fn insert_child(
        &mut self,
        child: &[u8],
        owner: &[u8],
        amount: i64,
        parent: &[u8],
        origin: Origin,
    ) -> Result<bool, IssuerError> {
        // Two statements, not `INSERT … SELECT`: PostgreSQL does not type the parameters of a
        // SELECT list from the target columns.
        let Some(parent) = self.query_opt("SELECT expires_at FROM notes WHERE id = $1", args![parent])? else {
            return Ok(false);
        };
        let created = self.exec(
            "INSERT INTO notes (id, owner, amount, expires_at, origin, state) VALUES ($1, $2, $3, $4, $5, 'live')
             ON CONFLICT DO NOTHING",
            args![child, owner, amount, parent.int(0)?, origin.name()],
        )?;
        Ok(created > 0)
    }

    /// The state of note `id`, if the issuer knows it.
    fn note_state(&mut self, id: &[u8]) -> Result<Option<NoteState>, IssuerError> {
        self.query_opt("SELECT state FROM notes WHERE id = $1", args![id])?
            .map(|r| NoteState::parse(&r.text(0)?))
            .transpose()
    }

    /// The owner and state of note `id`, if the issuer knows it.
    fn note_owner_state(&mut self, id: &[u8]) -> Result<Option<(Vec<u8>, NoteState)>, IssuerError> {
        self.query_opt("SELECT owner, state FROM notes WHERE id = $1", args![id])?
            .map(|r| Ok((r.bytes(0)?, NoteState::parse(&r.text(1)?)?)))
            .transpose()
    }

    /// Sets the state of note `id`.
    fn set_note_state(&mut self, id: &[u8], state: NoteState) -> Result<(), IssuerError> {
        self.exec("UPDATE notes SET state = $1 WHERE id = $2", args![state.name(), id])?;
        Ok(())
    }

    /// The value of the live notes `owner` holds as far as the issuer knows: read through
    /// [`LIVE_OWNER_INDEX`], so it costs what the owner holds now, not the issuer's size or
    /// the owner's history.
    fn held_live(&mut self, owner: &[u8]) -> Result<i64, IssuerError> {
        self.query_one(HELD_LIVE_SQL, args![owner])?.int(0)
    }

    /// Live notes of registered wallets that expired before `cutoff`.
    fn expired_live(&mut self, cutoff: i64) -> Result<Vec<DueNote>, IssuerError> {
        self.query(EXPIRED_LIVE_SQL, args![cutoff])?.iter().map(|r| Ok((r.bytes(0)?, r.bytes(1)?, r.int(2)?))).collect()
    }
}

impl<T: Tx + ?Sized> Notes for T {}
