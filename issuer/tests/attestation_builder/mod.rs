//! Test-side builders: DER and CBOR writers and certificate chains signed with `ring` at test
//! time, so each rejection has a chain made for it (real device chains cannot be altered and
//! still be signed by Google or Apple).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

// ---------- DER writer ----------

pub fn len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        vec![n as u8]
    } else {
        let bytes: Vec<u8> = n.to_be_bytes().iter().copied().skip_while(|&b| b == 0).collect();
        let mut out = vec![0x80 | bytes.len() as u8];
        out.extend(bytes);
        out
    }
}

pub fn tlv(tag: &[u8], content: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    out.extend(len(content.len()));
    out.extend_from_slice(content);
    out
}

pub fn seq(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(&[0x30], &items.concat())
}

pub fn set(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(&[0x31], &items.concat())
}

pub fn int(v: u64) -> Vec<u8> {
    let mut bytes: Vec<u8> = v.to_be_bytes().iter().copied().skip_while(|&b| b == 0).collect();
    if bytes.is_empty() || bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    tlv(&[0x02], &bytes)
}

pub fn int_bytes(v: &[u8]) -> Vec<u8> {
    tlv(&[0x02], v)
}

pub fn enumerated(v: u8) -> Vec<u8> {
    tlv(&[0x0a], &[v])
}

pub fn octets(v: &[u8]) -> Vec<u8> {
    tlv(&[0x04], v)
}

pub fn boolean(v: bool) -> Vec<u8> {
    tlv(&[0x01], &[if v { 0xff } else { 0 }])
}

pub fn oid(content: &[u8]) -> Vec<u8> {
    tlv(&[0x06], content)
}

pub fn bit_string(v: &[u8]) -> Vec<u8> {
    let mut c = vec![0];
    c.extend_from_slice(v);
    tlv(&[0x03], &c)
}

/// `[number] EXPLICIT` (constructed context tag), multi-byte numbers included.
pub fn explicit(number: u32, content: &[u8]) -> Vec<u8> {
    let tag = if number < 31 {
        vec![0xa0 | number as u8]
    } else {
        let mut groups = Vec::new();
        let mut n = number;
        while n > 0 {
            groups.push((n & 0x7f) as u8);
            n >>= 7;
        }
        groups.reverse();
        let last = groups.len() - 1;
        let mut tag = vec![0xbf];
        for (i, g) in groups.iter().enumerate() {
            tag.push(if i == last { *g } else { g | 0x80 });
        }
        tag
    };
    tlv(&tag, content)
}

pub fn generalized_time(unix: u64) -> Vec<u8> {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let text = format!("{y:04}{m:02}{d:02}{:02}{:02}{:02}Z", secs / 3600, secs / 60 % 60, secs % 60);
    tlv(&[0x18], text.as_bytes())
}

// ---------- OIDs ----------

pub const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
pub const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
pub const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
pub const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
pub const OID_KEY_DESCRIPTION: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x01, 0x11];
pub const OID_APPLE_NONCE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x08, 0x02];

// ---------- keys and certificates ----------

/// A P-256 key pair made for the test.
pub struct Key {
    pair: EcdsaKeyPair,
}

impl Key {
    pub fn generate() -> Key {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        Key { pair: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap() }
    }

    /// The SEC1 uncompressed point.
    pub fn public(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }

    pub fn spki(&self) -> Vec<u8> {
        seq(&[seq(&[oid(OID_EC_PUBLIC_KEY), oid(OID_P256)]), bit_string(&self.public())])
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(&SystemRandom::new(), message).unwrap().as_ref().to_vec()
    }
}

pub fn name(cn: &str) -> Vec<u8> {
    seq(&[set(&[seq(&[oid(OID_CN), tlv(&[0x0c], cn.as_bytes())])])])
}

/// What a certificate says; `sign` turns it into DER under the issuer's key.
#[derive(Clone)]
pub struct CertSpec {
    pub serial: Vec<u8>,
    pub issuer: Vec<u8>,
    pub subject: Vec<u8>,
    pub not_before: u64,
    pub not_after: u64,
    pub spki: Vec<u8>,
    pub extensions: Vec<(Vec<u8>, Vec<u8>)>,
}

impl CertSpec {
    pub fn tbs(&self) -> Vec<u8> {
        let mut fields = vec![
            explicit(0, &int(2)),
            int_bytes(&self.serial),
            seq(&[oid(OID_ECDSA_SHA256)]),
            self.issuer.clone(),
            seq(&[generalized_time(self.not_before), generalized_time(self.not_after)]),
            self.subject.clone(),
            self.spki.clone(),
        ];
        if !self.extensions.is_empty() {
            let exts: Vec<Vec<u8>> = self.extensions.iter().map(|(o, v)| seq(&[oid(o), octets(v)])).collect();
            fields.push(explicit(3, &seq(&exts)));
        }
        seq(&fields)
    }

    pub fn sign(&self, by: &Key) -> Vec<u8> {
        let tbs = self.tbs();
        let sig = by.sign(&tbs);
        seq(&[tbs, seq(&[oid(OID_ECDSA_SHA256)]), bit_string(&sig)])
    }
}

/// A certificate authority of the test: a key and a name.
pub struct Ca {
    pub key: Key,
    pub name: Vec<u8>,
    pub cert: Vec<u8>,
}

pub const NOT_BEFORE: u64 = 1_700_000_000;
pub const NOT_AFTER: u64 = 1_900_000_000;

impl Ca {
    pub fn root(cn: &str, serial: u8) -> Ca {
        let key = Key::generate();
        let name = name(cn);
        let spec = CertSpec {
            serial: vec![serial],
            issuer: name.clone(),
            subject: name.clone(),
            not_before: NOT_BEFORE,
            not_after: NOT_AFTER,
            spki: key.spki(),
            extensions: vec![],
        };
        let cert = spec.sign(&key);
        Ca { key, name, cert }
    }

    /// A CA under `self`.
    pub fn issue_ca(&self, cn: &str, serial: u8) -> Ca {
        let key = Key::generate();
        let name = name(cn);
        let cert = self.spec_for(&key, name.clone(), serial).sign(&self.key);
        Ca { key, name, cert }
    }

    pub fn spec_for(&self, key: &Key, subject: Vec<u8>, serial: u8) -> CertSpec {
        CertSpec {
            serial: vec![serial],
            issuer: self.name.clone(),
            subject,
            not_before: NOT_BEFORE,
            not_after: NOT_AFTER,
            spki: key.spki(),
            extensions: vec![],
        }
    }
}

// ---------- Android KeyDescription ----------

pub const SOFTWARE: u8 = 0;
pub const TEE: u8 = 1;
pub const STRONGBOX: u8 = 2;

/// (packages with versions, signing digests)
pub type Application = (Vec<(String, u64)>, Vec<Vec<u8>>);

#[derive(Clone, Default)]
pub struct AuthList {
    pub purposes: Vec<u64>,
    pub algorithm: Option<u64>,
    pub ec_curve: Option<u64>,
    pub origin: Option<u64>,
    /// (verifiedBootState, deviceLocked)
    pub root_of_trust: Option<(u8, bool)>,
    pub application: Option<Application>,
}

impl AuthList {
    /// What a Keystore puts in the list of the level that holds a wallet key.
    pub fn wallet_key() -> AuthList {
        AuthList {
            purposes: vec![2, 3],
            algorithm: Some(3),
            ec_curve: Some(1),
            origin: Some(0),
            root_of_trust: Some((0, true)),
            application: None,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut fields = Vec::new();
        if !self.purposes.is_empty() {
            fields.push(explicit(1, &set(&self.purposes.iter().map(|p| int(*p)).collect::<Vec<_>>())));
        }
        if let Some(a) = self.algorithm {
            fields.push(explicit(2, &int(a)));
        }
        if let Some(c) = self.ec_curve {
            fields.push(explicit(10, &int(c)));
        }
        if let Some(o) = self.origin {
            fields.push(explicit(702, &int(o)));
        }
        if let Some((state, locked)) = self.root_of_trust {
            fields.push(explicit(704, &seq(&[octets(&[7; 32]), boolean(locked), enumerated(state), octets(&[9; 32])])));
        }
        if let Some((packages, digests)) = &self.application {
            let infos: Vec<Vec<u8>> = packages.iter().map(|(n, v)| seq(&[octets(n.as_bytes()), int(*v)])).collect();
            let digests: Vec<Vec<u8>> = digests.iter().map(|d| octets(d)).collect();
            fields.push(explicit(709, &octets(&seq(&[set(&infos), set(&digests)]))));
        }
        seq(&fields)
    }
}

#[derive(Clone)]
pub struct KeyDesc {
    pub attestation_level: u8,
    pub keymaster_level: u8,
    pub challenge: Vec<u8>,
    pub software: AuthList,
    pub hardware: AuthList,
}

impl KeyDesc {
    /// A TEE attestation of a wallet key for `challenge`, made by package `app.offline.cash`.
    pub fn tee(challenge: &[u8]) -> KeyDesc {
        KeyDesc {
            attestation_level: TEE,
            keymaster_level: TEE,
            challenge: challenge.to_vec(),
            software: AuthList {
                application: Some((vec![("app.offline.cash".into(), 7)], vec![vec![0xd1; 32]])),
                ..AuthList::default()
            },
            hardware: AuthList::wallet_key(),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        seq(&[
            int(200),
            enumerated(self.attestation_level),
            int(200),
            enumerated(self.keymaster_level),
            octets(&self.challenge),
            octets(&[]),
            self.software.encode(),
            self.hardware.encode(),
        ])
    }
}

/// A device of the test: root → intermediate → attestation key, and a wallet key attested
/// by the attestation key.
pub struct Device {
    pub root: Ca,
    pub intermediate: Ca,
    pub attestation: Ca,
    pub wallet: Key,
}

pub const CHALLENGE: &[u8] = b"registration-challenge-0001";
/// An instant inside every test certificate's validity.
pub const NOW: u64 = 1_800_000_000;

impl Device {
    pub fn new() -> Device {
        let root = Ca::root("Test Attestation Root", 1);
        let intermediate = root.issue_ca("Test Droid CA", 2);
        let attestation = intermediate.issue_ca("Test TEE attestation key", 3);
        Device { root, intermediate, attestation, wallet: Key::generate() }
    }

    /// The leaf's certificate spec for `desc` over the wallet key.
    pub fn leaf_spec(&self, desc: &KeyDesc) -> CertSpec {
        let mut spec = self.attestation.spec_for(&self.wallet, name("Android Keystore Key"), 1);
        spec.not_before = 0;
        spec.extensions.push((OID_KEY_DESCRIPTION.to_vec(), desc.encode()));
        spec
    }

    /// The chain, leaf first, root last.
    pub fn chain(&self, desc: &KeyDesc) -> Vec<Vec<u8>> {
        let leaf = self.leaf_spec(desc).sign(&self.attestation.key);
        vec![leaf, self.attestation.cert.clone(), self.intermediate.cert.clone(), self.root.cert.clone()]
    }
}

// ---------- CBOR writer ----------

fn head(major: u8, n: u64) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        0x100..=0xffff => {
            let mut v = vec![m | 25];
            v.extend((n as u16).to_be_bytes());
            v
        }
        _ => {
            let mut v = vec![m | 26];
            v.extend((n as u32).to_be_bytes());
            v
        }
    }
}

pub fn cbor_bytes(b: &[u8]) -> Vec<u8> {
    let mut v = head(2, b.len() as u64);
    v.extend_from_slice(b);
    v
}

pub fn cbor_text(t: &str) -> Vec<u8> {
    let mut v = head(3, t.len() as u64);
    v.extend_from_slice(t.as_bytes());
    v
}

pub fn cbor_array(items: &[Vec<u8>]) -> Vec<u8> {
    let mut v = head(4, items.len() as u64);
    v.extend(items.concat());
    v
}

pub fn cbor_map(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut v = head(5, entries.len() as u64);
    for (k, val) in entries {
        v.extend_from_slice(k);
        v.extend_from_slice(val);
    }
    v
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data).as_ref().to_vec()
}

/// An App Attest "device" of the test: its own root and intermediate, an App Attest key.
pub struct AppleDevice {
    pub root: Ca,
    pub intermediate: Ca,
    pub key: Key,
}

pub const APP_ID: &str = "TEAM123456.cash.offline.app";

/// What to put into a built attestation object.
#[derive(Clone)]
pub struct AppAttestSpec {
    pub fmt: String,
    pub app_id: String,
    pub counter: u32,
    pub aaguid: [u8; 16],
    /// The credential id in authData (normally the key id).
    pub credential_id: Option<Vec<u8>>,
    pub client_data_hash: Vec<u8>,
    pub not_after: u64,
}

impl AppleDevice {
    pub fn new() -> AppleDevice {
        let root = Ca::root("Test App Attestation Root CA", 1);
        let intermediate = root.issue_ca("Test App Attestation CA 1", 2);
        AppleDevice { root, intermediate, key: Key::generate() }
    }

    pub fn key_id(&self) -> Vec<u8> {
        sha256(&self.key.public())
    }

    pub fn spec(&self, client_data_hash: &[u8]) -> AppAttestSpec {
        AppAttestSpec {
            fmt: "apple-appattest".into(),
            app_id: APP_ID.into(),
            counter: 0,
            aaguid: *b"appattest\0\0\0\0\0\0\0",
            credential_id: None,
            client_data_hash: client_data_hash.to_vec(),
            not_after: NOT_AFTER,
        }
    }

    pub fn attestation_object(&self, spec: &AppAttestSpec) -> Vec<u8> {
        let key_id = self.key_id();
        let cred_id = spec.credential_id.clone().unwrap_or_else(|| key_id.clone());
        let mut auth = sha256(spec.app_id.as_bytes());
        auth.push(0x40);
        auth.extend(spec.counter.to_be_bytes());
        auth.extend(spec.aaguid);
        auth.extend((cred_id.len() as u16).to_be_bytes());
        auth.extend(&cred_id);
        auth.extend(cbor_map(&[(vec![0x01], vec![0x02])])); // a COSE key stub (not checked)
        let mut signed = auth.clone();
        signed.extend(&spec.client_data_hash);
        let nonce = sha256(&signed);
        let mut leaf = self.intermediate.spec_for(&self.key, name(&hex::encode(&key_id)), 9);
        leaf.not_after = spec.not_after;
        leaf.extensions.push((OID_APPLE_NONCE.to_vec(), seq(&[explicit(1, &octets(&nonce))])));
        let leaf = leaf.sign(&self.intermediate.key);
        cbor_map(&[
            (cbor_text("fmt"), cbor_text(&spec.fmt)),
            (
                cbor_text("attStmt"),
                cbor_map(&[
                    (cbor_text("x5c"), cbor_array(&[cbor_bytes(&leaf), cbor_bytes(&self.intermediate.cert)])),
                    (cbor_text("receipt"), cbor_bytes(b"receipt")),
                ]),
            ),
            (cbor_text("authData"), cbor_bytes(&auth)),
        ])
    }
}

// ---------- data files ----------

pub fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/attestation/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The certificates of a PEM file, DER, in file order.
pub fn pem_chain(name: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    let text = String::from_utf8(data(name)).unwrap();
    let mut out = Vec::new();
    let mut body = String::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("-----BEGIN") {
            inside = true;
            body.clear();
        } else if line.starts_with("-----END") {
            inside = false;
            out.push(base64::engine::general_purpose::STANDARD.decode(&body).unwrap());
        } else if inside {
            body.push_str(line);
        }
    }
    out
}
