//! Two replicas on one PostgreSQL database, as production runs them: what
//! one hears (a webhook, a change, a logout, a revocation) reaches the
//! other's clients at once, through LISTEN/NOTIFY, whatever the caches'
//! lifetimes; and rate limits hold across both. On SQLite there is one
//! process and these tests do nothing.

mod events;
mod limits;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with, spawn_replica};
use crate::tickets::{TICKETS, data, portal_vars, wait_wired};

/// A (which the sandbox's webhooks reach) and B, with answers and
/// identities cached for an hour: only invalidation can make B fresh.
/// `extra` adds settings to both.
pub async fn pair(extra: &[(&str, &str)]) -> Option<(TestApp, TestApp)> {
    let a = spawn_app_with(|v| {
        portal_vars(v);
        v.push(("CACHE_RESPONSE_TTL_MS".into(), "3600000".into()));
        v.push(("CACHE_IDENTITY_TTL_MS".into(), "3600000".into()));
        v.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
    })
    .await;
    if !a.db.is_postgres() {
        eprintln!("replicas share PostgreSQL only; set TEST_DATABASE_URL to run this test");
        return None;
    }
    wait_wired(&a).await;
    let b = spawn_replica(&a).await;
    Some((a, b))
}

pub async fn titles(app: &TestApp, token: &str) -> Vec<String> {
    let body = app.graphql_as(token, TICKETS, json!({ "first": 50 })).await;
    data(body)["tickets"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub async fn ready(app: &TestApp) -> (u16, Value) {
    let res = app.get("/ready").await;
    let status = res.status().as_u16();
    (status, res.json().await.expect("ready JSON"))
}
