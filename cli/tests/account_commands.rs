//! `offline-cash issuer report-lost` and `issuer reinstate`, as the account holder and the
//! administrator run them: the binary as a child process against an issuer served in-process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use offline_cash_cli::people::{ADMIN_TOKEN, EmbeddedIssuer};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_offline-cash")).args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = cli(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{args:?} failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_wallet_is_reported_with_the_account_credential_and_revoked() {
    let issuer = EmbeddedIssuer::start(|_| {}).await.unwrap();
    let url = issuer.url();
    let root = std::env::temp_dir().join(format!("oc-cli-account-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let phone = root.join("phone");
    let (url2, phone2) = (url.clone(), phone.clone());
    let (id, report, refused) = tokio::task::spawn_blocking(move || {
        let (url, phone) = (url2, phone2);
        let credential = ok(&[
            "issuer",
            "account",
            "--issuer",
            &url,
            "--admin-token",
            ADMIN_TOKEN,
            "--name",
            "alice",
            "--balance",
            "500",
        ]);
        ok(&["wallet", "create", "--dir", s(&phone)]);
        let registered =
            ok(&["wallet", "register", "--dir", s(&phone), "--issuer", &url, "--credential", credential.trim()]);
        ok(&["wallet", "fund", "--dir", s(&phone), "--amount", "300"]);
        // The full id, as `register` printed it.
        let id = registered.split_whitespace().nth(2).unwrap().to_owned();
        assert_eq!(id.len(), 64, "{registered}");
        let wrong =
            cli(&["issuer", "report-lost", "--issuer", &url, "--credential", credential.trim(), "--wallet", "12ab"]);
        assert!(!wrong.status.success());
        let refused = String::from_utf8_lossy(
            &cli(&["issuer", "report-lost", "--issuer", &url, "--credential", "nope", "--wallet", &id]).stderr,
        )
        .into_owned();
        let report =
            ok(&["issuer", "report-lost", "--issuer", &url, "--credential", credential.trim(), "--wallet", &id]);
        (id, report, refused)
    })
    .await
    .unwrap();
    assert!(refused.contains("unauthorized"), "{refused}");
    assert!(report.contains("is revoked") && report.contains("300 it holds"), "{report}");
    let revoked = issuer.server.issuer.revocations(None).unwrap().added;
    assert_eq!(revoked, vec![id]);
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reinstate_needs_the_admin_token_and_names_the_account() {
    let issuer = EmbeddedIssuer::start(|_| {}).await.unwrap();
    let url = issuer.url();
    let (plain, refused) = tokio::task::spawn_blocking(move || {
        ok(&["issuer", "account", "--issuer", &url, "--admin-token", ADMIN_TOKEN, "--name", "carol"]);
        let plain = ok(&["issuer", "reinstate", "--issuer", &url, "--admin-token", ADMIN_TOKEN, "--name", "carol"]);
        let refused = cli(&["issuer", "reinstate", "--issuer", &url, "--admin-token", "wrong", "--name", "carol"]);
        (plain, refused)
    })
    .await
    .unwrap();
    assert!(plain.contains("account carol was not revoked"), "{plain}");
    assert!(!refused.status.success());
}
