//! The signed value objects of Offline Cash and their offline verification.
//!
//! ```text
//!  IssuerKey (pinned) ──signs──► WalletCertificate, Note (genesis), Policy, RevocationList,
//!                               KeyRotation (introduces the next trusted IssuerKey)
//!  Note ──spent by owner──► SpendLink ──outputs──► child notes ──spent──► SpendLink ──► …
//!  Bundle = certificates + genesis notes + links + heads, each object once
//! ```
//!
//! Every object has a version field and exactly one canonical encoding (a strict subset of
//! deterministic CBOR, see [`crate::cbor`] and docs/PROTOCOL.md). Ids are digests of the
//! unsigned content, so re-encoding a signature can never change an id. Decoding rejects
//! trailing bytes, unknown versions, non-canonical encodings and oversize inputs.
//!
//! This module does not store anything, keep a clock, or know about payment requests:
//! [`verify_bundle`] answers "is this value genuine at time `now` under these keys and this
//! policy", and returns a [`ChainVerified`] proof token that later layers require.

mod bundle;
mod certificate;
pub(crate) mod codec;
mod error;
mod ids;
mod issuer_key;
mod key_rotation;
mod link;
mod note;
mod policy;
mod revocation;
mod signed;
mod tier;
mod verify;

pub use bundle::{
    Bundle, Chain, MAX_BUNDLE_BYTES, MAX_BUNDLE_CERTIFICATES, MAX_BUNDLE_HEADS, MAX_BUNDLE_LINKS, MAX_BUNDLE_NOTES,
};
pub use certificate::{CertificateBody, MAX_CUSTOMER_REF, WalletCertificate, select_valid_at, wallet_id};
pub use error::{DecodeError, Rejection};
pub use ids::{Currency, LinkId, NoteId, WalletId};
pub use issuer_key::{IssuerKey, TrustStore};
pub use key_rotation::{KeyEnd, KeyRotation, KeyRotationBody, RotationApplied, RotationError};
pub use link::{LinkBody, MAX_OUTPUTS, Output, SpendLink, child_id};
pub use note::{Note, NoteBody};
pub use policy::{Policy, PolicyBody, RefreshPolicy, policy_sequence_of};
pub use revocation::{
    MAX_REVOCATION_LIST_BYTES, MAX_REVOKED, NoRevocations, RevocationBody, RevocationCheck, RevocationList,
};
pub use signed::{Body, IssuerSigned, Signed, body_digest};
pub use tier::{MAX_TIER_LIMITS, Tier, TierLimits};
pub use verify::{
    CertificateStore, ChainVerified, IssuedNotes, NoIssuedNotes, VerifiedBundle, VerifiedCoin, VerifyContext,
    verify_bundle, verify_bundle_issued,
};

/// The only version of every object this code reads and writes.
pub const VERSION: u64 = 1;

/// Largest encoding of a single signed object (a composite certificate is ~4 KB); revocation
/// lists have their own, larger limit ([`MAX_REVOCATION_LIST_BYTES`]).
pub const MAX_OBJECT_BYTES: usize = 16 * 1024;

/// The kinds of object, for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ObjectKind {
    /// An issuer key.
    IssuerKey,
    /// A wallet certificate.
    Certificate,
    /// A genesis note.
    Note,
    /// A spend link.
    Link,
    /// A policy.
    Policy,
    /// A revocation list.
    RevocationList,
    /// A bundle.
    Bundle,
    /// A protocol message (payment request, payment, frame).
    Message,
    /// A payment receipt.
    Receipt,
    /// A secret key wrapped by the app's key wrapper.
    WrappedKey,
    /// An issuer-key rotation.
    KeyRotation,
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ObjectKind::IssuerKey => "issuer key",
            ObjectKind::Certificate => "certificate",
            ObjectKind::Note => "note",
            ObjectKind::Link => "link",
            ObjectKind::Policy => "policy",
            ObjectKind::RevocationList => "revocation list",
            ObjectKind::Bundle => "bundle",
            ObjectKind::Message => "message",
            ObjectKind::Receipt => "receipt",
            ObjectKind::WrappedKey => "wrapped key",
            ObjectKind::KeyRotation => "key rotation",
        })
    }
}
