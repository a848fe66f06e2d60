//! Store benchmarks: committing a payment with real durability settings on a file, and the
//! read paths of a large wallet (100,000 log entries, 10,000 notes).
//!
//! `cargo bench -p offline-cash-core --bench store`
//! `OC_FSYNC_PROBE=1 strace -f -c -e trace=fsync,fdatasync target/release/deps/store-<hash>`
//! counts the fsyncs of exactly 100 `begin_spend` + 100 `complete_spend` commits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group};
use offline_cash_core::crypto::Suite;
use offline_cash_core::store::testing::{NOW, StoreWallet, TempDir, pad_history};
use offline_cash_core::store::{HistoryCursor, HistoryFilter, Store};
use offline_cash_core::testkit::TestIssuer;
use offline_cash_core::token::Chain;

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(10)
}

/// A wallet on disk (not tmpfs) funded with `notes` notes of assorted amounts.
fn wallet_on_disk(issuer: &TestIssuer, dir: &TempDir, notes: usize) -> StoreWallet {
    let store = Store::open(dir.join("wallet.db")).unwrap();
    let mut w = StoreWallet::provision(issuer, store).unwrap();
    for batch in 0..notes.div_ceil(1_000) {
        let chains: Vec<Chain> = (0..1_000.min(notes - batch * 1_000))
            .map(|i| Chain::genesis(issuer.issue(w.id(), 1 + ((batch * 1_000 + i) as u64 * 7919) % 5_000).unwrap()))
            .collect();
        w.store.fund(&chains, NOW).unwrap();
    }
    w
}

fn commit_payment(c: &mut Criterion) {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let dir = TempDir::new_in(&std::env::current_dir().unwrap(), "bench-commit").unwrap();
    let payer = std::cell::RefCell::new(wallet_on_disk(&issuer, &dir, 20_000));
    let payee = StoreWallet::provision(&issuer, Store::open_in_memory().unwrap()).unwrap();
    c.bench_function("store/commit_payment (begin_spend, file, synchronous=FULL)", |b| {
        b.iter_batched(
            || {
                let mut payer = payer.borrow_mut();
                payer.store.mark_synced(NOW).unwrap();
                payer.prepare_payment(payee.id(), 1_234, NOW).unwrap().0
            },
            |spend| payer.borrow_mut().store.begin_spend(&spend).unwrap(),
            BatchSize::PerIteration,
        )
    });
}

fn large_wallet(c: &mut Criterion) {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let dir = TempDir::new_in(&std::env::current_dir().unwrap(), "bench-large").unwrap();
    let mut w = wallet_on_disk(&issuer, &dir, 10_000);
    pad_history(&mut w.store, 100_000 - 10, NOW).unwrap();
    assert_eq!(w.store.sync_state().unwrap().log_len, 100_000);
    drop(w);
    let path = dir.join("wallet.db");

    c.bench_function("store/open (100k log entries, 10k notes)", |b| b.iter(|| Store::open(&path).unwrap()));
    let store = Store::open(&path).unwrap();
    c.bench_function("store/balance", |b| b.iter(|| store.balance().unwrap()));
    c.bench_function("store/history page of 50 (newest)", |b| {
        b.iter(|| store.history(HistoryFilter::All, None, 50).unwrap())
    });
    let middle = Some(HistoryCursor { at: NOW + 60 * 50_000, seq: 50_000 });
    c.bench_function("store/history page of 50 (middle, by time range)", |b| {
        b.iter(|| store.history(HistoryFilter::TimeRange { from: NOW, to: NOW + 60 * 100_000 }, middle, 50).unwrap())
    });
    let peer = store.history(HistoryFilter::All, None, 1).unwrap().entries[0].counterparty.unwrap();
    c.bench_function("store/history page of 50 (by counterparty)", |b| {
        b.iter(|| store.history(HistoryFilter::Counterparty(peer), middle, 50).unwrap())
    });
    c.bench_function("store/select_coins (one note, split)", |b| b.iter(|| store.select_coins(4_321, NOW).unwrap()));
    c.bench_function("store/select_coins (several notes)", |b| b.iter(|| store.select_coins(24_000, NOW).unwrap()));
}

/// 100 payments (begin + complete = 200 commits) between two markers, for strace.
fn fsync_probe() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let dir = TempDir::new_in(&std::env::current_dir().unwrap(), "fsync-probe").unwrap();
    let mut payer = wallet_on_disk(&issuer, &dir, 200);
    let payee = StoreWallet::provision(&issuer, Store::open_in_memory().unwrap()).unwrap();
    eprintln!("probe: setup done");
    let spends: Vec<_> = (0..100)
        .map(|i| {
            let spend = payer.prepare_payment(payee.id(), 1 + i, NOW).unwrap().0;
            // Prepared one by one against the real state: commit right away.
            payer.store.begin_spend(&spend).unwrap();
            spend
        })
        .collect();
    eprintln!("probe: 100 begin_spend committed");
    for s in &spends {
        let _ = payer.store.complete_spend(&s.payment_hash, b"receipt", NOW).unwrap();
    }
    eprintln!("probe: 100 complete_spend committed");
}

criterion_group! { name = benches; config = config(); targets = commit_payment, large_wallet }

fn main() {
    if std::env::var_os("OC_FSYNC_PROBE").is_some() {
        fsync_probe();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
