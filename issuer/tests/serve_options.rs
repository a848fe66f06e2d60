//! `offline-cash-issuer serve`'s policy options, driven as an operator would: the real binary
//! started with them, a wallet registering and syncing over HTTP, and the signed policy the
//! wallet installs carrying exactly what the operator asked for; an unlivable policy refused at
//! start with the option named.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod soak_harness;

use offline_cash_core::token::RefreshPolicy;
use soak_harness::{ChildGuard, IssuerProcess, Role, TempDir, new_party, read_url_file};

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

/// `--listen 127.0.0.1:0 --url-file F`: the kernel picks the port and the server writes the URL
/// it holds before it serves, so two servers started at once never race for a port (the race
/// that failed CI when a test picked a port at random and another process had it).
#[test]
fn on_port_zero_each_server_writes_the_url_it_serves_on() {
    let dir = TempDir::new("serve-url-file");
    let mut children = Vec::new();
    let mut urls = Vec::new();
    for name in ["a", "b"] {
        let file = dir.path().join(format!("{name}.url"));
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_offline-cash-issuer"))
            .args(["serve", "--listen", "127.0.0.1:0", "--admin-token", "t", "--url-file"])
            .arg(&file)
            .arg("--db")
            .arg(dir.path().join(format!("{name}.db")))
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        children.push(ChildGuard(child));
        urls.push(file);
    }
    let mut seen = Vec::new();
    for (file, child) in urls.iter().zip(&mut children) {
        let url = read_url_file(file, &mut child.0);
        assert!(url.starts_with("http://127.0.0.1:") && url.ends_with('\n'), "{url:?}");
        let url = url.trim().to_owned();
        assert!(!url.ends_with(":0"), "the file names the port the kernel picked: {url}");
        assert!(!std::path::PathBuf::from(format!("{}.tmp", file.display())).exists(), "the temporary file is renamed");
        // What answers there is this issuer: its /health is served at once, without polling.
        let health = get(&format!("{url}/health"));
        assert!(health.starts_with("HTTP/1.1 200"), "{health}");
        seen.push(url);
    }
    let [a, b] = seen.as_slice() else { panic!("two servers, two URLs: {seen:?}") };
    assert_ne!(a, b, "two servers on port 0 got different ports");
}

#[test]
fn an_unwritable_url_file_is_refused_at_start() {
    let dir = TempDir::new("serve-url-file-refused");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_offline-cash-issuer"))
        .args(["serve", "--listen", "127.0.0.1:0", "--admin-token", "t", "--url-file"])
        .arg(dir.path().join("no-such-dir").join("issuer.url"))
        .arg("--db")
        .arg(dir.path().join("issuer.db"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started without writing its url file");
    assert!(stderr.contains("url file"), "{stderr}");
}

/// One HTTP/1.1 GET over a plain socket; the whole answer as text.
fn get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(stream, "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}
