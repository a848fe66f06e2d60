//! The revocation list: wallets caught double spending (or reported lost) are refused.

use crate::cbor::{Decoder, Encoder};

use super::signed::{Body, Signed};
use super::{DecodeError, ObjectKind, WalletId, codec};

/// Most wallet ids one revocation list may hold.
pub const MAX_REVOKED: usize = 100_000;

/// Largest encoded revocation list accepted: [`MAX_REVOKED`] ids of 34 bytes each (byte-string
/// head and 32 bytes) plus the fixed fields and the largest (composite) signature, rounded up.
/// Lists are far larger than [`super::MAX_OBJECT_BYTES`], which would otherwise cap a list at
/// about 480 ids.
pub const MAX_REVOCATION_LIST_BYTES: usize = MAX_REVOKED * 34 + 4096;

/// The signed content of a revocation list:
/// `[version, issuer_key_id, sequence, issued_at, [wallet_id, …]]`, ids strictly ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationBody {
    /// The issuer key that signs it.
    pub issuer_key_id: u32,
    /// Increases with every new list; a wallet never installs an older one.
    pub sequence: u64,
    /// When the issuer signed it.
    pub issued_at: u64,
    /// Revoked wallets, sorted ascending, no duplicates.
    pub revoked: Vec<WalletId>,
}

/// An issuer-signed revocation list.
pub type RevocationList = Signed<RevocationBody>;

impl RevocationBody {
    /// A list body from ids in any order (sorted and de-duplicated here).
    pub fn new(issuer_key_id: u32, sequence: u64, issued_at: u64, mut revoked: Vec<WalletId>) -> Self {
        revoked.sort_unstable();
        revoked.dedup();
        Self { issuer_key_id, sequence, issued_at, revoked }
    }

    /// Whether `wallet` is revoked (binary search).
    pub fn contains(&self, wallet: &WalletId) -> bool {
        self.revoked.binary_search(wallet).is_ok()
    }
}

impl Body for RevocationBody {
    const TAG: &'static [u8] = b"OC1/revocation";
    const KIND: ObjectKind = ObjectKind::RevocationList;
    const MAX_BYTES: usize = MAX_REVOCATION_LIST_BYTES;

    fn encode(&self, enc: &mut Encoder) {
        enc.array(5)
            .uint(super::VERSION)
            .uint(u64::from(self.issuer_key_id))
            .uint(self.sequence)
            .uint(self.issued_at)
            .array(self.revoked.len());
        for id in &self.revoked {
            enc.bytes(&id.0);
        }
    }

    fn decode(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        dec.array_exact(5)?;
        codec::decode_version(dec, Self::KIND)?;
        let issuer_key_id = dec.u32()?;
        let sequence = dec.uint()?;
        let issued_at = dec.uint()?;
        let n = dec.array(MAX_REVOKED)?;
        let mut revoked: Vec<WalletId> = Vec::with_capacity(n);
        for _ in 0..n {
            let at = dec.position();
            let id = WalletId(dec.fixed::<32>()?);
            if revoked.last().is_some_and(|prev| *prev >= id) {
                return Err(DecodeError::InvalidField { offset: at, field: "revoked ids (not strictly ascending)" });
            }
            revoked.push(id);
        }
        Ok(Self { issuer_key_id, sequence, issued_at, revoked })
    }
}

/// Anything that can say whether a wallet is revoked.
pub trait RevocationCheck {
    /// Whether `wallet` is revoked.
    fn is_revoked(&self, wallet: &WalletId) -> bool;
}

impl RevocationCheck for RevocationBody {
    fn is_revoked(&self, wallet: &WalletId) -> bool {
        self.contains(wallet)
    }
}

impl RevocationCheck for Signed<RevocationBody> {
    fn is_revoked(&self, wallet: &WalletId) -> bool {
        self.body().contains(wallet)
    }
}

impl RevocationCheck for std::collections::HashSet<WalletId> {
    fn is_revoked(&self, wallet: &WalletId) -> bool {
        self.contains(wallet)
    }
}

/// Revokes nobody (a wallet that has never synced a list).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRevocations;

impl RevocationCheck for NoRevocations {
    fn is_revoked(&self, _: &WalletId) -> bool {
        false
    }
}

impl super::signed::IssuerSigned for RevocationBody {
    fn issuer_key_id(&self) -> u32 {
        self.issuer_key_id
    }
    fn signed_at(&self) -> u64 {
        self.issued_at
    }
}
