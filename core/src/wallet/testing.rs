//! Test support for wallets: provision in-memory wallets against a toy issuer.

use std::sync::Arc;

use crate::crypto::{Signer, SoftwareSigner, Suite};
use crate::nfc::FieldError;
use crate::store::{KeyLocation, Store};
use crate::testkit::TestIssuer;
use crate::token::Chain;

use super::tap::{TapConfig, tap};
use super::{SeededEntropy, Wallet, WalletConfig, WalletError};

/// An in-memory wallet of `suite`, certified by `issuer`, with its policy installed.
/// `seed` makes its nonces reproducible.
pub fn provisioned(issuer: &TestIssuer, suite: Suite, seed: u8) -> Result<Wallet, WalletError> {
    let signer = SoftwareSigner::generate(suite).map_err(WalletError::Signer)?;
    provisioned_with(issuer, signer, seed)
}

/// As [`provisioned`], with a given key (reproducible wallets for fuzz targets and corpora).
pub fn provisioned_with(issuer: &TestIssuer, signer: SoftwareSigner, seed: u8) -> Result<Wallet, WalletError> {
    provisioned_at_tier(issuer, signer, seed, crate::token::Tier::Software)
}

/// As [`provisioned_with`], certified at `tier` (30 days from a day before the issuer's `t0`).
pub fn provisioned_at_tier(
    issuer: &TestIssuer,
    signer: SoftwareSigner,
    seed: u8,
    tier: crate::token::Tier,
) -> Result<Wallet, WalletError> {
    let cert = issuer
        .certify_tier(&signer, issuer.t0.saturating_sub(86_400), issuer.t0.saturating_add(30 * 86_400), tier)
        .map_err(WalletError::Signer)?;
    let wallet = Wallet::from_store(
        Store::open_in_memory()?,
        Arc::new(signer) as Arc<dyn Signer>,
        KeyLocation::Hardware("test".into()),
        Box::new(SeededEntropy::new([seed; 32])),
        WalletConfig::default(),
    )?;
    wallet.install_issuer_keys(std::slice::from_ref(&issuer.key))?;
    wallet.install_certificate(cert)?;
    wallet.install_policy(&issuer.policy)?;
    Ok(wallet)
}

/// A wallet of `signer`'s key in the database at `path` (created if absent), certified by
/// `issuer` with its policy installed: reopen it with the same signer to see what persisted.
pub fn provisioned_on_disk(
    issuer: &TestIssuer,
    signer: Arc<dyn Signer>,
    path: &std::path::Path,
    seed: u8,
) -> Result<Wallet, WalletError> {
    let wallet = Wallet::open(
        path,
        signer.clone(),
        KeyLocation::Hardware("test".into()),
        Box::new(SeededEntropy::new([seed; 32])),
        WalletConfig::default(),
    )?;
    if wallet.with_store(|s| s.certificate())?.is_none() {
        let cert = issuer.certify(signer.as_ref()).map_err(WalletError::Signer)?;
        wallet.install_issuer_keys(std::slice::from_ref(&issuer.key))?;
        wallet.install_certificate(cert)?;
        wallet.install_policy(&issuer.policy)?;
    }
    Ok(wallet)
}

/// Funds `wallet` with fresh notes of `amounts` from `issuer`.
pub fn fund(issuer: &TestIssuer, wallet: &Wallet, amounts: &[u64], now: u64) -> Result<u64, WalletError> {
    let chains = amounts
        .iter()
        .map(|a| issuer.issue(wallet.id(), *a).map(Chain::genesis))
        .collect::<Result<Vec<_>, _>>()
        .map_err(WalletError::Signer)?;
    wallet.deposit_issued(&chains, now)
}

/// Why [`payer_at_depth`] could not build its wallets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// A wallet operation failed.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// The simulated field failed.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A tap that moves the note along the chain did not complete.
    #[error("setup tap {hop} did not complete: {reason}")]
    Incomplete {
        /// Which hop (1-based).
        hop: usize,
        /// The error either side reported.
        reason: String,
    },
}

/// A payer holding one note of `amount` whose chain is `depth - 1` links deep (the note went
/// through `depth - 1` other wallets first, by extended-APDU taps at `now`), and a fresh payee,
/// both certified by `issuer`: the setup of the tap benchmarks. `seed` makes nonces reproducible.
pub fn payer_at_depth(
    issuer: &TestIssuer,
    suite: Suite,
    depth: usize,
    amount: u64,
    seed: u8,
    now: u64,
) -> Result<(Wallet, Wallet), SetupError> {
    let mut payer = provisioned(issuer, suite, seed)?;
    fund(issuer, &payer, &[amount], now)?;
    for hop in 1..depth.max(1) {
        let next = provisioned(issuer, suite, seed.wrapping_add(hop as u8))?;
        let report = tap(payer.pay(), next.request_payment(amount, now)?, TapConfig::payee_is_card(true), now)?;
        if !report.payer_complete {
            return Err(SetupError::Incomplete { hop, reason: format!("{:?}", report.error()) });
        }
        payer = next;
    }
    let payee = provisioned(issuer, suite, seed.wrapping_add(200))?;
    Ok((payer, payee))
}
