//! Certificate history: a wallet keeps one key and a sequence of certificates (renewals). A link
//! is checked against the certificate valid at the link's time, carried in the bundle or held by
//! the verifier; a payment carries the certificates its payee lacks. Clocks are explicit,
//! around `testkit::T0`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::HashSet;

use offline_cash_core::crypto::{Signer, Suite};
use offline_cash_core::testkit::{Fixture, T0, TestWallet};
use offline_cash_core::token::{
    Bundle, Chain, LinkBody, ObjectKind, Output, Rejection, SpendLink, VerifyContext, WalletCertificate,
    select_valid_at, verify_bundle,
};
use offline_cash_core::wallet::Wallet;
use offline_cash_core::wallet::tap::{TapConfig, tap};
use offline_cash_core::wallet::testing::{fund, provisioned};

const DAY: u64 = 86_400;

/// Signs a link spending the head of `chain` at `time`.
fn link(signer: &dyn Signer, chain: &Chain, outputs: Vec<Output>, counter: u64, time: u64) -> SpendLink {
    SpendLink::sign(LinkBody { parent: chain.head, outputs, counter, payee_nonce: [counter as u8; 16], time }, signer)
        .unwrap()
}

/// Alice holds a note of 1 000 and two certificates: the first (T0 - 1 day .. T0 + 30 days)
/// and its renewal (T0 + 25 days .. T0 + 55 days). She pays Bob 100 at T0 under the first and
/// the 900 of change at T0 + 31 days, which only the renewal covers.
struct Renewed {
    fx: Fixture,
    alice: TestWallet,
    renewal: WalletCertificate,
    bob: TestWallet,
    heads: Vec<Chain>,
}

fn renewed() -> Renewed {
    let fx = Fixture::new(Suite::EcdsaP256).unwrap();
    let alice = TestWallet::new(&fx.issuer, Suite::EcdsaP256).unwrap();
    let renewal = fx.issuer.certify_at(&alice.signer, T0 + 25 * DAY, T0 + 55 * DAY).unwrap();
    let bob = TestWallet::new(&fx.issuer, Suite::EcdsaP256).unwrap();
    let genesis = Chain::genesis(fx.issuer.issue(alice.id(), 1_000).unwrap());
    let outputs = vec![Output { owner: bob.id(), amount: 100 }, Output { owner: alice.id(), amount: 900 }];
    let first = link(&alice.signer, &genesis, outputs, 1, T0);
    let to_bob = genesis.extended(first.clone(), 0);
    let change = genesis.extended(first, 1);
    let second = link(&alice.signer, &change, vec![Output { owner: bob.id(), amount: 900 }], 2, T0 + 31 * DAY);
    let heads = vec![to_bob, change.extended(second, 0)];
    Renewed { fx, alice, renewal, bob, heads }
}

fn at(fx: &Fixture, now: u64) -> VerifyContext<'_> {
    VerifyContext { now, ..fx.context() }
}

#[test]
fn a_bundle_carries_the_certificate_valid_at_each_links_time() {
    let r = renewed();
    let history = [r.alice.cert.clone(), r.renewal.clone()];
    let bundle = Bundle::from_chains(&r.heads, &history, &HashSet::new()).unwrap();
    assert_eq!(bundle.certificates, history.to_vec(), "both of Alice's certificates travel, each once");
    // Two certificates of one wallet survive the wire.
    let decoded = Bundle::from_bytes(&bundle.to_bytes()).unwrap();
    assert_eq!(decoded, bundle);
    let verified = verify_bundle(&decoded, &at(&r.fx, T0 + 31 * DAY)).unwrap();
    assert_eq!(verified.total(), 1_000);
    assert!(verified.coins.iter().all(|c| c.owner == r.bob.id()));
}

#[test]
fn a_verifier_holding_the_history_needs_no_certificate_carried() {
    let mut r = renewed();
    r.fx.known.insert(r.renewal.clone(), &r.fx.trust).unwrap();
    r.fx.known.insert(r.alice.cert.clone(), &r.fx.trust).unwrap();
    r.fx.known.insert(r.alice.cert.clone(), &r.fx.trust).unwrap();
    assert_eq!(r.fx.known.len(), 2, "a certificate held twice counts once");
    assert_eq!(r.fx.known.history(&r.alice.id()).len(), 2, "the renewal does not replace the first");
    assert_eq!(r.fx.known.get(&r.alice.id()), Some(&r.renewal), "the latest is the one in force");
    let omit: HashSet<_> = [r.alice.id()].into();
    let bundle = Bundle::from_chains(&r.heads, &[], &omit).unwrap();
    assert!(bundle.certificates.is_empty());
    assert_eq!(verify_bundle(&bundle, &at(&r.fx, T0 + 31 * DAY)).unwrap().total(), 1_000);
}

#[test]
fn a_link_dated_outside_every_certificate_of_its_signer_is_refused() {
    let r = renewed();
    // Only the first certificate: the link at day 31 is after its end.
    let bundle = Bundle::from_chains(&r.heads, std::slice::from_ref(&r.alice.cert), &HashSet::new()).unwrap();
    match verify_bundle(&bundle, &at(&r.fx, T0 + 31 * DAY)) {
        Err(Rejection::Expired { object: ObjectKind::Certificate, expired_at, at }) => {
            assert_eq!((expired_at, at), (T0 + 30 * DAY, T0 + 31 * DAY));
        }
        other => panic!("expected an expired certificate, got {other:?}"),
    }
    // Only the renewal: the link at T0 is before its start.
    let bundle = Bundle::from_chains(&r.heads, std::slice::from_ref(&r.renewal), &HashSet::new()).unwrap();
    match verify_bundle(&bundle, &at(&r.fx, T0 + 31 * DAY)) {
        Err(Rejection::NotYetValid { object: ObjectKind::Certificate, valid_from, at }) => {
            assert_eq!((valid_from, at), (T0 + 25 * DAY, T0));
        }
        other => panic!("expected a certificate not yet valid, got {other:?}"),
    }
    // A gap between two certificates (the wallet did not renew in time): a link in it is refused.
    let late = r.fx.issuer.certify_at(&r.alice.signer, T0 + 40 * DAY, T0 + 70 * DAY).unwrap();
    let history = [r.alice.cert.clone(), late];
    let bundle = Bundle::from_chains(&r.heads, &history, &HashSet::new()).unwrap();
    assert!(matches!(
        verify_bundle(&bundle, &at(&r.fx, T0 + 41 * DAY)),
        Err(Rejection::Expired { object: ObjectKind::Certificate, .. })
    ));
    // And after every certificate.
    let verifier = &at(&r.fx, T0 + 60 * DAY);
    let history = [r.alice.cert.clone(), r.renewal.clone()];
    let genesis = Chain::genesis(r.fx.issuer.issue(r.alice.id(), 50).unwrap());
    let too_late = link(&r.alice.signer, &genesis, vec![Output { owner: r.bob.id(), amount: 50 }], 3, T0 + 60 * DAY);
    let bundle = Bundle::from_chains(&[genesis.extended(too_late, 0)], &history, &HashSet::new()).unwrap();
    assert!(matches!(
        verify_bundle(&bundle, verifier),
        Err(Rejection::Expired { object: ObjectKind::Certificate, expired_at, .. }) if expired_at == T0 + 55 * DAY
    ));
}

#[test]
fn a_carried_certificate_no_link_needs_is_still_padding() {
    let r = renewed();
    let mut bundle = Bundle::from_chains(&r.heads[..1], std::slice::from_ref(&r.alice.cert), &HashSet::new()).unwrap();
    bundle.certificates.push(r.renewal.clone());
    assert_eq!(
        verify_bundle(&bundle, &at(&r.fx, T0)),
        Err(Rejection::Unreferenced { object: ObjectKind::Certificate })
    );
}

#[test]
fn the_certificate_chosen_is_the_newest_covering_the_time_else_the_closest() {
    let r = renewed();
    let history = [r.renewal.clone(), r.alice.cert.clone()];
    assert_eq!(select_valid_at(&history, T0), Some(&r.alice.cert));
    assert_eq!(select_valid_at(&history, T0 + 27 * DAY), Some(&r.renewal), "both cover: the renewal");
    assert_eq!(select_valid_at(&history, T0 + 80 * DAY), Some(&r.renewal), "after both: the last to end");
    assert_eq!(select_valid_at(&history, T0 - 9 * DAY), Some(&r.alice.cert), "before both: the first");
    assert_eq!(select_valid_at(&[], T0), None);
}

fn renew(issuer: &offline_cash_core::testkit::TestIssuer, wallet: &Wallet, from: u64) {
    let cert = issuer.certify_at(wallet.signer().as_ref(), from, from + 30 * DAY).unwrap();
    wallet.install_certificate(cert).unwrap();
}

fn pay(payer: &Wallet, payee: &Wallet, amount: u64, now: u64) {
    let report =
        tap(payer.pay(), payee.request_payment(amount, now).unwrap(), TapConfig::payee_is_card(true), now).unwrap();
    assert!(report.payer_complete && report.payee_received.is_some(), "{:?}", report.error());
}

/// Wallets through the whole protocol: Alice pays Bob, renews, pays him again past the end of
/// her first certificate (Bob holds only that one: the payment must carry the renewal), and Bob
/// pays both notes on to Carol, who holds none of Alice's certificates.
#[test]
fn wallets_accept_links_from_both_sides_of_a_renewal_offline() {
    let fx = Fixture::new(Suite::EcdsaP256).unwrap();
    let issuer = &fx.issuer;
    let alice = provisioned(issuer, Suite::EcdsaP256, 1).unwrap();
    let bob = provisioned(issuer, Suite::EcdsaP256, 2).unwrap();
    let carol = provisioned(issuer, Suite::EcdsaP256, 3).unwrap();
    fund(issuer, &alice, &[1_000], T0).unwrap();
    pay(&alice, &bob, 100, T0);

    renew(issuer, &alice, T0 + 25 * DAY);
    renew(issuer, &bob, T0 + 25 * DAY);
    renew(issuer, &carol, T0 + 25 * DAY);
    pay(&alice, &bob, 900, T0 + 31 * DAY);
    pay(&bob, &carol, 1_000, T0 + 32 * DAY);
    assert_eq!(carol.balance().unwrap().spendable, 1_000);
    // And Carol can spend what she received: the history travelled with it.
    pay(&carol, &alice, 1_000, T0 + 33 * DAY);
    assert_eq!(alice.balance().unwrap().spendable, 1_000);
}
