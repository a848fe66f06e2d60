//! Wallet tiers: where a wallet's key lives, as the issuer verified it at registration.
//!
//! The issuer records the tier in the wallet certificate ([`super::CertificateBody::tier`]);
//! the policy may give each tier its own limits ([`TierLimits`]). A tier is a claim the issuer
//! checked (key attestation); this module only names tiers and encodes them, it verifies
//! nothing.

use crate::cbor::{Decoder, Encoder};

use super::DecodeError;

/// Where the wallet's signing key is held. Wire codes are stable (PROTOCOL.md §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum Tier {
    /// Nothing proven: a software key, or a key whose hardware the issuer could not verify.
    #[default]
    Software = 0,
    /// A key in a trusted execution environment (Android Keystore, TEE security level).
    Tee = 1,
    /// A key in a discrete secure element (Android StrongBox).
    StrongBox = 2,
    /// A key in the Apple Secure Enclave (App Attest).
    SecureEnclave = 3,
}

impl Tier {
    /// Every tier, in code order.
    pub const ALL: [Tier; 4] = [Tier::Software, Tier::Tee, Tier::StrongBox, Tier::SecureEnclave];

    /// Its wire code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The tier with wire code `code`, if this version knows it.
    pub fn from_code(code: u64) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| u64::from(t.code()) == code)
    }

    /// Its stable name (FFI, JSON, logs): `software`, `tee`, `strongbox`, `secure_enclave`.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Software => "software",
            Tier::Tee => "tee",
            Tier::StrongBox => "strongbox",
            Tier::SecureEnclave => "secure_enclave",
        }
    }

    /// The tier named `name` ([`Tier::name`]).
    pub fn from_name(name: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.name() == name)
    }

    pub(crate) fn decode(dec: &mut Decoder<'_>) -> Result<Tier, DecodeError> {
        let offset = dec.position();
        Tier::from_code(dec.uint()?).ok_or(DecodeError::InvalidField { offset, field: "tier" })
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The offline limits the policy gives one tier: `[tier, per_payment, holding,
/// max_offline_payments]`. They replace the policy's general limits for wallets of that tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierLimits {
    /// The tier they apply to.
    pub tier: Tier,
    /// Largest single offline payment (minor units).
    pub per_payment: u64,
    /// Largest offline balance (minor units).
    pub holding: u64,
    /// Most offline payments between two syncs.
    pub max_offline_payments: u32,
}

/// Most entries a policy's tier table holds (one per tier).
pub const MAX_TIER_LIMITS: usize = Tier::ALL.len();

/// Writes a tier table (entries in strictly increasing tier order).
pub(crate) fn encode_tier_limits(enc: &mut Encoder, table: &[TierLimits]) {
    enc.array(table.len());
    for t in table {
        enc.array(4)
            .uint(u64::from(t.tier.code()))
            .uint(t.per_payment)
            .uint(t.holding)
            .uint(u64::from(t.max_offline_payments));
    }
}

/// Reads a tier table: at least one entry, tiers strictly increasing (so one encoding only).
pub(crate) fn decode_tier_limits(dec: &mut Decoder<'_>) -> Result<Vec<TierLimits>, DecodeError> {
    let offset = dec.position();
    let len = dec.array(MAX_TIER_LIMITS)?;
    let mut table: Vec<TierLimits> = Vec::with_capacity(len);
    for _ in 0..len {
        dec.array_exact(4)?;
        let at = dec.position();
        let entry = TierLimits {
            tier: Tier::decode(dec)?,
            per_payment: dec.uint()?,
            holding: dec.uint()?,
            max_offline_payments: dec.u32()?,
        };
        if table.last().is_some_and(|last| last.tier >= entry.tier) {
            return Err(DecodeError::InvalidField { offset: at, field: "tier order" });
        }
        table.push(entry);
    }
    if table.is_empty() {
        // An empty table is written by leaving it out.
        return Err(DecodeError::NonCanonical { offset });
    }
    Ok(table)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        for t in Tier::ALL {
            assert_eq!(Tier::from_code(u64::from(t.code())), Some(t));
            assert_eq!(Tier::from_name(t.name()), Some(t));
        }
        assert_eq!(Tier::from_code(4), None);
        assert_eq!(Tier::from_name("hsm"), None);
        assert_eq!(
            (Tier::Software.code(), Tier::Tee.code(), Tier::StrongBox.code(), Tier::SecureEnclave.code()),
            (0, 1, 2, 3)
        );
    }

    fn table_bytes(entries: &[(u64, u64, u64, u64)]) -> Vec<u8> {
        let mut enc = Encoder::new();
        enc.array(entries.len());
        for e in entries {
            enc.array(4).uint(e.0).uint(e.1).uint(e.2).uint(e.3);
        }
        enc.finish()
    }

    #[test]
    fn a_tier_table_has_one_encoding() {
        let ok = table_bytes(&[(0, 1, 2, 3), (2, 4, 5, 6)]);
        let table = decode_tier_limits(&mut Decoder::new(&ok)).unwrap();
        let mut enc = Encoder::new();
        encode_tier_limits(&mut enc, &table);
        assert_eq!(enc.finish(), ok);
        for bad in [
            table_bytes(&[]),
            table_bytes(&[(2, 1, 1, 1), (1, 1, 1, 1)]),
            table_bytes(&[(1, 1, 1, 1), (1, 1, 1, 1)]),
            table_bytes(&[(9, 1, 1, 1)]),
        ] {
            assert!(decode_tier_limits(&mut Decoder::new(&bad)).is_err(), "{bad:?}");
        }
    }
}
