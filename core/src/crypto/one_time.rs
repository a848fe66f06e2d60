//! One-time hash-based signatures (WOTS+ with n = 24 bytes, w = 16) for a payee's warm-tap
//! requests (docs/decisions/0022-one-time-request-keys.md).
//!
//! ```text
//!  seed S (32 random bytes, secret)
//!    ├─ public seed p = SHA-256("OC1/ots-public" ‖ S)[..16]
//!    └─ chain i (0..51) starts at x_i = SHA-256("OC1/ots-secret" ‖ S ‖ i)[..24]
//!  F(p, i, k, x) = SHA-256("OC1/ots-chain" ‖ p ‖ i ‖ k ‖ x)[..24]     step k → k+1 of chain i
//!  commitment  C = SHA-256("OC1/ots-key" ‖ p ‖ end_0 ‖ … ‖ end_50)    end_i = 15 steps from x_i
//!  digits of M: SHA-256("OC1/ots-message" ‖ p ‖ M)[..24] as 48 nibbles, then a 3-nibble
//!               checksum Σ(15 − d); signature = p ‖ (d_i steps from x_i, for every i)
//! ```
//!
//! Contract:
//! - A key signs **one** message. A second signature under the same key gives away chain
//!   values that let anyone sign some other messages. [`OneTimeKey::sign`] consumes the key;
//!   the caller must make sure the seed can never sign again (the wallet deletes it durably
//!   before the signature leaves).
//! - Verification recomputes the commitment from the signature and the message and compares
//!   it with the one the verifier holds: nothing else about the signer is needed.
//! - Security rests on SHA-256 only (second preimages of the 192-bit chain function), so it
//!   is post-quantum; every hash is tweaked by the key's public seed and the position in its
//!   chain, as in SPHINCS+'s tweakable hashes, so attacks on many keys at once gain nothing.

use zeroize::Zeroizing;

use super::sha256;

/// Bytes of a chain value.
pub const CHAIN_VALUE_LEN: usize = 24;
/// Bytes of a key's public seed.
pub const PUBLIC_SEED_LEN: usize = 16;
/// Chains: 48 message digits and 3 checksum digits.
pub const CHAINS: usize = 51;
/// Bytes of an encoded signature: the public seed, then one value per chain.
pub const ONE_TIME_SIGNATURE_LEN: usize = PUBLIC_SEED_LEN + CHAINS * CHAIN_VALUE_LEN;

const MESSAGE_DIGITS: usize = 48;
const MAX_DIGIT: u8 = 15;

type Value = [u8; CHAIN_VALUE_LEN];

/// A one-time signing key, from its 32-byte secret seed. Zeroized on drop.
pub struct OneTimeKey {
    seed: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for OneTimeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimeKey(..)")
    }
}

impl OneTimeKey {
    /// The key of `seed` (32 bytes from a CSPRNG, never used for another key).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self { seed: Zeroizing::new(seed) }
    }

    fn public_seed(&self) -> [u8; PUBLIC_SEED_LEN] {
        truncate(&sha256(&[b"OC1/ots-public", &self.seed[..]]))
    }

    fn chain_start(&self, chain: usize) -> Zeroizing<Value> {
        Zeroizing::new(truncate(&sha256(&[b"OC1/ots-secret", &self.seed[..], &[chain_byte(chain)]])))
    }

    /// The commitment a verifier holds for this key (SHA-256 of the public seed and the 51
    /// chain ends). It reveals nothing about the seed.
    pub fn commitment(&self) -> [u8; 32] {
        let p = self.public_seed();
        let ends: Vec<Value> = (0..CHAINS).map(|i| walk(&p, i, 0, MAX_DIGIT, &self.chain_start(i))).collect();
        commit(&p, &ends)
    }

    /// Signs `message`, consuming the key: a key signs once.
    pub fn sign(self, message: &[u8]) -> OneTimeSignature {
        let p = self.public_seed();
        let d = digits(&p, message);
        let values = d.iter().enumerate().map(|(i, &di)| walk(&p, i, 0, di, &self.chain_start(i))).collect();
        OneTimeSignature { public_seed: p, values }
    }
}

/// A one-time signature: the key's public seed and one value per chain.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeSignature {
    public_seed: [u8; PUBLIC_SEED_LEN],
    values: Vec<Value>,
}

impl std::fmt::Debug for OneTimeSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OneTimeSignature({ONE_TIME_SIGNATURE_LEN} bytes)")
    }
}

impl OneTimeSignature {
    /// Decodes exactly [`ONE_TIME_SIGNATURE_LEN`] bytes; any other length is `None`.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != ONE_TIME_SIGNATURE_LEN {
            return None;
        }
        let (seed, rest) = bytes.split_at(PUBLIC_SEED_LEN);
        let public_seed: [u8; PUBLIC_SEED_LEN] = seed.try_into().ok()?;
        let values = rest.chunks_exact(CHAIN_VALUE_LEN).map(|c| c.try_into().ok()).collect::<Option<Vec<Value>>>()?;
        Some(Self { public_seed, values })
    }

    /// The encoding: public seed ‖ the 51 chain values.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ONE_TIME_SIGNATURE_LEN);
        out.extend_from_slice(&self.public_seed);
        for v in &self.values {
            out.extend_from_slice(v);
        }
        out
    }

    /// The commitment of the key that would have made this signature over `message`.
    pub fn signer_commitment(&self, message: &[u8]) -> [u8; 32] {
        let p = &self.public_seed;
        let d = digits(p, message);
        let ends: Vec<Value> =
            self.values.iter().zip(d).enumerate().map(|(i, (v, di))| walk(p, i, di, MAX_DIGIT - di, v)).collect();
        commit(p, &ends)
    }

    /// Whether this is a signature over `message` by the key whose commitment is `commitment`.
    pub fn verifies(&self, commitment: &[u8; 32], message: &[u8]) -> bool {
        self.signer_commitment(message) == *commitment
    }
}

fn truncate<const L: usize>(digest: &[u8; 32]) -> [u8; L] {
    let mut out = [0u8; L];
    out.copy_from_slice(digest.get(..L).unwrap_or(&[0; L][..]));
    out
}

fn chain_byte(chain: usize) -> u8 {
    u8::try_from(chain).unwrap_or(u8::MAX)
}

/// `steps` applications of F to `start`, the first being step `from` of `chain`.
fn walk(p: &[u8; PUBLIC_SEED_LEN], chain: usize, from: u8, steps: u8, start: &Value) -> Value {
    let mut x = *start;
    for k in from..from.saturating_add(steps) {
        x = truncate(&sha256(&[b"OC1/ots-chain", p, &[chain_byte(chain), k], &x]));
    }
    x
}

fn commit(p: &[u8; PUBLIC_SEED_LEN], ends: &[Value]) -> [u8; 32] {
    let mut parts: Vec<&[u8]> = Vec::with_capacity(ends.len() + 2);
    parts.push(b"OC1/ots-key");
    parts.push(p);
    parts.extend(ends.iter().map(|e| &e[..]));
    sha256(&parts)
}

/// The 48 message digits (nibbles of the 24-byte message digest, high first) and the three
/// checksum digits (Σ(15 − d) ≤ 720, big-endian). Raising a message digit lowers the checksum,
/// so no signature can be walked forward into a signature of another message.
fn digits(p: &[u8; PUBLIC_SEED_LEN], message: &[u8]) -> [u8; CHAINS] {
    let m: [u8; CHAIN_VALUE_LEN] = truncate(&sha256(&[b"OC1/ots-message", p, message]));
    let mut d = [0u8; CHAINS];
    for (pair, byte) in d.chunks_exact_mut(2).zip(m) {
        if let [hi, lo] = pair {
            *hi = byte >> 4;
            *lo = byte & 0x0f;
        }
    }
    let sum: u16 = d.iter().take(MESSAGE_DIGITS).map(|&x| u16::from(MAX_DIGIT - x)).sum();
    let [.., a, b, c] = &mut d;
    *a = ((sum >> 8) & 0x0f) as u8;
    *b = ((sum >> 4) & 0x0f) as u8;
    *c = (sum & 0x0f) as u8;
    d
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn a_signature_verifies_under_its_keys_commitment_and_nothing_else() {
        let key = OneTimeKey::from_seed([7; 32]);
        let c = key.commitment();
        let sig = key.sign(b"pay 300");
        assert_eq!(sig.to_bytes().len(), ONE_TIME_SIGNATURE_LEN);
        assert!(sig.verifies(&c, b"pay 300"));
        assert!(!sig.verifies(&c, b"pay 301"), "another message");
        assert!(!sig.verifies(&OneTimeKey::from_seed([8; 32]).commitment(), b"pay 300"), "another key");
        let again = OneTimeSignature::from_bytes(&sig.to_bytes()).unwrap();
        assert!(again.verifies(&c, b"pay 300"));
        assert!(OneTimeSignature::from_bytes(&sig.to_bytes()[1..]).is_none());
    }

    #[test]
    fn every_changed_byte_of_a_signature_fails() {
        let key = OneTimeKey::from_seed([1; 32]);
        let c = key.commitment();
        let bytes = key.sign(b"request").to_bytes();
        for at in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[at] ^= 0x01;
            let sig = OneTimeSignature::from_bytes(&bad).unwrap();
            assert!(!sig.verifies(&c, b"request"), "byte {at} flipped still verifies");
        }
    }

    #[test]
    fn the_checksum_balances_the_message_digits() {
        for m in [&b"a"[..], b"b", b"another message", &[0u8; 64]] {
            let d = digits(&[3; PUBLIC_SEED_LEN], m);
            let sum: u16 = d[..MESSAGE_DIGITS].iter().map(|&x| u16::from(15 - x)).sum();
            let encoded = u16::from(d[48]) << 8 | u16::from(d[49]) << 4 | u16::from(d[50]);
            assert_eq!(sum, encoded);
            assert!(d.iter().all(|&x| x <= 15));
        }
    }

    /// Pins the construction: a change to any tag, tweak or length changes these bytes, and
    /// wallets of two builds would no longer understand each other's warm requests. The values
    /// were computed separately, by a transcription of the module comment's definitions into
    /// Python's hashlib (PROTOCOL.md §5, "One-time request keys", gives the same definitions).
    #[test]
    fn known_answer() {
        let key = OneTimeKey::from_seed([0x5a; 32]);
        let c = key.commitment();
        let sig = key.sign(b"OC1 known answer");
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(hex(&c), KNOWN_COMMITMENT);
        assert_eq!(hex(&sha256(&[&sig.to_bytes()])), KNOWN_SIGNATURE_SHA256);
    }

    const KNOWN_COMMITMENT: &str = "b2d180a7ccfb99e0294dce706e2945f6056b5f4f88ae1b3fca4cd8edbe9f950c";
    const KNOWN_SIGNATURE_SHA256: &str = "a6bd17e98f12b5a3fee7262b14cd6fe5998d241dc5f9e6d8db48e189b4ee2356";
}
