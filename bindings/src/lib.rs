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
//!   traits ([`Signer`], [`KeyWrapper`]) are `#[uniffi::export(with_foreign)]`.
//!
//! It does not yet expose the wallet (stores, payments, settlement): that facade comes when
//! core's `Wallet` exists. The API as the apps see it is described in docs/API.md.
//!
//! No hand-written `unsafe` here (forbidden below); the FFI plumbing is UniFFI's generated
//! scaffolding.
#![forbid(unsafe_code)]

mod error;
mod key;
mod signer;
mod suite;

pub use error::{CryptoReason, KeyWrapperError, OfflineCashError, SignerError};
pub use key::{KeyWrapper, SoftwareKey};
pub use signer::{Signer, SignerReport, check_signer};
pub use suite::Suite;

uniffi::setup_scaffolding!();
