//! A run started from the page, watched live to its end without a reload.

use std::collections::BTreeSet;
use std::time::Duration;

use bridgeboard::sandbox::Upstream;
use serde_json::json;

use super::{Browser, WIDE};
use crate::pipeline::{pipeline_app, pipeline_sandbox};

#[tokio::test]
async fn a_run_started_in_the_page_reaches_100_percent_live_without_a_reload() {
    // Slow Monday pages: the run lasts long enough to be watched.
    let sandbox = pipeline_sandbox(1_500, 10, |_| {}).await;
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.latency_ms = 250);
    let app = pipeline_app(&sandbox, &[]).await;
    let browser = Browser::start().await;
    browser.size(WIDE).await;
    browser.sign_in_admin(&app).await;
    browser.section("pipeline").await;
    browser.wait_text("h-pipeline", |t| !t.is_empty()).await;
    // A mark only this page load has: a reload would drop it.
    browser.js("window.__sameLoad = true").await;
    browser.click("pipeline-start").await;

    let mut seen = BTreeSet::new();
    let mut finished = false;
    for _ in 0..1200 {
        let pct = browser.text("progress-overall").await;
        let status = browser.text("run-status").await;
        seen.insert(pct.clone());
        if pct == "100%" && status == "SUCCEEDED" {
            finished = true;
            break;
        }
        assert!(
            !["FAILED", "CANCELLED"].contains(&status.as_str()),
            "{status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        finished,
        "the page never showed the run's end: saw {seen:?}"
    );
    let between: Vec<_> = seen
        .iter()
        .filter(|p| p.ends_with('%') && p.as_str() != "100%")
        .collect();
    assert!(!between.is_empty(), "no progress before the end: {seen:?}");
    assert_eq!(
        browser.js("return window.__sameLoad === true").await,
        json!(true)
    );
    // The log arrived over the same subscription, and the history has the run.
    let log = browser.text("log").await;
    assert!(!log.is_empty());
    browser.wait_text("runs", |t| t.contains("SUCCEEDED")).await;
    browser.screenshot("pipeline-finished", WIDE).await;
    browser.close().await;
}
