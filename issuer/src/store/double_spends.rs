//! The evidence aggregate: double spends (both links, what was guaranteed and recovered), the
//! guarantees paid (once per parent and payee account), and reused spend counters (a
//! rolled-back wallet), with the link lookups they need.

use super::Tx;
use crate::{IssuerError, args};

/// A double spend to store: the parent, its owner who signed both links, the accepted link
/// (none when the owner deposited or refreshed the note instead) and the conflicting one.
#[derive(Clone, Copy, Debug)]
pub struct NewDoubleSpend<'a> {
    pub parent: &'a [u8],
    pub signer: &'a [u8],
    pub accepted: Option<(&'a [u8], &'a [u8])>,
    pub conflicting: &'a [u8],
    pub conflicting_bytes: &'a [u8],
    pub at: i64,
}

/// A stored double spend: parent, signer, accepted link bytes, conflicting link bytes,
/// guaranteed, at, recovered.
pub type DoubleSpendRow = (Vec<u8>, Vec<u8>, Option<Vec<u8>>, Vec<u8>, i64, i64, i64);

/// A stored counter reuse: wallet, counter, first link bytes, second link bytes, at.
pub type CounterReuseRow = (Vec<u8>, i64, Vec<u8>, Vec<u8>, i64);

/// The evidence operations, on any backend.
pub trait DoubleSpends: Tx {
    /// Whether link `id` is recorded.
    fn link_exists(&mut self, id: &[u8]) -> Result<bool, IssuerError> {
        Ok(self.query_opt("SELECT 1 FROM links WHERE id = $1", args![id])?.is_some())
    }

    /// Another recorded link of `signer` with spend counter `counter` than `id`, if any.
    fn link_with_counter(&mut self, signer: &[u8], counter: i64, id: &[u8]) -> Result<Option<Vec<u8>>, IssuerError> {
        self.query_opt(
            "SELECT id FROM links WHERE signer = $1 AND counter = $2 AND id <> $3 LIMIT 1",
            args![signer, counter, id],
        )?
        .map(|r| r.bytes(0))
        .transpose()
    }

    /// Whether link `id` is stored as the conflicting link of a double spend.
    fn proof_known(&mut self, id: &[u8]) -> Result<bool, IssuerError> {
        Ok(self.query_opt("SELECT 1 FROM double_spends WHERE conflicting_link = $1", args![id])?.is_some())
    }

    /// Stores a double spend; `false` if its conflicting link was stored before.
    fn record_double_spend(&mut self, d: &NewDoubleSpend<'_>) -> Result<bool, IssuerError> {
        let (accepted, accepted_bytes) = d.accepted.unzip();
        let stored = self.exec(
            "INSERT INTO double_spends
             (parent, signer, accepted_link, accepted_bytes, conflicting_link, conflicting_bytes, guaranteed, at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7) ON CONFLICT DO NOTHING",
            args![d.parent, d.signer, accepted, accepted_bytes, d.conflicting, d.conflicting_bytes, d.at],
        )?;
        Ok(stored > 0)
    }

    /// Records what the double spend of link `conflicting` guaranteed and recovered.
    fn settle_double_spend(&mut self, conflicting: &[u8], guaranteed: i64, recovered: i64) -> Result<(), IssuerError> {
        self.exec(
            "UPDATE double_spends SET guaranteed = $1, recovered = $2 WHERE conflicting_link = $3",
            args![guaranteed, recovered, conflicting],
        )?;
        Ok(())
    }

    /// Records the guarantee of `amount` to `account` for `parent` (paid by link `link`);
    /// `false` if that account was guaranteed for that parent before.
    fn guarantee_once(
        &mut self,
        parent: &[u8],
        account: i64,
        link: &[u8],
        amount: i64,
        at: i64,
    ) -> Result<bool, IssuerError> {
        let first = self.exec(
            "INSERT INTO guarantees (parent, account, link, amount, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            args![parent, account, link, amount, at],
        )?;
        Ok(first > 0)
    }

    /// Every double spend, oldest first.
    fn double_spend_rows(&mut self) -> Result<Vec<DoubleSpendRow>, IssuerError> {
        self.query(
            "SELECT parent, signer, accepted_bytes, conflicting_bytes, guaranteed, at, recovered
             FROM double_spends ORDER BY id",
            args![],
        )?
        .iter()
        .map(|r| Ok((r.bytes(0)?, r.bytes(1)?, r.opt_bytes(2)?, r.bytes(3)?, r.int(4)?, r.int(5)?, r.int(6)?)))
        .collect()
    }

    /// Stores evidence that `wallet` signed link `second` with the counter of link `first`;
    /// `false` if it was stored before.
    fn record_counter_reuse(
        &mut self,
        wallet: &[u8],
        counter: i64,
        first: &[u8],
        second: (&[u8], &[u8]),
        at: i64,
    ) -> Result<bool, IssuerError> {
        let stored = self.exec(
            "INSERT INTO counter_reuses (wallet, counter, first_link, second_link, second_bytes, at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            args![wallet, counter, first, second.0, second.1, at],
        )?;
        Ok(stored > 0)
    }

    /// Marks the evidence about `wallet` not yet reported to it as reported; whether there was any.
    fn take_counter_reuses(&mut self, wallet: &[u8]) -> Result<bool, IssuerError> {
        Ok(self.exec("UPDATE counter_reuses SET reported = 1 WHERE wallet = $1 AND reported = 0", args![wallet])? > 0)
    }

    /// Every counter reuse, oldest first.
    fn counter_reuse_rows(&mut self) -> Result<Vec<CounterReuseRow>, IssuerError> {
        self.query(
            "SELECT c.wallet, c.counter, l.bytes, c.second_bytes, c.at
             FROM counter_reuses c JOIN links l ON l.id = c.first_link ORDER BY c.id",
            args![],
        )?
        .iter()
        .map(|r| Ok((r.bytes(0)?, r.int(1)?, r.bytes(2)?, r.bytes(3)?, r.int(4)?)))
        .collect()
    }
}

impl<T: Tx + ?Sized> DoubleSpends for T {}
