//! Genesis notes: value signed into existence by the issuer.

use crate::cbor::{Decoder, Encoder};

use super::signed::{Body, Signed};
use super::{Currency, DecodeError, NoteId, ObjectKind, WalletId, codec};

/// The signed content of a genesis note:
/// `[version, serial, currency, amount, owner, issued_at, expires_at, issuer_key_id]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteBody {
    /// 16 random bytes chosen by the issuer, so two notes never share an id.
    pub serial: [u8; 16],
    /// Currency of the amount.
    pub currency: Currency,
    /// Value in minor units (cents); never zero.
    pub amount: u64,
    /// The wallet that owns the note.
    pub owner: WalletId,
    /// When the issuer signed it (Unix seconds).
    pub issued_at: u64,
    /// After this second the note (and every note derived from it) is refused offline and
    /// must be settled with the issuer.
    pub expires_at: u64,
    /// The issuer key that signs it.
    pub issuer_key_id: u32,
}

/// An issuer-signed genesis note.
pub type Note = Signed<NoteBody>;

impl Body for NoteBody {
    const TAG: &'static [u8] = b"OC1/note";
    const KIND: ObjectKind = ObjectKind::Note;

    fn encode(&self, enc: &mut Encoder) {
        enc.array(8)
            .uint(super::VERSION)
            .bytes(&self.serial)
            .text(self.currency.as_str())
            .uint(self.amount)
            .bytes(&self.owner.0)
            .uint(self.issued_at)
            .uint(self.expires_at)
            .uint(u64::from(self.issuer_key_id));
    }

    fn decode(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        dec.array_exact(8)?;
        codec::decode_version(dec, Self::KIND)?;
        Ok(Self {
            serial: dec.fixed::<16>()?,
            currency: Currency::decode(dec)?,
            amount: dec.uint()?,
            owner: WalletId(dec.fixed::<32>()?),
            issued_at: dec.uint()?,
            expires_at: dec.uint()?,
            issuer_key_id: dec.u32()?,
        })
    }
}

impl Signed<NoteBody> {
    /// The note's id (its digest).
    pub fn id(&self) -> NoteId {
        NoteId(*self.digest())
    }
}

impl super::signed::IssuerSigned for NoteBody {
    fn issuer_key_id(&self) -> u32 {
        self.issuer_key_id
    }
    fn signed_at(&self) -> u64 {
        self.issued_at
    }
}
