//! Soak test of the whole system under faults: the issuer runs as a child process (the real
//! binary) behind a fault-injecting HTTP proxy; file-backed wallets pay each other through
//! the simulated NFC field, sync, and top up from their accounts when they run low, while the
//! test tears taps at random bytes, SIGKILLs the issuer mid-batch and restarts it on the same
//! database, crashes wallets (drop, reopen), drops and duplicates HTTP requests, skews the
//! wallets' clocks, and brings in a new cheater at regular intervals that spends again from a
//! restored backup. At the end (docs/RELIABILITY.md; DESIGN.md §8):
//!
//! - value is conserved: the issuer's audit is balanced; for every wallet the value the issuer
//!   holds live in its name equals what it holds plus exactly the payments that left a payer
//!   but that it never committed (torn or refused); every account's balance is exactly its
//!   initial balance minus what its wallet funded (minus the guarantee recovered from a
//!   cheater);
//! - every double spend that landed is recorded once and attributed to its cheater, and the
//!   revoked set is exactly those cheaters;
//! - no committed payment is lost (a lost one would break the per-wallet equality);
//! - every wallet's log verifies and its balances match its notes after every reopen.
//!
//! ```text
//!  wallets ──SyncClient──► proxy (drop request / drop answer / duplicate) ──► issuer child
//!     │  ▲                                                                  (SIGKILL, restart)
//!     └──┘ taps through nfc::Field (tear at byte N), wallets dropped and reopened,
//!          top-ups (fund) when low, cheaters' restored backups spending again
//! ```
//! `cargo test -p offline-cash-issuer --test soak` runs ~15 s of operations; set
//! `OC_SOAK_SECS` for longer (and `OC_SOAK_SEED` to vary the schedule).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;
mod soak_harness;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use offline_cash_core::protocol::Payment;
use offline_cash_core::store::FlowKind;
use offline_cash_core::token::NoteId;
use offline_cash_core::wallet::WalletError;
use offline_cash_core::wallet::flow::FlowReport;
use offline_cash_core::wallet::tap::tap;
use soak_harness::{
    IssuerProcess, Party, ProxyStats, Rng, Role, double_spend_signers, issuer_accounts, issuer_has_spend_of, new_party,
    one_tap, revoked_set, start_proxy, tap_config, unix_now,
};

const HONEST: usize = 6;
/// Each wallet's clock is off by up to this much (pairwise ≤ 2×, inside the 300 s allowed).
const MAX_SKEW: i64 = 100;
/// The notes an honest wallet is funded with at the start and at every top-up.
const FUNDING: [u64; 4] = [5_000, 2_000, 1_000, 500];
/// An honest wallet whose spendable balance is below this tops up (when the workload asks it).
const TOP_UP_BELOW: u64 = 3_000;
/// The issuer's policy for this run: a shallow depth limit (8), a refresh two links before it,
/// and consolidation above 16 notes, so that chains reach the margin within the run and every
/// lifecycle path runs many times.
const POLICY: [&str; 6] = ["--max-chain-depth", "8", "--refresh-depth-margin", "2", "--refresh-max-notes", "16"];
/// Every account's initial balance: enough for the top-ups of a long run.
const ACCOUNT: u64 = 1_000_000_000;
/// A cheater is funded with one note of this value, then backs up its wallet.
const CHEATER_NOTE: u64 = 4_000;
/// What the restored backup pays its victim out of that note.
const DOUBLE_SPEND: u64 = 3_000;
/// A cheater pays honest wallets like anyone for this many operations, then double spends.
const CHEATER_LIFETIME_OPS: u64 = 40;
/// Longest interval between two new cheaters (a quarter of the run when shorter).
const MAX_CHEAT_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct Counters {
    taps: u64,
    completed: u64,
    torn: u64,
    retaps: u64,
    refused: u64,
    syncs: u64,
    sync_failures: u64,
    top_ups: u64,
    top_up_failures: u64,
    issuer_kills: u64,
    wallet_crashes: u64,
    cheaters: u64,
    double_spends_injected: u64,
    double_spends_caught_offline: u64,
    cheats_without_clean_victim: u64,
    /// Landed double spends whose victim was also the payee of the first spend (that tap
    /// tore, so it never held it): guaranteed since decision 0023.
    victims_paid_by_the_first_spend: u64,
    honest_flagged_as_rolled_back: u64,
    /// Deposits, defunds and refreshes asked for by the workload, and those that failed (the
    /// network, or nothing to do); a failed one may still finish at a later sync.
    lifecycle_ops: u64,
    lifecycle_failures: std::collections::BTreeMap<String, u64>,
    /// Flows finished (by the call, or resumed at a sync): refreshes and deposits.
    refreshes_done: u64,
    deposits_done: u64,
    /// Audits (conservation) checked after successful syncs.
    audits: u64,
    /// Why taps that were not torn were refused, by reason code.
    refusals: std::collections::BTreeMap<String, u64>,
}

/// A payment that left its payer but that its payee never committed.
struct Undelivered {
    payer: usize,
    payee: usize,
    amount: u64,
    /// The notes it transfers to the payee: (id, amount).
    notes: Vec<([u8; 32], u64)>,
}

/// The notes a payment transfers (the heads of its bundle) with their amounts.
fn payment_notes(payment_bytes: &[u8]) -> Vec<([u8; 32], u64)> {
    let bundle = Payment::from_bytes(payment_bytes).unwrap().bundle;
    let children: HashMap<NoteId, u64> =
        bundle.links.iter().flat_map(|l| l.children().map(|(id, o)| (id, o.amount)).collect::<Vec<_>>()).collect();
    bundle.heads.iter().map(|h| (h.0, children[h])).collect()
}

/// A cheater's plan: its funded note, the backup that still holds it.
struct Cheat {
    party: usize,
    genesis: NoteId,
    backup: PathBuf,
    spawned_at_op: u64,
    done: bool,
}

struct Soak {
    rng: Rng,
    dir: PathBuf,
    db: PathBuf,
    url: String,
    parties: Vec<Party>,
    c: Counters,
    ops: u64,
    /// Payments that left the payer (a pending spend) but that the payee did not commit: torn,
    /// or refused after the payment left. The issuer settles them to the payee's name when the
    /// payer syncs. Keyed by payment hash.
    limbo: HashMap<[u8; 32], Undelivered>,
    /// Payments some payee committed: never undelivered again, even when a later retap of the
    /// same payment (the payer never saw the receipt) tears before the payee answers.
    delivered: std::collections::HashSet<[u8; 32]>,
    /// Value each party moved from its account into notes (initial funding and top-ups).
    funded: Vec<u64>,
    /// Value each party's deposits and defunds moved back to its account, as the issuer
    /// confirmed it to the wallet (a flow finished by its call, or resumed at a sync).
    deposited: Vec<u64>,
    /// The issuer itself, without the proxy: the audit after each sync.
    direct: String,
    /// Conservation broken at some sync (audit not balanced), with the operation number.
    unbalanced: Vec<String>,
    /// Honest payers that refused for lack of funds an amount one payment of theirs could carry.
    frozen_taps: Vec<String>,
    cheats: Vec<Cheat>,
    /// Cheaters (wallet ids) whose restored backup's spend a payee accepted.
    landed: BTreeSet<[u8; 32]>,
}

impl Soak {
    /// A new party with an account, funded with `notes`.
    async fn add_party(&mut self, name: String, role: Role, notes: &[u64]) -> usize {
        let skew = i64::try_from(self.rng.below(2 * MAX_SKEW as u64 + 1)).unwrap() - MAX_SKEW;
        let p = new_party(&self.url, &self.dir, &name, role, ACCOUNT, skew).await;
        self.parties.push(p);
        self.funded.push(0);
        self.deposited.push(0);
        let i = self.parties.len() - 1;
        for _ in 0..5 {
            if self.fund(i, notes).await {
                return i;
            }
        }
        panic!("{name} could not be funded");
    }

    /// Funds party `i` from its account; records the value on success.
    async fn fund(&mut self, i: usize, notes: &[u64]) -> bool {
        let p = &self.parties[i];
        match p.wallet().fund(&p.client, notes, p.now()).await {
            Ok(_) => {
                self.funded[i] += notes.iter().sum::<u64>();
                true
            }
            Err(e) => {
                eprintln!("fund {}: {e}", p.name);
                self.c.top_up_failures += 1;
                false
            }
        }
    }

    async fn sync(&mut self, i: usize) -> bool {
        self.c.syncs += 1;
        let p = &self.parties[i];
        match p.wallet().sync(&p.client, p.now()).await {
            Ok(report) => {
                if report.rollback_detected && p.role == Role::Honest {
                    self.c.honest_flagged_as_rolled_back += 1;
                }
                self.count_flows(i, &report.flows);
                self.check_conservation("sync").await;
                true
            }
            Err(_) => {
                self.c.sync_failures += 1;
                false
            }
        }
    }

    /// Books what finished flows did: a deposit's value is back in the account.
    fn count_flows(&mut self, i: usize, flows: &[FlowReport]) {
        for f in flows {
            match f.kind {
                FlowKind::Deposit => {
                    self.deposited[i] += f.done;
                    self.c.deposits_done += 1;
                }
                FlowKind::Refresh => self.c.refreshes_done += 1,
            }
        }
    }

    /// The issuer's books balance (every note is live, settled, deposited or returned, and
    /// accounts add up) after every sync, not only at the end.
    async fn check_conservation(&mut self, after: &str) {
        let audit = common::audit_as(&self.direct, soak_harness::ADMIN).await;
        self.c.audits += 1;
        if !audit.balanced || !audit.accounts_balanced {
            self.unbalanced.push(format!("op {} after {after}: {audit:?}", self.ops));
        }
    }

    /// Online for a moment, a wallet moves value back to its account or refreshes: deposits a
    /// few of its notes, defunds an amount (a split first when no notes add up to it), or
    /// refreshes what is due. Faults stay on: a lost answer leaves the flow open, and the next
    /// sync resumes it with the same batch.
    async fn lifecycle(&mut self, i: usize) {
        self.c.lifecycle_ops += 1;
        let p = &self.parties[i];
        let now = p.now();
        let w = p.wallet().clone();
        let result = match self.rng.below(3) {
            0 => {
                let notes = w.with_store(|st| st.unspent_notes().unwrap());
                let take = 1 + self.rng.below(3) as usize;
                let start = if notes.is_empty() { 0 } else { self.rng.below(notes.len() as u64) as usize };
                let ids: Vec<NoteId> = notes.iter().skip(start).take(take).map(|n| n.id).collect();
                if ids.is_empty() {
                    return;
                }
                w.deposit(&p.client, &ids, now).await.map(Some)
            }
            1 => {
                let spendable = w.balance_detail(now).unwrap().spendable_now;
                if spendable == 0 {
                    return;
                }
                w.defund(&p.client, 1 + self.rng.below(spendable.min(2_000)), now).await.map(Some)
            }
            _ => w.refresh(&p.client, now).await,
        };
        match result {
            Ok(Some(report)) => {
                self.count_flows(i, std::slice::from_ref(&report));
                self.check_conservation("a flow").await;
            }
            Ok(None) => {}
            Err(e) => {
                let kind = format!("{e:?}").split(['(', ' ', '{']).next().unwrap_or("?").to_owned();
                *self.c.lifecycle_failures.entry(kind).or_default() += 1;
            }
        }
    }

    /// Syncs until one sync succeeds (faults stay on: each try may lose requests or answers).
    async fn sync_until_done(&mut self, i: usize) {
        for _ in 0..20 {
            if self.sync(i).await {
                return;
            }
        }
        panic!("{} could not sync in 20 tries", self.parties[i].name);
    }

    /// Honest wallets and the cheaters still at work (not yet caught, or the last one caught:
    /// it keeps paying while the revocation spreads).
    fn active(&self) -> Vec<usize> {
        let last_done = self.cheats.iter().rposition(|c| c.done);
        let cheaters = self.cheats.iter().enumerate().filter(|(n, c)| !c.done || Some(*n) == last_done);
        (0..HONEST).chain(cheaters.map(|(_, c)| c.party)).collect()
    }

    fn pick_active(&mut self) -> usize {
        let active = self.active();
        active[self.rng.below(active.len() as u64) as usize]
    }

    /// One tap from `a` to `b` with the workload's bookkeeping (counters, limbo). A pending
    /// payment from `a` to `b` is resent as it is (the payee asks for its amount).
    fn tap(&mut self, a: usize, b: usize, amount: u64, tear: Option<u64>) {
        let payee_id = self.parties[b].wallet().id();
        let pending_to = |p: &Party| p.wallet().pending_payments().unwrap().into_iter().find(|s| s.payee == payee_id);
        let retry = pending_to(&self.parties[a]).map(|s| s.amount);
        let amount = retry.unwrap_or(amount);
        let cfg = tap_config(&mut self.rng, tear);
        let one_payment = self.parties[a].wallet().balance_detail(self.parties[a].now()).unwrap().one_payment;
        self.c.taps += 1;
        self.c.retaps += u64::from(retry.is_some());
        let Some(out) = one_tap(&self.parties[a], &self.parties[b], amount, cfg) else {
            // The payee could not even ask (e.g. its holding limit).
            self.c.refused += 1;
            *self.c.refusals.entry("request_payment".into()).or_default() += 1;
            return;
        };
        self.c.torn += u64::from(out.torn);
        if out.payer_insufficient && retry.is_none() && self.parties[a].role == Role::Honest {
            self.frozen_taps.push(format!(
                "op {}: {} could not pay {amount} (insufficient funds) though it could pay {} in one payment",
                self.ops, self.parties[a].name, one_payment
            ));
        }
        self.c.completed += u64::from(out.payer_complete);
        if out.torn && self.rng.chance(30) {
            // The phone dies right after the tear (before anyone retaps).
            let who = if self.rng.chance(50) { a } else { b };
            self.parties[who].crash();
            self.c.wallet_crashes += 1;
        }
        match (out.received, pending_to(&self.parties[a])) {
            (Some(hash), _) => {
                self.limbo.remove(&hash);
                self.delivered.insert(hash);
            }
            (None, Some(p)) if !self.delivered.contains(&p.payment_hash) => {
                let notes = payment_notes(&p.payment_bytes);
                self.limbo.insert(p.payment_hash, Undelivered { payer: a, payee: b, amount: p.amount, notes });
            }
            _ => {}
        }
        if out.received.is_none() && !out.torn {
            self.c.refused += 1;
            *self.c.refusals.entry(out.error.unwrap_or_else(|| "none".into())).or_default() += 1;
        }
    }

    /// A new cheater: an account, one note, a backup of its wallet file holding that note.
    async fn spawn_cheater(&mut self) {
        let n = self.cheats.len();
        let k = self.add_party(format!("cheater{n}"), Role::Cheater, &[CHEATER_NOTE]).await;
        let notes = self.parties[k].wallet().with_store(|s| s.unspent_notes().unwrap());
        let genesis = notes[0].id;
        let p = &mut self.parties[k];
        drop(p.wallet.take());
        let backup = self.dir.join(format!("{}-backup.db", p.name));
        std::fs::copy(&p.path, &backup).unwrap();
        p.wallet = Some(Party::open(&p.path, &p.key, &p.name));
        self.cheats.push(Cheat { party: k, genesis, backup, spawned_at_op: self.ops, done: false });
        self.c.cheaters += 1;
    }

    /// Cheat `n` spends its note again from its restored backup, to a payee that cannot tell.
    async fn double_spend(&mut self, n: usize) {
        let (k, genesis, backup) = {
            let cheat = &mut self.cheats[n];
            cheat.done = true;
            (cheat.party, cheat.genesis, cheat.backup.clone())
        };
        // The live wallet spends the note first (if it has not already, or only in a tap torn
        // before the payment left)...
        let holds = |p: &Party| p.wallet().with_store(|s| s.unspent_notes().unwrap().iter().any(|n| n.id == genesis));
        for _ in 0..HONEST {
            if !holds(&self.parties[k]) {
                break;
            }
            let b = self.rng.below(HONEST as u64) as usize;
            self.tap(k, b, 1_000, None);
        }
        assert!(!holds(&self.parties[k]), "{} could not spend its note", self.parties[k].name);
        // ...and that spend reaches the issuer first, so the restored copy's is the conflicting
        // link (its payee is guaranteed; nobody downstream of the first spend loses value).
        self.sync_until_done(k).await;
        assert!(issuer_has_spend_of(&self.db, &genesis.0), "the cheater's first spend did not reach the issuer");
        // The victim: an honest wallet that never held a note descended from that one, so it
        // cannot tell (a payee that holds the other child refuses offline: `double_spend_seen`).
        // It may be the payee of the first spend when that tap tore (it never held it), and is
        // then guaranteed only when both payments fit in the note (decision 0023): one it
        // would not be is never picked, so every landed double spend is guaranteed.
        let start = self.rng.below(HONEST as u64) as usize;
        // What the first spend (now recorded) paid each honest wallet, read once.
        let first_paid: Vec<u64> = (0..HONEST)
            .map(|v| soak_harness::issuer_accepted_to(&self.db, &genesis.0, &self.parties[v].wallet().id().0))
            .collect();
        let rotated: Vec<usize> = (0..HONEST)
            .map(|j| (start + j) % HONEST)
            .filter(|&v| first_paid[v] + DOUBLE_SPEND <= CHEATER_NOTE)
            .collect();
        let mut clean: Vec<usize> = rotated
            .iter()
            .copied()
            .filter(|&v| self.parties[v].wallet().with_store(|s| s.held_link(&genesis).unwrap().is_none()))
            .collect();
        // The payee of a torn first spend goes first: the case that lost money before 0023.
        clean.sort_by_key(|&v| first_paid[v] == 0);
        let candidates = if clean.is_empty() {
            self.c.cheats_without_clean_victim += 1;
            rotated
        } else {
            clean
        };
        // A restored copy of the backup, which still holds the note, spends it again. Each
        // attempt restores the backup afresh (a refused attempt leaves a pending spend behind).
        for (attempt, v) in candidates.into_iter().enumerate() {
            let path = self.dir.join(format!("{}-restored-{attempt}.db", self.parties[k].name));
            let restored = self.parties[k].restored_from(&backup, path);
            let cfg = tap_config(&mut self.rng, None);
            let victim = &self.parties[v];
            let request = victim.wallet().request_payment(DOUBLE_SPEND, victim.now()).unwrap();
            let report = tap(restored.wallet().pay(), request, cfg, restored.now()).unwrap();
            if report.payee_received.is_some() {
                self.c.double_spends_injected += 1;
                if first_paid[v] > 0 {
                    self.c.victims_paid_by_the_first_spend += 1;
                }
                self.landed.insert(restored.wallet().id().0);
                // The restored copy syncs (the issuer sees the conflict and the rollback), then
                // is thrown away.
                self.parties.push(restored);
                self.funded.push(0);
                self.deposited.push(0);
                self.sync_until_done(self.parties.len() - 1).await;
                self.parties.pop();
                self.funded.pop();
                self.deposited.pop();
                return;
            }
            match report.error() {
                Some(WalletError::Rejected(r)) if r.code().starts_with("double_spend") => {
                    self.c.double_spends_caught_offline += 1;
                }
                other => panic!("the restored backup's payment failed unexpectedly: {other:?}"),
            }
        }
    }

    /// One random operation of the workload.
    async fn step(&mut self, issuer: &mut IssuerProcess) {
        match self.rng.below(100) {
            0..=57 => {
                let a = self.pick_active();
                let b = self.rng.below(HONEST as u64) as usize;
                // At most what one payment can carry now (`balance_detail().one_payment`): a
                // payer asked for that never meets "insufficient funds" (checked in `tap`).
                let payable = self.parties[a].wallet().balance_detail(self.parties[a].now()).unwrap().one_payment;
                if a == b || payable == 0 {
                    return;
                }
                let amount = 1 + self.rng.below(payable.min(3_000));
                let tear = self.rng.chance(25).then(|| self.rng.below(4_000));
                self.tap(a, b, amount, tear);
            }
            58..=61 => {
                // Online for a moment: a wallet running low tops up from its account. Only
                // what it can pay offline now counts (a note at the depth limit waits for the
                // refresh at the wallet's next sync).
                let i = self.rng.below(HONEST as u64) as usize;
                let p = &self.parties[i];
                let usable = p.wallet().balance_detail(p.now()).unwrap().spendable_now;
                if usable < TOP_UP_BELOW {
                    self.c.top_ups += 1;
                    self.fund(i, &FUNDING).await;
                }
            }
            62..=79 => {
                let i = self.pick_active();
                self.sync(i).await;
            }
            80..=87 => {
                // Kill the issuer while a wallet's batch is in flight, restart on the same file.
                let i = self.rng.below(HONEST as u64) as usize;
                let delay = Duration::from_millis(self.rng.below(40));
                let w = self.parties[i].wallet().clone();
                let client = self.parties[i].client.clone();
                let now = self.parties[i].now();
                let sync = tokio::spawn(async move { w.sync(&client, now).await });
                tokio::time::sleep(delay).await;
                issuer.kill_and_restart();
                self.c.issuer_kills += 1;
                if let Ok(report) = sync.await.unwrap() {
                    self.count_flows(i, &report.flows);
                }
            }
            88..=91 => {
                let i = self.rng.below(HONEST as u64) as usize;
                self.lifecycle(i).await;
            }
            _ => {
                let i = self.pick_active();
                self.parties[i].crash();
                self.c.wallet_crashes += 1;
            }
        }
    }

    fn progress(&self, elapsed: Duration) -> String {
        let held: u64 = self.parties.iter().take(HONEST).map(Party::total).sum();
        format!(
            "{:>5} s: {} ops, {} taps ({} completed, {} torn), {} syncs, {} top-ups, {} issuer kills, \
             {} double spends landed; honest wallets hold {held}",
            elapsed.as_secs(),
            self.ops,
            self.c.taps,
            self.c.completed,
            self.c.torn,
            self.c.syncs,
            self.c.top_ups,
            self.c.issuer_kills,
            self.landed.len()
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_with_faults_keeps_every_invariant() {
    let secs: u64 = std::env::var("OC_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(15);
    let seed: u64 = std::env::var("OC_SOAK_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let dir = std::env::temp_dir().join(format!("oc-soak-{}-{}", std::process::id(), unix_now()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("issuer.db");
    let mut issuer = IssuerProcess::start_with(db.clone(), &POLICY);
    let upstream = Arc::new(AtomicU64::new(u64::from(issuer.port)));
    let faults = Arc::new(AtomicBool::new(false));
    let proxy_stats = Arc::new(ProxyStats::default());
    let url = start_proxy(upstream.clone(), faults.clone(), proxy_stats.clone(), rng.next());
    let mut s = Soak {
        rng,
        dir: dir.clone(),
        db: db.clone(),
        url: url.clone(),
        parties: Vec::new(),
        c: Counters::default(),
        ops: 0,
        limbo: HashMap::new(),
        delivered: std::collections::HashSet::new(),
        funded: Vec::new(),
        deposited: Vec::new(),
        direct: issuer.url(),
        unbalanced: Vec::new(),
        frozen_taps: Vec::new(),
        cheats: Vec::new(),
        landed: BTreeSet::new(),
    };
    for i in 0..HONEST {
        s.add_party(format!("honest{i}"), Role::Honest, &FUNDING).await;
    }

    let run = Duration::from_secs(secs);
    let cheat_interval = (run / 4).min(MAX_CHEAT_INTERVAL);
    let mut next_cheater = cheat_interval;
    let mut next_progress = Duration::from_secs(60);
    // (ops, completed taps) at the end of each third of the run: taps must not dry up.
    let mut thirds = Vec::new();
    faults.store(true, Ordering::SeqCst);
    let start = Instant::now();
    while start.elapsed() < run {
        let elapsed = start.elapsed();
        s.ops += 1;
        if thirds.len() < 2 && elapsed >= run * (thirds.len() as u32 + 1) / 3 {
            thirds.push((s.ops, s.c.completed));
        }
        if secs >= 120 && elapsed >= next_progress {
            eprintln!("soak {}", s.progress(elapsed));
            next_progress += Duration::from_secs(60);
        }
        if elapsed >= next_cheater {
            next_cheater += cheat_interval;
            s.spawn_cheater().await;
            continue;
        }
        if let Some(n) = s.cheats.iter().position(|c| !c.done && s.ops >= c.spawned_at_op + CHEATER_LIFETIME_OPS) {
            s.double_spend(n).await;
            continue;
        }
        s.step(&mut issuer).await;
    }
    thirds.push((s.ops, s.c.completed));
    // A cheater that came too late in the run still cheats.
    while let Some(n) = s.cheats.iter().position(|c| !c.done) {
        s.double_spend(n).await;
    }
    faults.store(false, Ordering::SeqCst);

    // Everyone comes online; two rounds so every wallet also learns the others' results.
    let live: Vec<usize> = (0..s.parties.len()).collect();
    for round in 0..2 {
        for &i in &live {
            let p = &s.parties[i];
            let report = p.wallet().sync(&p.client, p.now()).await.unwrap();
            if report.rollback_detected && p.role == Role::Honest {
                s.c.honest_flagged_as_rolled_back += 1;
            }
            if round == 1 && (report.accepted > 0 || report.rejected > 0) {
                eprintln!("final sync {round} {}: {report:?}", p.name);
            }
            s.count_flows(i, &report.flows);
        }
    }
    let audit = common::audit_as(&url, soak_harness::ADMIN).await;
    let accounts = issuer_accounts(&db);
    let revoked = revoked_set(&db);
    let mut ds_signers = double_spend_signers(&db);
    ds_signers.sort_unstable();

    let mut violations = Vec::new();
    if !audit.balanced || !audit.accounts_balanced {
        violations.push(format!("audit not balanced: {audit:?}"));
    }
    violations.extend(s.unbalanced.iter().map(|u| format!("conservation broken at a sync: {u}")));
    violations.extend(s.frozen_taps.iter().cloned());
    for &i in &live {
        let p = &s.parties[i];
        // The issuer holds live in this wallet's name exactly the notes it holds and the notes
        // of the payments that left their payer for it but that it never committed (every
        // payer has synced): the same notes, not only the same sum.
        let held_notes: HashMap<[u8; 32], u64> =
            p.wallet().with_store(|st| st.unspent_notes().unwrap()).into_iter().map(|n| (n.id.0, n.amount)).collect();
        let mut expected: HashMap<[u8; 32], (u64, String)> =
            held_notes.iter().map(|(id, a)| (*id, (*a, "held".to_string()))).collect();
        for u in s.limbo.values().filter(|u| u.payee == i) {
            let from = format!("undelivered payment of {} from {}", u.amount, s.parties[u.payer].name);
            expected.extend(u.notes.iter().map(|(id, a)| (*id, (*a, from.clone()))));
        }
        let issuer_notes: HashMap<[u8; 32], (u64, String)> = soak_harness::issuer_live_notes(&db, &p.wallet().id().0)
            .into_iter()
            .map(|(id, a, origin)| (id, (a, origin)))
            .collect();
        let missing: Vec<String> = expected
            .iter()
            .filter(|(id, _)| !issuer_notes.contains_key(*id))
            .map(|(id, (a, what))| format!("{a} ({what}; issuer: {:?})", soak_harness::issuer_note_state(&db, id)))
            .collect();
        let extra: Vec<String> = issuer_notes
            .iter()
            .filter(|(id, _)| !expected.contains_key(*id))
            .map(|(_, (a, origin))| format!("{a} ({origin})"))
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            violations.push(format!(
                "{}: holds {} ({:?}); expected live at the issuer but not: {missing:?}; live at the issuer but \
                 neither held nor undelivered: {extra:?}",
                p.name,
                p.total(),
                p.wallet().balance().unwrap(),
            ));
        }
        // Its account paid exactly for what it funded, got back exactly what it deposited or
        // defunded, and paid for the guarantee of its double spend.
        let guarantee = if s.landed.contains(&p.wallet().id().0) { DOUBLE_SPEND } else { 0 };
        let expected = i64::try_from(ACCOUNT - s.funded[i] + s.deposited[i] - guarantee).unwrap();
        let account = accounts.get(&p.name).copied();
        if account != Some(expected) {
            violations.push(format!(
                "{}: account {account:?}, expected {expected} (funded {}, deposited {}, guarantee {guarantee})",
                p.name, s.funded[i], s.deposited[i]
            ));
        }
        // No value frozen: after the final syncs (and their automatic refresh) everything an
        // honest wallet holds is payable offline again, nothing waits for a refresh, and no
        // flow is left open.
        if p.role == Role::Honest {
            let d = p.wallet().balance_detail(p.now()).unwrap();
            if d.spendable_now != d.total || !d.waiting.is_empty() {
                violations.push(format!("{}: value not payable after the final syncs: {d:?}", p.name));
            }
        }
        let pending = p.wallet().pending_payments().unwrap();
        if !pending.is_empty() {
            violations.push(format!("{}: {} payments still pending after the final syncs", p.name, pending.len()));
        }
        p.wallet().with_store(|st| {
            if let Err(e) = st.verify_log() {
                violations.push(format!("{}: log {e}", p.name));
            }
            if let Err(e) = st.check_consistency() {
                violations.push(format!("{}: consistency {e}", p.name));
            }
        });
    }
    // Exactly the cheaters whose second spend a payee accepted are revoked: no honest wallet,
    // and no cheater whose attempt every payee refused offline. Each landed double spend is
    // recorded once, with its cheater as the signer.
    if revoked != s.landed {
        violations.push(format!("revoked {} wallets, cheaters who double spent {}", revoked.len(), s.landed.len()));
    }
    if ds_signers != s.landed.iter().copied().collect::<Vec<_>>() || audit.double_spends != s.c.double_spends_injected {
        violations.push(format!(
            "{} double spends recorded ({} proofs), {} landed",
            audit.double_spends,
            ds_signers.len(),
            s.c.double_spends_injected
        ));
    }
    if s.c.honest_flagged_as_rolled_back > 0 {
        violations.push(format!("honest wallets flagged as rolled back {} times", s.c.honest_flagged_as_rolled_back));
    }
    // The workload itself must keep working for the whole run (checked on long runs).
    let per_third: Vec<(u64, u64)> = std::iter::once((0, 0))
        .chain(thirds.iter().copied())
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| (w[1].0 - w[0].0, w[1].1 - w[0].1))
        .collect();
    let mut workload_failures = Vec::new();
    if s.c.double_spends_injected == 0 {
        workload_failures.push("no double spend landed: the run proves nothing about detection".to_string());
    }
    if secs >= 300 {
        if s.c.double_spends_injected < secs / 300 {
            workload_failures.push(format!(
                "{} double spends landed in {secs} s: fewer than one per 5 minutes",
                s.c.double_spends_injected
            ));
        }
        // Completed taps per operation in the last third at least half of the first third's.
        let (first, last) = (per_third[0], per_third[2]);
        if last.1 * first.0 * 2 < first.1 * last.0 {
            workload_failures.push(format!("taps dried up: {per_third:?} (ops, completed) per third"));
        }
    }
    let held_honest: u64 = s.parties.iter().take(HONEST).map(Party::total).sum();
    eprintln!(
        "soak: {secs} s, seed {seed}, {} operations: {:?}; (ops, completed taps) per third {per_third:?}; proxy: \
         forwarded {}, dropped requests {}, dropped answers {}, duplicated {}; issuer: issued {}, held_offline {}, \
         funded {}, honest wallets hold {held_honest}, double spends {}, revoked {}; violations {}",
        s.ops,
        s.c,
        proxy_stats.forwarded.load(Ordering::Relaxed),
        proxy_stats.dropped_requests.load(Ordering::Relaxed),
        proxy_stats.dropped_answers.load(Ordering::Relaxed),
        proxy_stats.duplicated.load(Ordering::Relaxed),
        audit.issued,
        audit.held_offline,
        audit.funded,
        audit.double_spends,
        revoked.len(),
        violations.len()
    );
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(workload_failures.is_empty(), "{workload_failures:#?}");
    drop(issuer);
    let _ = std::fs::remove_dir_all(&dir);
}
