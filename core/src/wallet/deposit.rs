//! Deposit and defund: notes → the wallet's online account, as a persisted flow
//! ([`super::flow`]). A deposit names its notes; a defund names an amount, and first refreshes
//! the one note it would have to split so that whole notes of exactly that amount go.
//!
//! ```text
//!  defund(amount) ─► select notes (no split?) ─yes─► deposit(notes) ─► flow(Deposit) ─► account
//!                                  │ no: one note would be split
//!                                  ▼
//!                    refresh that note into [part, change…] ─► select again (exact now) ─► deposit
//! ```
//! Each step is its own flow: a crash between them leaves the refresh to finish at the next
//! sync and nothing deposited; asking again deposits. The value in a deposit is in
//! `Balance::depositing` until the issuer confirms it, never in `spendable` too.

use crate::store::FlowKind;
use crate::token::NoteId;

use super::denominations::denominations;
use super::flow::FlowReport;
use super::settlement::Settlement;
use super::{Wallet, WalletError};

impl Wallet {
    /// Deposits `notes` (unspent, held) to the online account now.
    pub async fn deposit(
        &self,
        settlement: &impl Settlement,
        notes: &[NoteId],
        now: u64,
    ) -> Result<FlowReport, WalletError> {
        let _online = self.online().await;
        self.run_flow_held(FlowKind::Deposit, settlement, notes, now).await
    }

    /// Deposits every unspent note (at most [`MAX_FLOW_NOTES`](crate::store::MAX_FLOW_NOTES));
    /// `None` if the wallet holds none.
    pub async fn deposit_all(&self, settlement: &impl Settlement, now: u64) -> Result<Option<FlowReport>, WalletError> {
        let mut ids: Vec<NoteId> = self.lock().store.unspent_notes()?.into_iter().map(|n| n.id).collect();
        ids.truncate(crate::store::MAX_FLOW_NOTES);
        if ids.is_empty() {
            return Ok(None);
        }
        self.deposit(settlement, &ids, now).await.map(Some)
    }

    /// Moves `amount` of offline value back to the online account now. Fails as a payment
    /// would if the spendable notes cannot cover it ([`WalletError::InsufficientFunds`]).
    pub async fn defund(&self, settlement: &impl Settlement, amount: u64, now: u64) -> Result<FlowReport, WalletError> {
        if amount == 0 {
            return Err(WalletError::Misuse { detail: "nothing to defund".into() });
        }
        let _online = self.online().await;
        let selection = self.lock().store.select_coins(amount, now)?;
        match selection.split {
            None => {}
            Some(split) => {
                // Split by the issuer, not by a link: a refresh into [part, change…].
                let mut amounts = vec![split.to_payee];
                amounts.extend(denominations(split.change));
                let id = self.start_flow_with(FlowKind::Refresh, &[split.note.id], vec![amounts], now)?;
                let report = self.drive_flow_held(settlement, id, now).await?;
                if report.returned > 0 {
                    return Err(WalletError::IssuerRefused {
                        status: 200,
                        reason: report.reason.unwrap_or(crate::reason::Reason::Unknown),
                        detail: "the issuer refused to split a note for the defund".into(),
                    });
                }
                // The issuer issues the fresh notes in the order asked: the first is the part.
                let part = report
                    .fresh
                    .first()
                    .copied()
                    .ok_or(super::flow::invalid_answer("a split for the defund gave no notes"))?;
                let mut notes: Vec<NoteId> = selection.full.iter().map(|n| n.id).collect();
                notes.push(part);
                return self.run_flow_held(FlowKind::Deposit, settlement, &notes, now).await;
            }
        };
        self.run_flow_held(FlowKind::Deposit, settlement, &selection.note_ids(), now).await
    }
}
