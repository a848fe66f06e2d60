//! A batch's records verified on all cores while its transaction settles them (crate::settle):
//! the transaction does not wait for the whole batch to be verified, only for the record it
//! settles next (decision 0028).
//!
//! ```text
//!  decode every record (all cores) ─► the issuer's own genesis notes among them (one lookup)
//!  workers (one per core): take the next CHUNK records, verify each, fill its slot ──┐
//!  caller: Store::write ─► what the links of every decoded record need (set-wise) ───┤ at once
//!          per record in order: wait for its slot ─► settle it                       │
//!          a record refused for a signer this node has no certificate of: read the   │
//!          signer's certificates in the transaction, verify it again ◄───────────────┘
//! ```
//!
//! A record is settled with its own verdict whatever order the workers finish in: the caller
//! reads slot `i` only once it is filled, and a slot is filled once. A worker that panics on a
//! record fills its slot with a refusal, so the caller never waits for a slot nobody fills.

use std::borrow::Cow;
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use offline_cash_core::token::{Bundle, DecodeError, Rejection, WalletId};
use parking_lot::{Condvar, Mutex};

use crate::IssuerError;
use crate::issuer::Issuer;
use crate::settle_verify::{Checked, OwnNotes, decode, worker_threads};
use crate::store::{Tx, Wallets as _};

/// Records a worker takes at a time: small, so that records are verified about in batch order
/// and the transaction waits little for the one it settles next.
const CHUNK: usize = 8;

/// A batch being verified: its decoded records and a verdict slot per record.
pub(crate) struct Verifying<'a> {
    issuer: &'a Issuer,
    decoded: Vec<Result<Bundle, Rejection>>,
    own: OwnNotes,
    slots: Vec<OnceLock<Checked>>,
    /// Signalled each time a slot is filled (with `filled` locked around it, so that a caller
    /// that found its slot empty under the lock is woken).
    filled: Mutex<()>,
    wake: Condvar,
    next: AtomicUsize,
    /// Signers whose certificates this batch read already.
    loaded: Mutex<HashSet<WalletId>>,
}

impl Verifying<'_> {
    /// The records that decoded (verified or not yet), for what their links need.
    pub(crate) fn decoded(&self) -> impl Iterator<Item = &Bundle> {
        self.decoded.iter().filter_map(|d| d.as_ref().ok())
    }

    /// Record `i`'s verdict once a worker has given it: a record refused for a signer without
    /// a certificate here is verified again after that signer's certificates are read in `tx`
    /// (another node may have registered or renewed the wallet; a node loads none at start,
    /// decision 0027), and again for the next unknown signer of its chain, until no signer is
    /// new. `None`: no such record.
    pub(crate) fn checked(&self, tx: &mut dyn Tx, i: usize) -> Result<Option<Cow<'_, Checked>>, IssuerError> {
        let (Some(slot), Some(item)) = (self.slots.get(i), self.decoded.get(i)) else {
            return Ok(None);
        };
        let mut checked = Cow::Borrowed(self.wait(slot));
        let mut tried = HashSet::new();
        while let Err(Rejection::UnknownCertificate { wallet }) = checked.as_ref() {
            let wallet = *wallet;
            if !tried.insert(wallet) {
                break;
            }
            // Marked read only once read: a transaction that fails here runs again and reads.
            if !self.loaded.lock().contains(&wallet) {
                self.issuer.cache_certificates(tx.certificates_of(&wallet.0)?);
                self.loaded.lock().insert(wallet);
            }
            if self.issuer.certs.read().history(&wallet).is_empty() {
                break;
            }
            checked = Cow::Owned(self.issuer.verify_decoded(item.clone(), &self.own));
        }
        Ok(Some(checked))
    }

    /// `slot`'s verdict, once a worker has filled it.
    fn wait<'s>(&self, slot: &'s OnceLock<Checked>) -> &'s Checked {
        loop {
            if let Some(checked) = slot.get() {
                return checked;
            }
            let mut filled = self.filled.lock();
            if slot.get().is_none() {
                self.wake.wait(&mut filled);
            }
        }
    }

    /// No worker takes another record (the caller is done, or gave up on the batch).
    fn stop(&self) {
        self.next.store(self.slots.len(), Ordering::Relaxed);
    }

    /// Verifies records until none is left to take.
    fn work(&self) {
        loop {
            let start = self.next.fetch_add(CHUNK, Ordering::Relaxed);
            if start >= self.slots.len() {
                return;
            }
            for i in start..(start + CHUNK).min(self.slots.len()) {
                self.verify_one(i);
            }
        }
    }

    fn verify_one(&self, i: usize) {
        let (Some(slot), Some(item)) = (self.slots.get(i), self.decoded.get(i)) else {
            return;
        };
        let checked = catch_unwind(AssertUnwindSafe(|| self.issuer.verify_decoded(item.clone(), &self.own)))
            .unwrap_or(Err(Rejection::Malformed(DecodeError::Truncated)));
        let _ = slot.set(checked);
        drop(self.filled.lock());
        self.wake.notify_all();
    }
}

impl Issuer {
    /// Runs `settle` with `items` (base64 bundles) being verified on all cores meanwhile; what
    /// `settle` returns. Every verification has ended when this returns.
    pub(crate) fn while_verifying<T>(&self, items: &[&str], settle: impl FnOnce(&Verifying<'_>) -> T) -> T {
        let decoded = crate::settle_verify::on_all_cores(items.to_vec(), decode);
        let own = self.own_notes(&decoded);
        let verifying = Verifying {
            issuer: self,
            slots: (0..decoded.len()).map(|_| OnceLock::new()).collect(),
            decoded,
            own,
            filled: Mutex::new(()),
            wake: Condvar::new(),
            next: AtomicUsize::new(0),
            loaded: Mutex::new(HashSet::new()),
        };
        let threads = worker_threads(items.len());
        let out = if threads <= 1 {
            verifying.work();
            settle(&verifying)
        } else {
            std::thread::scope(|scope| {
                for _ in 0..threads {
                    scope.spawn(|| verifying.work());
                }
                let out = settle(&verifying);
                verifying.stop();
                out
            })
        };
        self.metrics.own_notes_trusted(verifying.own.trusted.load(Ordering::Relaxed));
        out
    }
}
