//! Apple App Attest: the attestation object `DCAppAttestService.attestKey` returns.
//!
//! ```text
//!  CBOR { fmt: "apple-appattest", attStmt: { x5c: [credCert, intermediate], receipt }, authData }
//!  authData = rpIdHash(32) ‖ flags(1) ‖ counter(4) ‖ aaguid(16) ‖ idLen(2) ‖ credentialId ‖ COSE key
//!  credCert extension 1.2.840.113635.100.8.2 = SEQUENCE { [1] OCTET STRING nonce }
//!  nonce = SHA-256(authData ‖ clientDataHash)
//! ```
//!
//! How the wallet key is bound (docs/PROTOCOL.md, "Registration with key attestation"): the app
//! passes `clientDataHash = SHA-256(challenge ‖ wallet_public_key)` to `attestKey`, where the
//! challenge is the issuer's for this registration and the wallet key the SEC1 bytes the
//! registration carries. So the nonce Apple certifies covers both, and a replayed attestation
//! (another challenge) or another wallet key fails the nonce check.
//!
//! Contract of [`verify_app_attest`], Apple's steps in order: the chain ends at Apple's App
//! Attest root and is valid at `now`; the nonce matches; the key id is the SHA-256 of the
//! credential certificate's key; rpIdHash is the SHA-256 of an allowed app id (`TEAMID.bundle`);
//! the counter is 0; the aaguid names the development or production environment; the
//! credential id is the key id. It does not check the receipt (that is a fraud-metric call to
//! Apple, online) nor later assertions.

use ring::digest::{SHA256, digest};

use super::Expected;
use super::cbor::{self, Value};
use super::der::{self, Tag};
use super::error::AttestationError;
use super::roots::TrustAnchors;
use super::x509::{self, Certificate};

/// The nonce extension's OID content (1.2.840.113635.100.8.2).
const OID_APPLE_NONCE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x08, 0x02];
const AAGUID_DEVELOPMENT: &[u8; 16] = b"appattestdevelop";
const AAGUID_PRODUCTION: &[u8; 16] = b"appattest\0\0\0\0\0\0\0";

/// What the iOS app sends: the attestation object and the key id `generateKey` returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAttestEvidence {
    /// The CBOR attestation object.
    pub attestation_object: Vec<u8>,
    /// The App Attest key id (SHA-256 of its public key).
    pub key_id: Vec<u8>,
}

/// Which App Attest environment signed (the aaguid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppAttestEnvironment {
    /// A development build (Xcode): `appattestdevelop`.
    Development,
    /// An App Store, TestFlight or enterprise build: `appattest` and seven zero bytes.
    Production,
}

/// A verified App Attest attestation. Only this module makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppAttested {
    /// The sign counter (0 for an attestation).
    pub counter: u32,
    pub environment: AppAttestEnvironment,
    /// The allowed app id that matched rpIdHash (`None` when no allow-list was given).
    pub app_id: Option<String>,
    /// The App Attest key (SEC1, uncompressed P-256): later assertions verify under it.
    pub public_key: Vec<u8>,
    /// Apple's receipt, for the operator's fraud-metric checks.
    pub receipt: Vec<u8>,
}

/// The client data hash the app must pass to `attestKey`: SHA-256(challenge ‖ wallet key).
pub fn client_data_hash(challenge: &[u8], wallet_public_key: &[u8]) -> [u8; 32] {
    let mut data = Vec::with_capacity(challenge.len() + wallet_public_key.len());
    data.extend_from_slice(challenge);
    data.extend_from_slice(wallet_public_key);
    sha256(&data)
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, data).as_ref());
    out
}

/// Verifies an App Attest attestation bound to this registration's challenge and wallet key.
pub fn verify_app_attest(
    evidence: &AppAttestEvidence,
    expected: &Expected<'_>,
    anchors: &TrustAnchors,
) -> Result<AppAttested, AttestationError> {
    let hash = client_data_hash(expected.challenge, expected.wallet_public_key);
    verify_app_attest_client_data(evidence, &hash, expected.apple_app_ids, expected.now_unix, anchors)
}

/// The same checks with the client data hash given (an app that binds other data; the tests
/// with Apple-signed samples, whose client data is not ours).
pub fn verify_app_attest_client_data(
    evidence: &AppAttestEvidence,
    client_data_hash: &[u8; 32],
    app_ids: &[&str],
    now_unix: u64,
    anchors: &TrustAnchors,
) -> Result<AppAttested, AttestationError> {
    let object = cbor::decode(&evidence.attestation_object)?;
    let malformed = |what| AttestationError::Malformed { what };
    if object.get("fmt").and_then(Value::as_text) != Some("apple-appattest") {
        return Err(AttestationError::Unsupported { what: "attestation fmt other than apple-appattest" });
    }
    let statement = object.get("attStmt").ok_or(malformed("attStmt"))?;
    let auth_data = object.get("authData").and_then(Value::as_bytes).ok_or(malformed("authData"))?;
    let x5c = statement.get("x5c").and_then(Value::as_array).ok_or(malformed("x5c"))?;
    let receipt = statement.get("receipt").and_then(Value::as_bytes).unwrap_or_default();
    let chain = x5c
        .iter()
        .map(|c| c.as_bytes().ok_or(malformed("x5c entry")).and_then(Certificate::parse))
        .collect::<Result<Vec<_>, _>>()?;
    let credential = chain.first().ok_or(AttestationError::Chain { what: "empty x5c" })?;
    let nonce_ext = credential.extension(OID_APPLE_NONCE).ok_or(malformed("nonce extension"))?;
    let nonce = parse_nonce(nonce_ext)?;
    let auth = AuthData::parse(auth_data)?;

    x509::verify_chain(&chain, &anchors.apple, now_unix)?;

    let mut signed = Vec::with_capacity(auth_data.len() + 32);
    signed.extend_from_slice(auth_data);
    signed.extend_from_slice(client_data_hash);
    if sha256(&signed).as_slice() != nonce {
        return Err(AttestationError::Challenge);
    }
    let public_key = x509::ec_point(credential).ok_or(AttestationError::KeyProperties { what: "not a P-256 key" })?;
    if sha256(public_key).as_slice() != evidence.key_id.as_slice() {
        return Err(AttestationError::WrongKey);
    }
    let app_id = if app_ids.is_empty() {
        None
    } else {
        let found = app_ids.iter().find(|id| sha256(id.as_bytes()) == auth.rp_id_hash);
        Some(found.ok_or(AttestationError::Application { what: "app id not allowed" })?.to_string())
    };
    if auth.counter != 0 {
        return Err(AttestationError::Counter { counter: auth.counter });
    }
    let environment = if &auth.aaguid == AAGUID_DEVELOPMENT {
        AppAttestEnvironment::Development
    } else if &auth.aaguid == AAGUID_PRODUCTION {
        AppAttestEnvironment::Production
    } else {
        return Err(AttestationError::Unsupported { what: "aaguid of no App Attest environment" });
    };
    if auth.credential_id != evidence.key_id.as_slice() {
        return Err(AttestationError::WrongKey);
    }
    Ok(AppAttested {
        counter: auth.counter,
        environment,
        app_id,
        public_key: public_key.to_vec(),
        receipt: receipt.to_vec(),
    })
}

/// The nonce extension: `SEQUENCE { [1] EXPLICIT OCTET STRING }`.
fn parse_nonce(ext: &[u8]) -> Result<&[u8], AttestationError> {
    let seq = der::parse_one(ext, Tag::SEQUENCE, "nonce extension")?;
    let mut r = seq.reader();
    let tagged = r.expect(Tag::context(1, true), "nonce")?;
    r.finish("nonce extension")?;
    let octets = der::parse_one(tagged.value, Tag::OCTET_STRING, "nonce")?;
    Ok(octets.value)
}

/// WebAuthn authenticator data with attested credential data.
struct AuthData<'a> {
    rp_id_hash: [u8; 32],
    counter: u32,
    aaguid: [u8; 16],
    credential_id: &'a [u8],
}

impl<'a> AuthData<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, AttestationError> {
        let short = || AttestationError::Malformed { what: "authData" };
        let rp_id_hash: [u8; 32] = bytes.get(..32).and_then(|b| b.try_into().ok()).ok_or_else(short)?;
        let counter: [u8; 4] = bytes.get(33..37).and_then(|b| b.try_into().ok()).ok_or_else(short)?;
        let aaguid: [u8; 16] = bytes.get(37..53).and_then(|b| b.try_into().ok()).ok_or_else(short)?;
        let id_len = bytes.get(53..55).ok_or_else(short)?;
        let id_len = usize::from(u16::from_be_bytes([
            id_len.first().copied().unwrap_or(0),
            id_len.get(1).copied().unwrap_or(0),
        ]));
        let credential_id = bytes.get(55..55 + id_len).ok_or_else(short)?;
        Ok(AuthData { rp_id_hash, counter: u32::from_be_bytes(counter), aaguid, credential_id })
    }
}
