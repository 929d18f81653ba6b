//! The data hub pipeline end to end: runs against the sandbox's leads board
//! and Calendly organization, on the database under test, driven through
//! the GraphQL API as staff drive it.

mod concurrency;
mod extraction;
mod faults;
mod handoff;
mod incremental;
mod join;
mod live;
mod rest;
mod webhooks;

use std::time::Duration;

use serde_json::{Value, json};

pub use crate::helpers::code;
use bridgeboard::sandbox::{SandboxHandle, SandboxOptions};

use crate::helpers::{TestApp, data, spawn_app_with, spawn_sandbox, with_admin};

pub const START: &str =
    "mutation($mode: PipelineMode!) { startPipeline(mode: $mode) { id number status mode } }";
pub const RUN: &str = "query($id: ID!) { pipelineRun(id: $id) { id number status mode trigger error stats { stream fetched inserted updated deleted } progress { stream done total } } }";
pub const STATUS: &str = "{ pipelineStatus { lastSuccess { id number } running { id } counts { leads leadGroups { id title count } calendlyUsers calendlyMemberships calendlyEventTypes calendlyEvents calendlyInvitees } freshness { stale ageSeconds } } }";

/// A standalone sandbox with `leads` leads and `events` Calendly events, as
/// a deployment's upstreams: nothing registers webhooks on it unasked.
pub async fn pipeline_sandbox(
    leads: usize,
    events: usize,
    customize: impl FnOnce(&mut SandboxOptions),
) -> SandboxHandle {
    spawn_sandbox(|o| {
        o.leads = leads;
        o.events = events;
        o.users = 2;
        customize(o);
    })
    .await
}

/// Points an app at a sandbox, as a real deployment points at Monday and
/// Calendly.
pub fn upstream_vars(sandbox: &SandboxHandle, v: &mut Vec<(String, String)>) {
    for (k, val) in [
        ("MONDAY_API_URL", sandbox.monday_url().to_owned()),
        ("MONDAY_API_TOKEN", sandbox.monday_token().to_owned()),
        (
            "MONDAY_LEADS_BOARD_ID",
            sandbox.leads_board_id().to_string(),
        ),
        ("CALENDLY_API_URL", sandbox.calendly_url().to_owned()),
        ("CALENDLY_ACCESS_TOKEN", sandbox.calendly_token().to_owned()),
        ("MONDAY_MAX_ATTEMPTS", "2".to_owned()),
        ("MONDAY_TIMEOUT_MS", "3000".to_owned()),
    ] {
        v.push((k.to_owned(), val));
    }
}

/// An app on `sandbox`, with the bootstrap admin; `extra` adds variables.
pub async fn pipeline_app(sandbox: &SandboxHandle, extra: &[(&str, &str)]) -> TestApp {
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    spawn_app_with(|v| {
        with_admin(v);
        upstream_vars(sandbox, v);
        v.extend(extra);
    })
    .await
}

impl TestApp {
    /// Starts a run as `token`; the run as the mutation answered it.
    pub async fn start_pipeline(&self, token: &str, mode: &str) -> Value {
        let body = self.graphql_as(token, START, json!({ "mode": mode })).await;
        data(body)["startPipeline"].clone()
    }

    pub async fn pipeline_run(&self, token: &str, id: &str) -> Value {
        data(self.graphql_as(token, RUN, json!({ "id": id })).await)["pipelineRun"].clone()
    }

    /// Waits for the run to end; fails the test after two minutes.
    pub async fn wait_run(&self, token: &str, id: &str) -> Value {
        for _ in 0..1200 {
            let run = self.pipeline_run(token, id).await;
            if run["status"] != "RUNNING" {
                return run;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("pipeline run {id} did not end");
    }

    /// Starts a run and waits for it; the ended run.
    pub async fn run_pipeline(&self, token: &str, mode: &str) -> Value {
        let run = self.start_pipeline(token, mode).await;
        let id = run["id"].as_str().expect("run id").to_owned();
        self.wait_run(token, &id).await
    }

    pub async fn pipeline_status(&self, token: &str) -> Value {
        data(self.graphql_as(token, STATUS, json!({})).await)["pipelineStatus"].clone()
    }
}

/// The stats of one stream of a run.
pub fn stats<'a>(run: &'a Value, stream: &str) -> &'a Value {
    run["stats"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["stream"] == stream))
        .unwrap_or(&Value::Null)
}

pub fn assert_succeeded(run: &Value) {
    assert_eq!(run["status"], "SUCCEEDED", "{run}");
    assert!(run["error"].is_null(), "{run}");
}

const SNAPSHOT_TABLES: [&str; 8] = [
    "leads",
    "lead_columns",
    "lead_groups",
    "calendly_users",
    "calendly_memberships",
    "calendly_event_types",
    "calendly_events",
    "calendly_invitees",
];

/// How many stored versions the run numbered `number` opened or closed,
/// read straight from the tables: a run that did not publish must leave
/// none behind.
pub async fn versions_of_run(app: &TestApp, number: i64) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.db.connect().await;
    let mut total = 0;
    for table in SNAPSHOT_TABLES {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE valid_from = {number} OR valid_to = {number}"
        );
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .expect("count versions")
            .expect("a count row");
        total += row.try_get::<i64>("", "n").expect("count");
    }
    // And the Monday values written beside the run's lead versions.
    let sql = format!("SELECT COUNT(*) AS n FROM lead_values WHERE valid_from = {number}");
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count values")
        .expect("a count row");
    total + row.try_get::<i64>("", "n").expect("count")
}

/// One published lead as staff read it: its name and group title.
pub async fn lead(app: &TestApp, token: &str, item_id: u64) -> Value {
    const LEAD: &str = "query($id: ID!) { lead(id: $id) { id name group { title } } }";
    data(
        app.graphql_as(token, LEAD, json!({ "id": item_id.to_string() }))
            .await,
    )["lead"]
        .clone()
}

/// Lead values with no lead version, and lead versions with no values:
/// both must stay zero whatever a run deleted or wrote again.
pub async fn unmatched_lead_values(app: &TestApp) -> (i64, i64) {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.db.connect().await;
    let count = |sql: &str| {
        let stmt = Statement::from_string(db.get_database_backend(), sql.to_owned());
        let db = &db;
        async move {
            let row = db.query_one_raw(stmt).await.expect("count").expect("a row");
            row.try_get_by_index::<i64>(0).expect("count")
        }
    };
    (
        count(
            "SELECT COUNT(*) FROM lead_values v WHERE NOT EXISTS (SELECT 1 FROM leads l \
             WHERE l.item_id = v.item_id AND l.valid_from = v.valid_from)",
        )
        .await,
        count(
            "SELECT COUNT(*) FROM leads l WHERE NOT EXISTS (SELECT 1 FROM lead_values v \
             WHERE v.item_id = l.item_id AND v.valid_from = l.valid_from)",
        )
        .await,
    )
}
