//! What `bench` and `load` share: a payer's one-link spend of a fresh note, latencies per
//! operation and their percentiles, the Unix clock, and turning any failure into an
//! [`IssuerError`].

use std::collections::BTreeMap;
use std::time::Duration;

use offline_cash_core::crypto::{Signer, SoftwareSigner};
use offline_cash_core::token::{Bundle, Chain, LinkBody, Note, Output, SpendLink, WalletId};
use offline_cash_issuer::IssuerError;

/// `note` (fresh from the issuer) paid whole to `payee` by `payer` with spend counter
/// `counter`: a bundle of one genesis note and one link, without the payer's certificate
/// (the issuer holds every registered wallet's).
pub fn spend_whole(payer: &SoftwareSigner, note: Note, payee: WalletId, counter: u64) -> Result<Bundle, IssuerError> {
    let amount = note.body().amount;
    let chain = Chain::genesis(note);
    let body = LinkBody {
        parent: chain.head,
        outputs: vec![Output { owner: payee, amount }],
        counter,
        payee_nonce: [0; 16],
        time: now(),
    };
    let link = SpendLink::sign(body, payer)?;
    let omit = [offline_cash_core::token::wallet_id(&payer.public_key())].into_iter().collect();
    Bundle::from_chains(&[chain.extended(link, 0)], &[], &omit).map_err(IssuerError::Rejected)
}

/// Any failure of a benchmark run as an error of the command.
pub fn fail(what: impl std::fmt::Display) -> IssuerError {
    IssuerError::Internal { what: what.to_string() }
}

/// Unix seconds now.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The `p`-th percentile (nearest rank) of `sorted`; zero when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1).min(sorted.len() - 1)).copied().unwrap_or(Duration::ZERO)
}

/// Latencies recorded per operation name.
#[derive(Default)]
pub struct Latencies(BTreeMap<&'static str, Vec<Duration>>);

impl Latencies {
    /// Records one request of `op`.
    pub fn push(&mut self, op: &'static str, took: Duration) {
        self.0.entry(op).or_default().push(took);
    }

    /// Requests recorded, all operations but `except`.
    pub fn count_except(&self, except: &str) -> usize {
        self.0.iter().filter(|(op, _)| **op != except).map(|(_, v)| v.len()).sum()
    }

    /// One markdown row per operation: name, requests, p50, p99, max (ms).
    pub fn table_rows(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let mut out = String::new();
        for (op, times) in &self.0 {
            let mut sorted = times.clone();
            sorted.sort();
            out.push_str(&format!(
                "| {op} | {} | {:.1} ms | {:.1} ms | {:.1} ms |\n",
                sorted.len(),
                ms(percentile(&sorted, 50.0)),
                ms(percentile(&sorted, 99.0)),
                ms(percentile(&sorted, 100.0)),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<_> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&sorted, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&sorted, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&[Duration::from_millis(1)], 99.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }

    #[test]
    fn rows_name_each_operation_with_its_count() {
        let mut l = Latencies::default();
        for ms in [3, 1, 2] {
            l.push("sync", Duration::from_millis(ms));
        }
        l.push("register", Duration::from_millis(9));
        assert_eq!(l.count_except("register"), 3);
        let rows = l.table_rows();
        assert!(rows.contains("| sync | 3 | 2.0 ms | 3.0 ms | 3.0 ms |"), "{rows}");
        assert!(rows.contains("| register | 1 |"), "{rows}");
    }
}
