//! The wallet as the apps see it: open, balance, history, payments, settlement, events.
//!
//! ```text
//!  Wallet.openSoftware / openHardware ──► core::wallet::Wallet (+ SyncClient for the issuer)
//!    requestPayment / pay / cardSession / readerSession ──► sessions (session.rs)
//!    register / fund / sync (async, tokio) ──► core's async wallet methods
//!    after every operation: core's poll_event() drained ──► WalletListener.onEvent
//! ```
//!
//! Contract: wraps only. Time is the system clock ([`SystemClock`]), randomness the OS's
//! ([`OsEntropy`]). Every method takes `&self`; the core wallet serialises access internally,
//! so a `Wallet` is safe to share between threads.

use std::sync::{Arc, Mutex, PoisonError};

use offline_cash_core::crypto;
use offline_cash_core::nfc::{CardConfig, ReaderConfig};
use offline_cash_core::store;
use offline_cash_core::sync::{ClientOptions, SyncClient};
use offline_cash_core::wallet::{self as cw, Clock, OsEntropy};

use crate::key::ForeignWrapper;
use crate::session::{CardSession, NfcRole, PayeeSession, PayerSession, ReaderSession};
use crate::{KeyWrapper, OfflineCashError, Signer, Suite};

/// How a wallet is opened: its issuer, account, key suite and tolerances.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WalletConfig {
    /// The issuer's base URL (`https://issuer.example`).
    pub issuer_url: String,
    /// The account credential the issuer gave for this customer.
    pub account_credential: String,
    /// The suite of a software key generated on first open (ignored for a hardware key,
    /// which is always `ECDSA_P256`, and for an existing wallet, whose key is kept).
    pub suite: Suite,
    /// How far ahead (seconds) another device's clock may be.
    pub max_clock_skew_secs: u64,
    /// How long (seconds) a payment request stays open for a retried payment.
    pub request_ttl_secs: u64,
    /// Development only: allow a plain `http://` issuer URL to a host that is not loopback
    /// (`http://127.0.0.1`, `http://[::1]` and `http://localhost` are always allowed). Off by
    /// default: over plain HTTP anyone on the path reads the credential and the answers.
    #[uniffi(default = false)]
    pub allow_insecure_http: bool,
}

/// Spendable, pending (sent, awaiting a receipt) and total offline value, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Balance {
    /// What can be paid now.
    pub spendable: u64,
    /// Sent in a tap that has not completed (no receipt yet).
    pub pending: u64,
    /// In a refresh whose fresh notes have not arrived yet (still this wallet's).
    pub refreshing: u64,
    /// On its way to the online account (a deposit or defund not yet confirmed).
    pub depositing: u64,
    /// All of them.
    pub total: u64,
}

/// The balance note by note: what can be paid offline now, and what waits for a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct BalanceDetail {
    /// Payable offline now.
    pub spendable_now: u64,
    /// The most one payment can carry now.
    pub one_payment: u64,
    /// Waiting for a sync: notes whose chain is at the depth limit.
    pub waiting_too_deep: u64,
    /// Waiting for a sync: expired notes.
    pub waiting_expired: u64,
    /// Waiting for a sync: notes whose chain holds a custodian revoked since.
    pub waiting_revoked_custodian: u64,
    /// In a refresh.
    pub refreshing: u64,
    /// On its way to the account.
    pub depositing: u64,
    /// Sent, awaiting a receipt.
    pub pending: u64,
    /// All of it.
    pub total: u64,
}

/// What a refresh, deposit or defund did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FlowReport {
    /// Value refreshed into fresh notes, or moved to the account.
    pub done: u64,
    /// Value the issuer refused, spendable again.
    pub returned: u64,
    /// The issuer's reason for a refusal.
    pub reason: Option<crate::Reason>,
    /// The online account's balance afterwards.
    pub account_balance: i64,
}

impl From<cw::flow::FlowReport> for FlowReport {
    fn from(r: cw::flow::FlowReport) -> Self {
        Self { done: r.done, returned: r.returned, reason: r.reason, account_balance: r.account_balance }
    }
}

/// Where the next history page starts (from `HistoryPage.next`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct HistoryCursor {
    /// Time of the last entry returned.
    pub at: u64,
    /// Its sequence number.
    pub seq: u64,
}

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HistoryKind {
    /// Notes issued to this wallet online.
    Fund,
    /// A payment sent (pending until its receipt).
    Spend,
    /// A sent payment's receipt arrived (or the issuer settled it).
    SpendComplete,
    /// A payment received.
    Receive,
    /// A kind this version of the bindings does not know.
    Other,
}

/// One entry of the wallet's tamper-evident log.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HistoryEntry {
    /// Position in the log.
    pub seq: u64,
    /// Unix seconds.
    pub at: u64,
    /// What happened.
    pub kind: HistoryKind,
    /// The other wallet's id (hex), if any.
    pub counterparty: Option<String>,
    /// Minor units.
    pub amount: u64,
    /// The payment hash or note id it refers to (hex).
    pub reference: String,
}

/// One page of history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HistoryPage {
    /// The entries.
    pub entries: Vec<HistoryEntry>,
    /// The cursor of the next page, or none at the end.
    pub next: Option<HistoryCursor>,
}

/// An outgoing payment awaiting its receipt (a torn tap): tap the same payee again, or sync.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PendingPayment {
    /// The payment's hash (hex).
    pub payment_hash: String,
    /// The payee's wallet id (hex).
    pub payee: String,
    /// Minor units.
    pub amount: u64,
    /// Unix seconds when it was committed.
    pub created_at: u64,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Batches sent.
    pub batches: u32,
    /// Records the issuer recorded now.
    pub accepted: u32,
    /// Records it already had.
    pub duplicates: u32,
    /// Records that exposed a double spend.
    pub double_spends: u32,
    /// Records it refused.
    pub rejected: u32,
    /// Pending payments the issuer settled.
    pub settled_pending: u32,
    /// Wallets on the revocation list now.
    pub revoked: u64,
    /// The issuer saw this wallet roll back (a restored old database).
    pub rollback_detected: bool,
    /// Items of the issuer's answers refused and not installed (an issuer key no rotation
    /// from a trusted key introduces, a forged rotation, policy or revocation list, or an
    /// older one). Not 0: the answers were altered on the way, or the issuer misbehaves.
    pub refused: u32,
    /// The certificate's new end (Unix seconds) when this sync renewed it (it was in the last
    /// third of its window); `None` when no renewal was due or it was refused.
    pub renewed_until: Option<u64>,
    /// Why the issuer refused a due renewal (e.g. `Revoked`); `None` otherwise. A wallet whose
    /// renewal is refused stops paying offline when its certificate ends.
    pub renewal_refused: Option<crate::Reason>,
    /// Value refreshed into fresh notes by this sync (resumed and automatic refreshes).
    pub refreshed: u64,
    /// Value of refreshes the issuer refused (spendable again).
    pub refresh_returned: u64,
    /// Value of notes expired past the refresh window that left the wallet (the issuer
    /// returns it to the account).
    pub expired_returned: u64,
}

/// Something that happened, for the app's UI.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum WalletEvent {
    /// Value arrived and is committed; `payer_tier` is where the payer's key lives, as the
    /// issuer verified it (the app may show it).
    Received { payer: String, payer_tier: crate::Tier, amount: u64, payment_hash: String },
    /// A payment was committed as pending and handed to the link.
    Sent { payee: String, amount: u64, payment_hash: String },
    /// The payee's receipt arrived: the payment is complete.
    Completed { payee: String, amount: u64, payment_hash: String },
    /// A tap ended before the exchange completed; `pending` is the payment awaiting its
    /// receipt, if this wallet was paying.
    Torn { pending: Option<String> },
    /// Notes worth `amount` expire within the refresh window (the first at `first_expiry`):
    /// sync to refresh them.
    NotesExpiring { amount: u64, first_expiry: u64 },
    /// The certificate is in its renewal window: sync to renew it.
    CertificateExpiring { not_after: u64 },
    /// A refresh or deposit finished: `done` refreshed or deposited, `returned` refused.
    FlowFinished { done: u64, returned: u64 },
    /// Notes worth `amount` expired past the refresh window and left the wallet: the issuer
    /// returns their value to the online account.
    ValueReturned { amount: u64 },
}

/// Receives the wallet's events (on the thread of the operation that caused them; keep it
/// short and hand over to the UI thread).
#[uniffi::export(with_foreign)]
pub trait WalletListener: Send + Sync {
    /// One event.
    fn on_event(&self, event: WalletEvent);
}

/// The system clock, for the card role and every `now` the core needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }
}

pub(crate) fn now() -> u64 {
    SystemClock.now()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the wallet and its sessions share: the core wallet and the listener.
pub(crate) struct Shared {
    pub(crate) wallet: cw::Wallet,
    listener: Mutex<Option<Arc<dyn WalletListener>>>,
}

impl Shared {
    /// Forwards every queued core event to the listener (dropped if there is none).
    pub(crate) fn drain(&self) {
        let listener = self.listener.lock().unwrap_or_else(PoisonError::into_inner).clone();
        while let Some(event) = self.wallet.poll_event() {
            if let (Some(listener), Some(event)) = (&listener, convert_event(event)) {
                listener.on_event(event);
            }
        }
    }
}

fn convert_event(event: cw::WalletEvent) -> Option<WalletEvent> {
    Some(match event {
        cw::WalletEvent::PaymentReceived { payer, payer_tier, amount, payment_hash } => WalletEvent::Received {
            payer: payer.to_hex(),
            payer_tier: payer_tier.into(),
            amount,
            payment_hash: hex(&payment_hash),
        },
        cw::WalletEvent::PaymentSent { payee, amount, payment_hash } => {
            WalletEvent::Sent { payee: payee.to_hex(), amount, payment_hash: hex(&payment_hash) }
        }
        cw::WalletEvent::PaymentCompleted { payee, amount, payment_hash } => {
            WalletEvent::Completed { payee: payee.to_hex(), amount, payment_hash: hex(&payment_hash) }
        }
        cw::WalletEvent::TapTorn { pending } => WalletEvent::Torn { pending: pending.map(|h| hex(&h)) },
        cw::WalletEvent::NotesExpiring { amount, first_expiry } => WalletEvent::NotesExpiring { amount, first_expiry },
        cw::WalletEvent::CertificateExpiring { not_after } => WalletEvent::CertificateExpiring { not_after },
        cw::WalletEvent::FlowFinished { done, returned, .. } => WalletEvent::FlowFinished { done, returned },
        cw::WalletEvent::ValueReturned { amount } => WalletEvent::ValueReturned { amount },
        _ => return None,
    })
}

/// An offline wallet: one database, one key. Thread-safe.
#[derive(uniffi::Object)]
pub struct Wallet {
    pub(crate) shared: Arc<Shared>,
    client: Option<SyncClient>,
    client_error: String,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").field("id", &self.shared.wallet.id()).finish_non_exhaustive()
    }
}

fn core_config(config: &WalletConfig) -> cw::WalletConfig {
    cw::WalletConfig {
        max_clock_skew: config.max_clock_skew_secs,
        request_ttl: config.request_ttl_secs,
        ..cw::WalletConfig::default()
    }
}

impl Wallet {
    /// Wraps a core wallet (the constructors, and Rust tests that provision with the testkit).
    #[doc(hidden)]
    pub fn from_core(wallet: cw::Wallet, config: &WalletConfig) -> Arc<Self> {
        let (client, client_error) = match SyncClient::with_options(
            &config.issuer_url,
            &config.account_credential,
            wallet.signer(),
            ClientOptions { allow_insecure_http: config.allow_insecure_http },
        ) {
            Ok(c) => (Some(c), String::new()),
            Err(e) => (None, e.to_string()),
        };
        let shared = Arc::new(Shared { wallet, listener: Mutex::new(None) });
        Arc::new(Self { shared, client, client_error })
    }

    fn client(&self) -> Result<&SyncClient, OfflineCashError> {
        self.client.as_ref().ok_or_else(|| OfflineCashError::Misuse {
            detail: format!("issuer URL or credential unusable: {}", self.client_error),
        })
    }

    /// The core wallet (Rust callers, tests).
    #[doc(hidden)]
    pub fn core(&self) -> &cw::Wallet {
        &self.shared.wallet
    }

    /// Forwards queued events to the listener.
    pub(crate) fn shared_drain(&self) {
        self.shared.drain();
    }

    fn after<T>(&self, result: Result<T, cw::WalletError>) -> Result<T, OfflineCashError> {
        self.shared.drain();
        result.map_err(Into::into)
    }
}

#[uniffi::export]
impl Wallet {
    /// Opens (or creates) the wallet database at `path` with a software key: generated with
    /// `config.suite` and stored wrapped by `key_wrapper` on first open, unwrapped afterwards.
    #[uniffi::constructor]
    pub fn open_software(
        path: String,
        config: WalletConfig,
        key_wrapper: Arc<dyn KeyWrapper>,
    ) -> Result<Arc<Self>, OfflineCashError> {
        let wallet = cw::Wallet::open_software(
            &path,
            config.suite.into(),
            &ForeignWrapper(key_wrapper),
            Box::new(OsEntropy),
            core_config(&config),
        )?;
        Ok(Self::from_core(wallet, &config))
    }

    /// Opens (or creates) the wallet database at `path` for the platform P-256 key `signer`
    /// (Android Keystore / StrongBox, Secure Enclave); `key_alias` names the key and is stored.
    #[uniffi::constructor]
    pub fn open_hardware(
        path: String,
        config: WalletConfig,
        signer: Arc<dyn Signer>,
        key_alias: String,
    ) -> Result<Arc<Self>, OfflineCashError> {
        let signer: Arc<dyn crypto::Signer> = Arc::new(crate::signer::core_signer(signer)?);
        let wallet = cw::Wallet::open_hardware(&path, signer, &key_alias, Box::new(OsEntropy), core_config(&config))?;
        Ok(Self::from_core(wallet, &config))
    }

    /// This wallet's id: 64 lower-case hex characters.
    pub fn id(&self) -> String {
        self.shared.wallet.id().to_hex()
    }

    /// This wallet's tier (its certificate's): whose limits of the policy apply to it.
    pub fn tier(&self) -> Result<crate::Tier, OfflineCashError> {
        Ok(self.shared.wallet.limits()?.tier.into())
    }

    /// Spendable, pending and total offline value.
    pub fn balance(&self) -> Result<Balance, OfflineCashError> {
        let b = self.shared.wallet.balance()?;
        Ok(Balance {
            spendable: b.spendable,
            pending: b.pending,
            refreshing: b.refreshing,
            depositing: b.depositing,
            total: b.total,
        })
    }

    /// The balance note by note at the current time: payable now, waiting for a sync and why.
    pub fn balance_detail(&self) -> Result<BalanceDetail, OfflineCashError> {
        use cw::balance::WaitReason;
        let d = self.shared.wallet.balance_detail(now())?;
        Ok(BalanceDetail {
            spendable_now: d.spendable_now,
            one_payment: d.one_payment,
            waiting_too_deep: d.waiting_for(WaitReason::TooDeep),
            waiting_expired: d.waiting_for(WaitReason::Expired),
            waiting_revoked_custodian: d.waiting_for(WaitReason::RevokedCustodian),
            refreshing: d.refreshing,
            depositing: d.depositing,
            pending: d.pending,
            total: d.total,
        })
    }

    /// Announces (to the listener) notes and a certificate nearing their end; call when the app
    /// starts or comes to the foreground. Returns how many events it raised.
    pub fn check_lifecycle(&self) -> Result<u32, OfflineCashError> {
        let events = self.after(self.shared.wallet.lifecycle_events(now()))?;
        Ok(u32::try_from(events.len()).unwrap_or(u32::MAX))
    }

    /// Up to `limit` history entries, newest first, starting at `cursor` (none: the newest).
    pub fn history(&self, cursor: Option<HistoryCursor>, limit: u32) -> Result<HistoryPage, OfflineCashError> {
        let cursor = cursor.map(|c| store::HistoryCursor { at: c.at, seq: c.seq });
        let page = self.shared.wallet.history(store::HistoryFilter::All, cursor, limit)?;
        Ok(HistoryPage {
            entries: page
                .entries
                .into_iter()
                .map(|e| HistoryEntry {
                    seq: e.seq,
                    at: e.at,
                    kind: match e.kind {
                        store::LogKind::Fund => HistoryKind::Fund,
                        store::LogKind::Spend => HistoryKind::Spend,
                        store::LogKind::SpendComplete => HistoryKind::SpendComplete,
                        store::LogKind::Receive => HistoryKind::Receive,
                        _ => HistoryKind::Other,
                    },
                    counterparty: e.counterparty.map(|c| c.to_hex()),
                    amount: e.amount,
                    reference: hex(&e.reference),
                })
                .collect(),
            next: page.next.map(|c| HistoryCursor { at: c.at, seq: c.seq }),
        })
    }

    /// Outgoing payments awaiting a receipt (torn taps).
    pub fn pending_payments(&self) -> Result<Vec<PendingPayment>, OfflineCashError> {
        Ok(self
            .shared
            .wallet
            .pending_payments()?
            .into_iter()
            .map(|s| PendingPayment {
                payment_hash: hex(&s.payment_hash),
                payee: s.payee.to_hex(),
                amount: s.amount,
                created_at: s.created_at,
            })
            .collect())
    }

    /// Starts receiving `amount` over any channel (QR, file…): send `requestBytes()`, feed
    /// the payer's frames to `handleFrame`.
    pub fn request_payment(&self, amount: u64) -> Result<Arc<PayeeSession>, OfflineCashError> {
        let session = self.after(self.shared.wallet.request_payment(amount, now()))?;
        Ok(Arc::new(PayeeSession::new(self.shared.clone(), session)))
    }

    /// Presents the open request with this `nonce` (`PayeeSession.nonce`) again after a torn
    /// tap, so the payer can finish the payment it has pending for it (a payer refuses a new
    /// request from this wallet meanwhile, `Reason.PendingPayment`).
    pub fn request_again(&self, nonce: Vec<u8>) -> Result<Arc<PayeeSession>, OfflineCashError> {
        let session = self.again(nonce)?;
        Ok(Arc::new(PayeeSession::new(self.shared.clone(), session)))
    }

    /// Starts paying over any channel: feed the payee's request to `handleFrame`.
    pub fn pay(&self) -> Arc<PayerSession> {
        Arc::new(PayerSession::new(self.shared.clone(), self.shared.wallet.pay()))
    }

    /// A card-emulation session (Android HCE / iOS card session) for `role`. `amount` is
    /// required: when receiving, the amount asked; when paying, the most the user confirmed
    /// (a reader asking for more is refused with `NotApproved`, before anything is committed),
    /// so a phone armed as a paying card never pays a reader more than its user agreed to.
    /// `extended_length`: whether this device's HCE takes extended-length APDUs.
    pub fn card_session(
        &self,
        role: NfcRole,
        amount: Option<u64>,
        extended_length: bool,
    ) -> Result<Arc<CardSession>, OfflineCashError> {
        if role == NfcRole::Payer && amount.is_none() {
            return Err(OfflineCashError::Misuse {
                detail: "a paying card session needs the amount the user confirmed (the most it may pay)".into(),
            });
        }
        let party = self.party(role, amount)?;
        let config = if extended_length { CardConfig::extended() } else { CardConfig::short() };
        let session = cw::CardHandler::session(party, Arc::new(SystemClock), config);
        Ok(Arc::new(CardSession::new(self.shared.clone(), session)))
    }

    /// A reader session (Android `IsoDep`, iOS Core NFC) for `role`; `amount` is required when
    /// receiving, and when paying it is the most the user confirmed (`None`: whatever the card
    /// requests, within the wallet's limits; the app shows the request first). The two limits are `IsoDep.isExtendedLengthApduSupported` and
    /// `IsoDep.maxTransceiveLength`.
    pub fn reader_session(
        &self,
        role: NfcRole,
        amount: Option<u64>,
        extended_length_supported: bool,
        max_transceive_length: u32,
    ) -> Result<Arc<ReaderSession>, OfflineCashError> {
        let party = self.party(role, amount)?;
        let config = ReaderConfig::new(extended_length_supported, max_transceive_length as usize);
        let driver = cw::ReaderDriver::new(party, config)?;
        Ok(Arc::new(ReaderSession::new(self.shared.clone(), driver)))
    }

    /// A card-emulation session receiving again for the open request with this `nonce`
    /// (`CardSession.requestNonce` of the torn session): tap again after a torn tap with it, so
    /// the payer can finish the payment it has pending for that request (a payer refuses a new
    /// request from this wallet meanwhile, `Reason.PendingPayment`).
    pub fn card_session_again(
        &self,
        nonce: Vec<u8>,
        extended_length: bool,
    ) -> Result<Arc<CardSession>, OfflineCashError> {
        let party = cw::Party::Payee(Box::new(self.again(nonce)?));
        let config = if extended_length { CardConfig::extended() } else { CardConfig::short() };
        let session = cw::CardHandler::session(party, Arc::new(SystemClock), config);
        Ok(Arc::new(CardSession::new(self.shared.clone(), session)))
    }

    /// A reader session receiving again for the open request with this `nonce`
    /// (`ReaderSession.requestNonce` of the torn session); as `cardSessionAgain`.
    pub fn reader_session_again(
        &self,
        nonce: Vec<u8>,
        extended_length_supported: bool,
        max_transceive_length: u32,
    ) -> Result<Arc<ReaderSession>, OfflineCashError> {
        let party = cw::Party::Payee(Box::new(self.again(nonce)?));
        let config = ReaderConfig::new(extended_length_supported, max_transceive_length as usize);
        let driver = cw::ReaderDriver::new(party, config)?;
        Ok(Arc::new(ReaderSession::new(self.shared.clone(), driver)))
    }

    /// Sets (or with none, removes) the listener of this wallet's events.
    pub fn set_listener(&self, listener: Option<Arc<dyn WalletListener>>) {
        *self.shared.listener.lock().unwrap_or_else(PoisonError::into_inner) = listener;
    }
}

impl Wallet {
    fn again(&self, nonce: Vec<u8>) -> Result<cw::PayeeSession, OfflineCashError> {
        let nonce: [u8; 16] =
            nonce.try_into().map_err(|_| OfflineCashError::Misuse { detail: "a request nonce is 16 bytes".into() })?;
        self.after(self.shared.wallet.request_again(&nonce, now()))
    }

    fn party(&self, role: NfcRole, amount: Option<u64>) -> Result<cw::Party, OfflineCashError> {
        Ok(match role {
            // Paying: `amount` is the most the user approved (a request for more is refused).
            NfcRole::Payer => match amount {
                Some(max) => cw::Party::Payer(self.shared.wallet.pay().approve_at_most(max)),
                None => cw::Party::Payer(self.shared.wallet.pay()),
            },
            NfcRole::Payee => {
                let amount =
                    amount.ok_or_else(|| OfflineCashError::Misuse { detail: "receiving needs an amount".into() })?;
                cw::Party::Payee(Box::new(self.after(self.shared.wallet.request_payment(amount, now()))?))
            }
        })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Wallet {
    /// Registers this wallet with the issuer (online): installs the issuer's keys, this
    /// wallet's certificate and the policy.
    pub async fn register(&self) -> Result<(), OfflineCashError> {
        let client = self.client()?;
        let result = self.shared.wallet.register(client).await;
        self.after(result)
    }

    /// As `register`, with key attestation evidence for this wallet's key made with
    /// `challenge` (from `attestationChallenge`): the certificate carries the tier the issuer
    /// verified.
    pub async fn register_attested(
        &self,
        challenge: Vec<u8>,
        evidence: crate::AttestationEvidence,
    ) -> Result<(), OfflineCashError> {
        let client = self.client()?;
        let attestation = offline_cash_core::sync::Attestation { challenge, evidence: evidence.into() };
        let result = self.shared.wallet.register_attested(client, Some(&attestation)).await;
        self.after(result)
    }

    /// Moves `amounts` (minor units, one note each) from the online account into this
    /// wallet (online).
    pub async fn fund(&self, amounts: Vec<u64>) -> Result<(), OfflineCashError> {
        let client = self.client()?;
        let result = self.shared.wallet.fund(client, &amounts, now()).await;
        self.after(result).map(|_| ())
    }

    /// Uploads what happened offline and brings back revocations, policy and keys (online).
    pub async fn sync(&self) -> Result<SyncReport, OfflineCashError> {
        let client = self.client()?;
        let result = self.shared.wallet.sync(client, now()).await;
        let r = self.after(result)?;
        Ok(SyncReport {
            batches: r.batches,
            accepted: r.accepted,
            duplicates: r.duplicates,
            double_spends: r.double_spends,
            rejected: r.rejected,
            settled_pending: r.settled_pending,
            revoked: r.revoked as u64,
            rollback_detected: r.rollback_detected,
            refused: u32::try_from(r.refused.len()).unwrap_or(u32::MAX),
            renewed_until: match r.renewal {
                cw::renewal::Renewal::Renewed { not_after } => Some(not_after),
                _ => None,
            },
            renewal_refused: match r.renewal {
                cw::renewal::Renewal::Refused { reason, .. } => Some(reason),
                _ => None,
            },
            refreshed: r.flows.iter().filter(|f| f.kind == store::FlowKind::Refresh).map(|f| f.done).sum(),
            refresh_returned: r.flows.iter().filter(|f| f.kind == store::FlowKind::Refresh).map(|f| f.returned).sum(),
            expired_returned: r.expired_returned,
        })
    }

    /// Refreshes the notes due (`all`: every note) into fresh notes (online). `None`: nothing
    /// to refresh.
    pub async fn refresh(&self, all: bool) -> Result<Option<FlowReport>, OfflineCashError> {
        let client = self.client()?;
        let result = if all {
            self.shared.wallet.refresh_all(client, now()).await
        } else {
            self.shared.wallet.refresh(client, now()).await
        };
        self.after(result).map(|r| r.map(FlowReport::from))
    }

    /// Deposits every offline note to the online account (online). `None`: no notes.
    pub async fn deposit_all(&self) -> Result<Option<FlowReport>, OfflineCashError> {
        let client = self.client()?;
        let result = self.shared.wallet.deposit_all(client, now()).await;
        self.after(result).map(|r| r.map(FlowReport::from))
    }

    /// Moves `amount` of offline value back to the online account (online).
    pub async fn defund(&self, amount: u64) -> Result<FlowReport, OfflineCashError> {
        let client = self.client()?;
        let result = self.shared.wallet.defund(client, amount, now()).await;
        self.after(result).map(FlowReport::from)
    }
}
