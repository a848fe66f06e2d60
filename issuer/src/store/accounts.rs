//! The accounts aggregate: online accounts, their balances and the ledger that explains every
//! change of a balance (one [`Accounts::book`] per change: the balance and its ledger entry move
//! together, in the caller's transaction).

use super::Tx;
use crate::{IssuerError, args};

/// The `lost_return` entry of note `$1` not booked back by a `lost_late_spend` one
/// ([`Accounts::lost_return_unbooked`]), through the index on `reference` (decision 0026).
pub const LOST_RETURN_SQL: &str = "SELECT account, delta FROM ledger WHERE kind = 'lost_return' AND reference = $1
     AND NOT EXISTS (SELECT 1 FROM ledger WHERE kind = 'lost_late_spend' AND reference = $1)";

/// Why a balance changed (`ledger.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Notes issued to a wallet of the account (negative).
    Fund,
    /// Notes deposited (positive).
    Deposit,
    /// Notes expired past the grace, returned (positive).
    ExpiredReturn,
    /// A lost wallet's notes returned (positive).
    LostReturn,
    /// A lost wallet's note spent before the loss, settled after its return (negative).
    LostLateSpend,
    /// What a double spender's account paid back of the guarantee (negative).
    DoubleSpendRecovery,
}

impl Entry {
    /// Its stored name.
    pub fn name(self) -> &'static str {
        match self {
            Entry::Fund => "fund",
            Entry::Deposit => "deposit",
            Entry::ExpiredReturn => "expired_return",
            Entry::LostReturn => "lost_return",
            Entry::LostLateSpend => "lost_late_spend",
            Entry::DoubleSpendRecovery => "double_spend_recovery",
        }
    }
}

/// The account operations, on any backend.
pub trait Accounts: Tx {
    /// Creates an account; `false` if `customer_ref` is taken.
    fn create_account(
        &mut self,
        customer_ref: &str,
        credential_hash: &[u8],
        balance: i64,
    ) -> Result<bool, IssuerError> {
        let taken = self.query_opt("SELECT 1 FROM accounts WHERE customer_ref = $1", args![customer_ref])?;
        if taken.is_some() {
            return Ok(false);
        }
        self.exec(
            "INSERT INTO accounts (customer_ref, credential_hash, balance, initial) VALUES ($1, $2, $3, $3)",
            args![customer_ref, credential_hash, balance],
        )?;
        Ok(true)
    }

    /// The account whose bearer credential hashes to `hash`.
    fn account_by_credential(&mut self, hash: &[u8]) -> Result<Option<i64>, IssuerError> {
        self.query_opt("SELECT id FROM accounts WHERE credential_hash = $1", args![hash])?.map(|r| r.int(0)).transpose()
    }

    /// The account `customer_ref`: its id and when it was revoked (if it is).
    fn account_by_ref(&mut self, customer_ref: &str) -> Result<Option<(i64, Option<i64>)>, IssuerError> {
        self.query_opt("SELECT id, revoked_at FROM accounts WHERE customer_ref = $1", args![customer_ref])?
            .map(|r| Ok((r.int(0)?, r.opt_int(1)?)))
            .transpose()
    }

    /// The customer reference of account `id`.
    fn customer_ref(&mut self, id: i64) -> Result<String, IssuerError> {
        self.query_one("SELECT customer_ref FROM accounts WHERE id = $1", args![id])?.text(0)
    }

    /// Whether account `id` is revoked (one of its wallets double spent and no administrator
    /// has reinstated it).
    fn account_revoked(&mut self, id: i64) -> Result<bool, IssuerError> {
        Ok(self.query_one("SELECT revoked_at FROM accounts WHERE id = $1", args![id])?.opt_int(0)?.is_some())
    }

    /// Revokes account `id` at `at` (kept at the first revocation's time).
    fn revoke_account(&mut self, id: i64, at: i64) -> Result<(), IssuerError> {
        self.exec("UPDATE accounts SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", args![at, id])?;
        Ok(())
    }

    /// Lifts the revocation of account `id`.
    fn reinstate(&mut self, id: i64) -> Result<(), IssuerError> {
        self.exec("UPDATE accounts SET revoked_at = NULL WHERE id = $1", args![id])?;
        Ok(())
    }

    /// The balance of account `id`.
    fn balance(&mut self, id: i64) -> Result<i64, IssuerError> {
        self.query_one("SELECT balance FROM accounts WHERE id = $1", args![id])?.int(0)
    }

    /// Adds `delta` to the balance of `account` and writes the ledger entry that explains it.
    fn book(&mut self, account: i64, delta: i64, entry: Entry, reference: &[u8], at: i64) -> Result<(), IssuerError> {
        self.exec("UPDATE accounts SET balance = balance + $1 WHERE id = $2", args![delta, account])?;
        if entry == Entry::DoubleSpendRecovery {
            self.exec("UPDATE accounts SET recovered = recovered - $1 WHERE id = $2", args![delta, account])?;
        }
        self.exec(
            "INSERT INTO ledger (account, delta, kind, reference, at) VALUES ($1, $2, $3, $4, $5)",
            args![account, delta, entry.name(), reference, at],
        )?;
        Ok(())
    }

    /// The account and amount of the `LostReturn` entry of note `reference`, unless a
    /// `LostLateSpend` entry has booked it back already.
    fn lost_return_unbooked(&mut self, reference: &[u8]) -> Result<Option<(i64, i64)>, IssuerError> {
        self.query_opt(LOST_RETURN_SQL, args![reference])?.map(|r| Ok((r.int(0)?, r.int(1)?))).transpose()
    }
}

impl<T: Tx + ?Sized> Accounts for T {}
