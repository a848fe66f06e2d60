//! Reference issuer and settlement service for Offline Cash.
//!
//! ```text
//!  wallets ──HTTP/JSON (core::sync::wire)──► http (axum) ──► Issuer (library logic)
//!                                                               │ settle: verify_bundle (the
//!                                                               │ phones' code), record links
//!                                                               ▼
//!                                              crate::store: SQLite file | PostgreSQL
//! ```
//!
//! [`Issuer`] holds the logic and can be embedded (the CLI demo does); [`Server`] serves it
//! over HTTP. Settlement rules and the loss policy are documented in [`settle`] and
//! docs/ARCHITECTURE.md. This crate does not hold wallets' keys or balances beyond the
//! online accounts, and it is a reference, not a hardened deployment: the issuer keys live in
//! the database (rotated offline by [`keys::rotate_key`]) or in a [`key_file::KeyFile`]
//! shared by the nodes over one database.
#![forbid(unsafe_code)]

pub mod attestation;
mod config_check;
pub mod db;
mod error;
pub mod http;
mod issuer;
pub mod key_file;
pub mod keys;
mod lost;
pub mod metrics;
mod nonce_use;
pub mod proofs;
pub mod rate_limit;
pub mod settle;
mod settle_sets;
mod settle_stream;
mod settle_verify;
pub mod store;
pub mod tier_attestation;
pub mod tier_policy;

pub use error::IssuerError;
pub use http::{Server, ServerConfig};
pub use issuer::{Caller, Clock, Issuer, IssuerConfig, SignedRequest, system_clock};
pub use nonce_use::NonceUse;
pub use rate_limit::{RateLimit, RateLimiter};
