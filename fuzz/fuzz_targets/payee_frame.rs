//! A frame from an untrusted payer into the payee's protocol engine: `Frame::decode`, then
//! `ExpectPayment::handle_frame` and `IncomingPayment::verify` against the fixture's records.
//! First byte: bit 0 encrypted session. Then the frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offline_cash_core::protocol::Frame;
use offline_cash_core::protocol::payee::{PayeeChecks, RequestParams, request};
use offline_cash_core::testkit::eur;
use offline_cash_core::token::{CertificateStore, NoRevocations, VerifyContext};
use offline_cash_fuzz::{AMOUNT, NOW, issuer, payee_key, payer_key};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, frame)) = data.split_first() else { return };
    if let Ok(decoded) = Frame::decode(frame) {
        let _ = decoded.encode();
    }
    let issuer = issuer().expect("fixture");
    let payee_signer = payee_key().expect("fixture");
    let payee_cert = issuer.certify(&payee_signer).expect("fixture");
    let payer_cert = issuer.certify(&payer_key().expect("fixture")).expect("fixture");
    let trust = issuer.trust();
    let mut known = CertificateStore::new();
    let _ = known.insert(payee_cert.clone(), &trust);
    let _ = known.insert(payer_cert, &trust);
    let params = RequestParams {
        amount: AMOUNT,
        currency: eur(),
        nonce: [7; 16],
        now: NOW,
        expires_at: NOW + 600,
        can_receive: u64::MAX,
        known_certificates: Vec::new(),
        session_seed: (mode & 1 == 1).then_some([9; 32]),
        receipt_key: None,
    };
    let (state, _request) = request(payee_cert.clone(), params, &payee_signer).expect("fixture");
    let Ok(incoming) = state.handle_frame(frame) else { return };
    let _ = incoming.payment_hash();
    let checks = PayeeChecks {
        verify: VerifyContext {
            trust: &trust,
            policy: issuer.policy.body(),
            revocations: &NoRevocations,
            known_certificates: &known,
            now: NOW,
            max_clock_skew: 300,
        },
        payee_certificate: &payee_cert,
        open_request: &|nonce| (*nonce == [7; 16]).then_some(AMOUNT),
        spent_by: &|_| None,
        balance: 0,
    };
    let _ = incoming.verify(&checks);
});
