//! The issuer's own records: named values (`meta`: the policy, and — unless a key file is
//! used — the first signing key) and the key rotations.

use super::Tx;
use crate::{IssuerError, args};

/// A stored key rotation: the new key's scalar and the signed rotation.
pub type StoredRotation = (Vec<u8>, Vec<u8>);

/// The meta operations, on any backend.
pub trait Meta: Tx {
    /// The value named `key`.
    fn meta_get(&mut self, key: &str) -> Result<Option<Vec<u8>>, IssuerError> {
        self.query_opt("SELECT value FROM meta WHERE key = $1", args![key])?.map(|r| r.bytes(0)).transpose()
    }

    /// Stores `value` under `key`, replacing what was there.
    fn meta_put(&mut self, key: &str, value: &[u8]) -> Result<(), IssuerError> {
        self.exec(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            args![key, value],
        )?;
        Ok(())
    }

    /// Every key rotation, oldest first.
    fn key_rotations(&mut self) -> Result<Vec<StoredRotation>, IssuerError> {
        self.query("SELECT scalar, rotation FROM issuer_key_rotations ORDER BY key_id", args![])?
            .iter()
            .map(|r| Ok((r.bytes(0)?, r.bytes(1)?)))
            .collect()
    }

    /// Stores the rotation that introduced key `key_id` and its scalar.
    fn add_key_rotation(&mut self, key_id: i64, scalar: &[u8], rotation: &[u8], at: i64) -> Result<(), IssuerError> {
        self.exec(
            "INSERT INTO issuer_key_rotations (key_id, scalar, rotation, created_at) VALUES ($1, $2, $3, $4)",
            args![key_id, scalar, rotation, at],
        )?;
        Ok(())
    }
}

impl<T: Tx + ?Sized> Meta for T {}
