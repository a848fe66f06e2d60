//! The driver shared by the persisted flows ([`super::refresh`], [`super::deposit`]): start a
//! flow in the store, send its batch, apply the issuer's answer, resume after a crash.
//!
//! ```text
//!  start_flow ─► Store::begin_flow (notes leave `spendable`, one log entry)
//!      ▼
//!  drive_flow ─► fix the batch's reported state once ─► Settlement::settle(batch, same id)
//!      │            (crash or network error here: the flow stays `started`; resume_flows
//!      │             resends the identical batch, the issuer answers it from its stored answer)
//!      ▼
//!  per record: refresh ─ fresh notes (verified) ─► kept │ refused ─► notes spendable again
//!              deposit ─ credited its note      ─► kept │ refused ─► note spendable again
//!      ▼
//!  Store::finish_refresh / finish_deposit (one transaction, log entries) ─► policy, revocations
//! ```
//! Every open flow is resumed at the start of [`Wallet::sync`], before any other batch, so the
//! counter and log head a flow's batch reports are never older than what the issuer last saw.

use std::collections::HashSet;

use crate::store::{Flow, FlowKind, FlowRequest, FlowState, HeldNote};
use crate::sync::{RecordStatus, SyncBatch, SyncOutcome};
use crate::token::{Bundle, Chain, NoteId, WalletId};

use super::denominations::denominations;
use super::settlement::Settlement;
use super::{IssuerUpdate, Refused, Wallet, WalletError};

/// What one flow did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowReport {
    /// The flow's id in the store.
    pub id: u64,
    /// Refresh or deposit.
    pub kind: FlowKind,
    /// Value refreshed into fresh notes, or deposited to the account.
    pub done: u64,
    /// Value the issuer refused, spendable again.
    pub returned: u64,
    /// The issuer's first reason for a refusal.
    pub reason: Option<crate::reason::Reason>,
    /// The online account's balance after the flow's batch.
    pub account_balance: i64,
    /// The fresh notes a refresh gave, in the order of its records and their amounts.
    pub fresh: Vec<NoteId>,
    /// Items of the issuer's answer the wallet refused to install (see [`Refused`]).
    pub refused: Vec<Refused>,
}

impl Wallet {
    /// Hands `notes` to a new flow of `kind` at `now`; a refresh asks for fresh notes in the
    /// 1-2-5 series ([`denominations`]). Returns the flow's id. Nothing changes on error.
    pub fn start_flow(&self, kind: FlowKind, notes: &[NoteId], now: u64) -> Result<u64, WalletError> {
        let inner = self.lock();
        inner.ensure_sound()?;
        let mut sorted = notes.to_vec();
        sorted.sort_unstable_by_key(|n| n.0);
        sorted.dedup();
        let amounts = if kind == FlowKind::Refresh {
            let mut out = Vec::new();
            for chunk in sorted.chunks(kind.notes_per_record()) {
                let mut total: u64 = 0;
                for id in chunk {
                    let chain = inner
                        .store
                        .note_chain(id)?
                        .ok_or(WalletError::Misuse { detail: format!("note {id} is not held") })?;
                    total = total
                        .checked_add(chain.amount())
                        .ok_or(WalletError::Misuse { detail: "the notes' total overflows".into() })?;
                }
                out.push(denominations(total));
            }
            out
        } else {
            Vec::new()
        };
        drop(inner);
        self.start_flow_with(kind, &sorted, amounts, now)
    }

    /// [`Wallet::start_flow`] with the fresh amounts of each record chosen by the caller (a
    /// refresh; for a deposit, `amounts` is empty).
    pub(super) fn start_flow_with(
        &self,
        kind: FlowKind,
        notes: &[NoteId],
        amounts: Vec<Vec<u64>>,
        now: u64,
    ) -> Result<u64, WalletError> {
        let mut inner = self.lock();
        inner.ensure_sound()?;
        let batch_id = inner.random::<16>();
        Ok(inner.store.begin_flow(kind, &batch_id, notes, &amounts, now)?)
    }

    /// Finishes every flow left open (by a crash, a lost answer, a network error), oldest
    /// first. Called by [`Wallet::sync`] before anything else.
    pub async fn resume_flows(&self, settlement: &impl Settlement, now: u64) -> Result<Vec<FlowReport>, WalletError> {
        let _online = self.online.lock().await;
        self.resume_flows_held(settlement, now).await
    }

    /// [`Wallet::resume_flows`] with the online lock held by the caller.
    pub(super) async fn resume_flows_held(
        &self,
        settlement: &impl Settlement,
        now: u64,
    ) -> Result<Vec<FlowReport>, WalletError> {
        let open = self.lock().store.open_flows()?;
        let mut reports = Vec::with_capacity(open.len());
        for flow in open {
            reports.push(self.drive_flow_held(settlement, flow.id, now).await?);
        }
        Ok(reports)
    }

    /// Waits until no sync or other flow operation of this wallet runs, and keeps them out
    /// while the guard lives.
    pub(super) async fn online(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.online.lock().await
    }

    /// Sends the batch of the open flow `id` and applies the answer. Safe to call again after
    /// any failure (the same batch is sent); [`WalletError::Misuse`] if the flow is finished.
    pub async fn drive_flow(&self, settlement: &impl Settlement, id: u64, now: u64) -> Result<FlowReport, WalletError> {
        let _online = self.online.lock().await;
        self.drive_flow_held(settlement, id, now).await
    }

    /// Starts a flow of `kind` over `notes` and drives it, with the online lock held by the
    /// caller (what `refresh_notes`, `deposit` and the defund's split share).
    pub(super) async fn run_flow_held(
        &self,
        kind: FlowKind,
        settlement: &impl Settlement,
        notes: &[NoteId],
        now: u64,
    ) -> Result<FlowReport, WalletError> {
        let id = self.start_flow(kind, notes, now)?;
        self.drive_flow_held(settlement, id, now).await
    }

    /// [`Wallet::drive_flow`] with the online lock held by the caller.
    pub(super) async fn drive_flow_held(
        &self,
        settlement: &impl Settlement,
        id: u64,
        now: u64,
    ) -> Result<FlowReport, WalletError> {
        let (flow, records, batch) = self.flow_batch(id)?;
        let outcome = settlement.settle(&batch).await?;
        self.apply_flow_answer(&flow, &records, outcome, now)
    }

    /// The flow, its records (notes per record) and its batch, with the reported state fixed.
    fn flow_batch(&self, id: u64) -> Result<(Flow, Vec<Vec<HeldNote>>, SyncBatch), WalletError> {
        let mut inner = self.lock();
        let flow = inner.store.flow(id)?.ok_or(WalletError::Misuse { detail: format!("no flow {id}") })?;
        if flow.state != FlowState::Started {
            return Err(WalletError::Misuse { detail: format!("flow {id} is finished") });
        }
        let state = inner.store.sync_state()?;
        let revocation_sequence = inner.store.revocation_list()?.map(|l| l.body().sequence);
        let request = inner.store.fix_flow_request(
            id,
            FlowRequest {
                counter: state.counter,
                log_head: state.log_head,
                log_len: state.log_len,
                revocation_sequence,
            },
        )?;
        let notes = inner.store.flow_notes(id)?;
        drop(inner);
        let records: Vec<Vec<HeldNote>> =
            notes.chunks(flow.kind.notes_per_record()).map(<[HeldNote]>::to_vec).collect();
        let mut batch = SyncBatch::new(request.counter, request.log_head);
        batch.batch_id = flow.batch_id;
        batch.log_len = Some(request.log_len);
        batch.revocation_sequence = request.revocation_sequence;
        for record in &records {
            let chains: Vec<Chain> = record.iter().map(|n| n.chain.clone()).collect();
            // The issuer holds every certificate it issued: send none.
            let omit: HashSet<WalletId> = chains.iter().flat_map(Chain::signers).collect();
            let bundle = Bundle::from_chains(&chains, &[], &omit)?;
            match flow.kind {
                FlowKind::Refresh => batch.refresh.push(bundle),
                FlowKind::Deposit => batch.deposit.push(bundle),
            }
        }
        batch.refresh_amounts = flow.amounts.clone();
        Ok((flow, records, batch))
    }

    fn apply_flow_answer(
        &self,
        flow: &Flow,
        records: &[Vec<HeldNote>],
        outcome: SyncOutcome,
        now: u64,
    ) -> Result<FlowReport, WalletError> {
        if outcome.results.len() != records.len() {
            return Err(invalid_answer(format!("{} results for {} records", outcome.results.len(), records.len())));
        }
        let mut fresh: Vec<Chain> = Vec::new();
        let mut returned: Vec<NoteId> = Vec::new();
        let mut reason: Option<crate::reason::Reason> = None;
        for (record, result) in records.iter().zip(&outcome.results) {
            let total: u64 = record.iter().map(|n| n.amount).sum();
            let kept = match flow.kind {
                FlowKind::Refresh if !result.fresh_notes.is_empty() => {
                    let chains: Vec<Chain> = result.fresh_notes.iter().cloned().map(Chain::genesis).collect();
                    let got: u64 = chains.iter().map(Chain::amount).sum();
                    if got != total {
                        return Err(invalid_answer(format!("refresh of {total} answered with {got}")));
                    }
                    fresh.extend(chains);
                    true
                }
                FlowKind::Refresh if result.reason.is_none() => {
                    // Done at the issuer, but the fresh notes are not in this answer: keeping the
                    // flow open is the only safe choice (the notes are retired there).
                    return Err(invalid_answer("refresh answered without fresh notes"));
                }
                FlowKind::Refresh => false,
                FlowKind::Deposit => {
                    result.credited == total || (result.reason.is_none() && result.status == RecordStatus::Duplicate)
                }
            };
            if !kept {
                returned.extend(record.iter().map(|n| n.id));
                if reason.is_none() {
                    reason = Some(result.reason.unwrap_or(match result.status {
                        RecordStatus::DoubleSpend => crate::reason::Reason::DoubleSpend,
                        _ => crate::reason::Reason::Unknown,
                    }));
                }
            }
        }
        let mut inner = self.lock();
        if !fresh.is_empty() {
            inner.verify_issued(&fresh, self.id, now)?;
        }
        let returned_value: u64 = records.iter().flatten().filter(|n| returned.contains(&n.id)).map(|n| n.amount).sum();
        match flow.kind {
            FlowKind::Refresh => {
                inner.store.finish_refresh(flow.id, &fresh, &returned, reason.map(|r| r.name()), now)?
            }
            FlowKind::Deposit => {
                inner.store.finish_deposit(flow.id, &returned, reason.map(|r| r.name()), now)?;
            }
        }
        drop(inner);
        let account_balance = outcome.balance;
        let update = IssuerUpdate {
            issuer_keys: outcome.issuer_keys,
            rotations: outcome.key_rotations,
            policy: Some(outcome.policy),
            revocations: outcome.revocations.map(|r| r.list),
        };
        let refused = self.apply_issuer_update(&update, now)?;
        self.lock().push_event(super::WalletEvent::FlowFinished {
            kind: flow.kind,
            done: flow.amount - returned_value,
            returned: returned_value,
        });
        if let Some(r) = &reason {
            tracing::warn!(target: "offline_cash::wallet", flow = flow.id, returned = returned_value, "flow partly refused: {r}");
        }
        Ok(FlowReport {
            fresh: fresh.iter().map(|c| c.head).collect(),
            account_balance,
            id: flow.id,
            kind: flow.kind,
            done: flow.amount - returned_value,
            returned: returned_value,
            reason,
            refused,
        })
    }
}

/// An issuer answer that is not what the protocol promises (results that do not match the
/// records, a refresh without its notes): the flow stays open and is resent unchanged, which the
/// issuer answers once; retrying may succeed.
pub(crate) fn invalid_answer(detail: impl Into<String>) -> WalletError {
    WalletError::Network { retryable: true, detail: format!("invalid issuer answer: {}", detail.into()) }
}
