//! A run in flight when its server shuts down is not lost: it stops at a
//! page boundary, stays the one running run, and the next server to look
//! resumes it, skipping what it had finished.

use std::collections::BTreeSet;

use bridgeboard::db::repo::pipeline as runs_repo;
use bridgeboard::pipeline::run::Resume;
use bridgeboard::sandbox::Upstream;

use super::*;
use crate::helpers::eventually;

const LOG: &str =
    "query($id: ID!) { pipelineRun(id: $id) { log(first: 100) { nodes { level message } } } }";

async fn log(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    let body = app.graphql_as(token, LOG, json!({ "id": id })).await;
    data(body)["pipelineRun"]["log"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["message"].as_str().unwrap().to_owned())
        .collect()
}

fn calendly_stats(run: &Value) -> Vec<Value> {
    run["stats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["stream"].as_str().unwrap().starts_with("calendly"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_run_cut_by_a_shutdown_is_resumed_by_the_next_server_and_publishes_whole() {
    let sandbox = pipeline_sandbox(10_000, 20, |_| {}).await;
    let first = pipeline_app(&sandbox, &[]).await;
    let admin = first.login_admin().await;
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.latency_ms = 300);
    let run = first.start_pipeline(&admin, "FULL").await;
    let id = run["id"].as_str().unwrap().to_owned();
    // Calendly (not slowed) finishes while the board is still being read.
    let before = eventually("Calendly read and the board half read", || async {
        let run = first.pipeline_run(&admin, &id).await;
        let progress = run["progress"].as_array()?.clone();
        let done = |stream: &str| {
            progress
                .iter()
                .find(|p| p["stream"] == stream)
                .and_then(|p| Some((p["done"].as_u64()?, p["total"].as_u64()?)))
        };
        let (invitees, of) = done("calendly_invitees")?;
        let (leads, _) = done("leads")?;
        (invitees == of && (500..9_000).contains(&leads)).then_some(run)
    })
    .await;

    first.shut_down();
    first.stopped().await;
    // Still the one running run, handed over with what it finished.
    let row = runs_repo::find(&first.state.db, id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "RUNNING");
    let resume: Resume =
        serde_json::from_str(row.handoff.as_deref().expect("handed over")).unwrap();
    assert_eq!(resume.handoffs, 1);
    let calendly_stages = BTreeSet::from([
        "calendly.accounts".to_owned(),
        "calendly.events".to_owned(),
        "calendly.invitees".to_owned(),
    ]);
    assert_eq!(resume.done, calendly_stages, "the board was not finished");
    sandbox.faults().reset();

    let second = spawn_replica_of(&first, &sandbox).await;
    let token = second.login_admin().await;
    let ended = second.wait_run(&token, &id).await;
    assert_succeeded(&ended);
    assert_eq!(ended["number"], run["number"], "the same run, resumed");
    let lines = log(&second, &token, &id).await;
    assert!(
        lines.iter().any(|l| l.contains("stopped at shutdown")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("resumed on this server")),
        "{lines:?}"
    );
    // Every lead once; Calendly, finished before, was not read again.
    assert_eq!(stats(&ended, "leads")["inserted"], 10_000, "{ended}");
    // The board was read again from its start, and counted once.
    assert_eq!(stats(&ended, "leads")["fetched"], 10_000, "{ended}");
    assert_eq!(calendly_stats(&ended), calendly_stats(&before), "{ended}");
    let status = second.pipeline_status(&token).await;
    assert_eq!(status["lastSuccess"]["id"], id.as_str());
    assert_eq!(status["counts"]["leads"], 10_000);
    assert_eq!(unmatched_lead_values(&first).await, (0, 0), "same database");
    // No second run was started for the same work.
    let body = second
        .graphql_as(
            &token,
            "{ pipelineRuns(first: 10) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(body)["pipelineRuns"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn an_incremental_run_resumed_mid_events_still_reads_the_new_bookings() {
    // Three pages of events, the new bookings on the first.
    let sandbox = pipeline_sandbox(50, 250, |_| {}).await;
    let first = pipeline_app(&sandbox, &[]).await;
    let admin = first.login_admin().await;
    assert_succeeded(&first.run_pipeline(&admin, "FULL").await);
    let before = first.pipeline_status(&admin).await["counts"].clone();
    let earliest = chrono::Utc::now() - chrono::Duration::days(360);
    for n in 0..3 {
        sandbox
            .calendly()
            .book(bridgeboard::sandbox::calendly::Booking {
                email: format!("early.{n}@example.com"),
                start_time: Some(earliest + chrono::Duration::hours(n)),
                ..Default::default()
            })
            .unwrap();
    }
    sandbox
        .faults()
        .update(Upstream::Calendly, |f| f.latency_ms = 700);
    let run = first.start_pipeline(&admin, "INCREMENTAL").await;
    let id = run["id"].as_str().unwrap().to_owned();
    eventually("the first page of events written", || async {
        let run = first.pipeline_run(&admin, &id).await;
        let events = run["progress"]
            .as_array()?
            .iter()
            .find(|p| p["stream"] == "calendly_events")?
            .clone();
        (events["done"].as_u64()? >= 100 && events["total"].is_null()).then_some(())
    })
    .await;
    first.shut_down();
    first.stopped().await;
    let row = runs_repo::find(&first.state.db, id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let resume: Resume =
        serde_json::from_str(row.handoff.as_deref().expect("handed over")).unwrap();
    assert!(
        !resume.done.contains("calendly.events"),
        "stopped inside the events: {resume:?}"
    );
    sandbox.faults().reset();

    let second = spawn_replica_of(&first, &sandbox).await;
    let token = second.login_admin().await;
    let ended = second.wait_run(&token, &id).await;
    assert_succeeded(&ended);
    assert_eq!(ended["mode"], "INCREMENTAL");
    // The events the first server had written are new to this run: their
    // invitees are read, not skipped as unchanged.
    let after = second.pipeline_status(&token).await["counts"].clone();
    assert_eq!(
        after["calendlyEvents"].as_i64().unwrap(),
        before["calendlyEvents"].as_i64().unwrap() + 3
    );
    assert_eq!(
        after["calendlyInvitees"].as_i64().unwrap(),
        before["calendlyInvitees"].as_i64().unwrap() + 3,
        "{ended}"
    );
    // The events were listed again from the first page, and counted once.
    assert_eq!(
        stats(&ended, "calendly_events")["fetched"],
        after["calendlyEvents"],
        "{ended}"
    );
}

/// Another server on `app`'s database and `sandbox`.
async fn spawn_replica_of(app: &TestApp, sandbox: &SandboxHandle) -> TestApp {
    let url = app.db.url();
    pipeline_app(sandbox, &[("DATABASE_URL", url.as_str())]).await
}
