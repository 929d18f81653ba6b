//! The pipeline's REST face, kept for the integrations written against the
//! system we replace: `GET /force_start_pipeline` starts a run, and
//! `GET /api/status` answers the public-safe summary with no auth.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::api;
use super::extract::{Caller, Params};
use super::{HttpState, json_status};
use crate::auth::RoleGuard;
use crate::error::AppError;
use crate::pipeline::webhooks::Received;
use crate::pipeline::{Mode, PipelineService, Trigger};
use crate::state::AppState;
use crate::upstream::calendly::signature;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/force_start_pipeline", get(force_start))
        .route("/api/status", get(status))
        .route("/webhooks/calendly", post(calendly_webhook))
}

fn service(app: &AppState) -> Result<&PipelineService, AppError> {
    app.pipeline
        .as_deref()
        .ok_or_else(|| AppError::Unavailable("the data hub is not configured".to_owned()))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct StartQuery {
    /// `full` for a full refresh; incremental otherwise.
    mode: Option<String>,
}

/// Starts a pipeline run (`mode=full` for a full refresh).
#[utoipa::path(get, path = "/force_start_pipeline", tag = "pipeline", params(StartQuery),
    responses((status = 202, description = "`{status: scheduled, job_id, message}`"),
              (status = 409, description = "`{status: busy, job_id, message}`: a run is going"),
              api::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn force_start(
    State(app): State<AppState>,
    Caller(who): Caller,
    Params(q): Params<StartQuery>,
) -> Result<Response, AppError> {
    RoleGuard::operator().allows(&who)?;
    let mode = match q.mode.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("incremental") => Mode::Incremental,
        Some("full") => Mode::Full,
        Some(other) => {
            return Err(AppError::bad_request(format!(
                "mode must be full or incremental, not {other:?}"
            )));
        }
    };
    let started = service(&app)?.start(Trigger::Manual, mode, None).await?;
    let id = started.run.id.to_string();
    Ok(if started.started {
        json_status(
            StatusCode::ACCEPTED,
            json!({
                "status": "scheduled",
                "job_id": id,
                "message": format!("pipeline run {} started ({})", started.run.number, started.run.mode.to_lowercase()),
            }),
        )
    } else {
        json_status(
            StatusCode::CONFLICT,
            json!({
                "status": "busy",
                "message": "a pipeline run is already going",
                "job_id": id,
            }),
        )
    })
}

/// The public-safe summary: last success, the run going, counts, freshness.
#[utoipa::path(get, path = "/api/status", tag = "pipeline",
    responses((status = 200, description = "`{status, pipeline}`"),
              (status = 503, description = "the data hub is not configured", body = api::openapi::Error)))]
pub async fn status(State(app): State<AppState>) -> Result<Response, AppError> {
    let summary = service(&app)?.summary().await?;
    Ok(json_status(
        StatusCode::OK,
        json!({ "status": "ok", "pipeline": summary }),
    ))
}

/// Calendly's `invitee.created` / `invitee.canceled` deliveries.
#[utoipa::path(post, path = "/webhooks/calendly", tag = "pipeline",
    responses((status = 200, description = "`{status: applied|ignored|duplicate}`"),
              api::openapi::Refused))]
pub async fn calendly_webhook(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let sig = headers.get(signature::HEADER).and_then(|v| v.to_str().ok());
    let received = service(&app)?.receive_calendly(sig, &body).await?;
    let status = match received {
        Received::Applied => "applied",
        Received::Ignored => "ignored",
        Received::Duplicate => "duplicate",
    };
    Ok(json_status(StatusCode::OK, json!({ "status": status })))
}
