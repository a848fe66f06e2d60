//! Tiers over HTTP: a registration challenge, evidence checked by the issuer's verifier (the
//! test double `FakeVerifier` here), the tier carried by the certificate and kept by every
//! renewal, and the operator's tier limits signed into the policy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;

use common::clocked::{DAY, Party, World};
use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::reason::Reason;
use offline_cash_core::store::{KeyLocation, Store};
use offline_cash_core::sync::{Attestation, SyncClient};
use offline_cash_core::testkit::T0;
use offline_cash_core::token::{Tier, TierLimits};
use offline_cash_core::wallet::renewal::Renewal;
use offline_cash_core::wallet::{OsEntropy, Wallet, WalletConfig, WalletError, WalletEvent};
use offline_cash_issuer::IssuerConfig;
use offline_cash_issuer::tier_attestation::FakeVerifier;

const SOFTWARE: TierLimits =
    TierLimits { tier: Tier::Software, per_payment: 5_000, holding: 20_000, max_offline_payments: 10 };
const STRONGBOX: TierLimits =
    TierLimits { tier: Tier::StrongBox, per_payment: 80_000, holding: 300_000, max_offline_payments: 1_000 };

fn tiered(config: &mut IssuerConfig) {
    config.attestation = Arc::new(FakeVerifier);
    // Out of order on purpose: the issuer orders the table.
    config.tier_limits = vec![STRONGBOX, SOFTWARE];
}

struct Phone {
    signer: Arc<dyn Signer>,
    wallet: Wallet,
    client: SyncClient,
}

fn phone(world: &World, credential: &str) -> Phone {
    let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    let client = SyncClient::new(&world.url(), credential, signer.clone()).unwrap().with_clock(world.clock());
    let wallet = Wallet::from_store(
        Store::open_in_memory().unwrap(),
        signer.clone(),
        KeyLocation::Hardware("tiers".into()),
        Box::new(OsEntropy),
        WalletConfig::default(),
    )
    .unwrap();
    Phone { signer, wallet, client }
}

async fn challenge(world: &World, credential: &str) -> Vec<u8> {
    SyncClient::attestation_challenge(&world.url(), credential).await.unwrap().0
}

fn evidence_for(phone: &Phone, tier: Tier, challenge: Vec<u8>) -> Attestation {
    let evidence = FakeVerifier::evidence(tier, &challenge, phone.signer.public_key().as_bytes());
    Attestation { challenge, evidence }
}

/// A wallet registered with evidence for `tier` on a new account.
async fn attested(world: &World, name: &str, balance: u64, tier: Tier) -> Party {
    let credential = world.account(name, balance).await;
    let p = phone(world, &credential);
    let attestation = evidence_for(&p, tier, challenge(world, &credential).await);
    p.wallet.register_attested(&p.client, Some(&attestation)).await.unwrap();
    Party { name: name.into(), wallet: p.wallet, client: p.client, credential }
}

fn refused_with(result: Result<(), WalletError>) -> Reason {
    match result {
        Err(WalletError::IssuerRefused { reason, .. }) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn payer_tiers(party: &Party) -> Vec<Tier> {
    std::iter::from_fn(|| party.wallet.poll_event())
        .filter_map(|e| match e {
            WalletEvent::PaymentReceived { payer_tier, .. } => Some(payer_tier),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strongbox_wallet_keeps_its_tier_and_limits_across_a_year_of_renewals() {
    let world = World::start_configured(tiered).await;
    let policy = world.server().issuer.policy().body().clone();
    assert_eq!(policy.tier_limits, vec![SOFTWARE, STRONGBOX], "the operator's table, in tier order");
    let alice = attested(&world, "alice", 100_000, Tier::StrongBox).await;
    let bob = attested(&world, "bob", 0, Tier::StrongBox).await;
    let carol = world.party("carol", 100_000).await; // no evidence: software
    world.set(T0 + 3600);
    alice.wallet.fund(&alice.client, &[10_000], world.now()).await.unwrap();
    carol.wallet.fund(&carol.client, &[10_000], world.now()).await.unwrap();
    assert_eq!(carol.wallet.limits().unwrap().tier, Tier::Software);
    assert_eq!(carol.wallet.limits().unwrap().per_payment, 5_000);

    let mut renewals = 0;
    for month in 0..12u64 {
        world.set(T0 + 3600 + month * 30 * DAY);
        for party in [&alice, &bob, &carol] {
            let report = world.sync_clean(party).await;
            renewals += u32::from(matches!(report.renewal, Renewal::Renewed { .. }));
        }
        let limits = alice.wallet.limits().unwrap();
        // More than the general limits (50 000 and 200 000): the certificate states its tier's.
        assert_eq!(
            (limits.tier, limits.per_payment, limits.holding),
            (Tier::StrongBox, 80_000, 300_000),
            "month {month}"
        );
        assert!(limits.certificate_not_after > world.now(), "month {month}: renewed");
        world.set(world.now() + 60);
        // Over the software limit, within StrongBox's: Alice pays, Bob sees her tier and pays back.
        world.pay(&alice, &bob, 6_000);
        assert_eq!(payer_tiers(&bob), vec![Tier::StrongBox]);
        world.pay(&bob, &alice, 6_000);
        // Carol, software, may not.
        let refused = world.try_pay(&carol, &bob, 6_000);
        assert!(!refused.payer_complete, "month {month}: {refused:?}");
        world.pay(&carol, &bob, 100);
        assert_eq!(payer_tiers(&bob), vec![Tier::Software]);
    }
    assert!(renewals >= 2 * 11, "every wallet renewed about monthly: {renewals}");
    for party in [&alice, &bob, &carol] {
        world.sync_clean(party).await;
    }
    let issuer = &world.server().issuer;
    assert!(issuer.audit().unwrap().balanced);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn challenges_are_single_use_bound_to_the_account_and_short_lived() {
    let world = World::start_configured(tiered).await;
    let mine = world.account("mine", 0).await;
    let theirs = world.account("theirs", 0).await;

    // Another account's challenge.
    let p = phone(&world, &mine);
    let foreign = evidence_for(&p, Tier::StrongBox, challenge(&world, &theirs).await);
    assert_eq!(refused_with(p.wallet.register_attested(&p.client, Some(&foreign)).await), Reason::AttestationChallenge);
    // Evidence for another key: refused, and the challenge is used up by the attempt.
    let c = challenge(&world, &mine).await;
    let other = phone(&world, &mine);
    let wrong_key = Attestation { challenge: c.clone(), ..evidence_for(&other, Tier::StrongBox, c.clone()) };
    assert_eq!(refused_with(p.wallet.register_attested(&p.client, Some(&wrong_key)).await), Reason::AttestationRefused);
    let right = evidence_for(&p, Tier::StrongBox, c);
    assert_eq!(refused_with(p.wallet.register_attested(&p.client, Some(&right)).await), Reason::AttestationChallenge);
    // Expired.
    let late = evidence_for(&p, Tier::StrongBox, challenge(&world, &mine).await);
    world.set(T0 + offline_cash_issuer::tier_attestation::CHALLENGE_TTL_SECS + 1);
    assert_eq!(refused_with(p.wallet.register_attested(&p.client, Some(&late)).await), Reason::AttestationChallenge);
    // A fresh one works once; used again (a replay) it is refused.
    let fresh = evidence_for(&p, Tier::Tee, challenge(&world, &mine).await);
    p.wallet.register_attested(&p.client, Some(&fresh)).await.unwrap();
    assert_eq!(p.wallet.limits().unwrap().tier, Tier::Tee);
    assert_eq!(refused_with(p.wallet.register_attested(&p.client, Some(&fresh)).await), Reason::AttestationChallenge);
    // No credential, no challenge.
    assert!(SyncClient::attestation_challenge(&world.url(), "nobody").await.is_err());
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_verifier_refuses_evidence_and_registers_without_it_at_software() {
    let world = World::start().await;
    assert!(world.server().issuer.policy().body().tier_limits.is_empty());
    let credential = world.account("dave", 0).await;
    let p = phone(&world, &credential);
    let attestation = evidence_for(&p, Tier::StrongBox, challenge(&world, &credential).await);
    assert_eq!(
        refused_with(p.wallet.register_attested(&p.client, Some(&attestation)).await),
        Reason::AttestationRefused
    );
    p.wallet.register(&p.client).await.unwrap();
    let limits = p.wallet.limits().unwrap();
    assert_eq!((limits.tier, limits.per_payment), (Tier::Software, 50_000), "as before tiers");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_tier_limits_at_a_restart_reach_the_wallets_at_their_next_sync_and_renewal() {
    let mut world = World::start_configured(tiered).await;
    let alice = world.party("alice", 100_000).await;
    let bob = world.party("bob", 0).await;
    world.set(T0 + 3600);
    alice.wallet.fund(&alice.client, &[10_000], world.now()).await.unwrap();
    world.try_pay(&alice, &bob, 6_000).payer_error.expect("over the software limit of 5 000");
    let first = world.server().issuer.policy().body().sequence;

    // The operator raises the software per-payment limit and lowers its offline count.
    world.configure = Arc::new(|c: &mut IssuerConfig| {
        tiered(c);
        c.tier_limits = vec![TierLimits { per_payment: 8_000, max_offline_payments: 1, ..SOFTWARE }, STRONGBOX];
    });
    world.restart_with(|_, _| ()).await;
    assert!(world.server().issuer.policy().body().sequence > first);
    // At the next sync the lowered limit applies at once; the raised one is still capped by the
    // certificate, which stated the old one.
    for party in [&alice, &bob] {
        world.sync_clean(party).await;
        let limits = party.wallet.limits().unwrap();
        assert_eq!((limits.per_payment, limits.max_offline_payments), (5_000, 1), "{}", party.name);
    }
    world.pay(&alice, &bob, 1_000);
    assert!(world.try_pay(&alice, &bob, 1_000).payer_error.is_some(), "one offline payment between syncs");
    // The renewal (day 25 of 30) states the new limit.
    world.set(T0 + 25 * DAY);
    for party in [&alice, &bob] {
        let report = world.sync_clean(party).await;
        assert!(matches!(report.renewal, Renewal::Renewed { .. }), "{}: {report:?}", party.name);
        assert_eq!(party.wallet.limits().unwrap().per_payment, 8_000, "{}", party.name);
    }
    world.set(T0 + 25 * DAY + 60);
    world.pay(&alice, &bob, 6_000);
    world.stop().await;
}

/// A raw client registered with `tier` evidence (or none), whose links the test signs itself.
async fn raw(world: &World, name: &str, balance: u64, tier: Option<Tier>) -> (Arc<SoftwareSigner>, SyncClient) {
    let credential = world.account(name, balance).await;
    let signer = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    let client = SyncClient::new(&world.url(), &credential, signer.clone() as Arc<dyn Signer>)
        .unwrap()
        .with_clock(world.clock());
    let attestation = match tier {
        Some(tier) => {
            let challenge = challenge(world, &credential).await;
            let evidence = FakeVerifier::evidence(tier, &challenge, signer.public_key().as_bytes());
            Some(Attestation { challenge, evidence })
        }
        None => None,
    };
    client.register_attested(attestation.as_ref()).await.unwrap();
    (signer, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_double_spend_guarantee_covers_what_the_cheater_tier_let_a_payee_accept() {
    guarantee_within_the_cheater_tier(false).await;
}

/// After a restart the node holds no certificate (decision 0027), and the bundles carry the
/// cheater's: the guarantee reads it to know the tier's limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_guarantees_what_the_cheater_tier_let_a_payee_accept() {
    guarantee_within_the_cheater_tier(true).await;
}

async fn guarantee_within_the_cheater_tier(restart: bool) {
    use offline_cash_core::sync::RecordStatus;
    use offline_cash_core::token::{Bundle, Chain, LinkBody, Output, SpendLink};

    let mut world = World::start_configured(tiered).await;
    let (cheat, cheat_client) = raw(&world, "cheat", 100_000, Some(Tier::StrongBox)).await;
    let (_, bob) = raw(&world, "bob", 0, None).await;
    let (_, carol) = raw(&world, "carol", 0, None).await;
    let cert = cheat_client.register().await.unwrap().certificate;
    assert_eq!(cert.body().tier, Tier::StrongBox, "a renewal keeps the tier");
    world.set(T0 + 60);
    let note = cheat_client.fund([7; 16], &[70_000]).await.unwrap().0.remove(0);
    let genesis = Chain::genesis(note);
    if restart {
        world.restart_with(|_, _| ()).await;
    }
    // 60 000 to Bob, then the same note's 60 000 to Carol: over the general per-payment limit
    // (50 000), within StrongBox's (80 000), so both payees could accept it offline.
    let spend = |to: offline_cash_core::token::WalletId, counter: u64| {
        let outputs = vec![Output { owner: to, amount: 60_000 }, Output { owner: cert.wallet_id(), amount: 10_000 }];
        let body =
            LinkBody { parent: genesis.head, outputs, counter, payee_nonce: [counter as u8; 16], time: world.now() };
        let link = SpendLink::sign(body, cheat.as_ref()).unwrap();
        Bundle::from_chains(&[genesis.extended(link, 0)], std::slice::from_ref(&cert), &Default::default()).unwrap()
    };
    for (client, counter) in [(&bob, 1u64), (&carol, 2)] {
        let mut batch = offline_cash_core::sync::SyncBatch::new(0, [0; 32]);
        batch.deposit.push(spend(client.wallet_id(), counter));
        let out = client.sync_batch(&batch).await.unwrap();
        let expected = if counter == 1 { RecordStatus::Accepted } else { RecordStatus::DoubleSpend };
        assert_eq!(out.results[0].status, expected);
        assert_eq!(out.results[0].credited, 60_000, "counter {counter}: {out:?}");
    }
    let audit = world.server().issuer.audit().unwrap();
    assert_eq!((audit.double_spends, audit.guaranteed), (1, 60_000), "{audit:?}");
    world.stop().await;
}
