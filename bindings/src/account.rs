//! Account-level calls that need no wallet: reporting a lost or broken phone from another
//! device (wraps `SyncClient::report_lost`).

use offline_cash_core::sync::SyncClient;
use offline_cash_core::token::WalletId;
use offline_cash_core::wallet::WalletError;

use crate::OfflineCashError;

/// The issuer's answer to a lost-phone report.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LostWallet {
    /// The wallet (hex id).
    pub wallet_id: String,
    /// When it was first reported (Unix seconds; a repeated report answers the first).
    pub reported_at: u64,
    /// From when what it still holds is back in the account (Unix seconds): the end of its
    /// last certificate plus the time payees have to settle. Show it to the user.
    pub returns_at: u64,
    /// What the issuer knows it holds now; value it received offline returns once its payers
    /// sync. What it paid before the report stays paid.
    pub held_known: u64,
}

/// Reports the wallet `wallet_id` (hex, `Wallet.id()`) of the account whose `credential` this
/// is lost or broken, from any device (online): the issuer revokes it at once and returns
/// what it holds to the account after its offline window; fund a new wallet then.
#[uniffi::export(async_runtime = "tokio")]
pub async fn report_lost(
    issuer_url: String,
    credential: String,
    wallet_id: String,
) -> Result<LostWallet, OfflineCashError> {
    let id = offline_cash_core::sync::auth::parse_hex::<32>(&wallet_id.trim().to_ascii_lowercase())
        .map(WalletId)
        .ok_or_else(|| OfflineCashError::Misuse { detail: "wallet_id must be 64 hex digits".into() })?;
    let out = SyncClient::report_lost(&issuer_url, &credential, &id).await.map_err(WalletError::from)?;
    Ok(LostWallet {
        wallet_id: out.wallet,
        reported_at: out.reported_at,
        returns_at: out.returns_at,
        held_known: out.held_known,
    })
}
