//! `offline-cash-issuer load`, driven as an operator would: the real `serve` binary in one
//! process, the load command in another against it (one node, then two nodes over one
//! database: PostgreSQL under scripts/issuer-postgres.sh, else one SQLite file). A clean run reports every operation and `errors = 0` with the books
//! balanced; a run the issuer throttles reports the refusals and exits non-zero, so the
//! command cannot hide failures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod soak_harness;

use std::process::Command;

use soak_harness::{ADMIN, IssuerProcess, TempDir};

/// Runs `load` against `urls`; its exit status and stdout.
fn load(urls: &[String], extra: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_offline-cash-issuer"))
        .args(["load", "--admin-token", ADMIN, "--url", &urls.join(",")])
        .args(["--wallets", "12", "--concurrency", "4", "--seconds", "2", "--notes", "3"])
        .args(extra)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success(), format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn a_clean_load_run_reports_every_operation_and_no_errors() {
    let dir = TempDir::new("load-command-clean");
    let issuer = IssuerProcess::start_with(dir.path().join("issuer.db"), &["--rate-per-second", "0"]);
    let (ok, out) = load(&[issuer.url()], &[]);
    assert!(ok, "{out}");
    for op in ["| register | 12 |", "| fund |", "| sync |", "| issuer-keys |", "| revocations |"] {
        assert!(out.contains(op), "{op} missing in:\n{out}");
    }
    assert!(out.contains("errors = 0, audit balanced"), "{out}");
}

#[test]
fn two_nodes_over_one_database_serve_the_same_wallets() {
    let dir = TempDir::new("load-command-two");
    let key_file = dir.path().join("issuer.keys");
    let made = Command::new(env!("CARGO_BIN_EXE_offline-cash-issuer"))
        .args(["new-key-file", "--key-file"])
        .arg(&key_file)
        .status()
        .unwrap();
    assert!(made.success());
    let key = key_file.to_str().unwrap();
    let mut options = vec!["--rate-per-second", "0", "--key-file", key];
    let url = common::backend::database_url();
    if let Some(url) = &url {
        options.extend(["--database-url", url]);
    }
    let a = IssuerProcess::start_with(dir.path().join("issuer.db"), &options);
    let b = IssuerProcess::start_with(dir.path().join("issuer.db"), &options);
    // Wallets alternate between the nodes and pay each other across them.
    let (ok, out) = load(&[a.url(), b.url()], &[]);
    assert!(ok, "{out}");
    assert!(out.contains("over 2 node(s)") && out.contains("errors = 0, audit balanced"), "{out}");
}

#[test]
fn refusals_are_counted_and_fail_the_run() {
    let dir = TempDir::new("load-command-throttled");
    // One request a second and two at once: every wallet is throttled within its first session.
    let issuer =
        IssuerProcess::start_with(dir.path().join("issuer.db"), &["--rate-per-second", "1", "--rate-burst", "2"]);
    let (ok, out) = load(&[issuer.url()], &[]);
    assert!(!ok, "a throttled run must fail:\n{out}");
    assert!(out.contains("error ×") && out.contains("rate"), "the refusal is named:\n{out}");
    assert!(!out.contains("errors = 0"), "{out}");
}
