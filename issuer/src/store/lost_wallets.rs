//! The lost-wallets aggregate (crate::lost): wallets reported lost and when their value
//! returns to the account.

use super::Tx;
use crate::{IssuerError, args};

/// A lost wallet's note due to return: its id, amount and the account it returns to.
pub type DueReturn = (Vec<u8>, i64, i64);

/// The lost-wallet operations, on any backend.
pub trait LostWallets: Tx {
    /// When wallet `id` was reported lost and when its value returns, if it was.
    fn lost_report(&mut self, id: &[u8]) -> Result<Option<(i64, i64)>, IssuerError> {
        self.query_opt("SELECT reported_at, returns_at FROM lost_wallets WHERE wallet = $1", args![id])?
            .map(|r| Ok((r.int(0)?, r.int(1)?)))
            .transpose()
    }

    /// Records the report of wallet `id` of `account`.
    fn record_lost(&mut self, id: &[u8], account: i64, reported_at: i64, returns_at: i64) -> Result<(), IssuerError> {
        self.exec(
            "INSERT INTO lost_wallets (wallet, account, reported_at, returns_at) VALUES ($1, $2, $3, $4)",
            args![id, account, reported_at, returns_at],
        )?;
        Ok(())
    }

    /// The live notes of lost wallets whose return time has come by `now`.
    fn lost_due(&mut self, now: i64) -> Result<Vec<DueReturn>, IssuerError> {
        self.query(
            "SELECT n.id, n.amount, l.account FROM notes n JOIN lost_wallets l ON l.wallet = n.owner
             WHERE n.state = 'live' AND l.returns_at <= $1",
            args![now],
        )?
        .iter()
        .map(|r| Ok((r.bytes(0)?, r.int(1)?, r.int(2)?)))
        .collect()
    }
}

impl<T: Tx + ?Sized> LostWallets for T {}
