//! `POST /webhooks/monday`: Monday tells us a ticket changed. Answers the
//! challenge handshake, checks the signature when a signing secret is set,
//! ignores other boards, and hands the event to the ticket service, which
//! applies each delivery once.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::state::AppState;
use crate::tickets::webhooks::Applied;

pub async fn monday(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match handle(&app, &headers, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(app: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Response, AppError> {
    let payload: Value =
        serde_json::from_slice(body).map_err(|_| AppError::bad_request("the body is not JSON"))?;
    if let Some(challenge) = payload.get("challenge").and_then(Value::as_str) {
        return Ok(Json(json!({ "challenge": challenge })).into_response());
    }
    verify_signature(app, headers)?;
    let event = payload
        .get("event")
        .filter(|e| e.is_object())
        .ok_or_else(|| AppError::bad_request("expected {\"event\": {…}} or {\"challenge\": …}"))?;
    if event.get("type").and_then(Value::as_str).is_none() {
        return Err(AppError::bad_request("event.type is missing"));
    }
    let Some(tickets) = app.tickets.clone() else {
        return Ok(status("ignored"));
    };
    match tickets.receive_webhook(event.clone()).await {
        Ok(Applied::Ignored) => Ok(status("ignored")),
        Ok(Applied::Duplicate) => Ok(status("duplicate")),
        Ok(Applied::Applied) => Ok(status("applied")),
        Err(e) => {
            // Monday retries failed deliveries; tell it to.
            tracing::warn!(error = %e, "webhook could not be applied now");
            Err(AppError::Unavailable(
                "cannot apply the event right now; retry later".to_owned(),
            ))
        }
    }
}

fn status(s: &'static str) -> Response {
    (StatusCode::OK, Json(json!({ "status": s }))).into_response()
}

/// Monday signs deliveries for app tokens with a JWT in `Authorization`,
/// whose audience is our endpoint URL.
fn verify_signature(app: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    let Some(secret) = &app.config.monday.signing_secret else {
        return Ok(());
    };
    let bad =
        || AppError::Unauthenticated("the webhook signature is missing or invalid".to_owned());
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(bad)?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[app.config.server.webhook_url("monday")]);
    validation.set_required_spec_claims(&["exp", "aud"]);
    jsonwebtoken::decode::<Value>(
        token,
        &DecodingKey::from_secret(secret.expose_secret().as_bytes()),
        &validation,
    )
    .map(drop)
    .map_err(|e| {
        tracing::warn!(error = %e, "monday webhook signature rejected");
        bad()
    })
}
