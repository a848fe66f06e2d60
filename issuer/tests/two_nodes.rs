//! Two issuer nodes over one database (SQLite file, or PostgreSQL with OC_TEST_BACKEND=postgres)
//! and one key file give the answers one node gives: conflicting links sent to both at the same
//! moment settle as exactly one `accepted` and one `double_spend`, a batch resent to the other
//! node gets the first answer, a nonce used on one node is refused on the other, and both sign
//! with the key file's key, which the database never holds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;

use common::{ADMIN, bundle, fund, wallet};
use offline_cash_core::crypto::{Signer, SoftwareSigner};
use offline_cash_core::sync::{RecordStatus, SyncClient, auth};
use offline_cash_core::token::{Bundle, Chain};
use offline_cash_issuer::http::RunningServer;
use offline_cash_issuer::key_file::KeyFile;
use offline_cash_issuer::{IssuerConfig, Server, ServerConfig};

/// Two nodes over one fresh database, sharing one fresh key file.
async fn two_nodes() -> (RunningServer, RunningServer, IssuerConfig) {
    let mut config = common::backend::config(ADMIN);
    let key_file = config.db_path.with_file_name("issuer.keys");
    KeyFile::create(&key_file).unwrap();
    config.key_file = Some(key_file);
    config.rate_limit = None;
    let node = |config: IssuerConfig| async move {
        let server = ServerConfig { issuer: config, listen: "127.0.0.1:0".parse().unwrap(), max_body_bytes: 8 << 20 };
        Server::bind(server).await.unwrap().spawn()
    };
    let a = node(config.clone()).await;
    let b = node(config.clone()).await;
    (a, b, config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicting_links_sent_to_two_nodes_at_once_settle_once_and_once_as_a_double_spend() {
    let (a, b, _) = two_nodes().await;
    for round in 0..4 {
        let mallory = wallet(&a, &format!("mallory{round}"), 1_000).await;
        let bob = wallet(&a, &format!("bob{round}"), 0).await;
        let carol = wallet(&b, &format!("carol{round}"), 0).await;
        let genesis = Chain::genesis(fund(&mallory, &[500]).await[0].clone());
        let (to_bob, _) = mallory.pay(&genesis, 500, bob.id(), 500);
        let (to_carol, _) = mallory.pay(&genesis, 500, carol.id(), 500);
        let mut sb = bob.batch();
        sb.deposit.push(bundle(&[to_bob], &[&mallory]));
        let mut sc = carol.batch();
        sc.deposit.push(bundle(&[to_carol], &[&mallory]));
        // Bob's client talks to node A, Carol's to node B, at the same moment.
        let (ob, oc) = tokio::join!(bob.client.sync_batch(&sb), carol.client.sync_batch(&sc));
        let mut statuses = [ob.unwrap().results[0].status, oc.unwrap().results[0].status];
        statuses.sort_by_key(|s| format!("{s:?}"));
        assert_eq!(statuses, [RecordStatus::Accepted, RecordStatus::DoubleSpend], "round {round}");
    }
    for node in [&a, &b] {
        let proofs = node.issuer.double_spend_proofs().unwrap();
        assert_eq!(proofs.len(), 4, "one proof per double spend, seen by both nodes");
        let audit = node.issuer.audit().unwrap();
        assert!(audit.balanced && audit.accounts_balanced, "{audit:?}");
    }
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_sent_to_one_node_and_resent_to_the_other_gets_the_same_answer() {
    let (a, b, _) = two_nodes().await;
    let alice = wallet(&a, "alice", 1_000).await;
    let bob = wallet(&a, "bob", 0).await;
    let genesis = Chain::genesis(fund(&alice, &[300]).await[0].clone());
    let (to_bob, _) = alice.pay(&genesis, 300, bob.id(), 120);
    let mut batch = bob.batch();
    batch.deposit.push(bundle(&[to_bob], &[&alice]));
    let first = bob.client.sync_batch(&batch).await.unwrap();
    let signer: Arc<dyn Signer> = bob.signer.clone();
    let on_b = SyncClient::new(&b.url(), &bob.credential, signer).unwrap();
    let again = on_b.sync_batch(&batch).await.unwrap();
    assert_eq!((first.results[0].status, first.results[0].credited), (RecordStatus::Accepted, 120));
    assert_eq!(again.results[0].status, first.results[0].status);
    assert_eq!(again.results[0].credited, first.results[0].credited);
    assert_eq!(again.balance, 120, "credited once, by whichever node answered first");
    assert_eq!(a.issuer.audit().unwrap(), b.issuer.audit().unwrap());
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_from_a_wallet_registered_on_the_other_node_settles_without_its_certificate() {
    let (a, b, _) = two_nodes().await;
    // Both nodes run before Alice registers on A: B has not loaded her certificate.
    let alice = wallet(&a, "alice", 1_000).await;
    let bob = wallet(&b, "bob", 0).await;
    let genesis = Chain::genesis(fund(&alice, &[400]).await[0].clone());
    let (to_bob, _) = alice.pay(&genesis, 400, bob.id(), 150);
    let mut batch = bob.batch();
    // As a wallet uploads it: the payer's certificate is the issuer's to know, not carried.
    let omit = [alice.id()].into_iter().collect();
    batch.deposit.push(Bundle::from_chains(&[to_bob], &[], &omit).unwrap());
    let out = bob.client.sync_batch(&batch).await.unwrap();
    assert_eq!((out.results[0].status, out.results[0].credited), (RecordStatus::Accepted, 150), "{out:?}");
    assert_eq!(out.balance, 150);
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

/// A refusal for an unknown certificate names one signer: a chain through two wallets the
/// node has not met needs both read (decision 0026; a node reads no certificate at start).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_through_two_wallets_registered_on_the_other_node_settles() {
    let (a, b, _) = two_nodes().await;
    let alice = wallet(&a, "alice", 1_000).await;
    let bob = wallet(&a, "bob", 0).await;
    let carol = wallet(&b, "carol", 0).await;
    let genesis = Chain::genesis(fund(&alice, &[400]).await[0].clone());
    let (to_bob, _) = alice.pay(&genesis, 400, bob.id(), 150);
    let (to_carol, _) = bob.pay(&to_bob, 150, carol.id(), 100);
    let mut batch = carol.batch();
    let omit = [alice.id(), bob.id()].into_iter().collect();
    batch.deposit.push(Bundle::from_chains(&[to_carol], &[], &omit).unwrap());
    let out = carol.client.sync_batch(&batch).await.unwrap();
    assert_eq!((out.results[0].status, out.results[0].credited), (RecordStatus::Accepted, 100), "{out:?}");
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nonce_used_on_one_node_is_refused_on_the_other() {
    let (a, b, _) = two_nodes().await;
    let alice = wallet(&a, "alice", 0).await;
    let body = format!(
        r#"{{"batch_id":"{}","records":[],"counter":0,"log_head":"{}","revocation_sequence":null}}"#,
        auth::to_hex(&[3; 16]),
        auth::to_hex(&[0; 32])
    );
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let nonce = [9u8; 16];
    let digest = auth::request_digest("POST", "/v1/sync", body.as_bytes(), ts, &nonce, &alice.id());
    let signature = auth::sign_digest(alice.signer.as_ref(), &digest).unwrap();
    let wallet_hex = auth::to_hex(&alice.id().0);
    let send = |url: String| {
        let (body, signature, credential) = (body.clone(), signature.clone(), alice.credential.clone());
        let wallet_hex = wallet_hex.clone();
        async move {
            let resp = reqwest::Client::new()
                .post(format!("{url}/v1/sync"))
                .bearer_auth(credential)
                .header("content-type", "application/json")
                .header(auth::HEADER_WALLET, wallet_hex)
                .header(auth::HEADER_TIMESTAMP, ts.to_string())
                .header(auth::HEADER_NONCE, auth::to_hex(&nonce))
                .header(auth::HEADER_SIGNATURE, signature)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<serde_json::Value>().await.unwrap())
        }
    };
    assert_eq!(send(a.url()).await.0, 200);
    let (status, error) = send(b.url()).await;
    assert_eq!(status, 401, "{error}");
    assert_eq!(error["code"], "replayed_nonce", "{error}");
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_nodes_sign_with_the_key_files_key_and_the_database_holds_none() {
    let (a, b, config) = two_nodes().await;
    let file = KeyFile::open(config.key_file.as_ref().unwrap()).unwrap();
    let key = SoftwareSigner::p256_from_scalar(file.get(1).unwrap()).unwrap().public_key();
    assert_eq!(a.issuer.signing_key().public_key, key);
    assert_eq!(b.issuer.signing_key().public_key, key);
    assert_eq!(a.issuer.policy().to_bytes(), b.issuer.policy().to_bytes(), "one policy, signed once");
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    if config.database_url.is_none() {
        let conn = rusqlite::Connection::open(&config.db_path).unwrap();
        let scalars: i64 =
            conn.query_row("SELECT COUNT(*) FROM meta WHERE key = 'issuer_p256_scalar'", [], |r| r.get(0)).unwrap();
        assert_eq!(scalars, 0, "no signing key in the database");
    }
    // A database whose key 1 is another key is refused, not served under two identities.
    let other = config.db_path.with_file_name("other.keys");
    KeyFile::create(&other).unwrap();
    let mut wrong = config.clone();
    wrong.key_file = Some(other);
    let wrong = ServerConfig { issuer: wrong, listen: "127.0.0.1:0".parse().unwrap(), max_body_bytes: 1 << 20 };
    let Err(err) = Server::bind(wrong).await else { panic!("another key file is refused") };
    assert!(err.to_string().contains("another issuer key 1"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotated_into_the_key_file_signs_on_every_node_after_restart() {
    let (a, b, config) = two_nodes().await;
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    let path = config.key_file.clone().unwrap();
    let (db, url) = (config.db_path.clone(), config.database_url.clone());
    let times = offline_cash_issuer::keys::RotationTimes { activate_after_secs: 0, retire_after_secs: 3600 };
    let now = offline_cash_issuer::system_clock()();
    // Off the async thread: a PostgreSQL client blocks.
    let new_key = std::thread::spawn(move || {
        let store = offline_cash_issuer::store::Backend::open(&db, url.as_deref()).unwrap();
        let mut file = KeyFile::open(&path).unwrap();
        offline_cash_issuer::keys::rotate_key_with_file(&store, &mut file, now, times).unwrap()
    })
    .join()
    .unwrap();
    assert_eq!(new_key.key_id, 2);
    let file = KeyFile::open(config.key_file.as_ref().unwrap()).unwrap();
    assert!(file.get(2).is_some(), "the new key went to the file");
    for _ in 0..2 {
        let server =
            ServerConfig { issuer: config.clone(), listen: "127.0.0.1:0".parse().unwrap(), max_body_bytes: 1 << 20 };
        let node = Server::bind(server).await.unwrap().spawn();
        assert_eq!(node.issuer.signing_key().key_id, 2);
        assert_eq!(node.issuer.key_rotations().len(), 1);
        node.shutdown().await.unwrap();
    }
    if config.database_url.is_none() {
        let conn = rusqlite::Connection::open(&config.db_path).unwrap();
        let scalar: Vec<u8> = conn.query_row("SELECT scalar FROM issuer_key_rotations", [], |r| r.get(0)).unwrap();
        assert!(scalar.is_empty(), "the database keeps the rotation, not the key");
    }
}

/// On PostgreSQL a wallet's request budget is one budget across the nodes (kept in the
/// database); on SQLite, one node's database, it is per node (in memory: no write per request).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallets_request_budget_holds_across_nodes_on_a_shared_database() {
    use offline_cash_core::sync::{RetryPolicy, SyncBatch, SyncError};
    let mut config = common::backend::config(ADMIN);
    // Four requests at once, then one a second (registering spends one).
    config.rate_limit = Some(offline_cash_issuer::RateLimit { per_second: 1, burst: 4 });
    let node = |config: IssuerConfig| async move {
        let server = ServerConfig { issuer: config, listen: "127.0.0.1:0".parse().unwrap(), max_body_bytes: 1 << 20 };
        Server::bind(server).await.unwrap().spawn()
    };
    let (a, b) = (node(config.clone()).await, node(config.clone()).await);
    let account = SyncClient::create_account(&a.url(), ADMIN, "alice", 0).await.unwrap();
    let signer: Arc<dyn Signer> =
        Arc::new(SoftwareSigner::generate(offline_cash_core::crypto::Suite::EcdsaP256).unwrap());
    let once =
        RetryPolicy { attempts: 1, initial_delay: std::time::Duration::ZERO, max_delay: std::time::Duration::ZERO };
    let on_a = SyncClient::new(&a.url(), &account.credential, signer.clone()).unwrap().with_retry(once);
    let on_b = SyncClient::new(&b.url(), &account.credential, signer).unwrap().with_retry(once);
    on_a.register().await.unwrap();
    let batch = SyncBatch::new(0, [0; 32]);
    let mut admitted = 0;
    for i in 0..8 {
        let client = if i % 2 == 0 { &on_b } else { &on_a };
        match client.sync_batch(&batch).await {
            Ok(_) => admitted += 1,
            Err(SyncError::RateLimited { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    if config.database_url.is_some() {
        assert_eq!(admitted, 3, "one budget of 4 for both nodes, registering took one");
    } else {
        assert_eq!(admitted, 7, "a budget per node: 3 left on A, 4 on B");
    }
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}
