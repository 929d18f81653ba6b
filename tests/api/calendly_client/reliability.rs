//! The client under failure: 429s waited out, a spent budget paced, 5xx and
//! timeouts retried, and a page that never succeeds failing the whole call.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use bridgeboard::error::AppError;
use bridgeboard::sandbox::SandboxHandle;
use bridgeboard::sandbox::faults::Upstream;
use bridgeboard::upstream::Transient;
use bridgeboard::upstream::calendly::{CalendlyError, RetryPolicy};
use reqwest::StatusCode;
use serde_json::json;

use super::{client, client_at, everything, policy};
use crate::helpers::spawn_sandbox;

#[tokio::test]
async fn a_429_is_waited_out_and_nothing_is_lost() {
    let sb = spawn_sandbox(|o| o.events = 250).await;
    let c = client(&sb);
    let org = sb.calendly().organization_uri();
    let (min, max) = everything();
    sb.faults().update(Upstream::Calendly, |f| {
        f.rate_limit_next = 2;
        f.retry_after_secs = 1;
    });
    let started = tokio::time::Instant::now();
    let events = c.scheduled_events(&org, min, max).await.unwrap();
    assert_eq!(events.len(), 250);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited out both 429s"
    );
    assert_eq!(c.requests_sent(), 3 + 2);
    let reading = c.rate_limit().expect("every answer carries the headers");
    assert_eq!(reading.limit, 500);
    assert!(reading.remaining < 500);

    // A wait longer than we accept is reported, not slept through.
    sb.faults().update(Upstream::Calendly, |f| {
        f.rate_limit_next = 1;
        f.retry_after_secs = 60;
    });
    let started = tokio::time::Instant::now();
    let err = c.me().await.unwrap_err();
    assert!(
        matches!(err, CalendlyError::RateLimited(d) if d == Duration::from_secs(60)),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(matches!(AppError::from(err), AppError::Unavailable(_)));
}

#[tokio::test]
async fn a_spent_budget_holds_the_next_request_back() {
    let sb = spawn_sandbox(|o| o.calendly_rate_limit = 2).await;
    let c = client(&sb);
    c.me().await.unwrap();
    c.me().await.unwrap();
    assert_eq!(c.rate_limit().unwrap().remaining, 0);

    // The limit is lifted while the client waits. Had it sent at once, it
    // would have met a 429 with a reset far beyond what it may wait.
    let cal = sb.calendly();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        cal.set_rate_limit(500);
    });
    let started = tokio::time::Instant::now();
    c.me().await.expect("sent once the pause is over");
    assert!(started.elapsed() >= policy().max_rate_limit_wait);
    assert_eq!(c.requests_sent(), 3, "no request spent on a 429");
}

/// A pass-through to the sandbox's Calendly that answers 500, in Calendly's
/// shape, to the requests `fail(n, query)` picks (`n` counts from 0).
async fn flaky_proxy(sb: &SandboxHandle, fail: fn(u32, &str) -> bool) -> String {
    let origin = sb.base_url().to_owned();
    let http = reqwest::Client::new();
    let n = Arc::new(AtomicU32::new(0));
    let app = axum::Router::new().fallback(move |req: Request| {
        let (origin, http, n) = (origin.clone(), http.clone(), n.clone());
        async move {
            let target = req.uri().path_and_query().unwrap().to_string();
            if fail(
                n.fetch_add(1, Ordering::SeqCst),
                req.uri().query().unwrap_or(""),
            ) {
                let body = json!({ "title": "Internal Server Error", "message": "injected" });
                return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response();
            }
            let mut headers = req.headers().clone();
            headers.remove("host");
            let res = http
                .request(req.method().clone(), format!("{origin}{target}"))
                .headers(headers)
                .body(
                    axum::body::to_bytes(req.into_body(), usize::MAX)
                        .await
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
            let mut out = Response::builder().status(res.status());
            for (k, v) in res.headers() {
                if k == "content-type" || k.as_str().starts_with("x-ratelimit-") {
                    out = out.header(k, v);
                }
            }
            out.body(axum::body::Body::from(res.bytes().await.unwrap()))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/calendly", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn a_page_that_keeps_failing_fails_the_whole_call() {
    let sb = spawn_sandbox(|o| o.events = 250).await;
    let org = sb.calendly().organization_uri();
    let (min, max) = everything();
    // First pages pass; every later page fails, however often it is asked.
    let url = flaky_proxy(&sb, |_, q| q.contains("page_token=")).await;
    let c = client_at(&url, sb.calendly_token(), policy());
    let first = c.scheduled_events_page(&org, min, max, None).await.unwrap();
    assert_eq!(first.items.len(), 100);
    assert!(first.next_page_token.is_some(), "there is more to fetch");

    let before = c.requests_sent();
    let err = c.scheduled_events(&org, min, max).await.unwrap_err();
    assert!(
        matches!(err, CalendlyError::Unavailable(_)) && err.is_transient(),
        "{err:?}"
    );
    assert_eq!(
        c.requests_sent() - before,
        1 + 4,
        "page 2 tried max_attempts times"
    );

    // Failures that pass after retries cost requests, not events.
    let url = flaky_proxy(&sb, |n, _| matches!(n, 1 | 2 | 4 | 5)).await;
    let c = client_at(&url, sb.calendly_token(), policy());
    let events = c.scheduled_events(&org, min, max).await.unwrap();
    assert_eq!(events.len(), 250);
    assert_eq!(c.requests_sent(), 3 + 4);
}

#[tokio::test]
async fn timeouts_are_retried_then_reported_as_unavailable() {
    let sb = spawn_sandbox(|_| {}).await;
    sb.faults().update(Upstream::Calendly, |f| {
        f.timeout_rate = 1.0;
        f.hang_ms = 3_000;
    });
    let retry = RetryPolicy {
        max_attempts: 2,
        request_timeout: Duration::from_millis(300),
        ..policy()
    };
    let c = client_at(sb.calendly_url(), sb.calendly_token(), retry);
    let err = c.me().await.unwrap_err();
    assert!(
        matches!(&err, CalendlyError::Unavailable(m) if m.contains("timed out")),
        "{err:?}"
    );
    assert_eq!(c.requests_sent(), 2);
}

#[tokio::test]
async fn a_bad_token_is_unauthorized_and_not_retried() {
    let sb = spawn_sandbox(|_| {}).await;
    let token = "not-the-token-0123456789";
    let c = client_at(sb.calendly_url(), token, policy());
    let err = c.me().await.unwrap_err();
    assert!(matches!(err, CalendlyError::Unauthorized), "{err:?}");
    assert!(!err.is_transient());
    assert_eq!(c.requests_sent(), 1, "not retried");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(token), "{shown}");
    match AppError::from(err) {
        AppError::Upstream(m) => assert!(!m.contains(token)),
        other => panic!("{other:?}"),
    }
}
