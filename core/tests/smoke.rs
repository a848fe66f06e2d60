//! End-to-end smoke: a chain built by the testkit verifies under every suite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
use offline_cash_core::crypto::Suite;
use offline_cash_core::testkit::{Fixture, certificates};
use offline_cash_core::token::{Bundle, verify_bundle};
use std::collections::HashSet;

#[test]
fn chain_of_depth_three_verifies_for_every_suite() {
    for suite in Suite::ALL {
        let fx = Fixture::new(suite).unwrap();
        let (wallets, chain) = fx.chain_of_depth(suite, 3, 1_000).unwrap();
        let bundle = Bundle::from_chains(&[chain], &certificates(&wallets), &HashSet::new()).unwrap();
        let bytes = bundle.to_bytes();
        let decoded = Bundle::from_bytes(&bytes).unwrap();
        assert_eq!(decoded, bundle);
        let verified = verify_bundle(&decoded, &fx.context()).unwrap();
        assert_eq!(verified.coins.len(), 1);
        assert_eq!(verified.coins[0].amount, 1_000);
        assert_eq!(verified.coins[0].depth, 3);
        assert_eq!(verified.coins[0].owner, wallets[3].id());
    }
}
