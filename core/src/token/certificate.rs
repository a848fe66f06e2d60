//! Wallet certificates: the issuer binds a wallet's key to its limits and validity window.

use crate::cbor::{Decoder, Encoder};
use crate::crypto::{PublicKey, sha256};

use super::signed::{Body, Signed};
use super::{Currency, DecodeError, ObjectKind, Rejection, Tier, WalletId, codec};

/// Longest customer reference an issuer may put in a certificate.
pub const MAX_CUSTOMER_REF: usize = 64;

/// The signed content of a wallet certificate:
/// `[version, public_key, customer_ref, not_before, not_after, currency, per_payment_limit,
/// holding_limit, issuer_key_id]`, followed by `tier` (its code) unless the tier is
/// [`Tier::Software`]: a software certificate has nine items, exactly as certificates had before
/// tiers, so those still decode (as software) and their signatures still verify.
///
/// The wallet id is not carried: it is derived from the public key ([`wallet_id`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateBody {
    /// The wallet's key (its suite is the wallet's suite).
    pub public_key: PublicKey,
    /// Opaque reference to the customer account, meaningful only to the issuer.
    pub customer_ref: Vec<u8>,
    /// Start of the offline validity window (Unix seconds).
    pub not_before: u64,
    /// End of the offline validity window: the wallet must sync before then.
    pub not_after: u64,
    /// Currency of the limits.
    pub currency: Currency,
    /// Largest single payment this wallet may make offline (minor units).
    pub per_payment_limit: u64,
    /// Largest offline balance this wallet may hold (minor units).
    pub holding_limit: u64,
    /// The issuer key that signs this certificate.
    pub issuer_key_id: u32,
    /// Where the wallet's key lives, as the issuer verified it at registration: the policy's
    /// limits for this tier apply to the wallet ([`crate::policy::Limits::new`]).
    pub tier: Tier,
}

/// An issuer-signed wallet certificate.
pub type WalletCertificate = Signed<CertificateBody>;

/// A wallet id: SHA-256("OC1/wallet" ‖ suite id ‖ public key bytes).
pub fn wallet_id(key: &PublicKey) -> WalletId {
    WalletId(sha256(&[b"OC1/wallet", &[key.suite().id()], key.as_bytes()]))
}

impl Body for CertificateBody {
    const TAG: &'static [u8] = b"OC1/certificate";
    const KIND: ObjectKind = ObjectKind::Certificate;

    fn encode(&self, enc: &mut Encoder) {
        let with_tier = self.tier != Tier::Software;
        enc.array(if with_tier { 10 } else { 9 }).uint(super::VERSION);
        codec::encode_public_key(enc, &self.public_key);
        enc.bytes(&self.customer_ref)
            .uint(self.not_before)
            .uint(self.not_after)
            .text(self.currency.as_str())
            .uint(self.per_payment_limit)
            .uint(self.holding_limit)
            .uint(u64::from(self.issuer_key_id));
        if with_tier {
            enc.uint(u64::from(self.tier.code()));
        }
    }

    fn decode(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let at = dec.position();
        let len = dec.array(10)?;
        if len != 9 && len != 10 {
            return Err(DecodeError::InvalidField { offset: at, field: "array length" });
        }
        codec::decode_version(dec, Self::KIND)?;
        let mut body = Self {
            public_key: codec::decode_public_key(dec)?,
            customer_ref: dec.bytes(MAX_CUSTOMER_REF)?.to_vec(),
            not_before: dec.uint()?,
            not_after: dec.uint()?,
            currency: Currency::decode(dec)?,
            per_payment_limit: dec.uint()?,
            holding_limit: dec.uint()?,
            issuer_key_id: dec.u32()?,
            tier: Tier::Software,
        };
        if len == 10 {
            let offset = dec.position();
            body.tier = Tier::decode(dec)?;
            if body.tier == Tier::Software {
                // Software is written by leaving the tier out.
                return Err(DecodeError::NonCanonical { offset });
            }
        }
        Ok(body)
    }
}

impl Signed<CertificateBody> {
    /// The certified wallet's id.
    pub fn wallet_id(&self) -> WalletId {
        wallet_id(&self.body().public_key)
    }

    /// Whether the certificate's window contains `at`.
    pub fn check_valid_at(&self, at: u64) -> Result<(), Rejection> {
        let body = self.body();
        if at < body.not_before {
            return Err(Rejection::NotYetValid { object: ObjectKind::Certificate, valid_from: body.not_before, at });
        }
        if at > body.not_after {
            return Err(Rejection::Expired { object: ObjectKind::Certificate, expired_at: body.not_after, at });
        }
        Ok(())
    }
}

impl super::signed::IssuerSigned for CertificateBody {
    fn issuer_key_id(&self) -> u32 {
        self.issuer_key_id
    }
    fn signed_at(&self) -> u64 {
        self.not_before
    }
}

/// Of `candidates` (certificates of one wallet: its history), the one to check something dated
/// `at` against: the certificate whose window covers `at` and that started last (a renewal
/// overlaps the end of the certificate it renews; the newer one wins). If none covers `at`, the
/// one that explains the refusal best: the last one that started before `at` (so `at` is after
/// its end: expired), else the first one (`at` is before every window: not yet valid). `None`
/// only if there are no candidates. The caller still checks the window
/// ([`Signed::check_valid_at`]).
pub fn select_valid_at<'a>(
    candidates: impl IntoIterator<Item = &'a WalletCertificate>,
    at: u64,
) -> Option<&'a WalletCertificate> {
    let mut covering: Option<&WalletCertificate> = None;
    let mut started: Option<&WalletCertificate> = None;
    let mut first: Option<&WalletCertificate> = None;
    for cert in candidates {
        let b = cert.body();
        let later = |other: Option<&WalletCertificate>| other.is_none_or(|o| b.not_before > o.body().not_before);
        if b.not_before <= at && at <= b.not_after && later(covering) {
            covering = Some(cert);
        }
        if b.not_before <= at && later(started) {
            started = Some(cert);
        }
        if first.is_none_or(|o| b.not_before < o.body().not_before) {
            first = Some(cert);
        }
    }
    covering.or(started).or(first)
}
