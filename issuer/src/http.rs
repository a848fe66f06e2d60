//! The HTTP face of the issuer (axum): parsing, authentication headers, JSON errors.
//!
//! ```text
//!  request ─► body limit ─► JSON parse ─► Issuer::authenticate (signature, window, nonce)
//!          ─► Issuer::admit (per-wallet budget, 429 + Retry-After)
//!          ─► Issuer::<operation> on a blocking thread ─► JSON answer | ErrorBody
//! ```
//!
//! Every route is listed in [`ROUTES`] and documented in issuer/openapi.json; a test keeps
//! the two equal. Anything else answers 404 (or 405) with an [`wire::ErrorBody`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use offline_cash_core::crypto::{PublicKey, Suite};
use offline_cash_core::reason::Reason;
use offline_cash_core::sync::{auth, wire, wire::paths};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::issuer::{Caller, Clock, system_clock};
use crate::{Issuer, IssuerConfig, IssuerError, SignedRequest};

/// Every (method, path) the server answers.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", paths::HEALTH),
    ("GET", paths::METRICS),
    ("POST", paths::ACCOUNTS),
    ("POST", paths::REINSTATE_ACCOUNT),
    ("GET", paths::AUDIT),
    ("POST", paths::REGISTER),
    ("POST", paths::FUND),
    ("POST", paths::DEFUND),
    ("POST", paths::SYNC),
    ("GET", paths::REVOCATIONS),
    ("GET", paths::ISSUER_KEYS),
    ("POST", paths::LOST_WALLET),
    ("POST", paths::ATTESTATION_CHALLENGE),
];

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The issuer's settings.
    pub issuer: IssuerConfig,
    /// Address to listen on (port 0 picks a free one).
    pub listen: SocketAddr,
    /// Largest request body accepted (bytes).
    pub max_body_bytes: usize,
}

struct ApiError(IssuerError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %self.0, "request failed");
        } else {
            tracing::info!(error = %self.0, code = self.0.code(), "request refused");
        }
        let body = wire::ErrorBody { code: self.0.reason(), message: self.0.to_string() };
        let mut resp = (status, Json(body)).into_response();
        if let IssuerError::RateLimited { retry_after_secs } = self.0 {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        resp
    }
}

impl From<IssuerError> for ApiError {
    fn from(e: IssuerError) -> Self {
        ApiError(e)
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn error_response(status: StatusCode, code: Reason, message: &str) -> Response {
    (status, Json(wire::ErrorBody { code, message: message.into() })).into_response()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, IssuerError> + Send + 'static,
) -> Result<T, IssuerError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| IssuerError::Internal { what: e.to_string() })?
}

fn body_bytes(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, IssuerError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            IssuerError::TooLarge { limit }
        } else {
            IssuerError::malformed(e.body_text())
        }
    })
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, IssuerError> {
    serde_json::from_slice(bytes).map_err(|e| IssuerError::malformed(e.to_string()))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    header_str(headers, header::AUTHORIZATION.as_str()).and_then(|v| v.strip_prefix("Bearer "))
}

#[derive(Clone)]
struct AppState {
    issuer: Arc<Issuer>,
    limit: usize,
}

/// The signed parts of a `POST` to `path`, as received.
fn signed_request<'a>(path: &'a str, headers: &'a HeaderMap, body: &'a [u8]) -> SignedRequest<'a> {
    SignedRequest {
        method: "POST",
        path,
        body,
        credential: bearer(headers),
        wallet: header_str(headers, auth::HEADER_WALLET),
        timestamp: header_str(headers, auth::HEADER_TIMESTAMP),
        nonce: header_str(headers, auth::HEADER_NONCE),
        signature: header_str(headers, auth::HEADER_SIGNATURE),
    }
}

/// Parses, authenticates and runs a signed POST on a blocking thread.
async fn signed<Req, Resp>(
    state: AppState,
    path: &'static str,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    register_key: impl FnOnce(&Req) -> Result<Option<PublicKey>, IssuerError> + Send + 'static,
    op: impl FnOnce(&Issuer, Caller, Req) -> Result<Resp, IssuerError> + Send + 'static,
) -> ApiResult<Json<Resp>>
where
    Req: DeserializeOwned + Send + 'static,
    Resp: Serialize + Send + 'static,
{
    let started = std::time::Instant::now();
    let bytes = body_bytes(body, state.limit)?;
    let req: Req = parse(&bytes)?;
    let parsed = started.elapsed();
    let bytes_len = bytes.len();
    let issuer = state.issuer.clone();
    let out = blocking(move || {
        let key = register_key(&req)?;
        let signed = signed_request(path, &headers, &bytes);
        let caller = issuer.authenticate(&signed, key.as_ref())?;
        issuer.admit(&caller)?;
        op(&issuer, caller, req)
    })
    .await?;
    tracing::debug!(
        path,
        bytes = bytes_len,
        parse_us = parsed.as_micros(),
        handled_us = started.elapsed().as_micros(),
        "request"
    );
    Ok(Json(out))
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut resp = state.issuer.metrics().render().into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    resp
}

async fn create_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<wire::CreateAccountResponse>)> {
    let bytes = body_bytes(body, state.limit)?;
    let req: wire::CreateAccountRequest = parse(&bytes)?;
    let issuer = state.issuer.clone();
    let token = bearer(&headers).map(str::to_owned);
    let out = blocking(move || {
        issuer.check_admin(token.as_deref())?;
        issuer.create_account(&req.customer_ref, req.balance)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

async fn reinstate_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> ApiResult<Json<wire::ReinstateAccountResponse>> {
    let Path(customer_ref) = path.map_err(|e| IssuerError::malformed(e.body_text()))?;
    let issuer = state.issuer.clone();
    let token = bearer(&headers).map(str::to_owned);
    Ok(Json(
        blocking(move || {
            issuer.check_admin(token.as_deref())?;
            issuer.reinstate_account(&customer_ref)
        })
        .await?,
    ))
}

async fn report_lost(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<wire::LostWalletResponse>> {
    let Path(wallet) = path.map_err(|e| IssuerError::malformed(e.body_text()))?;
    let bytes = body_bytes(body, state.limit)?;
    let req: wire::LostWalletRequest =
        if bytes.is_empty() { wire::LostWalletRequest::default() } else { parse(&bytes)? };
    let issuer = state.issuer.clone();
    let credential = bearer(&headers).map(str::to_owned);
    Ok(Json(blocking(move || issuer.report_lost(credential.as_deref(), &wallet, req.second_factor.as_deref())).await?))
}

async fn audit(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<wire::AuditResponse>> {
    let issuer = state.issuer.clone();
    let token = bearer(&headers).map(str::to_owned);
    Ok(Json(
        blocking(move || {
            issuer.check_admin(token.as_deref())?;
            issuer.audit()
        })
        .await?,
    ))
}

async fn attestation_challenge(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Json<wire::AttestationChallengeResponse>> {
    let issuer = state.issuer.clone();
    let credential = bearer(&headers).map(str::to_owned);
    Ok(Json(blocking(move || issuer.attestation_challenge(credential.as_deref())).await?))
}

fn register_key(req: &wire::RegisterRequest) -> Result<Option<PublicKey>, IssuerError> {
    let suite = Suite::from_id(u64::from(req.suite)).map_err(|_| IssuerError::malformed("suite"))?;
    let bytes = auth::from_b64(&req.public_key).ok_or_else(|| IssuerError::malformed("public_key base64"))?;
    PublicKey::from_bytes(suite, &bytes).map(Some).map_err(|e| IssuerError::malformed(e.to_string()))
}

async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<wire::RegisterResponse>> {
    signed(state, paths::REGISTER, headers, body, register_key, |issuer, caller, req: wire::RegisterRequest| {
        let key = register_key(&req)?.ok_or_else(|| IssuerError::malformed("public_key"))?;
        issuer.register_request(caller, &key, &req)
    })
    .await
}

async fn fund(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<wire::FundResponse>> {
    signed(state, paths::FUND, headers, body, |_| Ok(None), |i, c, r: wire::FundRequest| i.fund(c, &r)).await
}

async fn defund(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<wire::DefundResponse>> {
    signed(state, paths::DEFUND, headers, body, |_| Ok(None), |i, c, r: wire::DefundRequest| i.defund(c, &r)).await
}

async fn sync(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<wire::SyncResponse>> {
    let started = std::time::Instant::now();
    let bytes = body_bytes(body, state.limit)?;
    let req: wire::SyncRequest = parse(&bytes)?;
    let parsed = started.elapsed();
    let bytes_len = bytes.len();
    let issuer = state.issuer.clone();
    // Authenticated from a read snapshot, the nonce stored by the batch's transaction: the
    // batch is verified without waiting for another batch's transaction (decision 0025).
    let out = blocking(move || {
        let signed = signed_request(paths::SYNC, &headers, &bytes);
        let (caller, nonce) = issuer.authenticate_deferred(&signed)?;
        issuer.admit(&caller)?;
        issuer.sync_spending(caller, &nonce, &req)
    })
    .await?;
    tracing::debug!(
        path = paths::SYNC,
        bytes = bytes_len,
        parse_us = parsed.as_micros(),
        handled_us = started.elapsed().as_micros(),
        "request"
    );
    Ok(Json(out))
}

#[derive(serde::Deserialize)]
struct SinceQuery {
    since: Option<u64>,
}

async fn revocations(
    State(state): State<AppState>,
    query: Result<Query<SinceQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<wire::RevocationsResponse>> {
    let Query(q) = query.map_err(|e| IssuerError::malformed(e.body_text()))?;
    let issuer = state.issuer.clone();
    Ok(Json(blocking(move || issuer.revocations(q.since)).await?))
}

async fn issuer_keys(State(state): State<AppState>) -> Json<wire::IssuerKeysResponse> {
    Json(state.issuer.issuer_keys_response())
}

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, Reason::NotFound, "no such route")
}

async fn method_not_allowed() -> Response {
    error_response(StatusCode::METHOD_NOT_ALLOWED, Reason::MethodNotAllowed, "method not allowed on this route")
}

/// Logs every request (method, path, status, latency) and counts 4xx answers.
async fn observe(State(state): State<AppState>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1e3;
    tracing::info!(%method, %path, status, ms, "request");
    if resp.status().is_client_error() {
        state.issuer.metrics().rejected_request();
    }
    resp
}

/// The router over an issuer.
pub fn router(issuer: Arc<Issuer>, max_body_bytes: usize) -> Router {
    let state = AppState { issuer, limit: max_body_bytes };
    Router::new()
        .route(paths::HEALTH, get(health))
        .route(paths::METRICS, get(metrics))
        .route(paths::ACCOUNTS, post(create_account))
        .route(paths::REINSTATE_ACCOUNT, post(reinstate_account))
        .route(paths::AUDIT, get(audit))
        .route(paths::REGISTER, post(register))
        .route(paths::FUND, post(fund))
        .route(paths::DEFUND, post(defund))
        .route(paths::SYNC, post(sync))
        .route(paths::REVOCATIONS, get(revocations))
        .route(paths::ISSUER_KEYS, get(issuer_keys))
        .route(paths::LOST_WALLET, post(report_lost))
        .route(paths::ATTESTATION_CHALLENGE, post(attestation_challenge))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

/// A bound (listening) server, not yet serving.
#[derive(Debug)]
pub struct Server {
    listener: tokio::net::TcpListener,
    issuer: Arc<Issuer>,
    addr: SocketAddr,
    max_body_bytes: usize,
}

/// A server running on a tokio task (for embedding and tests).
#[derive(Debug)]
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The embedded issuer.
    pub issuer: Arc<Issuer>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), IssuerError>>,
}

impl RunningServer {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes in-flight requests and waits.
    pub async fn shutdown(mut self) -> Result<(), IssuerError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.await.map_err(|e| IssuerError::Internal { what: e.to_string() })?
    }
}

impl Server {
    /// Opens the database and binds the listener; returns before serving.
    pub async fn bind(config: ServerConfig) -> Result<Self, IssuerError> {
        Self::bind_with_clock(config, system_clock()).await
    }

    /// [`Server::bind`] with an injected clock.
    pub async fn bind_with_clock(config: ServerConfig, clock: Clock) -> Result<Self, IssuerError> {
        let issuer_config = config.issuer.clone();
        let issuer = blocking(move || Issuer::open(issuer_config, clock)).await?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| IssuerError::Internal { what: format!("bind {}: {e}", config.listen) })?;
        let addr = listener.local_addr().map_err(|e| IssuerError::Internal { what: e.to_string() })?;
        Ok(Self { listener, issuer: Arc::new(issuer), addr, max_body_bytes: config.max_body_bytes })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The embedded issuer.
    pub fn issuer(&self) -> Arc<Issuer> {
        self.issuer.clone()
    }

    /// Serves until `shutdown` completes, then drains in-flight requests. Also returns expired
    /// notes to their owners once a minute.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), IssuerError> {
        let issuer = self.issuer.clone();
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                let i = issuer.clone();
                match blocking(move || i.expire_notes()).await {
                    Ok(0) => {}
                    Ok(v) => tracing::info!(value = v, "expired notes returned to their owners"),
                    Err(e) => tracing::error!(error = %e, "expiry sweep failed"),
                }
                let i = issuer.clone();
                if let Err(e) = blocking(move || i.return_lost()).await {
                    tracing::error!(error = %e, "lost-wallet sweep failed");
                }
            }
        });
        tracing::info!(addr = %self.addr, "issuer listening");
        let app = router(self.issuer, self.max_body_bytes);
        let result = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| IssuerError::Internal { what: e.to_string() });
        sweeper.abort();
        tracing::info!("issuer stopped");
        result
    }

    /// Serves on a tokio task until [`RunningServer::shutdown`].
    pub fn spawn(self) -> RunningServer {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let addr = self.addr;
        let issuer = self.issuer.clone();
        let task = tokio::spawn(self.serve(async move {
            let _ = rx.await;
        }));
        RunningServer { addr, issuer, shutdown: Some(tx), task }
    }
}
