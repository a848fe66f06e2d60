//! The `Wallet` facade: one object that ties the store, the protocol machines and the NFC
//! binding together for apps (and, through `bindings/`, for Kotlin, Swift and Python).
//!
//! ```text
//!  app ──► Wallet ──┬─ request_payment() ─► PayeeSession ─┐  frames  ┌─ CardHandler (HCE)
//!                   ├─ pay()             ─► PayerSession ─┴──────────┴─ ReaderDriver (IsoDep)
//!                   ├─ balance(), history(), pending_payments(), poll_event()
//!                   ├─ provisioning: pin keys, install certificate / policy / revocations, fund
//!                   └─ apply_issuer_update(): rotations, policy, revocations, forward only
//!        Store (SQLite): every commit point of the protocol is a store transaction
//! ```
//!
//! Contract: `Wallet` is `Clone + Send + Sync` (an `Arc` inside); every method takes `&self`
//! and serialises access to the store internally. Time is always a parameter (or a [`Clock`]
//! for the card role) and randomness comes from the injected [`Entropy`]. Nothing here
//! decides about money that the layers below do not already decide: this module orders their
//! calls so that the durability rule holds (pending before sending, committed before the
//! receipt).

pub mod balance;
pub mod denominations;
#[cfg(feature = "sync")]
pub mod deposit;
mod entropy;
mod error;
#[cfg(feature = "sync")]
pub mod flow;
mod keys;
mod nfc_roles;
mod payee_session;
mod payer_session;
#[cfg(feature = "sync")]
pub mod refresh;
#[cfg(feature = "sync")]
pub mod renewal;
mod request_uri;
mod saved_request;
#[cfg(feature = "sync")]
pub mod settlement;
mod shared_reader;
#[cfg(feature = "sync")]
pub mod sync;
pub mod tap;
#[cfg(feature = "test-support")]
pub mod testing;
mod trust;

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

pub use entropy::{Clock, Entropy, FixedClock, OsEntropy, SeededEntropy};
pub use error::WalletError;
pub use nfc_roles::{CardHandler, Party, ReaderDriver, ReaderStep};
pub use payee_session::PayeeSession;
pub use payer_session::PayerSession;
pub use saved_request::{SavedRequest, payment_nonce, payment_request_nonce};
pub use shared_reader::SharedReader;
pub use trust::{IssuerUpdate, Refused};

use crate::crypto::Signer;
use crate::policy::Limits;
use crate::store::{
    Balance, HistoryCursor, HistoryFilter, HistoryPage, KeyLocation, Store, StoredSpend, WalletIdentity,
};
use crate::token::{
    Bundle, CertificateStore, Chain, IssuerKey, NoRevocations, Policy, RevocationCheck, RevocationList, TrustStore,
    VerifyContext, WalletCertificate, WalletId, verify_bundle,
};

/// Tunables of a wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalletConfig {
    /// How far ahead (seconds) another device's clock may be.
    pub max_clock_skew: u64,
    /// How long (seconds) a payment request stays open for a retried payment.
    pub request_ttl: u64,
    /// Most peer certificates kept in memory for offline verification.
    pub certificate_cache: usize,
}

impl Default for WalletConfig {
    fn default() -> Self {
        Self { max_clock_skew: 300, request_ttl: 600, certificate_cache: 256 }
    }
}

/// Something that happened, for the app's UI (drained with [`Wallet::poll_event`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WalletEvent {
    /// Value arrived and is committed.
    PaymentReceived {
        /// The payer.
        payer: WalletId,
        /// The payer's tier (where its key lives, as the issuer verified): the app may show it.
        payer_tier: crate::token::Tier,
        /// The amount.
        amount: u64,
        /// The payment's hash.
        payment_hash: [u8; 32],
    },
    /// A payment was committed as pending and handed to the link.
    PaymentSent {
        /// The payee.
        payee: WalletId,
        /// The amount.
        amount: u64,
        /// The payment's hash.
        payment_hash: [u8; 32],
    },
    /// The payee's receipt arrived: the payment is complete.
    PaymentCompleted {
        /// The payee.
        payee: WalletId,
        /// The amount.
        amount: u64,
        /// The payment's hash.
        payment_hash: [u8; 32],
    },
    /// A tap ended before the exchange completed.
    TapTorn {
        /// A pending payment awaiting its receipt, if this wallet was paying.
        pending: Option<[u8; 32]>,
    },
    /// Notes worth `amount` expire within the policy's refresh window (the first at
    /// `first_expiry`): sync to refresh them (see [`Wallet::lifecycle_events`]).
    NotesExpiring {
        /// Their value.
        amount: u64,
        /// The earliest expiry (Unix seconds).
        first_expiry: u64,
    },
    /// The wallet's certificate is in its renewal window (or past its end): sync to renew it.
    CertificateExpiring {
        /// The end of its offline validity (Unix seconds).
        not_after: u64,
    },
    /// Notes worth `amount` expired past the refresh window and left the wallet: the issuer
    /// returns their value to the online account.
    ValueReturned {
        /// Their value.
        amount: u64,
    },
    /// A refresh or deposit flow finished at a sync or on request.
    FlowFinished {
        /// Refresh or deposit.
        kind: crate::store::FlowKind,
        /// Value refreshed or deposited.
        done: u64,
        /// Value the issuer refused (spendable again).
        returned: u64,
    },
}

struct OpenRequest {
    amount: u64,
    created: u64,
    /// A payment for it was received: it takes no other, but can be presented again (until
    /// it expires) so that a payer whose receipt was lost gets it again.
    paid: bool,
}

pub(crate) struct Inner {
    store: Store,
    signer: Arc<dyn Signer>,
    entropy: Box<dyn Entropy>,
    config: WalletConfig,
    open_requests: HashMap<[u8; 16], OpenRequest>,
    certs: CertificateStore,
    trust: TrustStore,
    events: VecDeque<WalletEvent>,
    /// Why the store failed its consistency check (at open or at the last sync), if it did.
    damaged: Option<String>,
}

/// An offline wallet. Cheap to clone; clones share one wallet.
#[derive(Clone)]
pub struct Wallet {
    inner: Arc<Mutex<Inner>>,
    id: WalletId,
    /// Held (across awaits) by `sync` and by every flow operation, so that two of them never
    /// interleave: a flow's batch fixes the state it reports, and a sync sent meanwhile with a
    /// newer state would make the issuer see the wallet go back.
    #[cfg(feature = "sync")]
    online: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").field("id", &self.id).finish_non_exhaustive()
    }
}

const MAX_EVENTS: usize = 1024;

impl Wallet {
    /// Creates a wallet database at `path` for the key of `signer` (whose secret is at `key`),
    /// or opens it if it exists and belongs to the same key.
    pub fn open(
        path: impl AsRef<Path>,
        signer: Arc<dyn Signer>,
        key: KeyLocation,
        entropy: Box<dyn Entropy>,
        config: WalletConfig,
    ) -> Result<Self, WalletError> {
        Self::from_store(Store::open(path)?, signer, key, entropy, config)
    }

    /// A wallet over an already opened store (in-memory stores for tests and the simulator).
    pub fn from_store(
        mut store: Store,
        signer: Arc<dyn Signer>,
        key: KeyLocation,
        entropy: Box<dyn Entropy>,
        config: WalletConfig,
    ) -> Result<Self, WalletError> {
        let public_key = signer.public_key();
        match store.identity()? {
            Some(identity) if identity.public_key != public_key => {
                return Err(WalletError::Misuse { detail: "this database belongs to another key".into() });
            }
            Some(_) => {}
            None => store.set_identity(&WalletIdentity { public_key: public_key.clone(), key })?,
        }
        let trust = store.trust_store()?;
        let mut certs = CertificateStore::new();
        for cert in store.peer_certificates(config.certificate_cache as u32)? {
            // Certificates were verified when stored; issuer keys are never dropped, so they
            // verify again (an error here would only mean a damaged row, skipped).
            let _ = certs.insert(cert, &trust);
        }
        let id = crate::token::wallet_id(&public_key);
        if let Some(own) = store.certificate()? {
            let _ = certs.insert(own, &trust);
        }
        for own in store.certificates_of(&id)? {
            let _ = certs.insert(own, &trust);
        }
        let damaged = consistency(&store)?;
        if let Some(detail) = &damaged {
            tracing::error!(target: "offline_cash::wallet", %detail, "wallet database failed its consistency check");
        }
        let inner = Inner {
            store,
            signer,
            entropy,
            config,
            open_requests: HashMap::new(),
            certs,
            trust,
            events: VecDeque::new(),
            damaged,
        };
        Ok(Self {
            inner: Arc::new(Mutex::new(inner)),
            id,
            #[cfg(feature = "sync")]
            online: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the store half-written (every change is
        // one SQLite transaction), so a poisoned lock is safe to keep using.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs the store's consistency and log checks again (counters against the notes, the
    /// hash chain of the log). `Err(Damaged)` if they fail: from then on paying, receiving and
    /// syncing are refused, as they are when the check fails at open. Balance and history
    /// still answer, for support and recovery.
    pub fn check(&self) -> Result<(), WalletError> {
        let mut inner = self.lock();
        inner.damaged = consistency(&inner.store)?;
        inner.ensure_sound()
    }

    /// This wallet's id.
    pub fn id(&self) -> WalletId {
        self.id
    }

    /// The wallet's signer (to authenticate requests to the issuer).
    pub fn signer(&self) -> Arc<dyn Signer> {
        self.lock().signer.clone()
    }

    /// Pins the issuer keys at provisioning (the app's out-of-band install, or the first
    /// fetch at [`Wallet::register`]), replacing any pinned before. After provisioning, keys
    /// change only through verified rotations ([`Wallet::apply_issuer_update`]); a sync never
    /// calls this.
    pub fn install_issuer_keys(&self, keys: &[IssuerKey]) -> Result<(), WalletError> {
        let mut inner = self.lock();
        inner.store.set_issuer_keys(keys)?;
        inner.trust = inner.store.trust_store()?;
        Ok(())
    }

    /// Installs this wallet's certificate after checking the issuer's signature and the key.
    pub fn install_certificate(&self, cert: WalletCertificate) -> Result<(), WalletError> {
        let mut inner = self.lock();
        cert.verify_issuer(&inner.trust)?;
        if cert.wallet_id() != self.id {
            return Err(WalletError::Misuse { detail: "certificate is for another wallet".into() });
        }
        inner.store.set_certificate(&cert)?;
        let trust = inner.trust.clone();
        let _ = inner.certs.insert(cert, &trust);
        Ok(())
    }

    /// Installs a policy after checking the issuer's signature (an older sequence is refused).
    pub fn install_policy(&self, policy: &Policy) -> Result<(), WalletError> {
        let mut inner = self.lock();
        policy.verify_issuer(&inner.trust)?;
        inner.store.set_policy(policy)?;
        Ok(())
    }

    /// Installs a revocation list after checking the issuer's signature.
    pub fn install_revocations(&self, list: &RevocationList) -> Result<(), WalletError> {
        let mut inner = self.lock();
        list.verify_issuer(&inner.trust)?;
        inner.store.set_revocation_list(list)?;
        Ok(())
    }

    /// Adds notes issued to this wallet online (funding, or refreshed notes from settlement),
    /// after verifying them like any payment: issuer signature, owner, expiry, policy. Refuses
    /// ([`WalletError::Limit`]) notes that would take the spendable balance over the holding
    /// limit ([`Limits::check_holding`], the same rule a payee applies to a payment).
    pub fn deposit_issued(&self, chains: &[Chain], now: u64) -> Result<u64, WalletError> {
        let mut inner = self.lock();
        inner.ensure_sound()?;
        let total = chains
            .iter()
            .try_fold(0u64, |sum, c| sum.checked_add(c.amount()))
            .ok_or(WalletError::Misuse { detail: "the notes' total overflows".into() })?;
        inner.check_holding(total)?;
        inner.verify_issued(chains, self.id, now)?;
        Ok(inner.store.fund(chains, now)?)
    }

    /// Spendable, pending, refreshing, depositing and total offline balance (O(1)). What part
    /// of `spendable` can be paid offline now is [`Wallet::balance_detail`].
    pub fn balance(&self) -> Result<Balance, WalletError> {
        Ok(self.lock().store.balance()?)
    }

    /// One page of history, newest first.
    pub fn history(
        &self,
        filter: HistoryFilter,
        cursor: Option<HistoryCursor>,
        limit: u32,
    ) -> Result<HistoryPage, WalletError> {
        Ok(self.lock().store.history(filter, cursor, limit)?)
    }

    /// Outgoing payments awaiting a receipt (a torn tap): tap again with the same request
    /// (the payee presents it with [`Wallet::request_again`]) to finish them, or sync to
    /// resolve them at the issuer.
    pub fn pending_payments(&self) -> Result<Vec<StoredSpend>, WalletError> {
        Ok(self.lock().store.pending_spends()?)
    }

    /// The next event, if any (received, sent, completed, torn).
    pub fn poll_event(&self) -> Option<WalletEvent> {
        self.lock().events.pop_front()
    }

    /// The limits in force now (policy and certificate combined).
    pub fn limits(&self) -> Result<Limits, WalletError> {
        let inner = self.lock();
        inner.limits()
    }

    /// Runs `f` with the store (for the sync client and tools; keep it short).
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut self.lock().store)
    }

    /// Starts receiving `amount`: the session produces the request and takes the payment.
    pub fn request_payment(&self, amount: u64, now: u64) -> Result<PayeeSession, WalletError> {
        PayeeSession::start(self.clone(), amount, now)
    }

    /// Presents an open request again (after a torn tap), by the nonce of its session
    /// ([`PayeeSession::nonce`]): same amount, time and nonce, a fresh session key. A payer
    /// with a payment pending for that request resends it and gets the receipt (the same one
    /// if the payment was already received); a payer pays a *new* request only once its
    /// pending payment to this payee is finished. A request already paid can be presented
    /// again too (it takes no other payment). [`WalletError::Misuse`] if this wallet no longer
    /// knows the request (expired, or made by another process).
    pub fn request_again(&self, nonce: &[u8; 16], now: u64) -> Result<PayeeSession, WalletError> {
        let open = self.lock().open_request_created(nonce, now);
        let Some((amount, created)) = open else {
            return Err(WalletError::Misuse { detail: "that payment request is no longer open".into() });
        };
        PayeeSession::open(self.clone(), amount, now, payee_session::Opening::Again { nonce: *nonce, created })
    }

    /// Starts paying: the session takes the payee's request and produces the payment.
    pub fn pay(&self) -> PayerSession {
        PayerSession::new(self.clone())
    }
}

/// `None` if the store passes [`Store::check_consistency`] (which also verifies the log),
/// else what failed. Other failures (the database itself) are errors.
fn consistency(store: &Store) -> Result<Option<String>, WalletError> {
    match store.check_consistency() {
        Ok(()) => Ok(None),
        Err(e @ (crate::store::StoreError::Inconsistent { .. } | crate::store::StoreError::LogTampered { .. })) => {
            Ok(Some(e.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

/// The revocation list in force, or "nobody revoked" for a wallet that has never synced one.
pub(crate) fn revocation_check(list: Option<&RevocationList>) -> &dyn RevocationCheck {
    list.map_or(&NoRevocations as &dyn RevocationCheck, |l| l as _)
}

/// Whether `note`'s chain holds a custodian other than `me` on the revocation list: every synced
/// payee refuses it, so the payer does not pay with it, and the next sync refreshes it.
pub(crate) fn passed_through_revoked(
    note: &crate::store::HeldNote,
    me: &WalletId,
    revoked: &dyn RevocationCheck,
) -> bool {
    note.chain.signers().iter().any(|s| s != me && revoked.is_revoked(s))
}

impl Inner {
    /// Verifies notes the issuer gave this wallet online (funding, refresh) like any payment:
    /// issuer signature, owner `me`, expiry, policy.
    pub(crate) fn verify_issued(&self, chains: &[Chain], me: WalletId, now: u64) -> Result<(), WalletError> {
        let policy = self.policy()?;
        let revocations = self.store.revocation_list()?;
        let ctx = VerifyContext {
            trust: &self.trust,
            policy: policy.body(),
            revocations: revocation_check(revocations.as_ref()),
            known_certificates: &self.certs,
            now,
            max_clock_skew: self.config.max_clock_skew,
        };
        // Verified a bundle's worth at a time: a deposit may hold more notes than one payment.
        for part in chains.chunks(crate::token::MAX_BUNDLE_HEADS) {
            let bundle = Bundle::from_chains(part, &[], &Default::default())?;
            let verified = verify_bundle(&bundle, &ctx)?;
            if let Some(coin) = verified.coins.iter().find(|c| c.owner != me) {
                return Err(WalletError::Rejected(crate::protocol::PaymentRejection::WrongPayee { found: coin.owner }));
            }
        }
        Ok(())
    }

    /// The installed policy, or `NotProvisioned`.
    pub(crate) fn policy(&self) -> Result<Policy, WalletError> {
        self.store.policy()?.ok_or(WalletError::NotProvisioned { missing: "policy" })
    }

    /// This wallet's certificate, or `NotProvisioned`.
    pub(crate) fn certificate(&self) -> Result<WalletCertificate, WalletError> {
        self.store.certificate()?.ok_or(WalletError::NotProvisioned { missing: "certificate" })
    }

    /// `Err(Damaged)` if the store failed its consistency check: no money moves from it.
    pub(crate) fn ensure_sound(&self) -> Result<(), WalletError> {
        match &self.damaged {
            None => Ok(()),
            Some(detail) => Err(WalletError::Damaged { detail: detail.clone() }),
        }
    }

    /// Ids of up to `max` certificates held, for a payment request's hints (the payer leaves
    /// those out): the ones valid at `now` first (a payer signs its new links under its
    /// current certificate), then the most recent.
    pub(crate) fn certificate_hints(&self, now: u64, max: usize) -> Vec<[u8; 32]> {
        let mut held: Vec<&WalletCertificate> = self.certs.iter().collect();
        held.sort_by_key(|c| (c.check_valid_at(now).is_err(), std::cmp::Reverse(c.body().not_after)));
        held.into_iter().take(max).map(|c| *c.digest()).collect()
    }

    pub(crate) fn push_event(&mut self, event: WalletEvent) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// Whether the wallet may come to hold `amount` more (funding, receiving online).
    pub(crate) fn check_holding(&self, amount: u64) -> Result<(), WalletError> {
        Ok(self.limits()?.check_holding(self.held()?, amount)?)
    }

    /// The value the holding limit counts: spendable notes, and notes in a refresh or deposit
    /// (still held until the issuer answers).
    pub(crate) fn held(&self) -> Result<u64, WalletError> {
        let b = self.store.balance()?;
        Ok(b.spendable.saturating_add(b.refreshing).saturating_add(b.depositing))
    }

    pub(crate) fn limits(&self) -> Result<Limits, WalletError> {
        let policy = self.policy()?;
        let cert = self.certificate()?;
        Ok(Limits::new(policy.body(), cert.body()))
    }

    pub(crate) fn random<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.entropy.fill(&mut out);
        out
    }

    /// A session seed that is a valid P-256 scalar (drawn again in the negligible case it is not).
    pub(crate) fn session_seed(&mut self) -> [u8; 32] {
        loop {
            let seed = self.random::<32>();
            if crate::protocol::session::Ephemeral::from_seed(&seed).is_some() {
                return seed;
            }
        }
    }

    pub(crate) fn open_request(&mut self, nonce: [u8; 16], amount: u64, created: u64, now: u64) {
        let ttl = self.config.request_ttl;
        self.open_requests.retain(|_, r| r.created.saturating_add(ttl) >= now);
        self.open_requests.insert(nonce, OpenRequest { amount, created, paid: false });
    }

    pub(crate) fn open_request_amount(&self, nonce: &[u8; 16], now: u64) -> Option<u64> {
        self.open_requests
            .get(nonce)
            .filter(|r| !r.paid && r.created.saturating_add(self.config.request_ttl) >= now)
            .map(|r| r.amount)
    }

    pub(crate) fn open_request_created(&self, nonce: &[u8; 16], now: u64) -> Option<(u64, u64)> {
        self.open_requests
            .get(nonce)
            .filter(|r| r.created.saturating_add(self.config.request_ttl) >= now)
            .map(|r| (r.amount, r.created))
    }

    pub(crate) fn close_request(&mut self, nonce: &[u8; 16]) {
        if let Some(r) = self.open_requests.get_mut(nonce) {
            r.paid = true;
        }
    }
}
