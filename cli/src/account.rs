//! Account-level commands that need no wallet file: reporting a lost phone (the account
//! holder, with the account credential) and lifting an account's revocation (an administrator).

use offline_cash_core::sync::SyncClient;
use offline_cash_core::token::WalletId;

use crate::CliError;

/// Reports wallet `wallet_hex` of the account of `credential` lost at `issuer` and says what
/// happens next.
pub async fn report_lost(issuer: &str, credential: &str, wallet_hex: &str) -> Result<(), CliError> {
    let wallet = offline_cash_core::sync::auth::parse_hex::<32>(&wallet_hex.trim().to_ascii_lowercase())
        .map(WalletId)
        .ok_or_else(|| CliError::input("--wallet must be the 64 hex digits of a wallet id"))?;
    let out = SyncClient::report_lost(issuer, credential, &wallet).await?;
    println!(
        "wallet {} is revoked (reported at {}): payees that sync refuse it from now on.",
        out.wallet, out.reported_at
    );
    println!(
        "{} it holds, as far as the issuer knows, returns to the account from {} (Unix time: the end of its \
         last certificate plus the settlement window); value it received offline returns once its payers sync.",
        out.held_known, out.returns_at
    );
    println!(
        "What it paid before the report stays paid (its payees are honoured even if they settle late). \
         Register a new wallet on this account and fund it once the value is back."
    );
    Ok(())
}

/// Lifts the revocation of account `customer_ref` (administrator).
pub async fn reinstate(issuer: &str, admin_token: &str, customer_ref: &str) -> Result<(), CliError> {
    let was = SyncClient::reinstate_account(issuer, admin_token, customer_ref).await?;
    println!("account {customer_ref} {}", if was { "reinstated" } else { "was not revoked" });
    Ok(())
}
