//! Key hygiene on the whole story: the `demo` binary runs with every log on (`RUST_LOG=trace`:
//! the core, the embedded issuer, HTTP client and server) and keys derived from a seed, and
//! everything it writes (the story on stdout, the logs on stderr) is searched for each
//! wallet's secret scalar in hex (both cases), base64 (both alphabets, padded or not) and as
//! a Debug byte list. None may appear. The wallets' public keys are searched for too: they are
//! what the logs may legitimately mention, and finding none would mean the key derivation in
//! this test differs from the demo's (a test that could not fail).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::process::Command;

use base64::Engine as _;
use offline_cash_cli::people::seeded_p256_scalar;
use offline_cash_core::crypto::{Signer, SoftwareSigner};
use offline_cash_core::token::wallet_id;

const SEED: u64 = 7;
const PEOPLE: [&str; 5] = ["Alice", "Bob", "Carol", "Dave", "Mallory"];

fn forms(secret: &[u8]) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let hex = hex::encode(secret);
    vec![
        hex.clone(),
        hex.to_uppercase(),
        STANDARD.encode(secret),
        STANDARD_NO_PAD.encode(secret),
        URL_SAFE.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        format!("{secret:?}"),
    ]
}

#[test]
fn a_full_demo_with_every_log_on_never_prints_a_wallet_secret() {
    let out = Command::new(env!("CARGO_BIN_EXE_offline-cash"))
        .args(["demo", "--suite", "p256", "--seed", &SEED.to_string()])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the demo failed:\n{stdout}\n{stderr}");
    let all = format!("{stdout}\n{stderr}");
    // The logs really were on: the issuer's request log and the HTTP stack's traces.
    assert!(stderr.contains("request") && stderr.contains("TRACE"), "no logs captured: {stderr:.2000}");

    let mut ids_seen = 0;
    for name in PEOPLE {
        let scalar = seeded_p256_scalar(SEED, name);
        for form in forms(&scalar) {
            assert!(!all.contains(&form), "{name}'s secret scalar appears in the output as {form}");
        }
        // The demo's wallet for `name` has this key: its wallet id shows up (logs, story).
        let signer = SoftwareSigner::p256_from_scalar(&scalar).unwrap();
        let id = hex::encode(wallet_id(&signer.public_key()).0);
        if all.contains(&id) || all.contains(&id[..16]) {
            ids_seen += 1;
        }
    }
    assert!(ids_seen >= 2, "the seeded keys are not the demo's: no wallet id found in the output");
}
