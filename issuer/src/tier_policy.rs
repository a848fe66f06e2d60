//! The operator's tier limits: parsed from the command line (`--tier-limit
//! TIER:PER_PAYMENT:HOLDING:OFFLINE_PAYMENTS`, repeatable) and put in the order the signed
//! policy requires (one entry per tier, by tier code).

use offline_cash_core::policy::Limits;
use offline_cash_core::token::{CertificateStore, Tier, TierLimits, WalletId, select_valid_at};

use crate::store::{Tx, Wallets as _};
use crate::{Issuer, IssuerError};

impl Issuer {
    /// The per-payment limit `wallet` had at `at` (its certificate then, its tier's policy
    /// limits): what a payee could accept from it, so what a double-spend guarantee covers.
    /// A certificate this node does not hold is read in `tx` first. The general limit for a
    /// wallet without a certificate valid at `at`.
    pub(crate) fn per_payment_limit_of(&self, tx: &mut dyn Tx, wallet: &WalletId, at: u64) -> Result<u64, IssuerError> {
        let limit = |certs: &CertificateStore| {
            select_valid_at(certs.history(wallet), at)
                .map(|cert| Limits::new(self.policy.body(), cert.body()).per_payment)
        };
        if let Some(known) = limit(&self.certs.read()) {
            return Ok(known);
        }
        self.cache_certificates(tx.certificates_of(&wallet.0)?);
        Ok(limit(&self.certs.read()).unwrap_or(self.config.per_payment_limit))
    }
}

/// Parses `TIER:PER_PAYMENT:HOLDING:OFFLINE_PAYMENTS`, e.g. `software:5000:20000:10`.
pub fn parse_tier_limit(s: &str) -> Result<TierLimits, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let [tier, per_payment, holding, payments] = parts.as_slice() else {
        return Err(format!("expected TIER:PER_PAYMENT:HOLDING:OFFLINE_PAYMENTS, got {s:?}"));
    };
    let tier = Tier::from_name(tier)
        .ok_or_else(|| format!("unknown tier {tier:?} (software, tee, strongbox, secure_enclave)"))?;
    let num = |v: &str, what: &str| v.parse::<u64>().map_err(|_| format!("{what} {v:?} is not a number"));
    Ok(TierLimits {
        tier,
        per_payment: num(per_payment, "per-payment limit")?,
        holding: num(holding, "holding limit")?,
        max_offline_payments: u32::try_from(num(payments, "offline payments")?)
            .map_err(|_| "offline payments too large".to_owned())?,
    })
}

/// The table in policy order; two entries for one tier are an error.
pub fn ordered(limits: &[TierLimits]) -> Result<Vec<TierLimits>, IssuerError> {
    let mut table = limits.to_vec();
    table.sort_by_key(|t| t.tier);
    if table.windows(2).any(|w| matches!(w, [a, b] if a.tier == b.tier)) {
        return Err(IssuerError::Policy { what: "two tier limits for one tier".into() });
    }
    Ok(table)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tier_limits_parse_and_order() {
        let sb = parse_tier_limit("strongbox:40000:200000:500").unwrap();
        assert_eq!(
            sb,
            TierLimits { tier: Tier::StrongBox, per_payment: 40_000, holding: 200_000, max_offline_payments: 500 }
        );
        let sw = parse_tier_limit("software:5000:20000:10").unwrap();
        assert_eq!(ordered(&[sb, sw]).unwrap(), vec![sw, sb]);
        assert!(ordered(&[sw, sw]).is_err());
        for bad in ["hsm:1:2:3", "software:1:2", "software:x:2:3", "software:1:2:99999999999"] {
            assert!(parse_tier_limit(bad).is_err(), "{bad}");
        }
    }
}
