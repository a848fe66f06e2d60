//! Funding a wallet (notes issued online) respects the holding limit across operations: what
//! the wallet holds after every funding, whatever it held before (earlier fundings, payments
//! received), never only the size of one request (issue 14, item 7).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::crypto::Suite;
use offline_cash_core::nfc::{CardConfig, FieldConfig, ReaderConfig};
use offline_cash_core::policy::LimitError;
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::wallet::WalletError;
use offline_cash_core::wallet::tap::{CardRole, TapConfig, tap};
use offline_cash_core::wallet::testing::{fund, provisioned};

#[test]
fn funding_is_refused_when_the_wallet_would_hold_more_than_its_holding_limit() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let a = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let limit = a.limits().unwrap().holding;
    assert_eq!(limit, 200_000, "the testkit's policy and certificate");
    fund(&issuer, &a, &[150_000], T0).unwrap();
    // Each request is under the limit; together they are not.
    let err = fund(&issuer, &a, &[50_000, 1], T0).unwrap_err();
    assert!(
        matches!(err, WalletError::Limit(LimitError::Holding { balance_after: 200_001, limit: l, excess: 1 }) if l == limit),
        "refused with the limit and by how much: {err:?}"
    );
    assert_eq!(a.balance().unwrap().spendable, 150_000, "nothing added");
    fund(&issuer, &a, &[50_000], T0).unwrap();
    assert_eq!(a.balance().unwrap().spendable, limit, "up to the limit exactly");
}

#[test]
fn value_received_offline_counts_towards_the_limit_at_the_next_funding() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let payer = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let payee = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    fund(&issuer, &payer, &[40_000], T0).unwrap();
    fund(&issuer, &payee, &[150_000], T0).unwrap();
    let cfg = TapConfig {
        role: CardRole::PayeeIsCard,
        field: FieldConfig { reader: ReaderConfig::extended(), ..FieldConfig::default() },
        card: CardConfig::extended(),
    };
    let request = payee.request_payment(40_000, T0).unwrap();
    assert!(tap(payer.pay(), request, cfg, T0).unwrap().payer_complete);
    assert_eq!(payee.balance().unwrap().spendable, 190_000);
    assert!(matches!(fund(&issuer, &payee, &[10_001], T0), Err(WalletError::Limit(LimitError::Holding { .. }))));
    fund(&issuer, &payee, &[10_000], T0).unwrap();
}
