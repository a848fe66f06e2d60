//! # Offline Cash FFI facade
//!
//! The UniFFI facade over `offline-cash-core`, from which the Kotlin (Android, host JVM),
//! Swift (iOS) and Python bindings are generated in library mode by `scripts/gen-bindings.sh`.
//!
//! ```text
//!  Kotlin / Swift / Python app
//!     │  generated bindings (never committed)         ▲ Signer, KeyWrapper
//!     ▼                                               │ (implemented by the app)
//!  offline_cash_ffi  ── this crate: types, errors, adapters, no business logic
//!     │
//!     ▼
//!  offline-cash-core ── every rule, check and encoding
//! ```
//!
//! Contract:
//! - This crate only wraps (bdk-ffi's "wrapping" rule): each exported item converts its
//!   arguments, calls core, and converts the result. New behaviour goes into core first.
//! - Every failure reaches the app as an [`OfflineCashError`] variant with named fields; the
//!   core's errors are mapped once, in `error.rs`. No exported function panics on its input,
//!   including bytes from outside and host callbacks that throw.
//! - Stateful things are `uniffi::Object`s behind `Arc` with `&self` methods; host-implemented
//!   traits ([`Signer`], [`KeyWrapper`], [`Transceiver`], [`WalletListener`], [`Logger`]) are
//!   `#[uniffi::export(with_foreign)]`. Objects are safe to call from several threads.
//!
//! The wallet ([`Wallet`]: open with a software or hardware key, balance, history, payments
//! over frames or NFC APDUs, async register/fund/sync on a tokio runtime, events to a
//! [`WalletListener`], log lines to a [`Logger`]) wraps `core::wallet`. The API as the apps
//! see it is described in docs/API.md.
//!
//! No hand-written `unsafe` here (forbidden below); the FFI plumbing is UniFFI's generated
//! scaffolding.
#![forbid(unsafe_code)]

mod account;
mod error;
mod key;
mod logging;
mod saved_request;
mod session;
mod signer;
mod suite;
mod tier;
mod wallet;

pub use account::{LostWallet, report_lost};
pub use error::{CryptoReason, KeyWrapperError, LimitKind, OfflineCashError, Reason, SignerError};
pub use key::{KeyWrapper, SoftwareKey};
pub use logging::{LogLevel, Logger, set_logger};
pub use saved_request::{SavedPaymentRequest, payment_request_nonce};
pub use session::{
    CardSession, NfcRole, PayeeSession, PayerSession, ReaderSession, ReaderStep, TapTiming, TransceiveError,
    Transceiver, simulate_tap,
};
pub use signer::{Signer, SignerReport, check_signer};
pub use suite::Suite;
pub use tier::{AttestationChallenge, AttestationEvidence, Tier, attestation_challenge};
pub use wallet::{
    Balance, HistoryCursor, HistoryEntry, HistoryKind, HistoryPage, PendingPayment, SyncReport, Wallet, WalletConfig,
    WalletEvent, WalletListener,
};

uniffi::setup_scaffolding!();
