//! Calendly's per-token rate limit: a one-minute window per access token,
//! reported on every response through `X-RateLimit-*` headers and answered
//! with 429 once spent, so clients can be tested against throttling.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::CalendlySim;
use super::errors::rate_limited_response;

const WINDOW: Duration = Duration::from_secs(60);

/// Requests seen per token in the current window.
#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

/// The outcome of counting one request.
pub struct Verdict {
    pub allowed: bool,
    pub remaining: u32,
    pub reset_secs: u64,
}

impl RateLimiter {
    /// Counts one request for `token` against `limit` per minute.
    pub fn check(&self, token: &str, limit: u32, now: Instant) -> Verdict {
        let mut windows = match self.windows.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        let entry = windows.entry(token.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        let reset_secs = WINDOW
            .saturating_sub(now.duration_since(entry.0))
            .as_secs()
            .max(1);
        if entry.1 >= limit {
            return Verdict {
                allowed: false,
                remaining: 0,
                reset_secs,
            };
        }
        entry.1 += 1;
        Verdict {
            allowed: true,
            remaining: limit - entry.1,
            reset_secs,
        }
    }

    /// Forgets every window (a new limit takes effect from a clean slate).
    pub fn reset(&self) {
        if let Ok(mut w) = self.windows.lock() {
            w.clear();
        }
    }
}

pub fn set_headers(headers: &mut HeaderMap, limit: u32, remaining: u32, reset_secs: u64) {
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(reset_secs));
}

/// Middleware: counts the request under its `Authorization` value (the real
/// limit is per user; one token is one user here) and adds the headers.
pub async fn limit(State(sim): State<Arc<CalendlySim>>, req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let limit = sim.rate_limit.load(Ordering::Relaxed);
    let verdict = sim.limiter.check(&token, limit, Instant::now());
    if !verdict.allowed {
        return rate_limited_response(limit, verdict.reset_secs);
    }
    let mut res = next.run(req).await;
    set_headers(
        res.headers_mut(),
        limit,
        verdict.remaining,
        verdict.reset_secs,
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_allows_limit_then_refuses_then_resets() {
        let rl = RateLimiter::default();
        let t0 = Instant::now();
        assert_eq!(rl.check("a", 2, t0).remaining, 1);
        assert!(rl.check("a", 2, t0).allowed);
        let v = rl.check("a", 2, t0);
        assert!(!v.allowed);
        assert_eq!(v.remaining, 0);
        assert!(rl.check("b", 2, t0).allowed, "tokens are counted apart");
        assert!(rl.check("a", 2, t0 + WINDOW).allowed, "a new window");
    }
}
