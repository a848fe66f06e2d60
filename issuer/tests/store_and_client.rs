//! The SQLite file's life cycle (created once, reopened with the same keys, refused when
//! newer than the code) and the client's retry rules (5xx and network: retried; 4xx: not).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::sync::{RetryPolicy, SyncClient, SyncError};
use offline_cash_issuer::{Issuer, IssuerConfig, IssuerError, db, system_clock};

#[test]
fn database_is_created_once_reopened_and_refused_when_newer() {
    let path = common::temp_db();
    let first = Issuer::open(IssuerConfig::new(&path, "a"), system_clock()).unwrap();
    let keys = first.issuer_keys();
    let policy = first.policy().to_bytes();
    drop(first);
    let again = Issuer::open(IssuerConfig::new(&path, "a"), system_clock()).unwrap();
    assert_eq!(again.issuer_keys(), keys, "the issuer key survives a restart");
    assert_eq!(again.policy().body().sequence, 1);
    // Kept, not signed again: a randomized signature would make a second encoding of it.
    assert_eq!(again.policy().to_bytes(), policy, "the same policy bytes after a restart");
    drop(again);
    // Changing the limits bumps the policy sequence.
    let mut changed = IssuerConfig::new(&path, "a");
    changed.per_payment_limit = 1_234;
    assert_eq!(Issuer::open(changed, system_clock()).unwrap().policy().body().sequence, 2);

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", db::CURRENT_VERSION + 1).unwrap();
    drop(conn);
    let err = Issuer::open(IssuerConfig::new(&path, "a"), system_clock()).unwrap_err();
    assert!(matches!(err, IssuerError::SchemaTooNew { .. }), "{err}");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, db::CURRENT_VERSION + 1, "a newer file is left untouched");
}

async fn flaky_server(failures: u32, status: StatusCode) -> (String, Arc<AtomicU32>) {
    let hits = Arc::new(AtomicU32::new(0));
    let h = hits.clone();
    let app = axum::Router::new().route(
        "/v1/issuer-keys",
        axum::routing::get(move || {
            let h = h.clone();
            async move {
                let n = h.fetch_add(1, Ordering::SeqCst);
                if n < failures {
                    (status, axum::Json(serde_json::json!({"code": "boom", "message": "try later"})))
                } else {
                    (StatusCode::OK, axum::Json(serde_json::json!({"keys": [], "policy": "AA=="})))
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), hits)
}

fn client(url: &str) -> SyncClient {
    let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    SyncClient::new(url, "cred", signer).unwrap().with_retry(RetryPolicy {
        attempts: 4,
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    })
}

#[tokio::test]
async fn server_errors_are_retried_client_errors_are_not() {
    let (url, hits) = flaky_server(2, StatusCode::SERVICE_UNAVAILABLE).await;
    // Two 503s then an answer (whose policy bytes are invalid: a typed InvalidResponse).
    let err = client(&url).issuer_keys().await.unwrap_err();
    assert!(matches!(err, SyncError::InvalidResponse { .. }), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 3, "retried twice after 5xx");

    let (url, hits) = flaky_server(10, StatusCode::BAD_REQUEST).await;
    let err = client(&url).issuer_keys().await.unwrap_err();
    // A code this version does not know is still a typed refusal (Unknown), never a failure to
    // read the answer.
    assert!(
        matches!(err, SyncError::Refused { status: 400, reason: offline_cash_core::reason::Reason::Unknown, .. }),
        "{err}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1, "4xx is not retried");

    let (url, hits) = flaky_server(10, StatusCode::INTERNAL_SERVER_ERROR).await;
    let err = client(&url).issuer_keys().await.unwrap_err();
    assert!(matches!(err, SyncError::Server { status: 500, attempts: 4, .. }), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 4);

    // Nothing listening: a network error after the attempts.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    assert!(matches!(client(&url).issuer_keys().await.unwrap_err(), SyncError::Network { .. }));
}
