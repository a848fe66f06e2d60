//! What the held value can do now: payable offline, waiting for an online refresh (and why),
//! on its way (pending payments, refreshes, deposits). [`Wallet::balance`] is the O(1) total
//! from the store's counters; [`Wallet::balance_detail`] reads every held note (O(notes)) to
//! tell the truth about the part that cannot be paid offline now.
//!
//! ```text
//!  total = spendable_now + waiting (too deep | expired | revoked custodian)
//!        + refreshing + depositing + pending
//! ```
//! Also here: [`Wallet::lifecycle_events`], the events an app shows before value or the
//! certificate runs out (notes or certificate near their end).

use super::{Wallet, WalletError, WalletEvent};

/// Why held value cannot be paid offline now; a sync (online) refreshes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitReason {
    /// The note's chain is at the policy's `max_chain_depth`: no payee takes another link.
    TooDeep,
    /// The note has expired.
    Expired,
    /// The note's chain holds a custodian revoked since it was received.
    RevokedCustodian,
}

/// The balance, note by note.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BalanceDetail {
    /// Payable offline now (in one payment or several).
    pub spendable_now: u64,
    /// The most one payment can carry now (its 64 largest payable notes).
    pub one_payment: u64,
    /// Held value waiting for an online refresh, by reason (each note counted once, under the
    /// first reason in the order of [`WaitReason`]).
    pub waiting: Vec<(WaitReason, u64)>,
    /// In a refresh whose fresh notes have not arrived.
    pub refreshing: u64,
    /// On its way to the online account.
    pub depositing: u64,
    /// In outgoing payments awaiting the payee's receipt.
    pub pending: u64,
    /// Everything above.
    pub total: u64,
}

impl BalanceDetail {
    /// The value waiting for `reason`.
    pub fn waiting_for(&self, reason: WaitReason) -> u64 {
        self.waiting.iter().filter(|(r, _)| *r == reason).map(|(_, a)| a).sum()
    }
}

impl Wallet {
    /// The balance at `now`, note by note (see the module doc).
    pub fn balance_detail(&self, now: u64) -> Result<BalanceDetail, WalletError> {
        let inner = self.lock();
        let counters = inner.store.balance()?;
        let max_depth = inner.store.policy()?.map_or(u32::MAX, |p| p.body().max_chain_depth);
        let revocations = inner.store.revocation_list()?;
        let revoked = super::revocation_check(revocations.as_ref());
        let notes = inner.store.unspent_notes()?;
        drop(inner);
        let mut out = BalanceDetail {
            refreshing: counters.refreshing,
            depositing: counters.depositing,
            pending: counters.pending,
            total: counters.total,
            ..BalanceDetail::default()
        };
        let mut payable: Vec<u64> = Vec::new();
        let mut add = |reason: WaitReason, amount: u64| match out.waiting.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, a)) => *a += amount,
            None => out.waiting.push((reason, amount)),
        };
        for n in &notes {
            if n.depth >= max_depth {
                add(WaitReason::TooDeep, n.amount);
            } else if n.expires_at < now {
                add(WaitReason::Expired, n.amount);
            } else if n.chain.signers().iter().any(|s| *s != self.id && revoked.is_revoked(s)) {
                add(WaitReason::RevokedCustodian, n.amount);
            } else {
                payable.push(n.amount);
            }
        }
        out.spendable_now = payable.iter().sum();
        payable.sort_unstable_by(|a, b| b.cmp(a));
        out.one_payment = payable.iter().take(crate::token::MAX_BUNDLE_HEADS).sum();
        Ok(out)
    }

    /// Queues (for [`Wallet::poll_event`]) and returns the events about value and the
    /// certificate nearing their end at `now`: notes expiring within the policy's refresh
    /// window, and a certificate in its renewal window. Both are cured by a sync; an app calls
    /// this when it starts or comes to the foreground.
    pub fn lifecycle_events(&self, now: u64) -> Result<Vec<WalletEvent>, WalletError> {
        let mut inner = self.lock();
        let Some(policy) = inner.store.policy()? else { return Ok(Vec::new()) };
        let window = policy.body().refresh.expiry_window;
        let notes = inner.store.unspent_notes()?;
        let expiring: Vec<_> = notes.iter().filter(|n| n.expires_at <= now.saturating_add(window)).collect();
        let mut events = Vec::new();
        if let Some(first) = expiring.iter().map(|n| n.expires_at).min() {
            events.push(WalletEvent::NotesExpiring {
                amount: expiring.iter().map(|n| n.amount).sum(),
                first_expiry: first,
            });
        }
        if let Ok(limits) = inner.limits() {
            if limits.renewal_due(now) {
                events.push(WalletEvent::CertificateExpiring { not_after: limits.certificate_not_after });
            }
        }
        for e in &events {
            inner.push_event(e.clone());
        }
        Ok(events)
    }
}
