//! What a wallet accepts from the issuer about whom to trust: keys, policy, revocation list.
//!
//! ```text
//!  answer { issuer_keys, key_rotations, policy, revocations }
//!     key_rotations ──(each verified by a key trusted now, oldest first)──► new trusted keys
//!     issuer_keys   ──(only those already trusted; others refused)
//!     policy        ──(signed by a trusted key valid at issued_at, sequence forward)──► store
//!     revocations   ──(same rule)──► store
//!  every item refused is a typed [`Refused`]; nothing refused is installed
//! ```
//!
//! The keys pinned at provisioning ([`Wallet::install_issuer_keys`]) are the anchors. Nothing
//! here ever removes a key: an answer that omits one changes nothing, and a key ended by a
//! rotation still verifies what it signed before its end (notes under it keep their value
//! until their own `expires_at`). This is what a network attacker who rewrites one answer
//! (plain `http://`, a hostile proxy) meets: without a trusted key's signature it can add no
//! key, install no policy and roll back no revocation list.

use crate::token::{IssuerKey, KeyRotation, Policy, Rejection, RevocationList, RotationError};

use super::{Wallet, WalletError};

/// What an issuer answer says about trust (a sync answer, or the public keys endpoint).
#[derive(Debug, Clone, Default)]
pub struct IssuerUpdate {
    /// The keys the issuer lists. Only informative: a key not already trusted is refused
    /// unless one of `rotations` introduces it.
    pub issuer_keys: Vec<IssuerKey>,
    /// The issuer's rotation chain, oldest first.
    pub rotations: Vec<KeyRotation>,
    /// The current policy.
    pub policy: Option<Policy>,
    /// The current revocation list.
    pub revocations: Option<RevocationList>,
}

/// An item of an issuer answer the wallet refused (and did not install).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refused {
    /// A listed key that is not trusted and that no verified rotation introduces.
    #[error("issuer key {key_id} is not introduced by a rotation from a trusted key")]
    UntrustedKey {
        /// The key's id.
        key_id: u32,
    },
    /// A rotation that does not verify against the keys trusted.
    #[error("rotation to key {key_id} refused: {error}")]
    Rotation {
        /// The id of the key it would introduce.
        key_id: u32,
        /// Why.
        error: RotationError,
    },
    /// A policy not signed by a trusted key valid at its `issued_at`.
    #[error("policy {sequence} refused: {error}")]
    Policy {
        /// Its sequence.
        sequence: u64,
        /// Why.
        error: Rejection,
    },
    /// A policy older than the installed one.
    #[error("policy {offered} is older than the installed {current}")]
    StalePolicy {
        /// Its sequence.
        offered: u64,
        /// The installed sequence.
        current: u64,
    },
    /// A revocation list not signed by a trusted key valid at its `issued_at`.
    #[error("revocation list {sequence} refused: {error}")]
    RevocationList {
        /// Its sequence.
        sequence: u64,
        /// Why.
        error: Rejection,
    },
    /// A revocation list older than the installed one (a rollback).
    #[error("revocation list {offered} is older than the installed {current}")]
    StaleRevocationList {
        /// Its sequence.
        offered: u64,
        /// The installed sequence.
        current: u64,
    },
}

impl Wallet {
    /// Applies what an issuer answer says about trust, at the wallet's time `now`, and returns
    /// what it refused. Rotations are applied first (so the policy and list may be signed by a
    /// key they introduce); then the policy and the revocation list, each only if signed by a
    /// trusted key valid at its date and not older than the installed one. Everything accepted
    /// is stored in one store transaction per object; what is refused changes nothing.
    pub fn apply_issuer_update(&self, update: &IssuerUpdate, now: u64) -> Result<Vec<Refused>, WalletError> {
        let mut inner = self.lock();
        let mut refused = Vec::new();
        let mut trust = inner.trust.clone();
        let skew = inner.config.max_clock_skew;
        for rotation in &update.rotations {
            if let Err(error) = trust.apply_rotation(rotation, now, skew) {
                refused.push(Refused::Rotation { key_id: rotation.body().new_key.key_id, error });
            }
        }
        for key in &update.issuer_keys {
            if trust.get(key.key_id).is_none_or(|k| k.public_key != key.public_key) {
                refused.push(Refused::UntrustedKey { key_id: key.key_id });
            }
        }
        let keys: Vec<IssuerKey> = trust.keys().cloned().collect();
        inner.store.merge_issuer_keys(&keys)?;
        inner.trust = inner.store.trust_store()?;
        let trust = inner.trust.clone();

        if let Some(policy) = &update.policy {
            let sequence = policy.body().sequence;
            let current = inner.store.policy()?.map(|p| p.body().sequence);
            match policy.verify_issuer(&trust) {
                Err(error) => refused.push(Refused::Policy { sequence, error }),
                Ok(()) => match current {
                    Some(current) if sequence < current => {
                        refused.push(Refused::StalePolicy { offered: sequence, current });
                    }
                    _ => inner.store.set_policy(policy)?,
                },
            }
        }
        if let Some(list) = &update.revocations {
            let sequence = list.body().sequence;
            let current = inner.store.revocation_list()?.map(|l| l.body().sequence);
            match list.verify_issuer(&trust) {
                Err(error) => refused.push(Refused::RevocationList { sequence, error }),
                Ok(()) => match current {
                    Some(current) if sequence < current => {
                        refused.push(Refused::StaleRevocationList { offered: sequence, current });
                    }
                    _ => inner.store.set_revocation_list(list)?,
                },
            }
        }
        Ok(refused)
    }
}
