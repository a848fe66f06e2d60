//! The rest of the simulated year (`offline-cash simulate`, after the peak and its sync): the
//! clock moves to 340 days after funding, inside the policy's refresh window before the notes
//! expire, and every honest device syncs once. The automatic refresh of `sync` must leave no
//! honest note frozen, and conservation must still hold.
//!
//! ```text
//!  clock = funding + 340 days ─► every person and terminal syncs (HTTP, concurrent)
//!     (sync: outbox, revocations, automatic refresh of notes near expiry / deep / from a
//!      revoked custodian / too many, certificate renewal)
//!  checks: honest value waiting for a refresh == 0, nothing left in a flow, every honest note
//!          expires after the year's end, issuer audit balanced, accounts + live notes == initial
//! ```
//! Cheaters are revoked: their refreshes are refused and their notes stay as they are (they
//! expire and return to their account); they are left out of the "nothing frozen" check.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::CliError;
use crate::check::Checks;
use crate::simulate::{Device, Kind};

/// Days after funding when the year-end sync runs.
pub const YEAR_END_SYNC_DAY: u64 = 340;

/// What the year-end sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YearEnd {
    /// Value refreshed by the honest devices' syncs.
    pub refreshed: u64,
    /// Honest value that still waits for a refresh (must be 0).
    pub frozen: u64,
}

/// Runs the year-end sync of the honest devices at `funded_at + 340 days` and its checks.
pub(crate) async fn run(
    devices: &[Device],
    clock: &AtomicU64,
    funded_at: u64,
    concurrency: usize,
    checks: &mut Checks,
) -> Result<YearEnd, CliError> {
    let at = funded_at + YEAR_END_SYNC_DAY * 86_400;
    clock.store(at, Ordering::Relaxed);
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, d) in devices.iter().enumerate().filter(|(_, d)| d.kind != Kind::Cheater) {
        let (wallet, client) = (d.wallet.clone(), d.client.clone());
        let permit = semaphore.clone().acquire_owned().await.map_err(|_| CliError::input("semaphore closed"))?;
        tasks.spawn(async move {
            let _permit = permit;
            (i, wallet.sync(&client, at).await)
        });
    }
    let mut out = YearEnd::default();
    while let Some(done) = tasks.join_next().await {
        let (i, r) = done.map_err(|e| CliError::input(format!("year-end sync task: {e}")))?;
        match r {
            Ok(r) => out.refreshed += r.flows.iter().map(|f| f.done).sum::<u64>(),
            Err(e) => {
                let name = devices.get(i).map_or("?", |d| d.name.as_str());
                checks.expect(false, format!("{name} failed its year-end sync: {e}"));
            }
        }
    }
    let year_end = funded_at + 365 * 86_400;
    let mut expiring_too_soon = 0u64;
    for d in devices.iter().filter(|d| d.kind != Kind::Cheater) {
        let b = d.wallet.balance_detail(at)?;
        out.frozen += b.waiting.iter().map(|(_, a)| a).sum::<u64>() + b.refreshing + b.depositing;
        let notes = d.wallet.with_store(|s| s.unspent_notes())?;
        expiring_too_soon += notes.iter().filter(|n| n.expires_at <= year_end).map(|n| n.amount).sum::<u64>();
    }
    checks.equal(out.frozen, 0, "honest value frozen after the year-end sync");
    checks.equal(expiring_too_soon, 0, "honest value expiring by the year's end after the year-end sync");
    Ok(out)
}
