//! `offline-cash demo`: the whole story in a few seconds, every step checked.
//!
//! ```text
//!  embedded issuer (127.0.0.1:0, temp SQLite) ◄──HTTP── Alice Bob Carol Dave (in memory)
//!                                                        Mallory (a wallet file + its backup)
//!  1 accounts, wallets, funding      4 a torn tap, finished by tapping again
//!  2 Alice ─tap─► Bob, twice (warm)  5 Mallory spends one note twice (file, restored backup)
//!  3 Bob ─tap─► Carol (depth 2)      6 everybody syncs: settled, double spend, revocation
//!                                    7 Bob ─tap─► Dave: refused, Mallory is revoked; 8 audit
//! ```
//!
//! What it does not do: decide anything itself. Payments, verification, settlement, proofs
//! and the audit come from core and the issuer; this module checks that each outcome is the
//! expected one and exits non-zero (via [`CliError::Failed`]) if one is not.

use std::collections::HashMap;
use std::path::Path;

use offline_cash_core::crypto::Suite;
use offline_cash_core::nfc::LinkModel;
use offline_cash_core::protocol::PaymentRejection;
use offline_cash_core::reason::Reason;
use offline_cash_core::store::{KeyLocation, Store};
use offline_cash_core::token::{Rejection, WalletId};
use offline_cash_core::wallet::tap::{CardRole, TapReport};
use offline_cash_core::wallet::{OsEntropy, Wallet, WalletConfig, WalletError};

use crate::check::Checks;
use crate::people::{EmbeddedIssuer, NewPerson, Person, signer_for, tap_again, tap_config, tap_pay, tap_pay_nonce};
use crate::{CliError, suite_name, thousands, unix_now};

/// What the demo measured (for docs/PERFORMANCE.md ("Command line")).
#[derive(Debug, Clone, Copy)]
pub struct DemoSummary {
    /// Checks that held.
    pub checks: usize,
    /// Wall time of the whole demo.
    pub elapsed: std::time::Duration,
    /// Peak RSS of the process (KiB), if known.
    pub peak_rss_kib: Option<u64>,
}

/// Runs the demo with wallets of `suite`; with a `seed`, P-256 keys are derived from it
/// ([`crate::people::seeded_p256_scalar`]) so that a run can be reproduced and its output
/// searched for the keys.
pub async fn run(suite: Suite, seed: Option<u64>) -> Result<DemoSummary, CliError> {
    let started = std::time::Instant::now();
    let mut checks = Checks::default();
    let issuer = EmbeddedIssuer::start(|_| {}).await?;
    let url = issuer.url();
    println!("Offline Cash demo: wallets sign with {}", suite_name(suite));
    println!("issuer  {url}  (embedded; SQLite in {})", issuer.dir.path().display());

    heading(1, "Accounts, wallets, funding (online)");
    let person = |name: &'static str, account: u64| {
        let url = url.clone();
        async move {
            NewPerson {
                url: &url,
                name,
                account,
                signer: signer_for(suite, seed, name)?,
                store: Store::open_in_memory()?,
                entropy: Box::new(OsEntropy),
            }
            .create()
            .await
        }
    };
    let alice = person("Alice", 10_000).await?;
    let bob = person("Bob", 0).await?;
    let carol = person("Carol", 0).await?;
    let dave = person("Dave", 0).await?;
    let mallory_dir = crate::people::TempDir::new("mallory")?;
    let mallory_key = signer_for(suite, seed, "Mallory")?;
    let mallory_path = mallory_dir.path().join("mallory.db");
    let mallory = NewPerson {
        url: &url,
        name: "Mallory",
        account: 5_000,
        signer: mallory_key.clone(),
        store: Store::open(&mallory_path)?,
        entropy: Box::new(OsEntropy),
    }
    .create()
    .await?;
    let now = unix_now();
    let funded_alice = alice.wallet.fund(&alice.client, &[1_000], now).await?;
    let funded_mallory = mallory.wallet.fund(&mallory.client, &[500], now).await?;
    checks.equal(funded_alice, 1_000, "Alice funded 1,000");
    checks.equal(funded_mallory, 500, "Mallory funded 500");
    let mut names: HashMap<WalletId, String> = HashMap::new();
    for (p, account, funded) in
        [(&alice, 10_000, 1_000), (&bob, 0, 0), (&carol, 0, 0), (&dave, 0, 0), (&mallory, 5_000, 500)]
    {
        names.insert(p.wallet.id(), p.name.clone());
        println!(
            "   {:<8} wallet {}  account {:>6}  funded {:>5} into offline notes",
            p.name,
            p.wallet.id().short(),
            thousands(account),
            thousands(funded)
        );
    }
    let name = |id: &WalletId| names.get(id).cloned().unwrap_or_else(|| id.short());
    println!("   From here on, every payment is offline: phone to phone, no network.");

    heading(2, "Alice pays Bob 300 by tap: 250, then 50 more");
    let report = tap_pay(&alice.wallet, &bob.wallet, 250, tap_config(CardRole::PayeeIsCard, None), unix_now())?;
    print_tap(CardRole::PayeeIsCard, "Alice", "Bob", &report);
    checks.expect(report.payer_complete && report.payee_received.is_some(), "Alice → Bob completed");
    checks.expect(report.error().is_none(), format!("Alice → Bob had no error ({:?})", report.error()));
    let first_tap = report.stats;
    // The phones have met: each keeps the other's certificate (and an ML-DSA-44 payee a
    // one-time request key, decision 0022), so the second tap sends no certificate.
    let report = tap_pay(&alice.wallet, &bob.wallet, 50, tap_config(CardRole::PayeeIsCard, None), unix_now())?;
    println!("   the phones have met: this tap sends no certificate");
    print_tap(CardRole::PayeeIsCard, "Alice", "Bob", &report);
    checks.expect(report.payer_complete && report.payee_received.is_some(), "Alice → Bob again completed");
    checks.expect(report.error().is_none(), format!("Alice → Bob again had no error ({:?})", report.error()));
    checks.expect(
        report.stats.bytes_total() < first_tap.bytes_total(),
        format!(
            "the warm tap moves fewer bytes than the first ({} against {})",
            report.stats.bytes_total(),
            first_tap.bytes_total()
        ),
    );
    balances(&[&alice, &bob])?;
    checks.equal(spendable(&bob)?, 300, "Bob holds 300");

    heading(3, "Bob pays Carol 120 with what he just received (offline again)");
    let report = tap_pay(&bob.wallet, &carol.wallet, 120, tap_config(CardRole::PayerIsCard, None), unix_now())?;
    print_tap(CardRole::PayerIsCard, "Bob", "Carol", &report);
    checks.expect(report.payer_complete && report.payee_received.is_some(), "Bob → Carol completed");
    let notes = carol.wallet.with_store(|s| s.unspent_notes())?;
    match notes.iter().find(|n| n.amount == 120) {
        Some(note) => {
            let path: Vec<String> = note.chain.signers().iter().map(&name).collect();
            println!(
                "   Carol's note: chain depth {}  (issuer → {} → Carol), verified offline link by link",
                note.depth,
                path.join(" → ")
            );
            checks.equal(note.depth, 2, "Carol's note has chain depth 2");
        }
        None => {
            checks.expect(false, "Carol holds a note of 120");
        }
    }
    balances(&[&bob, &carol])?;

    heading(4, "Alice pays Carol 50; the phones move apart mid-tap");
    let tear = first_tap.bytes_total().saturating_sub(40).max(1);
    let (report, nonce) =
        tap_pay_nonce(&alice.wallet, &carol.wallet, 50, tap_config(CardRole::PayeeIsCard, Some(tear)), unix_now())?;
    print_tap(CardRole::PayeeIsCard, "Alice", "Carol", &report);
    checks.expect(report.torn, format!("the field tore at byte {tear}"));
    let pending = alice.wallet.pending_payments()?;
    let carol_had = report.payee_received.is_some();
    println!(
        "   torn after {} bytes: Alice has {} pending payment(s) of {} ({}); Carol {}",
        thousands(tear),
        pending.len(),
        pending.iter().map(|p| p.amount).sum::<u64>(),
        pending.first().map_or("none".into(), |p| format!("to {}", name(&p.payee))),
        if carol_had { "stored it (the receipt was lost)" } else { "never got the whole payment" }
    );
    checks.equal(pending.iter().map(|p| p.amount).collect::<Vec<_>>(), vec![50], "Alice's payment of 50 is pending");
    let carol_before = spendable(&carol)?;
    // A new request from Carol is refused while the payment is pending: one value, one payment.
    let fresh = tap_pay(&alice.wallet, &carol.wallet, 50, tap_config(CardRole::PayeeIsCard, None), unix_now())?;
    checks.expect(
        matches!(fresh.payer_error, Some(WalletError::Rejected(PaymentRejection::PendingForOtherRequest { .. }))),
        "a new request is not paid while the torn payment is pending",
    );
    println!("   a new request from Carol: refused, \"{}\"", fresh.error().map_or(String::new(), |e| e.to_string()));
    let report = tap_again(&alice.wallet, &carol.wallet, &nonce, tap_config(CardRole::PayeeIsCard, None), unix_now())?;
    println!("   Carol presents the same request again: Alice's phone resends the same signed payment, byte for byte");
    print_tap(CardRole::PayeeIsCard, "Alice", "Carol", &report);
    checks.expect(report.payer_complete, "the second tap completed the payment");
    checks.expect(alice.wallet.pending_payments()?.is_empty(), "nothing pending after the second tap");
    let expected_carol = if carol_had { carol_before } else { carol_before + 50 };
    checks.equal(spendable(&carol)?, expected_carol, "Carol credited 50 exactly once");
    balances(&[&alice, &carol])?;

    heading(5, "Mallory spends the same 500 twice (a wallet file restored from a backup)");
    let mallory_client = mallory.client.clone();
    let mallory_credential = mallory.credential.clone();
    drop(mallory);
    let backup_path = mallory_dir.path().join("mallory-backup.db");
    std::fs::copy(&mallory_path, &backup_path).map_err(|e| CliError::io(&backup_path, e))?;
    println!("   copied mallory.db to mallory-backup.db while it held the 500 note");
    let reopen = |p: &Path| -> Result<Person, CliError> {
        let wallet = Wallet::open(
            p,
            mallory_key.clone(),
            KeyLocation::Hardware("Mallory".into()),
            Box::new(OsEntropy),
            WalletConfig::default(),
        )?;
        Ok(Person {
            name: "Mallory".into(),
            wallet,
            client: mallory_client.clone(),
            credential: mallory_credential.clone(),
        })
    };
    let mallory = reopen(&mallory_path)?;
    let restored = reopen(&backup_path)?;
    let first = tap_pay(&mallory.wallet, &bob.wallet, 200, tap_config(CardRole::PayeeIsCard, None), unix_now())?;
    println!("   Mallory (her wallet)         pays Bob   200: {}", outcome(&first));
    let second = tap_pay(&restored.wallet, &carol.wallet, 200, tap_config(CardRole::PayeeIsCard, None), unix_now())?;
    println!("   Mallory (restored backup)    pays Carol 200: {}", outcome(&second));
    println!("   Offline, neither Bob nor Carol can know: each sees a valid chain.");
    checks.expect(first.payer_complete && second.payer_complete, "both of Mallory's payments pass offline");

    heading(6, "Everybody is back online and syncs");
    println!(
        "   {:<8} {:>8} {:>10} {:>12} {:>15} {:>8}",
        "wallet", "records", "duplicate", "double spend", "pending settled", "revoked"
    );
    let mut double_spends = 0;
    for p in [&bob, &carol, &alice, &dave] {
        let r = p.wallet.sync(&p.client, unix_now()).await?;
        double_spends += r.double_spends;
        println!(
            "   {:<8} {:>8} {:>10} {:>12} {:>15} {:>8}",
            p.name, r.accepted, r.duplicates, r.double_spends, r.settled_pending, r.revoked
        );
    }
    checks.equal(double_spends, 1, "exactly one double spend reported");
    let proofs = issuer.server.issuer.double_spend_proofs()?;
    checks.equal(proofs.len(), 1, "the issuer stored one double-spend proof");
    let mallory_id = mallory.wallet.id();
    if let Some(proof) = proofs.first() {
        let key = mallory_key.public_key();
        let both_signed = proof.accepted.as_ref().is_some_and(|a| a.verify_with(&key).is_ok())
            && proof.conflicting.verify_with(&key).is_ok();
        let same_parent = proof.accepted.as_ref().is_some_and(|a| a.body().parent == proof.conflicting.body().parent);
        println!("   proof: two links over note {} both signed by {}:", proof.parent.short(), name(&proof.signer));
        if let Some(a) = &proof.accepted {
            println!("     settled first  link {}  pays {}", a.id().short(), payees(a, &name));
        }
        println!(
            "     conflicting    link {}  pays {}",
            proof.conflicting.id().short(),
            payees(&proof.conflicting, &name)
        );
        println!(
            "     signatures check with Mallory's public key: {}; the issuer guarantees {} to the second payee",
            if both_signed { "yes" } else { "NO" },
            thousands(proof.guaranteed)
        );
        checks.expect(both_signed && same_parent, "the proof: two links, one parent, both Mallory's signatures");
        checks.equal(proof.signer, mallory_id, "the proof names Mallory");
    }
    let revoked = dave.wallet.with_store(|s| s.revocation_list())?;
    let dave_knows = revoked.as_ref().is_some_and(|l| l.body().contains(&mallory_id));
    println!("   Mallory is revoked; Dave's wallet holds the revocation list: {}", yes(dave_knows));
    checks.expect(dave_knows, "Dave learned Mallory's revocation");
    let settled = alice.wallet.balance()?;
    checks.equal(settled.pending, 0, "Alice has nothing pending after sync");
    balances(&[&alice, &bob, &carol, &dave])?;

    heading(7, "Mallory, offline, tries to pay Dave with her change");
    let refused = tap_pay(&mallory.wallet, &dave.wallet, 100, tap_config(CardRole::PayeeIsCard, None), unix_now())?;
    print_tap(CardRole::PayeeIsCard, "Mallory", "Dave", &refused);
    match &refused.payee_error {
        Some(WalletError::Rejected(r)) => {
            println!("   Dave refuses: {r}");
            println!("   typed: {r:?}");
            let is_mallory =
                matches!(r, PaymentRejection::Chain(Rejection::Revoked { wallet }) if *wallet == mallory_id);
            checks.expect(is_mallory, format!("Dave's reason is Revoked(Mallory), got {r:?}"));
        }
        other => {
            checks.expect(false, format!("Dave should refuse with a typed revocation, got {other:?}"));
        }
    }
    let told = matches!(refused.payer_error, Some(WalletError::PeerRejected { reason: Reason::Revoked }));
    println!("   Mallory's wallet is told why (the card's status word 9A0A): {}", yes(told));
    checks.expect(told, "the payer reads the payee's reason");
    checks.expect(!refused.payer_complete, "Mallory's payment to Dave did not complete");
    checks.equal(dave.wallet.balance()?.total, 0, "Dave holds nothing");

    heading(8, "Bob syncs again: the note that came from Mallory is refreshed, and Dave takes it");
    println!("   (Bob synced before Carol's upload exposed Mallory: his note's chain holds a wallet revoked since)");
    let held = bob.wallet.balance()?.total;
    let sync = bob.wallet.sync(&bob.client, unix_now()).await?;
    let refreshed: u64 = sync.flows.iter().map(|f| f.done).sum();
    println!(
        "   Bob's sync refreshed {} into fresh notes from the issuer (depth 0, no revoked wallet in their chain)",
        thousands(refreshed)
    );
    checks.equal(refreshed, 200, "Bob's sync refreshed the note whose chain holds a revoked wallet");
    checks.equal(bob.wallet.balance()?.total, held, "a refresh keeps Bob's value");
    let paid = tap_pay(&bob.wallet, &dave.wallet, 200, tap_config(CardRole::PayeeIsCard, None), unix_now())?;
    print_tap(CardRole::PayeeIsCard, "Bob", "Dave", &paid);
    checks.expect(paid.payer_complete && paid.payee_received.is_some(), "Bob pays Dave with the refreshed note");

    heading(9, "Carol loses her phone");
    let carol_id = carol.wallet.id();
    let lost = offline_cash_core::sync::SyncClient::report_lost(&url, &carol.credential, &carol_id).await?;
    println!(
        "   Carol reports it from her laptop (account credential only): revoked now; what it holds ({}) returns to her account at {} (its last certificate's end + the settlement window)",
        thousands(lost.held_known),
        lost.returns_at
    );
    dave.wallet.sync(&dave.client, unix_now()).await?;
    let thief = tap_pay(&carol.wallet, &dave.wallet, 50, tap_config(CardRole::PayeeIsCard, None), unix_now())?;
    let stopped = matches!(&thief.payee_error, Some(WalletError::Rejected(r)) if r.reason() == offline_cash_core::reason::Reason::Revoked);
    println!("   a thief pays Dave with it: Dave (synced) refuses, revoked: {}", yes(stopped));
    checks.expect(stopped, "a synced payee refuses the lost phone");
    let new_phone = NewPerson {
        url: &url,
        name: "Carol's new phone",
        account: 0,
        signer: signer_for(suite, seed, "Carol2")?,
        store: Store::open_in_memory()?,
        entropy: Box::new(OsEntropy),
    }
    .register_with(carol.credential.clone())
    .await?;
    println!(
        "   Carol's new phone registers ({}); once the value is back she funds it. What the lost phone paid before the report stays paid, like cash.",
        new_phone.wallet.id().short()
    );

    heading(10, "The issuer's audit");
    let audit = issuer.server.issuer.audit()?;
    let row = |k: &str, v: String| println!("   {k:<36} {v:>10}");
    row("issued (funding + guarantees)", thousands(audit.issued));
    row("held offline (live notes)", thousands(audit.held_offline));
    row(
        "deposited / refreshed / returned",
        format!("{}/{}/{}", audit.deposited, audit.refreshed, audit.expired_returned),
    );
    row("online accounts now", audit.account_balances.to_string());
    row("online accounts at creation", audit.account_initial.to_string());
    row("recovered from cheaters", thousands(audit.recovered_from_cheaters));
    row("double spends", audit.double_spends.to_string());
    row("notes balanced (issued = held + out)", yes(audit.balanced).into());
    row("accounts balanced", yes(audit.accounts_balanced).into());
    checks.expect(audit.balanced && audit.accounts_balanced, "the issuer's audit balances");
    let supply = audit.account_balances + i64::try_from(audit.held_offline).unwrap_or(i64::MAX);
    row("accounts + live notes", supply.to_string());
    checks.equal(supply, audit.account_initial, "no value created or destroyed: accounts + live notes = initial");
    let mut honest = 0;
    for p in [&alice, &bob, &carol, &dave] {
        honest += p.wallet.balance()?.total;
    }
    let mallory_left = mallory.wallet.balance()?.total;
    row("honest wallets hold", thousands(honest));
    row("Mallory's change the issuer recognises", thousands(mallory_left));
    checks.equal(honest + mallory_left, audit.held_offline, "wallets' value = the issuer's live notes");
    checks.equal(audit.recovered_from_cheaters, 200, "Mallory's account paid for the guarantee");

    drop((alice, bob, carol, dave, mallory, restored));
    issuer.shutdown().await?;
    let elapsed = started.elapsed();
    let peak = crate::rss::peak_rss_kib();
    println!();
    let passed = checks.passed();
    let failed = checks.failed();
    println!(
        "{} checks held, {} failed; {:.2} s; peak RSS {}",
        passed,
        failed,
        elapsed.as_secs_f64(),
        crate::rss::format_kib(peak)
    );
    let checks = checks.finish()?;
    Ok(DemoSummary { checks, elapsed, peak_rss_kib: peak })
}

fn heading(n: u32, title: &str) {
    println!();
    println!("{n}. {title}");
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}

fn spendable(p: &Person) -> Result<u64, CliError> {
    Ok(p.wallet.balance()?.spendable)
}

fn balances(people: &[&Person]) -> Result<(), CliError> {
    let mut parts = Vec::new();
    for p in people {
        let b = p.wallet.balance()?;
        let pending = if b.pending > 0 { format!(" (+{} pending)", b.pending) } else { String::new() };
        parts.push(format!("{} {}{pending}", p.name, thousands(b.spendable)));
    }
    println!("   balances: {}", parts.join(" | "));
    Ok(())
}

fn print_tap(role: CardRole, payer: &str, payee: &str, r: &TapReport) {
    println!("   {}", roles(role, payer, payee));
    println!(
        "   reader → card {:>7} B   card → reader {:>7} B   APDUs {:>3}   modelled tap {:>6.1} ms optimistic, {:>6.1} ms conservative{}",
        thousands(r.stats.bytes_to_card),
        thousands(r.stats.bytes_to_reader),
        r.stats.apdus,
        r.stats.time_under(LinkModel::OPTIMISTIC).as_secs_f64() * 1000.0,
        r.stats.time_under(LinkModel::CONSERVATIVE).as_secs_f64() * 1000.0,
        if r.torn { "   TORN" } else { "" }
    );
}

fn outcome(r: &TapReport) -> String {
    match (r.payer_complete, r.error()) {
        (true, _) => "accepted offline".into(),
        (false, Some(e)) => format!("refused: {e}"),
        (false, None) => "incomplete".into(),
    }
}

fn payees(link: &offline_cash_core::token::SpendLink, name: &dyn Fn(&WalletId) -> String) -> String {
    link.body()
        .outputs
        .iter()
        .map(|o| format!("{} {}", name(&o.owner), thousands(o.amount)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which phone is which, said once per tap.
pub fn roles(role: CardRole, payer: &str, payee: &str) -> String {
    match role {
        CardRole::PayeeIsCard => format!("{payee}'s phone is the card (HCE), {payer}'s phone is the reader"),
        CardRole::PayerIsCard => format!("{payer}'s phone is the card (HCE), {payee}'s phone is the reader"),
    }
}
