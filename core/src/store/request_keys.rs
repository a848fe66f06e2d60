//! One-time request keys (schema version 8, docs/decisions/0022-one-time-request-keys.md).
//!
//! - As a **payee**: `request_keys (payer, seed)` is the secret seed of the one-time key whose
//!   commitment `payer` received as the key of this wallet's last key receipt to it. The next
//!   warm request to that payer is signed with it, and the row is deleted, durably, *before*
//!   that request leaves ([`Store::take_request_key`]): a one-time key that signed twice would
//!   let others sign. Recorded again with every key receipt to that payer.
//! - As a **payer**: `peer_request_keys (payee, commitment)` is what `payee` revealed last; a
//!   one-time request from that payee is taken only if its signature leads to it.
//!
//! A row says nothing about trust: the certificate of the request is checked as ever. A lost row
//! costs one request signed with the wallet key, never a payment.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::token::WalletId;

fn since(now: u64) -> i64 {
    i64::try_from(now).unwrap_or(i64::MAX)
}

fn fixed(bytes: Vec<u8>, what: &str) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(bytes).map_err(|_| StoreError::Corrupt { detail: format!("{what} is not 32 bytes") })
}

impl Store {
    /// Payee: `payer` now holds the commitment of the one-time key of `seed` (replaces any
    /// earlier key for it, which can then never sign).
    pub fn record_request_key(&mut self, payer: &WalletId, seed: &[u8; 32], now: u64) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO request_keys (payer, seed, since) VALUES (?1, ?2, ?3)
                 ON CONFLICT (payer) DO UPDATE SET seed = excluded.seed, since = excluded.since",
                params![payer.0.as_slice(), seed.as_slice(), since(now)],
            )?;
            Ok(())
        })
    }

    /// Payee: takes the seed of the one-time key `payer` holds the commitment of, deleting it in
    /// a committed transaction before returning: a seed is returned at most once, whatever
    /// happens after.
    pub fn take_request_key(&mut self, payer: &WalletId) -> Result<Option<[u8; 32]>, StoreError> {
        self.write(|tx| {
            let seed: Option<Vec<u8>> = tx
                .query_row("DELETE FROM request_keys WHERE payer = ?1 RETURNING seed", [payer.0.as_slice()], |r| {
                    r.get(0)
                })
                .optional()?;
            seed.map(|s| fixed(s, "a request key seed")).transpose()
        })
    }

    /// Payer: keeps `commitment`, the key of `payee`'s last key receipt (replaces any earlier one).
    pub fn record_peer_request_key(
        &mut self,
        payee: &WalletId,
        commitment: &[u8; 32],
        now: u64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO peer_request_keys (payee, commitment, since) VALUES (?1, ?2, ?3)
                 ON CONFLICT (payee) DO UPDATE SET commitment = excluded.commitment, since = excluded.since",
                params![payee.0.as_slice(), commitment.as_slice(), since(now)],
            )?;
            Ok(())
        })
    }

    /// Payer: the commitment `payee` revealed last, if any.
    pub fn peer_request_key(&self, payee: &WalletId) -> Result<Option<[u8; 32]>, StoreError> {
        self.read(|tx| {
            let found: Option<Vec<u8>> = tx
                .query_row("SELECT commitment FROM peer_request_keys WHERE payee = ?1", [payee.0.as_slice()], |r| {
                    r.get(0)
                })
                .optional()?;
            found.map(|c| fixed(c, "a request key commitment")).transpose()
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_request_key_is_taken_once_and_survives_a_reopen_until_then() {
        let dir = std::env::temp_dir().join(format!("oc-request-keys-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let payer = WalletId([1; 32]);
        {
            let mut store = Store::open(&dir).unwrap();
            store.record_request_key(&payer, &[7; 32], 10).unwrap();
            store.record_request_key(&payer, &[8; 32], 11).unwrap();
        }
        let mut store = Store::open(&dir).unwrap();
        assert_eq!(store.take_request_key(&payer).unwrap(), Some([8; 32]), "the latest key, after a reopen");
        drop(store);
        let mut store = Store::open(&dir).unwrap();
        assert_eq!(store.take_request_key(&payer).unwrap(), None, "taken keys do not come back");
        assert_eq!(store.take_request_key(&WalletId([2; 32])).unwrap(), None);
        store.record_peer_request_key(&payer, &[3; 32], 12).unwrap();
        store.record_peer_request_key(&payer, &[4; 32], 13).unwrap();
        assert_eq!(store.peer_request_key(&payer).unwrap(), Some([4; 32]));
        assert_eq!(store.peer_request_key(&WalletId([2; 32])).unwrap(), None);
        drop(store);
        let _ = std::fs::remove_file(&dir);
    }
}
