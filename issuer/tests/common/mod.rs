//! Shared test harness: an in-process issuer on 127.0.0.1, accounts, wallets and payments.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, dead_code)]

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use offline_cash_core::crypto::{Signer, SoftwareSigner, Suite};
use offline_cash_core::sync::{SyncBatch, SyncClient};
use offline_cash_core::token::{Bundle, Chain, LinkBody, Note, Output, SpendLink, WalletCertificate, WalletId};
use offline_cash_issuer::http::RunningServer;
use offline_cash_issuer::{IssuerConfig, Server, ServerConfig};

pub const ADMIN: &str = "admin-secret";

static NEXT: AtomicU64 = AtomicU64::new(0);

static LAST_DB: std::sync::Mutex<Option<std::path::PathBuf>> = std::sync::Mutex::new(None);

pub fn temp_db() -> std::path::PathBuf {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("oc-issuer-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("issuer.db");
    let _ = std::fs::remove_file(&path);
    *LAST_DB.lock().unwrap() = Some(path.clone());
    path
}

/// The database of the last server started (tests that inspect the issuer's file).
pub fn last_db() -> std::path::PathBuf {
    LAST_DB.lock().unwrap().clone().unwrap()
}

pub async fn start_with(max_body_bytes: usize) -> RunningServer {
    let config =
        ServerConfig { issuer: backend::config(ADMIN), listen: "127.0.0.1:0".parse().unwrap(), max_body_bytes };
    Server::bind(config).await.unwrap().spawn()
}

pub async fn start() -> RunningServer {
    start_with(8 * 1024 * 1024).await
}

/// [`start`] on a SQLite file whatever the backend (a test that reads the file, [`last_db`]).
pub async fn start_sqlite() -> RunningServer {
    let config = ServerConfig {
        issuer: IssuerConfig::new(temp_db(), ADMIN),
        listen: "127.0.0.1:0".parse().unwrap(),
        max_body_bytes: 8 * 1024 * 1024,
    };
    Server::bind(config).await.unwrap().spawn()
}

/// A test wallet talking to the issuer.
pub struct Wallet {
    pub signer: Arc<SoftwareSigner>,
    pub client: SyncClient,
    pub cert: WalletCertificate,
    pub credential: String,
    pub counter: AtomicU64,
}

impl Wallet {
    pub fn id(&self) -> WalletId {
        self.cert.wallet_id()
    }

    /// Signs a link spending the head of `chain` (worth `parent_amount`): `amount` to
    /// `payee`, the rest back to self. Returns the payee's chain and the change chain.
    pub fn pay(&self, chain: &Chain, parent_amount: u64, payee: WalletId, amount: u64) -> (Chain, Option<Chain>) {
        let mut outputs = vec![Output { owner: payee, amount }];
        if parent_amount > amount {
            outputs.push(Output { owner: self.id(), amount: parent_amount - amount });
        }
        let counter = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let time = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&counter.to_be_bytes());
        let link = SpendLink::sign(
            LinkBody { parent: chain.head, outputs, counter, payee_nonce: nonce, time },
            self.signer.as_ref(),
        )
        .unwrap();
        let change = (parent_amount > amount).then(|| chain.extended(link.clone(), 1));
        (chain.extended(link, 0), change)
    }

    pub fn counter(&self) -> u64 {
        self.counter.load(Ordering::Relaxed)
    }

    pub fn batch(&self) -> SyncBatch {
        let mut head = [0u8; 32];
        head[..8].copy_from_slice(&self.counter().to_be_bytes());
        SyncBatch::new(self.counter(), head)
    }
}

/// Creates an account with `balance` and registers a P-256 wallet under it.
pub async fn wallet(server: &RunningServer, name: &str, balance: u64) -> Wallet {
    wallet_of_suite(server, name, balance, Suite::EcdsaP256).await
}

pub async fn wallet_of_suite(server: &RunningServer, name: &str, balance: u64, suite: Suite) -> Wallet {
    let account = SyncClient::create_account(&server.url(), ADMIN, name, balance).await.unwrap();
    let signer = Arc::new(SoftwareSigner::generate(suite).unwrap());
    let dyn_signer: Arc<dyn Signer> = signer.clone();
    let client = SyncClient::new(&server.url(), &account.credential, dyn_signer).unwrap();
    let registered = client.register().await.unwrap();
    Wallet { signer, client, cert: registered.certificate, credential: account.credential, counter: AtomicU64::new(0) }
}

/// Registers another P-256 wallet under the account of `credential` (a customer's second phone).
/// Fails as the issuer refuses (e.g. a revoked account).
pub async fn try_wallet_in_account(
    server: &RunningServer,
    credential: &str,
) -> Result<Wallet, offline_cash_core::sync::SyncError> {
    let signer = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    let dyn_signer: Arc<dyn Signer> = signer.clone();
    let client = SyncClient::new(&server.url(), credential, dyn_signer).unwrap();
    let registered = client.register().await?;
    Ok(Wallet {
        signer,
        client,
        cert: registered.certificate,
        credential: credential.to_owned(),
        counter: AtomicU64::new(0),
    })
}

/// `POST /v1/admin/accounts/{customer_ref}/reinstate` with `token`: the status and the body.
pub async fn reinstate(url: &str, customer_ref: &str, token: &str) -> (u16, serde_json::Value) {
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/admin/accounts/{customer_ref}/reinstate"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// Funds `wallet` with one note per amount.
pub async fn fund(wallet: &Wallet, amounts: &[u64]) -> Vec<Note> {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&NEXT.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    id[8..].copy_from_slice(&wallet.id().0[..8]);
    wallet.client.fund(id, amounts).await.unwrap().0
}

/// A bundle of `chains`, carrying the certificates of `signers`.
pub fn bundle(chains: &[Chain], signers: &[&Wallet]) -> Bundle {
    let certs: Vec<WalletCertificate> = signers.iter().map(|w| w.cert.clone()).collect();
    Bundle::from_chains(chains, &certs, &HashSet::new()).unwrap()
}

/// The issuer's audit (admin API): totals that must balance.
pub async fn audit(url: &str) -> offline_cash_core::sync::wire::AuditResponse {
    audit_as(url, ADMIN).await
}

/// [`audit`] of an issuer whose admin token is `admin` (e.g. the soak test's child process).
pub async fn audit_as(url: &str, admin: &str) -> offline_cash_core::sync::wire::AuditResponse {
    reqwest::Client::new()
        .get(format!("{url}/v1/admin/audit"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
pub mod backend;
pub mod clocked;
