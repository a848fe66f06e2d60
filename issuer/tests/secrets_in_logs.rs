//! Key hygiene: a full scenario (accounts, registration, funding, an encrypted offline
//! payment, a refused payment, syncs, a defund) runs with every `tracing` event captured at
//! TRACE level, and the capture, the Debug output of every object and error involved, and the
//! wallets' history (their log table) are searched for every secret in play — wallet secret
//! scalars, a wrapped key and its wrapping key, the account credentials, the issuer's key —
//! in hex (both cases) and base64 (both alphabets, padded or not). None may appear.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use offline_cash_core::crypto::{KeyWrapper, Signer, SoftwareKeyWrapper, SoftwareSigner};
use offline_cash_core::nfc::{CardConfig, FieldConfig, ReaderConfig};
use offline_cash_core::store::{HistoryFilter, KeyLocation, Store};
use offline_cash_core::sync::SyncClient;
use offline_cash_core::wallet::tap::{CardRole, TapConfig, tap};
use offline_cash_core::wallet::{OsEntropy, Wallet, WalletConfig};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Every textual form a secret could take in a log line.
fn forms(secret: &[u8]) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let hex = hex::encode(secret);
    let text = std::str::from_utf8(secret).ok().filter(|t| t.len() >= 8).map(str::to_owned);
    text.into_iter()
        .chain([
            hex.clone(),
            hex.to_uppercase(),
            STANDARD.encode(secret),
            STANDARD_NO_PAD.encode(secret),
            URL_SAFE.encode(secret),
            URL_SAFE_NO_PAD.encode(secret),
            format!("{secret:?}"), // a byte slice printed with Debug
        ])
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_logs_errors_debug_output_or_the_log_table() {
    let capture = Capture::default();
    let sink = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .init();
    let mut text = String::new();
    let mut secrets: Vec<(String, Vec<u8>)> = Vec::new();

    let server = common::start_sqlite().await;
    let url = server.url();
    // Alice keeps her key wrapped in her database; Bob's is "in hardware".
    let alice_scalar = [0x5a; 32];
    let bob_scalar = [0x6b; 32];
    let wrapping_key = [0x7c; 32];
    let wrapper = SoftwareKeyWrapper::new(wrapping_key);
    let alice_key = SoftwareSigner::p256_from_scalar(&alice_scalar).unwrap();
    let wrapped = alice_key.wrap(&wrapper).unwrap();
    let inner = wrapper.unwrap(&wrapped.wrapped).unwrap();
    assert_eq!(inner.as_slice(), &alice_scalar, "the wrapped secret is the scalar");
    secrets.push(("alice scalar".into(), alice_scalar.to_vec()));
    secrets.push(("bob scalar".into(), bob_scalar.to_vec()));
    secrets.push(("wrapping key".into(), wrapping_key.to_vec()));
    secrets.push(("admin token".into(), common::ADMIN.as_bytes().to_vec()));
    secrets.push(("wrapped key".into(), wrapped.wrapped.clone()));
    secrets.push(("wrapped key encoding".into(), wrapped.encode()));
    text += &format!("{alice_key:?} {wrapped:?} {wrapper:?}\n");

    let mut parties = Vec::new();
    for (name, signer, location) in [
        ("alice", alice_key, KeyLocation::Wrapped(wrapped.encode())),
        ("bob", SoftwareSigner::p256_from_scalar(&bob_scalar).unwrap(), KeyLocation::Hardware("bob".into())),
    ] {
        let signer: Arc<dyn Signer> = Arc::new(signer);
        let account = SyncClient::create_account(&url, common::ADMIN, name, 10_000).await.unwrap();
        secrets.push((format!("{name} credential"), account.credential.as_bytes().to_vec()));
        text += &format!("{account:?}\n");
        let client = SyncClient::new(&url, &account.credential, signer.clone()).unwrap();
        let wallet = Wallet::from_store(
            Store::open_in_memory().unwrap(),
            signer,
            location,
            Box::new(OsEntropy),
            WalletConfig::default(),
        )
        .unwrap();
        wallet.register(&client).await.unwrap();
        text += &format!("{client:?} {:?}\n", wallet.with_store(|s| s.identity().unwrap()));
        parties.push((wallet, client));
    }
    let (alice, alice_client) = &parties[0];
    let (bob, bob_client) = &parties[1];
    alice.fund(alice_client, &[1_000, 500], now()).await.unwrap();

    // An encrypted offline payment (session keys, ephemeral secrets), then one refused.
    let cfg = TapConfig {
        role: CardRole::PayeeIsCard,
        field: FieldConfig { reader: ReaderConfig::extended(), ..FieldConfig::default() },
        card: CardConfig::extended(),
    };
    let report = tap(alice.pay(), bob.request_payment(300, now()).unwrap(), cfg, now()).unwrap();
    assert!(report.payer_complete, "{report:?}");
    text += &format!("{report:?}\n");
    // Over the payer's per-payment limit (a payee no longer issues a request over its own
    // holding limit).
    let refused = tap(alice.pay(), bob.request_payment(60_000, now()).unwrap(), cfg, now()).unwrap();
    assert!(refused.error().is_some());
    text += &format!("{refused:?} {}\n", refused.error().unwrap());
    let bad_login = SyncClient::new(&url, "not-the-credential", alice.signer()).unwrap();
    let err = alice.fund(&bad_login, &[1], now()).await.unwrap_err();
    text += &format!("{err:?} {err}\n");

    for (wallet, client) in &parties {
        let report = wallet.sync(client, now()).await.unwrap();
        text += &format!("{report:?} {:?}\n", wallet.balance().unwrap());
        let page = wallet.history(HistoryFilter::All, None, 1_000).unwrap();
        text += &format!("{page:?}\n");
        text += &format!("{:?}\n", wallet.pending_payments().unwrap());
        while let Some(event) = wallet.poll_event() {
            text += &format!("{event:?}\n");
        }
    }
    text += &format!("{:?}\n", bob_client);
    let audit = server.issuer.audit().unwrap();
    text += &format!("{audit:?} {:?}\n", server.issuer);
    server.shutdown().await.unwrap();

    // The issuer's own key, from its database.
    let db = common::last_db();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let issuer_scalar: Vec<u8> =
        conn.query_row("SELECT value FROM meta WHERE key = 'issuer_p256_scalar'", [], |r| r.get(0)).unwrap();
    secrets.push(("issuer scalar".into(), issuer_scalar));

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("request"), "the capture saw the issuer's request log: {}", &logs[..logs.len().min(500)]);
    let haystack = format!("{logs}\n{text}");
    for (what, secret) in &secrets {
        for form in forms(secret) {
            assert!(!haystack.contains(&form), "{what} appears in logs or Debug output as {form}");
        }
    }
}
