//! A bundle is only built if a receiver could decode it: [`Bundle::from_chains`] refuses more
//! links or more bytes than [`Bundle::from_bytes`] accepts, so a payer paying with many deep
//! notes gets a typed error before anything is committed, instead of a payment that every
//! payee and the issuer must refuse (and that would stay pending).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::HashSet;

use offline_cash_core::crypto::Suite;
use offline_cash_core::testkit::{Fixture, TestWallet};
use offline_cash_core::token::{Bundle, Chain, DecodeError, MAX_BUNDLE_BYTES, MAX_BUNDLE_LINKS, Rejection};

/// `count` notes of 10, each passed back and forth between `a` and `b` `depth` times.
fn deep_chains(fx: &Fixture, a: &TestWallet, b: &TestWallet, count: usize, depth: usize) -> Vec<Chain> {
    (0..count)
        .map(|_| {
            let mut chain = Chain::genesis(fx.issuer.issue(a.id(), 10).unwrap());
            for hop in 0..depth {
                let (from, to) = if hop % 2 == 0 { (a, b) } else { (b, a) };
                chain = from.pay(&chain, 10, to.id(), 10).unwrap().0;
            }
            chain
        })
        .collect()
}

#[test]
fn more_links_than_a_receiver_decodes_is_refused_when_building_and_the_limit_itself_is_fine() {
    let fx = Fixture::new(Suite::EcdsaP256).unwrap();
    let a = TestWallet::new(&fx.issuer, Suite::EcdsaP256).unwrap();
    let b = TestWallet::new(&fx.issuer, Suite::EcdsaP256).unwrap();
    let certs = vec![a.cert.clone(), b.cert.clone()];
    // 64 notes × 16 links = 1,024 links: exactly the limit, built and decodable.
    let at_limit = deep_chains(&fx, &a, &b, 64, 16);
    let bundle = Bundle::from_chains(&at_limit, &certs, &HashSet::new()).unwrap();
    assert_eq!(bundle.links.len(), MAX_BUNDLE_LINKS);
    assert_eq!(Bundle::from_bytes(&bundle.to_bytes()).unwrap(), bundle);
    // 63 × 16 + 17 = 1,025 links: one more than any receiver decodes.
    let mut over = deep_chains(&fx, &a, &b, 63, 16);
    over.extend(deep_chains(&fx, &a, &b, 1, 17));
    let err = Bundle::from_chains(&over, &certs, &HashSet::new()).unwrap_err();
    assert!(matches!(err, Rejection::Malformed(DecodeError::TooLarge { limit: MAX_BUNDLE_LINKS, .. })), "{err:?}");
}

#[test]
fn more_bytes_than_a_receiver_decodes_is_refused_when_building() {
    // ML-DSA-44 links are ~2.5 KB: 30 notes × 15 links is over 1 MiB with far fewer than
    // 1,024 links.
    let fx = Fixture::new(Suite::MlDsa44).unwrap();
    let a = TestWallet::new(&fx.issuer, Suite::MlDsa44).unwrap();
    let b = TestWallet::new(&fx.issuer, Suite::MlDsa44).unwrap();
    let certs = vec![a.cert.clone(), b.cert.clone()];
    let chains = deep_chains(&fx, &a, &b, 30, 15);
    let err = Bundle::from_chains(&chains, &certs, &HashSet::new()).unwrap_err();
    assert!(
        matches!(err, Rejection::Malformed(DecodeError::InputTooLarge { limit: MAX_BUNDLE_BYTES, len }) if len > MAX_BUNDLE_BYTES),
        "{err:?}"
    );
    // Half of it is fine.
    let half = Bundle::from_chains(&chains[..15], &certs, &HashSet::new()).unwrap();
    assert!(half.to_bytes().len() <= MAX_BUNDLE_BYTES);
}
