//! Trust anchors change only by a rotation signed by a key already trusted: the rotation
//! object itself, a wallet applying what an (altered) issuer answer says about keys, policy
//! and revocations, and the refusal of plain `http://` issuer URLs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;

use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
#[cfg(feature = "sync")]
use offline_cash_core::sync::{ClientOptions, SyncClient, SyncError, check_url};
use offline_cash_core::testkit::{T0, TestIssuer, eur};
use offline_cash_core::token::{
    Chain, IssuerKey, KeyEnd, KeyRotation, KeyRotationBody, Note, NoteBody, ObjectKind, Policy, PolicyBody, Rejection,
    RevocationBody, RevocationList, RotationApplied, RotationError,
};
use offline_cash_core::wallet::tap::{TapConfig, tap};
use offline_cash_core::wallet::testing::{fund, provisioned};
use offline_cash_core::wallet::{IssuerUpdate, Refused, Wallet, WalletError};

const DAY: u64 = 86_400;

fn signer() -> SoftwareSigner {
    SoftwareSigner::generate(Suite::EcdsaP256).unwrap()
}

fn key(signer: &SoftwareSigner, key_id: u32, not_before: u64) -> IssuerKey {
    IssuerKey { key_id, public_key: signer.public_key(), not_before, not_after: not_before + 3650 * DAY }
}

fn rotation(by: &SoftwareSigner, by_id: u32, at: u64, new_key: IssuerKey, ends: Option<KeyEnd>) -> KeyRotation {
    KeyRotation::sign(KeyRotationBody { signer_key_id: by_id, issued_at: at, new_key, ends }, by).unwrap()
}

fn note(by: &SoftwareSigner, key_id: u32, wallet: &Wallet, amount: u64, serial: u8) -> Chain {
    Chain::genesis(
        Note::sign(
            NoteBody {
                serial: [serial; 16],
                currency: eur(),
                amount,
                owner: wallet.id(),
                issued_at: T0 - 60,
                expires_at: T0 + 365 * DAY,
                issuer_key_id: key_id,
            },
            by,
        )
        .unwrap(),
    )
}

fn policy(by: &SoftwareSigner, key_id: u32, sequence: u64, per_payment_limit: u64) -> Policy {
    let mut body = TestIssuer::new(Suite::EcdsaP256).unwrap().policy.body().clone();
    body = PolicyBody { issuer_key_id: key_id, sequence, issued_at: T0, per_payment_limit, ..body };
    Policy::sign(body, by).unwrap()
}

fn trusted_ids(wallet: &Wallet) -> Vec<(u32, Vec<u8>)> {
    wallet
        .with_store(|s| s.trust_store().unwrap().keys().map(|k| (k.key_id, k.public_key.as_bytes().to_vec())).collect())
}

// --- the object ---------------------------------------------------------------------------

#[test]
fn a_rotation_round_trips_canonically_and_an_altered_one_is_refused() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let next = signer();
    let r = issuer.rotate_to(key(&next, 2, T0), Some(KeyEnd { key_id: 1, not_after: T0 + DAY }), T0).unwrap();
    let bytes = r.to_bytes();
    let back = KeyRotation::from_bytes(&bytes).unwrap();
    assert_eq!(back, r);
    assert_eq!(back.to_bytes(), bytes);
    assert!(matches!(
        KeyRotation::from_bytes(&[bytes.as_slice(), &[0]].concat()),
        Err(offline_cash_core::token::DecodeError::TrailingBytes { .. })
    ));
    // No end: `ends` is the empty array.
    let plain = issuer.rotate_to(key(&next, 2, T0), None, T0).unwrap();
    assert_eq!(KeyRotation::from_bytes(&plain.to_bytes()).unwrap().body().ends, None);

    // The new key swapped after signing: the signature no longer matches.
    let attacker = signer();
    let mut body = r.body().clone();
    body.new_key = key(&attacker, 2, T0);
    let swapped = KeyRotation::from_parts(body, r.signature().clone());
    let mut trust = issuer.trust();
    assert_eq!(
        trust.apply_rotation(&swapped, T0, 300),
        Err(RotationError::Signature(Rejection::Altered { object: ObjectKind::KeyRotation }))
    );
    assert!(trust.get(2).is_none());
}

#[test]
fn a_chain_of_rotations_verifies_link_by_link_back_to_the_pinned_key() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let (k2, k3) = (signer(), signer());
    let r12 = issuer.rotate_to(key(&k2, 2, T0), Some(KeyEnd { key_id: 1, not_after: T0 + DAY }), T0).unwrap();
    let r23 = rotation(&k2, 2, T0 + 10 * DAY, key(&k3, 3, T0 + 10 * DAY), None);

    // Out of order, 2→3 alone is signed by a key not (yet) trusted.
    let mut trust = issuer.trust();
    assert_eq!(
        trust.apply_rotation(&r23, T0 + 10 * DAY, 300),
        Err(RotationError::Signature(Rejection::Forged { object: ObjectKind::KeyRotation, key_id: 2 }))
    );
    let outcomes = trust.apply_rotations(&[r12.clone(), r23.clone()], T0 + 10 * DAY, 300);
    assert_eq!(outcomes, vec![Ok(RotationApplied::Added), Ok(RotationApplied::Added)]);
    assert_eq!(trust.keys().map(|k| k.key_id).collect::<Vec<_>>(), vec![1, 2, 3]);
    // Key 1 is ended, not dropped: it still verifies what it signed before its end.
    assert_eq!(trust.get(1).unwrap().not_after, T0 + DAY);
    assert!(issuer.policy.verify_issuer(&trust).is_ok());
    // The same chain again changes nothing.
    assert_eq!(
        trust.apply_rotations(&[r12, r23], T0 + 10 * DAY, 300),
        vec![Ok(RotationApplied::AlreadyTrusted), Ok(RotationApplied::AlreadyTrusted)]
    );
}

#[test]
fn rotations_that_break_the_rules_are_refused_and_change_nothing() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let (k2, attacker) = (signer(), signer());
    let pinned = issuer.trust();
    let check = |r: &KeyRotation, now: u64| {
        let mut t = pinned.clone();
        let out = t.apply_rotation(r, now, 300);
        assert_eq!(t.keys().count(), 1, "a refused rotation leaves the store as it was");
        assert_eq!(t.get(1), pinned.get(1));
        out
    };
    // Signed by a key nobody trusts, naming an id that nobody trusts.
    let forged = rotation(&attacker, 9, T0, key(&attacker, 2, T0), None);
    assert_eq!(
        check(&forged, T0),
        Err(RotationError::Signature(Rejection::Forged { object: ObjectKind::KeyRotation, key_id: 9 }))
    );
    // Signed by an attacker key under the trusted id 1.
    let impostor = rotation(&attacker, 1, T0, key(&attacker, 2, T0), None);
    assert_eq!(
        check(&impostor, T0),
        Err(RotationError::Signature(Rejection::Altered { object: ObjectKind::KeyRotation }))
    );
    // Dated outside the signer's validity.
    let late = issuer.rotate_to(key(&k2, 2, T0), None, issuer.key.not_after + 1).unwrap();
    assert!(matches!(check(&late, issuer.key.not_after + 1), Err(RotationError::Signature(Rejection::Forged { .. }))));
    // Dated in the verifier's future.
    let future = issuer.rotate_to(key(&k2, 2, T0), None, T0 + DAY).unwrap();
    assert!(matches!(check(&future, T0), Err(RotationError::FutureDated { .. })));
    // Replacing the trusted key 1 by another key under the same id.
    let replace = issuer.rotate_to(key(&attacker, 1, T0), None, T0).unwrap();
    assert_eq!(check(&replace, T0), Err(RotationError::KeyIdConflict { key_id: 1 }));
    // An empty validity.
    let mut empty = key(&k2, 2, T0);
    empty.not_after = T0 - 1;
    assert_eq!(check(&issuer.rotate_to(empty, None, T0).unwrap(), T0), Err(RotationError::EmptyValidity { key_id: 2 }));
    // Ending key 1 before the rotation's own date (it would void notes already issued), or
    // extending it, or ending a key nobody trusts.
    for end in [
        KeyEnd { key_id: 1, not_after: T0 - 1 },
        KeyEnd { key_id: 1, not_after: issuer.key.not_after + 1 },
        KeyEnd { key_id: 7, not_after: T0 + DAY },
    ] {
        let r = issuer.rotate_to(key(&k2, 2, T0), Some(end), T0).unwrap();
        assert_eq!(check(&r, T0), Err(RotationError::BadEnd { key_id: end.key_id, not_after: end.not_after }));
    }
}

// --- the wallet ---------------------------------------------------------------------------

#[test]
fn an_answer_swapping_the_keys_for_an_attacker_key_installs_nothing_and_attacker_notes_stay_refused() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let victim = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let before = trusted_ids(&victim);
    // The attacker's own issuer, under the same key id 1 and under a new id 7.
    let attacker = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let mut as_seven = attacker.key.clone();
    as_seven.key_id = 7;
    let update = IssuerUpdate {
        issuer_keys: vec![attacker.key.clone(), as_seven],
        rotations: vec![],
        policy: Some(policy(&attacker.signer, 1, 99, u64::MAX)),
        revocations: None,
    };
    let refused = victim.apply_issuer_update(&update, T0).unwrap();
    assert!(refused.contains(&Refused::UntrustedKey { key_id: 1 }), "{refused:?}");
    assert!(refused.contains(&Refused::UntrustedKey { key_id: 7 }), "{refused:?}");
    assert!(matches!(
        refused.iter().find(|r| matches!(r, Refused::Policy { .. })),
        Some(Refused::Policy { sequence: 99, .. })
    ));
    assert_eq!(trusted_ids(&victim), before, "the pinned key is kept, nothing added");
    assert_eq!(victim.with_store(|s| s.policy().unwrap().unwrap().body().sequence), 1);

    // Notes the attacker mints are still refused, whichever id they name.
    for (id, serial) in [(1, 1), (7, 2)] {
        let err = victim.deposit_issued(&[note(&attacker.signer, id, &victim, 5_000, serial)], T0).unwrap_err();
        assert!(matches!(err, WalletError::Rejected(_)), "{err}");
    }
    // And offline: a wallet of the attacker's issuer pays the victim over NFC.
    let mule = provisioned(&attacker, Suite::EcdsaP256, 2).unwrap();
    fund(&attacker, &mule, &[5_000], T0).unwrap();
    let report =
        tap(mule.pay(), victim.request_payment(1_000, T0).unwrap(), TapConfig::payee_is_card(true), T0).unwrap();
    assert!(report.payee_received.is_none(), "the victim accepted value minted by the attacker");
    assert_eq!(victim.balance().unwrap().total, 0);
}

#[test]
fn an_answer_that_omits_a_key_drops_nothing() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let w = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    fund(&issuer, &w, &[1_000], T0).unwrap();
    // An empty answer, then one that lists only the next key (with its rotation).
    assert_eq!(w.apply_issuer_update(&IssuerUpdate::default(), T0).unwrap(), vec![]);
    assert_eq!(trusted_ids(&w).len(), 1);
    let k2 = signer();
    let r12 = issuer.rotate_to(key(&k2, 2, T0 - DAY), None, T0 - 10).unwrap();
    let only_new =
        IssuerUpdate { issuer_keys: vec![key(&k2, 2, T0 - DAY)], rotations: vec![r12], ..IssuerUpdate::default() };
    assert_eq!(w.apply_issuer_update(&only_new, T0).unwrap(), vec![]);
    assert_eq!(trusted_ids(&w).iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![1, 2], "key 1 is kept");
    // Notes under the omitted key still verify (a new note, and a payment of the held one).
    fund(&issuer, &w, &[500], T0).unwrap();
    let peer = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    let report = tap(w.pay(), peer.request_payment(700, T0).unwrap(), TapConfig::payee_is_card(true), T0).unwrap();
    assert!(report.payer_complete, "{:?}", report.error());
}

#[test]
fn a_valid_rotation_chain_adds_the_new_key_and_notes_under_it_verify() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let (a, b) =
        (provisioned(&issuer, Suite::EcdsaP256, 1).unwrap(), provisioned(&issuer, Suite::EcdsaP256, 2).unwrap());
    fund(&issuer, &a, &[1_000], T0).unwrap();
    let k2 = signer();
    let r12 = issuer.rotate_to(key(&k2, 2, T0 - DAY), Some(KeyEnd { key_id: 1, not_after: T0 }), T0 - 10).unwrap();
    // Before the rotation, notes under key 2 are counterfeit.
    assert!(a.deposit_issued(&[note(&k2, 2, &a, 300, 9)], T0).is_err());
    let update = IssuerUpdate {
        issuer_keys: vec![issuer.key.clone(), key(&k2, 2, T0 - DAY)],
        rotations: vec![r12],
        policy: Some(policy(&k2, 2, 2, 40_000)),
        revocations: None,
    };
    for w in [&a, &b] {
        assert_eq!(w.apply_issuer_update(&update, T0).unwrap(), vec![]);
        assert_eq!(trusted_ids(w).iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(w.with_store(|s| s.policy().unwrap().unwrap().body().sequence), 2, "policy signed by key 2");
    }
    assert_eq!(a.deposit_issued(&[note(&k2, 2, &a, 300, 9)], T0).unwrap(), 300);
    // Both the old note (key 1, signed before its end) and the new one pay offline.
    let report = tap(a.pay(), b.request_payment(1_300, T0).unwrap(), TapConfig::payee_is_card(true), T0).unwrap();
    assert!(report.payer_complete, "{:?}", report.error());
    assert_eq!(b.balance().unwrap().spendable, 1_300);
    // The trust survives reopening the store.
    assert_eq!(a.with_store(|s| s.trust_store().unwrap().get(1).unwrap().not_after), T0);
}

#[test]
fn a_forged_rotation_in_an_answer_is_refused() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let w = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let attacker = signer();
    let update = IssuerUpdate {
        issuer_keys: vec![key(&attacker, 2, T0)],
        rotations: vec![rotation(&attacker, 1, T0, key(&attacker, 2, T0), None)],
        ..IssuerUpdate::default()
    };
    let refused = w.apply_issuer_update(&update, T0).unwrap();
    assert_eq!(
        refused,
        vec![
            Refused::Rotation {
                key_id: 2,
                error: RotationError::Signature(Rejection::Altered { object: ObjectKind::KeyRotation })
            },
            Refused::UntrustedKey { key_id: 2 },
        ]
    );
    assert_eq!(trusted_ids(&w).len(), 1);
    assert!(w.deposit_issued(&[note(&attacker, 2, &w, 300, 3)], T0).is_err());
}

#[test]
fn a_newer_policy_under_an_untrusted_key_is_refused_and_a_later_genuine_one_still_installs() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let w = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let attacker = signer();
    let absurd = policy(&attacker, 1, u64::MAX, 1);
    let refused = w.apply_issuer_update(&IssuerUpdate { policy: Some(absurd), ..IssuerUpdate::default() }, T0).unwrap();
    assert!(matches!(refused.as_slice(), [Refused::Policy { sequence: u64::MAX, error: Rejection::Altered { .. } }]));
    // Signed by the trusted key but dated outside its validity: refused too.
    let undated = Policy::sign(
        PolicyBody { issued_at: issuer.key.not_after + 1, ..policy(&issuer.signer, 1, 5, 1).body().clone() },
        &issuer.signer,
    )
    .unwrap();
    let refused =
        w.apply_issuer_update(&IssuerUpdate { policy: Some(undated), ..IssuerUpdate::default() }, T0).unwrap();
    assert!(matches!(refused.as_slice(), [Refused::Policy { sequence: 5, error: Rejection::Forged { .. } }]));
    assert_eq!(w.limits().unwrap().per_payment, 50_000);

    let genuine = policy(&issuer.signer, 1, 2, 40_000);
    assert_eq!(
        w.apply_issuer_update(&IssuerUpdate { policy: Some(genuine), ..IssuerUpdate::default() }, T0).unwrap(),
        vec![]
    );
    assert_eq!(w.with_store(|s| s.policy().unwrap().unwrap().body().sequence), 2);
    // An older genuine policy is refused as stale.
    let old = issuer.policy.clone();
    let refused = w.apply_issuer_update(&IssuerUpdate { policy: Some(old), ..IssuerUpdate::default() }, T0).unwrap();
    assert_eq!(refused, vec![Refused::StalePolicy { offered: 1, current: 2 }]);
}

#[test]
fn a_revocation_list_rollback_is_refused_and_never_installed() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let w = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let cheater = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    let list = |seq: u64, ids| RevocationList::sign(RevocationBody::new(1, seq, T0, ids), &issuer.signer).unwrap();
    let update = |l: RevocationList| IssuerUpdate { revocations: Some(l), ..IssuerUpdate::default() };
    assert_eq!(w.apply_issuer_update(&update(list(3, vec![cheater.id()])), T0).unwrap(), vec![]);
    // The older, empty list (a replayed answer from before the revocation).
    let refused = w.apply_issuer_update(&update(list(2, vec![])), T0).unwrap();
    assert_eq!(refused, vec![Refused::StaleRevocationList { offered: 2, current: 3 }]);
    let held = w.with_store(|s| s.revocation_list().unwrap().unwrap());
    assert_eq!(held.body().sequence, 3);
    assert!(held.body().contains(&cheater.id()));
    // A newer list under an untrusted key: refused as well.
    let forged = RevocationList::sign(RevocationBody::new(1, 9, T0, vec![]), &signer()).unwrap();
    let refused = w.apply_issuer_update(&update(forged), T0).unwrap();
    assert!(matches!(refused.as_slice(), [Refused::RevocationList { sequence: 9, .. }]));
    assert_eq!(w.with_store(|s| s.revocation_list().unwrap().unwrap().body().sequence), 3);
}

#[test]
fn the_store_never_replaces_a_trusted_key_when_merging() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let w = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let other = key(&signer(), 1, T0);
    let err = w.with_store(|s| s.merge_issuer_keys(&[other])).unwrap_err();
    assert!(matches!(err, offline_cash_core::store::StoreError::IssuerKeyConflict { key_id: 1 }), "{err}");
    // A longer validity for the same key is not taken either.
    let mut longer = issuer.key.clone();
    longer.not_after += DAY;
    w.with_store(|s| s.merge_issuer_keys(&[longer])).unwrap();
    assert_eq!(w.with_store(|s| s.trust_store().unwrap()).get(1), Some(&issuer.key));
}

// --- plain http -----------------------------------------------------------------------------

#[cfg(feature = "sync")]
#[test]
fn plain_http_is_refused_except_loopback_or_the_development_switch() {
    let s: Arc<dyn Signer> = Arc::new(signer());
    for url in ["http://issuer.example.com", "http://10.0.0.1:8080", "http://127.0.0.1.evil.example", "http://[::2]"] {
        let err = SyncClient::new(url, "c", s.clone()).unwrap_err();
        assert!(matches!(err, SyncError::InsecureUrl { .. }), "{url}: {err}");
        assert!(SyncClient::with_options(url, "c", s.clone(), ClientOptions { allow_insecure_http: true }).is_ok());
    }
    for url in [
        "https://issuer.example.com",
        "http://127.0.0.1:8080",
        "http://127.3.4.5",
        "http://[::1]:9",
        "http://LOCALHOST:1",
    ] {
        assert!(SyncClient::new(url, "c", s.clone()).is_ok(), "{url}");
    }
    assert!(matches!(SyncClient::new("ftp://x", "c", s.clone()).unwrap_err(), SyncError::Misuse { .. }));
    assert!(matches!(SyncClient::new("not a url", "c", s).unwrap_err(), SyncError::Misuse { .. }));
}

#[cfg(feature = "sync")]
#[test]
fn account_creation_follows_the_same_rule() {
    // `SyncClient::create_account` checks its URL with this before sending anything.
    assert!(matches!(check_url("http://issuer.example.com", false), Err(SyncError::InsecureUrl { .. })));
    assert!(check_url("http://127.0.0.1:1", false).is_ok());
}
