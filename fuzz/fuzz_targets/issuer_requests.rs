//! HTTP request bodies into the issuer, past authentication: serde_json into the
//! `core::sync::wire` request types, then the `Issuer` method the route calls (sync, defund,
//! fund), and raw bundle bytes into `Issuer::check_bundle`. First byte picks the route.
//! One issuer per process, on a temporary database.
#![no_main]

use std::sync::OnceLock;

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use offline_cash_core::sync::wire;
use offline_cash_fuzz::{NOW, payer_key};
use offline_cash_issuer::{Caller, Issuer, IssuerConfig, SignedRequest};

struct World {
    issuer: Issuer,
    caller: Caller,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("oc-fuzz-issuer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let db = dir.join("issuer.db");
        let _ = std::fs::remove_file(&db);
        let clock: offline_cash_issuer::Clock = std::sync::Arc::new(|| NOW);
        let issuer = Issuer::open(IssuerConfig::new(db, "admin"), clock).expect("issuer");
        issuer.create_account("fuzz", 1_000_000).expect("account");
        let key = payer_key().expect("fixture");
        let wallet = offline_cash_core::token::wallet_id(&offline_cash_core::crypto::Signer::public_key(&key));
        let caller = Caller { wallet, account: 1 };
        issuer.register(caller, &offline_cash_core::crypto::Signer::public_key(&key)).expect("register");
        World { issuer, caller }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&route, body)) = data.split_first() else { return };
    let w = world();
    match route % 6 {
        0 => {
            if let Ok(req) = serde_json::from_slice::<wire::SyncRequest>(body) {
                let _ = w.issuer.sync(w.caller, &req);
            }
        }
        1 => {
            if let Ok(req) = serde_json::from_slice::<wire::DefundRequest>(body) {
                let _ = w.issuer.defund(w.caller, &req);
            }
        }
        2 => {
            if let Ok(req) = serde_json::from_slice::<wire::FundRequest>(body) {
                let _ = w.issuer.fund(w.caller, &req);
            }
        }
        3 => {
            let _ = w.issuer.check_bundle(&base64::engine::general_purpose::STANDARD.encode(body));
        }
        4 => {
            let _ = serde_json::from_slice::<wire::RegisterRequest>(body);
            if let Ok(req) = serde_json::from_slice::<wire::CreateAccountRequest>(body) {
                let _ = w.issuer.create_account(&req.customer_ref, req.balance);
            }
        }
        _ => {
            // Headers and body of a signed request, split at 0x00.
            let parts: Vec<&[u8]> = body.splitn(6, |b| *b == 0).collect();
            let text = |i: usize| parts.get(i).and_then(|p| std::str::from_utf8(p).ok());
            let req = SignedRequest {
                method: "POST",
                path: wire::paths::SYNC,
                body: parts.get(5).copied().unwrap_or_default(),
                credential: text(0),
                wallet: text(1),
                timestamp: text(2),
                nonce: text(3),
                signature: text(4),
            };
            let _ = w.issuer.authenticate(&req, None);
        }
    }
});
