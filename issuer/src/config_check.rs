//! The issuer's configuration, checked before anything is signed with it: a policy that no
//! wallet could live under (a refresh margin as deep as the chain limit, so every note is due
//! at every sync; certificates valid for no time; notes that expire before their settlement
//! grace could matter) is refused at start with the option to change, not discovered by users.

use crate::{IssuerConfig, IssuerError};

impl IssuerConfig {
    /// Refuses a configuration whose signed policy or lifetimes cannot work; names the field.
    pub fn check(&self) -> Result<(), IssuerError> {
        let bad = |what: String| Err(IssuerError::Policy { what });
        if self.max_chain_depth == 0 {
            return bad("max_chain_depth must be at least 1: no note could ever be paid".into());
        }
        if self.refresh.depth_margin >= self.max_chain_depth {
            return bad(format!(
                "refresh depth_margin ({}) must be below max_chain_depth ({}): every note would be due for a refresh at every sync",
                self.refresh.depth_margin, self.max_chain_depth
            ));
        }
        if self.refresh.max_notes == 0 {
            return bad(
                "refresh max_notes must be at least 1: a wallet holding one note would consolidate at every sync"
                    .into(),
            );
        }
        if self.certificate_validity_secs == 0 {
            return bad("certificate validity must be positive: no wallet could pay offline".into());
        }
        if self.note_validity_secs == 0 {
            return bad("note validity must be positive: every funded note would be born expired".into());
        }
        if self.refresh.expiry_window >= self.note_validity_secs {
            return bad(format!(
                "refresh expiry_window ({} s) must be shorter than note validity ({} s): every fresh note would be due for a refresh",
                self.refresh.expiry_window, self.note_validity_secs
            ));
        }
        if self.per_payment_limit == 0 || self.holding_limit == 0 {
            return bad("per-payment and holding limits must be positive".into());
        }
        if self.max_offline_payments == 0 {
            return bad("max_offline_payments must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Change = Box<dyn Fn(&mut IssuerConfig)>;

    #[test]
    #[allow(clippy::panic)]
    fn the_default_configuration_passes_and_each_unlivable_policy_is_refused_by_name() {
        let ok = IssuerConfig::new("unused.db", "t");
        assert!(ok.check().is_ok());
        let cases: Vec<(&str, Change)> = vec![
            ("max_chain_depth", Box::new(|c| c.max_chain_depth = 0)),
            ("depth_margin", Box::new(|c| c.refresh.depth_margin = c.max_chain_depth)),
            ("max_notes", Box::new(|c| c.refresh.max_notes = 0)),
            ("certificate validity", Box::new(|c| c.certificate_validity_secs = 0)),
            ("note validity", Box::new(|c| c.note_validity_secs = 0)),
            ("expiry_window", Box::new(|c| c.refresh.expiry_window = c.note_validity_secs)),
            ("limits", Box::new(|c| c.holding_limit = 0)),
            ("max_offline_payments", Box::new(|c| c.max_offline_payments = 0)),
        ];
        for (name, change) in cases {
            let mut c = IssuerConfig::new("unused.db", "t");
            change(&mut c);
            let Err(err) = c.check() else { panic!("{name}: accepted") };
            let err = err.to_string();
            assert!(err.contains(name), "{name}: {err}");
        }
    }
}
