//! Every log line written while serving a request carries that request's id,
//! and every line of a pipeline run or an outbox delivery names the run or
//! the entry, including lines from tasks they spawn (batched loads, webhook
//! application, export read-ahead, the WebSocket's own task). Checked on the
//! JSON lines an operator's log shipper would get.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tracing_subscriber::fmt::MakeWriter;

use crate::auth_support::REQUEST_MAGIC_LINK;
use crate::tickets::{portal_app, wait_event};

/// The JSON log lines the process wrote.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

impl Capture {
    fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON log line"))
            .collect()
    }
}

/// The ids a line carries through its spans.
fn ids(line: &Value) -> Vec<&'static str> {
    let spans = line["spans"].as_array().cloned().unwrap_or_default();
    let mut found = Vec::new();
    for (key, name) in [
        ("request_id", "request"),
        ("run", "run"),
        ("entry", "entry"),
        ("pass", "board sync"),
    ] {
        if spans.iter().any(|s| s.get(key).is_some()) || line["fields"].get(key).is_some() {
            found.push(name);
        }
    }
    found
}

/// Work no request or job started: the server's own upkeep.
fn background(line: &Value) -> bool {
    let target = line["target"].as_str().unwrap_or_default();
    [
        "bridgeboard::startup",
        "bridgeboard::changes",
        "bridgeboard::pipeline::schedule",
        "bridgeboard::outbox::owner",
        "bridgeboard::db",
        "bridgeboard::auth::key_usage",
    ]
    .iter()
    .any(|t| target.starts_with(t))
}

/// Set for the process that runs `in_a_process_of_its_own`.
const CHILD: &str = "BRIDGEBOARD_LOG_CONTEXT_CHILD";

/// A log subscriber is process-wide (which spans and events are enabled is
/// cached per call site for every thread), so the check runs alone in a
/// process of its own, with its own subscriber as the global one.
#[test]
fn every_line_of_a_request_or_a_job_names_it() {
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new(exe)
        .args([
            "log_context::in_a_process_of_its_own",
            "--exact",
            "--include-ignored",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .expect("the test binary runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(said.contains("1 passed"), "the check ran: {said}");
}

#[tokio::test]
#[ignore = "run by every_line_of_a_request_or_a_job_names_it, in a process of its own"]
async fn in_a_process_of_its_own() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_span_list(true)
        .with_env_filter("bridgeboard=debug")
        .with_writer(capture.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let app = portal_app().await;
    // What the server logged while starting is no request's.
    capture.0.lock().unwrap().clear();
    let admin = app.login_admin().await;
    let (_, _, token) = app.signed_in_client(&admin, "logs@example.com").await;
    // Answered at once; the work (and its log line) goes on in a task.
    let asked = app
        .graphql(REQUEST_MAGIC_LINK, json!({ "email": "nobody@example.com" }))
        .await;
    assert!(asked.get("errors").is_none(), "{asked}");
    let mut events = app.subscribe_tickets(&token, None).await;
    let ticket = app
        .create_ticket(&token, json!({ "title": "Trace me" }))
        .await;
    let id = ticket["id"].as_str().unwrap().to_owned();
    let item = app.wait_synced(&token, &id).await;
    app.sandbox()
        .monday()
        .staff_set_priority(item, "Urgent")
        .unwrap();
    wait_event(&mut events, "the staff edit", |e| {
        e["ticket"]["priority"] == "URGENT"
    })
    .await;
    let run = app.run_pipeline(&admin, "FULL").await;
    assert_eq!(run["status"], "SUCCEEDED", "{run}");
    let csv = app.get_bearer(&admin, "/api/combined_csv").await;
    assert_eq!(csv.status(), 200);
    csv.bytes().await.unwrap();
    // A refused request logs too.
    let bad = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth("not-a-token")
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    drop(events);
    crate::helpers::eventually("the socket's task to end", || async {
        capture
            .lines()
            .iter()
            .any(|l| l["fields"]["message"] == "websocket closed")
            .then_some(())
    })
    .await;
    for said in [
        "magic link requested for an unknown email; nothing sent",
        "monday webhook event handled",
    ] {
        assert!(
            capture
                .lines()
                .iter()
                .any(|l| l["fields"]["message"] == said),
            "the work above logs {said:?}"
        );
    }

    let lines: Vec<Value> = capture
        .lines()
        .into_iter()
        .filter(|l| {
            let target = l["target"].as_str().unwrap_or_default();
            target.starts_with("bridgeboard") && !target.starts_with("bridgeboard::sandbox")
        })
        .collect();
    let bare: Vec<&Value> = lines
        .iter()
        .filter(|l| ids(l).is_empty() && !background(l))
        .collect();
    assert!(
        bare.is_empty(),
        "lines that name no request or job: {bare:#?}"
    );
    // And the work above did log under each kind of id.
    for kind in ["request", "run", "entry"] {
        assert!(
            lines.iter().any(|l| ids(l).contains(&kind)),
            "no line names a {kind}"
        );
    }
}
