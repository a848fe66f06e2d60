//! The signature suites, as the apps see them.

use offline_cash_core::crypto;

/// A signature suite: which algorithm a key signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Suite {
    /// ECDSA over NIST P-256 with SHA-256: the curve Android Keystore / StrongBox and the
    /// iOS Secure Enclave hold in hardware.
    EcdsaP256,
    /// ML-DSA-44 (FIPS 204), post-quantum; software keys only.
    MlDsa44,
    /// ML-DSA-44 and ECDSA P-256 together; both signatures must verify.
    CompositeMlDsa44EcdsaP256,
}

impl From<Suite> for crypto::Suite {
    fn from(suite: Suite) -> Self {
        match suite {
            Suite::EcdsaP256 => crypto::Suite::EcdsaP256,
            Suite::MlDsa44 => crypto::Suite::MlDsa44,
            Suite::CompositeMlDsa44EcdsaP256 => crypto::Suite::CompositeMlDsa44EcdsaP256,
        }
    }
}

impl TryFrom<crypto::Suite> for Suite {
    type Error = crate::OfflineCashError;

    /// Core's `Suite` is `#[non_exhaustive]`: a suite added there but not here is reported as a
    /// typed error rather than a panic.
    fn try_from(suite: crypto::Suite) -> Result<Self, Self::Error> {
        match suite {
            crypto::Suite::EcdsaP256 => Ok(Suite::EcdsaP256),
            crypto::Suite::MlDsa44 => Ok(Suite::MlDsa44),
            crypto::Suite::CompositeMlDsa44EcdsaP256 => Ok(Suite::CompositeMlDsa44EcdsaP256),
            other => Err(crate::OfflineCashError::Incompatible {
                detail: format!("suite {other} is not exposed by this version of the bindings"),
            }),
        }
    }
}
