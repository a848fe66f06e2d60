//! The file-based wallet commands end to end, as a script would run them: the `offline-cash`
//! binary as child processes against an issuer served in-process on 127.0.0.1:0. Alice funds,
//! pays Bob through request/payment/receipt files, both sync; replaying the payment credits
//! nothing; a wrong receipt file is refused; a request file is paid once, an altered one not
//! at all.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use offline_cash_cli::people::EmbeddedIssuer;

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

fn balance(dir: &Path) -> (u64, u64) {
    let out = ok(&["wallet", "balance", "--dir", s(dir)]);
    let field = |name: &str| -> u64 { out.lines().find_map(|l| l.strip_prefix(name)).unwrap().trim().parse().unwrap() };
    (field("spendable"), field("pending"))
}

fn temp(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oc-cli-files-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fund_pay_by_files_and_sync() {
    let issuer = EmbeddedIssuer::start(|_| {}).await.unwrap();
    let url = issuer.url();
    let root = temp("flow");
    let (alice, bob) = (root.join("alice"), root.join("bob"));
    let file = |n: &str| root.join(n);
    let admin = offline_cash_cli::people::ADMIN_TOKEN;

    let script = {
        let url = url.clone();
        let (alice, bob, root) = (alice.clone(), bob.clone(), root.clone());
        move || {
            let file = |n: &str| root.join(n);
            ok(&["wallet", "create", "--dir", s(&alice), "--suite", "p256"]);
            ok(&["wallet", "create", "--dir", s(&bob), "--suite", "ml-dsa-44"]);
            assert!(!cli(&["wallet", "create", "--dir", s(&alice)]).status.success(), "no overwrite");
            let alice_cred = ok(&[
                "issuer",
                "account",
                "--issuer",
                &url,
                "--admin-token",
                admin,
                "--name",
                "alice",
                "--balance",
                "5000",
            ]);
            let bob_cred = ok(&["issuer", "account", "--issuer", &url, "--admin-token", admin, "--name", "bob"]);
            ok(&["wallet", "register", "--dir", s(&alice), "--issuer", &url, "--credential", alice_cred.trim()]);
            ok(&["wallet", "register", "--dir", s(&bob), "--issuer", &url, "--credential", bob_cred.trim()]);
            ok(&["wallet", "fund", "--dir", s(&alice), "--amount", "1000"]);
            assert_eq!(balance(&alice), (1000, 0));

            ok(&["wallet", "request", "--dir", s(&bob), "--amount", "250", "--out", s(&file("request.bin"))]);
            ok(&[
                "wallet",
                "pay",
                "--dir",
                s(&alice),
                "--request",
                s(&file("request.bin")),
                "--out",
                s(&file("payment.bin")),
            ]);
            assert_eq!(balance(&alice), (750, 250), "pending until the receipt");
            ok(&[
                "wallet",
                "accept",
                "--dir",
                s(&bob),
                "--payment",
                s(&file("payment.bin")),
                "--out",
                s(&file("receipt.bin")),
            ]);
            assert_eq!(balance(&bob), (250, 0));
            // The same payment file again (delivered twice): nothing is credited twice, and the
            // payee hands back the receipt it gave, byte for byte, so the payer can complete.
            let again = ok(&[
                "wallet",
                "accept",
                "--dir",
                s(&bob),
                "--payment",
                s(&file("payment.bin")),
                "--out",
                s(&file("r2.bin")),
            ]);
            assert!(again.contains("already accepted"), "{again}");
            assert_eq!(std::fs::read(file("r2.bin")).unwrap(), std::fs::read(file("receipt.bin")).unwrap());
            assert_eq!(balance(&bob), (250, 0));
            // Funding more than the account holds (4,000 left), within the holding limit: the issuer
            // refuses, and says so (not "network").
            let out = cli(&["wallet", "fund", "--dir", s(&alice), "--amount", "4500"]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success());
            assert!(stderr.contains("issuer refused") && !stderr.contains("network"), "{stderr}");
            assert_eq!(balance(&alice), (750, 250));
            // A receipt that is not a receipt is refused; the payment stays pending.
            assert!(
                !cli(&["wallet", "complete", "--dir", s(&alice), "--receipt", s(&file("request.bin"))])
                    .status
                    .success()
            );
            assert_eq!(balance(&alice), (750, 250));
            ok(&["wallet", "complete", "--dir", s(&alice), "--receipt", s(&file("receipt.bin"))]);
            assert_eq!(balance(&alice), (750, 0));
            let again = ok(&["wallet", "complete", "--dir", s(&alice), "--receipt", s(&file("receipt.bin"))]);
            assert!(again.contains("not pending"), "{again}");
            assert_eq!(balance(&alice), (750, 0), "completing twice signs nothing new");
            // The same request file paid again (a replayed request): refused, nothing signed.
            let replay = cli(&[
                "wallet",
                "pay",
                "--dir",
                s(&alice),
                "--request",
                s(&file("request.bin")),
                "--out",
                s(&file("p2.bin")),
            ]);
            assert!(!replay.status.success(), "a request is paid once");
            assert!(String::from_utf8_lossy(&replay.stderr).contains("already paid"), "{replay:?}");
            assert_eq!(balance(&alice), (750, 0));
            // An altered request file (any byte): refused before anything is committed.
            ok(&["wallet", "request", "--dir", s(&bob), "--amount", "100", "--out", s(&file("request2.bin"))]);
            let mut altered = std::fs::read(file("request2.bin")).unwrap();
            let middle = altered.len() / 2;
            altered[middle] ^= 0x01;
            std::fs::write(file("altered.bin"), &altered).unwrap();
            let forged = cli(&[
                "wallet",
                "pay",
                "--dir",
                s(&alice),
                "--request",
                s(&file("altered.bin")),
                "--out",
                s(&file("p3.bin")),
            ]);
            assert!(!forged.status.success(), "an altered request is refused");
            assert_eq!(balance(&alice), (750, 0), "nothing pending");

            let history = ok(&["wallet", "history", "--dir", s(&alice), "--limit", "10"]);
            for kind in ["fund", "spend", "spend_complete"] {
                assert!(history.lines().any(|l| l.split_whitespace().nth(2) == Some(kind)), "{kind} in {history}");
            }
            let checked = ok(&["wallet", "check", "--dir", s(&alice)]);
            assert!(checked.contains("hash chain intact") && checked.contains("agree"), "{checked}");
            let synced = ok(&["wallet", "sync", "--dir", s(&bob)]);
            assert!(synced.contains("1 recorded") && synced.contains("0 double spend"), "{synced}");
            ok(&["wallet", "sync", "--dir", s(&alice)]);
        }
    };
    tokio::task::spawn_blocking(script).await.unwrap();
    // A balance edited behind the wallet's back: `check` says so, sync and pay refuse.
    rusqlite::Connection::open(alice.join("wallet.db"))
        .unwrap()
        .execute_batch("UPDATE state SET spendable = spendable + 1000")
        .unwrap();
    let checked = cli(&["wallet", "check", "--dir", s(&alice)]);
    assert!(!checked.status.success());
    assert!(String::from_utf8_lossy(&checked.stderr).contains("consistency check"), "{checked:?}");
    let synced = cli(&["wallet", "sync", "--dir", s(&alice)]);
    assert!(!synced.status.success() && String::from_utf8_lossy(&synced.stderr).contains("consistency"));
    let _ = file;
    let audit = issuer.server.issuer.audit().unwrap();
    assert!(audit.balanced && audit.accounts_balanced, "{audit:?}");
    assert_eq!((audit.issued, audit.held_offline), (1000, 1000));
    issuer.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn the_demo_holds_every_check() {
    let out = cli(&["demo"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("0 failed") && !stdout.contains("FAILED"), "{stdout}");
}

#[test]
fn a_small_simulation_keeps_its_invariants_and_is_reproducible() {
    let run = || {
        let out = cli(&[
            "simulate",
            "--wallets",
            "60",
            "--payees",
            "4",
            "--payments",
            "150",
            "--cheaters",
            "2",
            "--file-wallets",
            "10",
            "--crashes",
            "5",
            "--tears",
            "0.1",
            "--seed",
            "7",
            "--quiet",
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        stdout
    };
    let first = run();
    assert!(first.contains("double spends detected / injected") && first.contains("2 / 2"), "{first}");
    let pick = |s: &str, key: &str| s.lines().find(|l| l.contains(key)).map(str::to_owned);
    let second = run();
    for key in ["payments completed", "value moved", "torn taps", "double spends"] {
        assert_eq!(pick(&first, key), pick(&second, key), "same seed, same {key}");
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let dir = temp("bad").join("nothing");
    let out = cli(&["wallet", "balance", "--dir", s(&dir)]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no wallet"), "{out:?}");
    let out = cli(&["demo", "--suite", "rsa"]);
    assert!(!out.status.success());
}

/// `wallet refresh | defund | deposit | pending` as a script runs them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_defund_deposit_and_pending_by_command() {
    let issuer = EmbeddedIssuer::start(|_| {}).await.unwrap();
    let url = issuer.url();
    let root = temp("flows");
    let carol = root.join("carol");
    let admin = offline_cash_cli::people::ADMIN_TOKEN;
    let script = {
        let carol = carol.clone();
        move || {
            ok(&["wallet", "create", "--dir", s(&carol)]);
            let cred = ok(&[
                "issuer",
                "account",
                "--issuer",
                &url,
                "--admin-token",
                admin,
                "--name",
                "carol",
                "--balance",
                "5000",
            ]);
            ok(&["wallet", "register", "--dir", s(&carol), "--issuer", &url, "--credential", cred.trim()]);
            ok(&["wallet", "fund", "--dir", s(&carol), "--amount", "1000"]);
            assert!(ok(&["wallet", "refresh", "--dir", s(&carol)]).contains("nothing to refresh"));
            let refreshed = ok(&["wallet", "refresh", "--dir", s(&carol), "--all"]);
            assert!(refreshed.contains("refreshed: 1000 done, 0 returned"), "{refreshed}");
            let defunded = ok(&["wallet", "defund", "--dir", s(&carol), "--amount", "300"]);
            assert!(defunded.contains("defunded: 300 done") && defunded.contains("account balance 4300"), "{defunded}");
            assert_eq!(balance(&carol), (700, 0));
            assert!(ok(&["wallet", "pending", "--dir", s(&carol)]).contains("nothing pending"));
            let deposited = ok(&["wallet", "deposit", "--dir", s(&carol)]);
            assert!(
                deposited.contains("deposited: 700 done") && deposited.contains("account balance 5000"),
                "{deposited}"
            );
            assert_eq!(balance(&carol), (0, 0));
            let history = ok(&["wallet", "history", "--dir", s(&carol), "--limit", "20"]);
            for kind in ["flow_started", "refreshed", "deposited"] {
                assert!(history.contains(kind), "{kind} in {history}");
            }
            ok(&["wallet", "check", "--dir", s(&carol)]);
        }
    };
    tokio::task::spawn_blocking(script).await.unwrap();
    let audit = issuer.server.issuer.audit().unwrap();
    assert!(audit.balanced && audit.accounts_balanced, "{audit:?}");
    issuer.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&root);
}
