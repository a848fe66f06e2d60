//! Behaviour of the wallet store: payments, idempotence, durability across reopen, limits,
//! coin selection, the tamper-evident log, history paging, and refusal of bad files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::crypto::Suite;
use offline_cash_core::policy::LimitError;
use offline_cash_core::store::testing::{NOW, StoreWallet, TempDir};
use offline_cash_core::store::{
    Completed, HistoryFilter, LogKind, OutboxKind, Received, SettlementResult, SpendState, Store, StoreError,
};
use offline_cash_core::testkit::{T0, TestIssuer, TestWallet};
use offline_cash_core::token::{Policy, PolicyBody, WalletCertificate};

fn issuer() -> TestIssuer {
    TestIssuer::new(Suite::EcdsaP256).unwrap()
}

fn wallet(issuer: &TestIssuer) -> StoreWallet {
    StoreWallet::provision(issuer, Store::open_in_memory().unwrap()).unwrap()
}

fn assert_conserved(w: &StoreWallet) {
    w.store.check_consistency().unwrap();
    w.store.verify_log().unwrap();
}

#[test]
fn payment_moves_value_and_received_notes_are_spendable_at_once() {
    let issuer = issuer();
    let mut alice = wallet(&issuer);
    let mut bob = wallet(&issuer);
    let mut carol = wallet(&issuer);
    alice.fund(&issuer, &[1_000, 500], NOW).unwrap();
    assert_eq!(alice.store.balance().unwrap().spendable, 1_500);

    alice.pay(&mut bob, 700, NOW).unwrap();
    let a = alice.store.balance().unwrap();
    assert_eq!((a.spendable, a.pending, a.total), (800, 0, 800));
    assert_eq!(bob.store.balance().unwrap().spendable, 700);

    // Consecutive offline payment: Bob spends what he just received.
    bob.pay(&mut carol, 650, NOW + 1).unwrap();
    assert_eq!(bob.store.balance().unwrap().spendable, 50);
    assert_eq!(carol.store.balance().unwrap().spendable, 650);
    let depth = carol.store.unspent_notes().unwrap().iter().map(|n| n.depth).max().unwrap();
    assert_eq!(depth, 2, "Carol's note carries both links");
    for w in [&alice, &bob, &carol] {
        assert_conserved(w);
    }
}

#[test]
fn an_in_memory_store_with_small_pages_uses_them_and_still_pays() {
    let issuer = issuer();
    assert_eq!(Store::open_in_memory().unwrap().page_size().unwrap(), 4_096, "the default is unchanged");
    let small = Store::open_in_memory_with_page_size(1_024).unwrap();
    assert_eq!(small.page_size().unwrap(), 1_024);
    let mut alice = StoreWallet::provision(&issuer, small).unwrap();
    let mut bob = StoreWallet::provision(&issuer, Store::open_in_memory_with_page_size(512).unwrap()).unwrap();
    alice.fund(&issuer, &[1_000, 500], NOW).unwrap();
    alice.pay(&mut bob, 700, NOW).unwrap();
    assert_eq!(bob.store.balance().unwrap().spendable, 700);
    assert_eq!(bob.store.page_size().unwrap(), 512);
    assert_conserved(&alice);
    assert_conserved(&bob);
    for bad in [0, 256, 1_000, 131_072] {
        assert!(
            matches!(Store::open_in_memory_with_page_size(bad), Err(StoreError::OutOfRange { field: "page_size" })),
            "page size {bad} must be refused"
        );
    }
}

#[test]
fn pending_spend_survives_reopen_and_keeps_its_exact_bytes() {
    let issuer = issuer();
    let dir = TempDir::new("store-reopen").unwrap();
    let path = dir.join("wallet.db");
    let mut alice = StoreWallet::provision(&issuer, Store::open(&path).unwrap()).unwrap();
    let bob = wallet(&issuer);
    alice.fund(&issuer, &[1_000], NOW).unwrap();
    let (spend, _incoming) = alice.prepare_payment(bob.id(), 300, NOW).unwrap();
    alice.store.begin_spend(&spend).unwrap();
    drop(alice);

    let mut store = Store::open(&path).unwrap();
    let b = store.balance().unwrap();
    assert_eq!((b.spendable, b.pending), (700, 300));
    let pending = store.pending_spends().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].payment_bytes, spend.payment_bytes);
    assert_eq!(pending[0].state, SpendState::Pending);
    // The spent note is never spendable again: only the change is left.
    assert!(matches!(
        store.select_coins(701, NOW),
        Err(StoreError::InsufficientFunds { needed: 701, available: 700, .. })
    ));
    assert!(matches!(store.begin_spend(&spend), Err(StoreError::DuplicateSpend { .. })));

    assert_eq!(store.complete_spend(&spend.payment_hash, b"receipt", NOW).unwrap(), Completed::Now);
    assert_eq!(store.complete_spend(&spend.payment_hash, b"receipt", NOW).unwrap(), Completed::Already);
    let b = store.balance().unwrap();
    assert_eq!((b.spendable, b.pending), (700, 0));
    assert!(store.pending_spends().unwrap().is_empty());
    assert!(matches!(
        store.complete_spend(&[9; 32], b"r", NOW),
        Err(StoreError::UnknownPayment { payment_hash }) if payment_hash == [9; 32]
    ));
    store.check_consistency().unwrap();
}

#[test]
fn repeated_payment_is_answered_with_the_same_receipt_and_credited_once() {
    let issuer = issuer();
    let mut alice = wallet(&issuer);
    let mut bob = wallet(&issuer);
    alice.fund(&issuer, &[1_000], NOW).unwrap();
    let (spend, incoming) = alice.prepare_payment(bob.id(), 400, NOW).unwrap();
    alice.store.begin_spend(&spend).unwrap();
    assert_eq!(bob.store.receive(&incoming).unwrap(), Received::New);
    let mut again = incoming.clone();
    again.receipt_bytes = b"a different receipt".to_vec();
    assert_eq!(
        bob.store.receive(&again).unwrap(),
        Received::Duplicate { receipt_bytes: incoming.receipt_bytes.clone() }
    );
    assert_eq!(bob.store.balance().unwrap().spendable, 400);
    assert_conserved(&bob);
}

#[test]
fn spends_that_break_the_rules_are_refused_and_leave_nothing() {
    let issuer = issuer();
    let mut alice = wallet(&issuer);
    let bob = wallet(&issuer);
    alice.fund(&issuer, &[1_000], NOW).unwrap();
    let before = alice.store.sync_state().unwrap();

    let (mut spend, _) = alice.prepare_payment(bob.id(), 300, NOW).unwrap();
    spend.amount = 301;
    assert!(matches!(
        alice.store.begin_spend(&spend),
        Err(StoreError::ValueMismatch { inputs: 1_000, outputs: 1_001 })
    ));
    let (mut spend, _) = alice.prepare_payment(bob.id(), 300, NOW).unwrap();
    spend.counter = 0;
    assert!(matches!(alice.store.begin_spend(&spend), Err(StoreError::CounterNotIncreasing { counter: 0, last: 0 })));
    let (mut spend, _) = alice.prepare_payment(bob.id(), 300, NOW).unwrap();
    let forged_change = offline_cash_core::token::Chain::genesis(issuer.issue(alice.id(), 700).unwrap());
    spend.change = vec![forged_change.clone()];
    assert!(
        matches!(alice.store.begin_spend(&spend), Err(StoreError::BadChain { note }) if note == forged_change.head)
    );
    assert_eq!(alice.store.sync_state().unwrap(), before, "refused spends leave no trace");
    assert_eq!(alice.store.balance().unwrap().spendable, 1_000);

    let (spend, _) = alice.prepare_payment(bob.id(), 300, NOW).unwrap();
    alice.store.begin_spend(&spend).unwrap();
    // The same note again, under a new hash and counter: it is pending, not spendable.
    let mut twice = spend.clone();
    twice.payment_hash = [1; 32];
    twice.request_nonce = [7; 16];
    twice.counter += 1;
    twice.change.clear();
    twice.amount = 1_000;
    assert!(matches!(alice.store.begin_spend(&twice), Err(StoreError::NoteNotSpendable { .. })));
    assert!(alice.store.sync_state().unwrap().counter > before.counter);
    assert_conserved(&alice);
}

fn with_policy(issuer: &TestIssuer, f: impl FnOnce(&mut PolicyBody)) -> Policy {
    let mut body = issuer.policy.body().clone();
    body.sequence += 1;
    f(&mut body);
    Policy::sign(body, &issuer.signer).unwrap()
}

#[test]
fn per_payment_limit_is_the_smaller_of_policy_and_certificate() {
    let issuer = issuer();
    let mut alice = wallet(&issuer);
    let bob = wallet(&issuer);
    alice.fund(&issuer, &[100_000], NOW).unwrap();
    // Certificate: 50_000. Policy lowered to 20_000.
    alice.store.set_policy(&with_policy(&issuer, |p| p.per_payment_limit = 20_000)).unwrap();
    let (spend, _) = alice.prepare_payment(bob.id(), 20_001, NOW).unwrap();
    match alice.store.begin_spend(&spend) {
        Err(StoreError::Limit(LimitError::PerPayment { amount: 20_001, limit: 20_000, excess: 1 })) => {}
        other => panic!("expected the per-payment limit, got {other:?}"),
    }
    let (spend, _) = alice.prepare_payment(bob.id(), 20_000, NOW).unwrap();
    alice.store.begin_spend(&spend).unwrap();
}

#[test]
fn holding_limit_stops_a_payee_from_receiving_more() {
    let issuer = issuer();
    let mut alice = wallet(&issuer);
    let mut bob = wallet(&issuer);
    alice.fund(&issuer, &[40_000, 40_000], NOW).unwrap();
    bob.fund(&issuer, &[150_000], NOW).unwrap(); // holding limit is 200_000
    alice.pay(&mut bob, 40_000, NOW).unwrap();
    let (spend, incoming) = alice.prepare_payment(bob.id(), 20_000, NOW).unwrap();
    alice.store.begin_spend(&spend).unwrap();
    match bob.store.receive(&incoming) {
        Err(StoreError::Limit(LimitError::Holding { balance_after: 210_000, limit: 200_000, excess: 10_000 })) => {}
        other => panic!("expected the holding limit, got {other:?}"),
    }
    assert_eq!(bob.store.balance().unwrap().spendable, 190_000);
    assert_conserved(&bob);
}

#[test]
fn offline_payment_count_requires_a_sync() {
    let issuer = issuer();
    let mut alice = wallet(&issuer);
    let mut bob = wallet(&issuer);
    alice.store.set_policy(&with_policy(&issuer, |p| p.max_offline_payments = 2)).unwrap();
    alice.fund(&issuer, &[100, 100, 100], NOW).unwrap();
    alice.pay(&mut bob, 100, NOW).unwrap();
    alice.pay(&mut bob, 100, NOW).unwrap();
    let (spend, _) = alice.prepare_payment(bob.id(), 100, NOW).unwrap();
    match alice.store.begin_spend(&spend) {
        Err(StoreError::Limit(LimitError::OfflinePayments { made: 2, max: 2, excess: 1 })) => {}
        other => panic!("expected the offline payment count, got {other:?}"),
    }
    alice.store.mark_synced(NOW + 10).unwrap();
    assert_eq!(alice.store.offline_payments_since_sync().unwrap(), 0);
    alice.store.begin_spend(&spend).unwrap();
}

#[test]
fn expired_certificate_means_sync_before_paying() {
    let issuer = issuer();
    let mut alice = wallet(&issuer);
    let bob = wallet(&issuer);
    alice.fund(&issuer, &[100], NOW).unwrap();
    let not_after = alice.wallet.cert.body().not_after;
    let (spend, _) = alice.prepare_payment(bob.id(), 50, not_after + 5).unwrap();
    match alice.store.begin_spend(&spend) {
        Err(StoreError::Limit(LimitError::CertificateExpired { overdue: 5, .. })) => {}
        other => panic!("expected an expired certificate, got {other:?}"),
    }
}

#[test]
fn unprovisioned_wallet_cannot_pay_and_foreign_certificate_is_refused() {
    let issuer = issuer();
    let mut store = Store::open_in_memory().unwrap();
    assert!(matches!(store.set_policy(&issuer.policy), Err(StoreError::NotProvisioned { missing: "identity" })));
    let alice = wallet(&issuer);
    let other = TestWallet::new(&issuer, Suite::EcdsaP256).unwrap();
    let mut alice = alice;
    assert!(matches!(alice.store.set_certificate(&other.cert), Err(StoreError::CertificateMismatch)));
    let older = Policy::sign(PolicyBody { sequence: 0, ..issuer.policy.body().clone() }, &issuer.signer).unwrap();
    assert!(matches!(
        alice.store.set_policy(&older),
        Err(StoreError::Stale { object: "policy", current: 1, offered: 0 })
    ));
    assert_eq!(alice.store.certificate().unwrap().unwrap(), alice.wallet.cert);
    assert_eq!(alice.store.policy().unwrap().unwrap(), issuer.policy);
    assert!(alice.store.trust_store().unwrap().get(1).is_some());
    assert_eq!(alice.store.identity().unwrap().unwrap().wallet_id(), alice.id());
}

#[test]
fn coin_selection_prefers_exact_then_short_chains_then_few_notes() {
    let issuer = issuer();
    let mut alice = wallet(&issuer);
    let mut bob = wallet(&issuer);
    // Bob gets a 300 note at depth 1 from Alice; he also holds a 300 note at depth 0.
    alice.fund(&issuer, &[300], NOW).unwrap();
    alice.pay(&mut bob, 300, NOW).unwrap();
    bob.fund(&issuer, &[300, 50, 20, 1_000], NOW).unwrap();

    let exact = bob.store.select_coins(300, NOW).unwrap();
    assert!(exact.split.is_none());
    assert_eq!(exact.full.len(), 1);
    assert_eq!(exact.full[0].depth, 0, "the shorter chain of two equal notes");

    let one = bob.store.select_coins(600, NOW).unwrap();
    assert!(one.full.is_empty());
    let split = one.split.unwrap();
    assert_eq!((split.note.amount, split.to_payee, split.change), (1_000, 600, 400));

    let many = bob.store.select_coins(1_320, NOW).unwrap();
    let total: u64 = many.full.iter().map(|n| n.amount).sum::<u64>() + many.split.as_ref().map_or(0, |s| s.to_payee);
    assert_eq!(total, 1_320);
    assert_eq!(many.note_ids().len(), 3, "1000 + 300 + part of 300: fewest notes");

    assert!(matches!(
        bob.store.select_coins(2_000, NOW),
        Err(StoreError::InsufficientFunds { needed: 2_000, available: 1_670, .. })
    ));
}

#[test]
fn outbox_holds_links_and_received_notes_until_settled() {
    let issuer = issuer();
    let mut alice = wallet(&issuer);
    let mut bob = wallet(&issuer);
    alice.fund(&issuer, &[1_000], NOW).unwrap();
    alice.pay(&mut bob, 250, NOW).unwrap();
    let out = alice.store.outbox(10).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, OutboxKind::Link);
    let bob_out = bob.store.outbox(10).unwrap();
    assert_eq!(bob_out.len(), 1);
    assert_eq!(bob_out[0].kind, OutboxKind::ReceivedNote);
    offline_cash_core::store::decode_chain(&bob_out[0].record).unwrap();

    let result = SettlementResult { outbox_id: out[0].id, status: "accepted".into(), detail: vec![1, 2] };
    assert_eq!(alice.store.record_settlement(std::slice::from_ref(&result), NOW + 60).unwrap(), 1);
    assert_eq!(alice.store.record_settlement(std::slice::from_ref(&result), NOW + 61).unwrap(), 0, "idempotent");
    assert!(alice.store.outbox(10).unwrap().is_empty());
    assert_eq!(alice.store.settlement(out[0].id).unwrap().unwrap(), result);
}

#[test]
fn peers_are_remembered() {
    let issuer = issuer();
    let mut alice = wallet(&issuer);
    let bob = TestWallet::new(&issuer, Suite::EcdsaP256).unwrap();
    alice.store.remember_peer(&bob.cert, NOW).unwrap();
    alice.store.remember_peer(&bob.cert, NOW + 5).unwrap();
    assert_eq!(alice.store.peer_certificate(&bob.id()).unwrap().unwrap(), bob.cert);
    let all: Vec<WalletCertificate> = alice.store.peer_certificates(10).unwrap();
    assert_eq!(all.len(), 2, "Bob's certificate once, and Alice's own: {all:?}");
    assert_eq!(all[0], bob.cert, "most recently seen first");
    let revoked = issuer.revoke(vec![bob.id()]).unwrap();
    alice.store.set_revocation_list(&revoked).unwrap();
    assert_eq!(alice.store.revocation_list().unwrap().unwrap(), revoked);
}

/// A renewal adds to the history instead of replacing: links signed under the older
/// certificate must still find it.
#[test]
fn every_certificate_of_a_wallet_is_kept_own_and_peer() {
    let issuer = issuer();
    let mut alice = wallet(&issuer);
    let bob = TestWallet::new(&issuer, Suite::EcdsaP256).unwrap();
    let renewed = issuer.certify_at(&bob.signer, T0 + 25 * 86_400, T0 + 55 * 86_400).unwrap();
    alice.store.remember_peer(&renewed, NOW + 10).unwrap();
    alice.store.remember_peer(&bob.cert, NOW).unwrap();
    assert_eq!(alice.store.certificates_of(&bob.id()).unwrap(), vec![bob.cert.clone(), renewed.clone()]);
    assert_eq!(alice.store.peer_certificate(&bob.id()).unwrap().unwrap(), renewed, "the latest one");

    // Alice renews: the new certificate is the one in force, the old one stays in the history.
    let first = alice.store.certificate().unwrap().unwrap();
    let own = issuer.certify_at(&alice.wallet.signer, T0 + 25 * 86_400, T0 + 55 * 86_400).unwrap();
    alice.store.set_certificate(&own).unwrap();
    assert_eq!(alice.store.certificate().unwrap().unwrap(), own);
    assert_eq!(alice.store.certificates_of(&alice.wallet.id()).unwrap(), vec![first, own]);
}

#[test]
fn history_pages_by_kind_counterparty_and_time_without_overlap() {
    let issuer = issuer();
    let mut alice = wallet(&issuer);
    let mut bob = wallet(&issuer);
    let mut carol = wallet(&issuer);
    alice.fund(&issuer, &[10_000], NOW).unwrap();
    for i in 0..7 {
        let payee = if i % 2 == 0 { &mut bob } else { &mut carol };
        alice.pay(payee, 10, NOW + 100 * i).unwrap();
    }
    // 1 fund + 7 × (spend + complete) = 15 entries.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = alice.store.history(HistoryFilter::All, cursor, 4).unwrap();
        seen.extend(page.entries.iter().map(|e| e.seq));
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, (1..=15).rev().collect::<Vec<_>>());

    let spends = alice.store.history(HistoryFilter::Kind(LogKind::Spend), None, 100).unwrap();
    assert_eq!(spends.entries.len(), 7);
    assert!(spends.entries.iter().all(|e| e.kind == LogKind::Spend && e.amount == 10));

    let with_bob = alice.store.history(HistoryFilter::Counterparty(bob.id()), None, 100).unwrap();
    assert_eq!(with_bob.entries.len(), 8, "4 payments to Bob, each spend + complete");
    assert!(with_bob.entries.iter().all(|e| e.counterparty == Some(bob.id())));

    let mut window = Vec::new();
    let mut cursor = None;
    loop {
        let page = alice.store.history(HistoryFilter::TimeRange { from: NOW + 100, to: NOW + 400 }, cursor, 2).unwrap();
        window.extend(page.entries.iter().map(|e| e.at));
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(window, vec![NOW + 300, NOW + 300, NOW + 200, NOW + 200, NOW + 100, NOW + 100]);
}

/// Opens a second, raw connection on the wallet file, as an attacker (or a bug) would.
fn tamper(path: &std::path::Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(sql).unwrap();
}

fn wallet_on_disk(issuer: &TestIssuer, dir: &TempDir) -> std::path::PathBuf {
    let path = dir.join("wallet.db");
    let mut alice = StoreWallet::provision(issuer, Store::open(&path).unwrap()).unwrap();
    let mut bob = wallet(issuer);
    alice.fund(issuer, &[1_000], NOW).unwrap();
    for i in 0..3 {
        alice.pay(&mut bob, 10 + i, NOW + i).unwrap();
    }
    path // 7 entries
}

#[test]
fn log_detects_edited_deleted_reordered_and_truncated_entries() {
    let issuer = issuer();
    let cases = [
        ("edited amount", "UPDATE log SET amount = amount + 1 WHERE seq = 3"),
        ("edited time", "UPDATE log SET at = at + 1 WHERE seq = 2"),
        ("deleted middle", "DELETE FROM log WHERE seq = 4"),
        ("deleted last", "DELETE FROM log WHERE seq = 7"),
        (
            "swapped",
            "UPDATE log SET seq = 100 WHERE seq = 2; UPDATE log SET seq = 2 WHERE seq = 3;
             UPDATE log SET seq = 3 WHERE seq = 100;",
        ),
        ("rehashed tail dropped", "DELETE FROM log WHERE seq >= 6"),
    ];
    for (what, sql) in cases {
        let dir = TempDir::new("store-tamper").unwrap();
        let path = wallet_on_disk(&issuer, &dir);
        assert_eq!(Store::open(&path).unwrap().verify_log().unwrap().len, 7);
        tamper(&path, sql);
        let store = Store::open(&path).unwrap();
        assert!(matches!(store.verify_log(), Err(StoreError::LogTampered { .. })), "{what} not detected");
        assert!(store.check_consistency().is_err(), "{what} not detected by check_consistency");
    }
}

#[test]
fn consistency_check_catches_a_counter_that_disagrees_with_the_notes() {
    let issuer = issuer();
    let dir = TempDir::new("store-counter").unwrap();
    let path = wallet_on_disk(&issuer, &dir);
    Store::open(&path).unwrap().check_consistency().unwrap();
    tamper(&path, "UPDATE state SET spendable = spendable + 5");
    assert!(matches!(
        Store::open(&path).unwrap().check_consistency(),
        Err(StoreError::Inconsistent { what: "spendable", .. })
    ));
}

#[test]
fn damaged_or_foreign_file_is_refused_and_never_reset() {
    let dir = TempDir::new("store-corrupt").unwrap();
    let path = dir.join("wallet.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    assert!(matches!(Store::open(&path), Err(StoreError::Corrupt { .. })));
    assert_eq!(std::fs::read(&path).unwrap(), garbage, "the file is kept as it was");

    // Another application's SQLite file (rollback journal, its own application id or none):
    // refused, and not a byte changed (switching it to WAL would rewrite its header).
    for (what, sql) in [
        ("no application id", "CREATE TABLE contacts (name TEXT)"),
        ("another application id", "PRAGMA application_id = 77; CREATE TABLE t (x); PRAGMA user_version = 2"),
        ("empty, but another application's", "PRAGMA application_id = 77"),
    ] {
        let foreign = dir.join(&format!("other-{}.db", what.len()));
        tamper(&foreign, sql);
        let before = std::fs::read(&foreign).unwrap();
        assert!(matches!(Store::open(&foreign), Err(StoreError::Corrupt { .. })), "{what}");
        assert_eq!(std::fs::read(&foreign).unwrap(), before, "{what}: the foreign file is left byte for byte");
        assert!(!dir.join(&format!("other-{}.db-wal", what.len())).exists(), "{what}: no WAL file created beside it");
    }

    // A wallet truncated to nothing is damaged, not a place for a fresh wallet.
    let empty = dir.join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(Store::open(&empty), Err(StoreError::Corrupt { .. })));
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0, "the empty file stays empty");
    // A valid but empty SQLite database (no schema, no application id: what the main file of
    // a WAL database copied without its WAL looks like) is not a wallet either.
    let bare = dir.join("bare.db");
    tamper(&bare, "CREATE TABLE t (x); DROP TABLE t; VACUUM");
    let before = std::fs::read(&bare).unwrap();
    assert!(!before.is_empty());
    assert!(matches!(Store::open(&bare), Err(StoreError::Corrupt { .. })));
    assert_eq!(std::fs::read(&bare).unwrap(), before, "the empty database is left as it was");
    // A directory where the database should be.
    assert!(matches!(Store::open(dir.join("")), Err(StoreError::Corrupt { .. })));
}

#[test]
fn newer_schema_is_refused_with_versions() {
    let issuer = issuer();
    let dir = TempDir::new("store-newer").unwrap();
    let path = wallet_on_disk(&issuer, &dir);
    tamper(&path, "PRAGMA user_version = 99");
    match Store::open(&path) {
        Err(StoreError::TooNew { found: 99, supported }) => {
            assert_eq!(supported, offline_cash_core::store::CURRENT_VERSION)
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    tamper(&path, &format!("PRAGMA user_version = {}", offline_cash_core::store::CURRENT_VERSION));
    Store::open(&path).unwrap().check_consistency().unwrap();
}

#[test]
fn sync_state_reports_counter_and_log_head() {
    let issuer = issuer();
    let mut alice = wallet(&issuer);
    let mut bob = wallet(&issuer);
    let s0 = alice.store.sync_state().unwrap();
    assert_eq!((s0.counter, s0.log_len, s0.log_head), (0, 0, [0; 32]));
    alice.fund(&issuer, &[100], NOW).unwrap();
    alice.pay(&mut bob, 40, NOW).unwrap();
    let s1 = alice.store.sync_state().unwrap();
    let verified = alice.store.verify_log().unwrap();
    assert_eq!((s1.counter, s1.log_len, s1.log_head), (1, 3, verified.head));
}
