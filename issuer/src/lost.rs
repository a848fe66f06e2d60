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

use offline_cash_core::crypto::sha256;
use offline_cash_core::sync::{auth, wire};
use offline_cash_core::token::{NoteId, WalletCertificate, WalletId};
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use crate::IssuerError;
use crate::issuer::{Issuer, to_i64};
use crate::store::sqlite::SqliteTx;
use crate::store::{RevocationReason, Tx as _};

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
        let mut conn = self.db.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let hash = sha256(&[credential.as_bytes()]);
        let account: i64 = tx
            .query_row("SELECT id FROM accounts WHERE credential_hash = ?1", [&hash[..]], |r| r.get(0))
            .optional()?
            .ok_or_else(|| IssuerError::Unauthorized { what: "unknown credential".into() })?;
        let owner: Option<i64> =
            tx.query_row("SELECT account FROM wallets WHERE id = ?1", [&wallet.0[..]], |r| r.get(0)).optional()?;
        if owner != Some(account) {
            return Err(IssuerError::UnknownWallet);
        }
        let existing: Option<(i64, i64)> = tx
            .query_row("SELECT reported_at, returns_at FROM lost_wallets WHERE wallet = ?1", [&wallet.0[..]], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (reported_at, returns_at) = match existing {
            Some((r, t)) => (u64::try_from(r).unwrap_or(0), u64::try_from(t).unwrap_or(0)),
            None => {
                // Its offline window: the latest end among its certificates, then the time
                // payees have to settle what it paid until then.
                let last_end = certificates_end(&tx, &wallet)?.unwrap_or(now);
                let returns_at = last_end.max(now).saturating_add(self.config.settlement_grace_secs);
                tx.execute(
                    "INSERT INTO lost_wallets (wallet, account, reported_at, returns_at) VALUES (?1, ?2, ?3, ?4)",
                    params![&wallet.0[..], account, to_i64(now)?, to_i64(returns_at)?],
                )?;
                SqliteTx(&tx).revoke(&wallet, RevocationReason::Lost, to_i64(now)?)?;
                tracing::warn!(wallet = %wallet, returns_at, "wallet reported lost; revoked");
                (now, returns_at)
            }
        };
        let held: i64 = tx.query_row(
            "SELECT COALESCE(SUM(amount), 0) FROM notes WHERE owner = ?1 AND state = 'live'",
            [&wallet.0[..]],
            |r| r.get(0),
        )?;
        tx.commit()?;
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
        let now = to_i64(self.now())?;
        let mut conn = self.db.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let due: Vec<(Vec<u8>, i64, i64)> = {
            let mut stmt = tx.prepare(
                "SELECT n.id, n.amount, l.account FROM notes n JOIN lost_wallets l ON l.wallet = n.owner
                 WHERE n.state = 'live' AND l.returns_at <= ?1",
            )?;
            let rows = stmt.query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut total = 0u64;
        for (id, amount, account) in due {
            tx.execute("UPDATE notes SET state = 'deposited' WHERE id = ?1", [&id])?;
            tx.execute("UPDATE accounts SET balance = balance + ?1 WHERE id = ?2", params![amount, account])?;
            tx.execute(
                "INSERT INTO ledger (account, delta, kind, reference, at) VALUES (?1, ?2, 'lost_return', ?3, ?4)",
                params![account, amount, &id, now],
            )?;
            total = total.saturating_add(u64::try_from(amount).unwrap_or(0));
        }
        tx.commit()?;
        if total > 0 {
            tracing::info!(value = total, "value of lost wallets returned to their accounts");
        }
        Ok(total)
    }
}

/// The latest `not_after` among a wallet's certificates.
fn certificates_end(tx: &Connection, wallet: &WalletId) -> Result<Option<u64>, IssuerError> {
    let mut stmt = tx.prepare("SELECT certificate FROM certificates WHERE wallet = ?1")?;
    let rows = stmt.query_map([&wallet.0[..]], |r| r.get::<_, Vec<u8>>(0))?;
    let mut end = None;
    for row in rows {
        if let Ok(cert) = WalletCertificate::from_bytes(&row?) {
            end = end.max(Some(cert.body().not_after));
        }
    }
    Ok(end)
}

/// If note `parent` went back to its account because its wallet was lost, makes it live again
/// and debits that account: a link spending it, surfacing after the return (an honest payee
/// settling late), is then recorded like any other. Returns whether it did.
pub(crate) fn reopen_returned(tx: &Connection, parent: &NoteId, now: u64) -> Result<bool, IssuerError> {
    let returned: Option<(i64, i64)> = tx
        .query_row(
            "SELECT account, delta FROM ledger WHERE kind = 'lost_return' AND reference = ?1
             AND NOT EXISTS (SELECT 1 FROM ledger WHERE kind = 'lost_late_spend' AND reference = ?1)",
            [&parent.0[..]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((account, amount)) = returned else { return Ok(false) };
    tx.execute("UPDATE notes SET state = 'live' WHERE id = ?1", [&parent.0[..]])?;
    tx.execute("UPDATE accounts SET balance = balance - ?1 WHERE id = ?2", params![amount, account])?;
    tx.execute(
        "INSERT INTO ledger (account, delta, kind, reference, at) VALUES (?1, ?2, 'lost_late_spend', ?3, ?4)",
        params![account, -amount, &parent.0[..], to_i64(now)?],
    )?;
    tracing::warn!(parent = %parent, amount, "a lost wallet's spend settled after its return: booked to the account");
    Ok(true)
}
