//! Per-wallet rate limiting: a wallet that spends its budget gets 429 with Retry-After and a
//! typed, retryable error; other wallets are unaffected; a forger naming a victim's wallet
//! cannot spend the victim's budget; the bucket refills; the table of buckets stays bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::sync::{RetryPolicy, SyncBatch, SyncClient, SyncError, auth, wire};
use offline_cash_core::token::{WalletId, wallet_id};
use offline_cash_core::wallet::WalletError;
use offline_cash_issuer::http::RunningServer;
use offline_cash_issuer::rate_limit::MAX_TRACKED;
use offline_cash_issuer::{RateLimit, RateLimiter, Server, ServerConfig};

fn wallet(n: u8) -> WalletId {
    WalletId([n; 32])
}

#[test]
fn a_bucket_allows_its_burst_then_refuses_with_the_time_to_the_next_token() {
    let limiter = RateLimiter::new(RateLimit { per_second: 2, burst: 3 });
    let t0 = Instant::now();
    for i in 0..3 {
        assert_eq!(limiter.admit(&wallet(1), t0), Ok(()), "request {i} is within the burst");
    }
    let wait = limiter.admit(&wallet(1), t0).unwrap_err();
    assert_eq!(wait, Duration::from_millis(500), "one token every 1/2 s");
    // Another wallet has its own bucket.
    assert_eq!(limiter.admit(&wallet(2), t0), Ok(()));
    // Half a second later exactly one more request passes.
    let t1 = t0 + Duration::from_millis(500);
    assert_eq!(limiter.admit(&wallet(1), t1), Ok(()));
    assert!(limiter.admit(&wallet(1), t1).is_err());
    // After a long quiet period the bucket is full again, but never fuller than the burst.
    let t2 = t1 + Duration::from_secs(3_600);
    for _ in 0..3 {
        assert_eq!(limiter.admit(&wallet(1), t2), Ok(()));
    }
    assert!(limiter.admit(&wallet(1), t2).is_err());
}

#[test]
fn refused_requests_do_not_push_the_next_token_further_away() {
    let limiter = RateLimiter::new(RateLimit { per_second: 1, burst: 1 });
    let t0 = Instant::now();
    limiter.admit(&wallet(1), t0).unwrap();
    for ms in [100, 200, 300, 900] {
        assert!(limiter.admit(&wallet(1), t0 + Duration::from_millis(ms)).is_err());
    }
    assert_eq!(
        limiter.admit(&wallet(1), t0 + Duration::from_secs(1)),
        Ok(()),
        "a token a second, however often refused"
    );
}

#[test]
fn the_table_of_buckets_is_bounded_and_forgets_idle_wallets_first() {
    let limiter = RateLimiter::new(RateLimit { per_second: 1, burst: 2 });
    let t0 = Instant::now();
    let id = |i: usize| {
        let mut w = [0u8; 32];
        w[..8].copy_from_slice(&(i as u64).to_be_bytes());
        WalletId(w)
    };
    for i in 0..MAX_TRACKED {
        limiter.admit(&id(i), t0).unwrap();
    }
    assert_eq!(limiter.tracked(), MAX_TRACKED);
    // Full table, every bucket still partly spent: a newcomer is refused, the table does not grow.
    assert!(limiter.admit(&id(MAX_TRACKED), t0).is_err());
    assert_eq!(limiter.tracked(), MAX_TRACKED);
    // Two seconds later every bucket has refilled (idle): they are forgotten to make room.
    let later = t0 + Duration::from_secs(2);
    assert_eq!(limiter.admit(&id(MAX_TRACKED), later), Ok(()));
    assert_eq!(limiter.tracked(), 1);
}

async fn start(limit: RateLimit) -> RunningServer {
    let mut issuer = common::backend::config(common::ADMIN);
    issuer.rate_limit = Some(limit);
    let config = ServerConfig { issuer, listen: "127.0.0.1:0".parse().unwrap(), max_body_bytes: 1 << 20 };
    Server::bind(config).await.unwrap().spawn()
}

/// A registered wallet whose client makes one attempt per call (no retry on 429), its key
/// and its account credential.
async fn one_shot_client(server: &RunningServer, name: &str) -> (SyncClient, Arc<SoftwareSigner>, String) {
    let account = SyncClient::create_account(&server.url(), common::ADMIN, name, 1_000).await.unwrap();
    let signer = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    let dyn_signer: Arc<dyn Signer> = signer.clone();
    let retry = RetryPolicy { attempts: 1, initial_delay: Duration::ZERO, max_delay: Duration::ZERO };
    let client = SyncClient::new(&server.url(), &account.credential, dyn_signer).unwrap().with_retry(retry);
    client.register().await.unwrap();
    (client, signer, account.credential)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_over_its_budget_gets_429_with_retry_after_and_a_retryable_typed_error() {
    // One request a second, 4 at once: register took one.
    let server = start(RateLimit { per_second: 1, burst: 4 }).await;
    let (alice, _, _) = one_shot_client(&server, "alice").await;
    let (bob, _, _) = one_shot_client(&server, "bob").await;
    let batch = SyncBatch::new(0, [0; 32]);
    for i in 0..3 {
        alice.sync_batch(&batch).await.unwrap_or_else(|e| panic!("request {i} within the budget: {e}"));
    }
    let err = alice.sync_batch(&batch).await.unwrap_err();
    assert!(matches!(err, SyncError::RateLimited { retry_after_secs: 1 }), "{err:?}");
    assert!(err.is_transient(), "an app retries later");
    let wallet_err: WalletError = err.into();
    assert!(matches!(wallet_err, WalletError::Network { retryable: true, .. }), "{wallet_err:?}");
    // Bob's budget is his own.
    bob.sync_batch(&batch).await.unwrap();
    // The wire: 429, Retry-After, the typed body; counted in the metrics.
    assert_eq!(server.issuer.metrics().rate_limited_requests(), 1);
    let metrics =
        reqwest::get(format!("{}{}", server.url(), wire::paths::METRICS)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("oc_rate_limited_requests_total 1"), "{metrics}");
    // After a second, the next request passes again.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    alice.sync_batch(&batch).await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_raw_answer_is_429_with_retry_after_and_forgers_cannot_spend_a_victims_budget() {
    // Two requests at once, one a second: registering spent one.
    let server = start(RateLimit { per_second: 1, burst: 2 }).await;
    let (_, victim, credential) = one_shot_client(&server, "victim").await;
    let victim_id = wallet_id(&victim.public_key());
    let body = serde_json::to_vec(&SyncBatch::new(0, [0; 32]).to_wire()).unwrap();
    // A forger who knows the victim's wallet id and even its credential, but not its key:
    // refused as unauthenticated, however often, and the victim's budget is untouched.
    let forger = SoftwareSigner::generate(Suite::EcdsaP256).unwrap();
    for _ in 0..5 {
        let resp = signed_post(&server, &body, &forger, &victim_id, &credential).await;
        assert_eq!(resp.status().as_u16(), 401);
    }
    let resp = signed_post(&server, &body, victim.as_ref(), &victim_id, &credential).await;
    assert_eq!(resp.status().as_u16(), 200, "the victim's last token was still there");
    let resp = signed_post(&server, &body, victim.as_ref(), &victim_id, &credential).await;
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers().get("retry-after").unwrap().to_str().unwrap(), "1");
    let err: wire::ErrorBody = resp.json().await.unwrap();
    assert_eq!(err.code.name(), "rate_limited");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_client_waits_out_a_short_throttle_by_itself() {
    // The default retry policy sleeps Retry-After (capped by its max delay) and succeeds.
    let server = start(RateLimit { per_second: 1, burst: 2 }).await;
    let account = SyncClient::create_account(&server.url(), common::ADMIN, "patient", 0).await.unwrap();
    let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    let client = SyncClient::new(&server.url(), &account.credential, signer).unwrap();
    client.register().await.unwrap();
    let batch = SyncBatch::new(0, [0; 32]);
    for i in 0..3 {
        client.sync_batch(&batch).await.unwrap_or_else(|e| panic!("sync {i}: {e}"));
    }
    assert!(server.issuer.metrics().rate_limited_requests() >= 1, "the third sync was throttled once");
    server.shutdown().await.unwrap();
}

async fn signed_post(
    server: &RunningServer,
    body: &[u8],
    signer: &dyn Signer,
    wallet: &WalletId,
    credential: &str,
) -> reqwest::Response {
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let nonce = next_nonce();
    let digest = auth::request_digest("POST", wire::paths::SYNC, body, ts, &nonce, wallet);
    let signature = auth::sign_digest(signer, &digest).unwrap();
    reqwest::Client::new()
        .post(format!("{}{}", server.url(), wire::paths::SYNC))
        .bearer_auth(credential)
        .header("content-type", "application/json")
        .header(auth::HEADER_WALLET, hex(&wallet.0))
        .header(auth::HEADER_TIMESTAMP, ts.to_string())
        .header(auth::HEADER_NONCE, hex(&nonce))
        .header(auth::HEADER_SIGNATURE, signature)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

fn next_nonce() -> [u8; 16] {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let mut nonce = [0u8; 16];
    nonce[8..].copy_from_slice(&NEXT.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    nonce
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
