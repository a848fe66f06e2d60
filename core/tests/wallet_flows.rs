//! The persisted flows against an in-process issuer behind the [`Settlement`] trait (no HTTP):
//! an answer lost on the way is fetched again with the identical batch, a refused flow gives
//! its notes back, a flow left open by a restart finishes after it, and the value is counted
//! once at every step.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicU32, Ordering};

use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::store::{FlowKind, LogKind};
use offline_cash_core::sync::{RecordStatus, SyncBatch, SyncError, SyncOutcome, SyncRecordResult};
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::token::WalletId;
use offline_cash_core::wallet::Wallet;
use offline_cash_core::wallet::settlement::Settlement;
use offline_cash_core::wallet::testing::{fund, provisioned, provisioned_on_disk};

/// `std::sync::Mutex` without poisoning, for brevity.
struct Mutex<T>(StdMutex<T>);

impl<T> Mutex<T> {
    fn new(t: T) -> Self {
        Self(StdMutex::new(t))
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap()
    }
}

/// A toy issuer that refreshes into the asked amounts, keeps its answers by batch id, and can
/// lose answers (the batch is settled, the answer never arrives) or refuse every record.
struct FakeIssuer {
    issuer: Mutex<TestIssuer>,
    owner: WalletId,
    answers: Mutex<HashMap<[u8; 16], SyncOutcome>>,
    requests: Mutex<Vec<String>>,
    lose: AtomicU32,
    refuse: Option<offline_cash_core::reason::Reason>,
    in_flight: AtomicU32,
    overlapped: std::sync::atomic::AtomicBool,
}

impl FakeIssuer {
    fn new(issuer: TestIssuer, owner: WalletId) -> Self {
        Self {
            issuer: Mutex::new(issuer),
            owner,
            answers: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
            lose: AtomicU32::new(0),
            refuse: None,
            in_flight: AtomicU32::new(0),
            overlapped: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn answer(&self, batch: &SyncBatch) -> SyncOutcome {
        let issuer = self.issuer.lock();
        let results = batch
            .refresh
            .iter()
            .enumerate()
            .map(|(i, _)| {
                let fresh_notes = match self.refuse {
                    Some(_) => Vec::new(),
                    None => batch.refresh_amounts[i].iter().map(|a| issuer.issue(self.owner, *a).unwrap()).collect(),
                };
                SyncRecordResult {
                    index: i as u32,
                    status: if self.refuse.is_some() { RecordStatus::Rejected } else { RecordStatus::Accepted },
                    reason: self.refuse,
                    credited: 0,
                    fresh_notes,
                }
            })
            .collect();
        SyncOutcome {
            results,
            rollback_detected: false,
            balance: 0,
            revocations: None,
            policy: issuer.policy.clone(),
            issuer_keys: Vec::new(),
            key_rotations: Vec::new(),
        }
    }
}

impl Settlement for FakeIssuer {
    async fn settle(&self, batch: &SyncBatch) -> Result<SyncOutcome, SyncError> {
        if self.in_flight.fetch_add(1, Ordering::SeqCst) > 0 {
            self.overlapped.store(true, Ordering::SeqCst);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.requests.lock().push(serde_json::to_string(&batch.to_wire()).unwrap());
        let outcome = self.answers.lock().entry(batch.batch_id).or_insert_with(|| self.answer(batch)).clone();
        if self.lose.load(Ordering::SeqCst) > 0 {
            self.lose.fetch_sub(1, Ordering::SeqCst);
            return Err(SyncError::Network { url: "fake".into(), message: "answer lost".into() });
        }
        Ok(outcome)
    }
}

fn all_notes(wallet: &Wallet) -> Vec<offline_cash_core::token::NoteId> {
    wallet.with_store(|s| s.unspent_notes().unwrap()).iter().map(|n| n.id).collect()
}

#[tokio::test]
async fn a_refresh_whose_answer_is_lost_is_resent_identically_and_counted_once() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let wallet = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    fund(&issuer, &wallet, &[700, 300, 1, 1], T0).unwrap();
    let fake = FakeIssuer::new(issuer, wallet.id());
    let id = wallet.start_flow(FlowKind::Refresh, &all_notes(&wallet), T0).unwrap();
    let b = wallet.balance().unwrap();
    assert_eq!((b.spendable, b.refreshing, b.total), (0, 1_002, 1_002), "in the flow, counted once");

    fake.lose.store(1, Ordering::SeqCst);
    assert!(wallet.drive_flow(&fake, id, T0).await.is_err(), "the answer was lost");
    assert_eq!(wallet.balance().unwrap().refreshing, 1_002, "still in the flow");
    // A payment in between changes the log; the resent batch must not.
    fund(&fake.issuer.lock(), &wallet, &[5], T0).unwrap();

    let reports = wallet.resume_flows(&fake, T0 + 60).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!((reports[0].done, reports[0].returned), (1_002, 0));
    let requests = fake.requests.lock().clone();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0], requests[1], "byte-identical resend");
    let b = wallet.balance().unwrap();
    assert_eq!((b.spendable, b.refreshing, b.total), (1_007, 0, 1_007));
    let notes = wallet.with_store(|s| s.unspent_notes().unwrap());
    let mut fresh: Vec<u64> = notes.iter().filter(|n| n.amount != 5).map(|n| n.amount).collect();
    fresh.sort_unstable();
    assert_eq!(fresh, vec![2, 1_000], "the 1-2-5 series of 1,002");
    wallet.check().unwrap();
    assert!(wallet.resume_flows(&fake, T0 + 120).await.unwrap().is_empty(), "finished once");
}

#[tokio::test]
async fn a_refused_refresh_gives_its_notes_back_and_logs_why() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let wallet = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    fund(&issuer, &wallet, &[400, 600], T0).unwrap();
    let mut fake = FakeIssuer::new(issuer, wallet.id());
    fake.refuse = Some(offline_cash_core::reason::Reason::Revoked);
    let report = wallet.refresh_notes(&fake, &all_notes(&wallet), T0).await.unwrap();
    assert_eq!(
        (report.done, report.returned, report.reason),
        (0, 1_000, Some(offline_cash_core::reason::Reason::Revoked))
    );
    let b = wallet.balance().unwrap();
    assert_eq!((b.spendable, b.refreshing, b.total), (1_000, 0, 1_000));
    let page = wallet.history(offline_cash_core::store::HistoryFilter::All, None, 10).unwrap();
    assert_eq!(page.entries[0].kind, LogKind::FlowFailed);
    wallet.check().unwrap();
}

#[tokio::test]
async fn a_flow_left_open_by_a_restart_finishes_after_it() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let dir = std::env::temp_dir().join(format!("oc-flows-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("w.db");
    let _ = std::fs::remove_file(&path);
    let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    let wallet = provisioned_on_disk(&issuer, signer.clone(), &path, 3).unwrap();
    fund(&issuer, &wallet, &[250, 250], T0).unwrap();
    wallet.start_flow(FlowKind::Refresh, &all_notes(&wallet), T0).unwrap();
    drop(wallet);
    let wallet = provisioned_on_disk(&issuer, signer, &path, 3).unwrap();
    assert_eq!(wallet.balance().unwrap().refreshing, 500);
    let fake = FakeIssuer::new(issuer, wallet.id());
    let reports = wallet.resume_flows(&fake, T0).await.unwrap();
    assert_eq!(reports[0].done, 500);
    assert_eq!(wallet.balance().unwrap().spendable, 500);
    wallet.check().unwrap();
    drop(wallet);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_balance_says_what_waits_for_a_refresh_and_why() {
    use offline_cash_core::wallet::balance::WaitReason;
    use offline_cash_core::wallet::tap::{TapConfig, tap};
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    // A note that went through one other wallet, then to the payee.
    let (payer, payee) =
        offline_cash_core::wallet::testing::payer_at_depth(&issuer, Suite::EcdsaP256, 2, 300, 9, T0).unwrap();
    let first_holder = {
        let chain = payer.with_store(|s| s.unspent_notes().unwrap())[0].chain.clone();
        chain.signers()[0]
    };
    let report = tap(payer.pay(), payee.request_payment(300, T0).unwrap(), TapConfig::payee_is_card(true), T0).unwrap();
    assert!(report.payer_complete);
    fund(&issuer, &payee, &[700], T0).unwrap();
    let d = payee.balance_detail(T0).unwrap();
    assert_eq!((d.spendable_now, d.one_payment, d.total), (1_000, 1_000, 1_000));
    assert!(d.waiting.is_empty());
    // The first holder is revoked: the 300 waits for a refresh.
    payee.install_revocations(&issuer.revoke(vec![first_holder]).unwrap()).unwrap();
    let d = payee.balance_detail(T0).unwrap();
    assert_eq!((d.spendable_now, d.waiting_for(WaitReason::RevokedCustodian)), (700, 300));
    // After expiry everything waits (the expired reason comes first).
    let expiry = payee.with_store(|s| s.unspent_notes().unwrap()).iter().map(|n| n.expires_at).min().unwrap();
    let d = payee.balance_detail(expiry + 1).unwrap();
    assert_eq!((d.spendable_now, d.waiting_for(WaitReason::Expired), d.total), (0, 1_000, 1_000));
}

#[test]
fn lifecycle_events_announce_expiring_notes_and_certificate() {
    use offline_cash_core::wallet::WalletEvent;
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let wallet = provisioned(&issuer, Suite::EcdsaP256, 4).unwrap();
    fund(&issuer, &wallet, &[100, 200], T0).unwrap();
    assert!(wallet.lifecycle_events(T0).unwrap().is_empty());
    let expiry = wallet.with_store(|s| s.unspent_notes().unwrap())[0].expires_at;
    let events = wallet.lifecycle_events(expiry - 86_400).unwrap();
    assert!(events.contains(&WalletEvent::NotesExpiring { amount: 300, first_expiry: expiry }), "{events:?}");
    let not_after = wallet.limits().unwrap().certificate_not_after;
    assert!(events.contains(&WalletEvent::CertificateExpiring { not_after }), "{events:?}");
    assert_eq!(wallet.poll_event(), Some(events[0].clone()), "queued for the app too");
}

#[test]
fn notes_expired_past_the_refresh_window_leave_the_wallet_announced() {
    use offline_cash_core::wallet::WalletEvent;
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let wallet = provisioned(&issuer, Suite::EcdsaP256, 5).unwrap();
    fund(&issuer, &wallet, &[100, 200], T0).unwrap();
    while wallet.poll_event().is_some() {}
    let expiry = wallet.with_store(|s| s.unspent_notes().unwrap())[0].expires_at;
    let window = issuer.policy.body().refresh.expiry_window;
    assert_eq!(wallet.retire_expired(expiry + window).unwrap(), 0, "still refreshable");
    assert_eq!(wallet.balance().unwrap().spendable, 300);
    assert_eq!(wallet.retire_expired(expiry + window + 1).unwrap(), 300);
    let b = wallet.balance().unwrap();
    assert_eq!((b.spendable, b.total), (0, 0), "the value is the account's now");
    assert_eq!(wallet.poll_event(), Some(WalletEvent::ValueReturned { amount: 300 }));
    let page = wallet.history(offline_cash_core::store::HistoryFilter::All, None, 10).unwrap();
    assert_eq!((page.entries[0].kind, page.entries[0].amount), (LogKind::ExpiredReturned, 300));
    wallet.check().unwrap();
    assert_eq!(wallet.retire_expired(expiry + window + 2).unwrap(), 0, "once");
}

#[tokio::test]
async fn notes_in_a_refresh_still_count_against_the_holding_limit() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let wallet = provisioned(&issuer, Suite::EcdsaP256, 6).unwrap();
    let holding = wallet.limits().unwrap().holding;
    fund(&issuer, &wallet, &[holding], T0).unwrap();
    wallet.start_flow(FlowKind::Refresh, &all_notes(&wallet), T0).unwrap();
    assert_eq!(wallet.balance().unwrap().spendable, 0);
    assert!(wallet.request_payment(1, T0).is_err(), "a full wallet asks for nothing while it refreshes");
    assert!(fund(&issuer, &wallet, &[1], T0).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_of_one_wallet_never_talk_to_the_issuer_at_the_same_time() {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let wallet = provisioned(&issuer, Suite::EcdsaP256, 7).unwrap();
    fund(&issuer, &wallet, &[100, 200, 300], T0).unwrap();
    let fake = FakeIssuer::new(issuer, wallet.id());
    let notes = all_notes(&wallet);
    let first = wallet.start_flow(FlowKind::Refresh, &notes[..1], T0).unwrap();
    let (a, b, c) = tokio::join!(
        wallet.drive_flow(&fake, first, T0),
        wallet.refresh_notes(&fake, &notes[1..2], T0),
        wallet.deposit_all(&fake, T0),
    );
    a.unwrap();
    b.unwrap();
    let _ = c; // the fake credits nothing: the deposit's notes come back
    assert!(!fake.overlapped.load(Ordering::SeqCst), "one batch at a time");
    wallet.check().unwrap();
}
