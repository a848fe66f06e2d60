//! Crash consistency of the persisted flows (refresh, deposit, a refused flow): a child process
//! runs them on a wallet on disk and is killed with SIGKILL at the N-th crash point inside the
//! store, for every N (the harness of `store_crash.rs`). The parent reopens the database and
//! checks that its log is a prefix of the script's events, that the balance (spendable and in
//! flows) is what that prefix implies, that the store's own checks pass, and that every flow
//! left open finishes after the crash with the value counted once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use offline_cash_core::crypto::Suite;
use offline_cash_core::store::testing::{NOW, StoreWallet, TempDir};
use offline_cash_core::store::{FlowKind, FlowRequest, LogKind, Store};
use offline_cash_core::testkit::TestIssuer;
use offline_cash_core::token::{Chain, NoteId, WalletId};

const CHILD_ENV: &str = "OFFLINE_CASH_CRASH_FLOWS_CHILD";

fn expected_log() -> Vec<(LogKind, u64)> {
    vec![
        (LogKind::Fund, 10_000),
        (LogKind::FlowStarted, 5_000),
        (LogKind::Refreshed, 5_000),
        (LogKind::FlowStarted, 5_000),
        (LogKind::Deposited, 5_000),
        (LogKind::FlowStarted, 5_000),
        (LogKind::FlowFailed, 5_000),
        (LogKind::ExpiredReturned, 5_000),
    ]
}

fn note_of(store: &Store, amount: u64, skip: &[NoteId]) -> NoteId {
    store.unspent_notes().unwrap().iter().find(|n| n.amount == amount && !skip.contains(&n.id)).unwrap().id
}

fn fresh(issuer: &TestIssuer, owner: WalletId, amounts: &[Vec<u64>]) -> Vec<Chain> {
    amounts.iter().flatten().map(|a| Chain::genesis(issuer.issue(owner, *a).unwrap())).collect()
}

const REQUEST: FlowRequest = FlowRequest { counter: 0, log_head: [7; 32], log_len: 2, revocation_sequence: None };

/// Child mode: runs the flows on `$OFFLINE_CASH_CRASH_FLOWS_CHILD/alice.db`. Does nothing in a
/// normal test run.
#[test]
fn child_workload() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let dir = PathBuf::from(dir);
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let mut alice = StoreWallet::provision(&issuer, Store::open(dir.join("alice.db")).unwrap()).unwrap();
    println!("PROVISIONED");
    alice.fund(&issuer, &[5_000, 3_000, 2_000], NOW).unwrap();
    let me = alice.id();
    let store = &mut alice.store;
    // 1. Refresh 3,000 + 2,000 into one 5,000.
    let notes = [note_of(store, 3_000, &[]), note_of(store, 2_000, &[])];
    let id = store.begin_flow(FlowKind::Refresh, &[1; 16], &notes, &[vec![5_000]], NOW).unwrap();
    store.fix_flow_request(id, REQUEST).unwrap();
    store.finish_refresh(id, &fresh(&issuer, me, &[vec![5_000]]), &[], None, NOW).unwrap();
    // 2. Deposit the funded 5,000.
    let funded = store.unspent_notes().unwrap().into_iter().find(|n| n.depth == 0 && n.amount == 5_000).unwrap();
    let refreshed = note_of(store, 5_000, &[funded.id]);
    let id = store.begin_flow(FlowKind::Deposit, &[2; 16], &[funded.id], &[], NOW).unwrap();
    store.finish_deposit(id, &[], None, NOW).unwrap();
    // 3. A refresh the issuer refuses: the note is spendable again.
    let id = store.begin_flow(FlowKind::Refresh, &[3; 16], &[refreshed], &[vec![2_000, 2_000, 1_000]], NOW).unwrap();
    store.finish_refresh(id, &[], &[refreshed], Some("revoked"), NOW).unwrap();
    // 4. Everything has expired long ago: it leaves the wallet for the account.
    assert_eq!(store.retire_expired(u64::MAX, &[4; 16], NOW).unwrap(), 5_000);
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
        if line.ends_with("PROVISIONED") {
            provisioned = true;
        } else if let Some((_, point)) = line.split_once("CRASH_POINT ") {
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

/// Checks the wallet after a crash, finishes its open flows, and checks again.
fn check_and_recover(path: &Path, context: &str) {
    let expected = expected_log();
    let mut store = Store::open(path).unwrap_or_else(|e| panic!("{context}: reopen failed: {e}"));
    store.check_consistency().unwrap_or_else(|e| panic!("{context}: {e}"));
    let mut entries = store.history(offline_cash_core::store::HistoryFilter::All, None, 1_000).unwrap().entries;
    entries.reverse();
    let actual: Vec<(LogKind, u64)> = entries.iter().map(|e| (e.kind, e.amount)).collect();
    assert!(actual.len() <= expected.len() && actual[..] == expected[..actual.len()], "{context}: log {actual:?}");
    let (mut spendable, mut in_flows, mut deposited) = (0u64, 0u64, 0u64);
    for (kind, amount) in &actual {
        match kind {
            LogKind::Fund => spendable += amount,
            LogKind::FlowStarted => {
                spendable -= amount;
                in_flows += amount;
            }
            LogKind::Refreshed | LogKind::FlowFailed => {
                in_flows -= amount;
                spendable += amount;
            }
            LogKind::Deposited => {
                in_flows -= amount;
                deposited += amount;
            }
            LogKind::ExpiredReturned => {
                spendable -= amount;
                deposited += amount;
            }
            _ => unreachable!(),
        }
    }
    let b = store.balance().unwrap();
    assert_eq!((b.spendable, b.refreshing + b.depositing), (spendable, in_flows), "{context}: balance");
    assert_eq!(b.total, spendable + in_flows, "{context}: total");

    // Recovery: the open flow (at most one) finishes as the issuer would answer it (with
    // serials past those the child's issuer used).
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    for _ in 0..100 {
        issuer.issue(WalletId([0; 32]), 1).unwrap();
    }
    let me = offline_cash_core::token::wallet_id(&store.identity().unwrap().unwrap().public_key);
    let open = store.open_flows().unwrap();
    assert!(open.len() <= 1, "{context}: {open:?}");
    for flow in open {
        match flow.kind {
            FlowKind::Refresh => {
                store.finish_refresh(flow.id, &fresh(&issuer, me, &flow.amounts), &[], None, NOW).unwrap()
            }
            FlowKind::Deposit => {
                store.finish_deposit(flow.id, &[], None, NOW).unwrap();
                deposited += flow.amount;
            }
        }
        // A flow finishes once.
        assert!(store.finish_deposit(flow.id, &[], None, NOW).is_err(), "{context}");
    }
    store.check_consistency().unwrap_or_else(|e| panic!("{context}: after recovery: {e}"));
    let b = store.balance().unwrap();
    if !actual.is_empty() {
        assert_eq!((b.total, b.refreshing + b.depositing), (10_000 - deposited, 0), "{context}: after recovery");
    }
}

#[test]
fn every_crash_point_in_a_flow_leaves_the_wallet_consistent_and_resumable() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = TempDir::new("crash-flows-count").unwrap();
    let Outcome::Done(total) = run_child(dir.path(), 0) else { panic!("dry run crashed") };
    check_and_recover(&dir.join("alice.db"), "complete run");
    assert!(total > 20, "only {total} crash points");
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() };
    let mut crashed = 0;
    for n in 1..=total {
        let dir = TempDir::new_in(&base, "crash-flows").unwrap();
        match run_child(dir.path(), n) {
            Outcome::Done(_) => panic!("crash point {n} of {total} was never reached"),
            Outcome::NotProvisioned => continue,
            Outcome::Crashed(point) => {
                crashed += 1;
                check_and_recover(&dir.join("alice.db"), &format!("crash {n} at {point}"));
            }
        }
    }
    assert!(crashed > 20, "only {crashed} crashes checked");
}
