//! The data hub pipeline end to end: runs against the sandbox's leads board
//! and Calendly organization, on the database under test, driven through
//! the GraphQL API as staff drive it.

mod extraction;

use std::time::Duration;

use serde_json::{Value, json};

pub use crate::helpers::code;
use crate::helpers::{TestApp, data, spawn_app_with, with_admin};

pub const START: &str =
    "mutation($mode: PipelineMode!) { startPipeline(mode: $mode) { id number status mode } }";
pub const RUN: &str = "query($id: ID!) { pipelineRun(id: $id) { id number status mode trigger error stats { stream fetched inserted updated deleted } progress { stream done total } } }";
pub const STATUS: &str = "{ pipelineStatus { lastSuccess { id number } running { id } counts { leads leadGroups { id title count } calendlyUsers calendlyMemberships calendlyEventTypes calendlyEvents calendlyInvitees } freshness { stale ageSeconds } } }";

/// An app whose sandbox has `leads` leads and `events` Calendly events.
pub async fn pipeline_app(leads: usize, events: usize, extra: &[(&str, &str)]) -> TestApp {
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    spawn_app_with(|v| {
        with_admin(v);
        v.push(("SANDBOX_LEADS".into(), leads.to_string()));
        v.push(("SANDBOX_EVENTS".into(), events.to_string()));
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
