//! One conformance suite for every backend of `offline_cash_issuer::store` (the model is cdk's
//! `mint_db_test!`): the same test bodies, instantiated per backend by `store_conformance!`.
//! SQLite always; PostgreSQL when built with `--features postgres` and `OC_TEST_PG_URL` is set
//! (`scripts/with-postgres.sh` starts a throwaway cluster and sets it); each PostgreSQL test
//! gets a database of its own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::token::WalletId;
use offline_cash_issuer::IssuerError;
use offline_cash_issuer::store::{LinkRow, MAX_ATTEMPTS, Recorded, RevocationReason, Store};

/// The aggregates' tests (accounts, notes, wallets, nonces, evidence, lost wallets, meta,
/// audit): the same SQL on every backend, so these check types and conflicts per dialect.
mod aggregates {
    use offline_cash_issuer::store::accounts::Entry;
    use offline_cash_issuer::store::double_spends::NewDoubleSpend;
    use offline_cash_issuer::store::notes::{NoteState, Origin};
    use offline_cash_issuer::store::wallets::NewWallet;
    use offline_cash_issuer::store::{
        Accounts as _, Audit as _, Challenges as _, DoubleSpends as _, LostWallets as _, Meta as _, Nonces as _,
        Notes as _, Tx, Wallets as _,
    };

    use super::*;

    fn account(tx: &mut dyn Tx, name: &str, balance: i64) -> Result<i64, IssuerError> {
        assert!(tx.create_account(name, name.as_bytes(), balance)?);
        Ok(tx.account_by_credential(name.as_bytes())?.unwrap())
    }

    fn wallet<'a>(id: &'a [u8], account: i64, cert: &'a [u8]) -> NewWallet<'a> {
        NewWallet { id, account, public_key: b"pk", suite: 1, certificate: cert, tier: 0 }
    }

    pub fn a_challenge_is_used_once_by_its_account_before_it_expires_and_a_tier_is_kept(store: impl Store) {
        store
            .write(|tx| {
                let a = account(tx, "alice", 0)?;
                let b = account(tx, "bob", 0)?;
                tx.put_challenge(b"c1", a, 100)?;
                tx.put_challenge(b"c2", a, 50)?;
                assert_eq!(tx.open_challenges(a, 10)?, 2);
                assert!(!tx.consume_challenge(b"c1", b, 10)?, "another account's challenge");
                assert!(!tx.consume_challenge(b"c2", a, 51)?, "expired");
                assert!(tx.consume_challenge(b"c1", a, 100)?);
                assert!(!tx.consume_challenge(b"c1", a, 100)?, "used once");
                assert_eq!(tx.open_challenges(a, 60)?, 0, "expired ones are forgotten");
                tx.put_wallet(&NewWallet { tier: 2, ..wallet(b"w", a, b"cert1") })?;
                assert_eq!(tx.wallet_tier(b"w")?, Some(2));
                tx.put_wallet(&NewWallet { tier: 3, ..wallet(b"w", a, b"cert2") })?;
                assert_eq!(tx.wallet_tier(b"w")?, Some(3), "a renewal records the tier it was given");
                assert_eq!(tx.wallet_tier(b"nobody")?, None);
                Ok(())
            })
            .unwrap();
    }

    pub fn accounts_book_every_change_with_its_ledger_entry(store: impl Store) {
        store
            .write(|tx| {
                let a = account(tx, "alice", 1_000)?;
                assert!(!tx.create_account("alice", b"other", 5)?, "a customer reference is taken once");
                assert_eq!(tx.account_by_credential(b"nobody")?, None);
                assert_eq!(tx.customer_ref(a)?, "alice");
                tx.book(a, -300, Entry::Fund, b"req", 10)?;
                tx.book(a, 50, Entry::LostReturn, b"note1", 11)?;
                assert_eq!(tx.balance(a)?, 750);
                assert_eq!(tx.lost_return_unbooked(b"note1")?, Some((a, 50)));
                tx.book(a, -50, Entry::LostLateSpend, b"note1", 12)?;
                assert_eq!(tx.lost_return_unbooked(b"note1")?, None, "booked back once");
                tx.book(a, -200, Entry::DoubleSpendRecovery, b"link", 13)?;
                assert!(!tx.account_revoked(a)?);
                tx.revoke_account(a, 14)?;
                tx.revoke_account(a, 15)?;
                assert_eq!(tx.account_by_ref("alice")?, Some((a, Some(14))), "the first revocation's time stays");
                tx.reinstate(a)?;
                assert!(!tx.account_revoked(a)?);
                let t = tx.totals()?;
                assert_eq!((t.balances, t.initial, t.recovered, t.funded), (500, 1_000, 200, 300));
                Ok(())
            })
            .unwrap();
    }

    /// The set-wise statements (store::link_sets) mean what their per-row siblings mean, over
    /// more rows than one statement takes; one batch holds a link spending a note created
    /// earlier in it and two links spending one note.
    pub fn a_batch_of_links_is_read_and_written_in_a_few_statements(store: impl Store) {
        use offline_cash_issuer::store::LinkSets as _;
        use offline_cash_issuer::store::link_sets::NewNote;
        const N: u16 = 300;
        let id = |tag: u8, i: u16| {
            let mut b = [tag; 32];
            b[..2].copy_from_slice(&i.to_be_bytes());
            b
        };
        let link = |id: &'static [u8; 32], parent: &'static [u8; 32], counter: i64| LinkRow {
            id,
            parent,
            signer: &[9; 32],
            bytes: b"link",
            counter,
            settled_at: 2,
        };
        let leak = |b: [u8; 32]| -> &'static [u8; 32] { Box::leak(Box::new(b)) };
        let links: Vec<&'static [u8; 32]> = (0..N).map(|i| leak(id(2, i))).collect();
        let parents: Vec<&'static [u8; 32]> = (0..N).map(|i| leak(id(1, i))).collect();
        store
            .write(|tx| {
                // N genesis notes; the first 10 spent by links recorded one by one.
                for p in &parents {
                    tx.insert_genesis(&p[..], &[9; 32], 100, 5_000, b"d")?;
                }
                for i in 0..10 {
                    assert_eq!(tx.record_link(&link(links[i], parents[i], i as i64))?, Recorded::New);
                }
                tx.record_double_spend(&NewDoubleSpend {
                    parent: &parents[0][..],
                    signer: &[9; 32],
                    accepted: None,
                    conflicting: &id(3, 0),
                    conflicting_bytes: b"x",
                    at: 1,
                })?;
                let mut asked: Vec<[u8; 32]> = parents.iter().map(|p| **p).collect();
                asked.push(id(7, 7));
                let known = tx.notes_known(&asked)?;
                assert_eq!(known.len(), usize::from(N), "every genesis note, not the unknown one");
                assert!(
                    known.iter().all(|n| n.owner == [9; 32] && n.state == NoteState::Live && n.expires_at == 5_000)
                );
                let ids: Vec<[u8; 32]> = links.iter().map(|l| **l).collect();
                let mut recorded = tx.links_recorded(&ids)?;
                recorded.sort();
                assert_eq!(recorded, links[..10].iter().map(|l| l.to_vec()).collect::<Vec<_>>());
                assert_eq!(tx.proofs_known(&[id(3, 0), id(3, 1)])?, vec![id(3, 0).to_vec()]);
                let mut pairs: Vec<([u8; 32], i64)> = (5..i64::from(N)).map(|c| ([9; 32], c)).collect();
                pairs.extend((0..10).map(|c| ([8; 32], c)));
                // 1 lies between counters asked about and is recorded, but not asked about.
                pairs.extend([([9; 32], 7), ([9; 32], 0), ([9; 32], 2), ([9; 32], 1_000_000)]);
                let mut found = tx.links_with_counters(&pairs)?;
                found.sort();
                let want: Vec<_> =
                    [0, 2, 5, 6, 7, 8, 9].map(|i: usize| (vec![9; 32], i as i64, links[i].to_vec())).to_vec();
                assert_eq!(found, want);
                Ok(())
            })
            .unwrap();
        let child = leak(id(4, 10));
        let (spends_child, twice) = (leak(id(5, 0)), leak(id(5, 1)));
        store
            .write(|tx| {
                // Links 10.. spend their notes; one spends the child of link 10 (created in this
                // batch); one spends note 11 a second time; link 10 comes again.
                let mut rows: Vec<LinkRow<'_>> =
                    (10..usize::from(N)).map(|i| link(links[i], parents[i], 100)).collect();
                rows.push(link(spends_child, child, 101));
                rows.push(link(twice, parents[11], 102));
                rows.push(link(links[10], parents[10], 100));
                let recorded = tx.record_links(&rows)?;
                assert_eq!(recorded.len(), usize::from(N) - 10 + 1, "the new links once, not the second spend");
                assert!(!recorded.contains(&twice.to_vec()));
                assert_eq!(tx.link_by_parent(parents[11])?.map(|l| l.0), Some(links[11].to_vec()));
                let notes = [
                    NewNote { id: child, owner: &[8; 32], amount: 100, expires_at: 5_000, origin: Origin::Link },
                    NewNote { id: parents[0], owner: &[8; 32], amount: 100, expires_at: 5_000, origin: Origin::Link },
                ];
                assert_eq!(tx.insert_notes(&notes)?, 1, "a note recorded before is not inserted again");
                let mut spent: Vec<[u8; 32]> = parents[10..].iter().map(|p| **p).collect();
                spent.push(*child);
                assert_eq!(tx.set_states(&spent, NoteState::Spent)?, u64::from(N) - 10 + 1);
                assert_eq!(tx.note_owner_state(&child[..])?, Some((vec![8; 32], NoteState::Spent)));
                assert_eq!(tx.note_state(&parents[0][..])?, Some(NoteState::Live), "untouched");
                assert_eq!(tx.note_state(&parents[N as usize - 1][..])?, Some(NoteState::Spent));
                Ok(())
            })
            .unwrap();
    }

    pub fn notes_move_through_their_states_and_children_expire_with_their_parent(store: impl Store) {
        store
            .write(|tx| {
                tx.insert_genesis(b"n1", b"w1", 100, 9_000, b"digest1")?;
                assert_eq!(tx.note_state(b"n1")?, Some(NoteState::Live));
                assert_eq!(tx.note_state(b"none")?, None);
                assert!(tx.insert_child(b"c1", b"w2", 60, b"n1", Origin::Link)?);
                assert!(!tx.insert_child(b"c1", b"w2", 60, b"n1", Origin::Link)?, "a child is recorded once");
                assert!(!tx.insert_child(b"c2", b"w2", 60, b"unknown", Origin::Link)?, "no parent, no child");
                assert!(tx.insert_child(b"g1", b"w3", 40, b"n1", Origin::Guarantee)?);
                tx.set_note_state(b"n1", NoteState::Spent)?;
                assert_eq!(tx.note_owner_state(b"c1")?, Some((b"w2".to_vec(), NoteState::Live)));
                assert_eq!(tx.held_live(b"w2")?, 60);
                assert_eq!(tx.held_live(b"w1")?, 0);
                let t = tx.totals()?;
                assert_eq!((t.issued, t.live), (140, 100), "genesis and guarantee notes are issued value");
                // Genesis ids are 32 bytes in real life; these rows were written with short ones.
                tx.insert_genesis(&[5; 32], b"w1", 10, 9_000, &[6; 32])?;
                let many: Vec<[u8; 32]> = (0..300u16).map(|i| [(i % 250) as u8; 32]).collect();
                assert_eq!(tx.genesis_digests(&many)?, vec![vec![6; 32]], "found once");
                assert_eq!(tx.genesis_digests(&[[7; 32]])?, Vec::<Vec<u8>>::new());
                Ok(())
            })
            .unwrap();
        // Expiry goes by the parent's, and only registered owners' notes are returned.
        store
            .write(|tx| {
                let a = account(tx, "bob", 0)?;
                tx.put_wallet(&wallet(b"w2", a, b"cert"))?;
                assert_eq!(tx.expired_live(9_000)?, vec![]);
                assert_eq!(tx.expired_live(9_001)?, vec![(b"c1".to_vec(), b"w2".to_vec(), 60)]);
                Ok(())
            })
            .unwrap();
    }

    pub fn a_wallet_keeps_its_account_and_every_certificate_and_goes_forward(store: impl Store) {
        store
            .write(|tx| {
                let a = account(tx, "carol", 0)?;
                let b = account(tx, "dave", 0)?;
                tx.put_wallet(&wallet(b"w", a, b"cert1"))?;
                tx.put_wallet(&wallet(b"w", b, b"cert2"))?;
                assert_eq!(tx.wallet_account(b"w")?, Some(a), "a renewal keeps the account");
                assert_eq!(tx.wallet_key(b"w")?, Some((a, b"pk".to_vec(), 1)));
                assert_eq!(tx.wallet_certificate(b"w")?, Some(b"cert2".to_vec()));
                let mut history = tx.certificates_of(b"w")?;
                history.sort();
                assert_eq!(history, vec![b"cert1".to_vec(), b"cert2".to_vec()]);
                assert_eq!(tx.all_certificates()?.len(), 2);
                assert_eq!(tx.sync_state(b"w")?, (None, None, None));
                tx.advance(b"w", 3, b"head3", Some(7))?;
                tx.advance(b"w", 4, b"head4", None)?;
                assert_eq!(tx.sync_state(b"w")?, (Some(4), Some(b"head4".to_vec()), Some(7)), "a length stays known");
                assert_eq!(tx.head_counter(b"w", b"head3")?, Some(3));
                assert_eq!(tx.head_counter(b"w", b"other")?, None);
                tx.mark_rolled_back(b"w")?;
                assert_eq!(tx.wallet_account(b"unknown")?, None);
                Ok(())
            })
            .unwrap();
    }

    pub fn a_nonce_is_used_once_until_it_is_forgotten(store: impl Store) {
        assert!(store.write(|tx| tx.use_nonce(b"w", b"n1", 100)).unwrap());
        assert!(!store.write(|tx| tx.use_nonce(b"w", b"n1", 100)).unwrap(), "a replay");
        assert!(store.write(|tx| tx.use_nonce(b"v", b"n1", 100)).unwrap(), "another wallet's nonce");
        assert_eq!(store.write(|tx| tx.forget_nonces_before(100)).unwrap(), 0);
        assert_eq!(store.write(|tx| tx.forget_nonces_before(101)).unwrap(), 2);
    }

    pub fn evidence_is_stored_once_and_guarantees_paid_once(store: impl Store) {
        store
            .write(|tx| {
                let a = account(tx, "erin", 0)?;
                let d = NewDoubleSpend {
                    parent: b"p",
                    signer: b"s",
                    accepted: Some((b"l1", b"bytes1")),
                    conflicting: b"l2",
                    conflicting_bytes: b"bytes2",
                    at: 5,
                };
                assert!(tx.record_double_spend(&d)?);
                assert!(!tx.record_double_spend(&d)?, "a proof is stored once");
                assert!(tx.proof_known(b"l2")? && !tx.proof_known(b"l1")?);
                assert!(tx.guarantee_once(b"p", a, b"l2", 30, 5)?);
                assert!(!tx.guarantee_once(b"p", a, b"l3", 30, 6)?, "once per parent and account");
                tx.settle_double_spend(b"l2", 30, 10)?;
                let rows = tx.double_spend_rows()?;
                assert_eq!(rows.len(), 1);
                assert_eq!(rows[0].2.as_deref(), Some(b"bytes1".as_slice()));
                assert_eq!((rows[0].4, rows[0].6), (30, 10));
                let t = tx.totals()?;
                assert_eq!((t.guaranteed, t.double_spends), (30, 1));
                // A reused counter: links of one signer with one counter.
                let first = link(1, 1, b"first");
                tx.record_link(&row(&first, &[7; 32]))?;
                assert!(tx.link_exists(&[1; 32])?);
                assert_eq!(tx.link_with_counter(&[7; 32], 7, &[2; 32])?, Some(vec![1; 32]));
                assert_eq!(tx.link_with_counter(&[7; 32], 7, &[1; 32])?, None, "not itself");
                assert!(tx.record_counter_reuse(&[7; 32], 7, &[1; 32], (&[2; 32], b"second"), 8)?);
                assert!(!tx.record_counter_reuse(&[7; 32], 7, &[1; 32], (&[2; 32], b"second"), 9)?);
                assert_eq!(tx.counter_reuse_rows()?, vec![(vec![7; 32], 7, b"first".to_vec(), b"second".to_vec(), 8)]);
                assert!(tx.take_counter_reuses(&[7; 32])?);
                assert!(!tx.take_counter_reuses(&[7; 32])?, "reported once");
                Ok(())
            })
            .unwrap();
    }

    pub fn a_lost_wallets_notes_come_due_at_its_return_time(store: impl Store) {
        store
            .write(|tx| {
                let a = account(tx, "frank", 0)?;
                tx.put_wallet(&wallet(b"w", a, b"c"))?;
                tx.insert_genesis(b"n", b"w", 25, 1_000_000, b"d")?;
                assert_eq!(tx.lost_report(b"w")?, None);
                tx.record_lost(b"w", a, 10, 50)?;
                assert_eq!(tx.lost_report(b"w")?, Some((10, 50)));
                assert_eq!(tx.lost_due(49)?, vec![]);
                assert_eq!(tx.lost_due(50)?, vec![(b"n".to_vec(), 25, a)]);
                assert!(!tx.is_revoked(&WalletId([3; 32]))?);
                tx.revoke(&WalletId([3; 32]), RevocationReason::Lost, 10)?;
                assert!(tx.is_revoked(&WalletId([3; 32]))?);
                Ok(())
            })
            .unwrap();
    }

    pub fn meta_values_are_replaced_and_rotations_kept_in_order(store: impl Store) {
        store
            .write(|tx| {
                assert_eq!(tx.meta_get("policy")?, None);
                tx.meta_put("policy", b"one")?;
                tx.meta_put("policy", b"two")?;
                assert_eq!(tx.meta_get("policy")?, Some(b"two".to_vec()));
                tx.add_key_rotation(3, b"s3", b"r3", 1)?;
                tx.add_key_rotation(2, b"s2", b"r2", 1)?;
                assert_eq!(
                    tx.key_rotations()?,
                    vec![(b"s2".to_vec(), b"r2".to_vec()), (b"s3".to_vec(), b"r3".to_vec())]
                );
                Ok(())
            })
            .unwrap();
    }

    /// A read runs beside a writing transaction that is still open: it neither waits for it
    /// nor sees what it has not committed, and sees it once committed. A read cannot write.
    pub fn a_read_does_not_wait_for_a_writer_and_sees_only_commits(store: impl Store) {
        use std::sync::mpsc::channel;
        assert!(store.write(|tx| tx.use_nonce(b"w", b"committed", 100)).unwrap());
        let seen = |store: &dyn Fn() -> Result<(bool, bool), IssuerError>| store().unwrap();
        let read = || store.read(|tx| Ok((tx.nonce_seen(b"w", b"committed")?, tx.nonce_seen(b"w", b"open")?)));
        let (inside, writer_inside) = channel();
        let (release, released) = channel::<()>();
        let (done, read_done) = channel();
        let writer = &store;
        std::thread::scope(|s| {
            s.spawn(move || {
                writer
                    .write(|tx| {
                        assert!(tx.use_nonce(b"w", b"open", 100)?);
                        inside.send(()).unwrap();
                        released.recv().unwrap();
                        Ok(())
                    })
                    .unwrap();
            });
            writer_inside.recv().unwrap();
            s.spawn(|| done.send(seen(&read)).unwrap());
            // If the read waited for the writer, it would never come: the writer waits for it.
            let during = read_done.recv_timeout(std::time::Duration::from_secs(60));
            release.send(()).unwrap();
            assert_eq!(during, Ok((true, false)), "a read beside an open write: committed yes, uncommitted no");
        });
        assert_eq!(seen(&read), (true, true), "after the commit");
        assert!(store.read(|tx| tx.use_nonce(b"w", b"from a read", 100)).is_err(), "a read wrote");
        assert!(!store.read(|tx| tx.nonce_seen(b"w", b"from a read")).unwrap());
    }

    use super::suite::{link, row};
}

/// The test bodies, generic over the backend.
mod suite {
    use std::sync::Barrier;

    use super::*;

    pub fn link(id: u8, parent: u8, bytes: &[u8]) -> ([u8; 32], [u8; 32], Vec<u8>) {
        ([id; 32], [parent; 32], bytes.to_vec())
    }

    pub fn row<'a>(l: &'a ([u8; 32], [u8; 32], Vec<u8>), signer: &'a [u8; 32]) -> LinkRow<'a> {
        LinkRow { id: &l.0, parent: &l.1, signer, bytes: &l.2, counter: 7, settled_at: 1_000 }
    }

    pub fn a_parent_is_spent_once_and_the_first_link_is_the_evidence(store: impl Store) {
        let signer = [9u8; 32];
        let first = link(1, 100, b"first");
        let second = link(2, 100, b"second");
        assert_eq!(store.write(|tx| tx.record_link(&row(&first, &signer))).unwrap(), Recorded::New);
        assert_eq!(store.write(|tx| tx.record_link(&row(&first, &signer))).unwrap(), Recorded::Duplicate);
        // The conflict is an answer inside the transaction, which goes on and commits.
        let (recorded, other) = store
            .write(|tx| {
                let recorded = tx.record_link(&row(&second, &signer))?;
                let other = tx.record_link(&row(&link(3, 101, b"other"), &signer))?;
                Ok((recorded, other))
            })
            .unwrap();
        assert_eq!(recorded, Recorded::ParentTaken { id: vec![1; 32], bytes: b"first".to_vec() });
        assert_eq!(other, Recorded::New, "the transaction goes on after a taken parent");
        let holder = store.write(|tx| tx.link_by_parent(&[100; 32])).unwrap();
        assert_eq!(holder, Some((vec![1; 32], b"first".to_vec())));
        assert_eq!(store.write(|tx| tx.link_by_parent(&[101; 32])).unwrap().map(|h| h.0), Some(vec![3; 32]));
        assert_eq!(store.write(|tx| tx.link_by_parent(&[102; 32])).unwrap(), None);
    }

    pub fn a_contended_transaction_is_run_again_and_only_its_last_run_counts(store: impl Store) {
        let signer = [9u8; 32];
        let l = link(1, 100, b"once");
        let mut runs = 0;
        let recorded = store
            .write(|tx| {
                runs += 1;
                let recorded = tx.record_link(&row(&l, &signer))?;
                if runs < 3 {
                    return Err(IssuerError::Contended { what: "test".into() });
                }
                Ok(recorded)
            })
            .unwrap();
        assert_eq!(runs, 3);
        // The first two runs were rolled back: the third one recorded the link afresh.
        assert_eq!(recorded, Recorded::New);
    }

    pub fn contention_that_does_not_end_is_reported_after_the_last_attempt(store: impl Store) {
        let mut runs = 0u32;
        let result: Result<(), _> = store.write(|_| {
            runs += 1;
            Err(IssuerError::Contended { what: "always".into() })
        });
        assert!(matches!(result, Err(IssuerError::Contended { .. })));
        assert_eq!(runs, MAX_ATTEMPTS);
    }

    pub fn an_error_rolls_everything_back_and_is_not_retried(store: impl Store) {
        let signer = [9u8; 32];
        let l = link(1, 100, b"rolled back");
        let mut runs = 0;
        let result: Result<(), _> = store.write(|tx| {
            runs += 1;
            tx.record_link(&row(&l, &signer))?;
            tx.revoke(&WalletId(signer), RevocationReason::DoubleSpend, 5)?;
            Err(IssuerError::Internal { what: "test".into() })
        });
        assert!(matches!(result, Err(IssuerError::Internal { .. })));
        assert_eq!(runs, 1);
        assert_eq!(store.write(|tx| tx.link_by_parent(&[100; 32])).unwrap(), None);
        assert_eq!(store.write(|tx| tx.revocation_sequence()).unwrap(), 0);
    }

    pub fn revocations_get_growing_sequences_and_a_wallet_is_revoked_once(store: impl Store) {
        let (a, b) = (WalletId([1; 32]), WalletId([2; 32]));
        assert_eq!(store.write(|tx| tx.revocation_sequence()).unwrap(), 0);
        let first = store.write(|tx| tx.revoke(&a, RevocationReason::DoubleSpend, 10)).unwrap();
        let again = store.write(|tx| tx.revoke(&a, RevocationReason::Lost, 11)).unwrap();
        let second = store.write(|tx| tx.revoke(&b, RevocationReason::Lost, 12)).unwrap();
        assert_eq!(first, Some(1));
        assert_eq!(again, None, "a revoked wallet keeps its sequence");
        assert_eq!(second, Some(2));
        assert_eq!(store.write(|tx| tx.revocation_sequence()).unwrap(), 2);
        assert_eq!(store.write(|tx| tx.revocations()).unwrap(), vec![(1, vec![1; 32]), (2, vec![2; 32])]);
    }

    pub fn an_answer_is_stored_once_under_its_key(store: impl Store) {
        let (a, b) = (WalletId([1; 32]), WalletId([2; 32]));
        let key = b"sync:0123456789abcdef".as_slice();
        assert_eq!(store.write(|tx| tx.batch_answer(&a, key)).unwrap(), None);
        assert!(store.write(|tx| tx.store_batch(&a, key, &[7; 32], "{\"first\":1}")).unwrap());
        assert!(!store.write(|tx| tx.store_batch(&a, key, &[8; 32], "{\"second\":2}")).unwrap());
        assert_eq!(store.write(|tx| tx.batch_answer(&a, key)).unwrap(), Some((vec![7; 32], "{\"first\":1}".into())));
        // The key is the wallet's own: another wallet's batch with the same id is another batch.
        assert!(store.write(|tx| tx.store_batch(&b, key, &[9; 32], "{}")).unwrap());
        assert_eq!(store.write(|tx| tx.batch_answer(&b, key)).unwrap().map(|s| s.0), Some(vec![9; 32]));
    }

    /// One batch sent to two nodes at once: one answer is stored, and it is the winner's.
    pub fn two_nodes_answering_one_batch_at_once_keep_one_answer(nodes: (impl Store, impl Store)) {
        const BATCHES: u8 = 24;
        let wallet = WalletId([1; 32]);
        let barrier = Barrier::new(2);
        let (a, b) = nodes;
        let answer_all = |store: &dyn Fn(&[u8], &str) -> bool, node: &str| {
            (0..BATCHES).map(|i| store(&[i; 16], &format!("{node}{i}"))).collect::<Vec<_>>()
        };
        let (wa, wb) = std::thread::scope(|s| {
            let ha = s.spawn(|| {
                let store = |k: &[u8], text: &str| a.write(|tx| tx.store_batch(&wallet, k, &[1; 32], text)).unwrap();
                barrier.wait();
                answer_all(&store, "a")
            });
            let hb = s.spawn(|| {
                let store = |k: &[u8], text: &str| b.write(|tx| tx.store_batch(&wallet, k, &[1; 32], text)).unwrap();
                barrier.wait();
                answer_all(&store, "b")
            });
            (ha.join().unwrap(), hb.join().unwrap())
        });
        for i in 0..BATCHES {
            let (x, y) = (wa[usize::from(i)], wb[usize::from(i)]);
            assert!(x != y, "batch {i}: exactly one node stores its answer");
            let stored = b.write(|tx| tx.batch_answer(&wallet, &[i; 16])).unwrap().unwrap().1;
            assert_eq!(stored, format!("{}{i}", if x { "a" } else { "b" }));
        }
    }

    /// Two nodes over one database record, at the same moment, a different link for each of
    /// the same parents: every parent is spent exactly once, the other link names the winner.
    pub fn two_nodes_recording_conflicting_links_at_once_accept_exactly_one_each(nodes: (impl Store, impl Store)) {
        const PARENTS: u8 = 24;
        let signer = [9u8; 32];
        let barrier = Barrier::new(2);
        let run = |store: &dyn Fn(&LinkRow<'_>) -> Recorded, base: u8| {
            (0..PARENTS)
                .map(|p| {
                    let l = link(base + p, p, &[base + p]);
                    store(&row(&l, &signer))
                })
                .collect::<Vec<_>>()
        };
        let (a, b) = nodes;
        let (ra, rb) = std::thread::scope(|s| {
            let ha = s.spawn(|| {
                let record = |r: &LinkRow<'_>| a.write(|tx| tx.record_link(r)).unwrap();
                barrier.wait();
                run(&record, 100)
            });
            let hb = s.spawn(|| {
                let record = |r: &LinkRow<'_>| b.write(|tx| tx.record_link(r)).unwrap();
                barrier.wait();
                run(&record, 200)
            });
            (ha.join().unwrap(), hb.join().unwrap())
        });
        for p in 0..PARENTS {
            let (x, y) = (&ra[usize::from(p)], &rb[usize::from(p)]);
            let winner = a.write(|tx| tx.link_by_parent(&[p; 32])).unwrap().unwrap().0;
            match (x, y) {
                (Recorded::New, Recorded::ParentTaken { id, .. }) => {
                    assert_eq!(id, &vec![100 + p; 32]);
                    assert_eq!(winner, vec![100 + p; 32]);
                }
                (Recorded::ParentTaken { id, .. }, Recorded::New) => {
                    assert_eq!(id, &vec![200 + p; 32]);
                    assert_eq!(winner, vec![200 + p; 32]);
                }
                other => panic!("parent {p}: not exactly one accepted: {other:?}"),
            }
        }
    }

    /// Two nodes revoking different wallets at once hand out distinct sequences 1..=n.
    pub fn two_nodes_revoking_at_once_hand_out_distinct_sequences(nodes: (impl Store, impl Store)) {
        const EACH: u8 = 12;
        let barrier = Barrier::new(2);
        let (a, b) = nodes;
        let revoke_all = |store: &dyn Fn(&WalletId) -> Option<u64>, base: u8| {
            (0..EACH).map(|i| store(&WalletId([base + i; 32])).unwrap()).collect::<Vec<_>>()
        };
        let (mut sa, sb) = std::thread::scope(|s| {
            let ha = s.spawn(|| {
                let revoke = |w: &WalletId| a.write(|tx| tx.revoke(w, RevocationReason::Lost, 1)).unwrap();
                barrier.wait();
                revoke_all(&revoke, 0)
            });
            let hb = s.spawn(|| {
                let revoke = |w: &WalletId| b.write(|tx| tx.revoke(w, RevocationReason::Lost, 1)).unwrap();
                barrier.wait();
                revoke_all(&revoke, 100)
            });
            (ha.join().unwrap(), hb.join().unwrap())
        });
        // Each node's own sequences grow (a later commit never gets a smaller one).
        assert!(sa.windows(2).all(|w| w[0] < w[1]) && sb.windows(2).all(|w| w[0] < w[1]));
        sa.extend(sb);
        sa.sort_unstable();
        assert_eq!(sa, (1..=u64::from(EACH) * 2).collect::<Vec<_>>());
        assert_eq!(a.write(|tx| tx.revocation_sequence()).unwrap(), u64::from(EACH) * 2);
    }
}

/// Instantiates every test of [`suite`] for one backend: `$make` gives a fresh store (or
/// `None`: backend not available here, the test passes with a note), `$pair` two stores
/// ("nodes") over one fresh database.
macro_rules! store_conformance {
    ($backend:ident, $make:path, $pair:path) => {
        mod $backend {
            store_conformance!(@one $make, a_parent_is_spent_once_and_the_first_link_is_the_evidence);
            store_conformance!(@one $make, a_contended_transaction_is_run_again_and_only_its_last_run_counts);
            store_conformance!(@one $make, contention_that_does_not_end_is_reported_after_the_last_attempt);
            store_conformance!(@one $make, an_error_rolls_everything_back_and_is_not_retried);
            store_conformance!(@one $make, revocations_get_growing_sequences_and_a_wallet_is_revoked_once);
            store_conformance!(@one $pair, two_nodes_recording_conflicting_links_at_once_accept_exactly_one_each);
            store_conformance!(@one $pair, two_nodes_revoking_at_once_hand_out_distinct_sequences);
            store_conformance!(@one $make, an_answer_is_stored_once_under_its_key);
            store_conformance!(@one $pair, two_nodes_answering_one_batch_at_once_keep_one_answer);
            store_conformance!(@agg $make, accounts_book_every_change_with_its_ledger_entry);
            store_conformance!(@agg $make, a_challenge_is_used_once_by_its_account_before_it_expires_and_a_tier_is_kept);
            store_conformance!(@agg $make, notes_move_through_their_states_and_children_expire_with_their_parent);
            store_conformance!(@agg $make, a_batch_of_links_is_read_and_written_in_a_few_statements);
            store_conformance!(@agg $make, a_wallet_keeps_its_account_and_every_certificate_and_goes_forward);
            store_conformance!(@agg $make, a_nonce_is_used_once_until_it_is_forgotten);
            store_conformance!(@agg $make, a_read_does_not_wait_for_a_writer_and_sees_only_commits);
            store_conformance!(@agg $make, evidence_is_stored_once_and_guarantees_paid_once);
            store_conformance!(@agg $make, a_lost_wallets_notes_come_due_at_its_return_time);
            store_conformance!(@agg $make, meta_values_are_replaced_and_rotations_kept_in_order);
        }
    };
    (@agg $make:path, $name:ident) => {
        #[test]
        fn $name() {
            match $make() {
                Some(store) => crate::aggregates::$name(store),
                None => eprintln!("skipped: backend not configured (OC_TEST_PG_URL)"),
            }
        }
    };
    (@one $make:path, $name:ident) => {
        #[test]
        fn $name() {
            match $make() {
                Some(store) => super::suite::$name(store),
                None => eprintln!("skipped: backend not configured (OC_TEST_PG_URL)"),
            }
        }
    };
}

mod sqlite_backend {
    use offline_cash_issuer::store::sqlite::SqliteStore;

    fn temp_file() -> std::path::PathBuf {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("oc-store-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("issuer.db");
        let _ = std::fs::remove_file(&path);
        path
    }

    pub fn make() -> Option<SqliteStore> {
        Some(SqliteStore::open(&temp_file()).unwrap())
    }

    /// Two connections to one file, as two processes would have.
    pub fn pair() -> Option<(SqliteStore, SqliteStore)> {
        let path = temp_file();
        Some((SqliteStore::open(&path).unwrap(), SqliteStore::open(&path).unwrap()))
    }
}

store_conformance!(sqlite, crate::sqlite_backend::make, crate::sqlite_backend::pair);

/// An in-memory database cannot be opened a second time (that would be another, empty one):
/// its reads run on the writer's connection and see what was written.
#[test]
fn an_in_memory_sqlite_store_reads_what_it_wrote() {
    use offline_cash_issuer::store::Nonces as _;
    use offline_cash_issuer::store::sqlite::SqliteStore;
    let store = SqliteStore::open(std::path::Path::new(":memory:")).unwrap();
    assert!(store.write(|tx| tx.use_nonce(b"w", b"n", 100)).unwrap());
    assert!(store.read(|tx| tx.nonce_seen(b"w", b"n")).unwrap());
}

#[cfg(feature = "postgres")]
mod postgres_backend {
    use offline_cash_issuer::store::postgres::PgStore;

    /// A fresh database on the server named by `OC_TEST_PG_URL`, or `None` if it is not set.
    pub fn fresh_database() -> Option<postgres::Config> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let url = std::env::var("OC_TEST_PG_URL").ok()?;
        let mut config: postgres::Config = url.parse().unwrap();
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("oc_test_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut admin = config.connect(postgres::NoTls).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        config.dbname(&name);
        Some(config)
    }

    pub fn make() -> Option<PgStore> {
        Some(PgStore::with_config(&fresh_database()?).unwrap())
    }

    /// Two issuer nodes: two connections (two stores) over one database.
    pub fn pair() -> Option<(PgStore, PgStore)> {
        let config = fresh_database()?;
        Some((PgStore::with_config(&config).unwrap(), PgStore::with_config(&config).unwrap()))
    }
}

#[cfg(feature = "postgres")]
store_conformance!(postgres, crate::postgres_backend::make, crate::postgres_backend::pair);

/// The PostgreSQL schema: migrated step by step, an upgraded database equals a fresh one.
#[cfg(feature = "postgres")]
mod postgres_migrations {
    use offline_cash_issuer::IssuerError;
    use offline_cash_issuer::store::postgres::{CURRENT_VERSION, migrate};

    /// Every column and index of the current schema, as PostgreSQL reports them.
    fn schema(client: &mut postgres::Client) -> Vec<String> {
        let mut out: Vec<String> = client
            .query(
                "SELECT table_name, column_name, data_type, is_nullable, COALESCE(column_default, '')
                 FROM information_schema.columns WHERE table_schema = current_schema()
                 ORDER BY table_name, column_name",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| {
                let cols: Vec<String> = (0..5).map(|i| r.get::<_, String>(i)).collect();
                cols.join(" ")
            })
            .collect();
        out.extend(
            client
                .query("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname", &[])
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0)),
        );
        out
    }

    #[test]
    fn a_database_of_every_older_version_upgrades_to_the_fresh_schema() {
        let Some(config) = crate::postgres_backend::fresh_database() else {
            return eprintln!("skipped: OC_TEST_PG_URL not set");
        };
        let mut fresh = config.connect(postgres::NoTls).unwrap();
        migrate(&mut fresh, CURRENT_VERSION).unwrap();
        let want = schema(&mut fresh);
        assert!(want.iter().any(|c| c.starts_with("links counter bigint")), "{want:?}");
        assert!(want.iter().any(|c| c.starts_with("batches response text")), "{want:?}");
        for version in 0..CURRENT_VERSION {
            let config = crate::postgres_backend::fresh_database().unwrap();
            let mut old = config.connect(postgres::NoTls).unwrap();
            migrate(&mut old, version).unwrap();
            migrate(&mut old, CURRENT_VERSION).unwrap();
            assert_eq!(schema(&mut old), want, "upgraded from version {version}");
            // Migrating again changes nothing.
            migrate(&mut old, CURRENT_VERSION).unwrap();
            assert_eq!(schema(&mut old), want);
        }
    }

    /// The shared request budget (PostgreSQL only: on SQLite it is in memory).
    #[test]
    fn a_request_budget_is_spent_at_once_then_refilled_one_per_interval() {
        use offline_cash_issuer::store::{RateBuckets as _, Store as _};
        let Some(config) = crate::postgres_backend::fresh_database() else {
            return eprintln!("skipped: OC_TEST_PG_URL not set");
        };
        let store = offline_cash_issuer::store::postgres::PgStore::with_config(&config).unwrap();
        let take = |now| store.write(|tx| tx.take_request(b"w", now, 1_000, 2)).unwrap();
        assert_eq!(take(10_000), Ok(()));
        assert_eq!(take(10_000), Ok(()));
        assert_eq!(take(10_000), Err(1_000), "burst spent: the next one passes a second later");
        assert_eq!(take(10_500), Err(500));
        assert_eq!(take(11_000), Ok(()));
        assert_eq!(store.write(|tx| tx.take_request(b"v", 11_000, 1_000, 2)).unwrap(), Ok(()), "per wallet");
    }

    /// The plan PostgreSQL caches for a prepared statement (its generic plan) as run once, line
    /// by line: `table` analysed first, then `PREPARE {prepare}`, then `EXPLAIN ANALYZE EXECUTE
    /// {execute}`.
    fn generic_plan(config: &postgres::Config, table: &str, prepare: &str, execute: &str) -> Vec<String> {
        let mut client = config.connect(postgres::NoTls).unwrap();
        client.batch_execute(&format!("ANALYZE {table}; SET plan_cache_mode = force_generic_plan")).unwrap();
        client.batch_execute(&format!("PREPARE {prepare}")).unwrap();
        client
            .query(&format!("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE {execute}"), &[])
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect()
    }

    /// A signer's recorded counters are read through the index on (signer, counter) in the plan
    /// PostgreSQL caches for the statement (its generic plan): none of the signer's other links
    /// is read and thrown away, however many it has made. With `counter IN (…)` instead, the
    /// generic plan used the index for the signer only and filtered all of the signer's links,
    /// and settlement slowed as a wallet's history grew.
    #[test]
    fn a_signers_counters_are_read_as_an_index_range_however_long_its_history() {
        use offline_cash_issuer::store::link_sets::COUNTER_RANGE_SQL;
        use offline_cash_issuer::store::{LinkRow, LinkSets as _, Store as _};
        let Some(config) = crate::postgres_backend::fresh_database() else {
            return eprintln!("skipped: OC_TEST_PG_URL not set");
        };
        let store = offline_cash_issuer::store::postgres::PgStore::with_config(&config).unwrap();
        const HISTORY: u16 = 4_000;
        let id = |tag: u8, i: u16| {
            let mut b = [tag; 32];
            b[..2].copy_from_slice(&i.to_be_bytes());
            b
        };
        let ids: Vec<([u8; 32], [u8; 32])> = (0..HISTORY).map(|i| (id(1, i), id(2, i))).collect();
        let rows: Vec<LinkRow<'_>> = ids
            .iter()
            .zip(0i64..)
            .map(|((link, parent), counter)| LinkRow {
                id: link,
                parent,
                signer: &[9; 32],
                bytes: b"l",
                settled_at: 1,
                counter,
            })
            .collect();
        assert_eq!(store.write(|tx| tx.record_links(&rows)).unwrap().len(), usize::from(HISTORY));
        let plan = generic_plan(
            &config,
            "links",
            &format!("counters (bytea, bigint, bigint) AS {COUNTER_RANGE_SQL}"),
            "counters(decode(repeat('09', 32), 'hex'), 3000, 3009)",
        );
        let text = plan.join("\n");
        assert!(text.contains("links_signer_counter"), "{text}");
        assert!(
            plan.iter().any(|l| l.contains("Index Cond") && l.contains("signer") && l.contains("counter")),
            "both columns are index conditions: {text}"
        );
        assert!(!text.contains("Rows Removed by Filter"), "no row read to be dropped: {text}");
        assert!(plan.first().is_some_and(|l| l.contains("rows=10")), "the ten asked about: {text}");
    }

    /// The holding limit of a funding reads the owner's live notes only (decision 0026), in
    /// PostgreSQL's generic plan: neither the owner's spent notes, however many it held, nor
    /// the live notes of others.
    #[test]
    fn the_value_an_owner_holds_is_read_from_its_live_notes_only() {
        use offline_cash_issuer::store::notes::{HELD_LIVE_SQL, NoteState};
        use offline_cash_issuer::store::{Notes as _, Store as _};
        let Some(config) = crate::postgres_backend::fresh_database() else {
            return eprintln!("skipped: OC_TEST_PG_URL not set");
        };
        let store = offline_cash_issuer::store::postgres::PgStore::with_config(&config).unwrap();
        store
            .write(|tx| {
                for i in 0..2_000u16 {
                    let mut id = [1u8; 32];
                    id[..2].copy_from_slice(&i.to_be_bytes());
                    tx.insert_genesis(&id, &[9; 32], 10, 5_000, b"d")?;
                    if i >= 3 {
                        tx.set_note_state(&id, NoteState::Spent)?;
                    }
                    // Another owner's live note.
                    let mut other = [2u8; 32];
                    other[..2].copy_from_slice(&i.to_be_bytes());
                    tx.insert_genesis(&other, &other, 10, 5_000, b"d")?;
                }
                assert_eq!(tx.held_live(&[9; 32])?, 30);
                Ok(())
            })
            .unwrap();
        let plan = generic_plan(
            &config,
            "notes",
            &format!("held (bytea) AS {HELD_LIVE_SQL}"),
            "held(decode(repeat('09', 32), 'hex'))",
        );
        let text = plan.join("\n");
        assert!(text.contains("using notes_live_owner"), "{text}");
        assert!(!text.contains("Rows Removed by Filter"), "no spent note read: {text}");
    }

    /// The expiry sweep reads the live notes by expiry (decision 0028), in PostgreSQL's
    /// generic plan: none of the notes spent before, however many were issued.
    #[test]
    fn expired_notes_are_found_among_the_live_ones_only() {
        use offline_cash_issuer::store::notes::{EXPIRED_LIVE_SQL, NoteState};
        use offline_cash_issuer::store::{Notes as _, Store as _};
        let Some(config) = crate::postgres_backend::fresh_database() else {
            return eprintln!("skipped: OC_TEST_PG_URL not set");
        };
        let store = offline_cash_issuer::store::postgres::PgStore::with_config(&config).unwrap();
        store
            .write(|tx| {
                for i in 0..4_000u16 {
                    let mut id = [3u8; 32];
                    id[..2].copy_from_slice(&i.to_be_bytes());
                    tx.insert_genesis(&id, &[9; 32], 10, 1_000 + i64::from(i), b"d")?;
                    if i >= 3 {
                        tx.set_note_state(&id, NoteState::Spent)?;
                    }
                }
                Ok(())
            })
            .unwrap();
        let plan =
            generic_plan(&config, "notes", &format!("expired (bigint) AS {EXPIRED_LIVE_SQL}"), "expired(1000000)");
        let text = plan.join("\n");
        assert!(text.contains("notes_live_expiry"), "{text}");
        assert!(!text.contains("Rows Removed by Filter"), "no spent note read: {text}");
    }

    #[test]
    fn a_newer_schema_is_refused_and_left_alone() {
        let Some(config) = crate::postgres_backend::fresh_database() else {
            return eprintln!("skipped: OC_TEST_PG_URL not set");
        };
        let mut client = config.connect(postgres::NoTls).unwrap();
        migrate(&mut client, CURRENT_VERSION).unwrap();
        client.execute("UPDATE oc_schema SET version = version + 1", &[]).unwrap();
        let err = migrate(&mut client, CURRENT_VERSION).unwrap_err();
        assert!(matches!(err, IssuerError::SchemaTooNew { found, .. } if found == CURRENT_VERSION + 1), "{err:?}");
    }
}
