//! The wallet facade's error: grouped as the app acts on it.

use crate::crypto::CryptoError;
use crate::nfc::NfcError;
use crate::policy::LimitError;
use crate::protocol::{PaymentRejection, ProtocolError};
use crate::reason::Reason;
use crate::store::StoreError;
use crate::token::{DecodeError, ObjectKind, Rejection};

/// What went wrong in a wallet operation.
///
/// - `Rejected`: the counterparty's message was refused, with the reason (forged, replayed…);
/// - `PeerRejected`: the counterparty refused ours, with its reason code;
/// - `Limit` / `InsufficientFunds`: the user asked for more than the wallet may or can do;
/// - `Incompatible`: the peer speaks something we do not (version, encoding, NFC capabilities);
/// - `Torn`: the tap ended before the exchange completed (tap again);
/// - `Expired`: something's time ran out (a saved request);
/// - `IssuerRefused`: the issuer refused (policy, revoked, balance); `Network`: it could not
///   be reached or failed;
/// - `Damaged`: the database failed its consistency check (kept, never reset);
/// - `Misuse`: the app called the API wrongly; `Storage`: the database failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
    /// The counterparty's message was understood and refused (`.0.reason()` says why).
    #[error("rejected ({reason}): {0}", reason = .0.reason())]
    Rejected(PaymentRejection),
    /// The counterparty refused our message.
    #[error("the other wallet refused: {reason} (code {})", .reason.code())]
    PeerRejected {
        /// Why ([`Reason::Unknown`] for a reason of a newer version).
        reason: Reason,
    },
    /// An offline limit would be exceeded.
    #[error(transparent)]
    Limit(LimitError),
    /// Not enough usable value: `available` is what one payment can carry now, `unusable`
    /// why the rest of the held value cannot be paid (expired, at the depth limit, too many
    /// notes for one payment).
    #[error("insufficient funds: {needed} needed, {available} usable in one payment{unusable}")]
    InsufficientFunds {
        /// The amount asked for.
        needed: u64,
        /// What one payment can carry now.
        available: u64,
        /// Held value that cannot be used now, by reason.
        unusable: crate::store::Unusable,
    },
    /// Something with an end of validity has passed it (a saved payment request past its
    /// time to live): a normal outcome of time, not a misuse.
    #[error("{what} expired at {expired_at}")]
    Expired {
        /// What expired.
        what: &'static str,
        /// Its last valid second (Unix time).
        expired_at: u64,
    },
    /// The issuer understood the request and refused it (a policy, a revoked wallet or
    /// customer, an account without the balance…): not a network failure, and trying again
    /// unchanged will not help. `code` is the issuer's error code (see issuer/openapi.json).
    #[error("the issuer refused ({status} {reason}): {detail}")]
    IssuerRefused {
        /// The HTTP status.
        status: u16,
        /// Why (the issuer's error code, see issuer/openapi.json).
        reason: Reason,
        /// Its message.
        detail: String,
    },
    /// The wallet database's counters disagree with its notes, or its log's hash chain is
    /// broken (edited, restored in part): the wallet refuses to pay, receive or sync from it.
    /// The file is kept as it is for recovery.
    #[error("wallet database failed its consistency check: {detail}")]
    Damaged {
        /// The first disagreement found.
        detail: String,
    },
    /// The peer's bytes are not something this version understands.
    #[error("incompatible peer: {detail}")]
    Incompatible {
        /// What did not fit.
        detail: String,
    },
    /// The tap ended before the exchange completed; tap again to finish it.
    #[error("tap interrupted: {detail}")]
    Torn {
        /// Where it broke.
        detail: String,
    },
    /// The wallet is missing something it needs (certificate, policy, issuer keys).
    #[error("wallet not provisioned: no {missing}")]
    NotProvisioned {
        /// What is missing.
        missing: &'static str,
    },
    /// The API was used wrongly.
    #[error("misuse: {detail}")]
    Misuse {
        /// What was wrong.
        detail: String,
    },
    /// The issuer could not be reached or answered with an error.
    #[error("network: {detail}")]
    Network {
        /// Whether trying again later may succeed (connection failed, server error).
        retryable: bool,
        /// What happened.
        detail: String,
    },
    /// The wallet database failed.
    #[error("storage: {0}")]
    Storage(StoreError),
    /// The wallet's own signer failed.
    #[error("signer: {0}")]
    Signer(CryptoError),
}

impl WalletError {
    /// Whether retrying (tapping again, syncing) may succeed without the user changing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(self, WalletError::Torn { .. } | WalletError::Network { retryable: true, .. })
    }
}

impl From<StoreError> for WalletError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Limit(l) => WalletError::Limit(l),
            StoreError::InsufficientFunds { needed, available, unusable } => {
                WalletError::InsufficientFunds { needed, available, unusable }
            }
            StoreError::NotProvisioned { missing } => WalletError::NotProvisioned { missing },
            other => WalletError::Storage(other),
        }
    }
}

impl From<LimitError> for WalletError {
    fn from(e: LimitError) -> Self {
        WalletError::Limit(e)
    }
}

impl From<PaymentRejection> for WalletError {
    fn from(e: PaymentRejection) -> Self {
        WalletError::Rejected(e)
    }
}

impl From<Rejection> for WalletError {
    fn from(e: Rejection) -> Self {
        WalletError::Rejected(PaymentRejection::Chain(e))
    }
}

impl From<ProtocolError> for WalletError {
    fn from(e: ProtocolError) -> Self {
        match e {
            ProtocolError::Rejected(r) => WalletError::Rejected(r),
            ProtocolError::Malformed(DecodeError::UnknownVersion { object: ObjectKind::Message, found }) => {
                WalletError::Incompatible {
                    detail: format!(
                        "the other wallet speaks payment protocol version {found}; this wallet speaks version {}",
                        crate::protocol::PROTOCOL_VERSION
                    ),
                }
            }
            ProtocolError::Malformed(d) => WalletError::Rejected(PaymentRejection::Chain(Rejection::Malformed(d))),
            ProtocolError::Unexpected { expected, found } => {
                WalletError::Incompatible { detail: format!("expected {expected}, got frame type {found:#04x}") }
            }
            ProtocolError::Peer { reason, message } => {
                let _ = message;
                WalletError::PeerRejected { reason }
            }
            ProtocolError::Decryption => WalletError::Incompatible { detail: "session decryption failed".into() },
            ProtocolError::Crypto(c) => WalletError::Signer(c),
            ProtocolError::Misuse(m) => WalletError::Misuse { detail: m.into() },
        }
    }
}

impl From<NfcError> for WalletError {
    fn from(e: NfcError) -> Self {
        match e {
            NfcError::Rejected { code } => WalletError::PeerRejected { reason: Reason::from_code(code) },
            NfcError::Misuse { reason } => WalletError::Misuse { detail: reason.to_string() },
            other => WalletError::Incompatible { detail: other.to_string() },
        }
    }
}
