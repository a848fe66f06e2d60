//! The issuer's offline policy: limits every wallet and payee enforces.

use crate::cbor::{Decoder, Encoder};

use super::signed::{Body, Signed};
use super::{Currency, DecodeError, ObjectKind, codec};

/// The signed content of a policy:
/// `[version, issuer_key_id, sequence, issued_at, currency, per_payment_limit,
/// offline_holding_limit, max_chain_depth, certificate_offline_validity, max_offline_payments]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyBody {
    /// The issuer key that signs it.
    pub issuer_key_id: u32,
    /// Increases with every new policy; a wallet never installs an older one.
    pub sequence: u64,
    /// When the issuer signed it.
    pub issued_at: u64,
    /// The currency of every note and limit.
    pub currency: Currency,
    /// Largest single offline payment (minor units).
    pub per_payment_limit: u64,
    /// Largest offline balance a wallet may hold (minor units).
    pub offline_holding_limit: u64,
    /// Most links a note may carry before it must be refreshed at the issuer.
    pub max_chain_depth: u32,
    /// How long (seconds) a wallet certificate stays valid offline after issue or renewal.
    pub certificate_offline_validity: u64,
    /// Most offline payments a wallet may make between two syncs.
    pub max_offline_payments: u32,
}

/// An issuer-signed policy.
pub type Policy = Signed<PolicyBody>;

impl Body for PolicyBody {
    const TAG: &'static [u8] = b"OC1/policy";
    const KIND: ObjectKind = ObjectKind::Policy;

    fn encode(&self, enc: &mut Encoder) {
        enc.array(10)
            .uint(super::VERSION)
            .uint(u64::from(self.issuer_key_id))
            .uint(self.sequence)
            .uint(self.issued_at)
            .text(self.currency.as_str())
            .uint(self.per_payment_limit)
            .uint(self.offline_holding_limit)
            .uint(u64::from(self.max_chain_depth))
            .uint(self.certificate_offline_validity)
            .uint(u64::from(self.max_offline_payments));
    }

    fn decode(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        dec.array_exact(10)?;
        codec::decode_version(dec, Self::KIND)?;
        Ok(Self {
            issuer_key_id: dec.u32()?,
            sequence: dec.uint()?,
            issued_at: dec.uint()?,
            currency: Currency::decode(dec)?,
            per_payment_limit: dec.uint()?,
            offline_holding_limit: dec.uint()?,
            max_chain_depth: dec.u32()?,
            certificate_offline_validity: dec.uint()?,
            max_offline_payments: dec.u32()?,
        })
    }
}

impl super::signed::IssuerSigned for PolicyBody {
    fn issuer_key_id(&self) -> u32 {
        self.issuer_key_id
    }
    fn signed_at(&self) -> u64 {
        self.issued_at
    }
}
