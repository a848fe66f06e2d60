//! Trust anchors over HTTP: a rewriting proxy between a wallet and the issuer cannot make the
//! wallet trust an attacker key, install a forged policy or roll back its revocation list; a
//! genuine key rotation (`rotate-key`, then a restart) reaches wallets through the rotation
//! chain in the keys and sync answers, and value under both keys keeps paying offline.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::nfc::{CardConfig, FieldConfig, ReaderConfig};
use offline_cash_core::store::{KeyLocation, Store};
use offline_cash_core::sync::SyncClient;
use offline_cash_core::sync::auth::b64;
use offline_cash_core::token::{Chain, IssuerKey, Note, NoteBody, Policy, PolicyBody, RevocationBody, RevocationList};
use offline_cash_core::wallet::tap::{CardRole, TapConfig, tap};
use offline_cash_core::wallet::{OsEntropy, Refused, Wallet, WalletConfig, WalletError};
use offline_cash_issuer::http::RunningServer;
use offline_cash_issuer::{IssuerConfig, Server, ServerConfig, keys};

/// A rotation whose key signs at once (the old key ends an hour later).
const EMERGENCY: keys::RotationTimes = keys::RotationTimes { activate_after_secs: 0, retire_after_secs: 3_600 };

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

async fn start_on(db: &std::path::Path, per_payment_limit: u64) -> RunningServer {
    let mut issuer = IssuerConfig::new(db, common::ADMIN);
    issuer.per_payment_limit = per_payment_limit;
    let config = ServerConfig { issuer, listen: "127.0.0.1:0".parse().unwrap(), max_body_bytes: 8 << 20 };
    Server::bind(config).await.unwrap().spawn()
}

struct Party {
    wallet: Wallet,
    signer: Arc<dyn Signer>,
    credential: String,
}

impl Party {
    async fn new(url: &str, name: &str, balance: u64) -> Party {
        let account = SyncClient::create_account(url, common::ADMIN, name, balance).await.unwrap();
        let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
        let wallet = Wallet::from_store(
            Store::open_in_memory().unwrap(),
            signer.clone(),
            KeyLocation::Hardware(name.into()),
            Box::new(OsEntropy),
            WalletConfig::default(),
        )
        .unwrap();
        let party = Party { wallet, signer, credential: account.credential };
        party.wallet.register(&party.client(url)).await.unwrap();
        party
    }

    fn client(&self, url: &str) -> SyncClient {
        SyncClient::new(url, &self.credential, self.signer.clone()).unwrap()
    }

    fn trusted(&self) -> Vec<IssuerKey> {
        self.wallet.with_store(|s| s.trust_store().unwrap().keys().cloned().collect())
    }
}

fn pay(payer: &Party, payee: &Party, amount: u64) -> offline_cash_core::wallet::tap::TapReport {
    let cfg = TapConfig {
        role: CardRole::PayeeIsCard,
        field: FieldConfig { reader: ReaderConfig::extended(), ..FieldConfig::default() },
        card: CardConfig::extended(),
    };
    tap(payer.wallet.pay(), payee.wallet.request_payment(amount, now()).unwrap(), cfg, now()).unwrap()
}

/// What the proxy does to the issuer's answers.
#[derive(Clone)]
struct Attack {
    /// Replaces `issuer_keys` (keys and sync answers).
    keys: Vec<String>,
    /// Replaces `policy`.
    policy: String,
    /// Replaces the revocation list (sync answers), whatever the issuer sent.
    revocations: serde_json::Value,
}

/// A plain-HTTP proxy on 127.0.0.1 that forwards to `upstream` and rewrites JSON answers.
async fn rewriting_proxy(upstream: String, attack: Attack) -> (String, tokio::task::JoinHandle<()>) {
    let http = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let (http, upstream, attack) = (http.clone(), upstream.clone(), attack.clone());
        async move {
            let path = uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
            let mut req = http.request(method, format!("{upstream}{path}")).body(body);
            for (name, value) in &headers {
                if name != "host" && name != "content-length" {
                    req = req.header(name, value);
                }
            }
            let resp = req.send().await.unwrap();
            let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
            let bytes = resp.bytes().await.unwrap();
            let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
                return (status, bytes).into_response();
            };
            if let Some(obj) = json.as_object_mut() {
                if obj.contains_key("issuer_keys") {
                    obj.insert("issuer_keys".into(), attack.keys.clone().into());
                    obj.insert("revocations".into(), attack.revocations.clone());
                }
                if obj.contains_key("keys") {
                    obj.insert("keys".into(), attack.keys.clone().into());
                }
                if obj.contains_key("policy") {
                    obj.insert("policy".into(), attack.policy.clone().into());
                }
            }
            let out: Response = (status, axum::Json(json)).into_response();
            out
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewriting_proxy_cannot_install_an_attacker_key_policy_or_revocation_rollback() {
    let db = common::temp_db();
    let server = start_on(&db, 50_000).await;
    let alice = Party::new(&server.url(), "alice", 10_000).await;
    let cheater = Party::new(&server.url(), "cheater", 0).await;
    let genuine_keys = alice.trusted();
    assert_eq!(genuine_keys, server.issuer.issuer_keys(), "registration pinned the issuer's key");
    alice.wallet.fund(&alice.client(&server.url()), &[1_000], now()).await.unwrap();
    // The issuer revokes the cheater; Alice's genuine sync installs list 1.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute(
            "INSERT INTO revocations (seq, wallet, reason, at) VALUES (1, ?1, 'test', 0)",
            [&cheater.wallet.id().0[..]],
        )
        .unwrap();
    }
    alice.wallet.sync(&alice.client(&server.url()), now()).await.unwrap();
    assert_eq!(alice.wallet.with_store(|s| s.revocation_list().unwrap().unwrap().body().sequence), 1);

    // The attacker's key under the issuer's id 1, a policy with absurd limits and a huge
    // sequence, and an empty revocation list signed by the attacker's key; plus a genuine
    // list from before the revocation (sequence 0), replayed.
    let attacker = SoftwareSigner::generate(Suite::EcdsaP256).unwrap();
    let forged_key = IssuerKey { public_key: attacker.public_key(), ..genuine_keys[0].clone() };
    let absurd = Policy::sign(
        PolicyBody {
            sequence: u64::MAX / 2,
            per_payment_limit: 1,
            offline_holding_limit: 1,
            ..server.issuer.policy().body().clone()
        },
        &attacker,
    )
    .unwrap();
    let old_list = server.issuer.revocations(None).unwrap(); // sequence 1, the genuine one
    let rolled_back = RevocationList::sign(RevocationBody::new(1, 0, now(), vec![]), &attacker).unwrap();
    let attack = Attack {
        keys: vec![b64(&forged_key.to_bytes())],
        policy: b64(&absurd.to_bytes()),
        revocations: serde_json::json!({ "sequence": 0, "list": b64(&rolled_back.to_bytes()), "added": [] }),
    };
    let (proxy, proxy_task) = rewriting_proxy(server.url(), attack).await;
    let report = alice.wallet.sync(&alice.client(&proxy), now()).await.unwrap();
    assert!(report.refused.contains(&Refused::UntrustedKey { key_id: 1 }), "{:?}", report.refused);
    assert!(report.refused.iter().any(|r| matches!(r, Refused::Policy { .. })), "{:?}", report.refused);
    assert!(report.refused.iter().any(|r| matches!(r, Refused::RevocationList { .. })), "{:?}", report.refused);
    assert_eq!(alice.trusted(), genuine_keys, "the pinned key is kept");
    assert_eq!(alice.wallet.with_store(|s| s.policy().unwrap().unwrap().body().sequence), 1);
    let held = alice.wallet.with_store(|s| s.revocation_list().unwrap().unwrap());
    assert_eq!(held.body().sequence, 1);
    assert!(held.body().contains(&cheater.wallet.id()), "the revocation stays");
    assert_eq!(old_list.sequence, 1);

    // A note the attacker mints for Alice under "key 1" is refused offline.
    let minted = Note::sign(
        NoteBody {
            serial: [7; 16],
            currency: absurd.body().currency,
            amount: 100_000,
            owner: alice.wallet.id(),
            issued_at: now(),
            expires_at: now() + 86_400,
            issuer_key_id: 1,
        },
        &attacker,
    )
    .unwrap();
    let err = alice.wallet.deposit_issued(&[Chain::genesis(minted)], now()).unwrap_err();
    assert!(matches!(err, WalletError::Rejected(_)), "{err}");
    assert_eq!(alice.wallet.balance().unwrap().total, 1_000);

    // Registration through the proxy of a wallet that already trusts the issuer: unchanged.
    alice.wallet.register(&alice.client(&proxy)).await.unwrap_err();
    assert_eq!(alice.trusted(), genuine_keys);
    proxy_task.abort();

    // The issuer's genuine later policy (sequence 2) still installs.
    server.shutdown().await.unwrap();
    let server = start_on(&db, 40_000).await;
    assert_eq!(server.issuer.policy().body().sequence, 2);
    let report = alice.wallet.sync(&alice.client(&server.url()), now()).await.unwrap();
    assert_eq!(report.refused, vec![]);
    assert_eq!(alice.wallet.with_store(|s| s.policy().unwrap().unwrap().body().sequence), 2);
    assert_eq!(alice.wallet.limits().unwrap().per_payment, 40_000);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_issuer_key_reaches_wallets_through_the_chain_and_old_value_keeps_paying() {
    let db = common::temp_db();
    let server = start_on(&db, 50_000).await;
    let alice = Party::new(&server.url(), "alice", 10_000).await;
    let bob = Party::new(&server.url(), "bob", 0).await;
    alice.wallet.fund(&alice.client(&server.url()), &[1_000], now()).await.unwrap();
    server.shutdown().await.unwrap();

    // The administrator rotates the key with the server stopped, then restarts it.
    let new_key = keys::rotate_key(&db, now(), EMERGENCY).unwrap();
    assert_eq!(new_key.key_id, 2);
    let server = start_on(&db, 50_000).await;
    let url = server.url();
    assert_eq!(server.issuer.signing_key().key_id, 2);
    assert_eq!(server.issuer.key_rotations().len(), 1);
    let listed = server.issuer.issuer_keys();
    assert_eq!(listed.iter().map(|k| k.key_id).collect::<Vec<_>>(), vec![1, 2], "the old key is still listed");
    assert!(listed[0].not_after <= now() + 3_600, "and ended");
    let policy = server.issuer.policy().body().clone();
    assert_eq!((policy.issuer_key_id, policy.sequence), (2, 2), "a new policy signed by the new key");

    // Alice syncs: the chain in the answer verifies back to her pinned key 1.
    let report = alice.wallet.sync(&alice.client(&url), now()).await.unwrap();
    assert_eq!(report.refused, vec![]);
    assert_eq!(alice.trusted(), listed);
    assert_eq!(alice.wallet.with_store(|s| s.policy().unwrap().unwrap().body().issuer_key_id), 2);
    // New notes are signed by key 2 and verify.
    alice.wallet.fund(&alice.client(&url), &[500], now()).await.unwrap();
    assert_eq!(alice.wallet.balance().unwrap().spendable, 1_500);

    // Bob learns the key through the public keys answer at registration (re-register).
    bob.wallet.register(&bob.client(&url)).await.unwrap();
    assert_eq!(bob.trusted(), listed);
    // Notes under the old key (signed before its end) and the new one pay offline together.
    let report = pay(&alice, &bob, 1_400);
    assert!(report.payer_complete, "{:?}", report.error());
    assert_eq!(bob.wallet.balance().unwrap().spendable, 1_400);

    // A wallet provisioned after the rotation pins both keys on first use, and its
    // certificate is signed by key 2.
    let carol = Party::new(&url, "carol", 0).await;
    assert_eq!(carol.trusted(), listed);
    let report = pay(&bob, &carol, 1_000);
    assert!(report.payer_complete, "{:?}", report.error());

    for p in [&alice, &bob, &carol] {
        let r = p.wallet.sync(&p.client(&url), now()).await.unwrap();
        assert_eq!(r.refused, vec![]);
        assert_eq!(r.rejected, 0);
    }
    let audit = common::audit(&url).await;
    assert!(audit.balanced && audit.accounts_balanced, "{audit:?}");

    // A second rotation: the chain 1→2→3 is served and followed.
    server.shutdown().await.unwrap();
    keys::rotate_key(&db, now(), keys::RotationTimes { activate_after_secs: 0, retire_after_secs: 0 }).unwrap();
    let server = start_on(&db, 50_000).await;
    let r = alice.wallet.sync(&alice.client(&server.url()), now()).await.unwrap();
    assert_eq!(r.refused, vec![]);
    assert_eq!(alice.trusted().iter().map(|k| k.key_id).collect::<Vec<_>>(), vec![1, 2, 3]);
    server.shutdown().await.unwrap();
}

#[test]
fn the_rotate_key_command_rotates_and_a_tampered_stored_rotation_is_refused_at_start() {
    let db = common::temp_db();
    drop(offline_cash_issuer::Issuer::open(IssuerConfig::new(&db, "a"), offline_cash_issuer::system_clock()).unwrap());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_offline-cash-issuer"))
        .args(["rotate-key", "--db"])
        .arg(&db)
        .args(["--retire-after-secs", "60", "--activate-after-secs", "0"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("issuer key 2 created"));
    let issuer =
        offline_cash_issuer::Issuer::open(IssuerConfig::new(&db, "a"), offline_cash_issuer::system_clock()).unwrap();
    assert_eq!(issuer.signing_key().key_id, 2);
    assert!(issuer.issuer_keys()[0].not_after <= now() + 60);
    drop(issuer);

    // A rotation in the file whose signature no longer matches (its new key swapped):
    // the issuer refuses to start rather than serve a chain wallets would refuse.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let bytes: Vec<u8> =
        conn.query_row("SELECT rotation FROM issuer_key_rotations WHERE key_id = 2", [], |r| r.get(0)).unwrap();
    let rotation = offline_cash_core::token::KeyRotation::from_bytes(&bytes).unwrap();
    let mut body = rotation.body().clone();
    body.new_key.not_after += 1;
    let tampered = offline_cash_core::token::KeyRotation::from_parts(body, rotation.signature().clone());
    conn.execute("UPDATE issuer_key_rotations SET rotation = ?1 WHERE key_id = 2", [tampered.to_bytes()]).unwrap();
    drop(conn);
    let err = offline_cash_issuer::Issuer::open(IssuerConfig::new(&db, "a"), offline_cash_issuer::system_clock())
        .unwrap_err();
    assert!(err.to_string().contains("rotation"), "{err}");
}
