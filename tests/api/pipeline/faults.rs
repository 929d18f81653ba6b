//! Runs under pressure: a tight complexity budget (paced, never refused), a
//! cursor that expires mid-walk, upstream faults, and a cancel. A run either
//! completes exactly or fails and leaves the previous snapshot served.

use std::time::Duration;

use bridgeboard::sandbox::{SandboxHandle, Upstream};

use super::*;

const LOG: &str = "query($id: ID!) { pipelineRun(id: $id) { log(first: 100) { edges { node { level message } } } } }";
const CANCEL: &str = "mutation($id: ID!) { cancelPipeline(id: $id) { id status cancelRequested } }";

async fn log_lines(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    let body = app.graphql_as(token, LOG, json!({ "id": id })).await;
    data(body)["pipelineRun"]["log"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["message"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits until the run has read at least `n` leads.
async fn until_leads(app: &TestApp, token: &str, id: &str, n: u64) {
    crate::helpers::eventually("the run to be under way", || async {
        let run = app.pipeline_run(token, id).await;
        let done = run["progress"]
            .as_array()?
            .iter()
            .find(|p| p["stream"] == "leads")?["done"]
            .as_u64()?;
        (done >= n || run["status"] != "RUNNING").then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_run_paces_itself_to_the_complexity_budget_and_is_never_refused() {
    // Six pages of ~25k each against 60k per (shortened) window, long
    // enough that even a slow machine reads three pages inside one.
    let sandbox = pipeline_sandbox(3_000, 5, |o| {
        o.monday_complexity_budget = 60_000;
        o.monday_complexity_window = Duration::from_secs(6);
    })
    .await;
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    let run = app.run_pipeline(&admin, "FULL").await;
    assert_succeeded(&run);
    assert_eq!(stats(&run, "leads")["fetched"], 3_000);
    assert_eq!(
        sandbox.monday().budget_refusals(),
        0,
        "no COMPLEXITY_BUDGET_EXHAUSTED"
    );
    let monday = app.state.monday.clone().unwrap();
    assert!(
        monday.budget_waited() >= Duration::from_secs(1),
        "the run waited for the budget: {:?}",
        monday.budget_waited()
    );
}

#[tokio::test]
async fn a_cursor_that_expires_mid_walk_costs_a_restart_not_rows() {
    let sandbox = pipeline_sandbox(5_000, 5, |_| {}).await;
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.latency_ms = 150);
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    let run = app.start_pipeline(&admin, "FULL").await;
    let id = run["id"].as_str().unwrap().to_owned();
    until_leads(&app, &admin, &id, 1_000).await;
    assert!(
        sandbox.monday().expire_cursors() >= 1,
        "a walk was under way"
    );
    let run = app.wait_run(&admin, &id).await;
    assert_succeeded(&run);
    let leads = stats(&run, "leads");
    assert_eq!(
        leads["inserted"], 5_000,
        "exact: no duplicates, nothing lost"
    );
    assert!(
        leads["fetched"].as_u64().unwrap() > 5_000,
        "pages were read again"
    );
    let status = app.pipeline_status(&admin).await;
    assert_eq!(status["counts"]["leads"], 5_000);
    let log = log_lines(&app, &admin, &id).await;
    assert!(log.iter().any(|l| l.contains("cursor expired")), "{log:?}");
    // The walk wrote leads again; each version kept exactly its values.
    assert_eq!(unmatched_lead_values(&app).await, (0, 0));
}

/// Staff edits three leads from the top of the board, so that a run reads
/// them on its first page: one renamed, one moved to Lost, one deleted.
fn edit_first_page(sandbox: &SandboxHandle) -> [u64; 3] {
    let monday = sandbox.monday();
    let ids = monday.board_item_ids(sandbox.leads_board_id());
    let [a, b, c] = [ids[0], ids[1], ids[2]];
    monday.staff_rename(a, "Renamed during the run").unwrap();
    monday.staff_move(b, "Lost").unwrap();
    monday.staff_delete(c).unwrap();
    [a, b, c]
}

/// The three leads read as staff read them.
async fn three_leads(app: &TestApp, token: &str, ids: [u64; 3]) -> Vec<Value> {
    let mut out = Vec::new();
    for id in ids {
        out.push(lead(app, token, id).await);
    }
    out
}

#[tokio::test]
async fn a_failed_run_leaves_the_previous_snapshot_served() {
    let sandbox = pipeline_sandbox(1_200, 10, |_| {}).await;
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    let first = app.run_pipeline(&admin, "FULL").await;
    assert_succeeded(&first);
    let before = app.pipeline_status(&admin).await;

    // Staff change the board; Monday goes away after the run has written
    // its first page, changes included.
    let ids = edit_first_page(&sandbox);
    let served = three_leads(&app, &admin, ids).await;
    assert!(served.iter().all(|l| !l.is_null()), "{served:?}");
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.latency_ms = 400);
    let run = app.start_pipeline(&admin, "FULL").await;
    let id = run["id"].as_str().unwrap().to_owned();
    until_leads(&app, &admin, &id, 500).await;
    sandbox.faults().set_down(Upstream::Monday, true);
    let failed = app.wait_run(&admin, &id).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert!(
        failed["error"].as_str().unwrap().contains("unavailable"),
        "{failed}"
    );
    let after = app.pipeline_status(&admin).await;
    assert_eq!(after["lastSuccess"]["id"], first["id"]);
    assert_eq!(
        after["counts"], before["counts"],
        "nothing half-written shows"
    );
    assert_eq!(after["counts"]["leads"], 1_200);
    assert_eq!(three_leads(&app, &admin, ids).await, served);
    let number = run["number"].as_i64().unwrap();
    assert_eq!(versions_of_run(&app, number).await, 0, "discarded");

    // Flaky upstreams: whatever happens, never a partial snapshot.
    sandbox.faults().reset();
    for u in [Upstream::Monday, Upstream::Calendly] {
        sandbox.faults().update(u, |f| {
            f.error_rate = 0.15;
            f.rate_limit_rate = 0.1;
            f.retry_after_secs = 1;
            // Longer than MONDAY_TIMEOUT_MS: the call times out.
            f.timeout_rate = 0.05;
            f.hang_ms = 4_000;
        });
    }
    let flaky = app.run_pipeline(&admin, "FULL").await;
    let now = app.pipeline_status(&admin).await;
    match flaky["status"].as_str() {
        Some("SUCCEEDED") => {
            assert_eq!(now["counts"]["leads"], 1_199, "{flaky}");
            assert_eq!(now["lastSuccess"]["id"], flaky["id"]);
            let edited = three_leads(&app, &admin, ids).await;
            assert_eq!(edited[0]["name"], "Renamed during the run");
            assert_eq!(edited[1]["group"]["title"], "Lost");
            assert!(edited[2].is_null(), "the deleted lead is gone");
        }
        Some("FAILED") => {
            assert_eq!(now["counts"], before["counts"], "{flaky}");
            assert_eq!(now["lastSuccess"]["id"], first["id"]);
        }
        other => panic!("unexpected outcome {other:?}: {flaky}"),
    }
}

#[tokio::test]
async fn a_cancelled_run_stops_at_a_page_boundary_and_changes_nothing() {
    let sandbox = pipeline_sandbox(4_000, 5, |_| {}).await;
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    let first = app.run_pipeline(&admin, "FULL").await;
    assert_succeeded(&first);
    let ids = edit_first_page(&sandbox);
    let served = three_leads(&app, &admin, ids).await;
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.latency_ms = 200);
    let run = app.start_pipeline(&admin, "FULL").await;
    let id = run["id"].as_str().unwrap().to_owned();
    until_leads(&app, &admin, &id, 500).await;
    let body = app.graphql_as(&admin, CANCEL, json!({ "id": id })).await;
    assert_eq!(data(body)["cancelPipeline"]["cancelRequested"], true);
    let ended = app.wait_run(&admin, &id).await;
    assert_eq!(ended["status"], "CANCELLED", "{ended}");
    let done = ended["progress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["stream"] == "leads")
        .map(|p| p["done"].as_u64().unwrap())
        .unwrap();
    assert!((500..4_000).contains(&done), "it stopped early: {done}");
    let status = app.pipeline_status(&admin).await;
    assert_eq!(status["lastSuccess"]["id"], first["id"]);
    assert_eq!(status["counts"]["leads"], 4_000);
    assert_eq!(three_leads(&app, &admin, ids).await, served);
    let number = run["number"].as_i64().unwrap();
    assert_eq!(versions_of_run(&app, number).await, 0, "discarded");
}
