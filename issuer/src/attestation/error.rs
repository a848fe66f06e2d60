//! Why an attestation was refused: one variant per check, each mapped to one [`Reason`]
//! (wire codes 112–127, PROTOCOL.md §6).

use offline_cash_core::reason::Reason;

/// Why [`verify_android`](super::verify_android) or
/// [`verify_app_attest`](super::verify_app_attest) refused the evidence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttestationError {
    /// Bytes that are not a well-formed certificate, KeyDescription, CBOR object or status list
    /// (truncated, trailing bytes, wrong type, non-minimal encoding).
    #[error("malformed attestation: {what}")]
    Malformed { what: &'static str },
    /// An algorithm or format this verifier does not take (e.g. a signature algorithm other
    /// than RSA PKCS#1 with SHA-2 or ECDSA P-256/P-384, an attestation `fmt` other than
    /// `apple-appattest`).
    #[error("unsupported attestation: {what}")]
    Unsupported { what: &'static str },
    /// The chain's shape is wrong: empty, too long, an issuer name that does not match, or an
    /// attestation extension on a certificate that is not the leaf.
    #[error("bad attestation chain: {what}")]
    Chain { what: &'static str },
    /// A certificate's signature does not verify under its issuer's key (forged or altered).
    #[error("attestation signature does not verify (certificate {index} of the chain)")]
    BadSignature { index: usize },
    /// The chain does not end at a pinned root (another root, or a self-made one).
    #[error("attestation chain does not end at a pinned root")]
    UntrustedRoot,
    /// A certificate of the chain is not valid at the caller's instant.
    #[error("attestation certificate {index} is not valid at {now} (valid {not_before}..={not_after})")]
    OutsideValidity { index: usize, now: u64, not_before: u64, not_after: u64 },
    /// A certificate of the chain is revoked or suspended in the operator's status list.
    #[error("attestation certificate with serial {serial} is revoked")]
    Revoked { serial: String },
    /// The attested challenge (Android) or nonce (App Attest) is not the one this registration
    /// was given: replayed, or from another registration.
    #[error("attestation challenge does not match this registration")]
    Challenge,
    /// The attested key is not the wallet key being registered (or, App Attest, the key id and
    /// the credential do not match).
    #[error("attested key is not the wallet key")]
    WrongKey,
    /// The key's attested properties are not those of a wallet key: purpose SIGN, algorithm EC,
    /// curve P-256, origin GENERATED.
    #[error("attested key properties: {what}")]
    KeyProperties { what: &'static str },
    /// The attested application (Android package or signing digest, Apple app id) is not on
    /// the caller's allow-list, or absent while the allow-list is set.
    #[error("attested application is not allowed: {what}")]
    Application { what: &'static str },
    /// An App Attest attestation whose sign counter is not 0 (an attestation is the key's first
    /// use), or whose environment is not the expected one.
    #[error("App Attest counter {counter} is not 0")]
    Counter { counter: u32 },
    /// The operator's status list file could not be read.
    #[error("attestation status list: {what}")]
    StatusList { what: &'static str },
}

impl From<&AttestationError> for Reason {
    fn from(e: &AttestationError) -> Reason {
        match e {
            AttestationError::Malformed { .. } => Reason::AttestationMalformed,
            AttestationError::Unsupported { .. } => Reason::AttestationUnsupported,
            AttestationError::Chain { .. } => Reason::AttestationChain,
            AttestationError::BadSignature { .. } => Reason::AttestationSignature,
            AttestationError::UntrustedRoot => Reason::AttestationUntrustedRoot,
            AttestationError::OutsideValidity { .. } => Reason::AttestationValidity,
            AttestationError::Revoked { .. } => Reason::AttestationRevoked,
            AttestationError::Challenge => Reason::AttestationReplayed,
            AttestationError::WrongKey => Reason::AttestationWrongKey,
            AttestationError::KeyProperties { .. } => Reason::AttestationKeyProperties,
            AttestationError::Application { .. } => Reason::AttestationApplication,
            AttestationError::Counter { .. } => Reason::AttestationCounter,
            AttestationError::StatusList { .. } => Reason::AttestationStatusList,
        }
    }
}

impl From<AttestationError> for Reason {
    fn from(e: AttestationError) -> Reason {
        Reason::from(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_own_reason_in_the_attestation_range() {
        let all = [
            AttestationError::Malformed { what: "x" },
            AttestationError::Unsupported { what: "x" },
            AttestationError::Chain { what: "x" },
            AttestationError::BadSignature { index: 0 },
            AttestationError::UntrustedRoot,
            AttestationError::OutsideValidity { index: 0, now: 0, not_before: 0, not_after: 0 },
            AttestationError::Revoked { serial: "1".into() },
            AttestationError::Challenge,
            AttestationError::WrongKey,
            AttestationError::KeyProperties { what: "x" },
            AttestationError::Application { what: "x" },
            AttestationError::Counter { counter: 1 },
            AttestationError::StatusList { what: "x" },
        ];
        let mut codes: Vec<u8> = all.iter().map(|e| Reason::from(e).code()).collect();
        assert!(codes.iter().all(|c| (112..=127).contains(c)), "{codes:?}");
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
