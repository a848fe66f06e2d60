//! A lost or broken phone: the account holder reports the wallet, the issuer revokes it at once,
//! and once the wallet's offline window has closed the value it still held returns to the account.
//!
//! ```text
//!  report_lost ──► revocations (reason 'lost')       payees that sync refuse it offline
//!              └─► lost_wallets.returns_at = last certificate's not_after + settlement grace
//!  return_lost (every minute, after returns_at) ──► its live notes: state 'deposited',
//!                                                   account credited, ledger 'lost_return'
//!  a link of it surfacing later (an honest payee that settles late) ──► honoured: the note is
//!                                   live again and spent, the account debited ('lost_late_spend')
//! ```
//!
//! The policy (docs/ARCHITECTURE.md, "A lost phone"): the account bears what the phone paid
//! before anyone knew, as with lost cash, and nothing else; an honest payee is never refused for
//! settling late. The worst case for the account is everything the phone held when it was lost
//! (a thief paying payees that have not synced since the report, until its certificate ends);
//! booking a late spend may take the account below zero, and the issuer holds that claim.

use crate::IssuerError;
use crate::issuer::{Issuer, to_i64};
use crate::store::accounts::Entry;
use crate::store::notes::NoteState;
use crate::store::{Accounts as _, LostWallets as _, Notes as _, RevocationReason, Store as _, Tx, Wallets as _};
use offline_cash_core::crypto::sha256;
use offline_cash_core::sync::{auth, wire};
use offline_cash_core::token::{NoteId, WalletCertificate, WalletId};

/// DDL of the table (issuer schema v6).
pub(crate) const SCHEMA_V6: &str = "
CREATE TABLE lost_wallets (
    wallet BLOB PRIMARY KEY REFERENCES wallets(id),
    account INTEGER NOT NULL REFERENCES accounts(id),
    reported_at INTEGER NOT NULL,
    returns_at INTEGER NOT NULL
);
";

impl Issuer {
    /// Reports wallet `wallet_hex` of the account whose bearer credential is `credential` lost:
    /// revoked now, its value returned to the account after its offline window. Reporting it
    /// again answers the same report. `second_factor` is reserved for an issuer that asks for
    /// one (a one-time code, the bank's app); the reference issuer accepts none and refuses one
    /// it cannot check, so a client never believes a factor was verified when it was not.
    pub fn report_lost(
        &self,
        credential: Option<&str>,
        wallet_hex: &str,
        second_factor: Option<&str>,
    ) -> Result<wire::LostWalletResponse, IssuerError> {
        let credential =
            credential.ok_or_else(|| IssuerError::Unauthorized { what: "missing bearer credential".into() })?;
        if second_factor.is_some() {
            return Err(IssuerError::Policy { what: "this issuer does not use a second factor".into() });
        }
        let wallet = auth::parse_hex::<32>(wallet_hex)
            .map(WalletId)
            .ok_or_else(|| IssuerError::malformed("wallet must be 64 hex digits"))?;
        let now = self.now();
        let hash = sha256(&[credential.as_bytes()]);
        let grace = self.config.settlement_grace_secs;
        let (reported_at, returns_at, held) = self.store.write(|tx| {
            let account = tx
                .account_by_credential(&hash)?
                .ok_or_else(|| IssuerError::Unauthorized { what: "unknown credential".into() })?;
            if tx.wallet_account(&wallet.0)? != Some(account) {
                return Err(IssuerError::UnknownWallet);
            }
            let (reported_at, returns_at) = match tx.lost_report(&wallet.0)? {
                Some((r, t)) => (u64::try_from(r).unwrap_or(0), u64::try_from(t).unwrap_or(0)),
                None => {
                    // Its offline window: the latest end among its certificates, then the time
                    // payees have to settle what it paid until then.
                    let last_end = certificates_end(tx, &wallet)?.unwrap_or(now);
                    let returns_at = last_end.max(now).saturating_add(grace);
                    tx.record_lost(&wallet.0, account, to_i64(now)?, to_i64(returns_at)?)?;
                    tx.revoke(&wallet, RevocationReason::Lost, to_i64(now)?)?;
                    (now, returns_at)
                }
            };
            Ok((reported_at, returns_at, tx.held_live(&wallet.0)?))
        })?;
        if reported_at == now {
            tracing::warn!(wallet = %wallet, returns_at, "wallet reported lost; revoked");
        }
        Ok(wire::LostWalletResponse {
            wallet: auth::to_hex(&wallet.0),
            reported_at,
            returns_at,
            held_known: u64::try_from(held).unwrap_or(0),
        })
    }

    /// Returns to its account the live notes of every lost wallet whose offline window has
    /// closed (run by the server once a minute, with the expiry sweep). A note its payer
    /// uploads later (value the phone received) is live for the lost wallet and returns at the
    /// next run. Returns the value returned.
    pub fn return_lost(&self) -> Result<u64, IssuerError> {
        let now = self.now();
        let total = self.store.write(|tx| return_due(tx, now))?;
        if total > 0 {
            tracing::info!(value = total, "value of lost wallets returned to their accounts");
        }
        Ok(total)
    }
}

/// Returns the live notes of the lost wallets whose return time has come by `now`, inside
/// `tx`; the value returned.
pub(crate) fn return_due(tx: &mut dyn Tx, now: u64) -> Result<u64, IssuerError> {
    let now = to_i64(now)?;
    let mut total = 0u64;
    for (id, amount, account) in tx.lost_due(now)? {
        tx.set_note_state(&id, NoteState::Deposited)?;
        tx.book(account, amount, Entry::LostReturn, &id, now)?;
        total = total.saturating_add(u64::try_from(amount).unwrap_or(0));
    }
    Ok(total)
}

/// The latest `not_after` among a wallet's certificates.
fn certificates_end(tx: &mut dyn Tx, wallet: &WalletId) -> Result<Option<u64>, IssuerError> {
    let mut end = None;
    for bytes in tx.certificates_of(&wallet.0)? {
        if let Ok(cert) = WalletCertificate::from_bytes(&bytes) {
            end = end.max(Some(cert.body().not_after));
        }
    }
    Ok(end)
}

/// If note `parent` went back to its account because its wallet was lost, makes it live again
/// and debits that account: a link spending it, surfacing after the return (an honest payee
/// settling late), is then recorded like any other. Returns whether it did.
pub(crate) fn reopen_returned(tx: &mut dyn Tx, parent: &NoteId, now: u64) -> Result<bool, IssuerError> {
    let Some((account, amount)) = tx.lost_return_unbooked(&parent.0)? else { return Ok(false) };
    tx.set_note_state(&parent.0, NoteState::Live)?;
    tx.book(account, -amount, Entry::LostLateSpend, &parent.0, to_i64(now)?)?;
    tracing::warn!(parent = %parent, amount, "a lost wallet's spend settled after its return: booked to the account");
    Ok(true)
}
