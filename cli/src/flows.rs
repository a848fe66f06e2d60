//! `wallet refresh | deposit | defund | pending`: the persisted flows of the core
//! (`offline_cash_core::wallet::flow`) from the command line. Each prints what it did; a flow
//! interrupted here finishes at the next `wallet sync` (or the next of these commands).

use std::path::Path;

use offline_cash_core::wallet::flow::FlowReport;

use crate::files::{client, open};
use crate::{CliError, unix_now};

fn print(what: &str, r: &FlowReport) {
    print!("{what}: {} done, {} returned", r.done, r.returned);
    match &r.reason {
        Some(reason) => println!(" (issuer: {reason}); account balance {}", r.account_balance),
        None => println!("; account balance {}", r.account_balance),
    }
}

/// Refreshes the notes due (`all`: every note) into fresh depth-0 notes.
pub async fn refresh(dir: &Path, all: bool) -> Result<Option<FlowReport>, CliError> {
    let wallet = open(dir)?;
    let client = client(dir, &wallet)?;
    let now = unix_now();
    for r in wallet.resume_flows(&client, now).await? {
        print("resumed", &r);
    }
    let report = if all { wallet.refresh_all(&client, now).await? } else { wallet.refresh(&client, now).await? };
    match &report {
        Some(r) => print("refreshed", r),
        None => println!("nothing to refresh"),
    }
    Ok(report)
}

/// Deposits every note to the online account.
pub async fn deposit(dir: &Path) -> Result<Option<FlowReport>, CliError> {
    let wallet = open(dir)?;
    let client = client(dir, &wallet)?;
    let now = unix_now();
    for r in wallet.resume_flows(&client, now).await? {
        print("resumed", &r);
    }
    let report = wallet.deposit_all(&client, now).await?;
    match &report {
        Some(r) => print("deposited", r),
        None => println!("nothing to deposit"),
    }
    Ok(report)
}

/// Moves `amount` to the online account.
pub async fn defund(dir: &Path, amount: u64) -> Result<FlowReport, CliError> {
    let wallet = open(dir)?;
    let client = client(dir, &wallet)?;
    let now = unix_now();
    for r in wallet.resume_flows(&client, now).await? {
        print("resumed", &r);
    }
    let r = wallet.defund(&client, amount, now).await?;
    print("defunded", &r);
    Ok(r)
}

/// Lists what is on its way: payments awaiting a receipt, open refreshes and deposits.
pub fn pending(dir: &Path) -> Result<(), CliError> {
    let wallet = open(dir)?;
    let spends = wallet.pending_payments()?;
    let flows = wallet.with_store(|s| s.open_flows())?;
    if spends.is_empty() && flows.is_empty() {
        println!("nothing pending");
    }
    for s in spends {
        println!(
            "payment {} to {}: {} awaiting the receipt",
            hex::encode(&s.payment_hash[..8]),
            s.payee.short(),
            s.amount
        );
    }
    for f in flows {
        println!("{:?} flow {}: {} awaiting the issuer (finishes at the next sync)", f.kind, f.id, f.amount);
    }
    Ok(())
}
