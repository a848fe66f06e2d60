//! Payments end to end over the QR channel, as a script would run them: the `offline-cash`
//! binary as child processes against an issuer served in-process. Every request, payment and
//! receipt goes through `qr show` (PNG files written with `qrcode` + `png`) and `qr scan` (the
//! PNGs decoded by a real QR decoder, `rqrr`), with codes dropped and reordered on the way.
//! ML-DSA-44 wallets move their frames as animated, fountain-coded parts, except a compact
//! request (`offlinecash:C…`, to a payer that met the payee), which is one code at level L; a
//! P-256 request is one code holding its `offlinecash:` URI, also paid straight from the URI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
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

fn balance(dir: &Path) -> (u64, u64) {
    let out = ok(&["wallet", "balance", "--dir", s(dir)]);
    let field = |name: &str| -> u64 { out.lines().find_map(|l| l.strip_prefix(name)).unwrap().trim().parse().unwrap() };
    (field("spendable"), field("pending"))
}

fn temp(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oc-cli-qr-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn pngs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

/// Shows `frame` as QR PNGs, loses every `drop_every`-th code, scans the rest in reverse
/// order, and checks the frame comes back byte for byte. Returns the number of PNGs shown.
///
/// Signatures are randomized, so every run cuts different bytes into parts, and which mixed
/// parts make up for the lost ones changes with them: now and then the codes left from the
/// first loop are one independent part short. A phone's display loops on (new mixed parts)
/// and its scanner keeps reading; so does this, once, with a loop twice as long, and the
/// frame must then come back.
fn through_qr(root: &Path, name: &str, drop_every: usize) -> (PathBuf, usize) {
    let frame = root.join(format!("{name}.bin"));
    let dir = root.join(format!("{name}-png"));
    ok(&["qr", "show", "--in", s(&frame), "--png-dir", s(&dir)]);
    let shown = pngs(&dir);
    let back = root.join(format!("{name}-scanned.bin"));
    let out = scan_losing(&shown, drop_every, &back);
    let out = if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("not enough codes") {
        let longer = root.join(format!("{name}-png-loop"));
        let parts = (2 * shown.len()).to_string();
        ok(&["qr", "show", "--in", s(&frame), "--png-dir", s(&longer), "--parts", &parts]);
        scan_losing(&pngs(&longer), drop_every, &back)
    } else {
        out
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("rebuilt"), "{name}: {out:?}");
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&frame).unwrap(), "{name} rebuilt byte for byte");
    (back, shown.len())
}

/// Scans `shown` in reverse order without every `drop_every`-th code (none if 0) into `back`.
fn scan_losing(shown: &[PathBuf], drop_every: usize, back: &Path) -> Output {
    let mut scanned: Vec<&PathBuf> = shown
        .iter()
        .enumerate()
        .filter(|(i, _)| drop_every == 0 || (i + 1) % drop_every != 0)
        .map(|(_, p)| p)
        .collect();
    scanned.reverse();
    let mut args = vec!["qr", "scan", "--out", s(back)];
    args.extend(scanned.iter().map(|p| s(p)));
    cli(&args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_over_qr_pngs_with_codes_lost_and_reordered() {
    let issuer = EmbeddedIssuer::start(|_| {}).await.unwrap();
    let url = issuer.url();
    let root = temp("flow");
    let script = {
        let root = root.clone();
        move || {
            let file = |n: &str| root.join(n);
            let mut dirs = Vec::new();
            for (name, suite) in [("alice", "ml-dsa-44"), ("bob", "ml-dsa-44"), ("carol", "p256"), ("dave", "p256")] {
                let dir = root.join(name);
                ok(&["wallet", "create", "--dir", s(&dir), "--suite", suite]);
                let cred = ok(&[
                    "issuer",
                    "account",
                    "--issuer",
                    &url,
                    "--admin-token",
                    ADMIN_TOKEN,
                    "--name",
                    name,
                    "--balance",
                    "5000",
                ]);
                ok(&["wallet", "register", "--dir", s(&dir), "--issuer", &url, "--credential", cred.trim()]);
                dirs.push(dir);
            }
            let [alice, bob, carol, dave] = [&dirs[0], &dirs[1], &dirs[2], &dirs[3]];
            ok(&["wallet", "fund", "--dir", s(alice), "--amount", "1000"]);
            ok(&["wallet", "fund", "--dir", s(dave), "--amount", "1000"]);

            // Post-quantum: every frame is an animated code; a quarter of the codes lost.
            ok(&["wallet", "request", "--dir", s(bob), "--amount", "300", "--out", s(&file("req.bin"))]);
            let (req, shown) = through_qr(&root, "req", 4);
            assert!(shown > 1, "an ML-DSA-44 request does not fit one code");
            ok(&["wallet", "pay", "--dir", s(alice), "--request", s(&req), "--out", s(&file("pay.bin"))]);
            let (pay, shown) = through_qr(&root, "pay", 4);
            assert!(shown >= 20, "a PQ payment is many codes ({shown})");
            ok(&["wallet", "accept", "--dir", s(bob), "--payment", s(&pay), "--out", s(&file("rec.bin"))]);
            let (rec, _) = through_qr(&root, "rec", 3);
            ok(&["wallet", "complete", "--dir", s(alice), "--receipt", s(&rec)]);
            assert_eq!(balance(alice), (700, 0));
            assert_eq!(balance(bob), (300, 0));

            // Post-quantum, compact: alice met bob, so bob's next request names his certificate
            // by id, and that fits one code (level L), read back by rqrr and paid.
            let out = ok(&[
                "wallet",
                "request",
                "--dir",
                s(bob),
                "--amount",
                "50",
                "--out",
                s(&file("creq.bin")),
                "--compact",
                "--uri",
            ]);
            let curi = out.lines().find(|l| l.starts_with("offlinecash:C")).unwrap().to_owned();
            assert!(curi.len() <= 4_296, "{} characters", curi.len());
            let (creq, shown) = through_qr(&root, "creq", 0);
            assert_eq!(shown, 1, "an ML-DSA-44 compact request is one code");
            let shown = ok(&["qr", "show", "--in", s(&creq)]);
            assert!(shown.contains("one code (compact request URI)") && shown.contains("level L"), "{shown}");
            ok(&["wallet", "pay", "--dir", s(alice), "--request", s(&creq), "--out", s(&file("cpay.bin"))]);
            let (cpay, _) = through_qr(&root, "cpay", 4);
            ok(&["wallet", "accept", "--dir", s(bob), "--payment", s(&cpay), "--out", s(&file("crec.bin"))]);
            let (crec, _) = through_qr(&root, "crec", 0);
            ok(&["wallet", "complete", "--dir", s(alice), "--receipt", s(&crec)]);
            assert_eq!(balance(alice), (650, 0));
            assert_eq!(balance(bob), (350, 0));
            // Its URI again (as a link): paid once.
            let again =
                cli(&["wallet", "pay", "--dir", s(alice), "--request-uri", &curi, "--out", s(&file("cp2.bin"))]);
            assert!(!again.status.success());

            // P-256: the request is one code holding its URI.
            let out = ok(&[
                "wallet",
                "request",
                "--dir",
                s(carol),
                "--amount",
                "120",
                "--out",
                s(&file("req2.bin")),
                "--uri",
            ]);
            let uri = out.lines().find(|l| l.starts_with("offlinecash:R")).unwrap().to_owned();
            let (req2, shown) = through_qr(&root, "req2", 0);
            assert_eq!(shown, 1, "a P-256 request URI is one code");
            let shown = ok(&["qr", "show", "--in", s(&req2), "--terminal"]);
            assert!(shown.contains("one code (request URI)") && shown.contains('█'), "{shown}");
            // Paid from the URI (as a link or a scanned code's text); the payment goes back as QR.
            ok(&["wallet", "pay", "--dir", s(dave), "--request-uri", &uri, "--out", s(&file("pay2.bin"))]);
            let (pay2, _) = through_qr(&root, "pay2", 0);
            ok(&["wallet", "accept", "--dir", s(carol), "--payment", s(&pay2), "--out", s(&file("rec2.bin"))]);
            let (rec2, _) = through_qr(&root, "rec2", 0);
            ok(&["wallet", "complete", "--dir", s(dave), "--receipt", s(&rec2)]);
            assert_eq!(balance(dave), (880, 0));
            assert_eq!(balance(carol), (120, 0));
            // The URI again: paid once.
            let again = cli(&["wallet", "pay", "--dir", s(dave), "--request-uri", &uri, "--out", s(&file("p3.bin"))]);
            assert!(!again.status.success());
            // Too few codes: an error that says how many are missing, not a panic.
            let few = pngs(&root.join("pay-png"));
            let few_out = root.join("few.bin");
            let mut args = vec!["qr", "scan", "--out", s(&few_out)];
            args.extend(few.iter().take(5).map(|p| s(p)));
            let out = cli(&args);
            assert!(
                !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("not enough codes"),
                "{out:?}"
            );
            // A URI that is not ours, or damaged: a typed error.
            let bad = cli(&[
                "wallet",
                "pay",
                "--dir",
                s(dave),
                "--request-uri",
                "offlinecash:R0189",
                "--out",
                s(&file("p4.bin")),
            ]);
            assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("malformed"), "{bad:?}");
            assert_eq!(balance(dave), (880, 0));
            // A compact request from a payee dave never met: refused, "scan the full code".
            let out = ok(&[
                "wallet",
                "request",
                "--dir",
                s(alice),
                "--amount",
                "5",
                "--out",
                s(&file("creq2.bin")),
                "--compact",
            ]);
            assert!(out.contains("compact request"), "{out}");
            let stranger = cli(&[
                "wallet",
                "pay",
                "--dir",
                s(dave),
                "--request",
                s(&file("creq2.bin")),
                "--out",
                s(&file("p5.bin")),
            ]);
            let err = String::from_utf8_lossy(&stranger.stderr);
            assert!(!stranger.status.success() && err.contains("full code"), "{stranger:?}");
            assert_eq!(balance(dave), (880, 0));
        }
    };
    tokio::task::spawn_blocking(script).await.unwrap();
    issuer.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&root);
}
