//! Set-wise statements for settling many links in one transaction (crate::settle_sets): the
//! lookups and writes of a whole batch in a few multi-row statements, on every backend.
//!
//! ```text
//!  lookups: notes_known · links_recorded · proofs_known   SELECT … IN (…)
//!           · links_with_counters   SELECT … counter BETWEEN … (ranges of a signer's counters)
//!  writes:  record_links (INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING RETURNING id)
//!           · insert_notes (INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING) · set_states (UPDATE … IN (…))
//! ```
//!
//! Written rows are cut into pieces of at most [`PIECE`] items, each a power of two long, so
//! that a batch of any size uses a handful of SQL texts (PostgreSQL prepares each text once per
//! connection, crate::store::postgres). Looked-up keys go in lists of at most [`LOOKUP`],
//! padded to a power of two by repeating the last key (`IN` matches a row once however often
//! its key is listed): a batch of 1,000 links is one statement per lookup. `IN ($1, …)` lists, not arrays: arrays are not
//! portable to SQLite. Each method means the same as its per-row sibling run once per item
//! (`note_owner_state`, `link_exists`, `proof_known`, `link_with_counter`, `record_link`,
//! `insert_child`, `set_note_state`), except that [`LinkSets::record_links`] does not say which
//! link holds a taken parent: its caller knows no link holds one.

use super::notes::{NoteState, Origin};
use super::{LinkRow, Tx, Value};
use crate::IssuerError;

/// Most rows written by one statement.
pub const PIECE: usize = 256;

/// Most keys looked up by one statement.
pub const LOOKUP: usize = 1024;

/// `keys` in lists of at most [`LOOKUP`], each padded to a power of two with its last key.
pub fn lookups<T: Clone>(keys: &[T]) -> Vec<Vec<T>> {
    keys.chunks(LOOKUP)
        .map(|chunk| {
            let mut list = chunk.to_vec();
            if let Some(last) = chunk.last() {
                list.resize(chunk.len().next_power_of_two(), last.clone());
            }
            list
        })
        .collect()
}

/// `items` in consecutive pieces, each a power of two long and at most [`PIECE`].
pub fn pieces<T>(items: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let n = if rest.len() >= PIECE { PIECE } else { 1usize << rest.len().ilog2() };
        let (head, tail) = rest.split_at(n.min(rest.len()));
        rest = tail;
        Some(head)
    })
}

/// Most distance between two neighbouring counters in one range of
/// [`LinkSets::links_with_counters`]: a range spans at most this many counters per counter
/// asked about, whatever counters a wallet chose, and the consecutive counters of a wallet's
/// batch are one range.
pub const COUNTER_GAP: i64 = 64;

/// A signer's recorded links with a counter in a range: `$1` the signer, `$2` and `$3` the
/// first and last counter.
pub const COUNTER_RANGE_SQL: &str =
    "SELECT signer, counter, id FROM links WHERE signer = $1 AND counter BETWEEN $2 AND $3";

/// `sorted` (ascending, distinct) as (first, last) of runs whose neighbours are at most
/// [`COUNTER_GAP`] apart.
fn counter_runs(sorted: &[i64]) -> Vec<(i64, i64)> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &c in sorted {
        match runs.last_mut() {
            Some((_, high)) if c.saturating_sub(*high) <= COUNTER_GAP => *high = c,
            _ => runs.push((c, c)),
        }
    }
    runs
}

/// `$from, $from+1, …` (`n` placeholders).
fn marks(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// `($1, …, $width), ($width+1, …), …`: `rows` rows of `width` placeholders, with `tail`
/// (constant SQL) closing each row.
fn rows_of(rows: usize, width: usize, tail: &str) -> String {
    (0..rows).map(|r| format!("({}{tail})", marks(r * width + 1, width))).collect::<Vec<_>>().join(", ")
}

fn ids_args(ids: &[[u8; 32]]) -> Vec<Value> {
    ids.iter().map(|id| Value::from(&id[..])).collect()
}

/// A note as settlement reads it: id, owner, state, expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownNote {
    pub id: Vec<u8>,
    pub owner: Vec<u8>,
    pub state: NoteState,
    pub expires_at: i64,
}

/// A note to insert live (a link's output, expiring with its parent).
#[derive(Clone, Copy, Debug)]
pub struct NewNote<'a> {
    pub id: &'a [u8; 32],
    pub owner: &'a [u8; 32],
    pub amount: i64,
    pub expires_at: i64,
    pub origin: Origin,
}

/// A recorded link's signer, counter and id.
pub type CounterRow = (Vec<u8>, i64, Vec<u8>);

/// The set-wise operations, on any backend.
pub trait LinkSets: Tx {
    /// Those notes among `ids` the issuer knows, in no particular order.
    fn notes_known(&mut self, ids: &[[u8; 32]]) -> Result<Vec<KnownNote>, IssuerError> {
        let mut out = Vec::with_capacity(ids.len());
        for piece in lookups(ids) {
            let sql = format!("SELECT id, owner, state, expires_at FROM notes WHERE id IN ({})", marks(1, piece.len()));
            for r in self.query(&sql, &ids_args(&piece))? {
                out.push(KnownNote {
                    id: r.bytes(0)?,
                    owner: r.bytes(1)?,
                    state: NoteState::parse(&r.text(2)?)?,
                    expires_at: r.int(3)?,
                });
            }
        }
        Ok(out)
    }

    /// Those links among `ids` that are recorded.
    fn links_recorded(&mut self, ids: &[[u8; 32]]) -> Result<Vec<Vec<u8>>, IssuerError> {
        let mut out = Vec::new();
        for piece in lookups(ids) {
            let sql = format!("SELECT id FROM links WHERE id IN ({})", marks(1, piece.len()));
            for r in self.query(&sql, &ids_args(&piece))? {
                out.push(r.bytes(0)?);
            }
        }
        Ok(out)
    }

    /// Those links among `ids` stored as the conflicting link of a double spend.
    fn proofs_known(&mut self, ids: &[[u8; 32]]) -> Result<Vec<Vec<u8>>, IssuerError> {
        let mut out = Vec::new();
        for piece in lookups(ids) {
            let sql = format!(
                "SELECT conflicting_link FROM double_spends WHERE conflicting_link IN ({})",
                marks(1, piece.len())
            );
            for r in self.query(&sql, &ids_args(&piece))? {
                out.push(r.bytes(0)?);
            }
        }
        Ok(out)
    }

    /// The recorded links with one of `pairs`' (signer, counter). Each signer's counters are
    /// read as ranges (`counter BETWEEN $2 AND $3`, runs of counters at most [`COUNTER_GAP`]
    /// apart), not as an `IN` list: PostgreSQL's generic plan for `signer = $1 AND counter IN
    /// (…)` used the index for the signer only and compared every one of the signer's links
    /// with the whole list, so a batch took longer the more links its signer had ever made
    /// (docs/PERFORMANCE.md, "Figures with a history"; decision 0026). A range is an index
    /// condition on both columns in every plan. Rows in a range but not asked about are
    /// dropped here.
    fn links_with_counters(&mut self, pairs: &[([u8; 32], i64)]) -> Result<Vec<CounterRow>, IssuerError> {
        let mut by_signer: std::collections::BTreeMap<[u8; 32], Vec<i64>> = std::collections::BTreeMap::new();
        for (signer, counter) in pairs {
            by_signer.entry(*signer).or_default().push(*counter);
        }
        let mut out = Vec::new();
        for (signer, mut counters) in by_signer {
            counters.sort_unstable();
            counters.dedup();
            for (low, high) in counter_runs(&counters) {
                let rows =
                    self.query(COUNTER_RANGE_SQL, &[Value::from(&signer[..]), Value::Int(low), Value::Int(high)])?;
                for r in rows {
                    let counter = r.int(1)?;
                    if counters.binary_search(&counter).is_ok() {
                        out.push((r.bytes(0)?, counter, r.bytes(2)?));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Records `links` (`INSERT … ON CONFLICT DO NOTHING RETURNING id`); the ids of those
    /// recorded now (a link recorded before, or whose parent is taken, is not).
    fn record_links(&mut self, links: &[LinkRow<'_>]) -> Result<Vec<Vec<u8>>, IssuerError> {
        let mut out = Vec::with_capacity(links.len());
        for piece in pieces(links) {
            let sql = format!(
                "INSERT INTO links (id, parent, signer, bytes, settled_at, counter) VALUES {}
                 ON CONFLICT DO NOTHING RETURNING id",
                rows_of(piece.len(), 6, "")
            );
            let mut args = Vec::with_capacity(piece.len() * 6);
            for l in piece {
                args.extend([
                    Value::from(&l.id[..]),
                    Value::from(&l.parent[..]),
                    Value::from(&l.signer[..]),
                    Value::from(l.bytes),
                    Value::Int(l.settled_at),
                    Value::Int(l.counter),
                ]);
            }
            for r in self.query(&sql, &args)? {
                out.push(r.bytes(0)?);
            }
        }
        Ok(out)
    }

    /// Inserts `notes` live unless recorded already; how many it inserted.
    fn insert_notes(&mut self, notes: &[NewNote<'_>]) -> Result<u64, IssuerError> {
        let mut inserted = 0;
        for piece in pieces(notes) {
            let sql = format!(
                "INSERT INTO notes (id, owner, amount, expires_at, origin, state) VALUES {} ON CONFLICT DO NOTHING",
                rows_of(piece.len(), 5, ", 'live'")
            );
            let mut args = Vec::with_capacity(piece.len() * 5);
            for n in piece {
                args.extend([
                    Value::from(&n.id[..]),
                    Value::from(&n.owner[..]),
                    Value::Int(n.amount),
                    Value::Int(n.expires_at),
                    Value::from(n.origin.name()),
                ]);
            }
            inserted += self.exec(&sql, &args)?;
        }
        Ok(inserted)
    }

    /// Sets the state of the notes `ids`; how many it changed.
    fn set_states(&mut self, ids: &[[u8; 32]], state: NoteState) -> Result<u64, IssuerError> {
        let mut changed = 0;
        for piece in pieces(ids) {
            let sql = format!("UPDATE notes SET state = $1 WHERE id IN ({})", marks(2, piece.len()));
            let mut args = vec![Value::from(state.name())];
            args.extend(ids_args(piece));
            changed += self.exec(&sql, &args)?;
        }
        Ok(changed)
    }
}

impl<T: Tx + ?Sized> LinkSets for T {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_powers_of_two_up_to_the_limit_and_keep_every_item_in_order() {
        let items: Vec<usize> = (0..PIECE * 2 + 77).collect();
        let lens: Vec<usize> = pieces(&items).map(<[usize]>::len).collect();
        assert_eq!(lens, vec![PIECE, PIECE, 64, 8, 4, 1]);
        assert_eq!(pieces(&items).flatten().copied().collect::<Vec<_>>(), items);
        assert_eq!(pieces::<u8>(&[]).count(), 0);
    }

    #[test]
    fn lookups_are_padded_to_a_power_of_two_with_the_last_key() {
        let keys: Vec<usize> = (0..LOOKUP + 5).collect();
        let lists = lookups(&keys);
        assert_eq!(lists.iter().map(Vec::len).collect::<Vec<_>>(), vec![LOOKUP, 8]);
        let all = lists.concat();
        assert_eq!(all.get(..LOOKUP + 5), Some(keys.as_slice()));
        assert_eq!(all.get(LOOKUP + 5..), Some(&[LOOKUP + 4; 3][..]));
        assert!(lookups::<u8>(&[]).is_empty());
    }

    #[test]
    fn counters_are_read_in_runs_no_wider_than_the_gap() {
        assert_eq!(counter_runs(&[]), vec![]);
        assert_eq!(counter_runs(&[5]), vec![(5, 5)]);
        let batch: Vec<i64> = (100..1_100).collect();
        assert_eq!(counter_runs(&batch), vec![(100, 1_099)], "a wallet's consecutive counters: one range");
        let g = COUNTER_GAP;
        assert_eq!(
            counter_runs(&[0, g, 2 * g + 1, i64::MAX]),
            vec![(0, g), (2 * g + 1, 2 * g + 1), (i64::MAX, i64::MAX)]
        );
        assert_eq!(counter_runs(&[i64::MIN, -1, 0]), vec![(i64::MIN, i64::MIN), (-1, 0)]);
    }

    #[test]
    fn placeholders_number_every_row() {
        assert_eq!(marks(2, 3), "$2, $3, $4");
        assert_eq!(rows_of(2, 2, ", 'x'"), "($1, $2, 'x'), ($3, $4, 'x')");
    }
}
