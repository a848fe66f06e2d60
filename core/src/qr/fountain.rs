//! A systematic random linear fountain code over GF(2): a message cut into `n` equal fragments
//! becomes an endless sequence of parts; any `n` independent parts rebuild it, in any order.
//!
//! ```text
//!  seq 1..=n   the fragments themselves (a receiver that misses nothing is done after n)
//!  seq > n     XOR of a pseudo-random subset of fragments: fragment i is in it when bit i of
//!              the splitmix64 stream seeded with (checksum << 32 | seq) is set (64 bits a draw,
//!              least significant first); an empty subset takes fragment (next draw mod n)
//! ```
//!
//! The decoder is Gaussian elimination kept in reduced row-echelon form: every part either
//! raises the rank by one or is dropped as redundant; at rank `n` the message is read off and
//! checked against its checksum. A random dense subset is independent of the parts so far with
//! probability ≥ 1/2 even at rank n-1, so a receiver needs on average about n + 1.6 parts
//! whatever was lost (a peeling LT decoder, as the UR codec uses, needs more for small n; the
//! cost here is O(n) row XORs per part, which is small for n ≤ [`MAX_FRAGMENTS`]).
//!
//! Contract: parts are plain data; this module does not know what the message means. Bounds:
//! at most [`MAX_FRAGMENTS`] fragments and [`super::MAX_MESSAGE_BYTES`] bytes.

use super::{MAX_MESSAGE_BYTES, QrError};
use crate::crypto::sha256;

/// Most fragments a message may be cut into.
pub const MAX_FRAGMENTS: usize = 4096;
/// Version byte of a part.
pub const PART_VERSION: u8 = 1;
/// `version (1) ‖ seq (4, BE) ‖ fragments (2, BE) ‖ message length (4, BE) ‖ checksum (4)`.
pub const PART_HEADER_LEN: usize = 15;

/// The first four bytes of SHA-256("OC1/qr-message" ‖ message).
pub fn checksum(message: &[u8]) -> [u8; 4] {
    let d = sha256(&[b"OC1/qr-message", message]);
    [d[0], d[1], d[2], d[3]]
}

/// One part of a fountain-coded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Sequence number, from 1.
    pub seq: u32,
    /// Number of fragments of the message.
    pub fragments: u16,
    /// Length of the message in bytes.
    pub message_len: u32,
    /// [`checksum`] of the message.
    pub checksum: [u8; 4],
    /// The XOR of the fragments this part mixes (one fragment's length).
    pub data: Vec<u8>,
}

impl Part {
    /// The binary form (see [`PART_HEADER_LEN`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PART_HEADER_LEN + self.data.len());
        out.push(PART_VERSION);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.fragments.to_be_bytes());
        out.extend_from_slice(&self.message_len.to_be_bytes());
        out.extend_from_slice(&self.checksum);
        out.extend_from_slice(&self.data);
        out
    }

    /// Decodes and checks a part: version, `seq ≥ 1`, `1 ≤ fragments ≤ MAX_FRAGMENTS`, a
    /// length within bounds that the fragment count cuts evenly, data of one fragment's length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, QrError> {
        let bad = |detail| QrError::BadPart { detail };
        let header = bytes.get(..PART_HEADER_LEN).ok_or(bad("shorter than its header"))?;
        let data = bytes.get(PART_HEADER_LEN..).ok_or(bad("shorter than its header"))?;
        let [version, s0, s1, s2, s3, f0, f1, l0, l1, l2, l3, c0, c1, c2, c3] = header else {
            return Err(bad("shorter than its header"));
        };
        if *version != PART_VERSION {
            return Err(bad("unknown version"));
        }
        let part = Part {
            seq: u32::from_be_bytes([*s0, *s1, *s2, *s3]),
            fragments: u16::from_be_bytes([*f0, *f1]),
            message_len: u32::from_be_bytes([*l0, *l1, *l2, *l3]),
            checksum: [*c0, *c1, *c2, *c3],
            data: data.to_vec(),
        };
        if part.seq == 0 {
            return Err(bad("sequence number 0"));
        }
        let fragment_len = shape(part.message_len as usize, part.fragments as usize)?;
        if part.data.len() != fragment_len {
            return Err(bad("fragment of the wrong length"));
        }
        Ok(part)
    }
}

/// The fragment length of a message of `len` bytes in `n` fragments, if that shape is valid.
fn shape(len: usize, n: usize) -> Result<usize, QrError> {
    let bad = |detail| QrError::BadPart { detail };
    if len == 0 || len > MAX_MESSAGE_BYTES {
        return Err(bad("message length out of bounds"));
    }
    if n == 0 || n > MAX_FRAGMENTS || n > len {
        return Err(bad("fragment count out of bounds"));
    }
    let fragment_len = len.div_ceil(n);
    if len.div_ceil(fragment_len) != n {
        return Err(bad("fragment count does not cut the message evenly"));
    }
    Ok(fragment_len)
}

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Which fragments part `seq` mixes, as a bit set of `n` bits in 64-bit words.
fn mix(seq: u32, n: usize, checksum: [u8; 4]) -> Vec<u64> {
    let words = n.div_ceil(64);
    let mut set = vec![0u64; words];
    let seq_index = seq as usize;
    if seq_index >= 1 && seq_index <= n {
        set_bit(&mut set, seq_index - 1);
        return set;
    }
    let mut rng = SplitMix64((u64::from(u32::from_be_bytes(checksum)) << 32) | u64::from(seq));
    for w in set.iter_mut() {
        *w = rng.next();
    }
    let tail = n % 64;
    if tail != 0 {
        if let Some(last) = set.last_mut() {
            *last &= (1u64 << tail) - 1;
        }
    }
    if set.iter().all(|w| *w == 0) {
        let pick = usize::try_from(rng.next() % n as u64).unwrap_or(0);
        set_bit(&mut set, pick);
    }
    set
}

fn set_bit(set: &mut [u64], i: usize) {
    if let Some(w) = set.get_mut(i / 64) {
        *w |= 1 << (i % 64);
    }
}

fn bit(set: &[u64], i: usize) -> bool {
    set.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

fn xor_into(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= s;
    }
}

fn xor_words(dst: &mut [u64], src: &[u64]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= s;
    }
}

/// Cuts a message into fragments and emits parts.
#[derive(Debug, Clone)]
pub struct FountainEncoder {
    fragments: Vec<Vec<u8>>,
    message_len: u32,
    checksum: [u8; 4],
}

impl FountainEncoder {
    /// Cuts `message` into the fewest fragments of at most `max_fragment_len` bytes (all of one
    /// length, the last zero-padded). Refuses an empty message, one over
    /// [`MAX_MESSAGE_BYTES`], or a cut into more than [`MAX_FRAGMENTS`].
    pub fn new(message: &[u8], max_fragment_len: usize) -> Result<Self, QrError> {
        if message.len() > MAX_MESSAGE_BYTES {
            return Err(QrError::TooLarge { len: message.len(), limit: MAX_MESSAGE_BYTES });
        }
        let n = message.len().div_ceil(max_fragment_len.max(1));
        let fragment_len = shape(message.len(), n)?;
        let fragments = message
            .chunks(fragment_len)
            .map(|c| {
                let mut f = c.to_vec();
                f.resize(fragment_len, 0);
                f
            })
            .collect();
        let message_len = u32::try_from(message.len())
            .map_err(|_| QrError::TooLarge { len: message.len(), limit: MAX_MESSAGE_BYTES })?;
        Ok(Self { fragments, message_len, checksum: checksum(message) })
    }

    /// The number of fragments: the fewest parts that can rebuild the message.
    pub fn fragments(&self) -> usize {
        self.fragments.len()
    }

    /// Part `seq` (from 1; parts 1..=n are the fragments, later ones mixes). Deterministic.
    pub fn part(&self, seq: u32) -> Part {
        let n = self.fragments.len();
        let set = mix(seq.max(1), n, self.checksum);
        let mut data = vec![0u8; self.fragments.first().map_or(0, Vec::len)];
        for (i, f) in self.fragments.iter().enumerate() {
            if bit(&set, i) {
                xor_into(&mut data, f);
            }
        }
        Part {
            seq: seq.max(1),
            fragments: u16::try_from(n).unwrap_or(u16::MAX),
            message_len: self.message_len,
            checksum: self.checksum,
            data,
        }
    }
}

/// Rebuilds a message from parts received in any order, duplicates and gaps allowed.
#[derive(Debug, Clone, Default)]
pub struct FountainDecoder {
    shape: Option<(u16, u32, [u8; 4])>,
    /// Reduced rows: coefficient bit set and data; `pivots[c]` is the row whose pivot is c.
    rows: Vec<(Vec<u64>, Vec<u8>)>,
    pivots: Vec<Option<usize>>,
    received: usize,
    message: Option<Vec<u8>>,
}

impl FountainDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parts accepted so far (redundant ones included).
    pub fn received(&self) -> usize {
        self.received
    }

    /// Independent parts so far, and the number needed (0 before the first part).
    pub fn progress(&self) -> (usize, usize) {
        (self.rows.len(), self.pivots.len())
    }

    /// The message, once rebuilt and checked.
    pub fn message(&self) -> Option<&[u8]> {
        self.message.as_deref()
    }

    /// Takes one part. `Ok(true)` once the message is complete (later parts are ignored).
    /// A part of another message is [`QrError::OtherMessage`] and changes nothing; a complete
    /// rank whose result fails the checksum is [`QrError::Checksum`] (the decoder then starts
    /// over, so a corrupted part cannot wedge it).
    pub fn receive(&mut self, part: &Part) -> Result<bool, QrError> {
        if self.message.is_some() {
            return Ok(true);
        }
        let fragment_len = shape(part.message_len as usize, part.fragments as usize)?;
        if part.data.len() != fragment_len || part.seq == 0 {
            return Err(QrError::BadPart { detail: "fragment of the wrong length" });
        }
        let this = (part.fragments, part.message_len, part.checksum);
        match self.shape {
            Some(shape) if shape != this => return Err(QrError::OtherMessage),
            Some(_) => {}
            None => {
                self.shape = Some(this);
                self.pivots = vec![None; part.fragments as usize];
            }
        }
        self.received += 1;
        let n = self.pivots.len();
        let mut coef = mix(part.seq, n, part.checksum);
        let mut data = part.data.clone();
        for col in 0..n {
            if bit(&coef, col) {
                if let Some((rc, rd)) = self.pivots.get(col).copied().flatten().and_then(|r| self.rows.get(r)) {
                    xor_words(&mut coef, rc);
                    xor_into(&mut data, rd);
                }
            }
        }
        let Some(pivot) = (0..n).find(|&c| bit(&coef, c)) else {
            return Ok(false);
        };
        for (rc, rd) in &mut self.rows {
            if bit(rc, pivot) {
                xor_words(rc, &coef);
                xor_into(rd, &data);
            }
        }
        if let Some(slot) = self.pivots.get_mut(pivot) {
            *slot = Some(self.rows.len());
        }
        self.rows.push((coef, data));
        if self.rows.len() < n {
            return Ok(false);
        }
        let mut message = Vec::with_capacity(n * fragment_len);
        for r in self.pivots.iter().flatten() {
            if let Some((_, d)) = self.rows.get(*r) {
                message.extend_from_slice(d);
            }
        }
        message.truncate(part.message_len as usize);
        if checksum(&message) != part.checksum {
            *self = Self::default();
            return Err(QrError::Checksum);
        }
        self.message = Some(message);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn message(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 256) as u8).collect()
    }

    #[test]
    fn the_fragments_alone_rebuild_the_message_in_any_order() {
        let m = message(1000);
        let enc = FountainEncoder::new(&m, 64).unwrap();
        assert_eq!(enc.fragments(), 16);
        let mut dec = FountainDecoder::new();
        for seq in (1..=16).rev() {
            let done = dec.receive(&Part::from_bytes(&enc.part(seq).to_bytes()).unwrap()).unwrap();
            assert_eq!(done, seq == 1);
        }
        assert_eq!(dec.message(), Some(&m[..]));
    }

    #[test]
    fn mixed_parts_replace_lost_fragments() {
        let m = message(15_000);
        let enc = FountainEncoder::new(&m, 400).unwrap();
        let n = enc.fragments();
        let mut dec = FountainDecoder::new();
        // Every third fragment lost; then mixes only, newest first.
        for seq in (1..=n as u32).filter(|s| s % 3 != 0) {
            assert!(!dec.receive(&enc.part(seq)).unwrap());
        }
        let mut seq = 10 * n as u32;
        while !dec.receive(&enc.part(seq)).unwrap() {
            seq -= 1;
        }
        assert_eq!(dec.message(), Some(&m[..]));
        assert!(dec.received() <= n + 8, "{} parts for {n}", dec.received());
    }

    #[test]
    fn a_part_of_another_message_is_refused_and_a_bad_one_is_caught() {
        let a = FountainEncoder::new(&message(500), 100).unwrap();
        let b = FountainEncoder::new(&message(501), 100).unwrap();
        let mut dec = FountainDecoder::new();
        dec.receive(&a.part(1)).unwrap();
        assert_eq!(dec.receive(&b.part(2)), Err(QrError::OtherMessage));
        let mut bad = a.part(2);
        bad.data[0] ^= 1;
        for p in [bad, a.part(3), a.part(4)] {
            dec.receive(&p).unwrap();
        }
        assert_eq!(dec.receive(&a.part(5)), Err(QrError::Checksum));
        for seq in 1..=5 {
            dec.receive(&a.part(seq)).unwrap();
        }
        assert_eq!(dec.message(), Some(&message(500)[..]));
    }

    #[test]
    fn malformed_parts_are_typed_errors() {
        let good = FountainEncoder::new(&message(300), 100).unwrap().part(7).to_bytes();
        assert!(Part::from_bytes(&good).is_ok());
        for cut in 0..good.len() {
            assert!(Part::from_bytes(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut v = good.clone();
        v[0] = 2;
        assert!(matches!(Part::from_bytes(&v), Err(QrError::BadPart { .. })));
        let mut zero_n = good.clone();
        zero_n[5..7].copy_from_slice(&0u16.to_be_bytes());
        assert!(Part::from_bytes(&zero_n).is_err());
        let mut uneven = good;
        uneven[5..7].copy_from_slice(&299u16.to_be_bytes());
        assert!(Part::from_bytes(&uneven).is_err());
        assert!(FountainEncoder::new(&[], 10).is_err());
        assert!(FountainEncoder::new(&message(5000), 1).is_err(), "more than MAX_FRAGMENTS");
    }
}
