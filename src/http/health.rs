//! Probes for load balancers and orchestrators: `/health` says the process is
//! up; `/ready` says it can serve, which needs the database.

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
        Ok(Ok(())) => super::json_status(
            StatusCode::OK,
            json!({ "status": "ready", "database": "up" }),
        ),
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
