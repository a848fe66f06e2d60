//! The issuer's offline policy: limits every wallet and payee enforces.

use crate::cbor::{Decoder, Encoder};

use super::signed::{Body, Signed};
use super::tier::{decode_tier_limits, encode_tier_limits};
use super::{Currency, DecodeError, ObjectKind, Tier, TierLimits, codec};

/// The signed content of a policy:
/// `[version, issuer_key_id, sequence, issued_at, currency, per_payment_limit,
/// offline_holding_limit, max_chain_depth, certificate_offline_validity, max_offline_payments,
/// [refresh_depth_margin, refresh_expiry_window, refresh_max_notes]]`, followed by the tier
/// table `[[tier, per_payment, holding, max_offline_payments], …]` unless it is empty: a policy
/// without tier limits has eleven items, exactly as policies had before tiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyBody {
    /// The issuer key that signs it.
    pub issuer_key_id: u32,
    /// Increases with every new policy; a wallet never installs an older one.
    pub sequence: u64,
    /// When the issuer signed it.
    pub issued_at: u64,
    /// The currency of every note and limit.
    pub currency: Currency,
    /// Largest single offline payment (minor units).
    pub per_payment_limit: u64,
    /// Largest offline balance a wallet may hold (minor units).
    pub offline_holding_limit: u64,
    /// Most links a note may carry before it must be refreshed at the issuer.
    pub max_chain_depth: u32,
    /// How long (seconds) a wallet certificate stays valid offline after issue or renewal.
    pub certificate_offline_validity: u64,
    /// Most offline payments a wallet may make between two syncs.
    pub max_offline_payments: u32,
    /// When wallets refresh their notes automatically at sync.
    pub refresh: RefreshPolicy,
    /// Limits of their own for some tiers (strictly increasing tier order); a tier without an
    /// entry has the general limits above ([`PolicyBody::limits_for`]).
    pub tier_limits: Vec<TierLimits>,
}

impl PolicyBody {
    /// The limits this policy sets for a wallet of `tier`: its entry in the tier table, else
    /// the general ones. The caller combines them with the certificate's
    /// ([`crate::policy::Limits::new`]).
    pub fn limits_for(&self, tier: Tier) -> TierLimits {
        self.tier_limits.iter().find(|t| t.tier == tier).copied().unwrap_or(TierLimits {
            tier,
            per_payment: self.per_payment_limit,
            holding: self.offline_holding_limit,
            max_offline_payments: self.max_offline_payments,
        })
    }
}

/// The issuer's rules for automatic refresh at sync (GNU Taler's auto-refresh is the model).
/// A wallet refreshes a note whose chain holds a since-revoked custodian, a note within
/// `depth_margin` links of `max_chain_depth`, a note expiring within `expiry_window`, and
/// consolidates when it holds more than `max_notes` notes or its largest notes that fit in one
/// payment cannot pay its spendable balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Refresh a note once its chain is this close to `max_chain_depth` (links left).
    pub depth_margin: u32,
    /// Refresh a note expiring within this many seconds.
    pub expiry_window: u64,
    /// Consolidate when the wallet holds more notes than this.
    pub max_notes: u32,
}

impl Default for RefreshPolicy {
    /// Half of the default depth limit (32) as margin, 30 days before expiry, 48 notes.
    fn default() -> Self {
        Self { depth_margin: 16, expiry_window: 30 * 24 * 3600, max_notes: 48 }
    }
}

/// An issuer-signed policy.
pub type Policy = Signed<PolicyBody>;

impl Body for PolicyBody {
    const TAG: &'static [u8] = b"OC1/policy";
    const KIND: ObjectKind = ObjectKind::Policy;

    fn encode(&self, enc: &mut Encoder) {
        let with_tiers = !self.tier_limits.is_empty();
        enc.array(if with_tiers { 12 } else { 11 })
            .uint(super::VERSION)
            .uint(u64::from(self.issuer_key_id))
            .uint(self.sequence)
            .uint(self.issued_at)
            .text(self.currency.as_str())
            .uint(self.per_payment_limit)
            .uint(self.offline_holding_limit)
            .uint(u64::from(self.max_chain_depth))
            .uint(self.certificate_offline_validity)
            .uint(u64::from(self.max_offline_payments));
        enc.array(3)
            .uint(u64::from(self.refresh.depth_margin))
            .uint(self.refresh.expiry_window)
            .uint(u64::from(self.refresh.max_notes));
        if with_tiers {
            encode_tier_limits(enc, &self.tier_limits);
        }
    }

    fn decode(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let at = dec.position();
        let len = dec.array(12)?;
        if len != 11 && len != 12 {
            return Err(DecodeError::InvalidField { offset: at, field: "array length" });
        }
        codec::decode_version(dec, Self::KIND)?;
        Ok(Self {
            issuer_key_id: dec.u32()?,
            sequence: dec.uint()?,
            issued_at: dec.uint()?,
            currency: Currency::decode(dec)?,
            per_payment_limit: dec.uint()?,
            offline_holding_limit: dec.uint()?,
            max_chain_depth: dec.u32()?,
            certificate_offline_validity: dec.uint()?,
            max_offline_payments: dec.u32()?,
            refresh: {
                dec.array_exact(3)?;
                RefreshPolicy { depth_margin: dec.u32()?, expiry_window: dec.uint()?, max_notes: dec.u32()? }
            },
            tier_limits: if len == 12 { decode_tier_limits(dec)? } else { Vec::new() },
        })
    }
}

/// The sequence of a stored signed policy of any layout, even one this code no longer decodes
/// (a policy signed before the refresh rules were added): an issuer that upgrades signs its
/// next policy with a higher sequence, so wallets install it. `None` if it is not a policy.
pub fn policy_sequence_of(bytes: &[u8]) -> Option<u64> {
    let mut dec = Decoder::new(bytes);
    dec.array_exact(2).ok()?;
    dec.array(32).ok()?;
    dec.uint().ok()?;
    dec.u32().ok()?;
    dec.uint().ok()
}

impl super::signed::IssuerSigned for PolicyBody {
    fn issuer_key_id(&self) -> u32 {
        self.issuer_key_id
    }
    fn signed_at(&self) -> u64 {
        self.issued_at
    }
}

#[cfg(all(test, feature = "test-support"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_of_a_policy_is_read_whatever_its_layout() {
        let fx = crate::testkit::TestIssuer::new(crate::crypto::Suite::EcdsaP256).unwrap();
        let bytes = fx.policy.to_bytes();
        assert_eq!(policy_sequence_of(&bytes), Some(fx.policy.body().sequence));
        // The layout before the refresh rules: ten elements, no longer a `Policy`.
        let mut enc = Encoder::new();
        enc.array(2).array(10).uint(1).uint(1).uint(41).uint(0).text("EUR");
        for v in [1u64, 2, 3, 4, 5] {
            enc.uint(v);
        }
        enc.bytes(&[0; 8]);
        let old = enc.finish();
        assert!(Policy::from_bytes(&old).is_err());
        assert_eq!(policy_sequence_of(&old), Some(41));
        assert_eq!(policy_sequence_of(b"not a policy"), None);
    }
}
