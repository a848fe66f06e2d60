//! Which peers hold which of this wallet's own certificates (schema version 7).
//!
//! A row `(peer, certificate_id)` says: `peer` is known to keep the certificate of this wallet
//! whose id is `certificate_id`. The wallet records it when the peer has verifiably taken it:
//! a payee that received this wallet's payment (receipt verified), or a payer that introduced
//! itself with a hello and paid a request carrying the certificate. A payee answers that
//! peer's next hello with a compact request. The row says nothing about trust: the peer checks
//! the certificate it holds as if it had been carried. A row is forgotten when the peer shows it
//! no longer holds the certificate (it answers a compact request with `Poll`).

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::token::WalletId;

impl Store {
    /// Records that `peer` holds this wallet's certificate `certificate_id` (idempotent).
    pub fn record_peer_holds(
        &mut self,
        peer: &WalletId,
        certificate_id: &[u8; 32],
        now: u64,
    ) -> Result<(), StoreError> {
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        self.write(|tx| {
            tx.execute(
                "INSERT INTO peer_holds (peer, certificate_id, since) VALUES (?1, ?2, ?3)
                 ON CONFLICT (peer, certificate_id) DO NOTHING",
                params![peer.0.as_slice(), certificate_id.as_slice(), now],
            )?;
            Ok(())
        })
    }

    /// Whether `peer` is known to hold this wallet's certificate `certificate_id`.
    pub fn peer_holds(&self, peer: &WalletId, certificate_id: &[u8; 32]) -> Result<bool, StoreError> {
        self.read(|tx| {
            let found: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM peer_holds WHERE peer = ?1 AND certificate_id = ?2",
                    params![peer.0.as_slice(), certificate_id.as_slice()],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(found.is_some())
        })
    }

    /// Forgets that `peer` holds `certificate_id` (it showed it does not).
    pub fn forget_peer_holds(&mut self, peer: &WalletId, certificate_id: &[u8; 32]) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM peer_holds WHERE peer = ?1 AND certificate_id = ?2",
                params![peer.0.as_slice(), certificate_id.as_slice()],
            )?;
            Ok(())
        })
    }
}
