//! The HTTP side of Monday: headers, typed errors, waiting out the complexity
//! budget, and retrying transient failures with jittered exponential backoff.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use graphql_client::GraphQLQuery;
use rand::Rng;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

use super::error::MondayError;
use crate::upstream::health::{Health, Reading};

/// Bounds on how long one call may keep trying.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest single wait for the complexity budget we accept before
    /// giving up with `RateLimited` (the outbox retries later).
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

/// A file sent with an operation through Monday's file endpoint (`/v2/file`),
/// in the multipart part that fills the operation's `$file` variable.
#[derive(Clone, Debug)]
pub struct FilePart {
    pub name: String,
    pub content_type: String,
    pub bytes: bytes::Bytes,
}

/// The last budget reading Monday gave us.
#[derive(Clone, Copy, Debug, Default)]
pub struct Budget {
    pub before: i64,
    pub after: i64,
    pub query: i64,
    pub reset_in_seconds: i64,
}

pub struct MondayClient {
    http: reqwest::Client,
    /// For asset links: a download may take longer than any API call, so it
    /// is bounded by silence (no bytes for a while), not by its total time.
    downloads: reqwest::Client,
    url: Url,
    token: SecretString,
    version: String,
    retry: RetryPolicy,
    /// The last reading, and when it was taken.
    budget: Mutex<Option<(Budget, Instant)>>,
    /// Time spent waiting for the budget, in milliseconds (benchmarks and
    /// run logs report it).
    waited_ms: AtomicU64,
    /// Complexity of every query that reported it, summed.
    spent: AtomicU64,
    health: Health,
}

impl MondayClient {
    pub fn new(
        url: Url,
        token: SecretString,
        version: String,
        retry: RetryPolicy,
    ) -> Result<Self, MondayError> {
        // reqwest is built without a default TLS provider; it panics unless
        // one is installed, so make sure before building the client.
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(retry.request_timeout)
            .user_agent(concat!("bridgeboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| MondayError::Protocol(e.to_string()))?;
        let downloads = reqwest::Client::builder()
            .connect_timeout(retry.request_timeout)
            .read_timeout(retry.request_timeout)
            .user_agent(concat!("bridgeboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| MondayError::Protocol(e.to_string()))?;
        Ok(Self {
            http,
            downloads,
            url,
            token,
            version,
            retry,
            budget: Mutex::new(None),
            waited_ms: AtomicU64::new(0),
            spent: AtomicU64::new(0),
            health: Health::default(),
        })
    }

    /// When a call last went through, and the last failure.
    pub fn health(&self) -> Reading {
        self.health.reading()
    }

    /// The most recent complexity reading, if a query asked for one.
    pub fn budget(&self) -> Option<Budget> {
        self.budget.lock().ok().and_then(|b| b.map(|(b, _)| b))
    }

    pub fn record_budget(&self, budget: Budget) {
        self.spent
            .fetch_add(budget.query.unsigned_abs(), Ordering::Relaxed);
        if let Ok(mut b) = self.budget.lock() {
            *b = Some((budget, Instant::now()));
        }
    }

    /// How long the next call would wait for the budget: when the last
    /// reading cannot cover another query of the same cost, until its window
    /// resets.
    pub fn budget_wait(&self) -> Duration {
        let Some((b, at)) = self.budget.lock().ok().and_then(|b| *b) else {
            return Duration::ZERO;
        };
        if b.query > 0 && b.after < b.query && b.reset_in_seconds > 0 {
            Duration::from_secs(b.reset_in_seconds.unsigned_abs())
                .saturating_sub(at.elapsed())
                .min(self.retry.max_rate_limit_wait)
        } else {
            Duration::ZERO
        }
    }

    /// The complexity of every query that reported it, summed.
    pub fn complexity_spent(&self) -> u64 {
        self.spent.load(Ordering::Relaxed)
    }

    /// Total time calls spent waiting for the complexity budget.
    pub fn budget_waited(&self) -> Duration {
        Duration::from_millis(self.waited_ms.load(Ordering::Relaxed))
    }

    /// Runs one typed operation, retrying what is worth retrying.
    pub async fn run<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> Result<Q::ResponseData, MondayError> {
        self.execute::<Q>(variables, true, None).await
    }

    /// Runs a mutation that must not be sent twice (it creates something).
    /// A timeout or 5xx may mean Monday acted without answering, so those are
    /// returned rather than retried: the caller retries after checking. A 429
    /// is still waited out, since Monday refused that request.
    pub async fn run_once<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> Result<Q::ResponseData, MondayError> {
        self.execute::<Q>(variables, false, None).await
    }

    /// `run_once` for an operation carrying a file (`add_file_to_update`).
    pub async fn run_with_file<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
        file: &FilePart,
    ) -> Result<Q::ResponseData, MondayError> {
        self.execute::<Q>(variables, false, Some(file)).await
    }

    async fn execute<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
        retry_unavailable: bool,
        file: Option<&FilePart>,
    ) -> Result<Q::ResponseData, MondayError> {
        let body = serde_json::to_value(Q::build_query(variables))
            .map_err(|e| MondayError::Protocol(e.to_string()))?;
        self.pace().await;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let err = match self.send(&body, file).await {
                Ok(data) => {
                    return serde_json::from_value(data)
                        .map_err(|e| MondayError::Protocol(format!("response shape: {e}")));
                }
                Err(e) => e,
            };
            let wait = match &err {
                MondayError::RateLimited(wait) if *wait <= self.retry.max_rate_limit_wait => *wait,
                MondayError::Unavailable(_) if retry_unavailable => self.backoff(attempt),
                _ => return Err(err),
            };
            if attempt >= self.retry.max_attempts {
                return Err(err);
            }
            tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, error = %err, "monday call failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// When the last reading says the budget cannot cover another query of
    /// the same cost, wait for the window to reset instead of burning a 429.
    async fn pace(&self) {
        let wait = self.budget_wait();
        if wait.is_zero() {
            return;
        }
        tracing::info!(
            wait_ms = wait.as_millis() as u64,
            "monday complexity budget low; pausing"
        );
        tokio::time::sleep(wait).await;
        self.waited_ms
            .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
        if let Ok(mut slot) = self.budget.lock() {
            *slot = None;
        }
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
    /// `data` object on success.
    async fn send(&self, body: &Value, file: Option<&FilePart>) -> Result<Value, MondayError> {
        let out = self.exchange(body, file).await;
        // A request refused on its merits says nothing about the connection.
        match &out {
            Err(e) if !e.answered() => self.health.failed(e),
            _ => self.health.succeeded(),
        }
        out
    }

    async fn exchange(&self, body: &Value, file: Option<&FilePart>) -> Result<Value, MondayError> {
        let request = match file {
            None => self.http.post(self.url.clone()).json(body),
            Some(f) => self
                .http
                .post(self.file_url())
                .multipart(file_form(body, f)?),
        };
        let res = request
            .header("Authorization", self.token.expose_secret())
            .header("API-Version", &self.version)
            .send()
            .await
            .map_err(|e| MondayError::Unavailable(transport_error(&e)))?;
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let body = res
            .bytes()
            .await
            .map_err(|e| MondayError::Unavailable(transport_error(&e)))?;
        read_response(status, retry_after, &body)
    }
}

impl MondayClient {
    /// Opens a signed asset link. Never with our token: the link is its own
    /// authorization, and its host is not Monday's API.
    pub async fn open_link(&self, link: &str) -> Result<reqwest::Response, MondayError> {
        let url =
            Url::parse(link).map_err(|e| MondayError::Protocol(format!("asset link: {e}")))?;
        let res = self
            .downloads
            .get(url)
            .send()
            .await
            .map_err(|e| MondayError::Unavailable(transport_error(&e)))?;
        match res.status() {
            s if s.is_success() => Ok(res),
            s if s.is_server_error() => Err(MondayError::Unavailable(format!(
                "asset link: HTTP {}",
                s.as_u16()
            ))),
            s => Err(MondayError::Protocol(format!(
                "asset link: HTTP {}",
                s.as_u16()
            ))),
        }
    }

    /// The file endpoint beside the API's (`…/v2` → `…/v2/file`).
    fn file_url(&self) -> Url {
        let mut url = self.url.clone();
        let path = format!("{}/file", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }
}

/// The multipart body Monday's file endpoint reads: the operation's `query`
/// and `variables`, and the file in `variables[file]`.
fn file_form(body: &Value, f: &FilePart) -> Result<reqwest::multipart::Form, MondayError> {
    let part = reqwest::multipart::Part::stream_with_length(
        reqwest::Body::from(f.bytes.clone()),
        f.bytes.len() as u64,
    )
    .file_name(f.name.clone())
    .mime_str(&f.content_type)
    .map_err(|e| MondayError::Protocol(format!("content type: {e}")))?;
    let query = body
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let variables = body.get("variables").cloned().unwrap_or(Value::Null);
    // Monday reads the part names literally: `variables[file]`, not
    // percent-encoded brackets.
    Ok(reqwest::multipart::Form::new()
        .percent_encode_noop()
        .text("query", query)
        .text("variables", variables.to_string())
        .part("variables[file]", part))
}

/// Classifies one HTTP answer from Monday (status, `Retry-After` seconds,
/// body) and returns its `data` object on success. Pure, so the property
/// tests and fuzz targets can feed it anything.
pub fn read_response(
    status: u16,
    retry_after: Option<u64>,
    body: &[u8],
) -> Result<Value, MondayError> {
    let payload: Option<Value> = serde_json::from_slice(body).ok();
    let status = StatusCode::from_u16(status)
        .map_err(|_| MondayError::Protocol(format!("HTTP status {status}")))?;
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return Err(MondayError::Unauthorized(status.as_u16()));
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        let secs = payload
            .as_ref()
            .and_then(retry_in_seconds)
            .or(retry_after)
            .unwrap_or(60);
        return Err(MondayError::RateLimited(Duration::from_secs(secs)));
    }
    if status.is_server_error() {
        return Err(MondayError::Unavailable(format!(
            "HTTP {}",
            status.as_u16()
        )));
    }
    let payload =
        payload.ok_or_else(|| MondayError::Protocol(format!("HTTP {status} without JSON")))?;
    if !status.is_success() {
        return Err(
            api_error(&payload).unwrap_or_else(|| MondayError::Protocol(format!("HTTP {status}")))
        );
    }
    if let Some(err) = api_error(&payload) {
        if err.code() == Some("COMPLEXITY_BUDGET_EXHAUSTED")
            || err.code() == Some("ComplexityException")
        {
            let secs = retry_in_seconds(&payload).unwrap_or(60);
            return Err(MondayError::RateLimited(Duration::from_secs(secs)));
        }
        // Monday's own trouble reported in a 200: retried like a 5xx.
        if err.class() == super::error::ErrorClass::Transient {
            return Err(MondayError::Unavailable(err.to_string()));
        }
        return Err(err);
    }
    payload
        .get("data")
        .cloned()
        .filter(|d| !d.is_null())
        .ok_or_else(|| MondayError::Protocol("response without data".to_owned()))
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

/// `errors[0]` (current shape) or the legacy `error_code` body.
fn api_error(payload: &Value) -> Option<MondayError> {
    if let Some(first) = payload
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        let code = first
            .pointer("/extensions/code")
            .and_then(Value::as_str)
            .unwrap_or("UnknownError")
            .to_owned();
        let message = first
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_else(|| first.as_str().unwrap_or("unknown error"))
            .to_owned();
        return Some(MondayError::Api { code, message });
    }
    let code = payload.get("error_code").and_then(Value::as_str)?;
    let message = payload
        .get("error_message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(MondayError::Api {
        code: code.to_owned(),
        message: message.to_owned(),
    })
}

fn retry_in_seconds(payload: &Value) -> Option<u64> {
    payload
        .pointer("/errors/0/extensions/retry_in_seconds")
        .or_else(|| payload.get("retry_in_seconds"))
        .and_then(Value::as_u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_both_error_shapes() {
        let current = json!({"errors":[{"message":"Column not found","extensions":{"code":"InvalidColumnIdException"}}]});
        assert_eq!(
            api_error(&current)
                .and_then(|e| e.code().map(str::to_owned))
                .as_deref(),
            Some("InvalidColumnIdException")
        );
        let legacy = json!({"error_code":"ComplexityException","error_message":"Complexity budget exhausted","status_code":429});
        assert_eq!(
            api_error(&legacy)
                .and_then(|e| e.code().map(str::to_owned))
                .as_deref(),
            Some("ComplexityException")
        );
        assert!(api_error(&json!({"data":{}})).is_none());
    }

    #[test]
    fn reads_retry_in_seconds() {
        let body = json!({"errors":[{"message":"Complexity budget exhausted","extensions":{"code":"COMPLEXITY_BUDGET_EXHAUSTED","retry_in_seconds":17}}]});
        assert_eq!(retry_in_seconds(&body), Some(17));
    }

    #[test]
    fn backoff_stays_within_bounds() {
        let c = MondayClient::new(
            Url::parse("http://127.0.0.1:1/").unwrap(),
            SecretString::from("t".to_owned()),
            "2026-10".to_owned(),
            RetryPolicy::default(),
        )
        .unwrap();
        for attempt in 1..20 {
            let d = c.backoff(attempt);
            assert!(d <= c.retry.max_delay, "{d:?}");
            assert!(d >= c.retry.base_delay / 2);
        }
    }
}
