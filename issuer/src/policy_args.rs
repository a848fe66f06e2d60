//! `serve`'s policy options: every limit and lifetime the issuer signs into its policy or
//! applies at settlement, each with the library's default ([`IssuerConfig::new`]). Changing
//! one and restarting publishes a new policy (the next sequence); wallets install it at their
//! next sync.

use offline_cash_issuer::IssuerConfig;

#[derive(clap::Args, Debug)]
pub struct PolicyArgs {
    /// Currency of every note.
    #[arg(long, env = "OC_ISSUER_CURRENCY", default_value = "EUR")]
    currency: String,
    /// Largest single offline payment (minor units).
    #[arg(long, env = "OC_ISSUER_PER_PAYMENT_LIMIT", default_value_t = 50_000)]
    per_payment_limit: u64,
    /// Largest offline balance (minor units).
    #[arg(long, env = "OC_ISSUER_HOLDING_LIMIT", default_value_t = 200_000)]
    holding_limit: u64,
    /// Most links a note carries before it must be refreshed at the issuer.
    #[arg(long, env = "OC_ISSUER_MAX_CHAIN_DEPTH", default_value_t = 32)]
    max_chain_depth: u32,
    /// Offline validity of a wallet certificate after issue or renewal (seconds).
    #[arg(long, env = "OC_ISSUER_CERTIFICATE_VALIDITY", default_value_t = 30 * 86_400)]
    certificate_validity_secs: u64,
    /// Most offline payments a wallet makes between two syncs.
    #[arg(long, env = "OC_ISSUER_MAX_OFFLINE_PAYMENTS", default_value_t = 1_000)]
    max_offline_payments: u32,
    /// Lifetime of an issued note (seconds).
    #[arg(long, env = "OC_ISSUER_NOTE_VALIDITY", default_value_t = 365 * 86_400)]
    note_validity_secs: u64,
    /// How long after expiry a note may still be settled before its value returns to the
    /// account of its last known owner (seconds).
    #[arg(long, env = "OC_ISSUER_SETTLEMENT_GRACE", default_value_t = 30 * 86_400)]
    settlement_grace_secs: u64,
    /// Wallets refresh a note at sync once its chain is this many links from the depth limit.
    #[arg(long, env = "OC_ISSUER_REFRESH_DEPTH_MARGIN", default_value_t = 16)]
    refresh_depth_margin: u32,
    /// Wallets refresh a note at sync when it expires within this many seconds.
    #[arg(long, env = "OC_ISSUER_REFRESH_EXPIRY_WINDOW", default_value_t = 30 * 86_400)]
    refresh_expiry_window_secs: u64,
    /// Wallets consolidate at sync when they hold more notes than this.
    #[arg(long, env = "OC_ISSUER_REFRESH_MAX_NOTES", default_value_t = 48)]
    refresh_max_notes: u32,
    /// Limits of one tier, `TIER:PER_PAYMENT:HOLDING:OFFLINE_PAYMENTS` (tiers: software, tee,
    /// strongbox, secure_enclave); repeat for several tiers. A tier without one has the
    /// general limits.
    #[arg(long = "tier-limit", env = "OC_ISSUER_TIER_LIMITS", value_delimiter = ',', value_parser = offline_cash_issuer::tier_policy::parse_tier_limit)]
    tier_limits: Vec<offline_cash_core::token::TierLimits>,
}

impl PolicyArgs {
    /// Writes the options into `config`.
    pub fn apply(self, config: &mut IssuerConfig) {
        config.currency = self.currency;
        config.per_payment_limit = self.per_payment_limit;
        config.holding_limit = self.holding_limit;
        config.max_chain_depth = self.max_chain_depth;
        config.certificate_validity_secs = self.certificate_validity_secs;
        config.max_offline_payments = self.max_offline_payments;
        config.note_validity_secs = self.note_validity_secs;
        config.settlement_grace_secs = self.settlement_grace_secs;
        config.refresh.depth_margin = self.refresh_depth_margin;
        config.refresh.expiry_window = self.refresh_expiry_window_secs;
        config.refresh.max_notes = self.refresh_max_notes;
        config.tier_limits = self.tier_limits;
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Probe {
        #[command(flatten)]
        policy: PolicyArgs,
    }

    #[test]
    fn the_options_default_to_the_library_defaults() {
        let mut from_cli = IssuerConfig::new("x.db", "t");
        Probe::parse_from(["probe"]).policy.apply(&mut from_cli);
        let lib = IssuerConfig::new("x.db", "t");
        assert_eq!(format!("{from_cli:?}"), format!("{lib:?}"));
        assert_eq!(from_cli.refresh, lib.refresh);
    }
}
