//! The nonces aggregate: the request nonces each wallet used, kept while a request carrying
//! them could still pass the timestamp check. Stored in the database, so a request replayed
//! to another issuer node over the same database is refused too.

use super::Tx;
use crate::{IssuerError, args};

/// Forgets the nonces stamped before `$1` ([`Nonces::forget_nonces_before`]), through the
/// index on `ts` (decision 0026).
pub const FORGET_NONCES_SQL: &str = "DELETE FROM nonces WHERE ts < $1";

/// The nonce operations, on any backend.
pub trait Nonces: Tx {
    /// Records that `wallet` used `nonce` in a request stamped `ts`; `false` if it had.
    fn use_nonce(&mut self, wallet: &[u8], nonce: &[u8], ts: i64) -> Result<bool, IssuerError> {
        let inserted = self.exec(
            "INSERT INTO nonces (wallet, nonce, ts) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            args![wallet, nonce, ts],
        )?;
        Ok(inserted > 0)
    }

    /// Whether `nonce` is stored for `wallet`.
    fn nonce_seen(&mut self, wallet: &[u8], nonce: &[u8]) -> Result<bool, IssuerError> {
        Ok(self.query_opt("SELECT 1 FROM nonces WHERE wallet = $1 AND nonce = $2", args![wallet, nonce])?.is_some())
    }

    /// Forgets the nonces of requests stamped before `horizon` (they fail the timestamp check).
    fn forget_nonces_before(&mut self, horizon: i64) -> Result<u64, IssuerError> {
        self.exec(FORGET_NONCES_SQL, args![horizon])
    }
}

impl<T: Tx + ?Sized> Nonces for T {}
