//! Bundles: several notes with their chains, each shared ancestor and certificate once.
//!
//! ```text
//!  Bundle = [version, [certificate…], [genesis note…], [link…], [head note id…]]
//!             certificates (valid at each link's time) of link signers the receiver lacks
//!                             genesis notes, then links in topological order
//!                                                        the notes being transferred
//! ```

use std::collections::HashSet;

use crate::cbor::{Decoder, Encoder};

use super::{DecodeError, Note, NoteId, ObjectKind, Rejection, SpendLink, WalletCertificate, WalletId, codec};

/// Most certificates in one bundle: a signer may need one per renewal its links span, so more
/// than heads or genesis notes (256 composite certificates of ~4 KB fill [`MAX_BUNDLE_BYTES`]).
pub const MAX_BUNDLE_CERTIFICATES: usize = 256;
/// Most genesis notes in one bundle.
pub const MAX_BUNDLE_NOTES: usize = 64;
/// Most links in one bundle.
pub const MAX_BUNDLE_LINKS: usize = 1024;
/// Most transferred notes (heads) in one bundle.
pub const MAX_BUNDLE_HEADS: usize = 64;
/// Largest encoded bundle accepted (bytes).
pub const MAX_BUNDLE_BYTES: usize = 1 << 20;

/// A held note with its whole history: the genesis note, the links from it to the held
/// note, and the held note's id (a child of the last link, or the genesis id if no link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// The issuer-signed origin.
    pub genesis: Note,
    /// Links in order; link `i + 1` spends an output of link `i`.
    pub links: Vec<SpendLink>,
    /// The note this chain delivers.
    pub head: NoteId,
}

impl Chain {
    /// A chain for a note just issued (no links).
    pub fn genesis(note: Note) -> Self {
        let head = note.id();
        Self { genesis: note, links: Vec::new(), head }
    }

    /// Depth: the number of links.
    pub fn depth(&self) -> usize {
        self.links.len()
    }

    /// The chain extended by `link`, following its output `index`.
    pub fn extended(&self, link: SpendLink, index: u8) -> Self {
        let head = super::link::child_id(&link.id(), index);
        let mut links = self.links.clone();
        links.push(link);
        Self { genesis: self.genesis.clone(), links, head }
    }

    /// The value of the held note (the genesis amount, or the amount of the last link's
    /// output that is the head). Zero if the head is not an output of the last link.
    pub fn amount(&self) -> u64 {
        self.head_output().map_or(0, |o| o.amount)
    }

    /// The owner of the held note.
    pub fn owner(&self) -> Option<WalletId> {
        self.head_output().map(|o| o.owner)
    }

    fn head_output(&self) -> Option<super::Output> {
        match self.links.last() {
            None => {
                let b = self.genesis.body();
                (self.head == self.genesis.id()).then_some(super::Output { owner: b.owner, amount: b.amount })
            }
            Some(link) => link.children().find(|(id, _)| *id == self.head).map(|(_, o)| *o),
        }
    }

    /// The owner of every note that a link in this chain spends, in link order.
    pub fn signers(&self) -> Vec<WalletId> {
        let mut owner = self.genesis.body().owner;
        let mut out = Vec::with_capacity(self.links.len());
        for (i, link) in self.links.iter().enumerate() {
            out.push(owner);
            let next_parent = self.links.get(i + 1).map(|l| l.body().parent).unwrap_or(self.head);
            if let Some((_, o)) = link.children().find(|(id, _)| *id == next_parent) {
                owner = o.owner;
            }
        }
        out
    }
}

/// Notes in transit, with everything a verifier needs that it does not already hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bundle {
    /// Certificates of the wallets that signed links, each valid at the time of a link it
    /// covers (omitting those the receiver holds); a wallet may have several (its renewals).
    pub certificates: Vec<WalletCertificate>,
    /// Genesis notes, each once.
    pub notes: Vec<Note>,
    /// Links, each once, every link after the object that created its parent.
    pub links: Vec<SpendLink>,
    /// The notes being transferred.
    pub heads: Vec<NoteId>,
}

impl Bundle {
    /// Gathers `chains` into one bundle, sending shared ancestors once. For every link whose
    /// signer is not in `omit` (wallets whose certificates the receiver holds in full, like the
    /// issuer), the bundle carries the signer's certificate valid at the link's time, taken
    /// from `certificates` (which may hold several certificates per wallet: its renewals; see
    /// [`super::select_valid_at`]); each certificate goes once. A link with no certificate of
    /// its signer is [`Rejection::UnknownCertificate`] (a link dated outside every certificate
    /// of its signer gets the closest one, and the verifier refuses it); a bundle larger than a decoder accepts is
    /// [`Rejection::Malformed`] (see [`Bundle::check_limits`]).
    pub fn from_chains(
        chains: &[Chain],
        certificates: &[WalletCertificate],
        omit: &HashSet<WalletId>,
    ) -> Result<Self, Rejection> {
        let mut bundle = Bundle::default();
        let mut seen_notes = HashSet::new();
        let mut seen_links = HashSet::new();
        let mut seen_certs = HashSet::new();
        for chain in chains {
            if seen_notes.insert(chain.genesis.id()) {
                bundle.notes.push(chain.genesis.clone());
            }
            for (link, signer) in chain.links.iter().zip(chain.signers()) {
                if !seen_links.insert(link.id()) {
                    continue;
                }
                bundle.links.push(link.clone());
                if omit.contains(&signer) {
                    continue;
                }
                let time = link.body().time;
                let history = certificates.iter().filter(|c| c.wallet_id() == signer);
                let cert =
                    super::select_valid_at(history, time).ok_or(Rejection::UnknownCertificate { wallet: signer })?;
                if seen_certs.insert(*cert.digest()) {
                    bundle.certificates.push(cert.clone());
                }
            }
            bundle.heads.push(chain.head);
        }
        bundle.check_limits()?;
        Ok(bundle)
    }

    /// Whether a decoder would accept this bundle's size: at most [`MAX_BUNDLE_CERTIFICATES`],
    /// [`MAX_BUNDLE_NOTES`], [`MAX_BUNDLE_LINKS`] and [`MAX_BUNDLE_HEADS`] items and
    /// [`MAX_BUNDLE_BYTES`] encoded. [`Bundle::from_chains`] checks it, so that a payer never
    /// builds (and commits to) a payment that every payee and the issuer must refuse.
    pub fn check_limits(&self) -> Result<(), Rejection> {
        let counts = [
            (self.certificates.len(), MAX_BUNDLE_CERTIFICATES),
            (self.notes.len(), MAX_BUNDLE_NOTES),
            (self.links.len(), MAX_BUNDLE_LINKS),
            (self.heads.len(), MAX_BUNDLE_HEADS),
        ];
        for (count, limit) in counts {
            if count > limit {
                return Err(DecodeError::TooLarge { offset: 0, limit }.into());
            }
        }
        let len = self.to_bytes().len();
        if len > MAX_BUNDLE_BYTES {
            return Err(DecodeError::InputTooLarge { len, limit: MAX_BUNDLE_BYTES }.into());
        }
        Ok(())
    }

    /// The chain of every head, rebuilt by walking parents back to a genesis note.
    /// A head whose ancestry is not in the bundle is [`Rejection::UnknownParent`].
    pub fn chains(&self) -> Result<Vec<Chain>, Rejection> {
        let notes: std::collections::HashMap<NoteId, &Note> = self.notes.iter().map(|n| (n.id(), n)).collect();
        let mut creator: std::collections::HashMap<NoteId, &SpendLink> = std::collections::HashMap::new();
        for link in &self.links {
            for (child, _) in link.children() {
                creator.insert(child, link);
            }
        }
        let limit = self.links.len();
        self.heads
            .iter()
            .map(|head| {
                let mut links = Vec::new();
                let mut cursor = *head;
                while let Some(link) = creator.get(&cursor) {
                    if links.len() > limit {
                        return Err(Rejection::UnknownParent { parent: cursor });
                    }
                    links.push((*link).clone());
                    cursor = link.body().parent;
                }
                let genesis = notes.get(&cursor).ok_or(Rejection::UnknownParent { parent: cursor })?;
                links.reverse();
                Ok(Chain { genesis: (*genesis).clone(), links, head: *head })
            })
            .collect()
    }

    /// Writes the canonical encoding.
    pub fn encode_into(&self, enc: &mut Encoder) {
        enc.array(5).uint(super::VERSION).array(self.certificates.len());
        for c in &self.certificates {
            c.encode_into(enc);
        }
        enc.array(self.notes.len());
        for n in &self.notes {
            n.encode_into(enc);
        }
        enc.array(self.links.len());
        for l in &self.links {
            l.encode_into(enc);
        }
        enc.array(self.heads.len());
        for h in &self.heads {
            enc.bytes(&h.0);
        }
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut enc = Encoder::new();
        self.encode_into(&mut enc);
        enc.finish()
    }

    /// Reads one bundle from `dec`. Duplicate objects are rejected here; chain structure is
    /// checked by [`super::verify_bundle`].
    pub fn decode_from(dec: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        dec.array_exact(5)?;
        codec::decode_version(dec, ObjectKind::Bundle)?;
        // Several certificates of one wallet may travel (its renewals), each once.
        let certificates =
            decode_unique(dec, MAX_BUNDLE_CERTIFICATES, ObjectKind::Certificate, |c: &WalletCertificate| *c.digest())?;
        let notes = decode_unique(dec, MAX_BUNDLE_NOTES, ObjectKind::Note, |n: &Note| n.id().0)?;
        let links = decode_unique(dec, MAX_BUNDLE_LINKS, ObjectKind::Link, |l: &SpendLink| l.id().0)?;
        let n = dec.array(MAX_BUNDLE_HEADS)?;
        let mut heads = Vec::with_capacity(n);
        let mut seen = HashSet::with_capacity(n);
        for _ in 0..n {
            let head = NoteId(dec.fixed::<32>()?);
            if !seen.insert(head) {
                return Err(DecodeError::Duplicate { object: ObjectKind::Note });
            }
            heads.push(head);
        }
        Ok(Self { certificates, notes, links, heads })
    }

    /// Decodes exactly one bundle from `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::check_input_len(bytes, MAX_BUNDLE_BYTES)?;
        let mut dec = Decoder::new(bytes);
        let out = Self::decode_from(&mut dec)?;
        dec.finish()?;
        Ok(out)
    }
}

fn decode_unique<T: super::signed::Body>(
    dec: &mut Decoder<'_>,
    max: usize,
    kind: ObjectKind,
    key: impl Fn(&super::signed::Signed<T>) -> [u8; 32],
) -> Result<Vec<super::signed::Signed<T>>, DecodeError> {
    let n = dec.array(max)?;
    let mut out = Vec::with_capacity(n);
    let mut seen = HashSet::with_capacity(n);
    for _ in 0..n {
        let item = super::signed::Signed::<T>::decode_from(dec)?;
        if !seen.insert(key(&item)) {
            return Err(DecodeError::Duplicate { object: kind });
        }
        out.push(item);
    }
    Ok(out)
}
