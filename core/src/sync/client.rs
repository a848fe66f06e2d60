//! [`SyncClient`]: the wallet's HTTP client for the issuer.
//!
//! Every mutating call is signed with the wallet's [`Signer`] (see [`super::auth`]) and carries
//! the account credential as a bearer token. A retry re-signs with a fresh nonce and timestamp
//! but sends the same body, so the issuer's idempotency keys (`batch_id`, `request_id`) make a
//! resent call change nothing.

use std::sync::Arc;
use std::time::Duration;

use rand_core::{OsRng, RngCore as _};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::SyncError;
use super::auth::{self, b64, from_b64, to_hex};
use super::wire::{self, paths};
use crate::crypto::Signer;
use crate::token::{
    Bundle, IssuerKey, KeyRotation, Note, Policy, RevocationList, WalletCertificate, WalletId, wallet_id,
};

/// Exponential backoff for transient failures.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Total attempts (≥ 1).
    pub attempts: u32,
    /// Delay before the second attempt; doubled each time.
    pub initial_delay: Duration,
    /// Largest delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { attempts: 4, initial_delay: Duration::from_millis(200), max_delay: Duration::from_secs(5) }
    }
}

/// A created account. Its Debug output omits the credential (a secret).
#[derive(Clone, PartialEq, Eq)]
pub struct AccountCreated {
    /// Customer reference.
    pub customer_ref: String,
    /// The bearer credential.
    pub credential: String,
}

impl std::fmt::Debug for AccountCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountCreated").field("customer_ref", &self.customer_ref).finish_non_exhaustive()
    }
}

/// A registered wallet.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The certificate the issuer signed.
    pub certificate: WalletCertificate,
    /// The policy in force.
    pub policy: Policy,
}

/// One settlement batch, in typed form.
#[derive(Debug, Clone, Default)]
pub struct SyncBatch {
    /// Idempotency key: keep it when resending the same batch.
    pub batch_id: [u8; 16],
    /// Bundles whose links this wallet signed.
    pub spent: Vec<Bundle>,
    /// Bundles of received notes to credit to the account.
    pub deposit: Vec<Bundle>,
    /// Bundles of received notes to re-issue as fresh notes.
    pub refresh: Vec<Bundle>,
    /// For each bundle of `refresh` (by position), the fresh notes' amounts; missing or empty:
    /// one fresh note per head (see [`wire::Record::amounts`]).
    pub refresh_amounts: Vec<Vec<u64>>,
    /// The wallet's spend counter.
    pub counter: u64,
    /// The wallet's log head.
    pub log_head: [u8; 32],
    /// The number of entries in the wallet's log (see [`wire::SyncRequest::log_len`]).
    pub log_len: Option<u64>,
    /// Sequence of the revocation list held, if any.
    pub revocation_sequence: Option<u64>,
}

impl SyncBatch {
    /// A batch with a random id.
    pub fn new(counter: u64, log_head: [u8; 32]) -> Self {
        let mut batch_id = [0u8; 16];
        OsRng.fill_bytes(&mut batch_id);
        Self { batch_id, counter, log_head, ..Self::default() }
    }

    /// The wire form (records in the order spent, deposit, refresh).
    pub fn to_wire(&self) -> wire::SyncRequest {
        let rec = |kind, b: &Bundle| wire::Record { kind, bundle: b64(&b.to_bytes()), amounts: Vec::new() };
        let records = self
            .spent
            .iter()
            .map(|b| rec(wire::RecordKind::Spent, b))
            .chain(self.deposit.iter().map(|b| rec(wire::RecordKind::Deposit, b)))
            .chain(self.refresh.iter().enumerate().map(|(i, b)| wire::Record {
                amounts: self.refresh_amounts.get(i).cloned().unwrap_or_default(),
                ..rec(wire::RecordKind::Refresh, b)
            }))
            .collect();
        wire::SyncRequest {
            batch_id: to_hex(&self.batch_id),
            records,
            counter: self.counter,
            log_head: to_hex(&self.log_head),
            log_len: self.log_len,
            revocation_sequence: self.revocation_sequence,
        }
    }
}

/// The result of one record, decoded.
#[derive(Debug, Clone)]
pub struct SyncRecordResult {
    /// Index in the batch.
    pub index: u32,
    /// Outcome.
    pub status: wire::RecordStatus,
    /// Why, when rejected.
    pub reason: Option<crate::reason::Reason>,
    /// Credited value.
    pub credited: u64,
    /// Fresh notes.
    pub fresh_notes: Vec<Note>,
}

/// A revocation list answer, decoded.
#[derive(Debug, Clone)]
pub struct Revocations {
    /// Sequence.
    pub sequence: u64,
    /// The signed full list (verify with `verify_issuer` before installing).
    pub list: RevocationList,
    /// Ids added since the requested sequence.
    pub added: Vec<WalletId>,
}

/// A decoded sync answer.
#[derive(Debug, Clone)]
pub struct SyncOutcome {
    /// Per-record results.
    pub results: Vec<SyncRecordResult>,
    /// The wallet was seen rolling back.
    pub rollback_detected: bool,
    /// Online balance.
    pub balance: i64,
    /// Revocations when the wallet's list is stale.
    pub revocations: Option<Revocations>,
    /// Current policy.
    pub policy: Policy,
    /// Current issuer keys (informative: see [`crate::wallet::IssuerUpdate`]).
    pub issuer_keys: Vec<IssuerKey>,
    /// The issuer's key rotations, oldest first.
    pub key_rotations: Vec<KeyRotation>,
}

/// The public keys answer, decoded.
#[derive(Debug, Clone)]
pub struct IssuerTrust {
    /// The keys the issuer lists.
    pub keys: Vec<IssuerKey>,
    /// Its rotation chain, oldest first.
    pub rotations: Vec<KeyRotation>,
    /// The current policy.
    pub policy: Policy,
}

/// How a [`SyncClient`] may connect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientOptions {
    /// Development only: allow a plain `http://` URL to a host that is not loopback. Off by
    /// default: over plain HTTP anyone on the path reads the account credential and can
    /// rewrite every answer (the wallet's trust rules still hold, but results, notes and
    /// balances are unauthenticated).
    pub allow_insecure_http: bool,
}

/// Checks that `base_url` is `https://`, or `http://` to a loopback host (or any host when
/// `allow_insecure_http`).
pub fn check_url(base_url: &str, allow_insecure_http: bool) -> Result<(), SyncError> {
    let url = reqwest::Url::parse(base_url)
        .map_err(|e| SyncError::Misuse { what: format!("base URL {base_url:?} does not parse: {e}") })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http => Ok(()),
        "http" => {
            // `host_str` is lower-cased, IPv4 normalised (`127.1` → `127.0.0.1`), IPv6 in brackets.
            let host = url.host_str().unwrap_or_default();
            let ip = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>();
            let loopback = host == "localhost" || ip.is_ok_and(|ip| ip.is_loopback());
            if loopback { Ok(()) } else { Err(SyncError::InsecureUrl { url: base_url.to_owned() }) }
        }
        _ => Err(SyncError::Misuse { what: format!("base URL {base_url:?} is not http(s)") }),
    }
}

/// The async client. Cheap to clone.
#[derive(Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    credential: String,
    signer: Arc<dyn Signer>,
    wallet: WalletId,
    retry: RetryPolicy,
    clock: Option<Clock>,
}

/// A source of Unix seconds for request timestamps (see [`SyncClient::with_clock`]).
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient").field("base", &self.base).field("wallet", &self.wallet).finish_non_exhaustive()
    }
}

fn invalid(what: impl Into<String>) -> SyncError {
    SyncError::InvalidResponse { what: what.into() }
}

fn decode<T>(text: &str, what: &str, parse: impl FnOnce(&[u8]) -> Option<T>) -> Result<T, SyncError> {
    from_b64(text).and_then(|b| parse(&b)).ok_or_else(|| invalid(format!("bad {what}")))
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl SyncClient {
    /// A client for the issuer at `base_url` (`https://…`, or `http://127.0.0.1:8080` and
    /// other loopback addresses), acting for the wallet whose key is `signer`, with the
    /// account's bearer `credential`. Plain `http://` to another host is
    /// [`SyncError::InsecureUrl`]; see [`SyncClient::with_options`].
    pub fn new(base_url: &str, credential: &str, signer: Arc<dyn Signer>) -> Result<Self, SyncError> {
        Self::with_options(base_url, credential, signer, ClientOptions::default())
    }

    /// [`SyncClient::new`] with explicit [`ClientOptions`].
    pub fn with_options(
        base_url: &str,
        credential: &str,
        signer: Arc<dyn Signer>,
        options: ClientOptions,
    ) -> Result<Self, SyncError> {
        check_url(base_url, options.allow_insecure_http)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| SyncError::Misuse { what: e.to_string() })?;
        let wallet = wallet_id(&signer.public_key());
        Ok(Self {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            credential: credential.to_owned(),
            signer,
            wallet,
            retry: RetryPolicy::default(),
            clock: None,
        })
    }

    /// A client for another wallet (`signer`, under the account of `credential`) at the same
    /// issuer, sharing this client's HTTP connection pool and retry policy. A process driving
    /// many wallets (a simulator, a test) then keeps a few connections open instead of one per
    /// wallet. Each request is still signed by `signer` and carries `credential`.
    pub fn for_wallet(&self, credential: &str, signer: Arc<dyn Signer>) -> SyncClient {
        SyncClient {
            http: self.http.clone(),
            base: self.base.clone(),
            credential: credential.to_owned(),
            wallet: wallet_id(&signer.public_key()),
            signer,
            retry: self.retry,
            clock: self.clock.clone(),
        }
    }

    /// The time this client stamps its requests with (its clock, or the system clock).
    pub fn now(&self) -> u64 {
        self.clock.as_ref().map_or_else(now, |c| c())
    }

    /// The same client stamping its signed requests with `clock` instead of the system clock
    /// (tests that move time: the issuer's clock and the wallet's `now` are then the same).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The same client with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The wallet id this client signs for.
    pub fn wallet_id(&self) -> WalletId {
        self.wallet
    }

    /// Admin helper: creates an account (`admin_token` is the issuer's admin secret). The
    /// URL follows the rule of [`SyncClient::new`].
    pub async fn create_account(
        base_url: &str,
        admin_token: &str,
        customer_ref: &str,
        balance: u64,
    ) -> Result<AccountCreated, SyncError> {
        check_url(base_url, false)?;
        let http = reqwest::Client::new();
        let url = format!("{}{}", base_url.trim_end_matches('/'), paths::ACCOUNTS);
        let body = wire::CreateAccountRequest { customer_ref: customer_ref.to_owned(), balance };
        let resp = http
            .post(&url)
            .bearer_auth(admin_token)
            .json(&body)
            .send()
            .await
            .map_err(|e| SyncError::Network { url: url.clone(), message: e.to_string() })?;
        let out: wire::CreateAccountResponse = read_answer(resp, 1).await?;
        Ok(AccountCreated { customer_ref: out.customer_ref, credential: out.credential })
    }

    /// Lifts an account's revocation (administrator): its customer may register and fund
    /// wallets again. Returns whether it was revoked.
    pub async fn reinstate_account(base_url: &str, admin_token: &str, customer_ref: &str) -> Result<bool, SyncError> {
        check_url(base_url, false)?;
        let http = reqwest::Client::new();
        let path = paths::REINSTATE_ACCOUNT.replace("{customer_ref}", customer_ref);
        let url = format!("{}{}", base_url.trim_end_matches('/'), path);
        let resp = http
            .post(&url)
            .bearer_auth(admin_token)
            .send()
            .await
            .map_err(|e| SyncError::Network { url: url.clone(), message: e.to_string() })?;
        let out: wire::ReinstateAccountResponse = read_answer(resp, 1).await?;
        Ok(out.was_revoked)
    }

    /// A single-use registration challenge for the account whose bearer `credential` this is
    /// (no wallet key needed: the app creates the key to attest with it). Returns the challenge
    /// bytes and the Unix time it expires at.
    pub async fn attestation_challenge(base_url: &str, credential: &str) -> Result<(Vec<u8>, u64), SyncError> {
        check_url(base_url, false)?;
        let http = reqwest::Client::new();
        let url = format!("{}{}", base_url.trim_end_matches('/'), paths::ATTESTATION_CHALLENGE);
        let resp = http
            .post(&url)
            .bearer_auth(credential)
            .json(&serde_json::json!({}))
            .send()
            .await
            .map_err(|e| SyncError::Network { url: url.clone(), message: e.to_string() })?;
        let out: wire::AttestationChallengeResponse = read_answer(resp, 1).await?;
        let challenge = crate::sync::auth::parse_hex::<32>(&out.challenge)
            .ok_or_else(|| SyncError::InvalidResponse { what: "challenge is not 32 hex bytes".into() })?;
        Ok((challenge.to_vec(), out.expires_at))
    }

    /// Reports wallet `wallet` of the account whose bearer `credential` this is lost or broken
    /// (from another device: the lost phone's key is not needed). The issuer revokes it at once
    /// and returns what it still holds to the account after its offline window
    /// ([`wire::LostWalletResponse::returns_at`]); a new wallet of the account then funds it.
    pub async fn report_lost(
        base_url: &str,
        credential: &str,
        wallet: &crate::token::WalletId,
    ) -> Result<wire::LostWalletResponse, SyncError> {
        check_url(base_url, false)?;
        let http = reqwest::Client::new();
        let path = paths::LOST_WALLET.replace("{wallet}", &crate::sync::auth::to_hex(&wallet.0));
        let url = format!("{}{}", base_url.trim_end_matches('/'), path);
        let resp = http
            .post(&url)
            .bearer_auth(credential)
            .json(&wire::LostWalletRequest::default())
            .send()
            .await
            .map_err(|e| SyncError::Network { url: url.clone(), message: e.to_string() })?;
        read_answer(resp, 1).await
    }

    /// Registers this wallet's key under the account; returns its certificate (at the
    /// software tier, or for a renewal the tier recorded before).
    pub async fn register(&self) -> Result<Registered, SyncError> {
        self.register_attested(None).await
    }

    /// Registers this wallet's key with key attestation evidence: the certificate carries the
    /// tier the issuer's verifier found (`None`: as [`SyncClient::register`]).
    pub async fn register_attested(
        &self,
        attestation: Option<&crate::sync::Attestation>,
    ) -> Result<Registered, SyncError> {
        let pk = self.signer.public_key();
        let (challenge, attestation) = attestation.map(|a| a.to_wire()).unzip();
        let req =
            wire::RegisterRequest { suite: pk.suite().id(), public_key: b64(pk.as_bytes()), challenge, attestation };
        let out: wire::RegisterResponse = self.signed_post(paths::REGISTER, &req).await?;
        Ok(Registered {
            certificate: decode(&out.certificate, "certificate", |b| WalletCertificate::from_bytes(b).ok())?,
            policy: decode(&out.policy, "policy", |b| Policy::from_bytes(b).ok())?,
        })
    }

    /// Debits the account and returns fresh notes of `amounts`, owned by this wallet.
    /// `request_id` makes a retried funding idempotent. Returns the notes and the balance.
    pub async fn fund(&self, request_id: [u8; 16], amounts: &[u64]) -> Result<(Vec<Note>, i64), SyncError> {
        let req = wire::FundRequest { request_id: to_hex(&request_id), amounts: amounts.to_vec() };
        let out: wire::FundResponse = self.signed_post(paths::FUND, &req).await?;
        let notes =
            out.notes.iter().map(|n| decode(n, "note", |b| Note::from_bytes(b).ok())).collect::<Result<Vec<_>, _>>()?;
        Ok((notes, out.balance))
    }

    /// Deposits the notes of `bundle` (owned by this wallet) back to the account.
    pub async fn defund(&self, bundle: &Bundle) -> Result<(SyncRecordResult, i64), SyncError> {
        let req = wire::DefundRequest { bundle: b64(&bundle.to_bytes()) };
        let out: wire::DefundResponse = self.signed_post(paths::DEFUND, &req).await?;
        Ok((decode_result(&out.result)?, out.balance))
    }

    /// Uploads one batch. Safe to call again with the same batch after any failure.
    pub async fn sync_batch(&self, batch: &SyncBatch) -> Result<SyncOutcome, SyncError> {
        let out: wire::SyncResponse = self.signed_post(paths::SYNC, &batch.to_wire()).await?;
        let results = out.results.iter().map(decode_result).collect::<Result<Vec<_>, _>>()?;
        let revocations = out.revocations.as_ref().map(decode_revocations).transpose()?;
        Ok(SyncOutcome {
            results,
            rollback_detected: out.rollback_detected,
            balance: out.balance,
            revocations,
            policy: decode(&out.policy, "policy", |b| Policy::from_bytes(b).ok())?,
            issuer_keys: decode_keys(&out.issuer_keys)?,
            key_rotations: decode_rotations(&out.key_rotations)?,
        })
    }

    /// The issuer's revocation list (public), with the ids added after `since`.
    pub async fn revocations(&self, since: Option<u64>) -> Result<Revocations, SyncError> {
        let path = match since {
            Some(s) => format!("{}?since={s}", paths::REVOCATIONS),
            None => paths::REVOCATIONS.to_owned(),
        };
        let out: wire::RevocationsResponse = self.get(&path).await?;
        decode_revocations(&out)
    }

    /// The issuer's keys and current policy (public).
    pub async fn issuer_keys(&self) -> Result<(Vec<IssuerKey>, Policy), SyncError> {
        let trust = self.issuer_trust().await?;
        Ok((trust.keys, trust.policy))
    }

    /// The issuer's keys, rotation chain and current policy (public).
    pub async fn issuer_trust(&self) -> Result<IssuerTrust, SyncError> {
        let out: wire::IssuerKeysResponse = self.get(paths::ISSUER_KEYS).await?;
        Ok(IssuerTrust {
            keys: decode_keys(&out.keys)?,
            rotations: decode_rotations(&out.key_rotations)?,
            policy: decode(&out.policy, "policy", |b| Policy::from_bytes(b).ok())?,
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, SyncError> {
        let url = format!("{}{path}", self.base);
        self.with_retries(&url, || self.http.get(&url)).await
    }

    async fn signed_post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, SyncError> {
        let url = format!("{}{path}", self.base);
        let bytes = serde_json::to_vec(body).map_err(|e| SyncError::Misuse { what: e.to_string() })?;
        let mut last = None;
        let mut delay = self.retry.initial_delay;
        for attempt in 1..=self.retry.attempts.max(1) {
            // A fresh nonce and timestamp per attempt: the issuer refuses replayed nonces.
            let mut nonce = [0u8; 16];
            OsRng.fill_bytes(&mut nonce);
            let ts = self.now();
            let digest = auth::request_digest("POST", path, &bytes, ts, &nonce, &self.wallet);
            let signature = auth::sign_digest(self.signer.as_ref(), &digest)?;
            let req = self
                .http
                .post(&url)
                .bearer_auth(&self.credential)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(auth::HEADER_WALLET, to_hex(&self.wallet.0))
                .header(auth::HEADER_TIMESTAMP, ts.to_string())
                .header(auth::HEADER_NONCE, to_hex(&nonce))
                .header(auth::HEADER_SIGNATURE, signature)
                .body(bytes.clone());
            match send_once(req, &url, attempt).await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_transient() => {
                    if attempt < self.retry.attempts {
                        tokio::time::sleep(e.wait(delay, self.retry.max_delay)).await;
                        delay = (delay * 2).min(self.retry.max_delay);
                    }
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| SyncError::Misuse { what: "no attempt made".into() }))
    }

    async fn with_retries<T: DeserializeOwned>(
        &self,
        url: &str,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, SyncError> {
        let mut last = None;
        let mut delay = self.retry.initial_delay;
        for attempt in 1..=self.retry.attempts.max(1) {
            match send_once(make(), url, attempt).await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_transient() => {
                    if attempt < self.retry.attempts {
                        tokio::time::sleep(e.wait(delay, self.retry.max_delay)).await;
                        delay = (delay * 2).min(self.retry.max_delay);
                    }
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| SyncError::Misuse { what: "no attempt made".into() }))
    }
}

async fn send_once<T: DeserializeOwned>(req: reqwest::RequestBuilder, url: &str, attempt: u32) -> Result<T, SyncError> {
    let resp = req.send().await.map_err(|e| SyncError::Network { url: url.to_owned(), message: e.to_string() })?;
    read_answer(resp, attempt).await
}

async fn read_answer<T: DeserializeOwned>(resp: reqwest::Response, attempt: u32) -> Result<T, SyncError> {
    let status = resp.status();
    let url = resp.url().to_string();
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        let retry_after_secs = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(1);
        return Err(SyncError::RateLimited { retry_after_secs });
    }
    let bytes = read_capped(resp, &url, MAX_RESPONSE_BYTES).await?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()));
    }
    let err: Option<wire::ErrorBody> = serde_json::from_slice(&bytes).ok();
    let (reason, message) = err.map(|e| (e.code, e.message)).unwrap_or_else(|| {
        (crate::reason::Reason::Unknown, String::from_utf8_lossy(bytes.get(..200).unwrap_or(&bytes)).into_owned())
    });
    if status.is_server_error() {
        Err(SyncError::Server { status: status.as_u16(), attempts: attempt, message })
    } else {
        Err(SyncError::Refused { status: status.as_u16(), reason, message })
    }
}

/// The largest answer the client reads from the issuer (bytes). The largest legitimate one
/// is a sync answer carrying a full revocation list (~3.4 MB, ~4.6 MB in base64) and the
/// fresh notes of a full batch; anything longer is refused before it is buffered, so a
/// hostile server or a network attacker cannot exhaust a phone's memory.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Reads the body of `resp`, refusing (without buffering) more than `limit` bytes.
async fn read_capped(mut resp: reqwest::Response, url: &str, limit: usize) -> Result<Vec<u8>, SyncError> {
    let too_large = |len: u64| SyncError::InvalidResponse { what: format!("answer of {len} bytes exceeds {limit}") };
    if let Some(len) = resp.content_length() {
        if len > limit as u64 {
            return Err(too_large(len));
        }
    }
    let mut body = Vec::new();
    while let Some(chunk) =
        resp.chunk().await.map_err(|e| SyncError::Network { url: url.to_owned(), message: e.to_string() })?
    {
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(too_large(body.len().saturating_add(chunk.len()) as u64));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn decode_result(r: &wire::RecordResult) -> Result<SyncRecordResult, SyncError> {
    Ok(SyncRecordResult {
        index: r.index,
        status: r.status,
        reason: r.reason,
        credited: r.credited,
        fresh_notes: r
            .fresh_notes
            .iter()
            .map(|n| decode(n, "note", |b| Note::from_bytes(b).ok()))
            .collect::<Result<Vec<_>, _>>()?,
    })
}

fn decode_revocations(r: &wire::RevocationsResponse) -> Result<Revocations, SyncError> {
    Ok(Revocations {
        sequence: r.sequence,
        list: decode(&r.list, "revocation list", |b| RevocationList::from_bytes(b).ok())?,
        added: r
            .added
            .iter()
            .map(|h| auth::parse_hex::<32>(h).map(WalletId).ok_or_else(|| invalid("bad wallet id")))
            .collect::<Result<Vec<_>, _>>()?,
    })
}

fn decode_keys(keys: &[String]) -> Result<Vec<IssuerKey>, SyncError> {
    keys.iter().map(|k| decode(k, "issuer key", |b| IssuerKey::from_bytes(b).ok())).collect()
}

fn decode_rotations(rotations: &[String]) -> Result<Vec<KeyRotation>, SyncError> {
    rotations.iter().map(|r| decode(r, "key rotation", |b| KeyRotation::from_bytes(b).ok())).collect()
}
