//! `/metrics`: Prometheus text counting what users did, for loopback callers
//! (or on `METRICS_ADDR`), and for nobody else. Every app in this test
//! process shares one recorder, so counts are checked with labels no other
//! test uses, or as lower bounds.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, spawn_app, spawn_app_with, with_admin};

/// The value of the sample of `family` whose labels include every one of
/// `labels` (`name="value"` pairs), if any.
fn sample(text: &str, family: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{family}{{")) || l.starts_with(&format!("{family} ")))
        .find(|l| labels.iter().all(|want| l.contains(want)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn metrics_count_requests_operations_and_sockets() {
    let app = spawn_app_with(with_admin).await;
    let admin = app.login_admin().await;
    for _ in 0..2 {
        assert_eq!(app.get("/health").await.status(), 200);
        let ok = app
            .graphql_as(
                &admin,
                "query MetricsProbeCounted { __typename }",
                json!({}),
            )
            .await;
        assert!(ok["errors"].is_null(), "{ok}");
    }
    // Anonymous callers add no names; a broken document names nothing.
    let anon = app
        .graphql("query MetricsProbeStranger { __typename }", json!({}))
        .await;
    assert!(anon["errors"].is_null(), "{anon}");
    let bad = app
        .graphql_as(&admin, "query MetricsProbeBroken { nope }", json!({}))
        .await;
    assert_eq!(
        bad["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    let mut ws = app.ws("graphql-transport-ws").await;
    assert_eq!(ws.init(json!({})).await["type"], "connection_ack");
    ws.send(json!({
        "id": "1",
        "type": "subscribe",
        "payload": { "query": include_str!("operations/heartbeat.graphql"), "variables": { "intervalMs": 50 } }
    }))
    .await;
    ws.next_json(Duration::from_secs(5)).await.expect("a beat");

    let text = scrape(&app).await;
    assert_eq!(
        sample(
            &text,
            "graphql_operations_total",
            &[r#"operation="MetricsProbeCounted""#, r#"code="OK""#]
        ),
        Some(2.0),
        "{text}"
    );
    assert!(!text.contains("MetricsProbeBroken") && !text.contains("MetricsProbeStranger"));
    assert!(
        sample(
            &text,
            "graphql_operations_total",
            &[
                r#"operation="invalid""#,
                r#"code="GRAPHQL_VALIDATION_FAILED""#
            ]
        ) >= Some(1.0)
    );
    let health = [r#"route="/health""#, r#"status="200""#, r#"method="GET""#];
    assert!(sample(&text, "http_requests_total", &health) >= Some(2.0));
    let mut bucket = health.to_vec();
    bucket.push(r#"le="+Inf""#);
    assert!(sample(&text, "http_request_duration_seconds_bucket", &bucket) >= Some(2.0));
    // Routes are their patterns, never raw paths with ids in them.
    assert!(!text.contains("route=\"/dashboard/vendor/react"), "{text}");
    assert!(sample(&text, "websockets_open", &[]) >= Some(1.0));
    assert!(sample(&text, "graphql_subscriptions_open", &[]) >= Some(1.0));
    assert!(sample(&text, "outbox_depth", &[]).is_some());
    assert!(sample(&text, "monday_complexity_wait_seconds_total", &[]).is_some());
}

#[tokio::test]
async fn metrics_are_not_served_to_proxied_callers_or_beside_their_own_port() {
    let app = spawn_app().await;
    for header in ["x-forwarded-for", "forwarded", "x-real-ip"] {
        let res = app
            .client
            .get(app.url("/metrics"))
            .header(header, "203.0.113.9")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{header}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "NOT_FOUND");
    }

    let apart = spawn_app_with(|v| v.push(("METRICS_ADDR".into(), "127.0.0.1:0".into()))).await;
    assert_eq!(apart.get("/metrics").await.status(), 404);
    let port = apart.metrics_port.expect("a metrics port");
    let res = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("# TYPE http_requests_total counter")
    );
}
