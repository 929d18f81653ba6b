//! The HTTP side of Calendly: bearer token, typed errors from Calendly's
//! `{title, message}` bodies, pacing by the `X-RateLimit-*` budget, waiting
//! out 429s, and retrying transient failures with jittered exponential backoff.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::error::CalendlyError;
use super::pacing::{Pacer, RateLimit, read_headers, retry_after};
use crate::upstream::health::{Health, Reading};

/// Bounds on how long one call may keep trying.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest single wait for the rate limit we accept before giving up
    /// with `RateLimited` (Calendly's window is a minute).
    pub max_rate_limit_wait: Duration,
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_rate_limit_wait: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Page size for full walks: Calendly's maximum.
pub const MAX_PAGE_SIZE: u32 = 100;

/// One token's client. Share one (behind an `Arc`) between callers, so the
/// rate-limit budget they spend together is paced together.
pub struct CalendlyClient {
    http: reqwest::Client,
    base: Url,
    token: SecretString,
    retry: RetryPolicy,
    pub(super) page_size: u32,
    pacer: Pacer,
    sent: AtomicU64,
    health: Health,
}

impl CalendlyClient {
    /// A client for the API at `base_url` (e.g. `https://api.calendly.com`).
    pub fn new(
        base_url: Url,
        token: SecretString,
        retry: RetryPolicy,
    ) -> Result<Self, CalendlyError> {
        if base_url.cannot_be_a_base() || !matches!(base_url.scheme(), "http" | "https") {
            return Err(CalendlyError::Protocol(format!(
                "not an http(s) base URL: {base_url}"
            )));
        }
        // reqwest is built without a default TLS provider; it panics unless
        // one is installed, so make sure before building the client.
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(retry.request_timeout)
            .user_agent(concat!("bridgeboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CalendlyError::Protocol(e.to_string()))?;
        let mut base = base_url;
        base.set_query(None);
        base.set_fragment(None);
        Ok(Self {
            http,
            base,
            token,
            retry,
            page_size: MAX_PAGE_SIZE,
            pacer: Pacer::default(),
            sent: AtomicU64::new(0),
            health: Health::default(),
        })
    }

    /// Smaller pages than Calendly's maximum (1–100), e.g. to test paging.
    pub fn with_page_size(mut self, count: u32) -> Self {
        self.page_size = count.clamp(1, MAX_PAGE_SIZE);
        self
    }

    /// The most recent `X-RateLimit-*` reading, if an answer carried one.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.pacer.last()
    }

    /// When a call last went through, and the last failure.
    pub fn health(&self) -> Reading {
        self.health.reading()
    }

    /// HTTP requests sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// `base` + path segments (each percent-encoded), keeping the base's own
    /// path (the sandbox serves under `/calendly`).
    pub(super) fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    pub(super) async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T, CalendlyError> {
        let body = self.execute(Method::GET, url, None).await?;
        decode(&body)
    }

    /// A POST. Retried like a GET: the creates we send are refused with a
    /// 409 when they already happened, which callers treat as done.
    pub(super) async fn post<T: DeserializeOwned>(
        &self,
        url: Url,
        body: &Value,
    ) -> Result<T, CalendlyError> {
        let body = self.execute(Method::POST, url, Some(body)).await?;
        decode(&body)
    }

    pub(super) async fn delete(&self, url: Url) -> Result<(), CalendlyError> {
        self.execute(Method::DELETE, url, None).await.map(drop)
    }

    async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Vec<u8>, CalendlyError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.pace().await;
            let err = match self.send(method.clone(), url.clone(), body).await {
                Ok(bytes) => return Ok(bytes),
                Err(e) => e,
            };
            let wait = match &err {
                CalendlyError::RateLimited(wait) if *wait <= self.retry.max_rate_limit_wait => {
                    *wait
                }
                CalendlyError::Unavailable(_) => self.backoff(attempt),
                _ => return Err(err),
            };
            if attempt >= self.retry.max_attempts {
                return Err(err);
            }
            tracing::warn!(
                attempt,
                wait_ms = wait.as_millis() as u64,
                path = url.path(),
                error = %err,
                "calendly call failed; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// When the budget is spent, wait for the window to reset (at most the
    /// allowed wait) instead of sending a request that can only get a 429.
    async fn pace(&self) {
        let Some(wait) = self.pacer.admit(Instant::now()) else {
            return;
        };
        let wait = wait.min(self.retry.max_rate_limit_wait);
        tracing::info!(
            wait_ms = wait.as_millis() as u64,
            "calendly rate limit spent; pausing"
        );
        tokio::time::sleep(wait).await;
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .retry
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.retry.max_delay);
        // Full jitter: spreads retries of many callers over the whole window.
        let ms = rand::rng().random_range(0..=capped.as_millis().max(1) as u64);
        Duration::from_millis(ms.max(self.retry.base_delay.as_millis() as u64 / 2))
    }

    /// One HTTP exchange, classified and noted in `health`. Returns the
    /// body of a 2xx answer.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Vec<u8>, CalendlyError> {
        let out = self.exchange(method, url, body).await;
        // A request refused on its merits says nothing about the connection.
        match &out {
            Err(e) if !e.answered() => self.health.failed(e),
            _ => self.health.succeeded(),
        }
        out
    }

    async fn exchange(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Vec<u8>, CalendlyError> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let mut req = self
            .http
            .request(method, url)
            .bearer_auth(self.token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req
            .send()
            .await
            .map_err(|e| CalendlyError::Unavailable(transport_error(&e)))?;
        let status = res.status();
        let reading = read_headers(res.headers());
        if let Some(r) = reading {
            self.pacer.record(r, Instant::now());
        }
        let retry_after = retry_after(res.headers());
        // A body cut off mid-way is a transport failure, worth a retry.
        let bytes = res
            .bytes()
            .await
            .map_err(|e| CalendlyError::Unavailable(transport_error(&e)))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        let wait = retry_after
            .or(reading.map(|r| r.reset_in))
            .unwrap_or(Duration::from_secs(60));
        Err(classify(status, &bytes, wait))
    }
}

/// The error for a non-2xx answer; `wait` is how long a 429 asks us to wait.
pub(super) fn classify(status: StatusCode, body: &[u8], wait: Duration) -> CalendlyError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let text = |key: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match status {
        StatusCode::UNAUTHORIZED => CalendlyError::Unauthorized,
        StatusCode::NOT_FOUND => CalendlyError::NotFound,
        StatusCode::CONFLICT => CalendlyError::Conflict(text("message")),
        StatusCode::TOO_MANY_REQUESTS => CalendlyError::RateLimited(wait),
        s if s.is_server_error() => {
            CalendlyError::Unavailable(format!("HTTP {}: {}", s.as_u16(), text("title")))
        }
        s => {
            let mut message = text("message");
            // `details` names the offending parameter; keep it for the logs.
            let details = parsed
                .as_ref()
                .and_then(|v| v.get("details"))
                .and_then(Value::as_array);
            for d in details.into_iter().flatten() {
                let param = d.get("parameter").and_then(Value::as_str).unwrap_or("");
                let msg = d.get("message").and_then(Value::as_str).unwrap_or("");
                message.push_str(&format!(" ({param}: {msg})"));
            }
            CalendlyError::Api {
                status: s.as_u16(),
                title: text("title"),
                message,
            }
        }
    }
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, CalendlyError> {
    serde_json::from_slice(body)
        .map_err(|e| CalendlyError::Protocol(format!("response shape: {e}")))
}

fn transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "request timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else {
        "transport error".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> CalendlyClient {
        CalendlyClient::new(
            Url::parse("http://127.0.0.1:1/calendly").unwrap(),
            SecretString::from("t".to_owned()),
            RetryPolicy::default(),
        )
        .unwrap()
    }

    #[test]
    fn backoff_stays_within_bounds() {
        let c = client();
        for attempt in 1..40 {
            let d = c.backoff(attempt);
            assert!(d <= c.retry.max_delay, "{d:?}");
            assert!(d >= c.retry.base_delay / 2, "{d:?}");
        }
    }

    #[test]
    fn endpoints_keep_the_base_path_and_encode_segments() {
        let c = client();
        assert_eq!(
            c.endpoint(&["scheduled_events", "AB/CD"]).as_str(),
            "http://127.0.0.1:1/calendly/scheduled_events/AB%2FCD"
        );
        assert!(
            CalendlyClient::new(
                Url::parse("mailto:x@example.com").unwrap(),
                SecretString::from("t".to_owned()),
                RetryPolicy::default(),
            )
            .is_err()
        );
    }

    #[test]
    fn classifies_calendlys_error_bodies() {
        let body = br#"{"title":"Invalid Argument","message":"The supplied parameters are invalid.","details":[{"parameter":"count","message":"must be 1-100"}]}"#;
        match classify(StatusCode::BAD_REQUEST, body, Duration::ZERO) {
            CalendlyError::Api {
                status,
                title,
                message,
            } => {
                assert_eq!((status, title.as_str()), (400, "Invalid Argument"));
                assert!(message.contains("(count: must be 1-100)"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let dup = br#"{"title":"Already Exists","message":"Hook with this url already exists"}"#;
        assert!(matches!(
            classify(StatusCode::CONFLICT, dup, Duration::ZERO),
            CalendlyError::Conflict(m) if m == "Hook with this url already exists"
        ));
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS, b"", Duration::from_secs(9)),
            CalendlyError::RateLimited(d) if d == Duration::from_secs(9)
        ));
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, b"<html>", Duration::ZERO),
            CalendlyError::Unavailable(_)
        ));
        assert!(matches!(
            classify(StatusCode::UNAUTHORIZED, b"{}", Duration::ZERO),
            CalendlyError::Unauthorized
        ));
    }
}
