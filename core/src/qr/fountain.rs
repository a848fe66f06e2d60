//! A systematic random linear fountain code: a message cut into `n` equal fragments becomes an
//! endless sequence of parts; any `n` independent parts rebuild it, in any order.
//!
//! ```text
//!  seq 1..=n   the fragments themselves (a receiver that misses nothing is done after n)
//!  seq > n     a random linear combination of the fragments, its coefficients drawn from a
//!              SplitMix64 stream seeded with (checksum << 32 | seq) (`coefficients`):
//!              version 1 over GF(2) (an XOR of a subset), version 2 over GF(256) while the
//!              decoder's matrix n × (n + F) stays within 128 KiB, over GF(2) above
//! ```
//!
//! The decoder is Gaussian elimination kept in reduced row-echelon form (`matrix`): every part
//! either raises the rank by one or is dropped as redundant; at rank `n` the message is read
//! off and checked against its checksum. A random combination is independent of the parts so
//! far with probability ≥ 1 − 1/q even at rank n − 1 (q = 2 or 256), so a receiver needs more
//! than n + k parts with probability about q^-(k+1), whatever was lost: about n + 1.6 parts on
//! average over GF(2), and rarely more than n + 1 over GF(256) (decision 0020). A part costs at
//! most 2n row operations; the rows take at most n × (n/8 + F) bytes over GF(2) and 128 KiB
//! over GF(256).
//!
//! Contract: parts are plain data; this module does not know what the message means. Bounds:
//! at most [`MAX_FRAGMENTS`] fragments and [`super::MAX_MESSAGE_BYTES`] bytes; one message,
//! one part version.

use super::coefficients::{self, bit};
use super::matrix::Matrix;
use super::{MAX_MESSAGE_BYTES, QrError, gf256};
use crate::crypto::sha256;

pub use super::coefficients::{Field, GF256_MAX_MATRIX_BYTES, PART_VERSION, PART_VERSION_GF2, repair_field};

/// Most fragments a message may be cut into.
pub const MAX_FRAGMENTS: usize = 4096;
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
    /// Part version: [`PART_VERSION`] (2) or [`PART_VERSION_GF2`] (1).
    pub version: u8,
    /// Sequence number, from 1.
    pub seq: u32,
    /// Number of fragments of the message.
    pub fragments: u16,
    /// Length of the message in bytes.
    pub message_len: u32,
    /// [`checksum`] of the message.
    pub checksum: [u8; 4],
    /// The combination of the fragments this part carries (one fragment's length).
    pub data: Vec<u8>,
}

fn known_version(version: u8) -> Result<(), QrError> {
    if version == PART_VERSION || version == PART_VERSION_GF2 {
        Ok(())
    } else {
        Err(QrError::BadPart { detail: "unknown version" })
    }
}

impl Part {
    /// The binary form (see [`PART_HEADER_LEN`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PART_HEADER_LEN + self.data.len());
        out.push(self.version);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.fragments.to_be_bytes());
        out.extend_from_slice(&self.message_len.to_be_bytes());
        out.extend_from_slice(&self.checksum);
        out.extend_from_slice(&self.data);
        out
    }

    /// Decodes and checks a part: a known version, `seq ≥ 1`, `1 ≤ fragments ≤
    /// MAX_FRAGMENTS`, a length within bounds that the fragment count cuts evenly, data of one
    /// fragment's length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, QrError> {
        let bad = |detail| QrError::BadPart { detail };
        let header = bytes.get(..PART_HEADER_LEN).ok_or(bad("shorter than its header"))?;
        let data = bytes.get(PART_HEADER_LEN..).ok_or(bad("shorter than its header"))?;
        let [version, s0, s1, s2, s3, f0, f1, l0, l1, l2, l3, c0, c1, c2, c3] = header else {
            return Err(bad("shorter than its header"));
        };
        let part = Part {
            version: *version,
            seq: u32::from_be_bytes([*s0, *s1, *s2, *s3]),
            fragments: u16::from_be_bytes([*f0, *f1]),
            message_len: u32::from_be_bytes([*l0, *l1, *l2, *l3]),
            checksum: [*c0, *c1, *c2, *c3],
            data: data.to_vec(),
        };
        part.check()?;
        Ok(part)
    }

    /// The checks of [`Part::from_bytes`]; gives the fragment length.
    fn check(&self) -> Result<usize, QrError> {
        known_version(self.version)?;
        if self.seq == 0 {
            return Err(QrError::BadPart { detail: "sequence number 0" });
        }
        let fragment_len = shape(self.message_len as usize, self.fragments as usize)?;
        if self.data.len() != fragment_len {
            return Err(QrError::BadPart { detail: "fragment of the wrong length" });
        }
        Ok(fragment_len)
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

/// Cuts a message into fragments and emits parts.
#[derive(Debug, Clone)]
pub struct FountainEncoder {
    version: u8,
    fragments: Vec<Vec<u8>>,
    message_len: u32,
    checksum: [u8; 4],
}

impl FountainEncoder {
    /// Cuts `message` into the fewest fragments of at most `max_fragment_len` bytes (all of one
    /// length, the last zero-padded), to emit parts of [`PART_VERSION`]. Refuses an empty
    /// message, one over [`MAX_MESSAGE_BYTES`], or a cut into more than [`MAX_FRAGMENTS`].
    pub fn new(message: &[u8], max_fragment_len: usize) -> Result<Self, QrError> {
        Self::with_version(message, max_fragment_len, PART_VERSION)
    }

    /// As [`FountainEncoder::new`], emitting parts of `version` ([`PART_VERSION_GF2`] for a
    /// receiver that only reads version 1; an unknown version is [`QrError::BadPart`]).
    pub fn with_version(message: &[u8], max_fragment_len: usize, version: u8) -> Result<Self, QrError> {
        known_version(version)?;
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
        Ok(Self { version, fragments, message_len, checksum: checksum(message) })
    }

    /// The number of fragments: the fewest parts that can rebuild the message.
    pub fn fragments(&self) -> usize {
        self.fragments.len()
    }

    /// The field of this message's repair parts.
    pub fn field(&self) -> Field {
        repair_field(self.version, self.fragments.len(), self.fragment_len())
    }

    fn fragment_len(&self) -> usize {
        self.fragments.first().map_or(0, Vec::len)
    }

    /// Part `seq` (from 1; parts 1..=n are the fragments, later ones combinations).
    /// Deterministic.
    pub fn part(&self, seq: u32) -> Part {
        let seq = seq.max(1);
        let n = self.fragments.len();
        let mut data = vec![0u8; self.fragment_len()];
        match self.field() {
            Field::Gf2 => {
                let set = coefficients::bits(seq, n, self.checksum);
                for (i, f) in self.fragments.iter().enumerate() {
                    if bit(&set, i) {
                        gf256::mul_add(&mut data, f, 1);
                    }
                }
            }
            Field::Gf256 => {
                for (f, c) in self.fragments.iter().zip(coefficients::bytes(seq, n, self.checksum)) {
                    gf256::mul_add(&mut data, f, c);
                }
            }
        }
        Part {
            version: self.version,
            seq,
            fragments: u16::try_from(n).unwrap_or(u16::MAX),
            message_len: self.message_len,
            checksum: self.checksum,
            data,
        }
    }
}

/// The message being rebuilt: its shape, the version of its first part, and the rows so far.
#[derive(Debug, Clone)]
struct Pending {
    shape: (u16, u32, [u8; 4]),
    version: u8,
    matrix: Matrix,
}

/// Rebuilds a message from parts received in any order, duplicates and gaps allowed.
#[derive(Debug, Clone, Default)]
pub struct FountainDecoder {
    pending: Option<Pending>,
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
        self.pending.as_ref().map_or((0, 0), |p| (p.matrix.rank(), p.matrix.columns()))
    }

    /// Bytes the decoder holds in its rows (coefficients and data); at most n × (n/8 + F) over
    /// GF(2) and [`GF256_MAX_MATRIX_BYTES`] over GF(256).
    pub fn held_bytes(&self) -> usize {
        self.pending.as_ref().map_or(0, |p| p.matrix.held_bytes())
    }

    /// The message, once rebuilt and checked.
    pub fn message(&self) -> Option<&[u8]> {
        self.message.as_deref()
    }

    /// Takes one part. `Ok(true)` once the message is complete (later parts are ignored).
    /// A part of another message is [`QrError::OtherMessage`], one of another version than the
    /// first part's is [`QrError::OtherVersion`], and either changes nothing; a complete rank
    /// whose result fails the checksum is [`QrError::Checksum`] (the decoder then starts over,
    /// so a corrupted part cannot wedge it).
    pub fn receive(&mut self, part: &Part) -> Result<bool, QrError> {
        if self.message.is_some() {
            return Ok(true);
        }
        let fragment_len = part.check()?;
        let this = (part.fragments, part.message_len, part.checksum);
        let pending = match &mut self.pending {
            Some(p) if p.shape != this => return Err(QrError::OtherMessage),
            Some(p) if p.version != part.version => {
                return Err(QrError::OtherVersion { first: p.version, found: part.version });
            }
            Some(p) => p,
            None => {
                let n = usize::from(part.fragments);
                let field = repair_field(part.version, n, fragment_len);
                self.pending.insert(Pending { shape: this, version: part.version, matrix: Matrix::new(field, n) })
            }
        };
        self.received += 1;
        pending.matrix.insert(part.seq, part.checksum, &part.data);
        let Some(mut message) = pending.matrix.solution() else {
            return Ok(false);
        };
        message.truncate(part.message_len as usize);
        if checksum(&message) != part.checksum {
            *self = Self::default();
            return Err(QrError::Checksum);
        }
        self.pending = None;
        self.message = Some(message);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::super::splitmix::SplitMix64;
    use super::*;

    fn message(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 256) as u8).collect()
    }

    fn via_bytes(p: Part) -> Part {
        Part::from_bytes(&p.to_bytes()).unwrap()
    }

    #[test]
    fn the_fragments_alone_rebuild_the_message_in_any_order() {
        let m = message(1000);
        for version in [PART_VERSION, PART_VERSION_GF2] {
            let enc = FountainEncoder::with_version(&m, 64, version).unwrap();
            assert_eq!(enc.fragments(), 16);
            let mut dec = FountainDecoder::new();
            for seq in (1..=16).rev() {
                let done = dec.receive(&via_bytes(enc.part(seq))).unwrap();
                assert_eq!(done, seq == 1);
            }
            assert_eq!(dec.message(), Some(&m[..]));
        }
    }

    #[test]
    fn mixed_parts_replace_lost_fragments() {
        let m = message(15_000);
        for (version, field, slack) in [(PART_VERSION, Field::Gf256, 2), (PART_VERSION_GF2, Field::Gf2, 8)] {
            let enc = FountainEncoder::with_version(&m, 400, version).unwrap();
            assert_eq!(enc.field(), field);
            let n = enc.fragments();
            let mut dec = FountainDecoder::new();
            // Every third fragment lost; then repair parts only, newest first.
            for seq in (1..=n as u32).filter(|s| s % 3 != 0) {
                assert!(!dec.receive(&enc.part(seq)).unwrap());
            }
            let mut seq = 10 * n as u32;
            while !dec.receive(&via_bytes(enc.part(seq))).unwrap() {
                seq -= 1;
            }
            assert_eq!(dec.message(), Some(&m[..]));
            assert!(dec.received() <= n + slack, "v{version}: {} parts for {n}", dec.received());
        }
    }

    #[test]
    fn shuffled_parts_with_a_quarter_lost_rebuild_the_message() {
        let m = message(9_000);
        let enc = FountainEncoder::new(&m, 300).unwrap();
        let n = enc.fragments();
        for trial in 0..20u64 {
            let mut rng = SplitMix64::new(trial);
            let mut order: Vec<u32> = (1..=3 * n as u32).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
            }
            let mut dec = FountainDecoder::new();
            let mut kept = order.into_iter().filter(|_| rng.next_u64() % 4 != 0);
            let done = kept.any(|seq| dec.receive(&enc.part(seq)).unwrap());
            assert!(done, "trial {trial}: {:?}", dec.progress());
            assert_eq!(dec.message(), Some(&m[..]));
        }
    }

    /// Fixed message and seeded losses: the same figures on every run. 200 trials of an
    /// 8,841-byte message (an ML-DSA-44 payment's size) in 23 parts, each part lost with
    /// probability 1/4. Over GF(256) the worst needs n + 1; the same trials in version 1 (GF(2))
    /// need up to n + 9.
    #[test]
    fn over_gf256_the_worst_of_200_lossy_trials_needs_at_most_three_extra_parts() {
        let m: Vec<u8> = (0..8_841u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let worst = |version| {
            let enc = FountainEncoder::with_version(&m, 400, version).unwrap();
            let n = enc.fragments();
            let mut worst = 0;
            for trial in 0..200u64 {
                let mut rng = SplitMix64::new(trial * 7919 + 1);
                let mut dec = FountainDecoder::new();
                let mut seq = 0;
                while dec.message().is_none() {
                    seq += 1;
                    if rng.next_u64() % 4 != 0 {
                        dec.receive(&enc.part(seq)).unwrap();
                    }
                }
                assert_eq!(dec.message(), Some(&m[..]));
                worst = worst.max(dec.received() - n);
            }
            (n, worst)
        };
        let (n, extra) = worst(PART_VERSION);
        assert_eq!(n, 23);
        assert!(extra <= 3, "worst needed n + {extra}");
        let (_, extra_gf2) = worst(PART_VERSION_GF2);
        assert!(extra_gf2 > extra, "GF(2) worst n + {extra_gf2}, GF(256) n + {extra}");
    }

    #[test]
    fn parts_of_two_versions_do_not_mix() {
        let m = message(2_000);
        let v2 = FountainEncoder::new(&m, 100).unwrap();
        let v1 = FountainEncoder::with_version(&m, 100, PART_VERSION_GF2).unwrap();
        let mut dec = FountainDecoder::new();
        dec.receive(&v2.part(30)).unwrap();
        assert_eq!(dec.receive(&v1.part(1)), Err(QrError::OtherVersion { first: 2, found: 1 }));
        assert_eq!(dec.receive(&v1.part(31)), Err(QrError::OtherVersion { first: 2, found: 1 }));
        assert_eq!((dec.received(), dec.progress()), (1, (1, 20)), "refused parts change nothing");
        let mut seq = 31;
        while !dec.receive(&v2.part(seq)).unwrap() {
            seq += 1;
        }
        assert_eq!(dec.message(), Some(&m[..]));
        let mut dec = FountainDecoder::new();
        dec.receive(&v1.part(2)).unwrap();
        assert_eq!(dec.receive(&v2.part(2)), Err(QrError::OtherVersion { first: 1, found: 2 }));
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
        assert_eq!(dec.progress(), (0, 0), "started over");
        for seq in 1..=5 {
            dec.receive(&a.part(seq)).unwrap();
        }
        assert_eq!(dec.message(), Some(&message(500)[..]));
    }

    #[test]
    fn malformed_parts_are_typed_errors() {
        let good = FountainEncoder::new(&message(300), 100).unwrap().part(7).to_bytes();
        assert_eq!(good[0], PART_VERSION);
        assert!(Part::from_bytes(&good).is_ok());
        for cut in 0..good.len() {
            assert!(Part::from_bytes(&good[..cut]).is_err(), "cut at {cut}");
        }
        for version in [0, 3, 0xFF] {
            let mut v = good.clone();
            v[0] = version;
            assert_eq!(Part::from_bytes(&v), Err(QrError::BadPart { detail: "unknown version" }));
        }
        let mut zero_n = good.clone();
        zero_n[5..7].copy_from_slice(&0u16.to_be_bytes());
        assert!(Part::from_bytes(&zero_n).is_err());
        let mut uneven = good.clone();
        uneven[5..7].copy_from_slice(&299u16.to_be_bytes());
        assert!(Part::from_bytes(&uneven).is_err());
        // A part built in memory gets the same checks from the decoder.
        let mut dec = FountainDecoder::new();
        let mut odd = Part::from_bytes(&good).unwrap();
        odd.version = 9;
        assert_eq!(dec.receive(&odd), Err(QrError::BadPart { detail: "unknown version" }));
        odd.version = PART_VERSION;
        odd.seq = 0;
        assert!(matches!(dec.receive(&odd), Err(QrError::BadPart { .. })));
        odd.seq = 1;
        odd.data.pop();
        assert!(matches!(dec.receive(&odd), Err(QrError::BadPart { .. })));
        assert_eq!((dec.received(), dec.progress()), (0, (0, 0)));
        assert!(FountainEncoder::new(&[], 10).is_err());
        assert!(FountainEncoder::new(&message(5000), 1).is_err(), "more than MAX_FRAGMENTS");
        assert!(FountainEncoder::with_version(&message(50), 10, 3).is_err());
    }

    /// At the GF(256) bound (100 fragments of 1,210 B: a 131,000-byte matrix) the rows never
    /// pass [`GF256_MAX_MATRIX_BYTES`], and redundant parts add nothing.
    #[test]
    fn the_gf256_matrix_stays_within_its_bound() {
        let m = message(121_000);
        let enc = FountainEncoder::new(&m, 1_210).unwrap();
        assert_eq!((enc.fragments(), enc.field()), (100, Field::Gf256));
        assert_eq!(FountainEncoder::new(&message(121_100), 1_211).unwrap().field(), Field::Gf2);
        let mut dec = FountainDecoder::new();
        for seq in 101..200 {
            assert!(!dec.receive(&enc.part(seq)).unwrap());
        }
        assert_eq!(dec.progress(), (99, 100));
        let held = dec.held_bytes();
        assert_eq!(held, 99 * (100 + 1_210));
        assert!(held <= GF256_MAX_MATRIX_BYTES);
        for _ in 0..5 {
            assert!(!dec.receive(&enc.part(150)).unwrap(), "a duplicate is redundant");
        }
        assert_eq!((dec.held_bytes(), dec.received()), (held, 104));
        assert!(dec.receive(&enc.part(1)).unwrap());
        assert_eq!(dec.message(), Some(&m[..]));
    }
}
