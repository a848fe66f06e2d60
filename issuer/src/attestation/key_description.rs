//! Android's KeyDescription: the attestation extension (OID 1.3.6.1.4.1.11129.2.1.17) of the
//! leaf certificate of a Keystore attestation chain.
//!
//! ```text
//! KeyDescription ::= SEQUENCE {
//!   attestationVersion INTEGER, attestationSecurityLevel SecurityLevel,
//!   keyMintVersion INTEGER,     keyMintSecurityLevel SecurityLevel,
//!   attestationChallenge OCTET STRING, uniqueId OCTET STRING,
//!   softwareEnforced AuthorizationList, hardwareEnforced AuthorizationList, ... }
//! ```
//!
//! Contract: [`KeyDescription::parse`] reads the extension's content and keeps only the fields
//! a wallet registration checks (the security levels, the challenge, and per authorization
//! list: purposes, algorithm, curve, origin, root of trust, application id); other tags are
//! skipped. A tag seen twice in one list, or a field of the wrong type, is malformed. It does
//! not decide anything: [`super::android`] does.

use super::der::{self, Reader, Tag};
use super::error::AttestationError;

/// The extension's OID content (1.3.6.1.4.1.11129.2.1.17).
pub const OID_KEY_DESCRIPTION: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x01, 0x11];

/// KeyMint tag numbers (the context tags of an AuthorizationList).
const TAG_PURPOSE: u32 = 1;
const TAG_ALGORITHM: u32 = 2;
const TAG_EC_CURVE: u32 = 10;
const TAG_ORIGIN: u32 = 702;
const TAG_ROOT_OF_TRUST: u32 = 704;
const TAG_APPLICATION_ID: u32 = 709;

/// KeyMint values checked by a wallet registration.
pub const PURPOSE_SIGN: u64 = 2;
pub const ALGORITHM_EC: u64 = 3;
pub const EC_CURVE_P256: u64 = 1;
pub const ORIGIN_GENERATED: u64 = 0;

/// Where an attested key lives (Android's `SecurityLevel`), weakest first: the order is the
/// order of what each proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecurityLevel {
    /// In the Android OS (a software Keymaster): proves nothing about hardware.
    Software,
    /// In a trusted execution environment (TEE).
    TrustedEnvironment,
    /// In a discrete secure element (StrongBox).
    StrongBox,
}

impl SecurityLevel {
    fn from_enumerated(value: &[u8]) -> Result<Self, AttestationError> {
        match der::uint(value, "security level")? {
            0 => Ok(SecurityLevel::Software),
            1 => Ok(SecurityLevel::TrustedEnvironment),
            2 => Ok(SecurityLevel::StrongBox),
            _ => Err(der::malformed("security level")),
        }
    }
}

/// Android's verified boot state (RootOfTrust.verifiedBootState).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootState {
    /// The full chain of trust from the hardware to the OS is verified with Google's or the
    /// maker's key.
    Verified,
    /// Verified with a user-installed key (a custom OS).
    SelfSigned,
    /// Not verified: the device runs whatever it was given (an unlocked bootloader).
    Unverified,
    /// Verification failed.
    Failed,
}

/// The root of trust: how the device booted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBoot {
    pub state: BootState,
    pub device_locked: bool,
    /// The digest of the key that verified the boot image.
    pub verified_boot_key: Vec<u8>,
}

/// The application that asked for the key (AttestationApplicationId): its package names and
/// versions, and the SHA-256 digests of its signing certificates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationId {
    pub packages: Vec<(String, u64)>,
    pub signing_digests: Vec<Vec<u8>>,
}

/// One AuthorizationList, reduced to the tags a registration checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizationList {
    pub purposes: Vec<u64>,
    pub algorithm: Option<u64>,
    pub ec_curve: Option<u64>,
    pub origin: Option<u64>,
    pub root_of_trust: Option<VerifiedBoot>,
    pub application_id: Option<ApplicationId>,
}

/// The parsed KeyDescription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDescription {
    pub attestation_version: u64,
    pub attestation_level: SecurityLevel,
    pub keymaster_version: u64,
    pub keymaster_level: SecurityLevel,
    pub challenge: Vec<u8>,
    pub software_enforced: AuthorizationList,
    pub hardware_enforced: AuthorizationList,
}

impl KeyDescription {
    /// Reads the extension's content (the extnValue octets).
    pub fn parse(bytes: &[u8]) -> Result<Self, AttestationError> {
        let seq = der::parse_one(bytes, Tag::SEQUENCE, "KeyDescription")?;
        let mut r = seq.reader();
        let attestation_version = der::uint(r.expect(Tag::INTEGER, "attestationVersion")?.value, "attestationVersion")?;
        let attestation_level =
            SecurityLevel::from_enumerated(r.expect(Tag::ENUMERATED, "attestationSecurityLevel")?.value)?;
        let keymaster_version = der::uint(r.expect(Tag::INTEGER, "keymasterVersion")?.value, "keymasterVersion")?;
        let keymaster_level =
            SecurityLevel::from_enumerated(r.expect(Tag::ENUMERATED, "keymasterSecurityLevel")?.value)?;
        let challenge = r.expect(Tag::OCTET_STRING, "attestationChallenge")?.value.to_vec();
        r.expect(Tag::OCTET_STRING, "uniqueId")?;
        let software_enforced = parse_authorization_list(r.expect(Tag::SEQUENCE, "softwareEnforced")?.reader())?;
        let hardware_enforced = parse_authorization_list(r.expect(Tag::SEQUENCE, "hardwareEnforced")?.reader())?;
        // Later versions may append fields: they are not ours to check.
        Ok(KeyDescription {
            attestation_version,
            attestation_level,
            keymaster_version,
            keymaster_level,
            challenge,
            software_enforced,
            hardware_enforced,
        })
    }
}

fn parse_authorization_list(mut r: Reader<'_>) -> Result<AuthorizationList, AttestationError> {
    let mut list = AuthorizationList::default();
    let mut seen: Vec<u32> = Vec::new();
    while !r.is_empty() {
        let field = r.next("authorization")?;
        if field.tag.class != der::CONTEXT || !field.tag.constructed {
            return Err(der::malformed("authorization tag"));
        }
        let number = field.tag.number;
        if seen.contains(&number) {
            return Err(der::malformed("authorization tag repeated"));
        }
        seen.push(number);
        let mut inner = field.reader();
        let value = inner.next("authorization value")?;
        inner.finish("authorization value")?;
        match number {
            TAG_PURPOSE => {
                let set = value.expect(Tag::SET, "purpose")?;
                let mut items = set.reader();
                while !items.is_empty() {
                    list.purposes.push(der::uint(items.expect(Tag::INTEGER, "purpose")?.value, "purpose")?);
                }
            }
            TAG_ALGORITHM => {
                list.algorithm = Some(der::uint(value.expect(Tag::INTEGER, "algorithm")?.value, "algorithm")?)
            }
            TAG_EC_CURVE => list.ec_curve = Some(der::uint(value.expect(Tag::INTEGER, "ecCurve")?.value, "ecCurve")?),
            TAG_ORIGIN => list.origin = Some(der::uint(value.expect(Tag::INTEGER, "origin")?.value, "origin")?),
            TAG_ROOT_OF_TRUST => {
                list.root_of_trust = Some(parse_root_of_trust(value.expect(Tag::SEQUENCE, "rootOfTrust")?.reader())?)
            }
            TAG_APPLICATION_ID => {
                let octets = value.expect(Tag::OCTET_STRING, "attestationApplicationId")?;
                list.application_id = Some(parse_application_id(octets.value)?);
            }
            _ => {}
        }
    }
    Ok(list)
}

fn parse_root_of_trust(mut r: Reader<'_>) -> Result<VerifiedBoot, AttestationError> {
    let verified_boot_key = r.expect(Tag::OCTET_STRING, "verifiedBootKey")?.value.to_vec();
    let device_locked = der::boolean(r.expect(Tag::BOOLEAN, "deviceLocked")?.value, "deviceLocked")?;
    let state = match der::uint(r.expect(Tag::ENUMERATED, "verifiedBootState")?.value, "verifiedBootState")? {
        0 => BootState::Verified,
        1 => BootState::SelfSigned,
        2 => BootState::Unverified,
        3 => BootState::Failed,
        _ => return Err(der::malformed("verifiedBootState")),
    };
    // verifiedBootHash (version 3 and later) is not checked here.
    r.optional(Tag::OCTET_STRING, "verifiedBootHash")?;
    r.finish("rootOfTrust")?;
    Ok(VerifiedBoot { state, device_locked, verified_boot_key })
}

fn parse_application_id(bytes: &[u8]) -> Result<ApplicationId, AttestationError> {
    let seq = der::parse_one(bytes, Tag::SEQUENCE, "AttestationApplicationId")?;
    let mut r = seq.reader();
    let mut app = ApplicationId::default();
    let mut packages = r.expect(Tag::SET, "package_infos")?.reader();
    while !packages.is_empty() {
        let mut info = packages.expect(Tag::SEQUENCE, "AttestationPackageInfo")?.reader();
        let name = info.expect(Tag::OCTET_STRING, "package_name")?.value;
        let version = der::uint(info.expect(Tag::INTEGER, "version")?.value, "version")?;
        info.finish("AttestationPackageInfo")?;
        let name = std::str::from_utf8(name).map_err(|_| der::malformed("package_name"))?;
        app.packages.push((name.to_owned(), version));
    }
    let mut digests = r.expect(Tag::SET, "signature_digests")?.reader();
    while !digests.is_empty() {
        app.signing_digests.push(digests.expect(Tag::OCTET_STRING, "signature_digest")?.value.to_vec());
    }
    r.finish("AttestationApplicationId")?;
    Ok(app)
}
