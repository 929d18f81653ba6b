//! Fault injection in front of each simulated upstream: added latency, a rate
//! of 5xx answers and of timeouts, forced 429s in each API's own shape, and an
//! "upstream down" switch. Changeable at runtime (control API) so reliability
//! tests and benchmarks can degrade an upstream mid-run; the dice are seeded,
//! so a sequential client sees the same faults on every run.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::calendly::CalendlySim;
use super::calendly::errors::{ApiError, rate_limited_response};
use super::seed::SeedRng;

/// Which simulator a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Upstream {
    Monday,
    Calendly,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeoutMode {
    /// Hold the request for `hang_ms` (longer than any sane client
    /// timeout), then answer 504.
    #[default]
    Hang,
    /// Send the status line, then cut the connection mid-body.
    Drop,
}

/// The faults of one upstream. Rates are fractions in `0.0..=1.0`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    pub latency_ms: u64,
    /// Extra latency drawn uniformly from `0..=latency_jitter_ms`.
    pub latency_jitter_ms: u64,
    /// Share of requests answered 500.
    pub error_rate: f64,
    /// Share of requests that time out (see `timeout_mode`).
    pub timeout_rate: f64,
    pub timeout_mode: TimeoutMode,
    pub hang_ms: u64,
    /// Share of requests answered 429.
    pub rate_limit_rate: f64,
    /// The next N requests are answered 429 (counts down).
    pub rate_limit_next: u32,
    /// `retry_in_seconds` (Monday) / `X-RateLimit-Reset` (Calendly) of forced 429s.
    pub retry_after_secs: u64,
    /// Every request answered 503.
    pub down: bool,
    /// Holds a passing request's answer this long after the upstream acted:
    /// the work is done, but the caller may give up (or die) before it hears.
    pub response_delay_ms: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            latency_jitter_ms: 0,
            error_rate: 0.0,
            timeout_rate: 0.0,
            timeout_mode: TimeoutMode::Hang,
            hang_ms: 120_000,
            rate_limit_rate: 0.0,
            rate_limit_next: 0,
            retry_after_secs: 60,
            down: false,
            response_delay_ms: 0,
        }
    }
}

impl FaultConfig {
    /// Rejects rates outside `0..=1` (the control API's 400).
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("error_rate", self.error_rate),
            ("timeout_rate", self.timeout_rate),
            ("rate_limit_rate", self.rate_limit_rate),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must be between 0 and 1, got {v}"));
            }
        }
        Ok(())
    }
}

/// What happens to one request.
#[derive(Debug, PartialEq)]
enum Action {
    Pass,
    Down,
    RateLimited(u64),
    Error,
    Timeout(TimeoutMode, u64),
}

pub struct Faults {
    monday: RwLock<FaultConfig>,
    calendly: RwLock<FaultConfig>,
    rng: Mutex<SeedRng>,
}

impl Faults {
    pub fn new(seed: u64, monday: FaultConfig, calendly: FaultConfig) -> Self {
        Self {
            monday: RwLock::new(monday),
            calendly: RwLock::new(calendly),
            rng: Mutex::new(SeedRng::stream(seed, "faults")),
        }
    }

    fn slot(&self, u: Upstream) -> &RwLock<FaultConfig> {
        match u {
            Upstream::Monday => &self.monday,
            Upstream::Calendly => &self.calendly,
        }
    }

    pub fn get(&self, u: Upstream) -> FaultConfig {
        self.slot(u)
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn set(&self, u: Upstream, config: FaultConfig) {
        *self.slot(u).write().unwrap_or_else(PoisonError::into_inner) = config;
    }

    pub fn update(&self, u: Upstream, f: impl FnOnce(&mut FaultConfig)) {
        f(&mut self.slot(u).write().unwrap_or_else(PoisonError::into_inner));
    }

    /// Both upstreams back to healthy.
    pub fn reset(&self) {
        self.set(Upstream::Monday, FaultConfig::default());
        self.set(Upstream::Calendly, FaultConfig::default());
    }

    pub fn set_down(&self, u: Upstream, down: bool) {
        self.update(u, |c| c.down = down);
    }

    /// Rolls the dice for one request: always the same number of draws, so
    /// one request's faults do not shift the next one's.
    fn decide(&self, u: Upstream) -> (Duration, Action) {
        let mut slot = self.slot(u).write().unwrap_or_else(PoisonError::into_inner);
        let rolls: [f64; 4] = {
            let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
            std::array::from_fn(|_| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
        };
        let jitter = (rolls[3] * (slot.latency_jitter_ms as f64 + 1.0)) as u64;
        let latency = Duration::from_millis(slot.latency_ms + jitter.min(slot.latency_jitter_ms));
        let action = if slot.down {
            Action::Down
        } else if slot.rate_limit_next > 0 {
            slot.rate_limit_next -= 1;
            Action::RateLimited(slot.retry_after_secs)
        } else if rolls[0] < slot.rate_limit_rate {
            Action::RateLimited(slot.retry_after_secs)
        } else if rolls[1] < slot.error_rate {
            Action::Error
        } else if rolls[2] < slot.timeout_rate {
            Action::Timeout(slot.timeout_mode, slot.hang_ms)
        } else {
            Action::Pass
        };
        (latency, action)
    }
}

/// State of one upstream's fault middleware.
#[derive(Clone)]
pub struct FaultLayer {
    pub faults: Arc<Faults>,
    pub upstream: Upstream,
    /// For the 429's `X-RateLimit-Limit`.
    pub calendly: Option<Arc<CalendlySim>>,
    /// For the 429's `complexity_budget_limit`.
    pub monday_budget: u64,
}

pub async fn inject(State(layer): State<FaultLayer>, req: Request, next: Next) -> Response {
    let (latency, action) = layer.faults.decide(layer.upstream);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match action {
        Action::Pass => {
            let delay = layer.faults.get(layer.upstream).response_delay_ms;
            let res = next.run(req).await;
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            res
        }
        Action::Down => layer.failure(StatusCode::SERVICE_UNAVAILABLE),
        Action::Error => layer.failure(StatusCode::INTERNAL_SERVER_ERROR),
        Action::RateLimited(secs) => layer.rate_limited(secs),
        Action::Timeout(TimeoutMode::Hang, ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            layer.failure(StatusCode::GATEWAY_TIMEOUT)
        }
        Action::Timeout(TimeoutMode::Drop, _) => dropped(),
    }
}

impl FaultLayer {
    fn failure(&self, status: StatusCode) -> Response {
        match self.upstream {
            Upstream::Calendly => {
                let mut e = if status == StatusCode::SERVICE_UNAVAILABLE {
                    ApiError::unavailable()
                } else {
                    ApiError::internal()
                };
                e.status = status;
                e.into_response()
            }
            Upstream::Monday => {
                let (message, code) = match status {
                    StatusCode::SERVICE_UNAVAILABLE => {
                        ("Service unavailable", "SERVICE_UNAVAILABLE")
                    }
                    StatusCode::GATEWAY_TIMEOUT => ("Request timed out", "REQUEST_TIMEOUT"),
                    _ => ("Internal server error", "INTERNAL_SERVER_ERROR"),
                };
                let body = json!({ "errors": [{
                    "message": message,
                    "extensions": { "code": code, "status_code": status.as_u16() },
                }]});
                (status, Json(body)).into_response()
            }
        }
    }

    fn rate_limited(&self, secs: u64) -> Response {
        match self.upstream {
            Upstream::Calendly => {
                let limit = self
                    .calendly
                    .as_ref()
                    .map(|c| c.rate_limit())
                    .unwrap_or(500);
                rate_limited_response(limit, secs)
            }
            Upstream::Monday => {
                let mut res = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(monday_budget_exhausted(self.monday_budget, secs)),
                )
                    .into_response();
                res.headers_mut()
                    .insert("retry-after", HeaderValue::from(secs));
                res
            }
        }
    }
}

/// Monday's HTTP 429 body when the minute's complexity budget is spent
/// (API 2025-01 and later).
pub fn monday_budget_exhausted(limit: u64, retry_in_seconds: u64) -> Value {
    json!({
        "errors": [{
            "message": "Complexity budget exhausted",
            "extensions": {
                "code": "COMPLEXITY_BUDGET_EXHAUSTED",
                "complexity": 1000,
                "complexity_budget_left": 0,
                "complexity_budget_limit": limit,
                "retry_in_seconds": retry_in_seconds,
                "status_code": 429,
            },
        }],
        "account_id": 1,
    })
}

/// A response whose body fails at once: the server sends the head, then
/// resets the connection, as a crashing proxy would.
fn dropped() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("sandbox fault: connection dropped"))
    });
    let mut res = Response::new(Body::from_stream(stream));
    res.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_faults_and_counted_429s() {
        let cfg = FaultConfig {
            error_rate: 0.5,
            ..FaultConfig::default()
        };
        let a = Faults::new(9, cfg.clone(), FaultConfig::default());
        let b = Faults::new(9, cfg, FaultConfig::default());
        let run = |f: &Faults| {
            (0..50)
                .map(|_| f.decide(Upstream::Monday).1 == Action::Error)
                .collect::<Vec<_>>()
        };
        let (ra, rb) = (run(&a), run(&b));
        assert_eq!(ra, rb);
        assert!(ra.iter().any(|e| *e) && ra.iter().any(|e| !*e));

        a.update(Upstream::Calendly, |c| c.rate_limit_next = 2);
        assert_eq!(a.decide(Upstream::Calendly).1, Action::RateLimited(60));
        assert_eq!(a.decide(Upstream::Calendly).1, Action::RateLimited(60));
        assert_eq!(a.decide(Upstream::Calendly).1, Action::Pass);
        assert!(
            FaultConfig {
                error_rate: 1.5,
                ..FaultConfig::default()
            }
            .validate()
            .is_err()
        );
    }
}
