//! The signature suites and their sizes.

use super::CryptoError;

/// A signature suite. The discriminant is the id carried on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Suite {
    /// ECDSA over NIST P-256 with SHA-256 (the curve held by Android StrongBox and the Secure Enclave).
    EcdsaP256 = 1,
    /// ML-DSA-44 (FIPS 204, the standardised Dilithium), NIST security category 2.
    MlDsa44 = 2,
    /// ML-DSA-44 and ECDSA P-256 together; both signatures must verify.
    CompositeMlDsa44EcdsaP256 = 3,
}

/// Length of a compressed SEC1 P-256 public key.
pub(crate) const P256_PUBLIC_KEY_LEN: usize = 33;
/// Length of a raw `r ‖ s` P-256 signature.
pub(crate) const P256_SIGNATURE_LEN: usize = 64;
/// Length of an ML-DSA-44 public key (FIPS 204, Table 2).
pub(crate) const ML_DSA_44_PUBLIC_KEY_LEN: usize = 1312;
/// Length of an ML-DSA-44 signature (FIPS 204, Table 2).
pub(crate) const ML_DSA_44_SIGNATURE_LEN: usize = 2420;

impl Suite {
    /// Every suite, in id order.
    pub const ALL: [Suite; 3] = [Suite::EcdsaP256, Suite::MlDsa44, Suite::CompositeMlDsa44EcdsaP256];

    /// The wire id.
    pub fn id(self) -> u8 {
        self as u8
    }

    /// The suite with wire id `id`.
    pub fn from_id(id: u64) -> Result<Self, CryptoError> {
        match id {
            1 => Ok(Suite::EcdsaP256),
            2 => Ok(Suite::MlDsa44),
            3 => Ok(Suite::CompositeMlDsa44EcdsaP256),
            other => Err(CryptoError::UnknownSuite(other)),
        }
    }

    /// Short name used in the CLI and docs: `p256`, `ml-dsa-44`, `composite`.
    pub fn name(self) -> &'static str {
        match self {
            Suite::EcdsaP256 => "p256",
            Suite::MlDsa44 => "ml-dsa-44",
            Suite::CompositeMlDsa44EcdsaP256 => "composite",
        }
    }

    /// Parses a short name as printed by [`Suite::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Suite::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Length in bytes of a public key of this suite.
    pub fn public_key_len(self) -> usize {
        match self {
            Suite::EcdsaP256 => P256_PUBLIC_KEY_LEN,
            Suite::MlDsa44 => ML_DSA_44_PUBLIC_KEY_LEN,
            Suite::CompositeMlDsa44EcdsaP256 => ML_DSA_44_PUBLIC_KEY_LEN + P256_PUBLIC_KEY_LEN,
        }
    }

    /// Length in bytes of a signature of this suite.
    pub fn signature_len(self) -> usize {
        match self {
            Suite::EcdsaP256 => P256_SIGNATURE_LEN,
            Suite::MlDsa44 => ML_DSA_44_SIGNATURE_LEN,
            Suite::CompositeMlDsa44EcdsaP256 => ML_DSA_44_SIGNATURE_LEN + P256_SIGNATURE_LEN,
        }
    }

    pub(crate) fn domain_label(self) -> &'static [u8] {
        match self {
            Suite::EcdsaP256 => b"OfflineCash/1 ecdsa-p256 ",
            Suite::MlDsa44 => b"OfflineCash/1 ml-dsa-44 ",
            Suite::CompositeMlDsa44EcdsaP256 => b"OfflineCash/1 composite ",
        }
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
