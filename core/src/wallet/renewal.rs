//! Certificate renewal, inside `sync`: a wallet keeps one key and a sequence of certificates.
//!
//! ```text
//!  sync ─► outbox uploaded ─► Limits::renewal_due(now)? ─no─► done
//!                                   │ yes (last third of the window, or past its end)
//!                                   ▼
//!                     SyncClient::register (same key) ─► new certificate ─► install_certificate
//!                     (the old one stays in the store's certificate history)
//! ```
//! Renewing never strands value: every certificate the wallet ever had stays in its history
//! (and in the issuer's, and in the payees' that saw it), links are checked against the one
//! valid at their time, and a payment carries the ones its payee lacks. An issuer that refuses
//! the renewal (a revoked wallet) does not fail the sync: the report says so.

use crate::sync::{SyncClient, SyncError};

use super::{Wallet, WalletError};

/// What a sync did about the wallet's certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Renewal {
    /// The certificate is not near its end: nothing to do.
    #[default]
    NotDue,
    /// A new certificate is installed, valid until `not_after`.
    Renewed {
        /// End of the new certificate's window.
        not_after: u64,
    },
    /// The issuer refused to renew (for example, the wallet is revoked).
    Refused {
        /// Why (e.g. [`Reason::Revoked`](crate::reason::Reason::Revoked)).
        reason: crate::reason::Reason,
        /// The issuer's explanation.
        detail: String,
    },
}

impl Wallet {
    /// Whether the next sync at `now` renews the certificate (see
    /// [`crate::policy::Limits::renewal_due`]).
    pub fn certificate_renewal_due(&self, now: u64) -> Result<bool, WalletError> {
        Ok(self.lock().limits()?.renewal_due(now))
    }

    /// Renews the certificate at the issuer if it is due at `now`, keeping the old one in the
    /// history. Network failures are errors (the sync is retried); a refusal is reported.
    pub(super) async fn renew_certificate_if_due(&self, client: &SyncClient, now: u64) -> Result<Renewal, WalletError> {
        if !self.certificate_renewal_due(now)? {
            return Ok(Renewal::NotDue);
        }
        let registered = match client.register().await {
            Ok(r) => r,
            Err(SyncError::Refused { reason, message, .. }) => {
                tracing::warn!(target: "offline_cash::wallet", reason = reason.name(), "certificate renewal refused: {message}");
                return Ok(Renewal::Refused { reason, detail: message });
            }
            Err(e) => return Err(e.into()),
        };
        let not_after = registered.certificate.body().not_after;
        self.install_certificate(registered.certificate)?;
        tracing::info!(target: "offline_cash::wallet", not_after, "certificate renewed");
        Ok(Renewal::Renewed { not_after })
    }
}
