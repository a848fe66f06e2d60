//! Malformed, oversized, forged, stale and replayed requests: a 4xx with a typed JSON error
//! body, and nothing stored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, clippy::too_many_arguments)]

mod common;

use common::{audit, bundle, fund, start, start_with, wallet};
use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::sync::auth;
use offline_cash_core::sync::wire::ErrorBody;
use offline_cash_core::token::Chain;

struct Sent {
    status: u16,
    content_type: String,
    error: Option<ErrorBody>,
}

/// Sends `body` to `path` signed by `signer` as `wallet_hex`, with the given nonce/timestamp.
async fn send_signed(
    url: &str,
    path: &str,
    credential: &str,
    signer: &dyn Signer,
    signed_body: &[u8],
    sent_body: &[u8],
    nonce: [u8; 16],
    ts: u64,
) -> Sent {
    let wallet = offline_cash_core::token::wallet_id(&signer.public_key());
    let digest = auth::request_digest("POST", path, signed_body, ts, &nonce, &wallet);
    let sig = auth::sign_digest(signer, &digest).unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .bearer_auth(credential)
        .header("content-type", "application/json")
        .header(auth::HEADER_WALLET, auth::to_hex(&wallet.0))
        .header(auth::HEADER_TIMESTAMP, ts.to_string())
        .header(auth::HEADER_NONCE, auth::to_hex(&nonce))
        .header(auth::HEADER_SIGNATURE, sig)
        .body(sent_body.to_vec())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let content_type = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let error = resp.json::<ErrorBody>().await.ok();
    Sent { status, content_type, error }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn assert_refused(sent: &Sent, status: u16, code: &str) {
    assert_eq!(sent.status, status, "{:?}", sent.error);
    assert!(sent.content_type.starts_with("application/json"), "{}", sent.content_type);
    assert_eq!(sent.error.as_ref().map(|e| e.code.name()), Some(code));
}

fn sync_body(batch_byte: u8) -> Vec<u8> {
    format!(
        r#"{{"batch_id":"{}","records":[],"counter":1,"log_head":"{}","revocation_sequence":null}}"#,
        auth::to_hex(&[batch_byte; 16]),
        auth::to_hex(&[1; 32])
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_forged_stale_and_replayed_requests_are_refused() {
    let server = start().await;
    let url = server.url();
    let alice = wallet(&server, "alice", 1_000).await;
    let before = audit(&url).await;
    let signer = alice.signer.as_ref();

    // Malformed JSON, validly signed.
    let junk = b"{\"batch_id\": 12, ";
    let sent = send_signed(&url, "/v1/sync", &alice.credential, signer, junk, junk, [1; 16], now()).await;
    assert_refused(&sent, 400, "malformed");
    // Well-formed JSON, bad base64 bundle inside: the record is rejected, nothing credited.
    let fund = br#"{"request_id":"zz","amounts":[10]}"#;
    let sent = send_signed(&url, "/v1/fund", &alice.credential, signer, fund, fund, [2; 16], now()).await;
    assert_refused(&sent, 400, "malformed");

    // Forged: signed by another key claiming to be alice... (wallet header derives from the
    // signer, so forge by signing with mallory's key but sending alice's wallet id).
    let body = sync_body(3);
    let mallory = SoftwareSigner::generate(Suite::EcdsaP256).unwrap();
    let digest = auth::request_digest("POST", "/v1/sync", &body, now(), &[3; 16], &alice.id());
    let forged_sig = auth::sign_digest(&mallory, &digest).unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/sync"))
        .bearer_auth(&alice.credential)
        .header(auth::HEADER_WALLET, auth::to_hex(&alice.id().0))
        .header(auth::HEADER_TIMESTAMP, now().to_string())
        .header(auth::HEADER_NONCE, auth::to_hex(&[3; 16]))
        .header(auth::HEADER_SIGNATURE, forged_sig)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(resp.json::<ErrorBody>().await.unwrap().code.name(), "bad_signature");

    // Altered in flight: signed over one body, another sent.
    let other = sync_body(4);
    let sent = send_signed(&url, "/v1/sync", &alice.credential, signer, &body, &other, [4; 16], now()).await;
    assert_refused(&sent, 401, "bad_signature");

    // Wrong credential.
    let sent = send_signed(&url, "/v1/sync", "not-a-credential", signer, &body, &body, [5; 16], now()).await;
    assert_refused(&sent, 401, "unauthorized");

    // Stale timestamp.
    let sent = send_signed(&url, "/v1/sync", &alice.credential, signer, &body, &body, [6; 16], now() - 3_600).await;
    assert_refused(&sent, 401, "stale_timestamp");

    // Nothing was stored by any of these: the audit is unchanged and batch 3 is still new.
    assert_eq!(audit(&url).await, before);

    // A valid request goes through once; replaying it byte for byte is refused.
    let ts = now();
    let sent = send_signed(&url, "/v1/sync", &alice.credential, signer, &body, &body, [7; 16], ts).await;
    assert_eq!(sent.status, 200);
    let sent = send_signed(&url, "/v1/sync", &alice.credential, signer, &body, &body, [7; 16], ts).await;
    assert_refused(&sent, 401, "replayed_nonce");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_is_refused_with_413() {
    let server = start_with(16 * 1024).await;
    let url = server.url();
    let alice = wallet(&server, "alice", 1_000).await;
    let before = audit(&url).await;
    let big = format!(
        r#"{{"batch_id":"{}","records":[{{"kind":"deposit","bundle":"{}"}}],"counter":1,"log_head":"{}","revocation_sequence":null}}"#,
        auth::to_hex(&[1; 16]),
        "A".repeat(64 * 1024),
        auth::to_hex(&[1; 32])
    );
    let sent = send_signed(
        &url,
        "/v1/sync",
        &alice.credential,
        alice.signer.as_ref(),
        big.as_bytes(),
        big.as_bytes(),
        [1; 16],
        now(),
    )
    .await;
    assert_refused(&sent, 413, "too_large");
    assert_eq!(audit(&url).await, before);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_bundle_is_a_rejected_record_not_a_credit() {
    let server = start().await;
    let alice = wallet(&server, "alice", 1_000).await;
    let notes = common::fund(&alice, &[100]).await;
    let mut bytes = common::bundle(&[offline_cash_core::token::Chain::genesis(notes[0].clone())], &[]).to_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 1; // flip a signature bit
    let body = format!(
        r#"{{"batch_id":"{}","records":[{{"kind":"deposit","bundle":"{}"}}],"counter":0,"log_head":"{}","revocation_sequence":null}}"#,
        auth::to_hex(&[9; 16]),
        auth::b64(&bytes),
        auth::to_hex(&[0; 32])
    );
    let resp = send_signed(
        &server.url(),
        "/v1/sync",
        &alice.credential,
        alice.signer.as_ref(),
        body.as_bytes(),
        body.as_bytes(),
        [8; 16],
        now(),
    )
    .await;
    assert_eq!(resp.status, 200);
    let a = audit(&server.url()).await;
    assert_eq!(a.deposited, 0);
    assert_eq!(a.held_offline, 100);
    server.shutdown().await.unwrap();
}

/// `payer` is funded a note of 100 and pays it whole to `payee`: the body of `payee`'s sync
/// depositing it, as batch `batch_byte`.
async fn deposit_body(payer: &common::Wallet, payee: &common::Wallet, batch_byte: u8) -> Vec<u8> {
    let notes = fund(payer, &[100]).await;
    let (chain, _) = payer.pay(&Chain::genesis(notes[0].clone()), 100, payee.id(), 100);
    let mut batch = payee.batch();
    batch.batch_id = [batch_byte; 16];
    batch.deposit.push(bundle(std::slice::from_ref(&chain), &[payer]));
    serde_json::to_vec(&batch.to_wire()).unwrap()
}

/// One signed sync sent twice at the same moment (same nonce): the batch is authenticated
/// from a read snapshot and its nonce stored by its own transaction, so both may pass the
/// first check; exactly one is answered and the deposit is credited once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sync_sent_twice_at_once_settles_once() {
    let server = start().await;
    let url = server.url();
    let alice = wallet(&server, "alice", 10_000).await;
    let bob = wallet(&server, "bob", 0).await;
    for round in 0..8u8 {
        let body = deposit_body(&alice, &bob, round).await;
        let (ts, nonce) = (now(), [round + 1; 16]);
        let signer = bob.signer.as_ref();
        let (a, b) = tokio::join!(
            send_signed(&url, "/v1/sync", &bob.credential, signer, &body, &body, nonce, ts),
            send_signed(&url, "/v1/sync", &bob.credential, signer, &body, &body, nonce, ts),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 401], "round {round}: {:?} {:?}", a.error, b.error);
        let refused = if a.status == 401 { &a } else { &b };
        assert_refused(refused, 401, "replayed_nonce");
        let after = audit(&url).await;
        assert_eq!(after.deposited, 100 * u64::from(round + 1), "round {round}: credited once");
        assert!(after.balanced);
    }
    server.shutdown().await.unwrap();
}

/// A batch answered before and sent again under a new nonce gets the stored answer without
/// being verified again; that request's nonce is stored all the same, so replaying it is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_answered_from_the_stored_answer_spends_its_nonce() {
    let server = start().await;
    let url = server.url();
    let alice = wallet(&server, "alice", 10_000).await;
    let bob = wallet(&server, "bob", 0).await;
    let body = deposit_body(&alice, &bob, 1).await;
    let signer = bob.signer.as_ref();
    let ts = now();
    assert_eq!(send_signed(&url, "/v1/sync", &bob.credential, signer, &body, &body, [1; 16], ts).await.status, 200);
    let resent = send_signed(&url, "/v1/sync", &bob.credential, signer, &body, &body, [2; 16], ts).await;
    assert_eq!(resent.status, 200, "{:?}", resent.error);
    let replayed = send_signed(&url, "/v1/sync", &bob.credential, signer, &body, &body, [2; 16], ts).await;
    assert_refused(&replayed, 401, "replayed_nonce");
    assert_eq!(audit(&url).await.deposited, 100);
    server.shutdown().await.unwrap();
}
