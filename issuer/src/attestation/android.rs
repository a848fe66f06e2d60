//! Android Keystore key attestation: the certificate chain the Keystore signer exports.
//!
//! ```text
//!  leaf "Android Keystore Key"  ── KeyDescription (challenge, levels, key properties)
//!    ▲ signed by
//!  attestation key (TEE / StrongBox, or an RKP key)
//!    ▲ …
//!  Google root (pinned: RSA f92009e853b6b045 or EC Key Attestation CA1)
//! ```
//!
//! Contract of [`verify_android`], in order: every certificate parses; only the leaf carries
//! a KeyDescription (an attested key used as a CA to sign a forged leaf is refused); each
//! certificate is signed by the next and the last ends at a pinned root; each is valid at
//! `now`; none is on the status list; the challenge is this registration's; the attested key is
//! the wallet key; purpose SIGN, algorithm EC, curve P-256 and origin GENERATED are in the
//! authorization list of the level attested. The level returned is what the chain proves, not
//! what it claims (see [`AndroidAttested::level`]).

use p256::PublicKey;

use super::Expected;
use super::error::AttestationError;
use super::key_description::{
    ALGORITHM_EC, ApplicationId, AuthorizationList, BootState, EC_CURVE_P256, KeyDescription, OID_KEY_DESCRIPTION,
    ORIGIN_GENERATED, PURPOSE_SIGN, SecurityLevel, VerifiedBoot,
};
use super::roots::TrustAnchors;
use super::status_list::StatusList;
use super::x509::{self, Certificate, MAX_CHAIN};

/// What the Keystore signer sends: the attestation chain, DER, leaf first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AndroidEvidence {
    pub chain: Vec<Vec<u8>>,
}

/// A verified Android attestation. Only [`verify_android`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AndroidAttested {
    /// What the chain proves about the key, the one level to give the wallet its tier: the
    /// lower of the attestation and Keymaster levels (a Software attestation that claims a TEE
    /// Keymaster proves Software), and Software when the device's root of trust says it did
    /// not boot a verified, locked OS (an unlocked bootloader: the key is in hardware, but the
    /// app that uses it may be anything).
    pub level: SecurityLevel,
    /// The level of the component that signed the attestation.
    pub attestation_level: SecurityLevel,
    /// The level the Keymaster/KeyMint claims for the key.
    pub keymaster_level: SecurityLevel,
    pub attestation_version: u64,
    pub keymaster_version: u64,
    /// The root of trust, when the attestation has one.
    pub verified_boot: Option<VerifiedBoot>,
    /// The application that generated the key, when the attestation names it.
    pub application: Option<ApplicationId>,
}

impl AndroidAttested {
    /// The first package name the attestation names.
    pub fn package(&self) -> Option<&str> {
        self.application.as_ref()?.packages.first().map(|(name, _)| name.as_str())
    }
}

/// Verifies an Android key attestation chain for this registration (module doc: the checks).
pub fn verify_android(
    evidence: &AndroidEvidence,
    expected: &Expected<'_>,
    anchors: &TrustAnchors,
    status: &StatusList,
) -> Result<AndroidAttested, AttestationError> {
    if evidence.chain.is_empty() {
        return Err(AttestationError::Chain { what: "empty chain" });
    }
    if evidence.chain.len() > MAX_CHAIN {
        return Err(AttestationError::Chain { what: "chain too long" });
    }
    let chain = evidence.chain.iter().map(|c| Certificate::parse(c)).collect::<Result<Vec<_>, _>>()?;
    let (leaf, above) = chain.split_first().ok_or(AttestationError::Chain { what: "empty chain" })?;
    let extension = leaf
        .extension(OID_KEY_DESCRIPTION)
        .ok_or(AttestationError::Chain { what: "the leaf has no attestation extension" })?;
    if above.iter().any(|c| c.extension(OID_KEY_DESCRIPTION).is_some()) {
        return Err(AttestationError::Chain { what: "an attestation extension above the leaf" });
    }
    let description = KeyDescription::parse(extension)?;

    x509::verify_chain(&chain, &anchors.android, expected.now_unix)?;
    if let Some(revoked) = chain.iter().map(|c| c.serial_hex()).find(|s| status.is_refused(s)) {
        return Err(AttestationError::Revoked { serial: revoked });
    }
    if description.challenge != expected.challenge {
        return Err(AttestationError::Challenge);
    }
    let attested = x509::ec_point(leaf).ok_or(AttestationError::KeyProperties { what: "not a P-256 key" })?;
    if !same_p256_key(attested, expected.wallet_public_key) {
        return Err(AttestationError::WrongKey);
    }

    let claimed = description.attestation_level.min(description.keymaster_level);
    let list = if claimed == SecurityLevel::Software {
        &description.software_enforced
    } else {
        &description.hardware_enforced
    };
    check_key_properties(list)?;
    let verified_boot = description
        .hardware_enforced
        .root_of_trust
        .clone()
        .or_else(|| description.software_enforced.root_of_trust.clone());
    let boot_ok = verified_boot.as_ref().is_none_or(|b| b.state == BootState::Verified && b.device_locked);
    let level = if boot_ok { claimed } else { SecurityLevel::Software };

    let application = description
        .software_enforced
        .application_id
        .clone()
        .or_else(|| description.hardware_enforced.application_id.clone());
    check_application(application.as_ref(), expected)?;

    Ok(AndroidAttested {
        level,
        attestation_level: description.attestation_level,
        keymaster_level: description.keymaster_level,
        attestation_version: description.attestation_version,
        keymaster_version: description.keymaster_version,
        verified_boot,
        application,
    })
}

fn same_p256_key(attested: &[u8], wallet: &[u8]) -> bool {
    match (PublicKey::from_sec1_bytes(attested), PublicKey::from_sec1_bytes(wallet)) {
        (Ok(a), Ok(w)) => a == w,
        _ => false,
    }
}

fn check_key_properties(list: &AuthorizationList) -> Result<(), AttestationError> {
    if !list.purposes.contains(&PURPOSE_SIGN) {
        return Err(AttestationError::KeyProperties { what: "purpose SIGN missing" });
    }
    if list.algorithm != Some(ALGORITHM_EC) {
        return Err(AttestationError::KeyProperties { what: "algorithm is not EC" });
    }
    if list.ec_curve != Some(EC_CURVE_P256) {
        return Err(AttestationError::KeyProperties { what: "curve is not P-256" });
    }
    if list.origin != Some(ORIGIN_GENERATED) {
        return Err(AttestationError::KeyProperties { what: "key not generated in the keystore" });
    }
    Ok(())
}

fn check_application(app: Option<&ApplicationId>, expected: &Expected<'_>) -> Result<(), AttestationError> {
    if !expected.android_packages.is_empty() {
        let app = app.ok_or(AttestationError::Application { what: "no attestation application id" })?;
        if !app.packages.iter().any(|(name, _)| expected.android_packages.contains(&name.as_str())) {
            return Err(AttestationError::Application { what: "package not allowed" });
        }
    }
    if !expected.android_signing_digests.is_empty() {
        let app = app.ok_or(AttestationError::Application { what: "no attestation application id" })?;
        if !app.signing_digests.iter().any(|d| expected.android_signing_digests.contains(&d.as_slice())) {
            return Err(AttestationError::Application { what: "signing certificate not allowed" });
        }
    }
    Ok(())
}
