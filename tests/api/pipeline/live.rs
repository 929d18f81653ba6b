//! `pipelineProgress`: a run watched live over a real WebSocket, from its
//! first page to its end, with its log; the stream completes with the run.

use std::time::Duration;

use bridgeboard::sandbox::Upstream;

use super::*;

const PROGRESS: &str = "subscription($id: ID!) { pipelineProgress(runId: $id) { finished run { status progress { stream done total } } log { level message } } }";

#[tokio::test]
async fn progress_and_log_arrive_live_and_the_stream_ends_with_the_run() {
    // Slow pages: the run is still early when the client subscribes.
    let sandbox = pipeline_sandbox(2_500, 10, |_| {}).await;
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.latency_ms = 300);
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    let run = app.start_pipeline(&admin, "FULL").await;
    let id = run["id"].as_str().unwrap();

    let mut ws = app.ws("graphql-transport-ws").await;
    let ack = ws
        .init(json!({ "Authorization": format!("Bearer {admin}") }))
        .await;
    assert_eq!(ack["type"], "connection_ack");
    ws.send(json!({
        "id": "p", "type": "subscribe",
        "payload": { "query": PROGRESS, "variables": { "id": id } }
    }))
    .await;

    let mut seen_done = Vec::new();
    let mut lines = Vec::new();
    let mut last = Value::Null;
    loop {
        let msg = ws
            .next_json(Duration::from_secs(30))
            .await
            .expect("the stream goes on until the run ends");
        if msg["type"] == "complete" {
            break;
        }
        assert_eq!(msg["type"], "next", "{msg}");
        let event = msg["payload"]["data"]["pipelineProgress"].clone();
        if let Some(p) = event["run"]["progress"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["stream"] == "leads"))
        {
            seen_done.push(p["done"].as_u64().unwrap());
        }
        lines.extend(
            event["log"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["message"].as_str().unwrap().to_owned()),
        );
        last = event;
    }
    assert_eq!(last["finished"], true);
    assert_eq!(last["run"]["status"], "SUCCEEDED");
    assert_eq!(seen_done.last(), Some(&2_500), "progress reached the end");
    assert!(
        seen_done.iter().any(|d| *d > 0 && *d < 2_500),
        "and was seen on its way: {seen_done:?}"
    );
    assert!(lines.iter().any(|l| l.contains("started")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("succeeded")), "{lines:?}");
}
