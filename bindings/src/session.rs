//! Payment sessions: frames for any channel, APDUs for NFC.
//!
//! ```text
//!  PayeeSession ──requestBytes()──► channel ──► PayerSession.handleFrame ──payment──►
//!  PayeeSession.handleFrame ──receipt──► PayerSession.handleFrame ──► null (done)
//!
//!  HostApduService.processCommandApdu ──► CardSession.processApdu ──► response APDU
//!  ReaderSession.start() ──► IsoDep.transceive ──► handleResponse ──► Transmit(apdu) | Done
//! ```
//!
//! Contract: each session is one `std::sync::Mutex` around core's state machine (a poisoned
//! lock is recovered: core commits are single store transactions), so a session may be
//! called from any thread. No lock is held while host code runs: `ReaderSession.run` is
//! core's `SharedReader::run`, which releases its lock around every `transceive`. After
//! every call the wallet's events go to its listener.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use offline_cash_core::nfc::{self, CardConfig, Deactivation, ReaderConfig};
use offline_cash_core::wallet as cw;

use crate::OfflineCashError;
use crate::wallet::{Shared, SystemClock, Wallet, now};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Which side of a payment this phone is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NfcRole {
    /// Paying.
    Payer,
    /// Receiving.
    Payee,
}

/// Receiving one payment over any channel.
#[derive(uniffi::Object)]
pub struct PayeeSession {
    shared: Arc<Shared>,
    inner: Mutex<cw::PayeeSession>,
}

impl std::fmt::Debug for PayeeSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayeeSession").finish_non_exhaustive()
    }
}

impl PayeeSession {
    pub(crate) fn new(shared: Arc<Shared>, session: cw::PayeeSession) -> Self {
        Self { shared, inner: Mutex::new(session) }
    }
}

#[uniffi::export]
impl PayeeSession {
    /// The payment request to hand to the payer (QR code, file, message).
    pub fn request_bytes(&self) -> Vec<u8> {
        lock(&self.inner).request_frame().to_vec()
    }

    /// The payment request as an `offlinecash:R…` URI (a QR code, an NDEF tag, a deep link).
    pub fn request_uri(&self) -> Result<String, OfflineCashError> {
        Ok(lock(&self.inner).request_uri()?)
    }

    /// The same request as a compact `offlinecash:C…` URI: the payee's certificate named by
    /// its id, so it fits one QR code in every suite (ML-DSA-44 at level L). Only a payer that
    /// holds the certificate (met before) can pay it; others get `Rejected` with reason
    /// `UNKNOWN_CERTIFICATE` and should scan the full code (`requestUri`, or its animated
    /// code). Saved requests only (`requestPaymentSaved`); a live request is `Misuse`.
    pub fn compact_request_uri(&self) -> Result<String, OfflineCashError> {
        Ok(lock(&self.inner).compact_request_uri()?)
    }

    /// The requested amount.
    pub fn amount(&self) -> u64 {
        lock(&self.inner).amount()
    }

    /// The request's nonce (16 bytes): pass it to `Wallet.requestAgain` to present the same
    /// request again after a torn tap.
    pub fn nonce(&self) -> Vec<u8> {
        lock(&self.inner).nonce().to_vec()
    }

    /// Takes a frame from the payer; returns the frame to send back (the receipt, after the
    /// payment is committed), or none when the exchange is finished.
    pub fn handle_frame(&self, frame: Vec<u8>) -> Result<Option<Vec<u8>>, OfflineCashError> {
        let result = lock(&self.inner).handle_frame(&frame, now());
        self.shared.drain();
        Ok(result?)
    }

    /// Whether the payment was received and committed.
    pub fn is_received(&self) -> bool {
        lock(&self.inner).received().is_some()
    }
}

/// Paying once over any channel.
#[derive(uniffi::Object)]
pub struct PayerSession {
    shared: Arc<Shared>,
    inner: Mutex<cw::PayerSession>,
}

impl std::fmt::Debug for PayerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayerSession").finish_non_exhaustive()
    }
}

impl PayerSession {
    pub(crate) fn new(shared: Arc<Shared>, session: cw::PayerSession) -> Self {
        Self { shared, inner: Mutex::new(session) }
    }
}

#[uniffi::export]
impl PayerSession {
    /// Takes a frame from the payee (its request, then its receipt); returns the frame to
    /// send back (the payment, committed as pending first), or none when complete.
    pub fn handle_frame(&self, frame: Vec<u8>) -> Result<Option<Vec<u8>>, OfflineCashError> {
        let result = lock(&self.inner).handle_frame(&frame, now());
        self.shared.drain();
        Ok(result?)
    }

    /// Pays the request an `offlinecash:R…` or compact `offlinecash:C…` URI carries (scanned,
    /// or opened as a link): the same checks as `handleFrame` on the request. Returns the
    /// payment frame to send back. A URI that cannot be read is `Rejected` with reason
    /// `MALFORMED`; a compact one naming a certificate this wallet does not hold is `Rejected`
    /// with reason `UNKNOWN_CERTIFICATE` (nothing committed: scan the payee's full code).
    pub fn handle_request_uri(&self, uri: String) -> Result<Option<Vec<u8>>, OfflineCashError> {
        let result = lock(&self.inner).handle_request_uri(&uri, now());
        self.shared.drain();
        Ok(result?)
    }

    /// Whether the receipt arrived (the payment is complete).
    pub fn is_complete(&self) -> bool {
        lock(&self.inner).is_complete()
    }

    /// Reports that the channel broke before the receipt arrived (the payment stays pending;
    /// pay the same payee again to finish it).
    pub fn torn(&self) {
        lock(&self.inner).torn();
        self.shared.drain();
    }
}

/// The card-emulation side of a tap (Android `HostApduService`, iOS card session).
#[derive(uniffi::Object)]
pub struct CardSession {
    shared: Arc<Shared>,
    inner: Mutex<nfc::CardSession<cw::CardHandler>>,
}

impl std::fmt::Debug for CardSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardSession").finish_non_exhaustive()
    }
}

impl CardSession {
    pub(crate) fn new(shared: Arc<Shared>, session: nfc::CardSession<cw::CardHandler>) -> Self {
        Self { shared, inner: Mutex::new(session) }
    }
}

#[uniffi::export]
impl CardSession {
    /// Processes one command APDU and returns the response APDU (data ‖ SW1 SW2): exactly
    /// what `HostApduService.processCommandApdu` returns. Never throws: a refused payment is
    /// an error status word to the reader (see `lastError`).
    pub fn process_apdu(&self, apdu: Vec<u8>) -> Vec<u8> {
        let response = lock(&self.inner).process_apdu(&apdu);
        self.shared.drain();
        response
    }

    /// The platform ended the session (`onDeactivated`, the field was lost).
    pub fn deactivated(&self) {
        lock(&self.inner).deactivate(Deactivation::LinkLost);
        self.shared.drain();
    }

    /// Whether the payment completed on this side.
    pub fn is_finished(&self) -> bool {
        lock(&self.inner).handler().is_finished()
    }

    /// Why the exchange failed on this side, if it did (a description for logs and UI).
    pub fn last_error(&self) -> Option<String> {
        lock(&self.inner).handler().last_error().map(ToString::to_string)
    }

    /// When receiving: the nonce of this session's request, for `Wallet.cardSessionAgain`
    /// after a torn tap. `null` when paying.
    pub fn request_nonce(&self) -> Option<Vec<u8>> {
        request_nonce(lock(&self.inner).handler().party())
    }
}

fn request_nonce(party: &cw::Party) -> Option<Vec<u8>> {
    match party {
        cw::Party::Payee(p) => Some(p.nonce().to_vec()),
        _ => None,
    }
}

/// What the app does next with the reader.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ReaderStep {
    /// Send this command APDU and pass the response to `handleResponse`.
    Transmit { apdu: Vec<u8> },
    /// The payment is complete on this side.
    Done,
}

/// How an app's `Transceiver` reports a failure (the tag was lost).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum TransceiveError {
    /// The exchange failed (`TagLostException`, a Core NFC error).
    #[error("{detail}")]
    Failed { detail: String },
    /// The host threw something else; UniFFI reports it here.
    #[error("unexpected error from the host transceiver: {detail}")]
    Unexpected { detail: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for TransceiveError {
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransceiveError::Unexpected { detail: err.reason }
    }
}

/// Sends one command APDU to the other phone and returns its response: `IsoDep.transceive`
/// (Android), `NFCISO7816Tag.sendCommand` (iOS). Implemented by the app.
#[uniffi::export(with_foreign)]
pub trait Transceiver: Send + Sync {
    /// One command/response exchange.
    fn transceive(&self, apdu: Vec<u8>) -> Result<Vec<u8>, TransceiveError>;
}

/// The reader side of a tap (Android `IsoDep`, iOS Core NFC).
///
/// Wraps core's `SharedReader`: its lock is held for one step only, never while the app's
/// `transceive` runs, so `torn()` from another thread returns at once during `run`.
#[derive(uniffi::Object)]
pub struct ReaderSession {
    shared: Arc<Shared>,
    inner: cw::SharedReader,
}

impl std::fmt::Debug for ReaderSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderSession").finish_non_exhaustive()
    }
}

impl ReaderSession {
    pub(crate) fn new(shared: Arc<Shared>, driver: cw::ReaderDriver) -> Self {
        Self { shared, inner: cw::SharedReader::new(driver) }
    }
}

#[uniffi::export]
impl ReaderSession {
    /// When receiving: the nonce of this session's request, for `Wallet.readerSessionAgain`
    /// after a torn tap. `null` when paying.
    pub fn request_nonce(&self) -> Option<Vec<u8>> {
        self.inner.with(|driver| request_nonce(driver.party()))
    }

    /// The first command APDU (SELECT). After a tear, tap again with a new session from the
    /// wallet: the payer's pending payment is resent as it was, for the same request (the
    /// payee taps again with `cardSessionAgain` / `readerSessionAgain`).
    pub fn start(&self) -> Vec<u8> {
        self.inner.start()
    }

    /// Takes the card's response to the last command.
    pub fn handle_response(&self, response: Vec<u8>) -> Result<ReaderStep, OfflineCashError> {
        let result = self.inner.handle_response(&response, now());
        self.shared.drain();
        Ok(match result? {
            cw::ReaderStep::Transmit(apdu) => ReaderStep::Transmit { apdu },
            cw::ReaderStep::Done => ReaderStep::Done,
        })
    }

    /// Drives the whole exchange through `transceiver`. A transceiver failure, or `torn()`
    /// called from another thread while `transceive` blocks, is a tear:
    /// `OfflineCashException.Torn` is thrown; on the next tap run a new session.
    pub fn run(&self, transceiver: Arc<dyn Transceiver>) -> Result<(), OfflineCashError> {
        let result = self.inner.run(|apdu| transceiver.transceive(apdu), &SystemClock);
        self.shared.drain();
        Ok(result?)
    }

    /// Reports that the tag was lost before `Done` (a tear); tap again with a new session.
    /// Returns at once, also while `run` waits in the app's `transceive`.
    pub fn torn(&self) {
        self.inner.torn();
        self.shared.drain();
    }
}

/// What `simulateTap` measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TapTiming {
    /// Taps run.
    pub taps: u32,
    /// Command APDUs exchanged in all.
    pub apdus: u64,
    /// Wall time of all taps, nanoseconds.
    pub elapsed_nanos: u64,
}

/// Runs `taps` complete payments of `amount` from `payer` to `payee` in-process, through the
/// same card and reader sessions the apps drive, entirely in Rust (the payee is the card when
/// `card` is `PAYEE`). For demos, diagnostics and benchmarks against the same exchange driven
/// from Kotlin or Swift.
#[uniffi::export]
pub fn simulate_tap(
    payer: Arc<Wallet>,
    payee: Arc<Wallet>,
    amount: u64,
    card: NfcRole,
    taps: u32,
) -> Result<TapTiming, OfflineCashError> {
    let start = Instant::now();
    let mut apdus = 0u64;
    for _ in 0..taps {
        let payer_party = cw::Party::Payer(payer.core().pay());
        let payee_party = cw::Party::Payee(Box::new(payee.core().request_payment(amount, now())?));
        let (card_party, reader_party) = match card {
            NfcRole::Payee => (payee_party, payer_party),
            NfcRole::Payer => (payer_party, payee_party),
        };
        let mut card = cw::CardHandler::session(card_party, Arc::new(SystemClock), CardConfig::extended());
        let mut reader = cw::ReaderDriver::new(reader_party, ReaderConfig::extended())?;
        let mut apdu = reader.start();
        loop {
            apdus += 1;
            let response = card.process_apdu(&apdu);
            match reader.handle_response(&response, now()) {
                Ok(cw::ReaderStep::Transmit(next)) => apdu = next,
                Ok(cw::ReaderStep::Done) => break,
                Err(e) => {
                    payer.shared_drain();
                    payee.shared_drain();
                    return Err(card.handler_mut().take_error().map_or_else(|| e.into(), Into::into));
                }
            }
        }
        payer.shared_drain();
        payee.shared_drain();
    }
    let elapsed_nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    Ok(TapTiming { taps, apdus, elapsed_nanos })
}
