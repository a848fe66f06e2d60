//! Spend links: the owner of a note signs it over to a payee (and change back to itself).

use crate::cbor::{Decoder, Encoder};
use crate::crypto::sha256;

use super::signed::{Body, Signed};
use super::{DecodeError, LinkId, NoteId, ObjectKind, WalletId, codec};

/// Most outputs a link may have: the payee and, if any, change back to the payer.
pub const MAX_OUTPUTS: usize = 2;

/// One output of a link: a new note of `amount` owned by `owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// Owner of the child note.
    pub owner: WalletId,
    /// Value of the child note, in minor units; never zero.
    pub amount: u64,
}

/// The signed content of a spend link:
/// `[version, parent, [[owner, amount], …], counter, payee_nonce, time]`.
///
/// The parent id already commits to the previous link (child ids are derived from link
/// digests), so no separate "previous link hash" field is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkBody {
    /// The note being spent.
    pub parent: NoteId,
    /// One or two outputs whose amounts sum to the parent's amount.
    pub outputs: Vec<Output>,
    /// The payer's spend counter: strictly increasing across the payer's links.
    pub counter: u64,
    /// The nonce of the payee's payment request this link answers.
    pub payee_nonce: [u8; 16],
    /// When the payer signed (Unix seconds, payer's clock).
    pub time: u64,
}

/// A spend link signed by the owner of its parent note.
pub type SpendLink = Signed<LinkBody>;

impl Body for LinkBody {
    const TAG: &'static [u8] = b"OC1/link";
    const KIND: ObjectKind = ObjectKind::Link;

    fn encode(&self, enc: &mut Encoder) {
        enc.array(6).uint(super::VERSION).bytes(&self.parent.0).array(self.outputs.len());
        for out in &self.outputs {
            enc.array(2).bytes(&out.owner.0).uint(out.amount);
        }
        enc.uint(self.counter).bytes(&self.payee_nonce).uint(self.time);
    }

    fn decode(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        dec.array_exact(6)?;
        codec::decode_version(dec, Self::KIND)?;
        let parent = NoteId(dec.fixed::<32>()?);
        let at = dec.position();
        let n = dec.array(MAX_OUTPUTS)?;
        if n == 0 {
            return Err(DecodeError::InvalidField { offset: at, field: "outputs (empty)" });
        }
        let mut outputs = Vec::with_capacity(n);
        for _ in 0..n {
            dec.array_exact(2)?;
            outputs.push(Output { owner: WalletId(dec.fixed::<32>()?), amount: dec.uint()? });
        }
        Ok(Self { parent, outputs, counter: dec.uint()?, payee_nonce: dec.fixed::<16>()?, time: dec.uint()? })
    }
}

/// Id of output `index` of the link with id `link`: SHA-256("OC1/child" ‖ link ‖ index).
pub fn child_id(link: &LinkId, index: u8) -> NoteId {
    NoteId(sha256(&[b"OC1/child", &link.0, &[index]]))
}

impl Signed<LinkBody> {
    /// The link's id (its digest).
    pub fn id(&self) -> LinkId {
        LinkId(*self.digest())
    }

    /// The ids of the notes this link creates, with their outputs, in output order.
    pub fn children(&self) -> impl Iterator<Item = (NoteId, &Output)> + '_ {
        let id = self.id();
        self.body().outputs.iter().enumerate().map(move |(i, out)| (child_id(&id, i as u8), out))
    }
}
