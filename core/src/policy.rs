//! Offline limits: what a wallet may spend and hold between two syncs with the issuer.
//!
//! ```text
//!  Policy (issuer, for everyone) ─┐
//!                                 ├─► Limits ──► check_spend(amount, payments since sync, now)
//!  WalletCertificate (this wallet)┘          └─► check_holding(balance held, amount received)
//! ```
//!
//! The policy's limits are those of the certificate's tier ([`PolicyBody::limits_for`]: its
//! entry in the policy's tier table, else the general limits). Where the policy and the
//! certificate both set a limit, the smaller one applies. Every
//! refusal is a [`LimitError`] naming the limit and by how much it was exceeded, so the app can
//! tell the user "over the per-payment limit by €2.50" or "sync before paying again".
//!
//! This module keeps no state and reads no clock: the store supplies the counts it maintains
//! (payments made since the last sync, balance held) and the caller supplies `now`. It does not
//! verify signatures on the policy or certificate (the `token` layer does, before they are
//! installed) and it does not check revocation (that is part of chain verification).

use crate::token::{CertificateBody, PolicyBody, Tier};

/// The limits in force for one wallet: the policy's and its certificate's, combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The wallet's tier (its certificate's): whose limits of the policy these are.
    pub tier: Tier,
    /// Largest single offline payment (minor units): min of policy and certificate.
    pub per_payment: u64,
    /// Largest balance held offline (minor units): min of policy and certificate.
    pub holding: u64,
    /// Most offline payments between two syncs (the policy's, for the tier).
    pub max_offline_payments: u32,
    /// Start of the certificate's offline validity window (Unix seconds).
    pub certificate_not_before: u64,
    /// End of the certificate's offline validity window: after it the wallet must sync.
    pub certificate_not_after: u64,
}

impl Limits {
    /// The limits set by `policy` and `certificate` together, for the certificate's tier.
    pub fn new(policy: &PolicyBody, certificate: &CertificateBody) -> Self {
        Self::combine(
            policy,
            certificate.tier,
            (certificate.per_payment_limit, certificate.holding_limit),
            (certificate.not_before, certificate.not_after),
        )
    }

    /// The one place the rule "the smaller of the policy's and the certificate's limit" is
    /// applied: the policy's limits for `tier` (the wallet's, from its certificate),
    /// `certificate` = (per payment, holding), `window` = the certificate's (not before, not
    /// after).
    pub fn combine(policy: &PolicyBody, tier: Tier, certificate: (u64, u64), window: (u64, u64)) -> Self {
        let p = policy.limits_for(tier);
        Self {
            tier,
            per_payment: p.per_payment.min(certificate.0),
            holding: p.holding.min(certificate.1),
            max_offline_payments: p.max_offline_payments,
            certificate_not_before: window.0,
            certificate_not_after: window.1,
        }
    }

    /// Whether a payer may make an offline payment of `amount` at `now`, having already made
    /// `payments_since_sync` offline payments since its last sync.
    ///
    /// Checked in this order: certificate window, number of payments, amount.
    pub fn check_spend(&self, amount: u64, payments_since_sync: u32, now: u64) -> Result<(), LimitError> {
        self.check_certificate(now)?;
        if payments_since_sync >= self.max_offline_payments {
            return Err(LimitError::OfflinePayments {
                made: payments_since_sync,
                max: self.max_offline_payments,
                excess: payments_since_sync - self.max_offline_payments + 1,
            });
        }
        if amount > self.per_payment {
            return Err(LimitError::PerPayment { amount, limit: self.per_payment, excess: amount - self.per_payment });
        }
        Ok(())
    }

    /// Whether the wallet's own certificate lets it pay offline at `now`.
    pub fn check_certificate(&self, now: u64) -> Result<(), LimitError> {
        if now > self.certificate_not_after {
            return Err(LimitError::CertificateExpired {
                not_after: self.certificate_not_after,
                now,
                overdue: now - self.certificate_not_after,
            });
        }
        if now < self.certificate_not_before {
            return Err(LimitError::CertificateNotYetValid { not_before: self.certificate_not_before, now });
        }
        Ok(())
    }

    /// How much more a payee holding `held` may receive ([`Limits::check_holding`] passes for
    /// any amount up to it): what a payee states in its signed payment requests.
    pub fn can_receive(&self, held: u64) -> u64 {
        self.holding.saturating_sub(held)
    }

    /// Whether the certificate is near enough its end that the next sync renews it: within
    /// [`RENEWAL_FRACTION`] of its window (10 days of a 30-day certificate), or past its end.
    /// A wallet that syncs at least once in that time never stops being able to pay.
    pub fn renewal_due(&self, now: u64) -> bool {
        let window = self.certificate_not_after.saturating_sub(self.certificate_not_before) / RENEWAL_FRACTION;
        now.saturating_add(window) >= self.certificate_not_after
    }

    /// Whether a payee holding `held` may receive `amount` more.
    pub fn check_holding(&self, held: u64, amount: u64) -> Result<(), LimitError> {
        let after = held.saturating_add(amount);
        if after > self.holding {
            return Err(LimitError::Holding {
                balance_after: after,
                limit: self.holding,
                excess: after - self.holding,
            });
        }
        Ok(())
    }
}

/// A certificate is renewed at sync once less than `1 / RENEWAL_FRACTION` of its validity
/// window is left (see [`Limits::renewal_due`]).
pub const RENEWAL_FRACTION: u64 = 3;

/// A limit that an operation would exceed, and by how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// The payment is larger than the per-payment limit.
    #[error("payment of {amount} exceeds the per-payment limit of {limit} by {excess}")]
    PerPayment { amount: u64, limit: u64, excess: u64 },
    /// Receiving would take the offline balance over the holding limit.
    #[error("balance of {balance_after} after receiving would exceed the holding limit of {limit} by {excess}")]
    Holding { balance_after: u64, limit: u64, excess: u64 },
    /// The wallet made as many offline payments as allowed between two syncs.
    #[error("{made} offline payments since the last sync; at most {max} allowed (over by {excess}): sync first")]
    OfflinePayments { made: u32, max: u32, excess: u32 },
    /// The certificate's offline validity ended: the wallet must sync before paying.
    #[error("certificate expired at {not_after}, now is {now} ({overdue} s overdue): sync first")]
    CertificateExpired { not_after: u64, now: u64, overdue: u64 },
    /// The certificate is not valid yet (the device clock is behind, or the certificate is new).
    #[error("certificate valid from {not_before}, now is {now}")]
    CertificateNotYetValid { not_before: u64, now: u64 },
}

impl LimitError {
    /// Its reason (logs, FFI, the issuer's error bodies).
    pub fn reason(&self) -> crate::reason::Reason {
        use crate::reason::Reason;
        match self {
            LimitError::PerPayment { .. } => Reason::LimitPerPayment,
            LimitError::Holding { .. } => Reason::LimitHolding,
            LimitError::OfflinePayments { .. } => Reason::LimitOfflinePayments,
            LimitError::CertificateExpired { .. } => Reason::CertificateExpired,
            LimitError::CertificateNotYetValid { .. } => Reason::CertificateNotYetValid,
        }
    }

    /// Its stable name (`self.reason().name()`).
    pub fn code(&self) -> &'static str {
        self.reason().name()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            tier: Tier::Software,
            per_payment: 500,
            holding: 2_000,
            max_offline_payments: 3,
            certificate_not_before: 100,
            certificate_not_after: 1_000,
        }
    }

    #[test]
    fn per_payment_limit_is_hit_and_says_by_how_much() {
        assert_eq!(limits().check_spend(500, 0, 200), Ok(()));
        assert_eq!(
            limits().check_spend(750, 0, 200),
            Err(LimitError::PerPayment { amount: 750, limit: 500, excess: 250 })
        );
    }

    #[test]
    fn holding_limit_is_hit() {
        assert_eq!(limits().check_holding(1_500, 500), Ok(()));
        assert_eq!(
            limits().check_holding(1_500, 501),
            Err(LimitError::Holding { balance_after: 2_001, limit: 2_000, excess: 1 })
        );
        assert!(limits().check_holding(u64::MAX, 1).is_err());
        assert_eq!(limits().can_receive(1_500), 500);
        assert_eq!(limits().can_receive(2_500), 0);
    }

    #[test]
    fn offline_payment_count_is_hit() {
        assert_eq!(limits().check_spend(1, 2, 200), Ok(()));
        assert_eq!(limits().check_spend(1, 3, 200), Err(LimitError::OfflinePayments { made: 3, max: 3, excess: 1 }));
    }

    #[test]
    fn expired_certificate_forces_a_sync() {
        assert_eq!(limits().check_spend(1, 0, 1_000), Ok(()));
        assert_eq!(
            limits().check_spend(1, 0, 1_060),
            Err(LimitError::CertificateExpired { not_after: 1_000, now: 1_060, overdue: 60 })
        );
        assert_eq!(
            limits().check_spend(1, 0, 99),
            Err(LimitError::CertificateNotYetValid { not_before: 100, now: 99 })
        );
    }

    #[test]
    fn renewal_is_due_in_the_last_third_of_the_window_and_after_it() {
        // Window 100..=1_000: 900 s, so due from 700 on.
        assert!(!limits().renewal_due(100));
        assert!(!limits().renewal_due(699));
        assert!(limits().renewal_due(700));
        assert!(limits().renewal_due(1_000));
        assert!(limits().renewal_due(5_000), "an expired certificate is renewed too");
    }

    #[test]
    fn the_smaller_of_policy_and_certificate_applies() {
        use crate::testkit::{Fixture, TestWallet};
        let fx = Fixture::new(crate::crypto::Suite::EcdsaP256).unwrap();
        let wallet = TestWallet::new(&fx.issuer, crate::crypto::Suite::EcdsaP256).unwrap();
        let mut policy = fx.issuer.policy.body().clone();
        policy.per_payment_limit = 100;
        policy.offline_holding_limit = 10_000_000;
        let l = Limits::new(&policy, wallet.cert.body());
        assert_eq!(l.per_payment, 100);
        assert_eq!(l.holding, wallet.cert.body().holding_limit);
    }

    #[test]
    fn the_policy_limits_are_those_of_the_certificate_tier() {
        use crate::testkit::{Fixture, TestWallet};
        use crate::token::TierLimits;
        let fx = Fixture::new(crate::crypto::Suite::EcdsaP256).unwrap();
        let wallet = TestWallet::new(&fx.issuer, crate::crypto::Suite::EcdsaP256).unwrap();
        let mut policy = fx.issuer.policy.body().clone();
        let general = Limits::new(&policy, wallet.cert.body());
        policy.tier_limits =
            vec![TierLimits { tier: Tier::Software, per_payment: 700, holding: 900, max_offline_payments: 2 }];
        let mut cert = wallet.cert.body().clone();
        let software = Limits::new(&policy, &cert);
        assert_eq!(
            (software.tier, software.per_payment, software.holding, software.max_offline_payments),
            (Tier::Software, 700, 900, 2)
        );
        // A tier without an entry has the general limits; the certificate's still cap them.
        cert.tier = Tier::StrongBox;
        let strongbox = Limits::new(&policy, &cert);
        assert_eq!(Limits { tier: Tier::Software, ..strongbox }, general);
        assert_eq!(strongbox.tier, Tier::StrongBox);
        policy.tier_limits.push(TierLimits {
            tier: Tier::StrongBox,
            per_payment: u64::MAX,
            holding: 10,
            max_offline_payments: 9,
        });
        let capped = Limits::new(&policy, &cert);
        assert_eq!((capped.per_payment, capped.holding, capped.max_offline_payments), (cert.per_payment_limit, 10, 9));
    }
}
