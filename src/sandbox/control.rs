//! The control API under `/_sandbox`: what tests and demos do "from the other
//! side" of the integration. Staff edit a ticket on the Monday board, a lead
//! books or cancels a Calendly meeting, an upstream degrades; and anyone can
//! read back what our server wrote. JSON in and out; errors are
//! `{"error":{"code","message"}}` like the rest of our REST surface. The
//! Monday routes are in `monday`.

mod monday;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::calendly::{Booking, CalendlySim};
use super::faults::{FaultConfig, Faults, Upstream};
use super::monday::MondaySim;

/// Where the sandbox answers and with which credentials.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Info {
    pub base_url: String,
    pub monday_url: String,
    pub calendly_url: String,
    pub monday_token: String,
    pub calendly_token: String,
    pub tickets_board_id: u64,
    pub leads_board_id: u64,
    pub seed: u64,
}

/// What the control handlers act on (shared with the handle).
#[derive(Clone)]
pub struct Parts {
    pub monday: Arc<MondaySim>,
    pub calendly: Arc<CalendlySim>,
    pub faults: Arc<Faults>,
    pub info: Info,
}

pub fn router(parts: Parts) -> Router {
    Router::new()
        .route("/", get(info))
        .route("/faults", get(get_faults).delete(reset_faults))
        .route(
            "/faults/{upstream}",
            get(get_fault).put(put_fault).patch(patch_fault),
        )
        .merge(monday::routes())
        .route("/calendly/rate_limit", put(calendly_rate_limit))
        .route("/calendly/bookings", post(book))
        .route(
            "/calendly/scheduled_events/{event}/cancel",
            post(cancel_event),
        )
        .route(
            "/calendly/scheduled_events/{event}/invitees/{invitee}/cancel",
            post(cancel_invitee),
        )
        .fallback(|| async { err(StatusCode::NOT_FOUND, "NOT_FOUND", "no such control route") })
        .with_state(parts)
}

type S = State<Parts>;

/// A refused control request: `{"error":{"code","message"}}`.
#[derive(Debug)]
pub struct Fail {
    status: StatusCode,
    code: String,
    message: String,
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}

type R = Result<Response, Fail>;

fn err(status: StatusCode, code: &str, message: impl std::fmt::Display) -> Fail {
    Fail {
        status,
        code: code.to_owned(),
        message: message.to_string(),
    }
}

fn bad_request(message: impl std::fmt::Display) -> Fail {
    err(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

/// Parses a JSON body (empty counts as `{}`) into `T`, or a 400.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Fail> {
    let raw: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(raw).map_err(|e| bad_request(format!("invalid JSON body: {e}")))
}

fn upstream(name: &str) -> Result<Upstream, Fail> {
    match name {
        "monday" => Ok(Upstream::Monday),
        "calendly" => Ok(Upstream::Calendly),
        other => Err(err(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no upstream {other:?}: use monday or calendly"),
        )),
    }
}

async fn info(State(p): S) -> Json<Info> {
    Json(p.info)
}

async fn get_faults(State(p): S) -> Json<Value> {
    Json(json!({
        "monday": p.faults.get(Upstream::Monday),
        "calendly": p.faults.get(Upstream::Calendly),
    }))
}

async fn reset_faults(State(p): S) -> Json<Value> {
    p.faults.reset();
    get_faults(State(p)).await
}

async fn get_fault(State(p): S, Path(name): Path<String>) -> R {
    Ok(Json(p.faults.get(upstream(&name)?)).into_response())
}

/// Replaces an upstream's faults; omitted fields take their defaults.
async fn put_fault(State(p): S, Path(name): Path<String>, bytes: Bytes) -> R {
    let u = upstream(&name)?;
    let cfg: FaultConfig = body(&bytes)?;
    cfg.validate().map_err(bad_request)?;
    p.faults.set(u, cfg.clone());
    Ok(Json(cfg).into_response())
}

/// Changes only the fields given.
async fn patch_fault(State(p): S, Path(name): Path<String>, bytes: Bytes) -> R {
    let u = upstream(&name)?;
    let patch: serde_json::Map<String, Value> = body(&bytes)?;
    let mut current = serde_json::to_value(p.faults.get(u)).unwrap_or_default();
    if let Some(obj) = current.as_object_mut() {
        obj.extend(patch);
    }
    let cfg: FaultConfig = serde_json::from_value(current).map_err(bad_request)?;
    cfg.validate().map_err(bad_request)?;
    p.faults.set(u, cfg.clone());
    Ok(Json(cfg).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PerMinute {
    per_minute: u64,
}

async fn calendly_rate_limit(State(p): S, bytes: Bytes) -> R {
    let v: PerMinute = body(&bytes)?;
    let n = u32::try_from(v.per_minute).unwrap_or(u32::MAX);
    p.calendly.set_rate_limit(n);
    Ok(Json(json!({ "per_minute": n })).into_response())
}

fn calendly_error(e: super::calendly::errors::ApiError) -> Fail {
    let code = match e.status {
        StatusCode::NOT_FOUND => "NOT_FOUND",
        _ => "BAD_REQUEST",
    };
    let detail: String = e
        .details
        .iter()
        .map(|(p, m)| format!(" ({p}: {m})"))
        .collect();
    err(e.status, code, format!("{}{detail}", e.message))
}

/// A lead books a meeting: `{email, first_name?, last_name?, event?,
/// event_type?, start_time?}`. Fires `invitee.created`; answers the invitee.
async fn book(State(p): S, bytes: Bytes) -> R {
    let b: Booking = body(&bytes)?;
    let v = p.calendly.book(b).map_err(calendly_error)?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Cancel {
    #[serde(default)]
    reason: Option<String>,
}

/// The invitee cancels. Fires `invitee.canceled`.
async fn cancel_invitee(
    State(p): S,
    Path((event, invitee)): Path<(String, String)>,
    bytes: Bytes,
) -> R {
    let c: Cancel = body(&bytes)?;
    let v = p
        .calendly
        .cancel_invitee(&event, &invitee, c.reason)
        .map_err(calendly_error)?;
    Ok(Json(v).into_response())
}

/// The host cancels the event. Fires `invitee.canceled` per active invitee.
async fn cancel_event(State(p): S, Path(event): Path<String>, bytes: Bytes) -> R {
    let c: Cancel = body(&bytes)?;
    let v = p
        .calendly
        .cancel_event(&event, c.reason)
        .map_err(calendly_error)?;
    Ok(Json(v).into_response())
}
