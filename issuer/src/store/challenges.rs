//! The attestation-challenges aggregate (crate::tier_attestation): single-use registration
//! challenges bound to an account, and the tier recorded per wallet lives in `wallets.tier`
//! ([`super::Wallets`]).

use super::Tx;
use crate::{IssuerError, args};

/// The challenge operations, on any backend.
pub trait Challenges: Tx {
    /// Forgets the challenges that expired before `now`; then how many `account` holds open.
    fn open_challenges(&mut self, account: i64, now: i64) -> Result<i64, IssuerError> {
        self.exec("DELETE FROM attestation_challenges WHERE expires_at < $1", args![now])?;
        self.query_one("SELECT COUNT(*) FROM attestation_challenges WHERE account = $1", args![account])?.int(0)
    }

    /// Records a new challenge of `account`, valid until `expires_at`.
    fn put_challenge(&mut self, challenge: &[u8], account: i64, expires_at: i64) -> Result<(), IssuerError> {
        self.exec(
            "INSERT INTO attestation_challenges (challenge, account, expires_at) VALUES ($1, $2, $3)",
            args![challenge, account, expires_at],
        )?;
        Ok(())
    }

    /// Uses up `challenge` if it is `account`'s and not expired at `now`; whether it was.
    fn consume_challenge(&mut self, challenge: &[u8], account: i64, now: i64) -> Result<bool, IssuerError> {
        let used = self.exec(
            "DELETE FROM attestation_challenges WHERE challenge = $1 AND account = $2 AND expires_at >= $3",
            args![challenge, account, now],
        )?;
        Ok(used > 0)
    }
}

impl<T: Tx + ?Sized> Challenges for T {}
