//! The OpenAPI document and the server agree: every documented path/method exists and
//! answers with a documented status and content type; nothing undocumented is routed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use offline_cash_issuer::http::ROUTES;
use serde_json::Value;

fn document() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// The content type documented for `status` on an operation (following one `$ref`).
fn documented_content_type(doc: &Value, op: &Value, status: u16) -> Option<String> {
    let mut resp = op["responses"].get(status.to_string())?.clone();
    if let Some(r) = resp.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap();
        resp = doc["components"]["responses"][name].clone();
    }
    resp["content"].as_object()?.keys().next().cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_route_answers_as_documented_and_nothing_else_is_routed() {
    let doc = document();
    let listed: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented(&doc), listed, "openapi.json and the router's ROUTES differ");

    let server = common::start().await;
    let wallet = common::wallet(&server, "alice", 100).await;
    let http = reqwest::Client::new();
    for (method, path) in documented(&doc) {
        let op = &doc["paths"][&path][method.to_lowercase()];
        // Probe twice: anonymously with an empty JSON object, and as the admin/wallet would
        // (admin token; wallet credential without a signature) — each answer must be documented.
        for auth in [None, Some(common::ADMIN), Some(wallet.credential.as_str())] {
            let mut req = match method.as_str() {
                "GET" => http.get(format!("{}{path}", server.url())),
                _ => http.post(format!("{}{path}", server.url())).header("content-type", "application/json").body("{}"),
            };
            if let Some(token) = auth {
                req = req.bearer_auth(token);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            let expected = documented_content_type(&doc, op, status)
                .unwrap_or_else(|| panic!("{method} {path} answered undocumented status {status}"));
            assert!(ct.starts_with(&expected), "{method} {path} {status}: {ct} is not {expected}");
        }
    }
    // A documented success of each mutating route is exercised by the settlement tests; the
    // public GETs succeed here.
    for path in ["/health", "/metrics", "/v1/revocations", "/v1/issuer-keys"] {
        assert_eq!(http.get(format!("{}{path}", server.url())).send().await.unwrap().status().as_u16(), 200);
    }

    // Undocumented routes and methods: typed 404 / 405.
    for path in ["/", "/v1", "/v1/admin", "/v1/wallets/x", "/debug", "/v2/sync"] {
        let resp = http.get(format!("{}{path}", server.url())).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 404, "{path}");
        assert_eq!(
            resp.json::<offline_cash_core::sync::wire::ErrorBody>().await.unwrap().code,
            offline_cash_core::reason::Reason::NotFound
        );
    }
    for (method, path) in ROUTES {
        for other in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            if other == *method {
                continue;
            }
            let resp = http.request(other.parse().unwrap(), format!("{}{path}", server.url())).send().await.unwrap();
            assert_eq!(resp.status().as_u16(), 405, "{other} {path} should not be routed");
        }
    }
    server.shutdown().await.unwrap();
}

/// The error codes and settlement reasons the document lists are exactly the protocol's one
/// reason enum (`offline_cash_core::reason::Reason`): a reason added there is documented here.
#[test]
fn documented_error_codes_are_the_reason_enum() {
    let doc = document();
    let names: Vec<String> = offline_cash_core::reason::Reason::all().map(|r| r.name().to_owned()).collect();
    let listed = |v: &Value| -> Vec<String> {
        v["enum"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(listed(&doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]), names);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let result = schemas.values().find(|s| s["properties"].get("fresh_notes").is_some()).unwrap();
    assert_eq!(listed(&result["properties"]["reason"]), names);
}
