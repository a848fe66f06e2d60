//! Offline verification of a bundle: is every transferred note genuine, owned as claimed,
//! unexpired, within policy, and free of revoked custodians?
//!
//! ```text
//!  genesis notes ──issuer key──► nodes {id → owner, amount, depth, expiry}
//!  links (in order) ──owner's certificate valid at the link's time──► spend parent, create children
//!  heads ──► VerifiedBundle { coins, proof: ChainVerified }
//! ```
//!
//! Cost: one signature verification per genesis note, per link, and per certificate not
//! already in the verifier's [`CertificateStore`]; everything else is hashing and map lookups.
//! A wallet has a history of certificates (each renewal adds one): every link is checked
//! against the one whose window covers the link's time, carried in the bundle or held.
//! This module does not check who the heads belong to or what a payment request asked for:
//! the protocol layer does that with the [`VerifiedBundle`] it gets from here.

use std::collections::{HashMap, HashSet};

use super::revocation::RevocationCheck;
use super::{
    Bundle, Currency, Note, NoteId, ObjectKind, PolicyBody, Rejection, TrustStore, WalletCertificate, WalletId,
};

/// Certificates a verifier already holds and has verified (its own, its frequent peers'), with
/// their history: every certificate of a wallet (its renewals) is kept, so a link is checked
/// against the certificate that was valid when it was signed. Only verified certificates can
/// be inserted.
#[derive(Debug, Clone, Default)]
pub struct CertificateStore {
    certs: HashMap<WalletId, Vec<WalletCertificate>>,
    len: usize,
}

impl CertificateStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Verifies the issuer's signature on `cert` and keeps it beside the wallet's other
    /// certificates (a certificate already held is kept once).
    pub fn insert(&mut self, cert: WalletCertificate, trust: &TrustStore) -> Result<WalletId, Rejection> {
        cert.verify_issuer(trust)?;
        let id = cert.wallet_id();
        let history = self.certs.entry(id).or_default();
        if !history.iter().any(|c| c.digest() == cert.digest()) {
            history.push(cert);
            self.len += 1;
        }
        Ok(id)
    }

    /// The certificate of `wallet` to check something dated `at` against (see
    /// [`super::select_valid_at`]), if any of its certificates is held.
    pub fn valid_at(&self, wallet: &WalletId, at: u64) -> Option<&WalletCertificate> {
        super::select_valid_at(self.history(wallet), at)
    }

    /// The certificate of `wallet` that started last, if held.
    pub fn get(&self, wallet: &WalletId) -> Option<&WalletCertificate> {
        self.history(wallet).iter().max_by_key(|c| c.body().not_before)
    }

    /// Every certificate of `wallet` held, in no particular order.
    pub fn history(&self, wallet: &WalletId) -> &[WalletCertificate] {
        self.certs.get(wallet).map_or(&[], Vec::as_slice)
    }

    /// Every certificate held.
    pub fn iter(&self) -> impl Iterator<Item = &WalletCertificate> {
        self.certs.values().flatten()
    }

    /// The ids of every wallet with a certificate held.
    pub fn wallets(&self) -> impl Iterator<Item = &WalletId> {
        self.certs.keys()
    }

    /// Number of certificates held (every renewal counts).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Everything verification depends on besides the bundle.
#[derive(Clone, Copy)]
pub struct VerifyContext<'a> {
    /// Trusted issuer keys.
    pub trust: &'a TrustStore,
    /// The policy in force (currency, maximum depth).
    pub policy: &'a PolicyBody,
    /// The revocation list in force.
    pub revocations: &'a dyn RevocationCheck,
    /// Certificates the verifier already holds.
    pub known_certificates: &'a CertificateStore,
    /// The verifier's current time (Unix seconds).
    pub now: u64,
    /// How far in the future (seconds) another device's clock may be.
    pub max_clock_skew: u64,
}

impl std::fmt::Debug for VerifyContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyContext").field("now", &self.now).finish_non_exhaustive()
    }
}

/// Proof that [`verify_bundle`] accepted a bundle. Only this module can create one, so a
/// state that accepts funds and holds one cannot have skipped verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainVerified {
    _private: (),
}

impl ChainVerified {
    /// A proof without a verification, for the store's own tests, whose payments are
    /// stand-ins (`store::testing`). Only with the `test-support` feature, which app builds
    /// (the bindings) do not enable.
    #[cfg(feature = "test-support")]
    #[doc(hidden)]
    pub fn unverified_for_store_tests() -> Self {
        Self { _private: () }
    }
}

/// A transferred note that verified, with the facts the protocol and store need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedCoin {
    /// The note's id.
    pub id: NoteId,
    /// Its current owner.
    pub owner: WalletId,
    /// Its value (minor units).
    pub amount: u64,
    /// Its currency.
    pub currency: Currency,
    /// When it (its genesis) expires.
    pub expires_at: u64,
    /// Number of links from the genesis note.
    pub depth: u32,
    /// The genesis note it descends from.
    pub genesis: NoteId,
}

/// The result of a successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBundle {
    /// The transferred notes, in head order.
    pub coins: Vec<VerifiedCoin>,
    /// The proof token.
    pub proof: ChainVerified,
}

impl VerifiedBundle {
    /// The total value transferred.
    pub fn total(&self) -> u64 {
        self.coins.iter().map(|c| c.amount).fold(0u64, u64::saturating_add)
    }
}

struct Node {
    owner: WalletId,
    amount: u64,
    currency: Currency,
    expires_at: u64,
    depth: u32,
    genesis: NoteId,
    spent: bool,
}

/// Genesis notes the verifier signed itself and holds byte for byte (the issuer's own
/// records): their issuer signature is not checked again. Everything else about them is.
pub trait IssuedNotes {
    /// Whether `note`, exactly these bytes, is one the verifier issued and holds.
    fn holds(&self, note: &Note) -> bool;
}

/// No note is known: every issuer signature is checked (every wallet).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoIssuedNotes;

impl IssuedNotes for NoIssuedNotes {
    fn holds(&self, _: &Note) -> bool {
        false
    }
}

/// Verifies every chain in `bundle` offline. See the module documentation for what is checked.
pub fn verify_bundle(bundle: &Bundle, ctx: &VerifyContext<'_>) -> Result<VerifiedBundle, Rejection> {
    verify_bundle_issued(bundle, ctx, &NoIssuedNotes)
}

/// [`verify_bundle`] by the issuer of some of the notes: the issuer signature of a genesis note
/// that `issued` holds byte for byte is not checked again (it is the issuer's own, unchanged).
pub fn verify_bundle_issued(
    bundle: &Bundle,
    ctx: &VerifyContext<'_>,
    issued: &dyn IssuedNotes,
) -> Result<VerifiedBundle, Rejection> {
    if bundle.heads.is_empty() {
        // A bundle that transfers nothing is never a payment, a deposit or a refresh.
        return Err(Rejection::Malformed(super::DecodeError::InvalidField {
            offset: 0,
            field: "bundle without notes",
        }));
    }
    let policy = ctx.policy;
    let horizon = ctx.now.saturating_add(ctx.max_clock_skew);
    let mut nodes: HashMap<NoteId, Node> = HashMap::with_capacity(bundle.notes.len() + 2 * bundle.links.len());

    for note in &bundle.notes {
        let body = note.body();
        if !issued.holds(note) {
            note.verify_issuer(ctx.trust)?;
        }
        if body.currency != policy.currency {
            return Err(Rejection::CurrencyMismatch { expected: policy.currency, found: body.currency });
        }
        if body.amount == 0 {
            return Err(Rejection::ZeroAmount { object: ObjectKind::Note });
        }
        if body.issued_at > horizon {
            return Err(Rejection::NotYetValid { object: ObjectKind::Note, valid_from: body.issued_at, at: ctx.now });
        }
        if body.expires_at < ctx.now {
            return Err(Rejection::Expired { object: ObjectKind::Note, expired_at: body.expires_at, at: ctx.now });
        }
        let id = note.id();
        nodes.insert(
            id,
            Node {
                owner: body.owner,
                amount: body.amount,
                currency: body.currency,
                expires_at: body.expires_at,
                depth: 0,
                genesis: id,
                spent: false,
            },
        );
    }

    let mut certs = BundleCertificates::new(bundle, ctx);
    for link in &bundle.links {
        let body = link.body();
        let parent = nodes.get_mut(&body.parent).ok_or(Rejection::UnknownParent { parent: body.parent })?;
        if parent.spent {
            return Err(Rejection::DoubleSpend { parent: body.parent });
        }
        parent.spent = true;
        let depth = parent.depth.saturating_add(1);
        if depth > policy.max_chain_depth {
            return Err(Rejection::TooDeep { depth, max: policy.max_chain_depth });
        }
        let signer = parent.owner;
        if ctx.revocations.is_revoked(&signer) {
            return Err(Rejection::Revoked { wallet: signer });
        }
        // The certificate valid when the link was signed: a renewal since does not matter.
        let cert = certs.get(&signer, body.time)?;
        cert.check_valid_at(body.time)?;
        if body.time > horizon {
            return Err(Rejection::NotYetValid { object: ObjectKind::Link, valid_from: body.time, at: ctx.now });
        }
        if link.verify_with(&cert.body().public_key).is_err() {
            return Err(if certs.signed_by_other(link, &signer) {
                Rejection::WrongOwner { parent: body.parent }
            } else {
                Rejection::Altered { object: ObjectKind::Link }
            });
        }
        let mut total: u64 = 0;
        for out in &body.outputs {
            if out.amount == 0 {
                return Err(Rejection::ZeroAmount { object: ObjectKind::Link });
            }
            // An overflowing sum can never equal the parent: reject it as such, not saturated.
            total = total
                .checked_add(out.amount)
                .ok_or(Rejection::AmountMismatch { parent_amount: parent.amount, outputs_total: u64::MAX })?;
        }
        if total != parent.amount {
            return Err(Rejection::AmountMismatch { parent_amount: parent.amount, outputs_total: total });
        }
        let (currency, expires_at, genesis) = (parent.currency, parent.expires_at, parent.genesis);
        for (child, out) in link.children() {
            nodes.insert(
                child,
                Node { owner: out.owner, amount: out.amount, currency, expires_at, depth, genesis, spent: false },
            );
        }
    }

    let mut coins = Vec::with_capacity(bundle.heads.len());
    let mut heads = HashSet::with_capacity(bundle.heads.len());
    for head in &bundle.heads {
        let node = nodes.get(head).ok_or(Rejection::UnknownParent { parent: *head })?;
        if node.spent {
            return Err(Rejection::DoubleSpend { parent: *head });
        }
        heads.insert(*head);
        coins.push(VerifiedCoin {
            id: *head,
            owner: node.owner,
            amount: node.amount,
            currency: node.currency,
            expires_at: node.expires_at,
            depth: node.depth,
            genesis: node.genesis,
        });
    }

    check_all_referenced(bundle, &nodes, &heads)?;
    certs.check_all_used()?;
    Ok(VerifiedBundle { coins, proof: ChainVerified { _private: () } })
}

/// Every genesis note and link must lead to a head; anything else is padding.
fn check_all_referenced(
    bundle: &Bundle,
    nodes: &HashMap<NoteId, Node>,
    heads: &HashSet<NoteId>,
) -> Result<(), Rejection> {
    let used = |id: &NoteId| heads.contains(id) || nodes.get(id).is_some_and(|n| n.spent);
    if !bundle.notes.iter().all(|n| used(&n.id())) {
        return Err(Rejection::Unreferenced { object: ObjectKind::Note });
    }
    if !bundle.links.iter().all(|l| l.children().any(|(id, _)| used(&id))) {
        return Err(Rejection::Unreferenced { object: ObjectKind::Link });
    }
    Ok(())
}

/// The bundle's certificates, verified lazily (each at most once) and tracked for use.
struct BundleCertificates<'a> {
    ctx: &'a VerifyContext<'a>,
    carried: Vec<Carried<'a>>,
}

struct Carried<'a> {
    cert: &'a WalletCertificate,
    wallet: WalletId,
    verified: bool,
}

impl<'a> BundleCertificates<'a> {
    fn new(bundle: &'a Bundle, ctx: &'a VerifyContext<'a>) -> Self {
        let carried = bundle.certificates.iter().map(|c| Carried { cert: c, wallet: c.wallet_id(), verified: false });
        Self { ctx, carried: carried.collect() }
    }

    /// The certificate of `wallet` to check a link dated `at` against: one the bundle carries
    /// whose window covers `at` (it was sent for that link), else one the verifier holds, else
    /// the closest carried or held one (so the refusal names its window).
    fn get(&mut self, wallet: &WalletId, at: u64) -> Result<&'a WalletCertificate, Rejection> {
        let carried = super::select_valid_at(self.carried.iter().filter(|c| c.wallet == *wallet).map(|c| c.cert), at);
        let held = self.ctx.known_certificates.valid_at(wallet, at);
        let covers = |c: &&WalletCertificate| c.check_valid_at(at).is_ok();
        let chosen = carried.filter(covers).or(held.filter(covers)).or(carried).or(held);
        let cert = chosen.ok_or(Rejection::UnknownCertificate { wallet: *wallet })?;
        if let Some(entry) = self.carried.iter_mut().find(|c| std::ptr::eq(c.cert, cert)) {
            if !entry.verified {
                cert.verify_issuer(self.ctx.trust)?;
                entry.verified = true;
            }
        }
        Ok(cert)
    }

    /// Whether `link` verifies under some other carried certificate (a thief signing a note
    /// it does not own). Only called on the failure path.
    fn signed_by_other(&self, link: &super::SpendLink, owner: &WalletId) -> bool {
        self.carried.iter().filter(|c| c.wallet != *owner).any(|c| link.verify_with(&c.cert.body().public_key).is_ok())
    }

    fn check_all_used(&self) -> Result<(), Rejection> {
        if self.carried.iter().all(|c| c.verified) {
            Ok(())
        } else {
            Err(Rejection::Unreferenced { object: ObjectKind::Certificate })
        }
    }
}
