//! A signed request's nonce, checked and not yet stored (crate::issuer, `authenticate` and
//! `authenticate_deferred`): stored once, by the transaction that acts on the request.
//!
//! ```text
//!  authenticate:          write tx: account, key, signature ─► spend ─► the request's own tx
//!  authenticate_deferred: read snapshot: account, key, signature, nonce unseen
//!                         ─► the request's own tx: spend (refused if stored meanwhile) ─► …
//! ```

use offline_cash_core::token::WalletId;

use crate::IssuerError;
use crate::store::{Nonces as _, Tx};
use offline_cash_core::crypto::Signature;

/// A request checked up to its nonce: what the signature covers, and the nonce to store.
pub(crate) struct CheckedRequest {
    pub digest: [u8; 32],
    pub credential_hash: [u8; 32],
    pub signature: Signature,
    pub nonce: NonceUse,
}

/// The nonce of an authenticated request, to be stored by [`NonceUse::spend`].
#[derive(Debug, Clone)]
pub struct NonceUse {
    pub(crate) wallet: WalletId,
    pub(crate) nonce: [u8; 16],
    /// The request's timestamp.
    pub(crate) ts: i64,
    /// Nonces stamped before this can never be replayed (the timestamp check refuses them).
    pub(crate) horizon: i64,
}

impl NonceUse {
    /// Stores the nonce in `tx`: a nonce stored before (a replay, or the same request
    /// authenticated twice at once) is refused, and the transaction must not commit.
    pub(crate) fn spend(&self, tx: &mut dyn Tx) -> Result<(), IssuerError> {
        if !tx.use_nonce(&self.wallet.0, &self.nonce, self.ts)? {
            return Err(IssuerError::ReplayedNonce);
        }
        Ok(())
    }

    /// Whether this request sweeps the expired nonces ([`NonceUse::sweep`]): one request in
    /// 16. Every request deleting would make every two concurrent requests conflict on a
    /// serializable database.
    pub(crate) fn sweeps(&self) -> bool {
        self.nonce[0] & 0x0f == 0
    }

    /// Forgets the nonces that can never be replayed. In a transaction of its own for a batch
    /// (crate::settle): the range it deletes would otherwise be read for the whole batch's
    /// transaction, and on PostgreSQL every nonce another node stores meanwhile would be a
    /// serialization conflict with it.
    pub(crate) fn sweep(&self, tx: &mut dyn Tx) -> Result<(), IssuerError> {
        tx.forget_nonces_before(self.horizon).map(|_| ())
    }
}
