//! The async settlement client and the wire types it shares with the issuer.
//!
//! ```text
//!  wallet code ──typed objects──► SyncClient ──JSON/HTTPS (signed request)──► issuer
//!              ◄──typed objects── (decode + retry) ◄──JSON envelopes──────────
//! ```
//!
//! [`wire`] holds the serde envelopes (the issuer uses the same types), [`auth`] the canonical
//! request digest every mutating request is signed over, [`SyncClient`] the HTTP client with
//! retries (exponential backoff on network errors and 5xx, never on 4xx).
//!
//! This module does not persist anything: it takes token objects and returns token objects;
//! what to upload and what to do with the answers is the wallet's business.
#![cfg(feature = "sync")]

pub mod attestation;
pub mod auth;
mod client;
mod error;
pub mod wire;

pub use attestation::{Attestation, AttestationEvidence};
pub use client::{
    AccountCreated, ClientOptions, Clock, IssuerTrust, MAX_RESPONSE_BYTES, Registered, RetryPolicy, Revocations,
    SyncBatch, SyncClient, SyncOutcome, SyncRecordResult, check_url,
};
pub use error::SyncError;
pub use wire::{RecordKind, RecordStatus};
