//! The payer and payee machines driven against each other in memory (no store, no NFC).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::crypto::Suite;
use offline_cash_core::protocol::payee::{self, PayeeChecks, RequestParams};
use offline_cash_core::protocol::payer::{ExpectRequest, Funds, PayerChecks};
use offline_cash_core::protocol::{Frame, PaymentRejection, ProtocolError};
use offline_cash_core::store::testing::commit_prepared;
use offline_cash_core::testkit::{Fixture, T0, TestWallet, eur};
use offline_cash_core::token::{Chain, NoRevocations, WalletCertificate};

#[derive(Debug)]
struct Run {
    received: Vec<Chain>,
    change: Vec<Chain>,
}

fn pay(
    fx: &Fixture,
    payer: &TestWallet,
    payee: &TestWallet,
    funds: Funds,
    amount: u64,
    encrypted: bool,
) -> Result<Run, ProtocolError> {
    let nonce = [9u8; 16];
    let (expect_payment, request) = payee::request(
        payee.cert.clone(),
        RequestParams {
            amount,
            currency: eur(),
            nonce,
            now: T0,
            expires_at: T0 + 600,
            can_receive: u64::MAX,
            known_certificates: vec![],
            session_seed: encrypted.then_some([0x11; 32]),
            receipt_key: None,
        },
        &payee.signer,
    )?;
    let checks =
        PayerChecks { trust: &fx.trust, currency: eur(), revocations: &NoRevocations, now: T0, max_clock_skew: 300 };
    let accepted = ExpectRequest::new().handle_frame(&request, &checks)?;
    let spent: Vec<Chain> = funds.full.iter().chain(funds.split.iter().map(|(c, _)| c)).cloned().collect();
    let prepared = accepted.pay(funds, &payer.signer, 1, T0, encrypted.then_some([0x22; 32]))?;
    let change = prepared.pending().change.clone();
    let durable = commit_prepared(&fx.issuer, payer, &spent, prepared.pending(), T0).unwrap();
    let (expect_receipt, payment) = prepared.committed(durable)?;
    let incoming = expect_payment.handle_frame(&payment)?;
    let open = |n: &[u8; 16]| (*n == nonce).then_some(amount);
    let spent = |_: &_| None;
    let checks = PayeeChecks {
        verify: fx.context(),
        payee_certificate: &payee.cert,
        open_request: &open,
        spent_by: &spent,
        balance: 0,
    };
    let accepted = incoming.verify(&checks)?;
    let received = accepted.chains.clone();
    let receipt =
        offline_cash_core::protocol::AnyReceipt::Signed(accepted.sign_receipt(&payee.signer, payee.id(), T0)?);
    let frame = accepted.receipt_frame(&receipt)?;
    let verified = expect_receipt.handle_frame(&frame)?;
    assert_eq!(verified.receipt, receipt);
    Ok(Run { received, change })
}

fn certs(ws: &[&TestWallet]) -> Vec<WalletCertificate> {
    ws.iter().map(|w| w.cert.clone()).collect()
}

#[test]
fn split_payment_then_consecutive_payment_in_clear_and_encrypted() {
    for encrypted in [false, true] {
        for suite in [Suite::EcdsaP256, Suite::MlDsa44] {
            let fx = Fixture::new(suite).unwrap();
            let a = TestWallet::new(&fx.issuer, suite).unwrap();
            let b = TestWallet::new(&fx.issuer, suite).unwrap();
            let c = TestWallet::new(&fx.issuer, suite).unwrap();
            let note = Chain::genesis(fx.issuer.issue(a.id(), 1_000).unwrap());
            let funds = Funds { full: vec![], split: Some((note, 300)), certificates: certs(&[&a]) };
            let run = pay(&fx, &a, &b, funds, 300, encrypted).unwrap();
            assert_eq!(run.received.len(), 1);
            assert_eq!(run.received[0].amount(), 300);
            assert_eq!(run.change[0].amount(), 700);
            assert_eq!(run.change[0].owner(), Some(a.id()));
            // B spends what it received offline, at once.
            let funds = Funds { full: run.received, split: None, certificates: certs(&[&a, &b]) };
            let run = pay(&fx, &b, &c, funds, 300, encrypted).unwrap();
            assert_eq!(run.received[0].depth(), 2);
            assert_eq!(run.received[0].owner(), Some(c.id()));
        }
    }
}

#[test]
fn over_the_per_payment_limit_is_refused_by_the_payee() {
    let fx = Fixture::new(Suite::EcdsaP256).unwrap();
    let a = TestWallet::new(&fx.issuer, Suite::EcdsaP256).unwrap();
    let b = TestWallet::new(&fx.issuer, Suite::EcdsaP256).unwrap();
    let note = Chain::genesis(fx.issuer.issue(a.id(), 60_000).unwrap());
    let funds = Funds { full: vec![note], split: None, certificates: certs(&[&a]) };
    // An honest payer's store refuses to commit it; a cheating payer sends the bytes anyway.
    let nonce = [9u8; 16];
    let params = RequestParams {
        amount: 60_000,
        currency: eur(),
        nonce,
        now: T0,
        expires_at: T0 + 600,
        can_receive: u64::MAX,
        known_certificates: vec![],
        session_seed: None,
        receipt_key: None,
    };
    let (expect_payment, request) = payee::request(b.cert.clone(), params, &b.signer).unwrap();
    let checks =
        PayerChecks { trust: &fx.trust, currency: eur(), revocations: &NoRevocations, now: T0, max_clock_skew: 300 };
    let accepted = ExpectRequest::new().handle_frame(&request, &checks).unwrap();
    let prepared = accepted.pay(funds, &a.signer, 1, T0, None).unwrap();
    let frame = Frame::Payment(prepared.pending().payment_bytes.clone()).encode();
    let open = |n: &[u8; 16]| (*n == nonce).then_some(60_000);
    let spent = |_: &_| None;
    let checks = PayeeChecks {
        verify: fx.context(),
        payee_certificate: &b.cert,
        open_request: &open,
        spent_by: &spent,
        balance: 0,
    };
    let err = expect_payment.handle_frame(&frame).unwrap().verify(&checks).unwrap_err();
    assert_eq!(
        ProtocolError::Rejected(err),
        ProtocolError::Rejected(PaymentRejection::OverLimit {
            limit: offline_cash_core::protocol::LimitKind::PerPayment,
            limit_value: 50_000,
            over_by: 10_000
        })
    );
}
