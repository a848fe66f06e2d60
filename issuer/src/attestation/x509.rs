//! X.509 certificates as attestation chains use them: the fields a chain check needs, read
//! with [`super::der`], and signatures verified with `ring`.
//!
//! Contract: [`Certificate::parse`] reads one DER certificate (v3, RFC 5280 layout) and keeps
//! borrowed slices of it; it checks the structure, not the trust. [`verify_signed_by`] checks
//! one certificate's signature under another's key; [`verify_chain`] walks a chain leaf first
//! and ends it at a pinned key. Supported signatures: RSA PKCS#1 v1.5 with SHA-256/384/512
//! (2048–8192 bits) and ECDSA P-256/P-384 with SHA-256/384. Not done: name constraints,
//! policies, key usage (attestation chains are checked by their pinned root instead), CRLs
//! (the status list does that, [`super::status_list`]).

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

use super::der::{self, Tag, Tlv};
use super::error::AttestationError;

/// The most certificates a chain may hold (Android RKP chains hold 4–5).
pub const MAX_CHAIN: usize = 10;

const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const OID_RSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const OID_RSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
const OID_RSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];

/// The kind of a subject public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    P256,
    P384,
    Rsa,
}

/// One parsed certificate; every slice borrows from the DER it was read from.
#[derive(Debug, Clone)]
pub struct Certificate<'a> {
    /// The whole `TBSCertificate` encoding (what the signature covers).
    pub tbs: &'a [u8],
    /// The serial number's content octets (big-endian, as encoded).
    pub serial: &'a [u8],
    /// The issuer Name's encoding.
    pub issuer: &'a [u8],
    /// The subject Name's encoding.
    pub subject: &'a [u8],
    pub not_before: u64,
    pub not_after: u64,
    /// The whole `SubjectPublicKeyInfo` encoding (how anchors are pinned).
    pub spki: &'a [u8],
    pub key_kind: KeyKind,
    /// The key bits: an EC point (SEC1) or an RSAPublicKey.
    pub public_key: &'a [u8],
    /// The signature algorithm's OID content.
    signature_algorithm: &'a [u8],
    signature: &'a [u8],
    /// (OID content, extnValue content) of each extension.
    pub extensions: Vec<(&'a [u8], &'a [u8])>,
}

impl<'a> Certificate<'a> {
    /// Reads one DER certificate (exactly one, nothing after it).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, AttestationError> {
        let cert = der::parse_one(bytes, Tag::SEQUENCE, "certificate")?;
        let mut outer = cert.reader();
        let tbs = outer.expect(Tag::SEQUENCE, "tbsCertificate")?;
        let outer_alg = algorithm_oid(outer.expect(Tag::SEQUENCE, "signatureAlgorithm")?)?;
        let signature = der::bit_string_bytes(outer.expect(Tag::BIT_STRING, "signature")?.value, "signature")?;
        outer.finish("certificate")?;

        let mut t = tbs.reader();
        let version = t.expect(Tag::context(0, true), "version")?;
        let version = der::uint(der::parse_one(version.value, Tag::INTEGER, "version")?.value, "version")?;
        if version != 2 {
            return Err(AttestationError::Unsupported { what: "certificate version other than 3" });
        }
        let serial = t.expect(Tag::INTEGER, "serialNumber")?.value;
        if serial.is_empty() || serial.len() > 21 {
            return Err(der::malformed("serialNumber"));
        }
        let inner_alg = algorithm_oid(t.expect(Tag::SEQUENCE, "signature")?)?;
        if inner_alg != outer_alg {
            return Err(der::malformed("signature algorithms differ"));
        }
        let issuer = t.expect(Tag::SEQUENCE, "issuer")?.raw;
        let mut validity = t.expect(Tag::SEQUENCE, "validity")?.reader();
        let not_before = der::time(&validity.next("notBefore")?)?;
        let not_after = der::time(&validity.next("notAfter")?)?;
        validity.finish("validity")?;
        let subject = t.expect(Tag::SEQUENCE, "subject")?.raw;
        let spki = t.expect(Tag::SEQUENCE, "subjectPublicKeyInfo")?;
        let (key_kind, public_key) = parse_spki(&spki)?;
        t.optional(Tag::context(1, false), "issuerUniqueID")?;
        t.optional(Tag::context(2, false), "subjectUniqueID")?;
        let mut extensions = Vec::new();
        if let Some(exts) = t.optional(Tag::context(3, true), "extensions")? {
            let seq = der::parse_one(exts.value, Tag::SEQUENCE, "extensions")?;
            let mut r = seq.reader();
            while !r.is_empty() {
                let mut ext = r.expect(Tag::SEQUENCE, "extension")?.reader();
                let oid = ext.expect(Tag::OID, "extnID")?.value;
                ext.optional(Tag::BOOLEAN, "critical")?;
                let value = ext.expect(Tag::OCTET_STRING, "extnValue")?.value;
                ext.finish("extension")?;
                if extensions.iter().any(|(o, _)| *o == oid) {
                    return Err(der::malformed("extension repeated"));
                }
                extensions.push((oid, value));
            }
        }
        t.finish("tbsCertificate")?;
        Ok(Certificate {
            tbs: tbs.raw,
            serial,
            issuer,
            subject,
            not_before,
            not_after,
            spki: spki.raw,
            key_kind,
            public_key,
            signature_algorithm: outer_alg,
            signature,
            extensions,
        })
    }

    /// The content of the extension with OID `oid` (DER content octets), if present.
    pub fn extension(&self, oid: &[u8]) -> Option<&'a [u8]> {
        self.extensions.iter().find(|(o, _)| *o == oid).map(|(_, v)| *v)
    }

    /// The serial number as Google's status list writes it: lowercase hex, no leading zeros.
    pub fn serial_hex(&self) -> String {
        let hex = hex::encode(self.serial);
        let trimmed = hex.trim_start_matches('0');
        if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_owned() }
    }
}

fn algorithm_oid<'a>(alg: Tlv<'a>) -> Result<&'a [u8], AttestationError> {
    let mut r = alg.reader();
    let oid = r.expect(Tag::OID, "algorithm")?.value;
    // Parameters: absent (ECDSA) or NULL (RSA); anything else is not one of ours.
    r.optional(Tag::NULL, "algorithm parameters")?;
    r.finish("algorithm")?;
    Ok(oid)
}

/// Reads a SubjectPublicKeyInfo: the key kind and the key bits.
pub fn parse_spki<'a>(spki: &Tlv<'a>) -> Result<(KeyKind, &'a [u8]), AttestationError> {
    let mut r = spki.reader();
    let mut alg = r.expect(Tag::SEQUENCE, "spki algorithm")?.reader();
    let key = der::bit_string_bytes(r.expect(Tag::BIT_STRING, "subjectPublicKey")?.value, "subjectPublicKey")?;
    r.finish("subjectPublicKeyInfo")?;
    let oid = alg.expect(Tag::OID, "spki algorithm")?.value;
    let kind = if oid == OID_EC_PUBLIC_KEY {
        let curve = alg.expect(Tag::OID, "named curve")?.value;
        if curve == OID_P256 {
            KeyKind::P256
        } else if curve == OID_P384 {
            KeyKind::P384
        } else {
            return Err(AttestationError::Unsupported { what: "elliptic curve" });
        }
    } else if oid == OID_RSA_ENCRYPTION {
        alg.optional(Tag::NULL, "rsa parameters")?;
        KeyKind::Rsa
    } else {
        return Err(AttestationError::Unsupported { what: "public key algorithm" });
    };
    alg.finish("spki algorithm")?;
    Ok((kind, key))
}

fn ring_algorithm(key: KeyKind, sig_oid: &[u8]) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match key {
        KeyKind::P256 if sig_oid == OID_ECDSA_SHA256 => &signature::ECDSA_P256_SHA256_ASN1,
        KeyKind::P256 if sig_oid == OID_ECDSA_SHA384 => &signature::ECDSA_P256_SHA384_ASN1,
        KeyKind::P384 if sig_oid == OID_ECDSA_SHA256 => &signature::ECDSA_P384_SHA256_ASN1,
        KeyKind::P384 if sig_oid == OID_ECDSA_SHA384 => &signature::ECDSA_P384_SHA384_ASN1,
        KeyKind::Rsa if sig_oid == OID_RSA_SHA256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        KeyKind::Rsa if sig_oid == OID_RSA_SHA384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        KeyKind::Rsa if sig_oid == OID_RSA_SHA512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        _ => return None,
    })
}

/// Whether `cert`'s signature verifies under the key `(kind, key)`.
fn signed_by_key(cert: &Certificate<'_>, kind: KeyKind, key: &[u8], index: usize) -> Result<(), AttestationError> {
    let alg = ring_algorithm(kind, cert.signature_algorithm)
        .ok_or(AttestationError::Unsupported { what: "signature algorithm" })?;
    UnparsedPublicKey::new(alg, key)
        .verify(cert.tbs, cert.signature)
        .map_err(|_| AttestationError::BadSignature { index })
}

/// Checks that `cert` (at `index` in its chain) is signed by `issuer`.
pub fn verify_signed_by(
    cert: &Certificate<'_>,
    issuer: &Certificate<'_>,
    index: usize,
) -> Result<(), AttestationError> {
    if cert.issuer != issuer.subject {
        return Err(AttestationError::Chain { what: "issuer name does not match the next certificate's subject" });
    }
    signed_by_key(cert, issuer.key_kind, issuer.public_key, index)
}

/// A pinned root: its SubjectPublicKeyInfo (a root is trusted by its key, so every reissue of
/// a root certificate under the same key is the same anchor) and its subject name.
#[derive(Debug, Clone)]
pub struct Anchor {
    pub spki: Vec<u8>,
    pub subject: Vec<u8>,
}

impl Anchor {
    /// The anchor of a root certificate (DER).
    pub fn from_certificate(der_bytes: &[u8]) -> Result<Anchor, AttestationError> {
        let c = Certificate::parse(der_bytes)?;
        Ok(Anchor { spki: c.spki.to_vec(), subject: c.subject.to_vec() })
    }
}

/// Walks `chain` (leaf first): each certificate is signed by the next, every one is valid at
/// `now`, and the last is either a pinned root (same key) or signed by one.
pub fn verify_chain(chain: &[Certificate<'_>], anchors: &[Anchor], now: u64) -> Result<(), AttestationError> {
    if chain.is_empty() {
        return Err(AttestationError::Chain { what: "empty chain" });
    }
    if chain.len() > MAX_CHAIN {
        return Err(AttestationError::Chain { what: "chain too long" });
    }
    for (index, pair) in chain.windows(2).enumerate() {
        if let [cert, issuer] = pair {
            verify_signed_by(cert, issuer, index)?;
        }
    }
    let last_index = chain.len() - 1;
    let last = chain.last().ok_or(AttestationError::Chain { what: "empty chain" })?;
    let anchored = if anchors.iter().any(|a| a.spki == last.spki) {
        true
    } else {
        let mut found = false;
        for a in anchors.iter().filter(|a| a.subject == last.issuer) {
            let spki = der::parse_one(&a.spki, Tag::SEQUENCE, "anchor")?;
            let (kind, key) = parse_spki(&spki)?;
            match signed_by_key(last, kind, key, last_index) {
                Ok(()) => {
                    found = true;
                    break;
                }
                Err(AttestationError::BadSignature { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        found
    };
    if !anchored {
        return Err(AttestationError::UntrustedRoot);
    }
    for (index, cert) in chain.iter().enumerate() {
        if now < cert.not_before || now > cert.not_after {
            return Err(AttestationError::OutsideValidity {
                index,
                now,
                not_before: cert.not_before,
                not_after: cert.not_after,
            });
        }
    }
    Ok(())
}

/// The P-256 point (SEC1) of an EC certificate's key, if it is one.
pub fn ec_point<'a>(cert: &Certificate<'a>) -> Option<&'a [u8]> {
    matches!(cert.key_kind, KeyKind::P256).then_some(cert.public_key)
}
