//! Test support for the store (feature `test-support`): a provisioned wallet with its store,
//! payments built the way the protocol will build them, and temporary directories.
//!
//! Payment and receipt bytes here are stand-ins (concatenated stored chains, a digest): the
//! store treats them as opaque, which is the point.

use std::path::{Path, PathBuf};

use super::{IncomingPayment, KeyLocation, PendingSpend, Store, WalletIdentity, encode_chain};
use crate::crypto::{Suite, sha256};
use crate::testkit::{T0, TestIssuer, TestWallet};
use crate::token::{Chain, LinkBody, Output, SpendLink, WalletId};

/// Any failure in test setup.
pub type TestResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory whose name contains `label`, the process id and a counter.
    pub fn new(label: &str) -> std::io::Result<Self> {
        Self::new_in(&std::env::temp_dir(), label)
    }

    /// As [`TempDir::new`], under `base`.
    pub fn new_in(base: &Path, label: &str) -> std::io::Result<Self> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let path = base.join(format!("offline-cash-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A test wallet and its provisioned store.
#[derive(Debug)]
pub struct StoreWallet {
    /// The key and certificate.
    pub wallet: TestWallet,
    /// Its store.
    pub store: Store,
}

impl StoreWallet {
    /// A new P-256 wallet certified by `issuer`, with identity, certificate, policy and issuer
    /// key installed in `store`.
    pub fn provision(issuer: &TestIssuer, store: Store) -> TestResult<Self> {
        let wallet = TestWallet::new(issuer, Suite::EcdsaP256)?;
        Self::provision_with(issuer, wallet, store)
    }

    /// As [`StoreWallet::provision`], for an existing wallet.
    pub fn provision_with(issuer: &TestIssuer, wallet: TestWallet, mut store: Store) -> TestResult<Self> {
        store.set_identity(&WalletIdentity {
            public_key: wallet.cert.body().public_key.clone(),
            key: KeyLocation::Wrapped(b"wrapped secret (test)".to_vec()),
        })?;
        store.set_certificate(&wallet.cert)?;
        store.set_policy(&issuer.policy)?;
        store.set_issuer_keys(std::slice::from_ref(&issuer.key))?;
        Ok(Self { wallet, store })
    }

    /// The wallet id.
    pub fn id(&self) -> WalletId {
        self.wallet.id()
    }

    /// Issues notes of `amounts` to this wallet and adds them to its store.
    pub fn fund(&mut self, issuer: &TestIssuer, amounts: &[u64], now: u64) -> TestResult<u64> {
        let chains =
            amounts.iter().map(|a| Ok(Chain::genesis(issuer.issue(self.id(), *a)?))).collect::<TestResult<Vec<_>>>()?;
        Ok(self.store.fund(&chains, now)?)
    }

    /// Builds (but does not commit) a payment of `amount` to `payee` the way the protocol does:
    /// coin selection, one link per note with the next counter, change back to self.
    /// Returns the pending spend and the payee's side of it.
    pub fn prepare_payment(
        &self,
        payee: WalletId,
        amount: u64,
        now: u64,
    ) -> TestResult<(PendingSpend, IncomingPayment)> {
        let selection = self.store.select_coins(amount, now)?;
        let counter = self.store.next_counter()?;
        // One request nonce per payment (a request is paid once): the counter, twice.
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&counter.to_be_bytes());
        nonce[8..].copy_from_slice(&counter.to_be_bytes());
        let mut spent_notes = Vec::new();
        let mut links = Vec::new();
        let mut payee_chains = Vec::new();
        let mut change = Vec::new();
        let mut sign = |chain: &Chain, outputs: Vec<Output>| -> TestResult<SpendLink> {
            let link = SpendLink::sign(
                LinkBody { parent: chain.head, outputs, counter, payee_nonce: nonce, time: now },
                &self.wallet.signer,
            )?;
            spent_notes.push(chain.head);
            links.push(link.clone());
            Ok(link)
        };
        for note in &selection.full {
            let link = sign(&note.chain, vec![Output { owner: payee, amount: note.amount }])?;
            payee_chains.push(note.chain.extended(link, 0));
        }
        if let Some(split) = &selection.split {
            let outputs = vec![
                Output { owner: payee, amount: split.to_payee },
                Output { owner: self.id(), amount: split.change },
            ];
            let link = sign(&split.note.chain, outputs)?;
            payee_chains.push(split.note.chain.extended(link.clone(), 0));
            change.push(split.note.chain.extended(link, 1));
        }
        let payment_bytes: Vec<u8> = payee_chains.iter().flat_map(encode_chain).collect();
        let payment_hash = sha256(&[b"payment", &payment_bytes]);
        let spend = PendingSpend {
            payment_hash,
            payee,
            request_nonce: nonce,
            amount,
            spent_notes,
            links,
            change,
            payment_bytes,
            counter,
            now,
        };
        let incoming = IncomingPayment {
            // The chains are real, the payment bytes are stand-ins: nothing to verify them as.
            verified: crate::token::ChainVerified::unverified_for_store_tests(),
            payment_hash,
            payer: self.id(),
            amount,
            chains: payee_chains,
            receipt_bytes: sha256(&[b"receipt", &payment_hash]).to_vec(),
            now,
        };
        Ok((spend, incoming))
    }

    /// Pays `payee` in full: begin, receive, complete. Returns the payment hash.
    pub fn pay(&mut self, payee: &mut StoreWallet, amount: u64, now: u64) -> TestResult<[u8; 32]> {
        let (spend, incoming) = self.prepare_payment(payee.id(), amount, now)?;
        self.store.begin_spend(&spend)?;
        let receipt = match payee.store.receive(&incoming)? {
            super::Received::New => incoming.receipt_bytes.clone(),
            super::Received::Duplicate { receipt_bytes } => receipt_bytes,
        };
        let _ = self.store.complete_spend(&spend.payment_hash, &receipt, now)?;
        Ok(spend.payment_hash)
    }
}

/// Commits `pending` (a payment the protocol's payer machine prepared for `wallet`) in a fresh
/// in-memory store that holds the notes it spends (`spent`), and returns the store's proof
/// that the spend is durable: what a protocol-level test needs to release the payment frame,
/// from a real commit (nothing else can make the proof).
pub fn commit_prepared(
    issuer: &TestIssuer,
    wallet: &TestWallet,
    spent: &[Chain],
    pending: &crate::protocol::payer::PendingPayment,
    now: u64,
) -> TestResult<super::SpendDurable> {
    let mut store = Store::open_in_memory()?;
    store.set_identity(&WalletIdentity {
        public_key: wallet.cert.body().public_key.clone(),
        key: KeyLocation::Wrapped(b"wrapped secret (test)".to_vec()),
    })?;
    store.set_certificate(&wallet.cert)?;
    store.set_policy(&issuer.policy)?;
    store.set_issuer_keys(std::slice::from_ref(&issuer.key))?;
    store.fund(spent, now)?;
    Ok(store.begin_spend(&PendingSpend {
        payment_hash: pending.hash,
        payee: pending.payee,
        request_nonce: pending.request_nonce,
        amount: pending.amount,
        spent_notes: pending.spent.clone(),
        links: pending.links.clone(),
        change: pending.change.clone(),
        payment_bytes: pending.payment_bytes.clone(),
        counter: pending.counter,
        now,
    })?)
}

/// "Now" for store tests: the testkit's fixture time.
pub const NOW: u64 = T0;

/// Appends `entries` synthetic history entries (alternating payments to and from 50 peers, one
/// per minute from `start`) in one transaction, to build large wallets for benchmarks
/// quickly. The entries are chained like real ones but move no value.
pub fn pad_history(store: &mut Store, entries: u64, start: u64) -> TestResult<()> {
    store.write(|tx| {
        for i in 0..entries {
            let peer = WalletId(sha256(&[b"peer", &(i % 50).to_be_bytes()]));
            let kind = if i % 2 == 0 { super::LogKind::Spend } else { super::LogKind::Receive };
            let reference = sha256(&[b"payment", &i.to_be_bytes()]);
            super::log::append(tx, start + 60 * i, kind, Some(&peer), 100 + i % 900, &reference)?;
        }
        Ok(())
    })?;
    Ok(())
}
