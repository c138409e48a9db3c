//! Per-caller rate limit (GCRA, from `governor`): a signed-in caller is keyed by the subject of
//! their verified token, anyone else by client address. Checked before the caller is resolved,
//! so a flood costs no database work beyond its audit events.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use poem::Request;

use super::AppState;

/// How often (in checks) idle keys are dropped, so the key table stays as small as the set of
/// recently active callers.
const PRUNE_EVERY: u64 = 10_000;

/// The limiter of a server.
pub struct RateLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl RateLimit {
    /// `per_second` requests per second on average with bursts of `burst`; `None` when the rate
    /// is 0 (off).
    pub fn new(per_second: u32, burst: u32) -> Option<RateLimit> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst.max(1))?;
        let quota = Quota::per_second(rate).allow_burst(burst);
        Some(RateLimit {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        })
    }

    /// Takes one request from `key`'s allowance, or says how long to wait.
    pub fn check(&self, key: String) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Who a request counts against: the token's subject when the token verifies, the client
/// address otherwise (an invalid token must not let a client pick its own bucket).
pub fn key_of(state: &AppState, req: &Request) -> String {
    super::auth::bearer(req)
        .and_then(|t| state.keys.verify(t).ok())
        .map(|v| format!("user:{}", v.iin))
        .unwrap_or_else(|| {
            let addr = req
                .remote_addr()
                .as_socket_addr()
                .map(|a| a.ip().to_string());
            format!("addr:{}", addr.unwrap_or_default())
        })
}

/// Checks `req` against the server's limit; the wait, in whole seconds (at least 1), when over.
pub fn check(state: &AppState, req: &Request) -> Result<(), u64> {
    let Some(limit) = &state.rate_limit else {
        return Ok(());
    };
    limit
        .check(key_of(state, req))
        .map_err(|wait| wait.as_secs_f64().ceil().max(1.0) as u64)
}
