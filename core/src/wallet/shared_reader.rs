//! The reader role shared between threads: one thread drives the exchange through the app's
//! transceiver, any other may report a tear at any time.
//!
//! ```text
//!  run(transceive, clock):  lock ─ start() = SELECT ─ unlock
//!                           ┌──► transceive(apdu)        (app code, may block; NO lock held)
//!                           │    lock ─ torn meanwhile? ─► Err(Torn) ─ unlock
//!                           │         ─ handle_response ─► Transmit(next) ─ unlock ─┐
//!                           └──────────────────────────────────────────────────────┘
//!                                     ─► Done ─► Ok(())
//!  torn() (any thread):     lock ─ driver.torn(), epoch += 1 ─ unlock   (never waits for IO)
//! ```
//!
//! Contract: the lock is held only for one step of the sans-IO [`ReaderDriver`], never while
//! the app's `transceive` runs, so `torn()` from another thread (the platform reported the
//! tag lost, the user cancelled) returns at once; the running exchange sees the tear when its
//! `transceive` returns and ends with [`WalletError::Torn`] without feeding the stale
//! response to the driver. Every `start()` and every `torn()` begins a new epoch. A poisoned
//! lock is recovered (each step is a single store transaction in core). It does no IO itself.

use std::fmt::Display;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{Clock, ReaderDriver, ReaderStep, WalletError};

#[derive(Debug)]
struct State {
    driver: ReaderDriver,
    epoch: u64,
}

/// A [`ReaderDriver`] behind a lock that is never held across the app's transceiver.
#[derive(Debug)]
pub struct SharedReader {
    state: Mutex<State>,
}

impl SharedReader {
    /// Shares `driver`.
    pub fn new(driver: ReaderDriver) -> Self {
        Self { state: Mutex::new(State { driver, epoch: 0 }) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the driver under the lock (keep it short: no IO, no host callback).
    pub fn with<R>(&self, f: impl FnOnce(&ReaderDriver) -> R) -> R {
        f(&self.lock().driver)
    }

    /// The SELECT command to send first; begins a new exchange.
    pub fn start(&self) -> Vec<u8> {
        let mut state = self.lock();
        state.epoch = state.epoch.wrapping_add(1);
        state.driver.start()
    }

    /// Takes the card's response to the last command (the app drives the link itself).
    pub fn handle_response(&self, response: &[u8], now: u64) -> Result<ReaderStep, WalletError> {
        self.lock().driver.handle_response(response, now)
    }

    /// Reports that the tag was lost before `Done`; a running [`SharedReader::run`] ends with
    /// [`WalletError::Torn`] as soon as its current `transceive` returns.
    pub fn torn(&self) {
        let mut state = self.lock();
        state.driver.torn();
        state.epoch = state.epoch.wrapping_add(1);
    }

    /// Drives the whole exchange: SELECT, then every command through `transceive` until the
    /// driver says `Done`. A `transceive` error, or a `torn()` from another thread while it
    /// ran, is a tear ([`WalletError::Torn`]); a refused exchange is the driver's error.
    pub fn run<E: Display>(
        &self,
        mut transceive: impl FnMut(Vec<u8>) -> Result<Vec<u8>, E>,
        clock: &dyn Clock,
    ) -> Result<(), WalletError> {
        let (mut apdu, epoch) = {
            let mut state = self.lock();
            state.epoch = state.epoch.wrapping_add(1);
            (state.driver.start(), state.epoch)
        };
        loop {
            let answer = transceive(apdu);
            let mut state = self.lock();
            if state.epoch != epoch {
                return Err(WalletError::Torn { detail: "the tap was reported torn during the exchange".into() });
            }
            let response = match answer {
                Ok(response) => response,
                Err(e) => {
                    state.driver.torn();
                    state.epoch = state.epoch.wrapping_add(1);
                    return Err(WalletError::Torn { detail: e.to_string() });
                }
            };
            match state.driver.handle_response(&response, clock.now())? {
                ReaderStep::Transmit(next) => apdu = next,
                ReaderStep::Done => return Ok(()),
            }
        }
    }
}
