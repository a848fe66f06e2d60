//! Read access to the double-spend proofs the settlement stored (for audits, the CLI demo and
//! the simulator). A proof is the two links one wallet signed over the same parent note: the
//! one settled first (absent when the note had been deposited or refreshed instead) and the
//! conflicting one. Anyone can check it with the signer's public key; this module only reads.

use offline_cash_core::token::{NoteId, SpendLink, WalletId};

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
    /// When it was detected (Unix seconds).
    pub at: u64,
}

type Row = (Vec<u8>, Vec<u8>, Option<Vec<u8>>, Vec<u8>, i64, i64);

fn id32(bytes: &[u8], what: &str) -> Result<[u8; 32], IssuerError> {
    <[u8; 32]>::try_from(bytes).map_err(|_| IssuerError::Internal { what: format!("bad {what} in double_spends") })
}

fn link(bytes: &[u8]) -> Result<SpendLink, IssuerError> {
    SpendLink::from_bytes(bytes)
        .map_err(|e| IssuerError::Internal { what: format!("stored link does not decode: {e}") })
}

impl Issuer {
    /// Every double spend detected so far, oldest first.
    pub fn double_spend_proofs(&self) -> Result<Vec<DoubleSpendProof>, IssuerError> {
        let rows: Vec<Row> = {
            let conn = self.db.lock();
            let mut stmt = conn.prepare(
                "SELECT parent, signer, accepted_bytes, conflicting_bytes, guaranteed, at FROM double_spends ORDER BY id",
            )?;
            let rows =
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        rows.into_iter()
            .map(|(parent, signer, accepted, conflicting, guaranteed, at)| {
                Ok(DoubleSpendProof {
                    parent: NoteId(id32(&parent, "parent")?),
                    signer: WalletId(id32(&signer, "signer")?),
                    accepted: accepted.as_deref().map(link).transpose()?,
                    conflicting: link(&conflicting)?,
                    guaranteed: u64::try_from(guaranteed).unwrap_or(0),
                    at: u64::try_from(at).unwrap_or(0),
                })
            })
            .collect()
    }
}
