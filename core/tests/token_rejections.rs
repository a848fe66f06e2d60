//! Every reason a payee refuses value, each produced by tampering with a valid object.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{HashSet, HashSet as Set};

use offline_cash_core::crypto::{SoftwareSigner, Suite};
use offline_cash_core::testkit::{Fixture, T0, TestIssuer, TestWallet, certificates, eur};
use offline_cash_core::token::{
    Bundle, Chain, Currency, DecodeError, LinkBody, Note, NoteBody, ObjectKind, Output, PolicyBody, Rejection,
    RevocationBody, SpendLink, WalletCertificate, WalletId, verify_bundle,
};

const SUITE: Suite = Suite::EcdsaP256;

struct Case {
    fx: Fixture,
    wallets: Vec<TestWallet>,
    chain: Chain,
}

fn case(depth: usize) -> Case {
    let fx = Fixture::new(SUITE).unwrap();
    let (wallets, chain) = fx.chain_of_depth(SUITE, depth, 1_000).unwrap();
    Case { fx, wallets, chain }
}

impl Case {
    fn bundle(&self) -> Bundle {
        Bundle::from_chains(std::slice::from_ref(&self.chain), &certificates(&self.wallets), &HashSet::new()).unwrap()
    }

    fn verify(&self, bundle: &Bundle) -> Result<u64, Rejection> {
        verify_bundle(bundle, &self.fx.context()).map(|v| v.total())
    }
}

#[test]
fn the_untampered_bundle_verifies() {
    let c = case(3);
    assert_eq!(c.verify(&c.bundle()), Ok(1_000));
}

#[test]
fn forged_note_signed_by_an_untrusted_issuer_key() {
    let c = case(1);
    let mut bundle = c.bundle();
    let counterfeiter = SoftwareSigner::generate(SUITE).unwrap();
    let mut body = bundle.notes[0].body().clone();
    body.issuer_key_id = 99;
    bundle.notes[0] = Note::sign(body, &counterfeiter).unwrap();
    // The links now point at a note id that no longer exists, but the note is checked first.
    assert_eq!(c.verify(&bundle), Err(Rejection::Forged { object: ObjectKind::Note, key_id: 99 }));
}

#[test]
fn forged_note_signed_with_the_trusted_key_id_but_another_key() {
    let c = case(0);
    let mut bundle = c.bundle();
    let counterfeiter = TestIssuer::new(SUITE).unwrap();
    let body = bundle.notes[0].body().clone();
    bundle.notes[0] = Note::sign(body, &counterfeiter.signer).unwrap();
    assert_eq!(c.verify(&bundle), Err(Rejection::Altered { object: ObjectKind::Note }));
}

#[test]
fn altered_note_amount() {
    let c = case(0);
    let mut bundle = c.bundle();
    let note = &bundle.notes[0];
    let mut body = note.body().clone();
    body.amount = 1_000_000;
    bundle.notes[0] = Note::from_parts(body, note.signature().clone());
    bundle.heads = vec![bundle.notes[0].id()];
    assert_eq!(c.verify(&bundle), Err(Rejection::Altered { object: ObjectKind::Note }));
}

#[test]
fn altered_link_output_owner() {
    let c = case(2);
    let mut bundle = c.bundle();
    let link = bundle.links[1].clone();
    let mut body = link.body().clone();
    body.outputs[0].owner = WalletId([0xAB; 32]);
    bundle.links[1] = SpendLink::from_parts(body, link.signature().clone());
    bundle.heads = vec![offline_cash_core::testkit::output_id(&bundle.links[1], 0)];
    assert_eq!(c.verify(&bundle), Err(Rejection::Altered { object: ObjectKind::Link }));
}

#[test]
fn altered_certificate_limit() {
    let c = case(1);
    let mut bundle = c.bundle();
    let cert = bundle.certificates[0].clone();
    let mut body = cert.body().clone();
    body.per_payment_limit = u64::MAX;
    bundle.certificates[0] = WalletCertificate::from_parts(body, cert.signature().clone());
    assert_eq!(c.verify(&bundle), Err(Rejection::Altered { object: ObjectKind::Certificate }));
}

#[test]
fn stolen_note_spent_by_a_wallet_that_does_not_own_it() {
    let c = case(1);
    let thief = TestWallet::new(&c.fx.issuer, SUITE).unwrap();
    // The thief signs a link spending the victim's note to itself.
    let stolen = thief.pay(&c.chain, 1_000, thief.id(), 1_000).unwrap().0;
    let mut certs = certificates(&c.wallets);
    certs.push(thief.cert.clone());
    // Claim the thief's certificate as the owner's by carrying it; the owner (wallets[1]) is
    // the note's owner, so its certificate is looked up and the signature fails under it.
    let bundle = Bundle::from_chains(&[stolen], &certs, &Set::new());
    let mut bundle = bundle.unwrap();
    if !bundle.certificates.iter().any(|cert| cert.wallet_id() == thief.id()) {
        bundle.certificates.push(thief.cert.clone());
    }
    let parent = c.chain.head;
    assert_eq!(c.verify(&bundle), Err(Rejection::WrongOwner { parent }));
}

#[test]
fn expired_note() {
    let c = case(1);
    let mut ctx = c.fx.context();
    ctx.now = c.chain.genesis.body().expires_at + 1;
    let expired_at = c.chain.genesis.body().expires_at;
    assert_eq!(
        verify_bundle(&c.bundle(), &ctx).map(|v| v.total()),
        Err(Rejection::Expired { object: ObjectKind::Note, expired_at, at: ctx.now })
    );
}

#[test]
fn link_signed_after_the_signers_certificate_expired() {
    let c = case(0);
    let owner = &c.wallets[0];
    let late = c.wallets[0].cert.body().not_after + 10;
    let body = LinkBody {
        parent: c.chain.head,
        outputs: vec![Output { owner: WalletId([5; 32]), amount: 1_000 }],
        counter: 1,
        payee_nonce: [1; 16],
        time: late,
    };
    let link = SpendLink::sign(body, &owner.signer).unwrap();
    let chain = c.chain.extended(link, 0);
    let bundle = Bundle::from_chains(&[chain], &certificates(&c.wallets), &Set::new()).unwrap();
    let mut ctx = c.fx.context();
    ctx.now = late;
    let expired_at = owner.cert.body().not_after;
    assert_eq!(
        verify_bundle(&bundle, &ctx).map(|v| v.total()),
        Err(Rejection::Expired { object: ObjectKind::Certificate, expired_at, at: late })
    );
}

#[test]
fn link_dated_in_the_future_beyond_clock_skew() {
    let c = case(0);
    let body = LinkBody {
        parent: c.chain.head,
        outputs: vec![Output { owner: WalletId([5; 32]), amount: 1_000 }],
        counter: 1,
        payee_nonce: [1; 16],
        time: T0 + 3_600,
    };
    let link = SpendLink::sign(body, &c.wallets[0].signer).unwrap();
    let bundle = Bundle::from_chains(&[c.chain.extended(link, 0)], &certificates(&c.wallets), &Set::new()).unwrap();
    assert_eq!(
        c.verify(&bundle),
        Err(Rejection::NotYetValid { object: ObjectKind::Link, valid_from: T0 + 3_600, at: T0 })
    );
}

#[test]
fn revoked_custodian_in_the_chain() {
    let c = case(3);
    let cheater = c.wallets[1].id();
    let list = c.fx.issuer.revoke(vec![cheater]).unwrap();
    list.verify_issuer(&c.fx.trust).unwrap();
    let mut ctx = c.fx.context();
    ctx.revocations = &list;
    assert_eq!(verify_bundle(&c.bundle(), &ctx).map(|v| v.total()), Err(Rejection::Revoked { wallet: cheater }));
}

#[test]
fn chain_deeper_than_policy() {
    let c = case(4);
    let mut policy: PolicyBody = c.fx.issuer.policy.body().clone();
    policy.max_chain_depth = 3;
    let mut ctx = c.fx.context();
    ctx.policy = &policy;
    assert_eq!(verify_bundle(&c.bundle(), &ctx).map(|v| v.total()), Err(Rejection::TooDeep { depth: 4, max: 3 }));
}

#[test]
fn note_in_another_currency() {
    let c = case(1);
    let mut policy: PolicyBody = c.fx.issuer.policy.body().clone();
    let usd = Currency::new("USD").unwrap();
    policy.currency = usd;
    let mut ctx = c.fx.context();
    ctx.policy = &policy;
    assert_eq!(
        verify_bundle(&c.bundle(), &ctx).map(|v| v.total()),
        Err(Rejection::CurrencyMismatch { expected: usd, found: eur() })
    );
}

#[test]
fn outputs_that_do_not_sum_to_the_parent() {
    let c = case(1);
    let mut bundle = c.bundle();
    // The owner itself signs a link that creates value out of nothing.
    let mut body = bundle.links[0].body().clone();
    body.outputs[0].amount = 1_001;
    bundle.links[0] = SpendLink::sign(body, &c.wallets[0].signer).unwrap();
    bundle.heads = vec![offline_cash_core::testkit::output_id(&bundle.links[0], 0)];
    assert_eq!(c.verify(&bundle), Err(Rejection::AmountMismatch { parent_amount: 1_000, outputs_total: 1_001 }));
}

#[test]
fn zero_value_output() {
    let c = case(1);
    let mut bundle = c.bundle();
    let mut body = bundle.links[0].body().clone();
    body.outputs.push(Output { owner: c.wallets[0].id(), amount: 0 });
    bundle.links[0] = SpendLink::sign(body, &c.wallets[0].signer).unwrap();
    bundle.heads = vec![offline_cash_core::testkit::output_id(&bundle.links[0], 0)];
    assert_eq!(c.verify(&bundle), Err(Rejection::ZeroAmount { object: ObjectKind::Link }));
}

#[test]
fn overflowing_outputs_are_a_mismatch_not_a_wraparound() {
    let c = case(1);
    let mut bundle = c.bundle();
    let mut body = bundle.links[0].body().clone();
    body.outputs =
        vec![Output { owner: c.wallets[1].id(), amount: u64::MAX }, Output { owner: c.wallets[0].id(), amount: 1_001 }];
    bundle.links[0] = SpendLink::sign(body, &c.wallets[0].signer).unwrap();
    bundle.heads = vec![offline_cash_core::testkit::output_id(&bundle.links[0], 0)];
    assert_eq!(c.verify(&bundle), Err(Rejection::AmountMismatch { parent_amount: 1_000, outputs_total: u64::MAX }));
}

#[test]
fn the_same_note_spent_twice_in_one_bundle() {
    let c = case(0);
    let payer = &c.wallets[0];
    let to_b = payer.pay(&c.chain, 1_000, WalletId([1; 32]), 1_000).unwrap().0;
    let to_c = payer.pay(&c.chain, 1_000, WalletId([2; 32]), 1_000).unwrap().0;
    let bundle = Bundle::from_chains(&[to_b, to_c], &certificates(&c.wallets), &Set::new()).unwrap();
    assert_eq!(c.verify(&bundle), Err(Rejection::DoubleSpend { parent: c.chain.head }));
}

#[test]
fn link_whose_parent_is_missing() {
    let c = case(3);
    let mut bundle = c.bundle();
    let removed = bundle.links.remove(1);
    let parent = bundle.links[1].body().parent;
    assert!(removed.children().any(|(id, _)| id == parent));
    assert_eq!(c.verify(&bundle), Err(Rejection::UnknownParent { parent }));
}

#[test]
fn certificate_missing_for_a_signer() {
    let c = case(2);
    let mut bundle = c.bundle();
    let dropped = bundle.certificates.remove(1).wallet_id();
    assert_eq!(c.verify(&bundle), Err(Rejection::UnknownCertificate { wallet: dropped }));
}

#[test]
fn certificate_already_held_by_the_verifier_may_be_omitted() {
    let mut c = case(2);
    let mut bundle = c.bundle();
    let dropped = bundle.certificates.remove(1);
    c.fx.known.insert(dropped, &c.fx.trust).unwrap();
    assert_eq!(c.verify(&bundle), Ok(1_000));
}

#[test]
fn unreferenced_padding_is_refused() {
    let c = case(1);
    let mut bundle = c.bundle();
    let stranger = TestWallet::new(&c.fx.issuer, SUITE).unwrap();
    bundle.certificates.push(stranger.cert.clone());
    assert_eq!(c.verify(&bundle), Err(Rejection::Unreferenced { object: ObjectKind::Certificate }));

    let mut bundle = c.bundle();
    bundle.notes.push(c.fx.issuer.issue(stranger.id(), 5).unwrap());
    assert_eq!(c.verify(&bundle), Err(Rejection::Unreferenced { object: ObjectKind::Note }));
}

#[test]
fn zero_value_note_from_the_issuer() {
    let c = case(0);
    let mut body: NoteBody = c.chain.genesis.body().clone();
    body.amount = 0;
    let note = Note::sign(body, &c.fx.issuer.signer).unwrap();
    let bundle = Bundle::from_chains(&[Chain::genesis(note)], &[], &Set::new()).unwrap();
    assert_eq!(c.verify(&bundle), Err(Rejection::ZeroAmount { object: ObjectKind::Note }));
}

#[test]
fn malformed_bytes_are_typed_errors() {
    let c = case(2);
    let bytes = c.bundle().to_bytes();
    assert_eq!(Bundle::from_bytes(&bytes[..bytes.len() - 1]), Err(DecodeError::Truncated));
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(Bundle::from_bytes(&trailing), Err(DecodeError::TrailingBytes { offset: bytes.len() }));
    let mut versioned = bytes.clone();
    versioned[1] = 2; // the bundle's version item
    assert_eq!(
        Bundle::from_bytes(&versioned),
        Err(DecodeError::UnknownVersion { object: ObjectKind::Bundle, found: 2 })
    );
    let huge = vec![0u8; offline_cash_core::token::MAX_BUNDLE_BYTES + 1];
    assert!(matches!(Bundle::from_bytes(&huge), Err(DecodeError::InputTooLarge { .. })));
}

#[test]
fn a_duplicated_object_is_refused_when_decoding() {
    let c = case(2);
    let mut bundle = c.bundle();
    bundle.links.push(bundle.links[0].clone());
    assert_eq!(Bundle::from_bytes(&bundle.to_bytes()), Err(DecodeError::Duplicate { object: ObjectKind::Link }));
}

#[test]
fn shared_ancestors_travel_once() {
    let fx = Fixture::new(SUITE).unwrap();
    let a = TestWallet::new(&fx.issuer, SUITE).unwrap();
    let b = TestWallet::new(&fx.issuer, SUITE).unwrap();
    let genesis = Chain::genesis(fx.issuer.issue(a.id(), 1_000).unwrap());
    // A pays B 300 and keeps 700 change; then A pays B its change too.
    let (to_b, change) = a.pay(&genesis, 1_000, b.id(), 300).unwrap();
    let change = change.unwrap();
    let (to_b_again, _) = a.pay(&change, 700, b.id(), 700).unwrap();
    let certs = [a.cert.clone(), b.cert.clone()];
    let both = Bundle::from_chains(&[to_b.clone(), to_b_again.clone()], &certs, &Set::new()).unwrap();
    assert_eq!(both.notes.len(), 1);
    assert_eq!(both.links.len(), 2);
    assert_eq!(both.certificates.len(), 1);
    let separately = Bundle::from_chains(&[to_b], &certs, &Set::new()).unwrap().to_bytes().len()
        + Bundle::from_chains(&[to_b_again], &certs, &Set::new()).unwrap().to_bytes().len();
    assert!(both.to_bytes().len() < separately);
    let verified = verify_bundle(&both, &fx.context()).unwrap();
    assert_eq!(verified.total(), 1_000);
    assert!(verified.coins.iter().all(|coin| coin.owner == b.id()));
}

#[test]
fn tampered_policy_and_revocation_list_are_refused() {
    let fx = Fixture::new(SUITE).unwrap();
    let policy = &fx.issuer.policy;
    policy.verify_issuer(&fx.trust).unwrap();
    let mut body = policy.body().clone();
    body.per_payment_limit *= 10;
    let altered = offline_cash_core::token::Policy::from_parts(body, policy.signature().clone());
    assert_eq!(altered.verify_issuer(&fx.trust), Err(Rejection::Altered { object: ObjectKind::Policy }));

    let list = fx.issuer.revoke(vec![WalletId([3; 32])]).unwrap();
    let mut body: RevocationBody = list.body().clone();
    body.revoked.clear();
    let emptied = offline_cash_core::token::RevocationList::from_parts(body, list.signature().clone());
    assert_eq!(emptied.verify_issuer(&fx.trust), Err(Rejection::Altered { object: ObjectKind::RevocationList }));
}

#[test]
fn ids_do_not_depend_on_the_signature() {
    let fx = Fixture::new(SUITE).unwrap();
    let w = TestWallet::new(&fx.issuer, SUITE).unwrap();
    let note = fx.issuer.issue(w.id(), 10).unwrap();
    let other = fx.issuer.issue(w.id(), 11).unwrap();
    let swapped = Note::from_parts(note.body().clone(), other.signature().clone());
    assert_eq!(note.id(), swapped.id());
}

#[test]
fn a_high_s_twin_of_a_valid_signature_is_refused_when_decoding() {
    use p256::elliptic_curve::scalar::IsHigh as _;
    let fx = Fixture::new(SUITE).unwrap();
    let w = TestWallet::new(&fx.issuer, SUITE).unwrap();
    let note = fx.issuer.issue(w.id(), 10).unwrap();
    let bytes = note.to_bytes();
    let raw = note.signature().as_bytes().to_vec();
    let sig = p256::ecdsa::Signature::from_slice(&raw).unwrap();
    let (r, s) = sig.split_scalars();
    assert!(!bool::from(s.is_high()));
    let twin = p256::ecdsa::Signature::from_scalars(r, -*s).unwrap();
    let mut forged = bytes.clone();
    let at = forged.len() - 64;
    forged[at..].copy_from_slice(&twin.to_bytes());
    assert!(matches!(
        Note::from_bytes(&forged),
        Err(DecodeError::Crypto(offline_cash_core::crypto::CryptoError::NonCanonicalSignature { .. }))
    ));
}

#[test]
fn a_bundle_that_transfers_nothing_is_malformed() {
    // Found by the bundle_verify fuzz target: `[1, [], [], [], []]` verified with a total of 0.
    let c = case(0);
    let empty = Bundle::from_bytes(&[0x85, 0x01, 0x80, 0x80, 0x80, 0x80]).unwrap();
    assert!(matches!(c.verify(&empty), Err(Rejection::Malformed(DecodeError::InvalidField { .. }))));
}
