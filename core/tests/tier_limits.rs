//! Tiers: the certificate carries the wallet's tier, the policy gives each tier its limits, and
//! payer and payee both enforce the payer tier's limits offline.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::cbor::Encoder;
use offline_cash_core::crypto::{SoftwareSigner, Suite};
use offline_cash_core::policy::LimitError;
use offline_cash_core::protocol::payee::{self, PayeeChecks, RequestParams};
use offline_cash_core::protocol::payer::{ExpectRequest, Funds, PayerChecks};
use offline_cash_core::protocol::{Frame, LimitKind, PaymentRejection};
use offline_cash_core::testkit::{Fixture, T0, TestIssuer, TestWallet, eur};
use offline_cash_core::token::{
    Body, CertificateBody, Chain, NoRevocations, Policy, PolicyBody, Tier, TierLimits, VerifyContext,
    WalletCertificate, body_digest,
};
use offline_cash_core::wallet::tap::{TapConfig, tap};
use offline_cash_core::wallet::testing::{fund, provisioned_at_tier};
use offline_cash_core::wallet::{Wallet, WalletError, WalletEvent};

/// The testkit's policy with a tier table: software 5 000 a payment, 8 000 held, 2 offline
/// payments; StrongBox 40 000 a payment. `sequence` orders updates.
fn tiered_policy(issuer: &TestIssuer, sequence: u64, software_per_payment: u64) -> Policy {
    let body = PolicyBody {
        sequence,
        tier_limits: vec![
            TierLimits {
                tier: Tier::Software,
                per_payment: software_per_payment,
                holding: 8_000,
                max_offline_payments: 2,
            },
            TierLimits { tier: Tier::StrongBox, per_payment: 40_000, holding: 200_000, max_offline_payments: 1_000 },
        ],
        ..issuer.policy.body().clone()
    };
    Policy::sign(body, &issuer.signer).unwrap()
}

fn at_tier(fx: &Fixture, tier: Tier) -> TestWallet {
    let mut w = TestWallet::new(&fx.issuer, Suite::EcdsaP256).unwrap();
    w.cert = fx.issuer.certify_tier(&w.signer, T0 - 86_400, T0 + 30 * 86_400, tier).unwrap();
    w
}

/// The payer's machine pays `amount` without any limit check of its own (a patched app: the
/// store that would refuse is bypassed), and the payee verifies under `policy`.
fn patched_payer_pays(
    fx: &Fixture,
    policy: &PolicyBody,
    payer: &TestWallet,
    payee: &TestWallet,
    amount: u64,
) -> Result<Tier, PaymentRejection> {
    let nonce = [3u8; 16];
    let params = RequestParams {
        amount,
        currency: eur(),
        nonce,
        now: T0,
        expires_at: T0 + 600,
        can_receive: u64::MAX,
        known_certificates: vec![],
        session_seed: None,
        receipt_key: None,
    };
    let (expect_payment, request) = payee::request(payee.cert.clone(), params, &payee.signer).unwrap();
    let checks =
        PayerChecks { trust: &fx.trust, currency: eur(), revocations: &NoRevocations, now: T0, max_clock_skew: 300 };
    let accepted = ExpectRequest::new().handle_frame(&request, &checks).unwrap();
    let note = Chain::genesis(fx.issuer.issue(payer.id(), amount).unwrap());
    let funds = Funds { full: vec![note], split: None, certificates: vec![payer.cert.clone()] };
    let prepared = accepted.pay(funds, &payer.signer, 1, T0, None).unwrap();
    let frame = Frame::Payment(prepared.pending().payment_bytes.clone()).encode();
    let open = |n: &[u8; 16]| (*n == nonce).then_some(amount);
    let spent = |_: &_| None;
    let checks = PayeeChecks {
        verify: VerifyContext { policy, ..fx.context() },
        payee_certificate: &payee.cert,
        open_request: &open,
        spent_by: &spent,
        balance: 0,
    };
    let accepted = expect_payment.handle_frame(&frame).unwrap().verify(&checks)?;
    Ok(accepted.payer_tier)
}

#[test]
fn the_payee_refuses_a_software_payer_over_the_software_limit_even_if_the_payer_skips_its_check() {
    let mut fx = Fixture::new(Suite::EcdsaP256).unwrap();
    fx.issuer.policy = tiered_policy(&fx.issuer, 2, 5_000);
    let policy = fx.issuer.policy.body().clone();
    // The payee's own holding limit is its tier's (StrongBox: 200 000).
    let payee = at_tier(&fx, Tier::StrongBox);
    let software = at_tier(&fx, Tier::Software);
    assert_eq!(
        patched_payer_pays(&fx, &policy, &software, &payee, 6_000),
        Err(PaymentRejection::OverLimit { limit: LimitKind::PerPayment, limit_value: 5_000, over_by: 1_000 })
    );
    assert_eq!(patched_payer_pays(&fx, &policy, &software, &payee, 5_000), Ok(Tier::Software));
    // The same payment from a StrongBox wallet is within its tier's limit; the payee learns the tier.
    let strongbox = at_tier(&fx, Tier::StrongBox);
    assert_eq!(patched_payer_pays(&fx, &policy, &strongbox, &payee, 6_000), Ok(Tier::StrongBox));
    // A TEE wallet has no entry: the general limit (50 000) applies.
    let tee = at_tier(&fx, Tier::Tee);
    assert_eq!(patched_payer_pays(&fx, &policy, &tee, &payee, 45_000), Ok(Tier::Tee));
    // A software payee may not hold that much (its tier's holding limit, 8 000).
    let software_payee = at_tier(&fx, Tier::Software);
    assert_eq!(
        patched_payer_pays(&fx, &policy, &tee, &software_payee, 9_000),
        Err(PaymentRejection::OverLimit { limit: LimitKind::Holding, limit_value: 8_000, over_by: 1_000 })
    );
}

#[test]
fn a_policy_without_tier_limits_treats_every_tier_as_today() {
    let fx = Fixture::new(Suite::EcdsaP256).unwrap();
    let policy = fx.issuer.policy.body().clone();
    assert!(policy.tier_limits.is_empty());
    let payee = at_tier(&fx, Tier::Software);
    for tier in Tier::ALL {
        let payer = at_tier(&fx, tier);
        assert_eq!(patched_payer_pays(&fx, &policy, &payer, &payee, 50_000), Ok(tier));
        assert!(matches!(
            patched_payer_pays(&fx, &policy, &payer, &payee, 50_001),
            Err(PaymentRejection::OverLimit { limit: LimitKind::PerPayment, limit_value: 50_000, .. })
        ));
    }
}

/// A certificate body as this code wrote it before tiers: nine items.
fn pre_tier_layout(body: &CertificateBody) -> Vec<u8> {
    let mut enc = Encoder::new();
    enc.array(9).uint(1).array(2).uint(u64::from(body.public_key.suite().id())).bytes(body.public_key.as_bytes());
    enc.bytes(&body.customer_ref)
        .uint(body.not_before)
        .uint(body.not_after)
        .text(body.currency.as_str())
        .uint(body.per_payment_limit)
        .uint(body.holding_limit)
        .uint(u64::from(body.issuer_key_id));
    enc.finish()
}

#[test]
fn a_certificate_from_before_tiers_decodes_as_software_and_its_signature_still_verifies() {
    let fx = Fixture::new(Suite::EcdsaP256).unwrap();
    let wallet = at_tier(&fx, Tier::Software);
    let body = wallet.cert.body();
    let mut enc = Encoder::new();
    body.encode(&mut enc);
    assert_eq!(enc.finish(), pre_tier_layout(body), "a software certificate keeps the old layout");
    // An old certificate: signed over the old layout's digest, decoded by this code.
    let old = wallet.cert.to_bytes();
    let decoded = WalletCertificate::from_bytes(&old).unwrap();
    assert_eq!(decoded.body().tier, Tier::Software);
    assert_eq!(*decoded.digest(), body_digest(body));
    decoded.verify_issuer(&fx.trust).unwrap();

    // A tier other than software is a tenth item, covered by the signature.
    let sb = at_tier(&fx, Tier::StrongBox);
    let bytes = sb.cert.to_bytes();
    assert_eq!(bytes[1], 0x8a, "ten items");
    let decoded = WalletCertificate::from_bytes(&bytes).unwrap();
    assert_eq!(decoded.body().tier, Tier::StrongBox);
    decoded.verify_issuer(&fx.trust).unwrap();
    // Lowering the tier in transit breaks the signature.
    let lowered = WalletCertificate::from_parts(
        CertificateBody { tier: Tier::Tee, ..sb.cert.body().clone() },
        sb.cert.signature().clone(),
    );
    assert!(lowered.verify_issuer(&fx.trust).is_err());
    // Software written explicitly is not canonical; an unknown tier code is refused.
    let mut explicit = pre_tier_layout(body);
    explicit[0] = 0x8a;
    explicit.push(0);
    let mut enc = Encoder::new();
    enc.array(2).raw(&explicit);
    let sig = wallet.cert.to_bytes();
    let sig_start = 1 + pre_tier_layout(body).len();
    enc.raw(&sig[sig_start..]);
    assert!(WalletCertificate::from_bytes(&enc.finish()).is_err());
    let mut unknown = sb.cert.to_bytes();
    let tier_at = 1 + pre_tier_layout(sb.cert.body()).len();
    assert_eq!(unknown[tier_at], 2);
    unknown[tier_at] = 9;
    assert!(WalletCertificate::from_bytes(&unknown).is_err());
}

#[test]
fn a_policy_from_before_tiers_still_decodes_without_a_table() {
    let fx = Fixture::new(Suite::EcdsaP256).unwrap();
    let bytes = fx.issuer.policy.to_bytes();
    assert_eq!(bytes[1], 0x8b, "eleven items without a table");
    assert!(Policy::from_bytes(&bytes).unwrap().body().tier_limits.is_empty());
    let tiered = tiered_policy(&fx.issuer, 2, 5_000);
    assert_eq!(tiered.to_bytes()[1], 0x8c);
    assert_eq!(Policy::from_bytes(&tiered.to_bytes()).unwrap(), tiered);
}

fn wallet(issuer: &TestIssuer, tier: Tier, seed: u8) -> Wallet {
    provisioned_at_tier(issuer, SoftwareSigner::generate(Suite::EcdsaP256).unwrap(), seed, tier).unwrap()
}

fn tap_pay(payer: &Wallet, payee: &Wallet, amount: u64) -> offline_cash_core::wallet::tap::TapReport {
    let request = payee.request_payment(amount, T0).unwrap();
    tap(payer.pay(), request, TapConfig::payee_is_card(true), T0).unwrap()
}

fn received_tier(payee: &Wallet) -> Option<Tier> {
    std::iter::from_fn(|| payee.poll_event()).find_map(|e| match e {
        WalletEvent::PaymentReceived { payer_tier, .. } => Some(payer_tier),
        _ => None,
    })
}

#[test]
fn the_payer_refuses_over_its_tier_limits_and_the_payee_sees_the_payer_tier() {
    let mut issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    issuer.policy = tiered_policy(&issuer, 2, 5_000);
    let software = wallet(&issuer, Tier::Software, 1);
    let strongbox = wallet(&issuer, Tier::StrongBox, 2);
    let payee = wallet(&issuer, Tier::StrongBox, 3);
    // Funding past the software tier's holding limit (8 000) is refused.
    assert!(matches!(fund(&issuer, &software, &[9_000], T0), Err(WalletError::Limit(LimitError::Holding { .. }))));
    fund(&issuer, &software, &[7_000], T0).unwrap();
    fund(&issuer, &strongbox, &[7_000], T0).unwrap();
    assert_eq!(software.limits().unwrap().tier, Tier::Software);
    assert_eq!(software.limits().unwrap().per_payment, 5_000);

    let report = tap_pay(&software, &payee, 6_000);
    assert!(
        matches!(report.payer_error, Some(WalletError::Limit(LimitError::PerPayment { limit: 5_000, .. }))),
        "{report:?}"
    );
    assert_eq!(software.balance().unwrap().spendable, 7_000, "nothing committed");

    let report = tap_pay(&strongbox, &payee, 6_000);
    assert!(report.payer_complete, "{:?}", report.error());
    assert_eq!(received_tier(&payee), Some(Tier::StrongBox));

    // The software tier's offline count (2): a third payment before a sync is refused.
    for _ in 0..2 {
        let report = tap_pay(&software, &payee, 1_000);
        assert!(report.payer_complete, "{:?}", report.error());
        assert_eq!(received_tier(&payee), Some(Tier::Software));
    }
    let report = tap_pay(&software, &payee, 1_000);
    assert!(matches!(report.payer_error, Some(WalletError::Limit(LimitError::OfflinePayments { max: 2, .. }))));
}

#[test]
fn tier_limits_changed_by_a_policy_update_apply_on_both_sides() {
    let mut fx = Fixture::new(Suite::EcdsaP256).unwrap();
    let first = tiered_policy(&fx.issuer, 2, 5_000);
    let second = tiered_policy(&fx.issuer, 3, 2_000);
    fx.issuer.policy = first.clone();
    let payer_wallet = wallet(&fx.issuer, Tier::Software, 1);
    let payee_wallet = wallet(&fx.issuer, Tier::Software, 2);
    fund(&fx.issuer, &payer_wallet, &[7_000], T0).unwrap();
    assert_eq!(payer_wallet.limits().unwrap().per_payment, 5_000);

    // Both sync and install the update: the payer's own check applies the new software limit …
    for w in [&payer_wallet, &payee_wallet] {
        w.install_policy(&second).unwrap();
        assert_eq!(w.limits().unwrap().per_payment, 2_000);
    }
    let report = tap_pay(&payer_wallet, &payee_wallet, 3_000);
    assert!(matches!(report.payer_error, Some(WalletError::Limit(LimitError::PerPayment { limit: 2_000, .. }))));
    let report = tap_pay(&payer_wallet, &payee_wallet, 2_000);
    assert!(report.payer_complete, "{:?}", report.error());

    // … and a payee on the new policy refuses a payer still acting on the old one.
    let payer = at_tier(&fx, Tier::Software);
    let payee = at_tier(&fx, Tier::Software);
    assert_eq!(patched_payer_pays(&fx, first.body(), &payer, &payee, 3_000), Ok(Tier::Software));
    assert_eq!(
        patched_payer_pays(&fx, second.body(), &payer, &payee, 3_000),
        Err(PaymentRejection::OverLimit { limit: LimitKind::PerPayment, limit_value: 2_000, over_by: 1_000 })
    );
}
