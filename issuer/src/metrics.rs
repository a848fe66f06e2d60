//! Counters and a latency histogram, rendered in the Prometheus text format (0.0.4).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the batch latency histogram buckets.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The issuer's metrics. Lock-free; cheap to update from any thread.
#[derive(Debug, Default)]
pub struct Metrics {
    batches: AtomicU64,
    links: AtomicU64,
    double_spends: AtomicU64,
    rollbacks: AtomicU64,
    rejected_requests: AtomicU64,
    rate_limited: AtomicU64,
    own_notes: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

impl Metrics {
    pub(crate) fn batch_done(&self, links: u64, elapsed: Duration) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.links_settled(links);
        let secs = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub(crate) fn links_settled(&self, n: u64) {
        self.links.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn double_spend(&self) {
        self.double_spends.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn rollback(&self) {
        self.rollbacks.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn rejected_request(&self) {
        self.rejected_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn own_notes_trusted(&self, n: u64) {
        self.own_notes.fetch_add(n, Ordering::Relaxed);
    }

    /// Genesis notes settled without checking the issuer's signature again (the issuer signed
    /// them and holds their exact bytes, crate::settle), since start.
    pub fn own_notes_trusted_total(&self) -> u64 {
        self.own_notes.load(Ordering::Relaxed)
    }

    /// Signed requests refused because their wallet's budget was spent, since start.
    pub fn rate_limited_requests(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// Double spends detected since start.
    pub fn double_spends(&self) -> u64 {
        self.double_spends.load(Ordering::Relaxed)
    }

    /// Rolled-back wallets seen since start.
    pub fn rollbacks(&self) -> u64 {
        self.rollbacks.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let counter = |s: &mut String, name: &str, help: &str, v: &AtomicU64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", v.load(Ordering::Relaxed));
        };
        counter(&mut s, "oc_sync_batches_total", "Settlement batches processed.", &self.batches);
        counter(&mut s, "oc_links_settled_total", "Spend links recorded as accepted.", &self.links);
        counter(&mut s, "oc_double_spends_total", "Double spends detected (proof stored).", &self.double_spends);
        counter(
            &mut s,
            "oc_rollbacks_total",
            "Wallets seen with a counter or log head going backwards.",
            &self.rollbacks,
        );
        counter(&mut s, "oc_rejected_requests_total", "Requests answered with a 4xx error.", &self.rejected_requests);
        counter(
            &mut s,
            "oc_rate_limited_requests_total",
            "Signed requests refused with 429 (the wallet's budget was spent).",
            &self.rate_limited,
        );
        counter(
            &mut s,
            "oc_own_genesis_notes_trusted_total",
            "Genesis notes the issuer signed and holds byte for byte, settled without verifying its signature again.",
            &self.own_notes,
        );
        let name = "oc_sync_batch_duration_seconds";
        let _ = writeln!(s, "# HELP {name} Time to settle one batch.\n# TYPE {name} histogram");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(s, "{name}_bucket{{le=\"{bound}\"}} {}", bucket.load(Ordering::Relaxed));
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(s, "{name}_bucket{{le=\"+Inf\"}} {count}\n{name}_sum {sum}\n{name}_count {count}");
        s
    }
}
