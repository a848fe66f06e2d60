//! Repatriation: the wallet's outbox goes home to the issuer in batches, and the issuer's
//! answers (results, revocations, policy, keys) come back into the store. What an answer says
//! about trust goes through [`Wallet::apply_issuer_update`]: keys only by a verified rotation,
//! policy and revocations only under trusted keys and only forward; what it refuses is listed
//! in [`SyncReport::refused`].
//!
//! ```text
//!  outbox (links signed, notes received) ──► bundles (chains, no certificates: the issuer
//!  holds them) ──► SyncClient::sync_batch ──► results ──► record_settlement, complete the
//!  pending spends the issuer recorded, apply rotations / policy / revocations, mark synced
//!  ──► automatic refresh (see [`super::refresh`])
//!  ──► renew the certificate if it is near its end (see [`super::renewal`])
//!  (before all of it: resume the flows left open)
//! ```
//! Every outbox record is uploaded as `spent`: it tells the issuer about links (settling
//! payers' pending spends, exposing double spends) without moving the wallet's offline value.
//! Refreshing and depositing notes are persisted flows of their own ([`super::flow`]): a sync
//! resumes any left open before it uploads the outbox, and refreshes the notes due under the
//! policy's rules after it ([`super::refresh`]). The store lock is never held across an
//! `await`.

use std::collections::HashSet;

use crate::store::{OutboxKind, OutboxRecord, SettlementResult, decode_chain};
use crate::sync::{RecordStatus, SyncBatch, SyncClient, SyncError};
use crate::token::{Bundle, Chain, SpendLink, WalletId};

use super::{IssuerUpdate, Refused};

use super::{Wallet, WalletError};

/// Most outbox records per batch.
pub const BATCH_RECORDS: u32 = 256;

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Batches sent.
    pub batches: u32,
    /// Records the issuer recorded now.
    pub accepted: u32,
    /// Records it already had.
    pub duplicates: u32,
    /// Records that exposed a double spend.
    pub double_spends: u32,
    /// Records it refused.
    pub rejected: u32,
    /// Pending payments now settled by the issuer.
    pub settled_pending: u32,
    /// Wallets on the revocation list after the sync.
    pub revoked: usize,
    /// The issuer saw this wallet roll back (a restored old database).
    pub rollback_detected: bool,
    /// Items of the issuer's answers the wallet refused and did not install (an untrusted key,
    /// a forged rotation, a policy or revocation list not signed by a trusted key, or older
    /// than the installed one). Not empty means the answer was altered on the way or the
    /// issuer misbehaves; the records' results were still applied.
    pub refused: Vec<Refused>,
    /// Whether the certificate was renewed (it was near its end; see [`super::renewal`]).
    pub renewal: super::renewal::Renewal,
    /// The refresh and deposit flows finished by this sync: those left open before (resumed
    /// first), then the automatic refresh (see [`super::refresh`]).
    pub flows: Vec<super::flow::FlowReport>,
    /// Value of notes expired past the refresh window, retired by this sync: the issuer
    /// returns it to the account (see [`Wallet::retire_expired`]).
    pub expired_returned: u64,
}

impl From<SyncError> for WalletError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Refused { status, reason, message } => {
                WalletError::IssuerRefused { status, reason, detail: message }
            }
            SyncError::Misuse { what } => WalletError::Misuse { detail: what },
            SyncError::Signing(c) => WalletError::Signer(c),
            other => WalletError::Network { retryable: other.is_transient(), detail: other.to_string() },
        }
    }
}

impl Wallet {
    /// Registers this wallet with the issuer (the client's account), installing the issuer's
    /// keys, the certificate and the policy it returns.
    ///
    /// A wallet that trusts no issuer key yet pins the keys of this first answer: trust on
    /// first use, the provisioning moment (docs/THREAT_MODEL.md; an app that pinned keys out
    /// of band with [`Wallet::install_issuer_keys`] skips it). A wallet that already trusts
    /// keys takes new ones only through the answer's verified rotations.
    pub async fn register(&self, client: &SyncClient) -> Result<(), WalletError> {
        self.register_attested(client, None).await
    }

    /// As [`Wallet::register`], sending key attestation evidence: the certificate installed
    /// carries the tier the issuer verified (see [`crate::sync::attestation`]).
    pub async fn register_attested(
        &self,
        client: &SyncClient,
        attestation: Option<&crate::sync::Attestation>,
    ) -> Result<(), WalletError> {
        let trust = client.issuer_trust().await?;
        if self.lock().trust.keys().next().is_none() {
            self.install_issuer_keys(&trust.keys)?;
        }
        // Registration is online: the time is the client's (the one its signed requests carry);
        // it only bounds how far ahead a rotation may be dated.
        let now = client.now();
        let update = IssuerUpdate { issuer_keys: trust.keys, rotations: trust.rotations, ..IssuerUpdate::default() };
        self.apply_issuer_update(&update, now)?;
        let registered = client.register_attested(attestation).await?;
        self.install_certificate(registered.certificate)?;
        self.install_policy(&registered.policy)?;
        Ok(())
    }

    /// Moves `amounts` from the online account into notes held by this wallet (online only).
    /// Funding that would take the wallet over its holding limit is refused here, before the
    /// issuer debits the account (the issuer checks it too, against the notes it knows the
    /// wallet holds).
    pub async fn fund(&self, client: &SyncClient, amounts: &[u64], now: u64) -> Result<u64, WalletError> {
        let total = amounts
            .iter()
            .try_fold(0u64, |sum, a| sum.checked_add(*a))
            .ok_or(WalletError::Misuse { detail: "the amounts' total overflows".into() })?;
        let request_id = {
            let mut inner = self.lock();
            inner.check_holding(total)?;
            inner.random::<16>()
        };
        let (notes, _) = client.fund(request_id, amounts).await?;
        let chains: Vec<Chain> = notes.into_iter().map(Chain::genesis).collect();
        self.deposit_issued(&chains, now)
    }

    /// Uploads the whole outbox in batches and applies the answers.
    pub async fn sync(&self, client: &SyncClient, now: u64) -> Result<SyncReport, WalletError> {
        // A store whose counters or log do not add up uploads nothing: what it would send (and
        // what the issuer would answer into it) cannot be trusted to be the wallet's history.
        self.check()?;
        // One sync or flow at a time (see `Wallet::online`).
        let _online = self.online().await;
        // Open flows first: their batches report the state fixed when they were first sent,
        // which must not be older than anything the issuer has seen since.
        let mut report = SyncReport { flows: self.resume_flows_held(client, now).await?, ..SyncReport::default() };
        loop {
            let (batch, records) = self.next_batch()?;
            if records.is_empty() && report.batches > 0 {
                break;
            }
            let outcome = client.sync_batch(&batch).await?;
            report.batches += 1;
            report.rollback_detected |= outcome.rollback_detected;
            let mut results = Vec::with_capacity(records.len());
            let mut to_complete = Vec::new();
            for (record, result) in records.iter().zip(&outcome.results) {
                let status = match result.status {
                    RecordStatus::Accepted => {
                        report.accepted += 1;
                        "accepted"
                    }
                    RecordStatus::Duplicate => {
                        report.duplicates += 1;
                        "duplicate"
                    }
                    RecordStatus::DoubleSpend => {
                        report.double_spends += 1;
                        "double_spend"
                    }
                    _ => {
                        report.rejected += 1;
                        "rejected"
                    }
                };
                // A link of ours that reached the issuer is final whatever its record's status:
                // recorded, already recorded, or in a chain with a double spend (an ancestor's
                // signer cheated; ours is recorded after it, or, if ours conflicts, the parent
                // went to the first link). Either way the value has left, so the pending spend
                // settles; before, a payment downstream of a cheater stayed pending forever.
                if record.kind == OutboxKind::Link && matches!(status, "accepted" | "duplicate" | "double_spend") {
                    to_complete.push(record.record.as_slice());
                }
                let detail = result.reason.map_or("", |r| r.name()).as_bytes().to_vec();
                results.push(SettlementResult { outbox_id: record.id, status: status.into(), detail });
            }
            {
                let mut inner = self.lock();
                inner.store.record_settlement(&results, now)?;
                report.settled_pending += complete_recorded(&mut inner.store, &to_complete, now)?;
            }
            let update = IssuerUpdate {
                issuer_keys: outcome.issuer_keys,
                rotations: outcome.key_rotations,
                policy: Some(outcome.policy),
                revocations: outcome.revocations.map(|r| r.list),
            };
            for refused in self.apply_issuer_update(&update, now)? {
                if !report.refused.contains(&refused) {
                    report.refused.push(refused);
                }
            }
            if records.is_empty() {
                break;
            }
        }
        {
            let mut inner = self.lock();
            inner.store.mark_synced(now)?;
            report.revoked = inner.store.revocation_list()?.map_or(0, |l| l.body().revoked.len());
        }
        // With the revocations and policy of this sync installed: the automatic refresh.
        if let Some(flow) = self.refresh_held(client, now).await? {
            report.flows.push(flow);
        }
        // What expired too long ago for a refresh is the issuer's to return to the account.
        report.expired_returned = self.retire_expired(now)?;
        // Near its end, the certificate is renewed here: "sync first" is what renews it.
        report.renewal = self.renew_certificate_if_due(client, now).await?;
        Ok(report)
    }

    /// The next batch from the outbox (empty if nothing is left: a sync still fetches
    /// revocations, policy and keys with one empty batch).
    fn next_batch(&self) -> Result<(SyncBatch, Vec<OutboxRecord>), WalletError> {
        let mut inner = self.lock();
        let records = inner.store.outbox(BATCH_RECORDS)?;
        let state = inner.store.sync_state()?;
        let mut batch = SyncBatch::new(state.counter, state.log_head);
        batch.log_len = Some(state.log_len);
        batch.batch_id = inner.random::<16>();
        batch.revocation_sequence = inner.store.revocation_list()?.map(|l| l.body().sequence);
        for record in &records {
            let chain = match record.kind {
                OutboxKind::Link => {
                    let link = SpendLink::from_bytes(&record.record).map_err(|e| WalletError::Storage(e.into()))?;
                    let parent = inner.store.note_chain(&link.body().parent)?.ok_or(WalletError::Misuse {
                        detail: "outbox link spends a note the wallet never held".into(),
                    })?;
                    parent.extended(link, 0)
                }
                OutboxKind::ReceivedNote => decode_chain(&record.record)?,
            };
            // The issuer holds every certificate it issued: send none.
            let omit: HashSet<WalletId> = chain.signers().into_iter().collect();
            batch.spent.push(Bundle::from_chains(&[chain], &[], &omit)?);
        }
        Ok((batch, records))
    }
}

/// Completes the pending spends whose links the issuer has recorded: the payee holds the
/// value (or will be credited it), so the payer's pending amount is settled.
fn complete_recorded(store: &mut crate::store::Store, links: &[&[u8]], now: u64) -> Result<u32, WalletError> {
    let mut settled = 0;
    for bytes in links {
        let link = SpendLink::from_bytes(bytes).map_err(|e| WalletError::Storage(e.into()))?;
        if let Some(hash) = store.spend_of_note(&link.body().parent)? {
            if store.complete_spend(&hash, b"settled by issuer", now)? == crate::store::Completed::Now {
                settled += 1;
            }
        }
    }
    Ok(settled)
}
