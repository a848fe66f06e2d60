//! Refresh: notes → fresh depth-0 genesis notes of the same total, as a persisted flow
//! ([`super::flow`]). Done automatically inside `sync` by the rules of the issuer-signed
//! policy ([`RefreshPolicy`]), or on request.
//!
//! ```text
//!  sync ─► outbox uploaded, revocations installed ─► refresh_due(now)
//!      notes whose chain holds a since-revoked custodian   ─┐
//!      notes within depth_margin links of max_chain_depth  ─┤ (or every note, to consolidate:
//!      notes expiring within expiry_window                 ─┤  more than max_notes, or the
//!                                                           │  largest notes one payment can
//!                                                           ▼  carry do not cover the balance)
//!      start_flow(Refresh) ─► drive_flow ─► fresh notes in the 1-2-5 series (denominations)
//! ```
//! What it does not do: refresh expired notes past the policy's window (the issuer returns
//! their value to the account), or notes pending in a payment.

use crate::store::{FlowKind, HeldNote};
use crate::token::{MAX_BUNDLE_HEADS, NoteId, RefreshPolicy};

use super::flow::FlowReport;
use super::settlement::Settlement;
use super::{Wallet, WalletError};

/// Why a note is due for a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefreshReason {
    /// Its chain holds a custodian revoked since: payees refuse it offline.
    RevokedCustodian,
    /// Its chain is within the policy's margin of `max_chain_depth` (or at it).
    NearDepthLimit,
    /// It expires within the policy's refresh window (or has just expired).
    NearExpiry,
    /// The wallet holds too many notes, or too many small ones to pay its balance at once.
    Consolidation,
}

/// A note due for a refresh, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueNote {
    /// The note.
    pub id: NoteId,
    /// Its value.
    pub amount: u64,
    /// The first reason that applies.
    pub reason: RefreshReason,
}

/// The reason `note` is due at `now`, if it is (consolidation aside).
fn due(
    note: &HeldNote,
    me: &crate::token::WalletId,
    rules: &RefreshPolicy,
    max_depth: u32,
    revoked: &dyn crate::token::RevocationCheck,
    now: u64,
) -> Option<RefreshReason> {
    if super::passed_through_revoked(note, me, revoked) {
        return Some(RefreshReason::RevokedCustodian);
    }
    if note.depth.saturating_add(rules.depth_margin) >= max_depth {
        return Some(RefreshReason::NearDepthLimit);
    }
    if note.expires_at <= now.saturating_add(rules.expiry_window) {
        return Some(RefreshReason::NearExpiry);
    }
    None
}

impl Wallet {
    /// The notes the next sync at `now` refreshes, and why (at most
    /// [`MAX_FLOW_NOTES`](crate::store::MAX_FLOW_NOTES) of them, smallest first).
    pub fn refresh_due(&self, now: u64) -> Result<Vec<DueNote>, WalletError> {
        let inner = self.lock();
        let Some(policy) = inner.store.policy()? else { return Ok(Vec::new()) };
        let rules = policy.body().refresh;
        let max_depth = policy.body().max_chain_depth;
        let revocations = inner.store.revocation_list()?;
        let revoked = super::revocation_check(revocations.as_ref());
        let mut notes = inner.store.unspent_notes()?;
        drop(inner);
        // Expired longer than the window ago: the issuer no longer refreshes it.
        notes.retain(|n| n.expires_at.saturating_add(rules.expiry_window) >= now);
        notes.sort_by_key(|n| (n.amount, n.id.0));
        let mut out: Vec<DueNote> = notes
            .iter()
            .filter_map(|n| {
                due(n, &self.id, &rules, max_depth, revoked, now).map(|reason| DueNote {
                    id: n.id,
                    amount: n.amount,
                    reason,
                })
            })
            .collect();
        // Consolidation, over the notes not already due (all usable now): too many of them, or
        // more than one payment can carry while their largest do not cover their total.
        let rest: Vec<&HeldNote> = notes.iter().filter(|n| !out.iter().any(|d| d.id == n.id)).collect();
        let mut amounts: Vec<u64> = rest.iter().map(|n| n.amount).collect();
        amounts.sort_unstable_by(|a, b| b.cmp(a));
        let one_payment: u64 = amounts.iter().take(MAX_BUNDLE_HEADS).sum();
        let held: u64 = amounts.iter().sum();
        if rest.len() > rules.max_notes as usize || one_payment < held {
            out.extend(rest.iter().map(|n| DueNote {
                id: n.id,
                amount: n.amount,
                reason: RefreshReason::Consolidation,
            }));
        }
        out.truncate(crate::store::MAX_FLOW_NOTES);
        Ok(out)
    }

    /// Refreshes `notes` now (online): one persisted flow, one batch. Returns what it did.
    pub async fn refresh_notes(
        &self,
        settlement: &impl Settlement,
        notes: &[NoteId],
        now: u64,
    ) -> Result<FlowReport, WalletError> {
        let _online = self.online().await;
        self.run_flow_held(FlowKind::Refresh, settlement, notes, now).await
    }

    /// Retires the notes that expired more than the policy's refresh window before `now` (the
    /// issuer returns their value to the account; see [`crate::store::Store::retire_expired`])
    /// and announces it ([`super::WalletEvent::ValueReturned`]). Called by `sync` after the
    /// automatic refresh. Returns the value retired.
    pub fn retire_expired(&self, now: u64) -> Result<u64, WalletError> {
        let mut inner = self.lock();
        let Some(policy) = inner.store.policy()? else { return Ok(0) };
        let before = now.saturating_sub(policy.body().refresh.expiry_window);
        let batch_id = inner.random::<16>();
        let amount = inner.store.retire_expired(before, &batch_id, now)?;
        if amount > 0 {
            inner.push_event(super::WalletEvent::ValueReturned { amount });
            tracing::info!(target: "offline_cash::wallet", amount, "expired notes returned to the account");
        }
        Ok(amount)
    }

    /// Refreshes every unspent note (at most [`MAX_FLOW_NOTES`](crate::store::MAX_FLOW_NOTES)),
    /// due or not; `None` if the wallet holds none.
    pub async fn refresh_all(&self, settlement: &impl Settlement, now: u64) -> Result<Option<FlowReport>, WalletError> {
        let mut ids: Vec<NoteId> = self.lock().store.unspent_notes()?.into_iter().map(|n| n.id).collect();
        ids.truncate(crate::store::MAX_FLOW_NOTES);
        if ids.is_empty() {
            return Ok(None);
        }
        self.refresh_notes(settlement, &ids, now).await.map(Some)
    }

    /// Refreshes the notes due at `now` ([`Wallet::refresh_due`]), if any.
    pub async fn refresh(&self, settlement: &impl Settlement, now: u64) -> Result<Option<FlowReport>, WalletError> {
        let _online = self.online().await;
        self.refresh_held(settlement, now).await
    }

    /// [`Wallet::refresh`] with the online lock held by the caller (`sync`).
    pub(super) async fn refresh_held(
        &self,
        settlement: &impl Settlement,
        now: u64,
    ) -> Result<Option<FlowReport>, WalletError> {
        let due = self.refresh_due(now)?;
        if due.is_empty() {
            return Ok(None);
        }
        let ids: Vec<NoteId> = due.iter().map(|d| d.id).collect();
        for d in &due {
            tracing::debug!(target: "offline_cash::wallet", note = %d.id, amount = d.amount, reason = ?d.reason, "refresh due");
        }
        self.run_flow_held(FlowKind::Refresh, settlement, &ids, now).await.map(Some)
    }
}
