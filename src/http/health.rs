//! Probes for load balancers and orchestrators: `/health` says the process is
//! up; `/ready` says it can serve, which needs the database and, with the
//! support portal on, a first sync of the tickets board (retried with backoff
//! while Monday is down; the body counts the attempts).

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
        Ok(Ok(())) => match &app.tickets {
            Some(t) if !t.is_synced() => super::json_status(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({
                    "status": "unavailable",
                    "database": "up",
                    "tickets_board": "syncing",
                    "tickets_board_sync_attempts": t.sync_attempts(),
                }),
            ),
            Some(t) => super::json_status(
                StatusCode::OK,
                json!({
                    "status": "ready",
                    "database": "up",
                    "tickets_board": "synced",
                    "tickets_board_sync_attempts": t.sync_attempts(),
                }),
            ),
            None => super::json_status(
                StatusCode::OK,
                json!({ "status": "ready", "database": "up" }),
            ),
        },
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: database error");
            not_ready()
        }
        Err(_) => {
            tracing::warn!("readiness check: database did not answer within 2 s");
            not_ready()
        }
    }
}

fn not_ready() -> Response {
    super::json_status(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({ "status": "unavailable", "database": "down" }),
    )
}
