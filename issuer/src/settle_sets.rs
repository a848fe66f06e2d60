//! Settling a batch's links set-wise, with the answers and effects of settling them one after
//! the other (crate::settle, `settle_link`).
//!
//! ```text
//!  LinkBatch::read(tx, bundles): what every link of the batch needs, in a few multi-row statements
//!     (store::link_sets): its parent's and children's owner, state and expiry, whether it is
//!     recorded, whether it is a stored proof, its signer's recorded links with its counter
//!  per link, in batch order, against that picture and what the batch did to it so far:
//!     recorded before ─► duplicate │ a stored proof ─► double spend │ parent unknown ─► unknown_note
//!     parent expired_returned ─► refused │
//!     new, parent live, children known, counter not seen ─► pending: link, children live, parent spent
//!     anything else (parent spent, deposited, refreshed; counter reuse; a note or link this
//!     batch touched on the per-link path) ─► flush, then the per-link path, then forget what
//!     that link may have changed
//!  flush: pending links (INSERT … RETURNING), then children, then parents spent: before any
//!     statement that reads the database (the per-link path, deposits and refreshes, the
//!     end of the batch)
//! ```
//!
//! The common path is decided from the picture only where the per-link path would decide the
//! same: the picture starts as the database at the start of the batch (in the same
//! transaction) and follows every change the batch makes; an entry the per-link path may have
//! changed is forgotten, and a link that needs a forgotten entry takes the per-link path. A
//! link recorded concurrently by another node makes the flush insert fewer links than it
//! pends: that is a contention, and the transaction runs again from the start.

use std::collections::{HashMap, HashSet};

use offline_cash_core::reason::Reason;
use offline_cash_core::token::{Bundle, SpendLink};

use crate::IssuerError;
use crate::issuer::to_i64;
use crate::store::link_sets::NewNote;
use crate::store::notes::{NoteState, Origin};
use crate::store::{LinkRow, LinkSets as _, Tx};

/// A note as the batch sees it.
#[derive(Clone, Copy, Debug)]
struct Known {
    owner: [u8; 32],
    state: NoteState,
    expires_at: i64,
}

/// A link whose effects are pending.
#[derive(Debug)]
struct PendingLink {
    id: [u8; 32],
    parent: [u8; 32],
    signer: [u8; 32],
    bytes: Vec<u8>,
    counter: i64,
    settled_at: i64,
}

/// A child note whose insertion is pending.
#[derive(Debug)]
struct PendingNote {
    id: [u8; 32],
    owner: [u8; 32],
    amount: i64,
    expires_at: i64,
}

/// What settling a link on the common path told its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Settled {
    /// Recorded now (its effects pending until the next flush).
    New,
    /// Recorded before.
    Duplicate,
    /// The conflicting link of a stored double spend.
    KnownProof,
    /// Refused for this reason.
    Refused(Reason),
}

/// The batch's picture of the database and its pending writes. `Default` is an empty picture:
/// every link takes the per-link path.
#[derive(Debug, Default)]
pub(crate) struct LinkBatch {
    /// Notes looked up: `None` for one the database does not hold. A note not in the map was
    /// not looked up, or was forgotten.
    notes: HashMap<[u8; 32], Option<Known>>,
    /// Links recorded before the batch.
    recorded: HashSet<[u8; 32]>,
    /// Conflicting links of double spends stored before the batch.
    proofs: HashSet<[u8; 32]>,
    /// (signer, counter) of links recorded before the batch or on the common path in it.
    counters: HashSet<([u8; 32], i64)>,
    /// Links of this batch settled so far (either path).
    seen: HashSet<[u8; 32]>,
    /// Counters of the links settled on the per-link path (of whichever signer).
    slow_counters: HashSet<i64>,
    links: Vec<PendingLink>,
    children: Vec<PendingNote>,
    spent: Vec<[u8; 32]>,
}

fn key(bytes: &[u8]) -> Option<[u8; 32]> {
    <[u8; 32]>::try_from(bytes).ok()
}

impl LinkBatch {
    /// Reads what the links of `bundles` need, in a few statements.
    pub(crate) fn read<'a>(tx: &mut dyn Tx, bundles: impl Iterator<Item = &'a Bundle>) -> Result<Self, IssuerError> {
        let links: Vec<(&SpendLink, [u8; 32])> = bundles.flat_map(|b| b.links.iter()).map(|l| (l, l.id().0)).collect();
        let mut sets = LinkBatch::default();
        if links.is_empty() {
            return Ok(sets);
        }
        let ids: Vec<[u8; 32]> = links.iter().map(|(_, id)| *id).collect();
        // Parents and children, each once; the children's owners, for parents the batch creates.
        let mut outputs: HashMap<[u8; 32], [u8; 32]> = HashMap::new();
        let mut notes: Vec<[u8; 32]> = Vec::with_capacity(links.len() * 3);
        let mut asked = HashSet::with_capacity(links.len() * 3);
        for (link, _) in &links {
            let parent = link.body().parent.0;
            if asked.insert(parent) {
                notes.push(parent);
            }
            for (child, output) in link.children() {
                outputs.insert(child.0, output.owner.0);
                if asked.insert(child.0) {
                    notes.push(child.0);
                }
            }
        }
        for id in &notes {
            sets.notes.insert(*id, None);
        }
        for n in tx.notes_known(&notes)? {
            // An owner that is not a wallet id is left to the per-link path (which refuses it).
            match (key(&n.id), key(&n.owner)) {
                (Some(id), Some(owner)) => {
                    sets.notes.insert(id, Some(Known { owner, state: n.state, expires_at: n.expires_at }));
                }
                (Some(id), None) => {
                    sets.notes.remove(&id);
                }
                _ => {}
            }
        }
        sets.recorded = tx.links_recorded(&ids)?.iter().filter_map(|id| key(id)).collect();
        sets.proofs = tx.proofs_known(&ids)?.iter().filter_map(|id| key(id)).collect();
        // The signer of each link: its parent's owner, recorded or an output of the batch.
        let mut pairs = Vec::with_capacity(links.len());
        for (link, _) in &links {
            let parent = link.body().parent.0;
            let owner = match sets.notes.get(&parent) {
                Some(Some(k)) => Some(k.owner),
                _ => outputs.get(&parent).copied(),
            };
            if let (Some(owner), Ok(counter)) = (owner, to_i64(link.body().counter)) {
                pairs.push((owner, counter));
            }
        }
        for (signer, counter, _) in tx.links_with_counters(&pairs)? {
            if let Some(signer) = key(&signer) {
                sets.counters.insert((signer, counter));
            }
        }
        Ok(sets)
    }

    /// Settles `link` on the common path if the picture decides it there; `None`: it takes the
    /// per-link path (after [`LinkBatch::flush`]; then [`LinkBatch::settled_per_link`]).
    pub(crate) fn settle(&mut self, link: &SpendLink, now: u64) -> Option<Settled> {
        let id = link.id().0;
        if self.seen.contains(&id) {
            return None;
        }
        if self.recorded.contains(&id) {
            return Some(Settled::Duplicate);
        }
        if self.proofs.contains(&id) {
            return Some(Settled::KnownProof);
        }
        let parent = link.body().parent.0;
        let known = match self.notes.get(&parent)? {
            None => return Some(Settled::Refused(Reason::UnknownNote)),
            Some(k) => *k,
        };
        match known.state {
            NoteState::Live => {}
            NoteState::ExpiredReturned => return Some(Settled::Refused(Reason::NoteExpiredReturned)),
            NoteState::Spent | NoteState::Deposited | NoteState::Refreshed => return None,
        }
        let counter = to_i64(link.body().counter).ok()?;
        let settled_at = to_i64(now).ok()?;
        let signer = known.owner;
        if self.slow_counters.contains(&counter) || self.counters.contains(&(signer, counter)) {
            return None;
        }
        let mut children = Vec::with_capacity(link.body().outputs.len());
        for (child, output) in link.children() {
            let present = self.notes.get(&child.0)?.is_some();
            children.push((child.0, output.owner.0, to_i64(output.amount).ok()?, present));
        }
        // Decided: the link is new and spends a live note.
        for (child, owner, amount, present) in children {
            if !present {
                self.children.push(PendingNote { id: child, owner, amount, expires_at: known.expires_at });
                self.notes.insert(child, Some(Known { owner, state: NoteState::Live, expires_at: known.expires_at }));
            }
        }
        self.notes.insert(parent, Some(Known { state: NoteState::Spent, ..known }));
        self.spent.push(parent);
        self.counters.insert((signer, counter));
        self.seen.insert(id);
        self.links.push(PendingLink { id, parent, signer, bytes: link.to_bytes(), counter, settled_at });
        Some(Settled::New)
    }

    /// After `link` took the per-link path: what that may have changed is forgotten.
    pub(crate) fn settled_per_link(&mut self, link: &SpendLink) {
        self.seen.insert(link.id().0);
        if let Ok(counter) = to_i64(link.body().counter) {
            self.slow_counters.insert(counter);
        }
        self.notes.remove(&link.body().parent.0);
        for (child, _) in link.children() {
            self.notes.remove(&child.0);
        }
    }

    /// After a record's heads were deposited or refreshed: those notes are forgotten, and so
    /// is every note looked up and not found (a refresh issues new ones).
    pub(crate) fn heads_changed<'a>(&mut self, heads: impl Iterator<Item = &'a [u8; 32]>) {
        for id in heads {
            self.notes.remove(id);
        }
        self.notes.retain(|_, k| k.is_some());
    }

    /// Links whose effects are pending.
    pub(crate) fn pending(&self) -> usize {
        self.links.len()
    }

    /// Writes the pending effects: links, then children, then parents spent. It may be called
    /// at any point between links: the picture already holds what the pending writes do.
    pub(crate) fn flush(&mut self, tx: &mut dyn Tx) -> Result<(), IssuerError> {
        if self.links.is_empty() {
            return Ok(());
        }
        let rows: Vec<LinkRow<'_>> = self
            .links
            .iter()
            .map(|l| LinkRow {
                id: &l.id,
                parent: &l.parent,
                signer: &l.signer,
                bytes: &l.bytes,
                counter: l.counter,
                settled_at: l.settled_at,
            })
            .collect();
        let recorded = tx.record_links(&rows)?;
        if recorded.len() != rows.len() {
            // Another writer recorded one of them, or spent a parent, since the batch read.
            return Err(IssuerError::Contended { what: "a link of the batch was recorded concurrently".into() });
        }
        let notes: Vec<NewNote<'_>> = self
            .children
            .iter()
            .map(|n| NewNote {
                id: &n.id,
                owner: &n.owner,
                amount: n.amount,
                expires_at: n.expires_at,
                origin: Origin::Link,
            })
            .collect();
        let inserted = tx.insert_notes(&notes)?;
        let spent = tx.set_states(&self.spent, NoteState::Spent)?;
        if inserted != notes.len() as u64 || spent != self.spent.len() as u64 {
            return Err(IssuerError::Contended { what: "a note of the batch was written concurrently".into() });
        }
        self.links.clear();
        self.children.clear();
        self.spent.clear();
        Ok(())
    }
}
