//! One run at a time, across replicas: concurrent triggers get the same run,
//! two apps on one database run once, a schedule slot runs once, and a run
//! whose process died is marked FAILED with the old data intact.

use std::collections::HashSet;
use std::time::Duration;

use bridgeboard::sandbox::Upstream;

use super::*;

const RUNS: &str =
    "{ pipelineRuns(first: 100) { edges { node { id status trigger scheduleSlot error } } } }";

async fn runs(app: &TestApp, token: &str) -> Vec<Value> {
    let body = app.graphql_as(token, RUNS, json!({})).await;
    data(body)["pipelineRuns"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// A second app (a replica) on `app`'s database and `sandbox`.
async fn replica(app: &TestApp, sandbox: &SandboxHandle, extra: &[(&str, &str)]) -> TestApp {
    let url = app.db.url();
    let mut vars = vec![("DATABASE_URL", url.as_str())];
    vars.extend_from_slice(extra);
    pipeline_app(sandbox, &vars).await
}

#[tokio::test]
async fn concurrent_triggers_on_one_app_start_one_run() {
    let sandbox = pipeline_sandbox(2_000, 5, |_| {}).await;
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.latency_ms = 50);
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    let (a, b, c) = tokio::join!(
        app.start_pipeline(&admin, "FULL"),
        app.start_pipeline(&admin, "INCREMENTAL"),
        app.start_pipeline(&admin, "FULL"),
    );
    assert_eq!(a["id"], b["id"]);
    assert_eq!(b["id"], c["id"]);
    assert_succeeded(&app.wait_run(&admin, a["id"].as_str().unwrap()).await);
    assert_eq!(runs(&app, &admin).await.len(), 1);
}

#[tokio::test]
async fn two_replicas_on_one_database_start_one_run() {
    let sandbox = pipeline_sandbox(2_000, 5, |_| {}).await;
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.latency_ms = 50);
    let a = pipeline_app(&sandbox, &[]).await;
    let b = replica(&a, &sandbox, &[]).await;
    let (ta, tb) = tokio::join!(a.login_admin(), b.login_admin());
    let (ra, rb) = tokio::join!(a.start_pipeline(&ta, "FULL"), b.start_pipeline(&tb, "FULL"));
    assert_eq!(
        ra["id"], rb["id"],
        "the second replica answers with the first's run"
    );
    let run = b.wait_run(&tb, rb["id"].as_str().unwrap()).await;
    assert_succeeded(&run);
    assert_eq!(runs(&a, &ta).await.len(), 1);
    assert_eq!(stats(&run, "leads")["inserted"], 2_000);
}

#[tokio::test]
async fn a_schedule_slot_runs_once_across_replicas() {
    let sandbox = pipeline_sandbox(100, 5, |_| {}).await;
    let every_two = [("PIPELINE_CRON", "*/2 * * * * *")];
    let a = pipeline_app(&sandbox, &every_two).await;
    let _b = replica(&a, &sandbox, &every_two).await;
    let admin = a.login_admin().await;
    tokio::time::sleep(Duration::from_millis(7_500)).await;
    let scheduled: Vec<Value> = runs(&a, &admin)
        .await
        .into_iter()
        .filter(|r| r["trigger"] == "SCHEDULE")
        .collect();
    assert!(scheduled.len() >= 2, "the schedule fired: {scheduled:?}");
    let slots: HashSet<String> = scheduled
        .iter()
        .map(|r| r["scheduleSlot"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        slots.len(),
        scheduled.len(),
        "one run per slot: {scheduled:?}"
    );
    assert!(scheduled.len() <= 5, "not once per replica: {scheduled:?}");
}

#[tokio::test]
async fn a_run_whose_process_died_is_marked_failed_and_the_old_data_stays() {
    let sandbox = pipeline_sandbox(3_000, 5, |_| {}).await;
    let first = pipeline_app(&sandbox, &[]).await;
    let admin = first.login_admin().await;
    let done = first.run_pipeline(&admin, "FULL").await;
    assert_succeeded(&done);
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.latency_ms = 300);
    let run = first.start_pipeline(&admin, "FULL").await;
    let id = run["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(800)).await;
    first.kill();
    sandbox.faults().reset();

    let second = replica(&first, &sandbox, &[]).await;
    let token = second.login_admin().await;
    let ended = second.wait_run(&token, &id).await;
    assert_eq!(ended["status"], "FAILED", "{ended}");
    assert_eq!(ended["error"], "the process running it stopped");
    let status = second.pipeline_status(&token).await;
    assert_eq!(status["lastSuccess"]["id"], done["id"]);
    assert_eq!(status["counts"]["leads"], 3_000);
    // The next trigger starts fresh.
    let next = second.run_pipeline(&token, "FULL").await;
    assert_succeeded(&next);
    assert_ne!(next["id"], done["id"]);
}
