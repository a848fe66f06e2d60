//! [`Issuer`]: the issuer's logic as a library (accounts, wallets, funding, authentication,
//! revocations, audit). Settlement of uploaded bundles is in [`crate::settle`]. No HTTP here:
//! the handlers in [`crate::http`] only parse, call these methods and serialise.
//!
//! ```text
//!  http handler ─► Issuer::authenticate ─► Issuer::{register, fund, defund, sync, …}
//!                                            │ one SQLite write transaction per call
//!                                            ▼
//!                                         Db (Mutex<Connection>)
//! ```
//!
//! Every method is blocking (SQLite, signature checks): async callers run them on a blocking
//! thread. Time comes from the injected clock.

use std::sync::Arc;

use offline_cash_core::crypto::{PublicKey, Suite, sha256};
use offline_cash_core::policy::Limits;
use offline_cash_core::sync::{auth, wire};
use offline_cash_core::token::{
    CertificateBody, CertificateStore, Currency, IssuerKey, KeyRotation, Note, NoteBody, Policy, PolicyBody,
    RefreshPolicy, RevocationBody, RevocationList, TrustStore, WalletCertificate, WalletId, policy_sequence_of,
    wallet_id,
};
use parking_lot::{Mutex, RwLock};
use rand_core::{OsRng, RngCore as _};
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use crate::metrics::Metrics;
use crate::rate_limit::{RateLimit, RateLimiter};
use crate::{IssuerError, db};

/// A source of Unix seconds.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
}

/// The issuer's policy and operating parameters. Debug output omits the admin token.
#[derive(Clone)]
pub struct IssuerConfig {
    /// Database file (created on first start).
    pub db_path: std::path::PathBuf,
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
    pub(crate) db: Mutex<Connection>,
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

/// Whether the account is revoked (one of its wallets double spent and no administrator has
/// reinstated it).
fn account_revoked(conn: &Connection, account: i64) -> Result<bool, IssuerError> {
    let at: Option<i64> = conn.query_row("SELECT revoked_at FROM accounts WHERE id = ?1", [account], |r| r.get(0))?;
    Ok(at.is_some())
}

fn meta_get(conn: &Connection, key: &str) -> Result<Option<Vec<u8>>, IssuerError> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

impl Issuer {
    /// Opens (or creates) the database and loads or creates the issuer key and policy.
    pub fn open(config: IssuerConfig, clock: Clock) -> Result<Self, IssuerError> {
        config.check()?;
        let mut conn = db::open(&config.db_path)?;
        let currency = Currency::new(&config.currency)
            .ok_or_else(|| IssuerError::Policy { what: format!("bad currency {}", config.currency) })?;
        let now = clock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let keys = crate::keys::load_or_create(&tx, now)?;
        let (signer, key) = keys.active(now);
        let created = keys.created;
        // The policy's sequence increases whenever the configured limits change.
        // A new signing key (a rotation) also makes a new policy, signed by it.
        let mut body = PolicyBody {
            issuer_key_id: key.key_id,
            sequence: 1,
            issued_at: created,
            currency,
            per_payment_limit: config.per_payment_limit,
            offline_holding_limit: config.holding_limit,
            max_chain_depth: config.max_chain_depth,
            certificate_offline_validity: config.certificate_validity_secs,
            max_offline_payments: config.max_offline_payments,
            refresh: config.refresh,
            tier_limits: crate::tier_policy::ordered(&config.tier_limits)?,
        };
        let stored = meta_get(&tx, "policy")?;
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
                body = o.clone();
            } else {
                body.sequence = o.sequence.saturating_add(1);
                body.issued_at = now.max(key.not_before);
            }
        }
        let policy = Policy::sign(body, signer)?;
        tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('policy', ?1)", [policy.to_bytes()])?;
        tx.commit()?;

        let trust = keys.trust.clone();
        let mut certs = CertificateStore::new();
        {
            // Every certificate ever issued: links are checked against the one valid at their time.
            let mut stmt = conn.prepare("SELECT certificate FROM certificates")?;
            let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
            for row in rows {
                if let Ok(cert) = WalletCertificate::from_bytes(&row?) {
                    let _ = certs.insert(cert, &trust);
                }
            }
        }
        Ok(Self {
            db: Mutex::new(conn),
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
        limiter.admit(&caller.wallet, std::time::Instant::now()).map_err(|wait| {
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
        let mut conn = self.db.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: bool =
            tx.query_row("SELECT EXISTS(SELECT 1 FROM accounts WHERE customer_ref = ?1)", [customer_ref], |r| {
                r.get(0)
            })?;
        if exists {
            return Err(IssuerError::Conflict { what: format!("account {customer_ref} exists") });
        }
        tx.execute(
            "INSERT INTO accounts (customer_ref, credential_hash, balance, initial) VALUES (?1, ?2, ?3, ?3)",
            params![customer_ref, &hash[..], balance],
        )?;
        tx.commit()?;
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
        let digest = auth::request_digest(req.method, req.path, req.body, timestamp, &nonce, &wallet);
        let hash = sha256(&[credential.as_bytes()]);

        let mut conn = self.db.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let account: i64 = tx
            .query_row("SELECT id FROM accounts WHERE credential_hash = ?1", [&hash[..]], |r| r.get(0))
            .optional()?
            .ok_or_else(|| IssuerError::Unauthorized { what: "unknown credential".into() })?;
        let key = match register_key {
            Some(k) => {
                if wallet_id(k) != wallet {
                    return Err(IssuerError::BadSignature);
                }
                k.clone()
            }
            None => {
                let row: Option<(i64, Vec<u8>, u8)> = tx
                    .query_row("SELECT account, public_key, suite FROM wallets WHERE id = ?1", [&wallet.0[..]], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .optional()?;
                let (owner, pk, suite) = row.ok_or(IssuerError::UnknownWallet)?;
                if owner != account {
                    return Err(IssuerError::UnknownWallet);
                }
                let suite = Suite::from_id(u64::from(suite)).map_err(|_| IssuerError::BadSignature)?;
                PublicKey::from_bytes(suite, &pk).map_err(|_| IssuerError::BadSignature)?
            }
        };
        let message = offline_cash_core::crypto::signing_message(key.suite(), &digest);
        key.verify(&message, &signature).map_err(|_| IssuerError::BadSignature)?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO nonces (wallet, nonce, ts) VALUES (?1, ?2, ?3)",
            params![&wallet.0[..], &nonce[..], to_i64(timestamp)?],
        )?;
        if inserted == 0 {
            return Err(IssuerError::ReplayedNonce);
        }
        // Nonces older than the window can never be replayed (the timestamp check refuses them).
        let horizon = to_i64(now.saturating_sub(2 * self.config.auth_window_secs))?;
        tx.execute("DELETE FROM nonces WHERE ts < ?1", [horizon])?;
        tx.commit()?;
        Ok(Caller { wallet, account })
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
        let mut conn = self.db.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if self.is_revoked(&tx, &caller.wallet)? {
            return Err(IssuerError::Revoked);
        }
        if account_revoked(&tx, caller.account)? {
            return Err(IssuerError::AccountRevoked);
        }
        let customer_ref: String =
            tx.query_row("SELECT customer_ref FROM accounts WHERE id = ?1", [caller.account], |r| r.get(0))?;
        let existing: Option<(i64, Vec<u8>)> = tx
            .query_row("SELECT account, certificate FROM wallets WHERE id = ?1", [&caller.wallet.0[..]], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (signer, signing_key) = self.keys.active(now);
        let tier = crate::tier_attestation::tier_to_record(&tx, &caller.wallet.0, tier)?;
        // The certificate states its tier's limits, so a tier may have more than the general ones.
        let limits = self.policy.body().limits_for(tier);
        let cert = match existing {
            Some((acc, _)) if acc != caller.account => {
                return Err(IssuerError::Conflict { what: "wallet registered to another account".into() });
            }
            // Re-registering renews the certificate (a new validity window); the earlier ones
            // stay in `certificates`, so links signed under them still settle.
            _ => WalletCertificate::sign(
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
            )?,
        };
        tx.execute(
            "INSERT INTO wallets (id, account, public_key, suite, certificate, tier) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(id) DO UPDATE SET certificate = excluded.certificate, tier = excluded.tier",
            params![
                &caller.wallet.0[..],
                caller.account,
                key.as_bytes(),
                key.suite().id(),
                cert.to_bytes(),
                tier.code()
            ],
        )?;
        // The history keeps the certificates this one renews.
        tx.execute(
            "INSERT OR IGNORE INTO certificates (wallet, certificate) VALUES (?1, ?2)",
            params![&caller.wallet.0[..], cert.to_bytes()],
        )?;
        tx.commit()?;
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
        let mut conn = self.db.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let key = [b"fund:".as_slice(), &request_id].concat();
        if let Some(answer) = crate::settle::stored_answer(&tx, &caller.wallet, &key, &request_hash)? {
            return serde_json::from_str(&answer).map_err(|e| IssuerError::Internal { what: e.to_string() });
        }
        if self.is_revoked(&tx, &caller.wallet)? {
            return Err(IssuerError::Revoked);
        }
        if account_revoked(&tx, caller.account)? {
            return Err(IssuerError::AccountRevoked);
        }
        let certificate: Vec<u8> =
            tx.query_row("SELECT certificate FROM wallets WHERE id = ?1", [&caller.wallet.0[..]], |r| r.get(0))?;
        let certificate = WalletCertificate::from_bytes(&certificate)
            .map_err(|e| IssuerError::Internal { what: format!("stored certificate does not decode: {e}") })?;
        let held: i64 = tx.query_row(
            "SELECT COALESCE(SUM(amount), 0) FROM notes WHERE owner = ?1 AND state = 'live'",
            [&caller.wallet.0[..]],
            |r| r.get(0),
        )?;
        Limits::new(self.policy.body(), certificate.body())
            .check_holding(u64::try_from(held).unwrap_or(0), total)
            .map_err(IssuerError::Limit)?;
        let balance: i64 =
            tx.query_row("SELECT balance FROM accounts WHERE id = ?1", [caller.account], |r| r.get(0))?;
        let needed = to_i64(total)?;
        if balance < needed {
            return Err(IssuerError::InsufficientBalance { balance, needed: total });
        }
        let mut notes = Vec::with_capacity(req.amounts.len());
        for amount in &req.amounts {
            let note = self.issue_note(&tx, caller.wallet, *amount, now)?;
            notes.push(auth::b64(&note.to_bytes()));
        }
        tx.execute("UPDATE accounts SET balance = balance - ?1 WHERE id = ?2", params![needed, caller.account])?;
        tx.execute(
            "INSERT INTO ledger (account, delta, kind, reference, at) VALUES (?1, ?2, 'fund', ?3, ?4)",
            params![caller.account, -needed, &request_id[..], to_i64(now)?],
        )?;
        let answer = wire::FundResponse { notes, balance: balance - needed };
        crate::settle::store_answer(&tx, &caller.wallet, &key, &request_hash, &answer)?;
        tx.commit()?;
        Ok(answer)
    }

    /// Signs a new genesis note and records it as live.
    pub(crate) fn issue_note(
        &self,
        tx: &Connection,
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
        tx.execute(
            "INSERT INTO notes (id, owner, amount, expires_at, origin, state) VALUES (?1, ?2, ?3, ?4, 'genesis', 'live')",
            params![&note.id().0[..], &owner.0[..], to_i64(amount)?, to_i64(note.body().expires_at)?],
        )?;
        Ok(note)
    }

    /// Lifts the revocation of the account `customer_ref` (admin): its customer may register
    /// and fund wallets again. The wallet that double spent stays revoked (revocation lists
    /// only grow). Returns whether the account was revoked.
    pub fn reinstate_account(&self, customer_ref: &str) -> Result<wire::ReinstateAccountResponse, IssuerError> {
        let mut conn = self.db.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(i64, Option<i64>)> = tx
            .query_row("SELECT id, revoked_at FROM accounts WHERE customer_ref = ?1", [customer_ref], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (account, revoked_at) = row.ok_or(IssuerError::UnknownAccount)?;
        tx.execute("UPDATE accounts SET revoked_at = NULL WHERE id = ?1", [account])?;
        tx.commit()?;
        if revoked_at.is_some() {
            tracing::warn!(customer_ref, "account reinstated by an administrator");
        }
        Ok(wire::ReinstateAccountResponse { customer_ref: customer_ref.to_owned(), was_revoked: revoked_at.is_some() })
    }

    pub(crate) fn is_revoked(&self, conn: &Connection, wallet: &WalletId) -> Result<bool, IssuerError> {
        Ok(conn
            .query_row("SELECT EXISTS(SELECT 1 FROM revocations WHERE wallet = ?1)", [&wallet.0[..]], |r| r.get(0))?)
    }

    /// The signed full revocation list and the ids added after `since`.
    pub fn revocations(&self, since: Option<u64>) -> Result<wire::RevocationsResponse, IssuerError> {
        let conn = self.db.lock();
        self.revocations_with(&conn, since)
    }

    pub(crate) fn revocations_with(
        &self,
        conn: &Connection,
        since: Option<u64>,
    ) -> Result<wire::RevocationsResponse, IssuerError> {
        let rows = crate::store::Tx::revocations(&mut crate::store::sqlite::SqliteTx(conn))?;
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
        let conn = self.db.lock();
        let sum = |sql: &str| -> Result<i64, IssuerError> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
        let u = |v: i64| u64::try_from(v).unwrap_or(0);
        let issued = u(sum("SELECT COALESCE(SUM(amount), 0) FROM notes WHERE origin IN ('genesis', 'guarantee')")?);
        let state = |s: &str| -> Result<u64, IssuerError> {
            Ok(u(conn.query_row("SELECT COALESCE(SUM(amount), 0) FROM notes WHERE state = ?1", [s], |r| r.get(0))?))
        };
        let held_offline = state("live")?;
        let deposited = state("deposited")?;
        let refreshed = state("refreshed")?;
        let expired_returned = state("expired_returned")?;
        let account_balances = sum("SELECT COALESCE(SUM(balance), 0) FROM accounts")?;
        let account_initial = sum("SELECT COALESCE(SUM(initial), 0) FROM accounts")?;
        let recovered = sum("SELECT COALESCE(SUM(recovered), 0) FROM accounts")?;
        let guaranteed = u(sum("SELECT COALESCE(SUM(guaranteed), 0) FROM double_spends")?);
        let funded = -sum("SELECT COALESCE(SUM(delta), 0) FROM ledger WHERE kind = 'fund'")?;
        let double_spends = u(sum("SELECT COUNT(*) FROM double_spends")?);
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
        let mut conn = self.db.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let expired: Vec<(Vec<u8>, Vec<u8>, i64)> = {
            let mut stmt = tx.prepare(
                "SELECT n.id, n.owner, n.amount FROM notes n JOIN wallets w ON w.id = n.owner
                 WHERE n.state = 'live' AND n.expires_at < ?1",
            )?;
            let rows = stmt.query_map([cutoff], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut total = 0u64;
        for (id, owner, amount) in expired {
            tx.execute("UPDATE notes SET state = 'expired_returned' WHERE id = ?1", [&id])?;
            let account: i64 = tx.query_row("SELECT account FROM wallets WHERE id = ?1", [&owner], |r| r.get(0))?;
            tx.execute("UPDATE accounts SET balance = balance + ?1 WHERE id = ?2", params![amount, account])?;
            tx.execute(
                "INSERT INTO ledger (account, delta, kind, reference, at) VALUES (?1, ?2, 'expired_return', ?3, ?4)",
                params![account, amount, &id, to_i64(now)?],
            )?;
            total = total.saturating_add(u64::try_from(amount).unwrap_or(0));
        }
        tx.commit()?;
        Ok(total)
    }
}
