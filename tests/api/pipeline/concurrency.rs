//! One run at a time, across replicas: concurrent triggers get the same run,
//! two apps on one database run once, a schedule slot runs once, the CLI
//! follows the server's run, and a run whose process died is marked FAILED
//! with the old data intact.

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
    let monday = sandbox.monday();
    let renamed = monday.board_item_ids(sandbox.leads_board_id())[0];
    monday
        .staff_rename(renamed, "Renamed before the crash")
        .unwrap();
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.latency_ms = 300);
    let run = first.start_pipeline(&admin, "FULL").await;
    let id = run["id"].as_str().unwrap().to_owned();
    crate::helpers::eventually("the first page to be written", || async {
        let run = first.pipeline_run(&admin, &id).await;
        let leads = run["progress"]
            .as_array()?
            .iter()
            .find(|p| p["stream"] == "leads")?;
        (leads["done"].as_u64()? >= 500).then_some(())
    })
    .await;
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
    assert_ne!(
        lead(&second, &token, renamed).await["name"],
        "Renamed before the crash"
    );
    let number = run["number"].as_i64().unwrap();
    assert_eq!(versions_of_run(&first, number).await, 0, "discarded");
    // The next trigger starts fresh.
    let next = second.run_pipeline(&token, "FULL").await;
    assert_succeeded(&next);
    assert_ne!(next["id"], done["id"]);
    assert_eq!(
        lead(&second, &token, renamed).await["name"],
        "Renamed before the crash"
    );
}

#[tokio::test]
async fn the_cli_beside_a_running_server_follows_its_run() {
    let sandbox = pipeline_sandbox(3_000, 5, |_| {}).await;
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.latency_ms = 250);
    let run = app.start_pipeline(&admin, "FULL").await;
    let id = run["id"].as_str().unwrap().to_owned();

    // An operator's `bridgeboard pipeline run` on the same database, in its
    // own process, while the server's run is under way.
    let mut vars = Vec::new();
    upstream_vars(&sandbox, &mut vars);
    let mut cli = std::process::Command::new(env!("CARGO_BIN_EXE_bridgeboard"));
    cli.current_dir(std::env::temp_dir())
        .env_clear()
        .envs(vars)
        .env("DATABASE_URL", app.db.url())
        .env("RUST_LOG", "warn")
        .args(["pipeline", "run", "--full"]);
    let out = tokio::task::spawn_blocking(move || cli.output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let number = run["number"].as_i64().unwrap();
    assert!(
        stderr.contains(&format!("run {number} is already going")),
        "{stderr}"
    );
    assert!(
        stdout.contains(&format!("run {number} succeeded")),
        "{stdout}"
    );

    let ended = app.wait_run(&admin, &id).await;
    assert_succeeded(&ended);
    assert_eq!(runs(&app, &admin).await.len(), 1, "one run, not two");
    assert_eq!(app.pipeline_status(&admin).await["counts"]["leads"], 3_000);
}
