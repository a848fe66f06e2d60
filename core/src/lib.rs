//! # Offline Cash core
//!
//! The wallet core of Offline Cash: value held as issuer-signed notes with a chain of custody,
//! spent offline by signing a link to the payee, verified offline by the payee.
//!
//! ```text
//!  crypto ──► token ──► (policy, store, protocol, nfc, sync: later layers)
//!  suites,    notes, links, certificates, policy,
//!  signers    revocation list, bundles, chain verification
//! ```
//!
//! Pure Rust, no FFI types, no I/O, no clock and no global state in this crate's logic: time
//! is a parameter (`now`, Unix seconds) and randomness is drawn only by explicit key
//! generation. Every input from outside is decoded strictly and every failure is a typed
//! error; nothing here panics on data it did not create.
#![forbid(unsafe_code)]

pub mod cbor;
pub mod crypto;
pub mod nfc;
pub mod policy;
pub mod protocol;
pub mod qr;
pub mod reason;
pub mod store;
pub mod sync;
#[cfg(feature = "test-support")]
pub mod testkit;
pub mod token;
pub mod wallet;
