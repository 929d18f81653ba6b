//! Probes for load balancers and orchestrators: `/health` says the process is
//! up; `/ready` says it can serve, which needs the database and, with the
//! support portal on, a first sync of the tickets board (retried with backoff
//! while Monday is down; the body counts the attempts). With several
//! replicas on PostgreSQL it also needs the change stream from the others:
//! while that is reconnecting this replica is not ready, and the body says
//! how many gaps there have been. A server shutting down is not ready
//! either, while it drains.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::state::AppState;

pub async fn health() -> Json<Value> {
    Json(json!({ "status": "healthy", "version": crate::VERSION }))
}

pub async fn ready(State(app): State<AppState>) -> Response {
    let ping = tokio::time::timeout(Duration::from_secs(2), crate::db::ping(&app.db)).await;
    match ping {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: database error");
            return not_ready();
        }
        Err(_) => {
            tracing::warn!("readiness check: database did not answer within 2 s");
            return not_ready();
        }
    }
    let mut body = json!({ "status": "ready", "database": "up" });
    let mut ready = true;
    if app.lifecycle.is_draining() {
        ready = false;
        body["shutdown"] = json!("draining");
    }
    if let Some(t) = &app.tickets {
        ready &= t.is_synced();
        body["tickets_board"] = json!(if t.is_synced() { "synced" } else { "syncing" });
        body["tickets_board_sync_attempts"] = json!(t.sync_attempts());
    }
    let stream = app.changes.status();
    if stream.relayed() {
        ready &= stream.up();
        body["events"] = json!({
            "stream": if stream.up() { "listening" } else { "reconnecting" },
            "gaps": stream.gaps(),
            "heard": stream.heard(),
            "last_lag_ms": stream.last_lag_ms(),
        });
    }
    if ready {
        super::json_status(StatusCode::OK, body)
    } else {
        body["status"] = json!("unavailable");
        super::json_status(StatusCode::SERVICE_UNAVAILABLE, body)
    }
}

fn not_ready() -> Response {
    super::json_status(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({ "status": "unavailable", "database": "down" }),
    )
}
