//! Link-time models for a tap: how long moving APDUs between two phones takes, modelled from
//! counts, never measured. One place for the figures that the tap benchmark, the CLI demo and
//! the simulator print side by side.
//!
//! ```text
//!  time(apdus, bytes) = apdus × per-APDU round trip + bytes × 8 / bit rate
//! ```
//!
//! Two models:
//!
//! - [`LinkModel::OPTIMISTIC`]: 424 kbit/s (ISO 14443 at fc/32) and 8 ms per APDU round trip,
//!   the figures this project started from (about 19 ms per KiB).
//! - [`LinkModel::CONSERVATIVE`]: 20 ms per APDU round trip and 140 ms per KiB (an effective
//!   58.5 kbit/s), derived in docs/PERFORMANCE.md ("Two link models") from Android's HCE guide
//!   ("about 1 KB … within 300 ms") and the published tap times of EMV cards (250–800 ms) and
//!   Google Pay (165–250 ms).
//!
//! What a model does not include: the time the wallets compute (measured separately), the time
//! a person takes to bring the phones together, and anticollision / activation before SELECT.

use std::time::Duration;

/// A link model: a fixed cost per APDU exchange and a bit rate for the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkModel {
    /// A short name for tables ("optimistic", "conservative").
    pub name: &'static str,
    /// Bits per second each way (half duplex: the bytes of both directions add up).
    pub bit_rate: u64,
    /// Fixed cost of every APDU exchange (turnaround, framing, platform latency).
    pub round_trip: Duration,
}

/// Bits in one KiB, to state a model's cost per KiB.
const KIB_BITS: u128 = 1024 * 8;

impl LinkModel {
    /// 424 kbit/s and 8 ms per APDU: what a fast reader and card could do.
    pub const OPTIMISTIC: LinkModel =
        LinkModel { name: "optimistic", bit_rate: 424_000, round_trip: Duration::from_millis(8) };

    /// 20 ms per APDU and 140 ms per KiB (58 514 bit/s): what published phone taps show.
    pub const CONSERVATIVE: LinkModel =
        LinkModel { name: "conservative", bit_rate: 58_514, round_trip: Duration::from_millis(20) };

    /// Both models, optimistic first (the order of the columns everywhere).
    pub const BOTH: [LinkModel; 2] = [LinkModel::OPTIMISTIC, LinkModel::CONSERVATIVE];

    /// The modelled time of `apdus` exchanges carrying `bytes` in total (both directions):
    /// `bytes × 8 × 10⁹ / bit_rate` nanoseconds (rounded down) plus `apdus × round_trip`.
    /// A zero bit rate counts the bytes as taking forever ([`Duration::MAX`]).
    pub fn time(&self, apdus: u64, bytes: u64) -> Duration {
        if self.bit_rate == 0 {
            return Duration::MAX;
        }
        let nanos = u128::from(bytes) * 8 * 1_000_000_000 / u128::from(self.bit_rate);
        let transfer = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        let rtt = self.round_trip.saturating_mul(u32::try_from(apdus).unwrap_or(u32::MAX));
        transfer.saturating_add(rtt)
    }

    /// The cost of one KiB on the air under this model (rounded down to the nanosecond).
    pub fn per_kib(&self) -> Duration {
        if self.bit_rate == 0 {
            return Duration::MAX;
        }
        let nanos = KIB_BITS * 1_000_000_000 / u128::from(self.bit_rate);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_conservative_model_gives_the_published_hce_figure() {
        // An EMV-shaped exchange: 8 APDUs and 1 KiB is ~300 ms (Android's HCE guide).
        let t = LinkModel::CONSERVATIVE.time(8, 1024);
        assert!(t >= Duration::from_millis(299) && t <= Duration::from_millis(301), "{t:?}");
        let per_kib = LinkModel::CONSERVATIVE.per_kib();
        assert!(per_kib >= Duration::from_millis(139) && per_kib <= Duration::from_millis(141), "{per_kib:?}");
    }

    #[test]
    fn the_optimistic_model_is_the_old_default() {
        // 657 bytes over 4 APDUs: 12.396226 ms + 32 ms (the field's hand-computed figure).
        let t = LinkModel::OPTIMISTIC.time(4, 657);
        assert_eq!(t, Duration::from_nanos(12_396_226) + Duration::from_millis(32));
    }

    #[test]
    fn the_conservative_model_is_slower_for_every_shape() {
        for (apdus, bytes) in [(1, 0), (0, 1), (5, 994), (3, 15_332)] {
            assert!(LinkModel::CONSERVATIVE.time(apdus, bytes) > LinkModel::OPTIMISTIC.time(apdus, bytes));
        }
    }

    #[test]
    fn a_zero_bit_rate_does_not_panic() {
        let m = LinkModel { name: "broken", bit_rate: 0, round_trip: Duration::ZERO };
        assert_eq!(m.time(1, 1), Duration::MAX);
        assert_eq!(m.per_kib(), Duration::MAX);
    }
}
