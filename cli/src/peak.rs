//! The peak of `offline-cash simulate`: the canteen split into independent shards, each with
//! its own people, terminals, double spenders and random stream, run on parallel threads.
//!
//! ```text
//!  devices ─split by index─► shard 0 (people 0,2,4…, terminals 0,2…) ─thread─┐
//!                          ► shard 1 (people 1,3,5…, terminals 1,3…) ─thread─┼─► merged report,
//!                          ► …                                               ┘   devices back in order
//!  per shard, event i at t_i: payer ─tap─► terminal or person of the same shard
//!     torn (tear at a random byte) ─► [payer crash: drop + reopen its file] ─► tap again
//!     cheater: live wallet pays first; its restored backup pays in the second half
//! ```
//!
//! Contract: a shard touches only its own devices, so shards need no lock and the outcome of
//! a seed does not depend on thread scheduling (it does depend on the number of shards).
//! Every payment is a full `core::wallet::tap` between two real wallets; nothing here decides
//! about money. What it does not do: talk to the issuer (the peak is offline).

use std::collections::{BTreeMap, HashSet};

use indicatif::ProgressBar;
use offline_cash_core::wallet::WalletError;
use offline_cash_core::wallet::tap::CardRole;

use crate::CliError;
use crate::people::{tap_again, tap_config, tap_pay, tap_pay_nonce};
use crate::simulate::{Device, SimRng, SimulationReport};

/// The settings every shard shares.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeakParams {
    /// Simulated time of the first event.
    pub start_time: u64,
    /// Length of the peak (seconds).
    pub seconds: u64,
    /// Fraction of payments between people.
    pub p2p: f64,
    /// Fraction of torn taps.
    pub tears: f64,
}

/// One independent part of the canteen.
pub(crate) struct Shard {
    /// Its devices (people, cheaters, terminals), by global index.
    pub devices: BTreeMap<usize, Device>,
    /// Restored backups of its cheaters, by the cheater's index.
    pub backups: BTreeMap<usize, Device>,
    /// Honest people (payers), global indices.
    pub honest: Vec<usize>,
    /// Honest people and cheaters (payees of person-to-person payments).
    pub people: Vec<usize>,
    /// Its double spenders.
    pub cheaters: Vec<usize>,
    /// Its terminals.
    pub terminals: Vec<usize>,
    /// Honest people whose wallet lives in a file (targets of extra crashes).
    pub crash_prone: Vec<usize>,
    /// Payments it attempts.
    pub payments: usize,
    /// Extra crashes between payments.
    pub crashes: usize,
    /// Seed of its choices.
    pub seed: u64,
}

/// What a shard did, and its devices to give back.
pub(crate) struct ShardOutcome {
    /// Its counts (payments, tears, crashes, injected double spends, tap times).
    pub report: SimulationReport,
    /// Value lost in torn taps that the payee never received.
    pub limbo: u64,
    /// Its devices.
    pub devices: BTreeMap<usize, Device>,
    /// Its backups.
    pub backups: BTreeMap<usize, Device>,
}

/// Runs every shard on its own thread; the outcomes come back in shard order.
pub(crate) fn run_shards(
    shards: Vec<Shard>,
    params: &PeakParams,
    pb: &ProgressBar,
) -> Result<Vec<ShardOutcome>, CliError> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = shards.into_iter().map(|s| scope.spawn(move || run_shard(s, params, pb))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(CliError::input("a peak shard panicked"))))
            .collect()
    })
}

fn run_shard(mut shard: Shard, p: &PeakParams, pb: &ProgressBar) -> Result<ShardOutcome, CliError> {
    let mut rng = SimRng::new(shard.seed);
    let mut report = SimulationReport::default();
    let mut limbo = 0u64;
    let n = shard.payments;
    // Each cheater's live wallet pays a terminal at the start; its backup pays a random person
    // in the second half of the peak.
    let mut backup_at: BTreeMap<usize, usize> = BTreeMap::new();
    for &c in &shard.cheaters {
        let at = n / 2 + rng.below((n / 2).max(1) as u64) as usize;
        backup_at.insert(at, c);
    }
    let mut crash_at: HashSet<usize> = HashSet::new();
    for _ in 0..shard.crashes {
        crash_at.insert(rng.below(n.max(1) as u64) as usize);
    }
    let mut avg_bytes = 2_000u64;
    let devices = &mut shard.devices;
    for (k, &c) in shard.cheaters.iter().enumerate() {
        let Some(&terminal) = shard.terminals.get(k % shard.terminals.len().max(1)) else { continue };
        let now = p.start_time + k as u64;
        let (payer, payee) = pair(devices, c, terminal)?;
        let r = tap_pay(&payer.wallet, &payee.wallet, 1_000, tap_config(CardRole::PayeeIsCard, None), now)?;
        if r.payer_complete {
            report.payments += 1;
            report.value_moved += 1_000;
        }
    }
    for i in 0..n {
        pb.inc(1);
        let now = p.start_time + 60 + (i as u64 * p.seconds.saturating_sub(120)) / n.max(1) as u64;
        if crash_at.contains(&i) && !shard.crash_prone.is_empty() {
            let victim = pick(&mut rng, &shard.crash_prone)?;
            if let Some(d) = devices.get_mut(&victim) {
                if d.crash()? {
                    report.crashes += 1;
                }
            }
        }
        if let Some(&c) = backup_at.get(&i) {
            // The restored copy spends the note the live wallet already spent.
            let payee_index = pick(&mut rng, &shard.honest)?;
            let (Some(backup), Some(payee)) = (shard.backups.get(&c), devices.get(&payee_index)) else { continue };
            let r = tap_pay(&backup.wallet, &payee.wallet, 1_500, tap_config(CardRole::PayeeIsCard, None), now)?;
            if r.payer_complete {
                report.double_spends_injected += 1;
                report.payments += 1;
                report.value_moved += 1_500;
            } else {
                *report.refused.entry(format!("restored backup: {:?}", r.error())).or_default() += 1;
            }
            continue;
        }
        let to_person = rng.chance(p.p2p);
        let amount = if to_person { rng.range(100, 1_500) } else { rng.range(250, 900) };
        // A payer with enough: a few random tries (honest people only; cheaters stay scripted).
        let mut payer_index = None;
        for _ in 0..8 {
            let candidate = pick(&mut rng, &shard.honest)?;
            let spendable = devices.get(&candidate).map_or(Ok(0), |d| d.wallet.balance().map(|b| b.spendable))?;
            if spendable >= amount {
                payer_index = Some(candidate);
                break;
            }
        }
        let Some(payer_index) = payer_index else {
            *report.refused.entry("no payer with enough funds".into()).or_default() += 1;
            continue;
        };
        let payee_index = if to_person {
            let at = rng.below(shard.people.len() as u64) as usize;
            let mut p = shard.people.get(at).copied().unwrap_or(payer_index);
            if p == payer_index {
                p = shard.people.get((at + 1) % shard.people.len().max(1)).copied().unwrap_or(payer_index);
            }
            p
        } else {
            pick(&mut rng, &shard.terminals)?
        };
        let depth = {
            let payer = devices.get(&payer_index).ok_or_else(|| CliError::input("payer index"))?;
            payer
                .wallet
                .with_store(|s| s.select_coins(amount, now))
                .map(|sel| {
                    sel.full.iter().map(|n| n.depth).chain(sel.split.iter().map(|s| s.note.depth)).max().unwrap_or(0)
                        + 1
                })
                .unwrap_or(0)
        };
        let torn = rng.chance(p.tears);
        let tear_at = torn.then(|| rng.range(1, avg_bytes.max(2)));
        let role = if rng.chance(0.5) { CardRole::PayeeIsCard } else { CardRole::PayerIsCard };
        let (payer, payee) = pair(devices, payer_index, payee_index)?;
        let (r, nonce) = tap_pay_nonce(&payer.wallet, &payee.wallet, amount, tap_config(role, tear_at), now)?;
        if !r.torn {
            if r.payer_complete {
                report.payments += 1;
                report.value_moved += amount;
                report.taps.push((depth, r.stats));
                avg_bytes = (avg_bytes * 15 + r.stats.bytes_total()) / 16;
            } else {
                *report.refused.entry(reason(r.error())).or_default() += 1;
            }
            continue;
        }
        report.tears += 1;
        let received_before = r.payee_received.is_some();
        // The payer's phone restarts before the retry, when it keeps its wallet in a file.
        if let Some(d) = devices.get_mut(&payer_index) {
            if d.crash()? {
                report.crashes += 1;
            }
        }
        let pending_before = devices.get(&payer_index).map_or(Ok(0), |d| d.wallet.balance().map(|b| b.pending))?;
        let mut recovered = false;
        for attempt in 0..3u64 {
            let (payer, payee) = pair(devices, payer_index, payee_index)?;
            // The same request again: a pending payment is resent only for the request it answers.
            let r = tap_again(&payer.wallet, &payee.wallet, &nonce, tap_config(role, None), now + 2 + attempt)?;
            if r.payer_complete {
                recovered = true;
                report.taps.push((depth, r.stats));
                break;
            }
        }
        if recovered {
            report.tears_recovered += 1;
            report.payments += 1;
            report.value_moved += amount;
        } else if pending_before > 0 && !received_before {
            limbo += amount;
        }
    }
    Ok(ShardOutcome { report, limbo, devices: shard.devices, backups: shard.backups })
}

/// A uniformly chosen element of `from`.
fn pick(rng: &mut SimRng, from: &[usize]) -> Result<usize, CliError> {
    from.get(rng.below(from.len() as u64) as usize)
        .copied()
        .ok_or_else(|| CliError::input("a shard has no one to pick"))
}

fn pair(devices: &BTreeMap<usize, Device>, a: usize, b: usize) -> Result<(&Device, &Device), CliError> {
    match (devices.get(&a), devices.get(&b)) {
        (Some(x), Some(y)) if a != b => Ok((x, y)),
        _ => Err(CliError::input(format!("no such pair of devices {a}, {b}"))),
    }
}

fn reason(e: Option<&WalletError>) -> String {
    match e {
        Some(WalletError::Rejected(r)) => format!("refused: {}", r.code()),
        Some(WalletError::PeerRejected { reason, .. }) => format!("refused by peer: {reason}"),
        Some(WalletError::Limit(l)) => format!("limit: {l}"),
        Some(WalletError::InsufficientFunds { .. }) => "insufficient funds".into(),
        Some(other) => format!("error: {other}"),
        None => "incomplete".into(),
    }
}
