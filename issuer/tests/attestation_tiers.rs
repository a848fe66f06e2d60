//! The real verifier behind registration (`attestation::PinnedVerifier`): real Pixel chains
//! earn the tier their level proves, at explicit instants inside their validity; a platform
//! without an allow-listed app, or another app, earns nothing.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod attestation_builder;

use attestation_builder::pem_chain;
use base64::Engine;
use offline_cash_core::reason::Reason;
use offline_cash_core::sync::AttestationEvidence;
use offline_cash_core::token::Tier;
use offline_cash_issuer::attestation::x509::Certificate;
use offline_cash_issuer::attestation::{AllowedApps, PinnedVerifier, StatusList};
use offline_cash_issuer::tier_attestation::AttestationVerifier;

const COM_GOOGLE: &str = "com.google.android.attestation";

fn verifier(packages: &[&str], apple: &[&str]) -> PinnedVerifier {
    let apps = AllowedApps {
        android_packages: packages.iter().map(|p| (*p).to_owned()).collect(),
        android_signing_digests: Vec::new(),
        apple_app_ids: apple.iter().map(|p| (*p).to_owned()).collect(),
    };
    PinnedVerifier::pinned(StatusList::empty(), apps).unwrap()
}

/// (file, challenge, an instant inside the chain, package, the tier it earns)
const CHAINS: &[(&str, &str, u64, &str, Tier)] = &[
    (
        "tegu_sdk36_SB_EC_2026_ROOT.pem",
        "OTA1NzhlMWQtZjViZi00Y2NmLWEyN2YtYTRmNGQ4OWVlMjFm",
        1_771_977_600,
        COM_GOOGLE,
        Tier::StrongBox,
    ),
    (
        "tegu_sdk36_TEE_EC_2026_ROOT.pem",
        "NjQxN2Y5MmMtZGFlZi00Y2MxLTg4MjgtNWJiMzkzMzhmZmQ1",
        1_771_977_600,
        COM_GOOGLE,
        Tier::Tee,
    ),
    (
        "caiman_sdk36_SB_EC_RKP.pem",
        "N2NjYWMxZWEtNDg0NS00ODJlLTg1OGQtZjZmYTlhYThjMjk1",
        1_759_017_600,
        COM_GOOGLE,
        Tier::StrongBox,
    ),
    (
        "akita_sdk34_TEE_EC_NONE.pem",
        "Y2hhbGxlbmdl",
        1_726_790_400,
        "com.google.wireless.android.security.attestationverifier.collector",
        Tier::Software,
    ),
];

fn case(i: usize) -> (AttestationEvidence, Vec<u8>, Vec<u8>, u64, &'static str, Tier) {
    let (file, challenge, now, package, tier) = CHAINS[i];
    let chain = pem_chain(file);
    let key = Certificate::parse(&chain[0]).unwrap().public_key.to_vec();
    let challenge = base64::engine::general_purpose::STANDARD.decode(challenge).unwrap();
    (AttestationEvidence::Android { chain }, challenge, key, now, package, tier)
}

#[test]
fn real_chains_earn_the_tier_their_level_proves_an_unlocked_phone_earns_software() {
    for (i, (file, ..)) in CHAINS.iter().enumerate() {
        let (evidence, challenge, key, now, package, tier) = case(i);
        assert_eq!(verifier(&[package], &[]).verify(&evidence, &challenge, &key, now), Ok(tier), "{file}");
    }
}

#[test]
fn without_an_allowed_app_or_for_another_app_evidence_earns_nothing() {
    let (evidence, challenge, key, now, _, _) = case(0);
    assert_eq!(
        verifier(&[], &["TEAM.org.offlinecash"]).verify(&evidence, &challenge, &key, now),
        Err(Reason::AttestationApplication)
    );
    assert_eq!(
        verifier(&["org.offlinecash.wallet"], &[]).verify(&evidence, &challenge, &key, now),
        Err(Reason::AttestationApplication)
    );
    let apple = AttestationEvidence::AppAttest { attestation_object: vec![0xa0], key_id: vec![0; 32] };
    assert_eq!(verifier(&[COM_GOOGLE], &[]).verify(&apple, &challenge, &key, now), Err(Reason::AttestationApplication));
}

#[test]
fn another_challenge_or_key_earns_nothing() {
    let (evidence, challenge, key, now, package, _) = case(0);
    let v = verifier(&[package], &[]);
    assert_eq!(v.verify(&evidence, b"another registration's challenge", &key, now), Err(Reason::AttestationReplayed));
    let mut other = key.clone();
    let last = other.len() - 1;
    other[last] ^= 1;
    assert!(v.verify(&evidence, &challenge, &other, now).is_err());
    assert_eq!(v.verify(&evidence, &challenge, &key, now + 10 * 365 * 86_400), Err(Reason::AttestationValidity));
}
