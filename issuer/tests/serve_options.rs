//! `offline-cash-issuer serve`'s policy options, driven as an operator would: the real binary
//! started with them, a wallet registering and syncing over HTTP, and the signed policy the
//! wallet installs carrying exactly what the operator asked for; an unlivable policy refused at
//! start with the option named.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod soak_harness;

use offline_cash_core::token::RefreshPolicy;
use soak_harness::{IssuerProcess, Role, TempDir, new_party};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_options_reach_the_wallets_signed() {
    let dir = TempDir::new("serve-options-signed");
    let options = [
        "--max-chain-depth",
        "9",
        "--refresh-depth-margin",
        "3",
        "--refresh-max-notes",
        "20",
        "--refresh-expiry-window-secs",
        "86400",
        "--certificate-validity-secs",
        "172800",
        "--max-offline-payments",
        "77",
        "--per-payment-limit",
        "1234",
        "--holding-limit",
        "5678",
    ];
    let issuer = IssuerProcess::start_with(dir.path().join("issuer.db"), &options);
    let party = new_party(&issuer.url(), dir.path(), "alice", Role::Honest, 10_000, 0).await;
    party.wallet().sync(&party.client, party.now()).await.unwrap();
    let policy = party.wallet().with_store(|s| s.policy().unwrap()).expect("the wallet installed a policy");
    let body = policy.body();
    assert_eq!(body.max_chain_depth, 9);
    assert_eq!(body.refresh, RefreshPolicy { depth_margin: 3, expiry_window: 86_400, max_notes: 20 });
    assert_eq!(body.certificate_offline_validity, 172_800);
    assert_eq!(body.max_offline_payments, 77);
    assert_eq!((body.per_payment_limit, body.offline_holding_limit), (1234, 5678));
    // The wallet's certificate runs for the configured validity from its issue, not the
    // default 30 days (its start is back-dated by the 300 s clock skew allowed).
    let cert = party.wallet().with_store(|s| s.certificate().unwrap()).unwrap();
    let b = cert.body();
    assert_eq!(b.not_after - b.not_before, 172_800 + 300);
}

#[test]
fn an_unlivable_policy_is_refused_at_start_naming_the_option() {
    let dir = TempDir::new("serve-options-refused");
    for (options, named) in [
        (&["--max-chain-depth", "4", "--refresh-depth-margin", "4"][..], "depth_margin"),
        (&["--refresh-max-notes", "0"][..], "max_notes"),
        (&["--note-validity-secs", "3600"][..], "expiry_window"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_offline-cash-issuer"))
            .args(["serve", "--listen", "127.0.0.1:0", "--admin-token", "t", "--db"])
            .arg(dir.path().join("refused.db"))
            .args(options)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{options:?} started");
        assert!(stderr.contains(named), "{options:?}: {stderr}");
    }
}
