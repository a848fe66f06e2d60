//! Key attestation evidence a wallet sends at registration, and its JSON form.
//!
//! ```text
//!  app: SyncClient::attestation_challenge(url, credential) ─► challenge (single use, minutes)
//!       create the key with it (Android setAttestationChallenge; iOS App Attest client data)
//!  wallet: register_attested(Attestation { challenge, evidence }) ─► certificate at the tier
//!          the issuer verified (software without evidence)
//! ```
//!
//! This module carries bytes; it verifies nothing (the issuer does).

use super::auth::{b64, from_b64, to_hex};
use super::wire;

/// What proves where the wallet's key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttestationEvidence {
    /// Android key attestation: the certificate chain of the key (DER, leaf first).
    Android {
        /// DER certificates, leaf first.
        chain: Vec<Vec<u8>>,
    },
    /// Apple App Attest: the attestation object (CBOR) and the key id.
    AppAttest {
        /// The attestation object.
        attestation_object: Vec<u8>,
        /// The App Attest key id.
        key_id: Vec<u8>,
    },
}

/// Evidence with the issuer's challenge it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    /// The challenge from [`crate::sync::SyncClient::attestation_challenge`].
    pub challenge: Vec<u8>,
    /// The evidence.
    pub evidence: AttestationEvidence,
}

/// Most certificates an Android chain may hold.
pub const MAX_CHAIN: usize = 8;

impl AttestationEvidence {
    /// Its JSON form.
    pub fn to_wire(&self) -> wire::AttestationEvidence {
        match self {
            AttestationEvidence::Android { chain } => {
                wire::AttestationEvidence::Android { chain: chain.iter().map(|c| b64(c)).collect() }
            }
            AttestationEvidence::AppAttest { attestation_object, key_id } => wire::AttestationEvidence::AppAttest {
                attestation_object: b64(attestation_object),
                key_id: b64(key_id),
            },
        }
    }

    /// From its JSON form; `None` if a field is not base64 or the chain is empty or too long.
    pub fn from_wire(w: &wire::AttestationEvidence) -> Option<Self> {
        Some(match w {
            wire::AttestationEvidence::Android { chain } => {
                if chain.is_empty() || chain.len() > MAX_CHAIN {
                    return None;
                }
                AttestationEvidence::Android { chain: chain.iter().map(|c| from_b64(c)).collect::<Option<_>>()? }
            }
            wire::AttestationEvidence::AppAttest { attestation_object, key_id } => AttestationEvidence::AppAttest {
                attestation_object: from_b64(attestation_object)?,
                key_id: from_b64(key_id)?,
            },
        })
    }
}

impl Attestation {
    /// The registration fields: (challenge hex, evidence JSON).
    pub(crate) fn to_wire(&self) -> (String, wire::AttestationEvidence) {
        (to_hex(&self.challenge), self.evidence.to_wire())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn evidence_round_trips_through_json_and_bad_fields_are_refused() {
        for e in [
            AttestationEvidence::Android { chain: vec![vec![1, 2], vec![3]] },
            AttestationEvidence::AppAttest { attestation_object: vec![9; 40], key_id: vec![7; 32] },
        ] {
            let json = serde_json::to_string(&e.to_wire()).unwrap();
            let back: wire::AttestationEvidence = serde_json::from_str(&json).unwrap();
            assert_eq!(AttestationEvidence::from_wire(&back), Some(e));
        }
        assert_eq!(AttestationEvidence::from_wire(&wire::AttestationEvidence::Android { chain: vec![] }), None);
        let bad = wire::AttestationEvidence::Android { chain: vec!["not base64!".into()] };
        assert_eq!(AttestationEvidence::from_wire(&bad), None);
    }
}
