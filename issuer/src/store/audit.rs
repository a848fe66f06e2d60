//! The conservation audit's totals, read in one transaction across the aggregates.

use super::Tx;
use crate::{IssuerError, args};

/// The sums the audit balances (all in minor units; `double_spends` is a count).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Value of every genesis and guarantee note.
    pub issued: i64,
    /// Value of the notes in each state.
    pub live: i64,
    pub deposited: i64,
    pub refreshed: i64,
    pub expired_returned: i64,
    /// Sum of the account balances, of their initial balances, and of what double spenders paid back.
    pub balances: i64,
    pub initial: i64,
    pub recovered: i64,
    /// Guaranteed to the payees of double spends.
    pub guaranteed: i64,
    /// Debited from accounts for funding (positive).
    pub funded: i64,
    /// Double spends detected.
    pub double_spends: i64,
}

/// The audit's reads, on any backend.
pub trait Audit: Tx {
    /// Every total of [`Totals`].
    fn totals(&mut self) -> Result<Totals, IssuerError> {
        let mut sum = |sql: &str| -> Result<i64, IssuerError> { self.query_one(sql, args![])?.int(0) };
        let issued =
            sum("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM notes WHERE origin IN ('genesis', 'guarantee')")?;
        let live = sum("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM notes WHERE state = 'live'")?;
        let deposited = sum("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM notes WHERE state = 'deposited'")?;
        let refreshed = sum("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM notes WHERE state = 'refreshed'")?;
        let expired_returned =
            sum("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM notes WHERE state = 'expired_returned'")?;
        let balances = sum("SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM accounts")?;
        let initial = sum("SELECT CAST(COALESCE(SUM(initial), 0) AS BIGINT) FROM accounts")?;
        let recovered = sum("SELECT CAST(COALESCE(SUM(recovered), 0) AS BIGINT) FROM accounts")?;
        let guaranteed = sum("SELECT CAST(COALESCE(SUM(guaranteed), 0) AS BIGINT) FROM double_spends")?;
        let funded = -sum("SELECT CAST(COALESCE(SUM(delta), 0) AS BIGINT) FROM ledger WHERE kind = 'fund'")?;
        let double_spends = sum("SELECT COUNT(*) FROM double_spends")?;
        Ok(Totals {
            issued,
            live,
            deposited,
            refreshed,
            expired_returned,
            balances,
            initial,
            recovered,
            guaranteed,
            funded,
            double_spends,
        })
    }
}

impl<T: Tx + ?Sized> Audit for T {}
