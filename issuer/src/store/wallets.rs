//! The wallets aggregate: registered wallets (key, account, latest certificate), every
//! certificate issued to them, and what each last reported at sync (counter, log head and
//! length) to detect a rolled-back wallet.

use super::Tx;
use crate::{IssuerError, args};

/// A wallet as registered (or renewed): one row of `wallets`. A new column is one more field
/// here and in [`Wallets::put_wallet`].
#[derive(Clone, Copy, Debug)]
pub struct NewWallet<'a> {
    pub id: &'a [u8],
    pub account: i64,
    pub public_key: &'a [u8],
    pub suite: i64,
    pub certificate: &'a [u8],
    /// The tier the certificate carries (`Tier::code`), recorded so a renewal keeps it.
    pub tier: i64,
}

/// A registered wallet's account, public key and suite id.
pub type WalletKey = (i64, Vec<u8>, i64);

/// What a wallet last reported at sync: counter, log head, log length.
pub type SyncState = (Option<i64>, Option<Vec<u8>>, Option<i64>);

/// The wallet operations, on any backend.
pub trait Wallets: Tx {
    /// Registers `w`, or renews its certificate (the account and key stay those registered
    /// first), and keeps the certificate in the history.
    fn put_wallet(&mut self, w: &NewWallet<'_>) -> Result<(), IssuerError> {
        self.exec(
            "INSERT INTO wallets (id, account, public_key, suite, certificate, tier) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET certificate = excluded.certificate, tier = excluded.tier",
            args![w.id, w.account, w.public_key, w.suite, w.certificate, w.tier],
        )?;
        self.exec(
            "INSERT INTO certificates (wallet, certificate) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            args![w.id, w.certificate],
        )?;
        Ok(())
    }

    /// The tier recorded for wallet `id` (`Tier::code`), if it is registered.
    fn wallet_tier(&mut self, id: &[u8]) -> Result<Option<i64>, IssuerError> {
        self.query_opt("SELECT tier FROM wallets WHERE id = $1", args![id])?.map(|r| r.int(0)).transpose()
    }

    /// The account of wallet `id`, if it is registered.
    fn wallet_account(&mut self, id: &[u8]) -> Result<Option<i64>, IssuerError> {
        self.query_opt("SELECT account FROM wallets WHERE id = $1", args![id])?.map(|r| r.int(0)).transpose()
    }

    /// The account, public key and suite of wallet `id`, if it is registered.
    fn wallet_key(&mut self, id: &[u8]) -> Result<Option<WalletKey>, IssuerError> {
        self.query_opt("SELECT account, public_key, suite FROM wallets WHERE id = $1", args![id])?
            .map(|r| Ok((r.int(0)?, r.bytes(1)?, r.int(2)?)))
            .transpose()
    }

    /// The latest certificate of wallet `id`, if it is registered.
    fn wallet_certificate(&mut self, id: &[u8]) -> Result<Option<Vec<u8>>, IssuerError> {
        self.query_opt("SELECT certificate FROM wallets WHERE id = $1", args![id])?.map(|r| r.bytes(0)).transpose()
    }

    /// Every certificate ever issued.
    fn all_certificates(&mut self) -> Result<Vec<Vec<u8>>, IssuerError> {
        self.query("SELECT certificate FROM certificates", args![])?.iter().map(|r| r.bytes(0)).collect()
    }

    /// Every certificate issued to wallet `id`.
    fn certificates_of(&mut self, id: &[u8]) -> Result<Vec<Vec<u8>>, IssuerError> {
        self.query("SELECT certificate FROM certificates WHERE wallet = $1", args![id])?
            .iter()
            .map(|r| r.bytes(0))
            .collect()
    }

    /// What wallet `id` last reported at sync (all `None` before its first sync).
    fn sync_state(&mut self, id: &[u8]) -> Result<SyncState, IssuerError> {
        let r = self.query_one("SELECT last_counter, last_head, last_len FROM wallets WHERE id = $1", args![id])?;
        Ok((r.opt_int(0)?, r.opt_bytes(1)?, r.opt_int(2)?))
    }

    /// The counter at which wallet `id` first reported log head `head`, if it did.
    fn head_counter(&mut self, id: &[u8], head: &[u8]) -> Result<Option<i64>, IssuerError> {
        self.query_opt("SELECT counter FROM wallet_heads WHERE wallet = $1 AND head = $2", args![id, head])?
            .map(|r| r.int(0))
            .transpose()
    }

    /// Records a sync report of wallet `id` that went forward.
    fn advance(&mut self, id: &[u8], counter: i64, head: &[u8], len: Option<i64>) -> Result<(), IssuerError> {
        self.exec(
            "UPDATE wallets SET last_counter = $1, last_head = $2, last_len = COALESCE($3, last_len) WHERE id = $4",
            args![counter, head, len, id],
        )?;
        self.exec(
            "INSERT INTO wallet_heads (wallet, head, counter) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            args![id, head, counter],
        )?;
        Ok(())
    }

    /// Flags wallet `id` as rolled back.
    fn mark_rolled_back(&mut self, id: &[u8]) -> Result<(), IssuerError> {
        self.exec("UPDATE wallets SET rolled_back = 1 WHERE id = $1", args![id])?;
        Ok(())
    }
}

impl<T: Tx + ?Sized> Wallets for T {}
