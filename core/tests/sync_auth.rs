//! The canonical request digest and the wire encoding of a batch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::crypto::{Signer as _, SoftwareSigner, Suite, signing_message};
use offline_cash_core::sync::SyncBatch;
use offline_cash_core::sync::auth::{parse_hex, parse_signature, request_digest, sign_digest, to_hex};
use offline_cash_core::sync::wire::{RecordKind, SyncRequest};
use offline_cash_core::testkit::Fixture;
use offline_cash_core::token::{Bundle, Chain, WalletId};

#[test]
fn the_digest_covers_every_part_of_the_request() {
    let w = WalletId([1; 32]);
    let base = request_digest("POST", "/v1/sync", b"{}", 10, &[2; 16], &w);
    let variants = [
        request_digest("GET", "/v1/sync", b"{}", 10, &[2; 16], &w),
        request_digest("POST", "/v1/fund", b"{}", 10, &[2; 16], &w),
        request_digest("POST", "/v1/sync", b"{ }", 10, &[2; 16], &w),
        request_digest("POST", "/v1/sync", b"{}", 11, &[2; 16], &w),
        request_digest("POST", "/v1/sync", b"{}", 10, &[3; 16], &w),
        request_digest("POST", "/v1/sync", b"{}", 10, &[2; 16], &WalletId([9; 32])),
        // The separators keep method/path boundaries unambiguous.
        request_digest("POS", "T/v1/sync", b"{}", 10, &[2; 16], &w),
    ];
    for v in variants {
        assert_ne!(v, base);
    }
}

#[test]
fn request_signatures_verify_under_every_suite() {
    for suite in Suite::ALL {
        let signer = SoftwareSigner::generate(suite).unwrap();
        let digest = request_digest("POST", "/v1/sync", b"body", 1, &[0; 16], &WalletId([0; 32]));
        let header = sign_digest(&signer, &digest).unwrap();
        let sig = parse_signature(&header).unwrap();
        let key = signer.public_key();
        key.verify(&signing_message(suite, &digest), &sig).unwrap();
        let other = request_digest("POST", "/v1/sync", b"bodY", 1, &[0; 16], &WalletId([0; 32]));
        assert!(key.verify(&signing_message(suite, &other), &sig).is_err());
    }
    assert!(parse_signature("not base64!").is_none());
    assert!(parse_signature("").is_none());
}

#[test]
fn hex_is_strict() {
    assert_eq!(parse_hex::<2>("0aff"), Some([0x0a, 0xff]));
    for bad in ["0AFF", "+f0a", "0af", "0aff0", "zz00"] {
        assert_eq!(parse_hex::<2>(bad), None, "{bad}");
    }
    assert_eq!(to_hex(&[0, 255]), "00ff");
}

#[test]
fn a_batch_round_trips_through_json_with_canonical_bundles() {
    let fx = Fixture::new(Suite::EcdsaP256).unwrap();
    let note = fx.issuer.issue(WalletId([5; 32]), 100).unwrap();
    let bundle = Bundle::from_chains(&[Chain::genesis(note)], &[], &Default::default()).unwrap();
    let mut batch = SyncBatch::new(3, [7; 32]);
    batch.deposit.push(bundle.clone());
    batch.refresh.push(bundle.clone());
    let wire = batch.to_wire();
    let json = serde_json::to_string(&wire).unwrap();
    let back: SyncRequest = serde_json::from_str(&json).unwrap();
    assert_eq!(back, wire);
    assert_eq!(back.records.len(), 2);
    assert_eq!(back.records[0].kind, RecordKind::Deposit);
    assert_eq!(back.records[1].kind, RecordKind::Refresh);
    let bytes = offline_cash_core::sync::auth::from_b64(&back.records[0].bundle).unwrap();
    assert_eq!(Bundle::from_bytes(&bytes).unwrap(), bundle);
    assert_eq!(back.counter, 3);
    assert_eq!(back.log_head, to_hex(&[7; 32]));
}
