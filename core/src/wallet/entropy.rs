//! Randomness and time, injected.

use rand_core::{OsRng, RngCore};

use crate::crypto::sha256;

/// A source of random bytes for nonces and session keys.
pub trait Entropy: Send {
    /// Fills `dest` with random bytes.
    fn fill(&mut self, dest: &mut [u8]);
}

/// The operating system's CSPRNG: what apps use.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, dest: &mut [u8]) {
        OsRng.fill_bytes(dest);
    }
}

/// A deterministic stream (SHA-256 in counter mode over a seed) for tests and the simulator,
/// so runs are reproducible. Never use it in a real wallet: its output is predictable to
/// anyone who knows the seed.
#[derive(Debug, Clone)]
pub struct SeededEntropy {
    seed: [u8; 32],
    counter: u64,
}

impl SeededEntropy {
    /// A stream from `seed`.
    pub fn new(seed: [u8; 32]) -> Self {
        Self { seed, counter: 0 }
    }
}

impl Entropy for SeededEntropy {
    fn fill(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(32) {
            let block = sha256(&[&self.seed, &self.counter.to_be_bytes()]);
            self.counter += 1;
            let n = chunk.len();
            chunk.copy_from_slice(block.get(..n).unwrap_or(&block));
        }
    }
}

/// Wall-clock time for the NFC card role, which is driven by the platform and so cannot be
/// handed `now` on every call. Apps pass the system clock; tests pass a fixed one.
pub trait Clock: Send + Sync {
    /// Unix seconds.
    fn now(&self) -> u64;
}

/// A clock that always says the same time (tests, simulations).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub u64);

impl Clock for FixedClock {
    fn now(&self) -> u64 {
        self.0
    }
}
