//! SplitMix64 (Steele, Lea and Flood, 2014): the seeded stream that says which fragments a
//! repair part mixes, and with which coefficients (PROTOCOL.md §5.2).
//!
//! Contract: deterministic and portable (the same seed gives the same stream on every
//! platform, since sender and receiver must agree); **not** a cryptographic generator and not
//! for keys or nonces. It is public so that benches and tests can draw seeded losses from the
//! same small generator.

/// A SplitMix64 state; [`SplitMix64::next_u64`] advances it.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A stream from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 bits of the stream.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_stream() {
        // The reference C code (Vigna, splitmix64.c) from seed 0.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }
}
