//! Held notes: their stored form, coin selection and the balance cross-check.
//!
//! ```text
//!  notes(state = 'unspent') ── index (amount, depth) ──► select_coins(amount)
//!     one note ≥ amount?  smallest such, shortest chain first ──► split it (payee + change)
//!     else largest first until covered ──► spend all fully, split the last
//!  select_coins_within(amount, max_depth): the same over notes whose chain can take one more
//!     link, at most MAX_BUNDLE_HEADS of them (what a payer may send; what a payee can accept)
//! ```
//!
//! A chain is stored canonically as a one-head [`Bundle`] without certificates:
//! `[version, [], [genesis], [link…], [head]]`.

use rusqlite::{Transaction, params};

use super::{Store, StoreError, Unusable, blob32};
use crate::cbor::Encoder;
use crate::token::{Bundle, Chain, NoteId};

/// The canonical stored form of a chain (a one-head bundle without certificates).
pub fn encode_chain(chain: &Chain) -> Vec<u8> {
    let mut enc = Encoder::new();
    enc.array(5).uint(crate::token::VERSION).array(0).array(1);
    chain.genesis.encode_into(&mut enc);
    enc.array(chain.links.len());
    for link in &chain.links {
        link.encode_into(&mut enc);
    }
    enc.array(1).bytes(&chain.head.0);
    enc.finish()
}

/// Reads a chain written by [`encode_chain`].
pub fn decode_chain(bytes: &[u8]) -> Result<Chain, StoreError> {
    let bundle = Bundle::from_bytes(bytes)?;
    match (bundle.certificates.is_empty(), bundle.notes.as_slice(), bundle.heads.as_slice()) {
        (true, [genesis], [head]) => Ok(Chain { genesis: genesis.clone(), links: bundle.links, head: *head }),
        _ => Err(StoreError::Corrupt { detail: "stored chain is not a one-note bundle".into() }),
    }
}

/// The value of a chain's head: the genesis amount, or the matching output of its last link.
pub(crate) fn head_amount(chain: &Chain) -> Result<u64, StoreError> {
    let amount = match chain.links.last() {
        None => (chain.genesis.id() == chain.head).then(|| chain.genesis.body().amount),
        Some(link) => link.children().find(|(id, _)| *id == chain.head).map(|(_, out)| out.amount),
    };
    match amount {
        Some(a) if a > 0 => Ok(a),
        _ => Err(StoreError::BadChain { note: chain.head }),
    }
}

/// A note the wallet holds, with its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldNote {
    /// The note's id (the chain's head).
    pub id: NoteId,
    /// Its value.
    pub amount: u64,
    /// Number of links from its genesis note.
    pub depth: u32,
    /// When its genesis note expires.
    pub expires_at: u64,
    /// Its chain of custody.
    pub chain: Chain,
}

/// The note of a selection that is split: part to the payee, the rest back as change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The note to split.
    pub note: HeldNote,
    /// The part paid to the payee.
    pub to_payee: u64,
    /// The part returned to the payer.
    pub change: u64,
}

/// The notes to spend for one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoinSelection {
    /// Notes paid to the payee in full.
    pub full: Vec<HeldNote>,
    /// At most one note split between payee and change.
    pub split: Option<Split>,
}

impl CoinSelection {
    /// Every note the selection spends.
    pub fn note_ids(&self) -> Vec<NoteId> {
        self.full.iter().map(|n| n.id).chain(self.split.iter().map(|s| s.note.id)).collect()
    }
}

/// How many candidates covering the amount alone are compared by chain length.
const SINGLE_NOTE_CANDIDATES: u32 = 8;

type Candidate = (Vec<u8>, u64, u32, u64);

fn load(tx: &Transaction<'_>, (id, amount, depth, expires_at): Candidate) -> Result<HeldNote, StoreError> {
    let chain_bytes: Vec<u8> =
        tx.prepare_cached("SELECT chain FROM notes WHERE note_id = ?1")?.query_row([&id], |r| r.get(0))?;
    let chain = decode_chain(&chain_bytes)?;
    let id = NoteId(blob32(id, "note id")?);
    if chain.head != id {
        return Err(StoreError::Corrupt { detail: format!("stored chain of note {id} delivers another note") });
    }
    Ok(HeldNote { id, amount, depth, expires_at, chain })
}

impl Store {
    /// Chooses unspent, unexpired notes for a payment of `amount` at `now`: few notes, short
    /// chains, at most one note split. [`StoreError::InsufficientFunds`] if they do not cover it.
    pub fn select_coins(&self, amount: u64, now: u64) -> Result<CoinSelection, StoreError> {
        self.select_coins_within(amount, now, u32::MAX)
    }

    /// [`Store::select_coins`] for a payment a payee can accept: only notes whose chain can
    /// take one more link (`depth < max_depth`, the policy's `max_chain_depth`) and at most
    /// [`MAX_BUNDLE_HEADS`](crate::token::MAX_BUNDLE_HEADS) notes. A payment built from other
    /// notes would be refused by every payee and by the issuer, and its pending spend could
    /// never settle. [`StoreError::InsufficientFunds`] (with what such notes can cover) if the
    /// amount cannot be paid within these bounds.
    pub fn select_coins_within(&self, amount: u64, now: u64, max_depth: u32) -> Result<CoinSelection, StoreError> {
        self.select_coins_for_payment(amount, now, max_depth, &|_| false)
    }

    /// [`Store::select_coins_within`] that also leaves out the notes `blocked` names (the
    /// payer's: notes whose chain holds a custodian it knows is revoked, which every synced
    /// payee refuses). Their value is reported in [`Unusable::revoked_custodian`].
    pub fn select_coins_for_payment(
        &self,
        amount: u64,
        now: u64,
        max_depth: u32,
        blocked: &dyn Fn(&HeldNote) -> bool,
    ) -> Result<CoinSelection, StoreError> {
        if amount == 0 {
            return Ok(CoinSelection { full: Vec::new(), split: None });
        }
        let amount_sql = i64::try_from(amount).map_err(|_| StoreError::OutOfRange { field: "amount" })?;
        let now_sql = i64::try_from(now).unwrap_or(i64::MAX);
        self.read(|tx| {
            // 1. One note that covers the amount: the smallest few, then the shortest chain.
            let mut stmt = tx.prepare_cached(
                "SELECT note_id, amount, depth, expires_at FROM notes INDEXED BY notes_unspent
                 WHERE state = 'unspent' AND amount >= ?1 AND expires_at >= ?2 AND depth < ?4
                 ORDER BY amount LIMIT ?3",
            )?;
            let candidates: Vec<Candidate> = stmt
                .query_map(params![amount_sql, now_sql, SINGLE_NOTE_CANDIDATES, max_depth], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect::<Result<_, _>>()?;
            // Exact amounts first (nothing to split), then shorter chains, then smaller notes.
            let mut candidates = candidates;
            candidates.sort_by_key(|c| (c.1 != amount, c.2, c.1));
            let mut best = None;
            for c in candidates {
                let note = load(tx, c)?;
                if !blocked(&note) {
                    best = Some(note);
                    break;
                }
            }
            if let Some(note) = best {
                return Ok(if note.amount == amount {
                    CoinSelection { full: vec![note], split: None }
                } else {
                    let change = note.amount - amount;
                    CoinSelection { full: Vec::new(), split: Some(Split { note, to_payee: amount, change }) }
                });
            }
            // 2. Largest first (fewest notes), shorter chains among equal amounts.
            let mut stmt = tx.prepare_cached(
                "SELECT note_id, amount, depth, expires_at FROM notes INDEXED BY notes_unspent
                 WHERE state = 'unspent' AND expires_at >= ?1 AND depth < ?2 ORDER BY amount DESC, depth",
            )?;
            let mut rows = stmt.query(params![now_sql, max_depth])?;
            let mut chosen: Vec<HeldNote> = Vec::new();
            let mut total: u64 = 0;
            let mut revoked_custodian: u64 = 0;
            while total < amount {
                let row = if chosen.len() < crate::token::MAX_BUNDLE_HEADS { rows.next()? } else { None };
                let Some(row) = row else {
                    // What the rest of the usable notes would have covered is not usable either.
                    while let Some(row) = rows.next()? {
                        let note = load(tx, (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))?;
                        if blocked(&note) {
                            revoked_custodian = revoked_custodian.saturating_add(note.amount);
                        }
                    }
                    let mut unusable = unusable(tx, now_sql, max_depth, total.saturating_add(revoked_custodian))?;
                    unusable.revoked_custodian = revoked_custodian;
                    return Err(StoreError::InsufficientFunds { needed: amount, available: total, unusable });
                };
                let note = load(tx, (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))?;
                if blocked(&note) {
                    revoked_custodian = revoked_custodian.saturating_add(note.amount);
                    continue;
                }
                total = total.saturating_add(note.amount);
                chosen.push(note);
            }
            let excess = total - amount;
            let mut full = Vec::with_capacity(chosen.len());
            let mut split = None;
            let last = chosen.len().saturating_sub(1);
            for (i, note) in chosen.into_iter().enumerate() {
                if i == last && excess > 0 {
                    let to_payee = note.amount - excess;
                    split = Some(Split { note, to_payee, change: excess });
                } else {
                    full.push(note);
                }
            }
            Ok(CoinSelection { full, split })
        })
    }

    /// Every unspent note (for display and for settlement refreshes).
    pub fn unspent_notes(&self) -> Result<Vec<HeldNote>, StoreError> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT note_id, amount, depth, expires_at FROM notes WHERE state = 'unspent' ORDER BY amount DESC",
            )?;
            let rows: Vec<Candidate> =
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
            rows.into_iter().map(|c| load(tx, c)).collect()
        })
    }
}

/// Why the held value beyond `usable` (what one payment could carry) cannot be paid now.
fn unusable(tx: &Transaction<'_>, now: i64, max_depth: u32, usable: u64) -> Result<Unusable, StoreError> {
    let (spendable, expired, too_deep): (u64, u64, u64) = tx.query_row(
        "SELECT coalesce(sum(amount), 0),
                coalesce(sum(CASE WHEN expires_at < ?1 THEN amount END), 0),
                coalesce(sum(CASE WHEN expires_at >= ?1 AND depth >= ?2 THEN amount END), 0)
         FROM notes WHERE state = 'unspent'",
        params![now, max_depth],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let beyond_note_limit = spendable.saturating_sub(expired).saturating_sub(too_deep).saturating_sub(usable);
    Ok(Unusable { expired, too_deep, beyond_note_limit, revoked_custodian: 0 })
}

/// Compares the maintained counters with sums over the rows.
pub(crate) fn check_counters(tx: &Transaction<'_>) -> Result<(), StoreError> {
    type Counters = (u64, u64, u64, u64, u64, u64, u64, u64);
    let (spendable, pending, sent, funded, received, in_flows, deposited, refreshed): Counters = tx.query_row(
        "SELECT spendable, pending, sent, funded, received, in_flows, deposited, refreshed FROM state WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
    )?;
    let sum = |sql: &str| -> Result<u64, StoreError> { Ok(tx.query_row(sql, [], |r| r.get(0))?) };
    let notes_in = |state: &str| sum(&format!("SELECT coalesce(sum(amount), 0) FROM notes WHERE state = '{state}'"));
    let checks = [
        ("spendable", spendable, notes_in("unspent")?),
        ("pending", pending, sum("SELECT coalesce(sum(amount), 0) FROM spends WHERE state = 'pending'")?),
        ("sent", sent, sum("SELECT coalesce(sum(amount), 0) FROM spends WHERE state = 'complete'")?),
        ("funded", funded, sum("SELECT coalesce(sum(amount), 0) FROM notes WHERE origin = 'funded'")?),
        ("received", received, sum("SELECT coalesce(sum(amount), 0) FROM incoming")?),
        ("in flows", in_flows, notes_in("in_flow")?),
        ("in unfinished flows", in_flows, sum("SELECT coalesce(sum(amount), 0) FROM flows WHERE state = 'started'")?),
        ("deposited", deposited, notes_in("deposited")?),
        ("refreshed (retired)", refreshed, notes_in("refreshed")?),
        ("refreshed (fresh)", refreshed, sum("SELECT coalesce(sum(amount), 0) FROM notes WHERE origin = 'refreshed'")?),
        (
            "notes given up",
            sum("SELECT coalesce(sum(amount + change), 0) FROM spends")?,
            sum("SELECT coalesce(sum(amount), 0) FROM notes WHERE state IN ('pending', 'spent')")?,
        ),
        (
            "value (funded + received + refreshed vs spendable + pending + sent + flows)",
            funded.saturating_add(received).saturating_add(refreshed),
            spendable
                .saturating_add(pending)
                .saturating_add(sent)
                .saturating_add(in_flows)
                .saturating_add(deposited)
                .saturating_add(refreshed),
        ),
    ];
    for (what, stored, computed) in checks {
        if stored != computed {
            return Err(StoreError::Inconsistent { what, stored, computed });
        }
    }
    Ok(())
}
