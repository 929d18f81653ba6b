//! `POST /webhooks/monday`: Monday tells us a ticket changed. Answers the
//! challenge handshake, checks the signature when a signing secret is set,
//! refuses malformed events (ids included) with 400, ignores other boards,
//! and hands the event to the ticket service, which applies each delivery
//! once. Only a transient failure asks Monday to retry (503).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::state::AppState;
use crate::tickets::webhooks::Applied;
use crate::upstream::Transient;
use crate::upstream::monday::signature;
use crate::upstream::monday::webhook::{self, Delivery};

pub async fn monday(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match handle(&app, &headers, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(app: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Response, AppError> {
    let parsed = webhook::parse(body);
    if let Ok(Delivery::Challenge(challenge)) = &parsed {
        return Ok(Json(json!({ "challenge": challenge })).into_response());
    }
    verify_signature(app, headers)?;
    // Malformed input (ids included) is refused before it reaches Monday,
    // and for good: a retry of the same delivery cannot succeed either.
    let event = match parsed.map_err(|e| AppError::bad_request(e.to_string()))? {
        Delivery::Event(event) => Value::Object(event),
        Delivery::Challenge(_) => return Err(AppError::bad_request("unexpected challenge")),
    };
    let Some(tickets) = app.tickets.clone() else {
        return Ok(status("ignored"));
    };
    match tickets.receive_webhook(event).await {
        Ok(Applied::Ignored) => Ok(status("ignored")),
        Ok(Applied::Duplicate) => Ok(status("duplicate")),
        Ok(Applied::Applied) => Ok(status("applied")),
        Err(e) if e.is_transient() => {
            // Monday retries failed deliveries; tell it to.
            tracing::warn!(error = %e, "webhook could not be applied now");
            Err(AppError::Unavailable(
                "cannot apply the event right now; retry later".to_owned(),
            ))
        }
        Err(e) => {
            // Monday refused what the event asks for, or we cannot apply it:
            // a redelivery would fail the same way, so none is asked for.
            tracing::error!(error = %e, "webhook event cannot be applied");
            Ok(status("rejected"))
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
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    signature::verify(
        header,
        secret.expose_secret().as_bytes(),
        &app.config.server.webhook_url("monday"),
    )
    .map_err(|e| {
        tracing::warn!(error = %e, "monday webhook signature rejected");
        AppError::Unauthenticated("the webhook signature is missing or invalid".to_owned())
    })
}
