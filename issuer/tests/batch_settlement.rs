//! Settling a batch set-wise (issuer/src/settle_sets.rs) answers and changes exactly what
//! settling its links one after the other does: a link spending a note created earlier in the
//! same batch, two conflicting links in one batch, a spend counter reused within a batch, a
//! deposit between spends, and a large batch with all of them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::atomic::Ordering;

use common::{audit, bundle, fund, start, wallet};
use offline_cash_core::reason::Reason;
use offline_cash_core::sync::RecordStatus;
use offline_cash_core::token::Chain;

/// Alice pays Bob, Bob pays Carol out of that payment: both links in one batch, in separate
/// records and within one record. The second link spends a note the first created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_spending_a_note_created_earlier_in_the_batch_settles() {
    for one_record in [false, true] {
        let server = start().await;
        let alice = wallet(&server, "alice", 10_000).await;
        let bob = wallet(&server, "bob", 0).await;
        let carol = wallet(&server, "carol", 0).await;
        let notes = fund(&alice, &[1_000]).await;
        let (to_bob, _change) = alice.pay(&Chain::genesis(notes[0].clone()), 1_000, bob.id(), 300);
        let (to_carol, bob_change) = bob.pay(&to_bob, 300, carol.id(), 100);
        let mut batch = carol.batch();
        if one_record {
            batch.spent.push(bundle(std::slice::from_ref(&to_carol), &[&alice, &bob]));
        } else {
            batch.spent.push(bundle(std::slice::from_ref(&to_bob), &[&alice]));
            batch.spent.push(bundle(std::slice::from_ref(&to_carol), &[&alice, &bob]));
        }
        let out = carol.client.sync_batch(&batch).await.unwrap();
        assert!(out.results.iter().all(|r| r.status == RecordStatus::Accepted), "{:?}", out.results);
        // The note Bob was paid is spent, his change is live: he deposits the change only.
        let mut b = bob.batch();
        b.deposit.push(bundle(std::slice::from_ref(&to_bob), &[&alice]));
        b.deposit.push(bundle(&[bob_change.unwrap()], &[&alice, &bob]));
        let out = bob.client.sync_batch(&b).await.unwrap();
        assert_eq!(out.results[0].status, RecordStatus::Rejected);
        assert_eq!(out.results[0].reason, Some(Reason::NoteSpent));
        assert_eq!((out.results[1].status, out.results[1].credited), (RecordStatus::Accepted, 200));
        let a = audit(&server.url()).await;
        assert!(a.balanced && a.accounts_balanced, "{a:?}");
        assert_eq!((a.deposited, a.double_spends), (200, 0));
        server.shutdown().await.unwrap();
    }
}

/// Mallory spends one note twice; both links arrive in one batch, after an honest link and
/// before another: the second is the double spend, with the guarantee and the revocation,
/// and the links around it settle as usual (spent records, settled in their order).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_conflicting_links_in_one_batch_are_one_double_spend() {
    let server = start().await;
    let mallory = wallet(&server, "mallory", 10_000).await;
    let bob = wallet(&server, "bob", 0).await;
    let carol = wallet(&server, "carol", 0).await;
    let notes = fund(&mallory, &[1_000, 200, 300]).await;
    let (honest, _) = mallory.pay(&Chain::genesis(notes[1].clone()), 200, bob.id(), 200);
    let (to_bob, _) = mallory.pay(&Chain::genesis(notes[0].clone()), 1_000, bob.id(), 400);
    let (to_carol, _) = mallory.pay(&Chain::genesis(notes[0].clone()), 1_000, carol.id(), 400);
    let (after, _) = mallory.pay(&Chain::genesis(notes[2].clone()), 300, carol.id(), 300);
    let mut batch = bob.batch();
    for chain in [honest, to_bob, to_carol.clone(), after] {
        batch.spent.push(bundle(&[chain], &[&mallory]));
    }
    let out = bob.client.sync_batch(&batch).await.unwrap();
    let statuses: Vec<RecordStatus> = out.results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        vec![RecordStatus::Accepted, RecordStatus::Accepted, RecordStatus::DoubleSpend, RecordStatus::Accepted]
    );
    // Carol, the honest payee of the conflicting link, holds her guarantee.
    let mut c = carol.batch();
    c.deposit.push(bundle(&[to_carol], &[&mallory]));
    let out = carol.client.sync_batch(&c).await.unwrap();
    assert_eq!(out.results[0].status, RecordStatus::DoubleSpend);
    let proofs = server.issuer.double_spend_proofs().unwrap();
    assert_eq!(proofs.len(), 1);
    let a = audit(&server.url()).await;
    assert!(a.balanced && a.accounts_balanced, "{a:?}");
    assert_eq!(a.double_spends, 1);
    let revs = carol.client.revocations(None).await.unwrap();
    assert!(revs.list.body().contains(&mallory.id()));
    server.shutdown().await.unwrap();
}

/// A restored wallet signs two links with one counter; both arrive in one batch with links
/// around them: the second is recorded (honest value settles) and stored as evidence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_reused_within_a_batch_is_evidence() {
    let server = start().await;
    let w = wallet(&server, "restored", 10_000).await;
    let q = wallet(&server, "q", 0).await;
    let notes = fund(&w, &[100, 200, 300, 400]).await;
    let (a, _) = w.pay(&Chain::genesis(notes[0].clone()), 100, q.id(), 100);
    let (b, _) = w.pay(&Chain::genesis(notes[1].clone()), 200, q.id(), 200);
    w.counter.store(1, Ordering::Relaxed);
    let (c, _) = w.pay(&Chain::genesis(notes[2].clone()), 300, q.id(), 300);
    let (d, _) = w.pay(&Chain::genesis(notes[3].clone()), 400, q.id(), 400);
    let mut batch = q.batch();
    for chain in [a, b, c, d] {
        batch.deposit.push(bundle(&[chain], &[&w]));
    }
    let out = q.client.sync_batch(&batch).await.unwrap();
    assert!(out.results.iter().all(|r| r.status == RecordStatus::Accepted), "{:?}", out.results);
    assert_eq!(out.balance, 1_000);
    let proofs = server.issuer.counter_reuse_proofs().unwrap();
    let counters: Vec<u64> = proofs.iter().map(|p| p.counter).collect();
    assert_eq!(counters, vec![2], "link c reused counter 2 of link b");
    assert!(w.client.sync_batch(&w.batch()).await.unwrap().rollback_detected);
    server.shutdown().await.unwrap();
}

/// A batch of many records mixing every case, sent twice: the same answer, and the audit
/// balances.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_mixed_batch_settles_every_link_once() {
    let server = start().await;
    let alice = wallet(&server, "alice", 1_000_000).await;
    let bob = wallet(&server, "bob", 0).await;
    let carol = wallet(&server, "carol", 0).await;
    let mut notes = Vec::new();
    for _ in 0..5 {
        notes.extend(fund(&alice, &[100; 64]).await);
    }
    let mut batch = bob.batch();
    let mut expected = Vec::new();
    for (i, note) in notes.iter().enumerate() {
        let (to_bob, _) = alice.pay(&Chain::genesis(note.clone()), 100, bob.id(), 100);
        if i % 7 == 3 {
            // Bob passes it on to Carol in the same batch.
            let (to_carol, _) = bob.pay(&to_bob, 100, carol.id(), 100);
            batch.spent.push(bundle(&[to_carol], &[&alice, &bob]));
        } else if i % 11 == 5 {
            // Alice spends it again to Carol: the second of two conflicting links.
            let (to_carol, _) = alice.pay(&Chain::genesis(note.clone()), 100, carol.id(), 100);
            batch.spent.push(bundle(std::slice::from_ref(&to_bob), &[&alice]));
            batch.spent.push(bundle(&[to_carol], &[&alice]));
            expected.push(RecordStatus::Accepted);
            expected.push(RecordStatus::DoubleSpend);
            continue;
        } else {
            batch.deposit.push(bundle(&[to_bob], &[&alice]));
        }
        expected.push(RecordStatus::Accepted);
    }
    let out = bob.client.sync_batch(&batch).await.unwrap();
    let mut got: Vec<RecordStatus> = out.results.iter().map(|r| r.status).collect();
    got.sort_by_key(|s| *s as u8);
    expected.sort_by_key(|s| *s as u8);
    assert_eq!(got, expected);
    let again = bob.client.sync_batch(&batch).await.unwrap();
    let view = |rs: &[offline_cash_core::sync::SyncRecordResult]| -> Vec<(u32, RecordStatus, Option<Reason>, u64)> {
        rs.iter().map(|r| (r.index, r.status, r.reason, r.credited)).collect()
    };
    assert_eq!(view(&again.results), view(&out.results), "a resent batch gets the same answer");
    let a = audit(&server.url()).await;
    assert!(a.balanced && a.accounts_balanced, "{a:?}");
    assert!(a.double_spends > 0);
    server.shutdown().await.unwrap();
}

/// `b` with the last byte of its first link changed (its signature): it still decodes, and
/// verification refuses it as altered.
fn forged(b: &offline_cash_core::token::Bundle) -> offline_cash_core::token::Bundle {
    let mut bytes = b.to_bytes();
    let link = b.links[0].to_bytes();
    let at = bytes.windows(link.len()).position(|w| w == link.as_slice()).unwrap() + link.len() - 1;
    bytes[at] ^= 1;
    offline_cash_core::token::Bundle::from_bytes(&bytes).unwrap()
}

/// Decision 0028: a batch's transaction reads what the links of every record that decodes
/// need before any record is verified, and writes settled links while later records are still
/// being verified. A record that decodes but does not verify changes nothing for the records
/// around it, and two conflicting links more than one write apart are one double spend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_record_and_a_double_spend_far_apart_settle_as_one_by_one() {
    let server = start().await;
    let alice = wallet(&server, "alice", 1_000_000).await;
    let bob = wallet(&server, "bob", 0).await;
    let carol = wallet(&server, "carol", 0).await;
    let mut notes = Vec::new();
    for _ in 0..5 {
        notes.extend(fund(&alice, &[100; 64]).await);
    }
    let mut batch = bob.batch();
    let (stolen, _) = alice.pay(&Chain::genesis(notes[0].clone()), 100, carol.id(), 100);
    batch.spent.push(forged(&bundle(&[stolen], &[&alice])));
    for note in &notes[1..300] {
        let (to_bob, _) = alice.pay(&Chain::genesis(note.clone()), 100, bob.id(), 100);
        batch.spent.push(bundle(&[to_bob], &[&alice]));
    }
    let (to_bob, _) = alice.pay(&Chain::genesis(notes[0].clone()), 100, bob.id(), 100);
    batch.spent.push(bundle(&[to_bob], &[&alice]));
    let (again, _) = alice.pay(&Chain::genesis(notes[5].clone()), 100, carol.id(), 100);
    batch.spent.push(bundle(&[again], &[&alice]));
    let out = bob.client.sync_batch(&batch).await.unwrap();
    let got: Vec<(RecordStatus, Option<Reason>)> = out.results.iter().map(|r| (r.status, r.reason)).collect();
    let mut expected = vec![(RecordStatus::Rejected, Some(Reason::Altered))];
    expected.extend([(RecordStatus::Accepted, None); 300]);
    expected.push((RecordStatus::DoubleSpend, None));
    assert_eq!(got, expected);
    let a = audit(&server.url()).await;
    assert!(a.balanced && a.accounts_balanced, "{a:?}");
    assert_eq!(a.double_spends, 1);
    server.shutdown().await.unwrap();
}
