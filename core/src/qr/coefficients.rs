//! Which fragments part `seq` of a message mixes, and with which coefficients (PROTOCOL.md
//! §5.2, decision 0020): the rule both the encoder and the decoder follow.
//!
//! ```text
//!  seq 1..=n        fragment seq − 1 alone (coefficient 1), in every version
//!  seq > n, GF(2)   fragment i is in the mix when bit i of the stream is set
//!                   (64 bits a draw, least significant first; bits past n cleared)
//!  seq > n, GF(256) fragment i has coefficient byte i of the stream
//!                   (8 bytes a draw, least significant first; bytes past n dropped)
//!  either, all 0    fragment (next draw mod n) alone
//!  the stream       SplitMix64 seeded with (u32 BE checksum) << 32 | seq
//! ```
//!
//! Version 1 repair parts are always over GF(2). Version 2 ones are over GF(256) when the
//! decoder's matrix, n × (n + F) bytes for `n` fragments of `F` bytes, is at most
//! [`GF256_MAX_MATRIX_BYTES`], and the GF(2) mixes of version 1 above it, so that the worst
//! decoding cost stays that of version 1 at n = 4096 ([`repair_field`]).

use super::splitmix::SplitMix64;

/// Version byte of the parts the encoder emits: repair parts over GF(256) where
/// [`repair_field`] says so.
pub const PART_VERSION: u8 = 2;
/// The first part version: repair parts over GF(2) only. Still decoded, never emitted by
/// [`super::FountainEncoder::new`].
pub const PART_VERSION_GF2: u8 = 1;
/// Largest decoder matrix (n × (n + F) bytes) for which version-2 repair parts are coded over
/// GF(256): 128 KiB, e.g. n = 256 fragments of 256 B, or n = 250 of 400 B (a 100 kB frame).
pub const GF256_MAX_MATRIX_BYTES: usize = 1 << 17;

/// The field of a message's repair coefficients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Coefficients 0 or 1: a repair part is the XOR of a subset of fragments.
    Gf2,
    /// Coefficients in GF(256), polynomial 0x11D (module `gf256`).
    Gf256,
}

/// The field of the repair parts of a message of `fragments` fragments of `fragment_len` bytes,
/// in part version `version`.
pub fn repair_field(version: u8, fragments: usize, fragment_len: usize) -> Field {
    let matrix = fragments.saturating_mul(fragments.saturating_add(fragment_len));
    if version >= PART_VERSION && matrix <= GF256_MAX_MATRIX_BYTES { Field::Gf256 } else { Field::Gf2 }
}

fn stream(seq: u32, checksum: [u8; 4]) -> SplitMix64 {
    SplitMix64::new((u64::from(u32::from_be_bytes(checksum)) << 32) | u64::from(seq))
}

/// The index of the one fragment of a systematic part (`1 ≤ seq ≤ n`), if it is one.
fn systematic(seq: u32, n: usize) -> Option<usize> {
    let s = usize::try_from(seq).ok()?;
    (1..=n).contains(&s).then(|| s - 1)
}

fn fallback(rng: &mut SplitMix64, n: usize) -> usize {
    usize::try_from(rng.next_u64() % n.max(1) as u64).unwrap_or(0)
}

/// The GF(2) coefficients of part `seq`: a bit set of `n` bits in 64-bit words.
pub(super) fn bits(seq: u32, n: usize, checksum: [u8; 4]) -> Vec<u64> {
    let mut set = vec![0u64; n.div_ceil(64)];
    if let Some(i) = systematic(seq, n) {
        set_bit(&mut set, i);
        return set;
    }
    let mut rng = stream(seq, checksum);
    for w in set.iter_mut() {
        *w = rng.next_u64();
    }
    let tail = n % 64;
    if tail != 0 {
        if let Some(last) = set.last_mut() {
            *last &= (1u64 << tail) - 1;
        }
    }
    if set.iter().all(|w| *w == 0) {
        set_bit(&mut set, fallback(&mut rng, n));
    }
    set
}

/// The GF(256) coefficients of part `seq`: one byte per fragment.
pub(super) fn bytes(seq: u32, n: usize, checksum: [u8; 4]) -> Vec<u8> {
    let mut row = vec![0u8; n];
    if let Some(i) = systematic(seq, n) {
        if let Some(c) = row.get_mut(i) {
            *c = 1;
        }
        return row;
    }
    let mut rng = stream(seq, checksum);
    for chunk in row.chunks_mut(8) {
        for (c, b) in chunk.iter_mut().zip(rng.next_u64().to_le_bytes()) {
            *c = b;
        }
    }
    if row.iter().all(|c| *c == 0) {
        if let Some(c) = row.get_mut(fallback(&mut rng, n)) {
            *c = 1;
        }
    }
    row
}

fn set_bit(set: &mut [u64], i: usize) {
    if let Some(w) = set.get_mut(i / 64) {
        *w |= 1 << (i % 64);
    }
}

/// Whether bit `i` of `set` is set.
pub(super) fn bit(set: &[u64], i: usize) -> bool {
    set.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn systematic_parts_are_one_fragment_and_repair_parts_read_the_stream() {
        let cs = [1, 2, 3, 4];
        assert_eq!(bytes(3, 5, cs), vec![0, 0, 1, 0, 0]);
        assert_eq!(bits(3, 5, cs), vec![0b100]);
        let draw = stream(6, cs).next_u64();
        assert_eq!(bytes(6, 5, cs), draw.to_le_bytes()[..5].to_vec());
        assert_eq!(bits(6, 5, cs), vec![draw & 0b1_1111]);
        assert_eq!(bytes(20, 9, cs).len(), 9);
    }

    #[test]
    fn gf256_only_in_version_2_and_up_to_the_matrix_bound() {
        assert_eq!(repair_field(1, 23, 385), Field::Gf2);
        assert_eq!(repair_field(2, 23, 385), Field::Gf256);
        assert_eq!(repair_field(2, 256, 256), Field::Gf256, "exactly 128 KiB");
        assert_eq!(repair_field(2, 256, 257), Field::Gf2);
        assert_eq!(repair_field(2, 4096, 256), Field::Gf2);
        assert_eq!(repair_field(2, 1, usize::MAX), Field::Gf2, "no overflow");
    }
}
