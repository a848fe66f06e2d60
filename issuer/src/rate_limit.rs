//! Per-wallet rate limiting of signed requests: one token bucket per authenticated wallet.
//!
//! ```text
//!  signed request ─► Issuer::authenticate (signature, window, nonce) ─► RateLimiter::admit(wallet)
//!                                                   ├─ token left ─► the operation
//!                                                   └─ bucket empty ─► 429 rate_limited, Retry-After
//! ```
//!
//! Contract: the key is the wallet that *proved* it signed the request, so nobody can spend
//! another wallet's budget by naming it in a header. A wallet needs a handful of requests per
//! sync (keys, register, fund, one or more batches); the default budget is far above that and
//! far below what one client could use to keep the issuer's signature verification busy.
//! What it does not do: limit unauthenticated traffic (a failed authentication costs one
//! signature check and no write; per-address throttling belongs to the reverse proxy in front
//! of the issuer) or the admin endpoints. Memory is bounded: at most [`MAX_TRACKED`] buckets;
//! when full, buckets that have refilled completely (idle wallets) are forgotten first, and
//! if none has, the request is refused rather than the table grown.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use offline_cash_core::token::WalletId;
use parking_lot::Mutex;

/// Most buckets kept at once (~100 bytes each).
pub const MAX_TRACKED: usize = 100_000;

/// A token bucket's shape: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second, sustained (≥ 1).
    pub per_second: u32,
    /// Requests allowed at once after a quiet period (≥ 1).
    pub burst: u32,
}

impl Default for RateLimit {
    /// 60 requests at once, 2 per second sustained: a wallet's sync takes 2 to 5 requests.
    fn default() -> Self {
        Self { per_second: 2, burst: 60 }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets keyed by wallet.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<WalletId, Bucket>>,
}

impl RateLimiter {
    /// Buckets of shape `limit` (zero fields count as 1).
    pub fn new(limit: RateLimit) -> Self {
        let limit = RateLimit { per_second: limit.per_second.max(1), burst: limit.burst.max(1) };
        Self { limit, buckets: Mutex::new(HashMap::new()) }
    }

    /// The shape in force.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes one token from `wallet`'s bucket at `now`; when it is empty, how long until the
    /// next token.
    pub fn admit(&self, wallet: &WalletId, now: Instant) -> Result<(), Duration> {
        let burst = f64::from(self.limit.burst);
        let rate = f64::from(self.limit.per_second);
        let mut buckets = self.buckets.lock();
        if !buckets.contains_key(wallet) && buckets.len() >= MAX_TRACKED {
            buckets.retain(|_, b| refill(b, now, rate, burst) < burst);
            if buckets.len() >= MAX_TRACKED {
                return Err(Duration::from_secs(1));
            }
        }
        let bucket = buckets.entry(*wallet).or_insert(Bucket { tokens: burst, at: now });
        let tokens = refill(bucket, now, rate, burst);
        if tokens >= 1.0 {
            *bucket = Bucket { tokens: tokens - 1.0, at: now.max(bucket.at) };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now.max(bucket.at) };
            Err(Duration::from_secs_f64((1.0 - tokens) / rate))
        }
    }

    /// Buckets currently tracked.
    pub fn tracked(&self) -> usize {
        self.buckets.lock().len()
    }
}

/// Tokens in `bucket` at `now` (a clock that went backwards adds nothing).
fn refill(bucket: &Bucket, now: Instant, rate: f64, burst: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
    (bucket.tokens + elapsed * rate).min(burst)
}
