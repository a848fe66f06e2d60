//! Crash consistency: a child process runs a scripted sequence of payments between two wallets
//! on disk and is killed with SIGKILL at the N-th crash point inside the store (the
//! `test-support` hook `OFFLINE_CASH_CRASH_AT=N`), for every N. The parent then reopens both
//! databases and checks, against an oracle computed from the script alone:
//!
//! - each wallet's log is a prefix of the events the script produces for it, and its balance
//!   equals the balance that prefix implies (value conserved, nothing half-written);
//! - `verify_log()` and `check_consistency()` pass; spend counters strictly increase;
//! - every payment the payee holds is pending or complete at the payer (the payer commits
//!   first); after the crash the payer can complete each pending spend the payee received.
//!
//! SIGKILL loses no data the kernel already has: this tests atomicity and ordering at every
//! statement boundary, not power loss (that is `synchronous = FULL`'s job, see
//! docs/decisions/0002-store-durability.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use offline_cash_core::crypto::Suite;
use offline_cash_core::store::testing::{NOW, StoreWallet, TempDir};
use offline_cash_core::store::{LogKind, Received, Store};
use offline_cash_core::testkit::TestIssuer;

const CHILD_ENV: &str = "OFFLINE_CASH_CRASH_CHILD";

#[derive(Debug, Clone, Copy)]
enum Who {
    Alice,
    Bob,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Fund(Who, &'static [u64]),
    /// from, amount, whether the receipt reaches the payer.
    Pay(Who, u64, bool),
}

fn script() -> Vec<Step> {
    use Step::*;
    use Who::*;
    vec![
        Fund(Alice, &[5_000, 3_000, 2_000]),
        Fund(Bob, &[1_000]),
        Pay(Alice, 700, true),
        Pay(Alice, 5_000, true),
        Pay(Bob, 1_200, true),
        Pay(Alice, 250, false),
        Pay(Bob, 3_000, true),
        Pay(Alice, 1_999, true),
        Pay(Bob, 10, false),
        Pay(Alice, 2_001, true),
        Pay(Bob, 4_500, true),
        Pay(Alice, 90, true),
        Pay(Alice, 3_300, true),
        Pay(Bob, 777, true),
        Pay(Alice, 1, true),
        Pay(Bob, 2_500, false),
        Pay(Alice, 600, true),
        Pay(Bob, 1_234, true),
    ]
}

/// The (kind, amount) entries each wallet's log must hold after the whole script.
type Events = Vec<(LogKind, u64)>;

fn expected_logs() -> (Events, Events) {
    let (mut alice, mut bob) = (Vec::new(), Vec::new());
    for step in script() {
        match step {
            Step::Fund(who, amounts) => {
                let log = if matches!(who, Who::Alice) { &mut alice } else { &mut bob };
                log.push((LogKind::Fund, amounts.iter().sum()));
            }
            Step::Pay(from, amount, complete) => {
                let (payer, payee) =
                    if matches!(from, Who::Alice) { (&mut alice, &mut bob) } else { (&mut bob, &mut alice) };
                payer.push((LogKind::Spend, amount));
                payee.push((LogKind::Receive, amount));
                if complete {
                    payer.push((LogKind::SpendComplete, amount));
                }
            }
        }
    }
    (alice, bob)
}

/// Child mode: runs the script on `$OFFLINE_CASH_CRASH_CHILD/{alice,bob}.db`. Does nothing
/// in a normal test run.
#[test]
fn child_workload() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let dir = PathBuf::from(dir);
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let mut alice = StoreWallet::provision(&issuer, Store::open(dir.join("alice.db")).unwrap()).unwrap();
    let mut bob = StoreWallet::provision(&issuer, Store::open(dir.join("bob.db")).unwrap()).unwrap();
    println!("PROVISIONED");
    for step in script() {
        match step {
            Step::Fund(Who::Alice, amounts) => drop(alice.fund(&issuer, amounts, NOW).unwrap()),
            Step::Fund(Who::Bob, amounts) => drop(bob.fund(&issuer, amounts, NOW).unwrap()),
            Step::Pay(from, amount, complete) => {
                let (payer, payee) = match from {
                    Who::Alice => (&mut alice, &mut bob),
                    Who::Bob => (&mut bob, &mut alice),
                };
                let (spend, incoming) = payer.prepare_payment(payee.id(), amount, NOW).unwrap();
                payer.store.begin_spend(&spend).unwrap();
                assert_eq!(payee.store.receive(&incoming).unwrap(), Received::New);
                if complete {
                    let _ = payer.store.complete_spend(&spend.payment_hash, &incoming.receipt_bytes, NOW).unwrap();
                }
            }
        }
    }
    println!("DONE {}", offline_cash_core::store::crash_points_passed());
}

enum Outcome {
    Crashed(String),
    Done(u64),
    NotProvisioned,
}

fn run_child(dir: &Path, crash_at: u64) -> Outcome {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_workload", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .env("OFFLINE_CASH_CRASH_AT", crash_at.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut provisioned = false;
    let mut outcome = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        // libtest may print "test child_workload ... " on the same line as our markers.
        if line.ends_with("PROVISIONED") {
            provisioned = true;
        } else if let Some((_, point)) = line.split_once("CRASH_POINT ") {
            // The child is blocked inside the store: kill it for real (SIGKILL).
            child.kill().unwrap();
            outcome = Some(Outcome::Crashed(point.to_owned()));
            break;
        } else if let Some((_, n)) = line.split_once("DONE ") {
            outcome = Some(Outcome::Done(n.parse().unwrap()));
        }
    }
    child.wait().unwrap();
    match outcome {
        Some(Outcome::Crashed(_)) if !provisioned => Outcome::NotProvisioned,
        Some(o) => o,
        None => panic!("child neither crashed nor finished (crash point {crash_at})"),
    }
}

/// Checks one wallet after a crash against its expected log; returns the payment hashes it
/// received and those it has pending.
fn check_wallet(path: &Path, expected: &[(LogKind, u64)], context: &str) -> (Vec<[u8; 32]>, Vec<[u8; 32]>) {
    let store = Store::open(path).unwrap_or_else(|e| panic!("{context}: reopen failed: {e}"));
    store.verify_log().unwrap_or_else(|e| panic!("{context}: {e}"));
    store.check_consistency().unwrap_or_else(|e| panic!("{context}: {e}"));
    let page = store.history(offline_cash_core::store::HistoryFilter::All, None, 1_000).unwrap();
    let mut entries = page.entries;
    entries.reverse();
    let actual: Vec<(LogKind, u64)> = entries.iter().map(|e| (e.kind, e.amount)).collect();
    assert!(actual.len() <= expected.len() && actual[..] == expected[..actual.len()], "{context}: log {actual:?}");

    // The balance the committed prefix implies, computed without the store.
    let (mut spendable, mut pending) = (0u64, 0u64);
    for (kind, amount) in &actual {
        match kind {
            LogKind::Fund | LogKind::Receive => spendable += amount,
            LogKind::Spend => {
                spendable -= amount;
                pending += amount;
            }
            LogKind::SpendComplete => pending -= amount,
            _ => unreachable!(),
        }
    }
    let b = store.balance().unwrap();
    assert_eq!((b.spendable, b.pending), (spendable, pending), "{context}: balance");

    // Counters strictly increase, one per spend.
    let raw = rusqlite::Connection::open(path).unwrap();
    let counters: Vec<u64> = raw
        .prepare("SELECT counter FROM spends ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(counters.windows(2).all(|w| w[0] < w[1]), "{context}: counters {counters:?}");
    let spends = actual.iter().filter(|(k, _)| *k == LogKind::Spend).count() as u64;
    assert_eq!(store.sync_state().unwrap().counter, counters.last().copied().unwrap_or(0), "{context}");
    assert_eq!(counters.len() as u64, spends, "{context}: one stored spend per log entry");

    let received = entries.iter().filter(|e| e.kind == LogKind::Receive).map(|e| e.reference).collect();
    let pending = store.pending_spends().unwrap().into_iter().map(|s| s.payment_hash).collect();
    (received, pending)
}

#[test]
fn every_crash_point_leaves_both_wallets_consistent() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let (alice_log, bob_log) = expected_logs();
    // A dry run counts the crash points the script passes.
    let dir = TempDir::new("crash-count").unwrap();
    let Outcome::Done(total) = run_child(dir.path(), 0) else { panic!("dry run crashed") };
    check_wallet(&dir.join("alice.db"), &alice_log, "complete run");
    assert!(total > 100, "only {total} crash points");

    // SIGKILL keeps the page cache, so fsync plays no part here: use a RAM file system when
    // there is one, to keep hundreds of runs fast.
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() };
    let mut crashed = 0;
    for n in 1..=total {
        let dir = TempDir::new_in(&base, "crash").unwrap();
        match run_child(dir.path(), n) {
            Outcome::Done(_) => panic!("crash point {n} of {total} was never reached"),
            Outcome::NotProvisioned => continue, // setup itself was interrupted: nothing to check
            Outcome::Crashed(point) => {
                crashed += 1;
                let context = format!("crash at {point}");
                let (alice_path, bob_path) = (dir.join("alice.db"), dir.join("bob.db"));
                let (alice_received, alice_pending) = check_wallet(&alice_path, &alice_log, &context);
                let (bob_received, bob_pending) = check_wallet(&bob_path, &bob_log, &context);
                // Recovery: the payer completes every pending spend the payee received (its
                // retry is answered with the stored receipt); the rest stay pending.
                for (payer_path, pending, payee_received) in
                    [(&alice_path, alice_pending, &bob_received), (&bob_path, bob_pending, &alice_received)]
                {
                    let mut store = Store::open(payer_path).unwrap();
                    for hash in pending {
                        if payee_received.contains(&hash) {
                            let _ = store.complete_spend(&hash, b"receipt", NOW).unwrap();
                        }
                    }
                    store.check_consistency().unwrap_or_else(|e| panic!("{context}: after recovery: {e}"));
                }
                // The payer always committed first: every payment received is known to its payer.
                let alice_spends = spend_hashes(&alice_path);
                let bob_spends = spend_hashes(&bob_path);
                assert!(
                    bob_received.iter().all(|h| alice_spends.contains(h)),
                    "{context}: Bob holds an unknown payment"
                );
                assert!(
                    alice_received.iter().all(|h| bob_spends.contains(h)),
                    "{context}: Alice holds an unknown payment"
                );
            }
        }
    }
    assert!(crashed >= 100, "only {crashed} crashes checked");
    println!("{crashed} crash points checked out of {total}");
}

fn spend_hashes(path: &Path) -> Vec<[u8; 32]> {
    let raw = rusqlite::Connection::open(path).unwrap();
    raw.prepare("SELECT payment_hash FROM spends")
        .unwrap()
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|h| h.unwrap().try_into().unwrap())
        .collect()
}
