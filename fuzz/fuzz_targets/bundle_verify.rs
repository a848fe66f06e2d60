//! A bundle from outside (a payment's content, an uploaded record): `Bundle::from_bytes`,
//! `Bundle::chains` and `verify_bundle` with the fixture's trust, policy and certificates.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offline_cash_core::token::{Bundle, CertificateStore, NoRevocations, VerifyContext, verify_bundle};
use offline_cash_fuzz::{NOW, issuer, payee_key, payer_key};

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = Bundle::from_bytes(data) else { return };
    assert_eq!(bundle.to_bytes(), data, "a decoded bundle re-encodes to the same bytes");
    let _ = bundle.chains();
    let issuer = issuer().expect("fixture");
    let trust = issuer.trust();
    let mut known = CertificateStore::new();
    for key in [payer_key().expect("fixture"), payee_key().expect("fixture")] {
        let _ = known.insert(issuer.certify(&key).expect("fixture"), &trust);
    }
    let ctx = VerifyContext {
        trust: &trust,
        policy: issuer.policy.body(),
        revocations: &NoRevocations,
        known_certificates: &known,
        now: NOW,
        max_clock_skew: 300,
    };
    if let Ok(verified) = verify_bundle(&bundle, &ctx) {
        assert!(verified.total() > 0, "a verified bundle holds value");
    }
});
