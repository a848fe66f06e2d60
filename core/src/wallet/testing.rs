//! Test support for wallets: provision in-memory wallets against a toy issuer.

use std::sync::Arc;

use crate::crypto::{Signer, SoftwareSigner, Suite};
use crate::store::{KeyLocation, Store};
use crate::testkit::TestIssuer;
use crate::token::Chain;

use super::{SeededEntropy, Wallet, WalletConfig, WalletError};

/// An in-memory wallet of `suite`, certified by `issuer`, with its policy installed.
/// `seed` makes its nonces reproducible.
pub fn provisioned(issuer: &TestIssuer, suite: Suite, seed: u8) -> Result<Wallet, WalletError> {
    let signer = SoftwareSigner::generate(suite).map_err(WalletError::Signer)?;
    provisioned_with(issuer, signer, seed)
}

/// As [`provisioned`], with a given key (reproducible wallets for fuzz targets and corpora).
pub fn provisioned_with(issuer: &TestIssuer, signer: SoftwareSigner, seed: u8) -> Result<Wallet, WalletError> {
    let cert = issuer.certify(&signer).map_err(WalletError::Signer)?;
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

/// Funds `wallet` with fresh notes of `amounts` from `issuer`.
pub fn fund(issuer: &TestIssuer, wallet: &Wallet, amounts: &[u64], now: u64) -> Result<u64, WalletError> {
    let chains = amounts
        .iter()
        .map(|a| issuer.issue(wallet.id(), *a).map(Chain::genesis))
        .collect::<Result<Vec<_>, _>>()
        .map_err(WalletError::Signer)?;
    wallet.deposit_issued(&chains, now)
}
