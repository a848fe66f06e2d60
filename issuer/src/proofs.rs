//! Read access to the evidence the settlement stored (for audits, the CLI demo and the
//! simulator). A double-spend proof is the two links one wallet signed over the same parent
//! note: the one settled first (absent when the note had been deposited or refreshed instead)
//! and the conflicting one. A rollback proof is two links one wallet signed with the same
//! spend counter. Anyone can check either with the signer's public key; this module only reads.

use offline_cash_core::token::{NoteId, SpendLink, WalletId};

use crate::store::{DoubleSpends as _, Store as _};
use crate::{Issuer, IssuerError};

/// One stored double spend.
#[derive(Debug, Clone)]
pub struct DoubleSpendProof {
    /// The note spent twice.
    pub parent: NoteId,
    /// The wallet that signed both links (revoked).
    pub signer: WalletId,
    /// The link settled first, if the note was spent by a link (not deposited or refreshed).
    pub accepted: Option<SpendLink>,
    /// The link that conflicts with it.
    pub conflicting: SpendLink,
    /// Value the issuer guaranteed to the conflicting link's payees.
    pub guaranteed: u64,
    /// The part of `guaranteed` the signer's account paid back (the rest is the issuer's loss).
    pub recovered: u64,
    /// When it was detected (Unix seconds).
    pub at: u64,
}

/// Two links one wallet signed with the same spend counter: it signed again from an earlier
/// state (a restored backup).
#[derive(Debug, Clone)]
pub struct CounterReuseProof {
    /// The wallet that signed both (flagged as rolled back).
    pub wallet: WalletId,
    /// The spend counter both carry.
    pub counter: u64,
    /// The link recorded first.
    pub first: SpendLink,
    /// The later link with the same counter.
    pub second: SpendLink,
    /// When it was detected (Unix seconds).
    pub at: u64,
}

fn id32(bytes: &[u8], what: &str) -> Result<[u8; 32], IssuerError> {
    <[u8; 32]>::try_from(bytes).map_err(|_| IssuerError::Internal { what: format!("bad {what} in a stored proof") })
}

fn link(bytes: &[u8]) -> Result<SpendLink, IssuerError> {
    SpendLink::from_bytes(bytes)
        .map_err(|e| IssuerError::Internal { what: format!("stored link does not decode: {e}") })
}

impl Issuer {
    /// Every double spend detected so far, oldest first.
    pub fn double_spend_proofs(&self) -> Result<Vec<DoubleSpendProof>, IssuerError> {
        let rows = self.store.write(|tx| tx.double_spend_rows())?;
        rows.into_iter()
            .map(|(parent, signer, accepted, conflicting, guaranteed, at, recovered)| {
                Ok(DoubleSpendProof {
                    parent: NoteId(id32(&parent, "parent")?),
                    signer: WalletId(id32(&signer, "signer")?),
                    accepted: accepted.as_deref().map(link).transpose()?,
                    conflicting: link(&conflicting)?,
                    guaranteed: u64::try_from(guaranteed).unwrap_or(0),
                    recovered: u64::try_from(recovered).unwrap_or(0),
                    at: u64::try_from(at).unwrap_or(0),
                })
            })
            .collect()
    }

    /// Every reused spend counter detected so far (evidence of rolled-back wallets), oldest first.
    pub fn counter_reuse_proofs(&self) -> Result<Vec<CounterReuseProof>, IssuerError> {
        let rows = self.store.write(|tx| tx.counter_reuse_rows())?;
        rows.into_iter()
            .map(|(wallet, counter, first, second, at)| {
                Ok(CounterReuseProof {
                    wallet: WalletId(id32(&wallet, "wallet")?),
                    counter: u64::try_from(counter).unwrap_or(0),
                    first: link(&first)?,
                    second: link(&second)?,
                    at: u64::try_from(at).unwrap_or(0),
                })
            })
            .collect()
    }
}
