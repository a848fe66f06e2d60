//! JSON envelopes exchanged between wallets and the issuer (serde).
//!
//! Signed objects travel inside as standard base64 (with padding) of their canonical bytes,
//! so the issuer verifies exactly the bytes the phones verified. Ids are lower-case hex.
//! Every error answer is an [`ErrorBody`]. Paths are in [`paths`].
//!
//! ```text
//!  wallet ──POST /v1/sync {SyncRequest}──► issuer ──{SyncResponse}──► wallet
//!           headers: Authorization: Bearer <account credential>
//!                    x-oc-wallet, x-oc-timestamp, x-oc-nonce, x-oc-signature  (see `auth`)
//! ```

use serde::{Deserialize, Serialize};

use crate::reason::Reason;

/// Request paths.
pub mod paths {
    /// `GET`: liveness.
    pub const HEALTH: &str = "/health";
    /// `GET`: Prometheus text metrics.
    pub const METRICS: &str = "/metrics";
    /// `POST` (admin token): create a customer account with an online balance.
    pub const ACCOUNTS: &str = "/v1/admin/accounts";
    /// `POST` (admin token): lift the revocation of an account whose wallet double spent.
    pub const REINSTATE_ACCOUNT: &str = "/v1/admin/accounts/{customer_ref}/reinstate";
    /// `GET` (admin token): conservation audit.
    pub const AUDIT: &str = "/v1/admin/audit";
    /// `POST` (credential + wallet signature): register a wallet, get its certificate.
    pub const REGISTER: &str = "/v1/wallets";
    /// `POST` (credential + wallet signature): account → notes.
    pub const FUND: &str = "/v1/fund";
    /// `POST` (credential + wallet signature): notes → account.
    pub const DEFUND: &str = "/v1/defund";
    /// `POST` (credential + wallet signature): upload a settlement batch.
    pub const SYNC: &str = "/v1/sync";
    /// `GET` (public): the signed revocation list, `?since=SEQ` adds the delta.
    pub const REVOCATIONS: &str = "/v1/revocations";
    /// `GET` (public): issuer keys, their rotation chain and the signed policy.
    pub const ISSUER_KEYS: &str = "/v1/issuer-keys";
    /// `POST` (account credential, no wallet signature: the key to attest does not exist
    /// yet): a single-use challenge for a registration with key attestation.
    pub const ATTESTATION_CHALLENGE: &str = "/v1/attestation-challenge";
    /// `POST` (account credential, no wallet signature: the phone is gone): reports a wallet
    /// of the account lost or broken.
    pub const LOST_WALLET: &str = "/v1/wallets/{wallet}/lost";
}

/// The body of every 4xx/5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Why, by its stable name, e.g. `bad_signature`, `replayed_nonce`, `malformed` (a name
    /// this version does not know decodes as [`Reason::Unknown`]).
    pub code: Reason,
    /// Human readable explanation.
    pub message: String,
}

/// `POST /v1/admin/accounts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAccountRequest {
    /// Opaque customer reference (≤ 64 bytes), unique; put in wallet certificates.
    pub customer_ref: String,
    /// Initial online balance (minor units).
    pub balance: u64,
}

/// Answer to [`CreateAccountRequest`]. Its Debug output omits the credential (a secret).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAccountResponse {
    /// The customer reference.
    pub customer_ref: String,
    /// The bearer secret for this account (shown once; the issuer keeps only its hash).
    pub credential: String,
}

impl std::fmt::Debug for CreateAccountResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateAccountResponse").field("customer_ref", &self.customer_ref).finish_non_exhaustive()
    }
}

/// `POST /v1/wallets`: the request is signed by the key being registered (proof of possession).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    /// Suite id (1 P-256, 2 ML-DSA-44, 3 composite).
    pub suite: u8,
    /// base64 of the public key bytes.
    pub public_key: String,
    /// Hex of the challenge ([`AttestationChallengeResponse`]) the evidence answers; only with
    /// `attestation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
    /// Key attestation evidence; without it the wallet is registered at the software tier
    /// (a renewal without it keeps the tier recorded at the first registration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<AttestationEvidence>,
}

/// Key attestation evidence (`kind` `android` or `app_attest`), base64 fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AttestationEvidence {
    /// Android key attestation: base64 DER certificates, leaf first.
    Android {
        /// The chain.
        chain: Vec<String>,
    },
    /// Apple App Attest.
    AppAttest {
        /// base64 of the attestation object (CBOR).
        attestation_object: String,
        /// base64 of the key id.
        key_id: String,
    },
}

/// `POST /v1/attestation-challenge` (bearer credential only, empty body): a single-use
/// challenge, bound to the account, to create an attested key with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationChallengeResponse {
    /// Hex of the 32 challenge bytes.
    pub challenge: String,
    /// Unix time after which the issuer refuses it.
    pub expires_at: u64,
}

/// Answer to [`RegisterRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterResponse {
    /// Hex wallet id.
    pub wallet_id: String,
    /// base64 of the signed `WalletCertificate`.
    pub certificate: String,
    /// base64 of the signed current `Policy`.
    pub policy: String,
}

/// `POST /v1/fund`: debit the account, issue notes of these amounts to the signing wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundRequest {
    /// Client-chosen hex id (16 bytes); a repeated id returns the first answer (idempotent).
    pub request_id: String,
    /// One note per amount (minor units, each > 0).
    pub amounts: Vec<u64>,
}

/// Answer to [`FundRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundResponse {
    /// base64 of each signed genesis `Note`.
    pub notes: Vec<String>,
    /// Online balance after the debit.
    pub balance: i64,
}

/// `POST /v1/defund`: deposit notes owned by the signing wallet back to its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefundRequest {
    /// base64 of a `Bundle` whose heads are owned by the signing wallet.
    pub bundle: String,
}

/// Answer to [`DefundRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefundResponse {
    /// The per-record result of the deposit.
    pub result: RecordResult,
    /// Online balance after the credit.
    pub balance: i64,
}

/// What the wallet wants done with one uploaded bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// Links this wallet signed (the bundle's heads are their outputs): record them.
    Spent,
    /// Notes this wallet received: credit their value to the account.
    Deposit,
    /// Notes this wallet received: re-issue them as fresh genesis notes.
    Refresh,
}

/// One uploaded record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// What to do.
    pub kind: RecordKind,
    /// base64 of the canonical `Bundle`.
    pub bundle: String,
    /// For a `refresh` record, the amounts of the fresh notes (each > 0, their sum the total of
    /// the bundle's heads, at most 1,024): how a wallet consolidates small notes or splits a
    /// large one. Absent or empty: one fresh note per head, of the head's amount.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amounts: Vec<u64>,
}

/// `POST /v1/sync`: one settlement batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// Client-chosen hex id (16 bytes). Resending the same batch returns the stored answer.
    pub batch_id: String,
    /// The records, processed in order.
    pub records: Vec<Record>,
    /// The wallet's spend counter now (never goes backwards on an honest wallet).
    pub counter: u64,
    /// Hex of the wallet's log head (32 bytes).
    pub log_head: String,
    /// Number of entries in the wallet's log. With it the issuer tells a wallet that received
    /// money since its last sync (same counter, longer log) from a fork (same counter, same
    /// length, another head). Absent from older clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_len: Option<u64>,
    /// Sequence of the revocation list the wallet holds, if any.
    pub revocation_sequence: Option<u64>,
}

/// The outcome of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Recorded (and credited or refreshed) now.
    Accepted,
    /// Already recorded by an earlier request; nothing changed.
    Duplicate,
    /// A link in it spends a note already spent by a different link (the proof is stored).
    DoubleSpend,
    /// Refused; see `reason`.
    Rejected,
}

/// The result of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordResult {
    /// Index of the record in the request.
    pub index: u32,
    /// Outcome.
    pub status: RecordStatus,
    /// Why, when rejected (a chain rejection or a settlement reason), by its stable name.
    pub reason: Option<Reason>,
    /// Value credited to the account by this record (deposits, guaranteed double spends).
    pub credited: u64,
    /// base64 of fresh notes issued by this record (refresh).
    pub fresh_notes: Vec<String>,
}

/// Answer to [`SyncRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// The batch id.
    pub batch_id: String,
    /// One result per record, in order.
    pub results: Vec<RecordResult>,
    /// True when the counter or log head went backwards: the wallet was restored from an
    /// old state (a rolled-back wallet). Flagged on the issuer side as well.
    pub rollback_detected: bool,
    /// Online balance after the batch.
    pub balance: i64,
    /// Revocations, if the wallet's list is not current.
    pub revocations: Option<RevocationsResponse>,
    /// base64 of the signed current policy.
    pub policy: String,
    /// base64 of each issuer key. Informative only: a wallet trusts a key it did not pin
    /// only through `key_rotations`.
    pub issuer_keys: Vec<String>,
    /// base64 of each signed `KeyRotation` of the issuer, oldest first: the chain from the
    /// first key to the current one. Absent (empty) from issuers that never rotated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_rotations: Vec<String>,
}

/// `GET /v1/revocations[?since=SEQ]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationsResponse {
    /// The current sequence.
    pub sequence: u64,
    /// base64 of the signed full `RevocationList`.
    pub list: String,
    /// Hex ids revoked after `since` (all of them when `since` was absent).
    pub added: Vec<String>,
}

/// `GET /v1/issuer-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerKeysResponse {
    /// base64 of each `IssuerKey`.
    pub keys: Vec<String>,
    /// base64 of the signed current policy.
    pub policy: String,
    /// base64 of each signed `KeyRotation`, oldest first (see [`SyncResponse::key_rotations`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_rotations: Vec<String>,
}

/// `POST /v1/admin/accounts/{customer_ref}/reinstate`: the account may register and fund
/// wallets again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReinstateAccountResponse {
    /// The account.
    pub customer_ref: String,
    /// Whether it was revoked before this call.
    pub was_revoked: bool,
}

/// `POST /v1/wallets/{wallet}/lost`, with the account's bearer credential.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostWalletRequest {
    /// Reserved for an issuer that asks for a second factor (a one-time code, a confirmation
    /// from the bank's app). The reference issuer asks for none and refuses one it cannot check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_factor: Option<String>,
}

/// Answer to [`LostWalletRequest`]: the wallet is revoked from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostWalletResponse {
    /// The wallet (hex id).
    pub wallet: String,
    /// When it was first reported (a repeated report answers the first).
    pub reported_at: u64,
    /// From when the value it still holds goes back to the account: the end of its last
    /// certificate (it cannot pay offline after that) plus the time payees have to settle.
    pub returns_at: u64,
    /// What the issuer knows it holds now (notes received offline and not yet uploaded by
    /// their payers are not counted; they return once uploaded).
    pub held_known: u64,
}

/// `GET /v1/admin/audit`: the conservation check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditResponse {
    /// Genesis notes issued (fund and refresh) plus double-spend outputs the issuer guaranteed.
    pub issued: u64,
    /// Notes the issuer believes are held offline (live).
    pub held_offline: u64,
    /// Notes deposited to accounts (sync deposits and defunds).
    pub deposited: u64,
    /// Notes retired by a refresh (their value lives on in fresh notes, counted in `issued`).
    pub refreshed: u64,
    /// Expired notes whose value was returned to their owner's account.
    pub expired_returned: u64,
    /// `issued == held_offline + deposited + refreshed + expired_returned`.
    pub balanced: bool,
    /// Sum of all online account balances.
    pub account_balances: i64,
    /// Sum of all initial balances given at account creation.
    pub account_initial: i64,
    /// Recovered from cheaters: what their accounts actually paid towards the guarantees (an
    /// account is debited only as far as its balance goes).
    pub recovered_from_cheaters: u64,
    /// Value the issuer guaranteed to honest payees of double-spent notes.
    #[serde(default)]
    pub guaranteed: u64,
    /// The part of `guaranteed` no cheater's account covered: the issuer's loss.
    #[serde(default)]
    pub issuer_loss: u64,
    /// Double spends detected.
    pub double_spends: u64,
    /// Value moved from accounts into notes by funding.
    pub funded: u64,
    /// `account_initial - funded + deposited + expired_returned - recovered_from_cheaters ==
    /// account_balances`.
    pub accounts_balanced: bool,
}
