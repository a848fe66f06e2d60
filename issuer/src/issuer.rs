//! [`Issuer`]: the issuer's logic as a library (accounts, wallets, funding, authentication,
//! revocations, audit). Settlement of uploaded bundles is in [`crate::settle`]. No HTTP here:
//! the handlers in [`crate::http`] only parse, call these methods and serialise.
//!
//! ```text
//!  http handler ─► Issuer::authenticate ─► Issuer::{register, fund, defund, sync, …}
//!                                            │ one Store::write transaction per call
//!                                            ▼
//!                                  crate::store::Backend (SQLite file | PostgreSQL)
//! ```
//!
//! Every method is blocking (database, signature checks): async callers run them on a blocking
//! thread. Time comes from the injected clock. A transaction closure may run more than once
//! (a serialization failure is retried), so it touches nothing but its transaction; caches and
//! metrics are updated after the commit.

use std::sync::Arc;

use offline_cash_core::crypto::{PublicKey, Suite, sha256};
use offline_cash_core::policy::Limits;
use offline_cash_core::sync::{auth, wire};
use offline_cash_core::token::{
    CertificateBody, CertificateStore, Currency, IssuerKey, KeyRotation, Note, NoteBody, Policy, PolicyBody,
    RefreshPolicy, RevocationBody, RevocationList, TrustStore, WalletCertificate, WalletId, policy_sequence_of,
    wallet_id,
};
use parking_lot::RwLock;
use rand_core::{OsRng, RngCore as _};

use crate::IssuerError;
use crate::metrics::Metrics;
use crate::nonce_use::{CheckedRequest, NonceUse};
use crate::rate_limit::{RateLimit, RateLimiter};
use crate::store::accounts::Entry;
use crate::store::wallets::NewWallet;
use crate::store::{
    Accounts as _, Audit as _, Backend, Meta as _, Nonces as _, Notes as _, RateBuckets as _, Store as _, Tx,
    Wallets as _,
};

/// A source of Unix seconds.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
}

/// The issuer's policy and operating parameters. Debug output omits the admin token.
#[derive(Clone)]
pub struct IssuerConfig {
    /// Database file (created on first start); unused when `database_url` is set.
    pub db_path: std::path::PathBuf,
    /// A PostgreSQL database instead of the file (`postgres://user@host:port/db`, feature
    /// `postgres`): every issuer node over it gives the same answers.
    pub database_url: Option<String>,
    /// The signing keys in a file instead of the database ([`crate::key_file`]; shared by the
    /// nodes over one database).
    pub key_file: Option<std::path::PathBuf>,
    /// ISO 4217 code of every note.
    pub currency: String,
    /// Largest single offline payment; also the most the issuer guarantees per double-spent output.
    pub per_payment_limit: u64,
    /// Largest offline balance of a wallet.
    pub holding_limit: u64,
    /// Longest chain of custody before a refresh is required.
    pub max_chain_depth: u32,
    /// Offline validity of a wallet certificate (seconds).
    pub certificate_validity_secs: u64,
    /// Most offline payments between syncs.
    pub max_offline_payments: u32,
    /// When wallets refresh their notes automatically at sync (signed into the policy).
    pub refresh: RefreshPolicy,
    /// Lifetime of an issued note (seconds).
    pub note_validity_secs: u64,
    /// How long after expiry a note may still be settled before it is returned to its owner.
    pub settlement_grace_secs: u64,
    /// Allowed distance between a request's timestamp and the issuer's clock (seconds).
    pub auth_window_secs: u64,
    /// Clock skew tolerated on link times (seconds).
    pub max_clock_skew: u64,
    /// Bearer token of the admin endpoints.
    pub admin_token: String,
    /// Budget of signed requests per wallet (`None`: unlimited). See [`crate::rate_limit`].
    pub rate_limit: Option<RateLimit>,
    /// Limits of their own for some tiers, signed into the policy (empty: every tier has the
    /// limits above). See [`crate::tier_policy`].
    pub tier_limits: Vec<offline_cash_core::token::TierLimits>,
    /// Checks key attestation evidence at registration ([`crate::tier_attestation`]; the
    /// default refuses all evidence, so every wallet is software).
    pub attestation: Arc<dyn crate::tier_attestation::AttestationVerifier>,
}

impl std::fmt::Debug for IssuerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerConfig")
            .field("db_path", &self.db_path)
            .field("database_url", &self.database_url.as_deref().map(redact_url))
            .field("key_file", &self.key_file)
            .field("currency", &self.currency)
            .field("per_payment_limit", &self.per_payment_limit)
            .field("holding_limit", &self.holding_limit)
            .field("max_chain_depth", &self.max_chain_depth)
            .field("certificate_validity_secs", &self.certificate_validity_secs)
            .field("max_offline_payments", &self.max_offline_payments)
            .field("note_validity_secs", &self.note_validity_secs)
            .field("settlement_grace_secs", &self.settlement_grace_secs)
            .field("auth_window_secs", &self.auth_window_secs)
            .field("max_clock_skew", &self.max_clock_skew)
            .field("rate_limit", &self.rate_limit)
            .field("tier_limits", &self.tier_limits)
            .finish_non_exhaustive()
    }
}

impl IssuerConfig {
    /// Defaults for a database at `db_path` (EUR, the testkit's limits).
    pub fn new(db_path: impl Into<std::path::PathBuf>, admin_token: impl Into<String>) -> Self {
        Self {
            db_path: db_path.into(),
            database_url: None,
            key_file: None,
            currency: "EUR".into(),
            per_payment_limit: 50_000,
            holding_limit: 200_000,
            max_chain_depth: 32,
            certificate_validity_secs: 30 * 86_400,
            max_offline_payments: 1_000,
            refresh: RefreshPolicy::default(),
            note_validity_secs: 365 * 86_400,
            settlement_grace_secs: 30 * 86_400,
            auth_window_secs: 300,
            max_clock_skew: 300,
            admin_token: admin_token.into(),
            rate_limit: Some(RateLimit::default()),
            tier_limits: Vec::new(),
            attestation: Arc::new(crate::tier_attestation::RefuseEvidence),
        }
    }
}

/// An authenticated caller: the wallet that signed and the account its credential names.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    /// The signing wallet.
    pub wallet: WalletId,
    /// The account id.
    pub account: i64,
}

/// The pieces of a signed request, as received.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Request path (without query).
    pub path: &'a str,
    /// Raw body.
    pub body: &'a [u8],
    /// Bearer credential.
    pub credential: Option<&'a str>,
    /// `x-oc-wallet`.
    pub wallet: Option<&'a str>,
    /// `x-oc-timestamp`.
    pub timestamp: Option<&'a str>,
    /// `x-oc-nonce`.
    pub nonce: Option<&'a str>,
    /// `x-oc-signature`.
    pub signature: Option<&'a str>,
}

/// The reference issuer.
pub struct Issuer {
    pub(crate) store: Backend,
    /// Every signing key; [`crate::keys::Keyring::active`] picks the one that signs now.
    pub(crate) keys: crate::keys::Keyring,
    pub(crate) trust: TrustStore,
    pub(crate) rotations: Vec<KeyRotation>,
    pub(crate) policy: Policy,
    pub(crate) currency: Currency,
    pub(crate) certs: RwLock<CertificateStore>,
    pub(crate) config: IssuerConfig,
    pub(crate) clock: Clock,
    pub(crate) metrics: Metrics,
    pub(crate) limiter: Option<RateLimiter>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer").field("config", &self.config).finish_non_exhaustive()
    }
}

pub(crate) fn to_i64(v: u64) -> Result<i64, IssuerError> {
    i64::try_from(v).map_err(|_| IssuerError::Policy { what: format!("amount {v} too large") })
}

/// A database URL without its password (for logs).
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

impl Issuer {
    /// Opens (or creates) the database and loads or creates the issuer key and policy.
    pub fn open(config: IssuerConfig, clock: Clock) -> Result<Self, IssuerError> {
        config.check()?;
        let store = Backend::open(&config.db_path, config.database_url.as_deref())?;
        let currency = Currency::new(&config.currency)
            .ok_or_else(|| IssuerError::Policy { what: format!("bad currency {}", config.currency) })?;
        let now = clock();
        let key_file = config.key_file.as_deref().map(crate::key_file::KeyFile::open).transpose()?;
        let (keys, policy) = store.write(|tx| {
            let keys = crate::keys::load_or_create(tx, now, key_file.as_ref())?;
            let policy = Self::current_policy(tx, &keys, &config, currency, now)?;
            tx.meta_put("policy", &policy.to_bytes())?;
            Ok((keys, policy))
        })?;
        let trust = keys.trust.clone();
        // Filled as signers are met (settle_verify.rs, `load_certificates`; tier_policy.rs),
        // not at start: a start that verified every certificate ever issued took time and
        // memory in proportion to every wallet there ever was (decision 0027).
        let certs = CertificateStore::new();
        Ok(Self {
            store,
            rotations: keys.rotations.clone(),
            keys,
            trust,
            policy,
            currency,
            certs: RwLock::new(certs),
            limiter: config.rate_limit.map(RateLimiter::new),
            config,
            clock,
            metrics: Metrics::default(),
        })
    }

    /// The policy to sign at start: the stored one if the configured limits did not change,
    /// else the next one (a new signing key also makes a new policy, signed by it). The stored
    /// one is kept as it is, not signed again: signatures are randomized (decision 0009), so
    /// re-signing would give every start and every node another encoding of one policy.
    fn current_policy(
        tx: &mut dyn Tx,
        keys: &crate::keys::Keyring,
        config: &IssuerConfig,
        currency: Currency,
        now: u64,
    ) -> Result<Policy, IssuerError> {
        let (signer, key) = keys.active(now);
        let mut body = PolicyBody {
            issuer_key_id: key.key_id,
            sequence: 1,
            issued_at: keys.created,
            currency,
            per_payment_limit: config.per_payment_limit,
            offline_holding_limit: config.holding_limit,
            max_chain_depth: config.max_chain_depth,
            certificate_offline_validity: config.certificate_validity_secs,
            max_offline_payments: config.max_offline_payments,
            refresh: config.refresh,
            tier_limits: crate::tier_policy::ordered(&config.tier_limits)?,
        };
        let stored = tx.meta_get("policy")?;
        if let Some(sequence) =
            stored.as_deref().filter(|b| Policy::from_bytes(b).is_err()).and_then(policy_sequence_of)
        {
            // A policy of an older layout: the next one goes forward from it.
            body.sequence = sequence.saturating_add(1);
            body.issued_at = now.max(key.not_before);
        }
        if let Some(old) = stored.and_then(|b| Policy::from_bytes(&b).ok()) {
            let o = old.body();
            let same = PolicyBody { sequence: o.sequence, issued_at: o.issued_at, ..body.clone() } == *o;
            if same {
                if old.verify_with(&key.public_key).is_ok() {
                    return Ok(old);
                }
                body = o.clone();
            } else {
                body.sequence = o.sequence.saturating_add(1);
                body.issued_at = now.max(key.not_before);
            }
        }
        Ok(Policy::sign(body, signer)?)
    }

    /// The configuration.
    pub fn config(&self) -> &IssuerConfig {
        &self.config
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Charges one request to an authenticated caller's budget ([`IssuerConfig::rate_limit`]);
    /// [`IssuerError::RateLimited`] when it is spent. Call after [`Issuer::authenticate`].
    pub fn admit(&self, caller: &Caller) -> Result<(), IssuerError> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        let verdict = if self.store.is_shared() {
            // One budget across the nodes: kept in the database (crate::store::rate_buckets).
            let limit = limiter.limit();
            let interval_ms = (1_000 / i64::from(limit.per_second.max(1))).max(1);
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            self.store
                .write(|tx| tx.take_request(&caller.wallet.0, now_ms, interval_ms, i64::from(limit.burst)))?
                .map_err(|ms| std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
        } else {
            limiter.admit(&caller.wallet, std::time::Instant::now())
        };
        verdict.map_err(|wait| {
            self.metrics.rate_limited();
            IssuerError::RateLimited { retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64 }
        })
    }

    /// The current Unix time of the issuer's clock.
    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// The issuer's public keys: every key it ever signed with (older ones ended by their
    /// rotation), oldest first. The newest signs new objects.
    pub fn issuer_keys(&self) -> Vec<IssuerKey> {
        self.trust.keys().cloned().collect()
    }

    /// The key that signs new objects now (a pre-announced key signs from its `not_before`).
    pub fn signing_key(&self) -> &IssuerKey {
        self.keys.active(self.now()).1
    }

    /// The rotation chain from key 1 to the signing key, oldest first.
    pub fn key_rotations(&self) -> &[KeyRotation] {
        &self.rotations
    }

    /// The rotation chain, base64 for the wire.
    pub(crate) fn key_rotations_wire(&self) -> Vec<String> {
        self.rotations.iter().map(|r| auth::b64(&r.to_bytes())).collect()
    }

    /// The signed policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Checks the admin bearer token.
    pub fn check_admin(&self, token: Option<&str>) -> Result<(), IssuerError> {
        let ok = token.is_some_and(|t| sha256(&[t.as_bytes()]) == sha256(&[self.config.admin_token.as_bytes()]));
        if ok && !self.config.admin_token.is_empty() {
            Ok(())
        } else {
            Err(IssuerError::Unauthorized { what: "admin token".into() })
        }
    }

    /// Creates an account with an initial balance; returns its bearer credential.
    pub fn create_account(&self, customer_ref: &str, balance: u64) -> Result<wire::CreateAccountResponse, IssuerError> {
        if customer_ref.is_empty() || customer_ref.len() > offline_cash_core::token::MAX_CUSTOMER_REF {
            return Err(IssuerError::malformed("customer_ref must be 1..=64 bytes"));
        }
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let credential = auth::to_hex(&secret);
        let hash = sha256(&[credential.as_bytes()]);
        let balance = to_i64(balance)?;
        let created = self.store.write(|tx| tx.create_account(customer_ref, &hash, balance))?;
        if !created {
            return Err(IssuerError::Conflict { what: format!("account {customer_ref} exists") });
        }
        Ok(wire::CreateAccountResponse { customer_ref: customer_ref.to_owned(), credential })
    }

    /// Authenticates a signed request: credential → account, signature by the wallet's key
    /// (`register_key` for a registration, else the registered key), timestamp window, nonce
    /// not seen before (then stored). The wallet must belong to the account unless registering.
    pub fn authenticate(
        &self,
        req: &SignedRequest<'_>,
        register_key: Option<&PublicKey>,
    ) -> Result<Caller, IssuerError> {
        let checked = self.check_signed(req)?;
        self.store.write(|tx| {
            let account = self.signer_account(tx, &checked, register_key)?;
            checked.nonce.spend(tx)?;
            if checked.nonce.sweeps() {
                checked.nonce.sweep(tx)?;
            }
            Ok(Caller { wallet: checked.nonce.wallet, account })
        })
    }

    /// Authenticates a signed request like [`Issuer::authenticate`], but only reads (no wait
    /// behind a writing transaction): the nonce is checked unseen, and is stored by the
    /// caller's own transaction ([`NonceUse::spend`]), which refuses it if a concurrent
    /// request stored it first. `POST /v1/sync` authenticates this way, so that a batch is
    /// verified while another batch's transaction runs (docs/decisions/0025).
    pub fn authenticate_deferred(&self, req: &SignedRequest<'_>) -> Result<(Caller, NonceUse), IssuerError> {
        let checked = self.check_signed(req)?;
        self.store.read(|tx| {
            let account = self.signer_account(tx, &checked, None)?;
            if tx.nonce_seen(&checked.nonce.wallet.0, &checked.nonce.nonce)? {
                return Err(IssuerError::ReplayedNonce);
            }
            Ok((Caller { wallet: checked.nonce.wallet, account }, checked.nonce.clone()))
        })
    }

    /// The checks of a signed request that need no database: headers present, timestamp in
    /// the window, signature well formed; and the digest it signs.
    fn check_signed(&self, req: &SignedRequest<'_>) -> Result<CheckedRequest, IssuerError> {
        let missing = |h: &str| IssuerError::Unauthorized { what: format!("missing {h}") };
        let credential = req.credential.ok_or_else(|| missing("bearer credential"))?;
        let wallet =
            req.wallet.and_then(auth::parse_hex::<32>).map(WalletId).ok_or_else(|| missing(auth::HEADER_WALLET))?;
        let timestamp: u64 =
            req.timestamp.and_then(|t| t.parse().ok()).ok_or_else(|| missing(auth::HEADER_TIMESTAMP))?;
        let nonce = req.nonce.and_then(auth::parse_hex::<16>).ok_or_else(|| missing(auth::HEADER_NONCE))?;
        let signature = req.signature.and_then(auth::parse_signature).ok_or(IssuerError::BadSignature)?;
        let now = self.now();
        if timestamp.abs_diff(now) > self.config.auth_window_secs {
            return Err(IssuerError::StaleTimestamp { timestamp, now, window: self.config.auth_window_secs });
        }
        Ok(CheckedRequest {
            digest: auth::request_digest(req.method, req.path, req.body, timestamp, &nonce, &wallet),
            credential_hash: sha256(&[credential.as_bytes()]),
            signature,
            nonce: NonceUse {
                wallet,
                nonce,
                ts: to_i64(timestamp)?,
                horizon: to_i64(now.saturating_sub(2 * self.config.auth_window_secs))?,
            },
        })
    }

    /// The account of a checked request's credential, once the request's signature is verified
    /// with the wallet's key (`register_key` for a registration, else the registered key).
    fn signer_account(
        &self,
        tx: &mut dyn Tx,
        req: &CheckedRequest,
        register_key: Option<&PublicKey>,
    ) -> Result<i64, IssuerError> {
        let wallet = req.nonce.wallet;
        let account = tx
            .account_by_credential(&req.credential_hash)?
            .ok_or_else(|| IssuerError::Unauthorized { what: "unknown credential".into() })?;
        let key = match register_key {
            Some(k) => {
                if wallet_id(k) != wallet {
                    return Err(IssuerError::BadSignature);
                }
                k.clone()
            }
            None => {
                let (owner, pk, suite) = tx.wallet_key(&wallet.0)?.ok_or(IssuerError::UnknownWallet)?;
                if owner != account {
                    return Err(IssuerError::UnknownWallet);
                }
                let suite =
                    u64::try_from(suite).ok().and_then(|s| Suite::from_id(s).ok()).ok_or(IssuerError::BadSignature)?;
                PublicKey::from_bytes(suite, &pk).map_err(|_| IssuerError::BadSignature)?
            }
        };
        let message = offline_cash_core::crypto::signing_message(key.suite(), &req.digest);
        key.verify(&message, &req.signature).map_err(|_| IssuerError::BadSignature)?;
        Ok(account)
    }

    /// Registers the key of an authenticated caller: signs its certificate (software, or for a
    /// renewal the tier recorded).
    pub fn register(&self, caller: Caller, key: &PublicKey) -> Result<wire::RegisterResponse, IssuerError> {
        self.register_at(caller, key, None)
    }

    /// Registers the key at `tier` (verified by [`Issuer::register_request`]; `None`: the
    /// tier recorded for the wallet, software for a new one): signs its certificate.
    pub fn register_at(
        &self,
        caller: Caller,
        key: &PublicKey,
        tier: Option<offline_cash_core::token::Tier>,
    ) -> Result<wire::RegisterResponse, IssuerError> {
        let now = self.now();
        let cert = self.store.write(|tx| {
            if tx.is_revoked(&caller.wallet)? {
                return Err(IssuerError::Revoked);
            }
            if tx.account_revoked(caller.account)? {
                return Err(IssuerError::AccountRevoked);
            }
            let customer_ref = tx.customer_ref(caller.account)?;
            if tx.wallet_account(&caller.wallet.0)?.is_some_and(|acc| acc != caller.account) {
                return Err(IssuerError::Conflict { what: "wallet registered to another account".into() });
            }
            let (signer, signing_key) = self.keys.active(now);
            let tier = crate::tier_attestation::tier_to_record(tx, &caller.wallet.0, tier)?;
            // The certificate states its tier's limits, so a tier may have more than the general ones.
            let limits = self.policy.body().limits_for(tier);
            // Re-registering renews the certificate (a new validity window); the earlier ones
            // stay in `certificates`, so links signed under them still settle.
            let cert = WalletCertificate::sign(
                CertificateBody {
                    public_key: key.clone(),
                    customer_ref: customer_ref.into_bytes(),
                    not_before: now.saturating_sub(self.config.max_clock_skew).max(signing_key.not_before),
                    not_after: now.saturating_add(self.config.certificate_validity_secs),
                    currency: self.currency,
                    per_payment_limit: limits.per_payment,
                    holding_limit: limits.holding,
                    issuer_key_id: signing_key.key_id,
                    tier,
                },
                signer,
            )?;
            let bytes = cert.to_bytes();
            tx.put_wallet(&NewWallet {
                id: &caller.wallet.0,
                account: caller.account,
                public_key: key.as_bytes(),
                suite: i64::from(key.suite().id()),
                certificate: &bytes,
                tier: i64::from(tier.code()),
            })?;
            Ok(cert)
        })?;
        self.certs.write().insert(cert.clone(), &self.trust)?;
        Ok(wire::RegisterResponse {
            wallet_id: auth::to_hex(&caller.wallet.0),
            certificate: auth::b64(&cert.to_bytes()),
            policy: auth::b64(&self.policy.to_bytes()),
        })
    }

    /// Debits the caller's account and issues one note per amount to the caller's wallet.
    /// Idempotent by `request_id`. Refused for a revoked wallet or account, and when the notes
    /// the issuer knows the wallet holds (live, owned by it) plus the amount would pass the
    /// holding limit of its policy and certificate ([`Limits`]): the limit bounds what the
    /// wallet holds after every funding, not each request.
    pub fn fund(&self, caller: Caller, req: &wire::FundRequest) -> Result<wire::FundResponse, IssuerError> {
        let request_id = auth::parse_hex::<16>(&req.request_id).ok_or_else(|| IssuerError::malformed("request_id"))?;
        if req.amounts.is_empty() || req.amounts.len() > 64 || req.amounts.contains(&0) {
            return Err(IssuerError::Policy { what: "1..=64 amounts, each > 0".into() });
        }
        let total = req.amounts.iter().try_fold(0u64, |a, b| a.checked_add(*b));
        let total = total.ok_or_else(|| IssuerError::Policy { what: "total overflows".into() })?;
        let request_hash = sha256(&[&serde_json::to_vec(req).unwrap_or_default()]);
        let now = self.now();
        let key = [b"fund:".as_slice(), &request_id].concat();
        self.store.write(|tx| {
            if let Some(answer) = crate::settle::stored_answer(tx, &caller.wallet, &key, &request_hash)? {
                return serde_json::from_str(&answer).map_err(|e| IssuerError::Internal { what: e.to_string() });
            }
            if tx.is_revoked(&caller.wallet)? {
                return Err(IssuerError::Revoked);
            }
            if tx.account_revoked(caller.account)? {
                return Err(IssuerError::AccountRevoked);
            }
            let certificate = tx
                .wallet_certificate(&caller.wallet.0)?
                .ok_or_else(|| IssuerError::Internal { what: "a caller's wallet has no certificate".into() })?;
            let certificate = WalletCertificate::from_bytes(&certificate)
                .map_err(|e| IssuerError::Internal { what: format!("stored certificate does not decode: {e}") })?;
            let held = tx.held_live(&caller.wallet.0)?;
            Limits::new(self.policy.body(), certificate.body())
                .check_holding(u64::try_from(held).unwrap_or(0), total)
                .map_err(IssuerError::Limit)?;
            let balance = tx.balance(caller.account)?;
            let needed = to_i64(total)?;
            if balance < needed {
                return Err(IssuerError::InsufficientBalance { balance, needed: total });
            }
            let mut notes = Vec::with_capacity(req.amounts.len());
            for amount in &req.amounts {
                let note = self.issue_note(tx, caller.wallet, *amount, now)?;
                notes.push(auth::b64(&note.to_bytes()));
            }
            tx.book(caller.account, -needed, Entry::Fund, &request_id, to_i64(now)?)?;
            let answer = wire::FundResponse { notes, balance: balance - needed };
            crate::settle::store_answer(tx, &caller.wallet, &key, &request_hash, &answer)?;
            Ok(answer)
        })
    }

    /// Signs a new genesis note and records it as live.
    pub(crate) fn issue_note(
        &self,
        tx: &mut dyn Tx,
        owner: WalletId,
        amount: u64,
        now: u64,
    ) -> Result<Note, IssuerError> {
        let mut serial = [0u8; 16];
        OsRng.fill_bytes(&mut serial);
        let note = Note::sign(
            NoteBody {
                serial,
                currency: self.currency,
                amount,
                owner,
                issued_at: now,
                expires_at: now.saturating_add(self.config.note_validity_secs),
                issuer_key_id: self.keys.active(now).1.key_id,
            },
            self.keys.active(now).0,
        )?;
        let digest = sha256(&[&note.to_bytes()]);
        tx.insert_genesis(&note.id().0, &owner.0, to_i64(amount)?, to_i64(note.body().expires_at)?, &digest)?;
        Ok(note)
    }

    /// Lifts the revocation of the account `customer_ref` (admin): its customer may register
    /// and fund wallets again. The wallet that double spent stays revoked (revocation lists
    /// only grow). Returns whether the account was revoked.
    pub fn reinstate_account(&self, customer_ref: &str) -> Result<wire::ReinstateAccountResponse, IssuerError> {
        let revoked_at = self.store.write(|tx| {
            let (account, revoked_at) = tx.account_by_ref(customer_ref)?.ok_or(IssuerError::UnknownAccount)?;
            tx.reinstate(account)?;
            Ok(revoked_at)
        })?;
        if revoked_at.is_some() {
            tracing::warn!(customer_ref, "account reinstated by an administrator");
        }
        Ok(wire::ReinstateAccountResponse { customer_ref: customer_ref.to_owned(), was_revoked: revoked_at.is_some() })
    }

    /// The signed full revocation list and the ids added after `since`.
    pub fn revocations(&self, since: Option<u64>) -> Result<wire::RevocationsResponse, IssuerError> {
        let rows = self.store.write(|tx| tx.revocations())?;
        self.revocations_from(rows, since)
    }

    /// The answer of [`Issuer::revocations`] from the stored revocations `rows`.
    pub(crate) fn revocations_from(
        &self,
        rows: Vec<(u64, Vec<u8>)>,
        since: Option<u64>,
    ) -> Result<wire::RevocationsResponse, IssuerError> {
        let mut all = Vec::new();
        let mut added = Vec::new();
        let mut sequence = 0u64;
        for (seq, id) in rows {
            let Ok(id) = <[u8; 32]>::try_from(id.as_slice()) else { continue };
            sequence = sequence.max(seq);
            if since.is_none_or(|s| seq > s) {
                added.push(auth::to_hex(&id));
            }
            all.push(WalletId(id));
        }
        let (signer, key) = self.keys.active(self.now());
        let issued_at = self.now().max(key.not_before);
        let list = RevocationList::sign(RevocationBody::new(key.key_id, sequence, issued_at, all), signer)?;
        Ok(wire::RevocationsResponse { sequence, list: auth::b64(&list.to_bytes()), added })
    }

    /// The issuer keys and policy, encoded.
    pub fn issuer_keys_response(&self) -> wire::IssuerKeysResponse {
        wire::IssuerKeysResponse {
            keys: self.issuer_keys().iter().map(|k| auth::b64(&k.to_bytes())).collect(),
            policy: auth::b64(&self.policy.to_bytes()),
            key_rotations: self.key_rotations_wire(),
        }
    }

    /// The conservation audit.
    pub fn audit(&self) -> Result<wire::AuditResponse, IssuerError> {
        let t = self.store.write(|tx| tx.totals())?;
        let u = |v: i64| u64::try_from(v).unwrap_or(0);
        let issued = u(t.issued);
        let held_offline = u(t.live);
        let deposited = u(t.deposited);
        let refreshed = u(t.refreshed);
        let expired_returned = u(t.expired_returned);
        let (account_balances, account_initial, recovered, funded) = (t.balances, t.initial, t.recovered, t.funded);
        let guaranteed = u(t.guaranteed);
        let double_spends = u(t.double_spends);
        let rhs = held_offline.saturating_add(deposited).saturating_add(refreshed).saturating_add(expired_returned);
        let accounts_rhs = account_initial - funded
            + i64::try_from(deposited).unwrap_or(i64::MAX)
            + i64::try_from(expired_returned).unwrap_or(i64::MAX)
            - recovered;
        Ok(wire::AuditResponse {
            issued,
            held_offline,
            deposited,
            refreshed,
            expired_returned,
            balanced: issued == rhs,
            account_balances,
            account_initial,
            recovered_from_cheaters: u(recovered),
            guaranteed,
            issuer_loss: guaranteed.saturating_sub(u(recovered)),
            double_spends,
            funded: u(funded),
            accounts_balanced: accounts_rhs == account_balances,
        })
    }

    /// Returns live notes expired for longer than the settlement grace to their last known
    /// owner's account. Returns the value returned.
    pub fn expire_notes(&self) -> Result<u64, IssuerError> {
        let now = self.now();
        let cutoff = to_i64(now.saturating_sub(self.config.settlement_grace_secs))?;
        let at = to_i64(now)?;
        self.store.write(|tx| {
            let mut total = 0u64;
            for (id, owner, amount) in tx.expired_live(cutoff)? {
                tx.set_note_state(&id, crate::store::notes::NoteState::ExpiredReturned)?;
                let account = tx.wallet_account(&owner)?.ok_or_else(|| IssuerError::Internal {
                    what: "an expired note's owner is not registered".into(),
                })?;
                tx.book(account, amount, Entry::ExpiredReturn, &id, at)?;
                total = total.saturating_add(u64::try_from(amount).unwrap_or(0));
            }
            Ok(total)
        })
    }
}
