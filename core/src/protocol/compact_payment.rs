//! The compact form of a payment on the air: the canonical payment with every 32-byte id and
//! 16-byte nonce the payee can work out for itself replaced by a one- or two-byte reference.
//!
//! ```text
//!  canonical  [1, [1, [cert…], [note…], [link…], [head…]]]         (messages::Payment)
//!  compact    [2, [1, [cert…], [note…], [link…], [head…]]]         same items, except that any
//!             byte string equal to dictionary entry i is written as the CBOR negative integer
//!             -1 - i (a reference; no signed object contains a negative integer)
//!
//!  dictionary, grown in the order both sides walk the payment:
//!    0   the payee's wallet id             (the request's payee)
//!    1   the request's nonce               (every link answering it carries it)
//!    …   after each certificate: its wallet id           (a signer of the links)
//!    …   after each genesis note: its id                 (a first link's parent)
//!    …   after each link: the ids of its outputs, by index  (the next link's parent, the heads)
//! ```
//!
//! A payer sends it only to a payee whose request carried a receipt lock (version 4 full and
//! version 3 compact requests, which only current payees make, in answer to a hello). The
//! payee expands it back to the canonical bytes, exactly, before anything else looks at them:
//! the payment hash, the stored payment and every signature are over the canonical form, so
//! the compact form changes what crosses the air and nothing else. At depth 1 it saves the
//! genesis owner, the link's parent, its outputs' owners, its nonce and the head: about 150
//! bytes of a P-256 cold tap.
//!
//! Contract: `expand(compress(p, c), c) == p` for every canonical payment `p`; `expand` accepts
//! only well-formed input, never writes more than [`MAX_FRAME_BYTES`], and nests at most
//! [`MAX_DEPTH`] arrays. The result still goes through [`Payment::from_bytes`](super::Payment).

use std::collections::HashMap;

use crate::cbor::{Decoder, Encoder};
use crate::token::{DecodeError, Note, ObjectKind, SpendLink, WalletCertificate, WalletId, child_id};

use super::messages::MAX_FRAME_BYTES;

/// Version of the compact payment (the canonical payment is version 1).
pub const COMPACT_PAYMENT_VERSION: u64 = 2;
/// Deepest array nesting accepted inside one certificate, note, link or head.
pub const MAX_DEPTH: usize = 8;

const MAX_ITEMS: usize = 4096;

/// What the payee knows before the payment arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentContext {
    /// The payee (the request's certificate's wallet).
    pub payee: WalletId,
    /// The request's nonce.
    pub nonce: [u8; 16],
}

/// The compact form of the canonical payment `payment`.
pub fn compress(payment: &[u8], context: &PaymentContext) -> Result<Vec<u8>, DecodeError> {
    Walk::new(context, Direction::Compress).run(payment, crate::token::VERSION, COMPACT_PAYMENT_VERSION)
}

/// The canonical payment that `compact` is the compact form of.
pub fn expand(compact: &[u8], context: &PaymentContext) -> Result<Vec<u8>, DecodeError> {
    if compact.len() > MAX_FRAME_BYTES {
        return Err(DecodeError::InputTooLarge { len: compact.len(), limit: MAX_FRAME_BYTES });
    }
    Walk::new(context, Direction::Expand).run(compact, COMPACT_PAYMENT_VERSION, crate::token::VERSION)
}

/// Whether `plain` (a payment frame's payload) is in the compact form: `[2, …]`.
pub fn is_compact(plain: &[u8]) -> bool {
    let mut dec = Decoder::new(plain);
    dec.array_exact(2).is_ok() && dec.uint().is_ok_and(|v| v == COMPACT_PAYMENT_VERSION)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Compress,
    Expand,
}

struct Walk {
    direction: Direction,
    entries: Vec<Vec<u8>>,
    index: HashMap<Vec<u8>, u64>,
}

impl Walk {
    fn new(context: &PaymentContext, direction: Direction) -> Self {
        let mut walk = Self { direction, entries: Vec::new(), index: HashMap::new() };
        walk.add(&context.payee.0);
        walk.add(&context.nonce);
        walk
    }

    fn add(&mut self, entry: &[u8]) {
        let i = self.entries.len() as u64;
        self.index.entry(entry.to_vec()).or_insert(i);
        self.entries.push(entry.to_vec());
    }

    fn run(mut self, input: &[u8], version_in: u64, version_out: u64) -> Result<Vec<u8>, DecodeError> {
        let mut dec = Decoder::new(input);
        let mut out = Encoder::new();
        dec.array_exact(2)?;
        let found = dec.uint()?;
        if found != version_in {
            return Err(DecodeError::UnknownVersion { object: ObjectKind::Message, found });
        }
        out.array(2).uint(version_out);
        dec.array_exact(5)?;
        out.array(5);
        let bundle_version = dec.uint()?;
        out.uint(bundle_version);
        self.section(&mut dec, &mut out, |walk, item| {
            let cert = WalletCertificate::from_bytes(item)?;
            walk.add(&cert.wallet_id().0);
            Ok(())
        })?;
        self.section(&mut dec, &mut out, |walk, item| {
            walk.add(&Note::from_bytes(item)?.id().0);
            Ok(())
        })?;
        self.section(&mut dec, &mut out, |walk, item| {
            let link = SpendLink::from_bytes(item)?;
            let id = link.id();
            for i in 0..link.body().outputs.len() {
                walk.add(&child_id(&id, i as u8).0);
            }
            Ok(())
        })?;
        self.section(&mut dec, &mut out, |_, _| Ok(()))?;
        dec.finish()?;
        if out.len() > MAX_FRAME_BYTES {
            return Err(DecodeError::InputTooLarge { len: out.len(), limit: MAX_FRAME_BYTES });
        }
        Ok(out.finish())
    }

    /// One array of objects; `learn` sees each object's canonical bytes once it is walked.
    fn section(
        &mut self,
        dec: &mut Decoder<'_>,
        out: &mut Encoder,
        learn: impl Fn(&mut Self, &[u8]) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        let n = dec.array(MAX_ITEMS)?;
        out.array(n);
        for _ in 0..n {
            let (in_at, out_at) = (dec.position(), out.len());
            self.item(dec, out, 0)?;
            let canonical = match self.direction {
                Direction::Compress => dec.since(in_at),
                Direction::Expand => out.as_slice().get(out_at..).ok_or(DecodeError::Truncated)?,
            }
            .to_vec();
            learn(self, &canonical)?;
        }
        Ok(())
    }

    /// Copies one item, replacing known byte strings by references (compress) or references
    /// by their byte strings (expand).
    fn item(&self, dec: &mut Decoder<'_>, out: &mut Encoder, depth: usize) -> Result<(), DecodeError> {
        if out.len() > MAX_FRAME_BYTES {
            return Err(DecodeError::InputTooLarge { len: out.len(), limit: MAX_FRAME_BYTES });
        }
        let at = dec.position();
        match dec.peek_major()? {
            0 => {
                out.uint(dec.uint()?);
            }
            1 if self.direction == Direction::Expand => {
                let i = dec.reference()?;
                let entry = usize::try_from(i).ok().and_then(|i| self.entries.get(i));
                let entry = entry.ok_or(DecodeError::InvalidField { offset: at, field: "reference" })?;
                out.bytes(entry);
            }
            2 => {
                let bytes = dec.bytes(MAX_FRAME_BYTES)?;
                match self.index.get(bytes) {
                    Some(&i) if self.direction == Direction::Compress => out.reference(i),
                    _ => out.bytes(bytes),
                };
            }
            3 => {
                out.text(dec.text(MAX_FRAME_BYTES)?);
            }
            4 if depth < MAX_DEPTH => {
                let n = dec.array(MAX_ITEMS)?;
                out.array(n);
                for _ in 0..n {
                    self.item(dec, out, depth + 1)?;
                }
            }
            4 => return Err(DecodeError::InvalidField { offset: at, field: "nesting" }),
            _ => return Err(DecodeError::UnexpectedType { offset: at }),
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
    use std::collections::HashSet;

    use super::*;
    use crate::crypto::Suite;
    use crate::protocol::Payment;
    use crate::testkit::{Fixture, TestWallet, certificates};
    use crate::token::{Bundle, Chain};

    /// A payment of a chain of `depth` links, with change on the last hop, to a fresh payee;
    /// every link signer's certificate travels. Returns its canonical bytes and the context.
    fn payment(suite: Suite, depth: usize) -> (Vec<u8>, PaymentContext) {
        let fixture = Fixture::new(suite).unwrap();
        let (wallets, chain) = fixture.chain_of_depth(suite, depth - 1, 1_000).unwrap();
        let payer = wallets.last().unwrap();
        let payee = TestWallet::new(&fixture.issuer, suite).unwrap();
        let (to_payee, _change) = payer.pay(&chain, 1_000, payee.id(), 400).unwrap();
        let bundle = Bundle::from_chains(&[to_payee], &certificates(&wallets), &HashSet::new()).unwrap();
        (Payment { bundle }.to_bytes(), PaymentContext { payee: payee.id(), nonce: [7; 16] })
    }

    #[test]
    fn the_compact_form_expands_to_the_exact_canonical_bytes_and_is_smaller() {
        for suite in [Suite::EcdsaP256, Suite::MlDsa44] {
            for depth in [1, 2, 5] {
                let (canonical, context) = payment(suite, depth);
                let compact = compress(&canonical, &context).unwrap();
                assert!(is_compact(&compact) && !is_compact(&canonical));
                assert_eq!(expand(&compact, &context).unwrap(), canonical, "{suite:?} depth {depth}");
                // Per link: its parent, its nonce, its outputs' owners (one new id each), and
                // the genesis owner and the head once.
                let saved = canonical.len() - compact.len();
                assert!(saved >= 33 * (2 + 2 * depth) + 15, "{suite:?} depth {depth}: saved only {saved} bytes");
            }
        }
    }

    #[test]
    fn another_payee_or_nonce_expands_to_another_payment_that_does_not_verify_as_this_one() {
        let (canonical, context) = payment(Suite::EcdsaP256, 1);
        let compact = compress(&canonical, &context).unwrap();
        for other in
            [PaymentContext { payee: WalletId([9; 32]), ..context }, PaymentContext { nonce: [8; 16], ..context }]
        {
            let expanded = expand(&compact, &other).unwrap();
            assert_ne!(expanded, canonical);
            // The links' signatures cover the ids the references stood for.
            let bundle = Payment::from_bytes(&expanded).unwrap().bundle;
            let link = bundle.links.first().unwrap();
            let signer = bundle.certificates.last().unwrap();
            assert!(link.verify_with(&signer.body().public_key).is_err());
        }
    }

    #[test]
    fn malformed_compact_payments_are_typed_errors() {
        let (canonical, context) = payment(Suite::EcdsaP256, 1);
        let compact = compress(&canonical, &context).unwrap();
        // Every truncation, and a canonical payment given as compact (and back).
        for len in 0..compact.len() {
            assert!(expand(&compact[..len], &context).is_err(), "truncated at {len}");
        }
        assert!(matches!(expand(&canonical, &context), Err(DecodeError::UnknownVersion { found: 1, .. })));
        assert!(matches!(compress(&compact, &context), Err(DecodeError::UnknownVersion { found: 2, .. })));
        // A reference past the dictionary: the heads are [ref]; make it ref 200.
        let mut bad = compact.clone();
        let last = bad.len() - 1;
        assert_eq!(bad[last] >> 5, 1, "the head is a reference");
        bad[last] = 0x38;
        bad.push(200);
        assert!(matches!(expand(&bad, &context), Err(DecodeError::InvalidField { field: "reference", .. })));
        // A map, a tag: not items of ours.
        bad[last] = 0xa0;
        bad.pop();
        assert!(matches!(expand(&bad, &context), Err(DecodeError::UnexpectedType { .. })));
        // Trailing bytes.
        let mut long = compact.clone();
        long.push(0);
        assert!(matches!(expand(&long, &context), Err(DecodeError::TrailingBytes { .. })));
    }

    #[test]
    fn nesting_and_expansion_are_bounded() {
        let context = PaymentContext { payee: WalletId([1; 32]), nonce: [2; 16] };
        // [2, [1, [deep…], [], [], []]] nested past MAX_DEPTH.
        let mut enc = Encoder::new();
        enc.array(2).uint(2).array(5).uint(1).array(1);
        for _ in 0..=MAX_DEPTH {
            enc.array(1);
        }
        enc.uint(0).array(0).array(0).array(0);
        assert!(matches!(expand(&enc.finish(), &context), Err(DecodeError::InvalidField { field: "nesting", .. })));
        // A "certificate" of 40 × 1,000 references to the payee id (40 KB in, 1.36 MB out)
        // stops at MAX_FRAME_BYTES.
        let mut enc = Encoder::new();
        enc.array(2).uint(2).array(5).uint(1).array(1).array(40);
        for _ in 0..40 {
            enc.array(1_000);
            for _ in 0..1_000 {
                enc.reference(0);
            }
        }
        enc.array(0).array(0).array(0);
        let err = expand(&enc.finish(), &context).unwrap_err();
        assert!(matches!(err, DecodeError::InputTooLarge { .. } | DecodeError::TooLarge { .. }), "{err:?}");
    }

    #[test]
    fn a_payee_that_held_the_chain_before_needs_no_certificate_to_expand() {
        // Warm: no certificate travels, so the genesis owner stays explicit; the rest is
        // still referenced.
        let fixture = Fixture::new(Suite::EcdsaP256).unwrap();
        let payer = TestWallet::new(&fixture.issuer, Suite::EcdsaP256).unwrap();
        let payee = TestWallet::new(&fixture.issuer, Suite::EcdsaP256).unwrap();
        let chain = Chain::genesis(fixture.issuer.issue(payer.id(), 1_000).unwrap());
        let (to_payee, _) = payer.pay(&chain, 1_000, payee.id(), 1_000).unwrap();
        let omit: HashSet<WalletId> = [payer.id()].into_iter().collect();
        let bundle = Bundle::from_chains(&[to_payee], std::slice::from_ref(&payer.cert), &omit).unwrap();
        assert!(bundle.certificates.is_empty());
        let canonical = Payment { bundle }.to_bytes();
        let context = PaymentContext { payee: payee.id(), nonce: [7; 16] };
        let compact = compress(&canonical, &context).unwrap();
        assert_eq!(expand(&compact, &context).unwrap(), canonical);
        assert_eq!(canonical.len() - compact.len(), 3 * 33 + 16, "parent, payee, nonce, head");
    }
}
