//! The rate-limit aggregate for a database shared by several issuer nodes (PostgreSQL): one
//! row per wallet holding its bucket as a *theoretical arrival time* (GCRA, the token bucket
//! in one integer), so a wallet's budget is one budget whichever node it reaches. On SQLite
//! (one node) the budget stays in memory ([`crate::rate_limit`]): no write per request.
//!
//! ```text
//!  tat = max(stored tat, now)
//!  tat − now > (burst − 1) · interval ─► refused: wait tat − now − (burst − 1) · interval
//!  else                               ─► admitted, stored tat = tat + interval
//! ```
//!
//! The nodes' clocks must agree to well under `interval` (NTP does); a node whose clock runs
//! ahead grants less, one behind at most the skew divided by `interval` requests more.

use super::Tx;
use crate::{IssuerError, args};

/// The rate-limit operations (tables of PostgreSQL step 5).
pub trait RateBuckets: Tx {
    /// Takes one request from `wallet`'s budget at `now_ms` (budget: `burst` at once, one per
    /// `interval_ms`); when it is spent, how many milliseconds until the next request passes.
    fn take_request(
        &mut self,
        wallet: &[u8],
        now_ms: i64,
        interval_ms: i64,
        burst: i64,
    ) -> Result<Result<(), i64>, IssuerError> {
        let stored = self.query_opt("SELECT tat_ms FROM rate_buckets WHERE wallet = $1", args![wallet])?;
        let tat = stored.map(|r| r.int(0)).transpose()?.unwrap_or(now_ms).max(now_ms);
        let allowance = interval_ms.saturating_mul(burst.max(1) - 1);
        if tat - now_ms > allowance {
            return Ok(Err(tat - now_ms - allowance));
        }
        self.exec(
            "INSERT INTO rate_buckets (wallet, tat_ms) VALUES ($1, $2)
             ON CONFLICT (wallet) DO UPDATE SET tat_ms = excluded.tat_ms",
            args![wallet, tat.saturating_add(interval_ms)],
        )?;
        Ok(Ok(()))
    }
}

impl<T: Tx + ?Sized> RateBuckets for T {}
