//! `GET /metrics` in Prometheus text, from the `metrics` crate's recorder:
//! what happens (requests, operations, runs, refusals) is counted where it
//! happens; what is (queues, budgets, the change stream) is read when
//! scraped. Served on `METRICS_ADDR` when set; otherwise on the main port to
//! loopback callers only, and never to a request that came through a proxy.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::{AppError, gql_codes};
use crate::state::AppState;

/// Latency buckets, in seconds: a cached answer to a slow export.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Distinct GraphQL operation names kept as labels; later ones count as
/// "other", so clients cannot grow the series without bound.
const MAX_OPERATION_NAMES: usize = 500;

/// The process's one recorder (the `metrics` macros write to a global).
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), BUCKETS)
                .and_then(|b| b.install_recorder());
            match built {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::error!(error = %e, "cannot install the metrics recorder; /metrics is off");
                    None
                }
            }
        })
        .as_ref()
}

/// Times every routed request, labelled by its route pattern (never the raw
/// path, which would make a series per id).
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    // Any token is a method to HTTP; only the known ones become labels.
    let method = match req.method().as_str() {
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m,
        _ => "other",
    }
    .to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// One GraphQL operation over HTTP and how it ended: "OK" or the first
/// error's `extensions.code`. Its name is the one the client sent, else the
/// one its document gives (`resolved`, known once parsed; remembered for
/// answers later served from the cache without parsing).
/// Only signed-in callers add new names; an anonymous one's operation is
/// named only when that name is already known.
pub fn graphql_operation(
    query: &str,
    sent: Option<&str>,
    resolved: Option<&str>,
    code: &str,
    signed_in: bool,
) {
    // A document that did not parse or validate names nothing worth a
    // series of its own (and anyone may send one).
    if code == gql_codes::VALIDATION_FAILED {
        let labels = [
            ("operation", "invalid".to_owned()),
            ("code", code.to_owned()),
        ];
        metrics::counter!("graphql_operations_total", &labels).increment(1);
        return;
    }
    let name = match (sent, resolved) {
        (Some(n), _) => Some(n.to_owned()),
        // A persisted query's hash alone: nothing to remember it by.
        (None, _) if query.is_empty() => resolved.map(str::to_owned),
        (None, Some(n)) => {
            names().remember(query, n);
            Some(n.to_owned())
        }
        (None, None) => names().recall(query),
    };
    let labels = [
        ("operation", operation_label(name.as_deref(), signed_in)),
        ("code", code.to_owned()),
    ];
    metrics::counter!("graphql_operations_total", &labels).increment(1);
}

/// Documents' operation names, by a hash of the document.
#[derive(Default)]
struct Names(Mutex<HashMap<u64, String>>);

impl Names {
    fn key(query: &str) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        query.hash(&mut h);
        h.finish()
    }

    fn remember(&self, query: &str, name: &str) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= 1000 {
            map.clear();
        }
        map.insert(Self::key(query), name.to_owned());
    }

    fn recall(&self, query: &str) -> Option<String> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&Self::key(query)).cloned()
    }
}

fn operation_label(name: Option<&str>, may_add: bool) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let Some(name) = name.filter(|n| {
        !n.is_empty() && n.len() <= 64 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }) else {
        return "anonymous".to_owned();
    };
    let mut seen = SEEN
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if seen.contains(name) {
        name.to_owned()
    } else if !may_add {
        "anonymous".to_owned()
    } else if seen.len() < MAX_OPERATION_NAMES {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

fn names() -> &'static Names {
    static NAMES: OnceLock<Names> = OnceLock::new();
    NAMES.get_or_init(Names::default)
}

/// `/metrics` on the main port, for loopback callers that no proxy relayed.
pub async fn local(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let proxied = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|h| headers.contains_key(*h));
    if app.config.server.metrics_addr.is_some() || !peer.ip().is_loopback() || proxied {
        return AppError::NotFound("no such route".to_owned()).into_response();
    }
    render(&app).await
}

/// The router `METRICS_ADDR` serves: `/metrics` alone.
pub fn own_router(app: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(app): State<AppState>| async move { render(&app).await }),
        )
        .with_state(app)
}

async fn render(app: &AppState) -> Response {
    let Some(handle) = handle() else {
        return AppError::Unavailable("metrics are off".to_owned()).into_response();
    };
    read_state(app).await;
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// Gauges of what is, read now.
async fn read_state(app: &AppState) {
    match crate::db::repo::outbox::depth(&app.db).await {
        Ok((depth, oldest)) => {
            metrics::gauge!("outbox_depth").set(depth as f64);
            let age = oldest.map_or(0.0, |at| (Utc::now() - at).num_milliseconds() as f64 / 1e3);
            metrics::gauge!("outbox_oldest_age_seconds").set(age.max(0.0));
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the outbox depth"),
    }
    if let Some(m) = &app.monday {
        if let Some(b) = m.budget() {
            metrics::gauge!("monday_complexity_budget_left").set(b.after as f64);
        }
        metrics::counter!("monday_complexity_wait_seconds_total")
            .absolute(m.budget_waited().as_secs());
    }
    if let Some(r) = app.calendly.as_ref().and_then(|c| c.rate_limit()) {
        metrics::gauge!("calendly_rate_limit_remaining").set(f64::from(r.remaining));
        metrics::gauge!("calendly_rate_limit_limit").set(f64::from(r.limit));
    }
    let stream = app.changes.status();
    if stream.relayed() {
        metrics::gauge!("event_stream_up").set(if stream.up() { 1.0 } else { 0.0 });
        metrics::counter!("event_stream_gaps_total").absolute(stream.gaps());
        metrics::counter!("event_stream_heard_total").absolute(stream.heard());
        metrics::gauge!("event_stream_lag_seconds").set(stream.last_lag_ms() as f64 / 1e3);
    }
}
