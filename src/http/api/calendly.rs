//! The Calendly routes of the system we replace, same paths, answered from
//! our synced data (which the pipeline and the webhooks keep fresh).
//! `?live=true` first runs an incremental refresh, within Calendly's rate
//! limit, and answers once it is in.

use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::download::{self, Identity};
use crate::auth::{Identity as Who, RoleGuard};
use crate::error::AppError;
use crate::export::ExportService;
use crate::export::calendly::{CalendlyQuery, Dataset};
use crate::export::format::{self, Format, Section};
use crate::http::extract::{Caller, Params};
use crate::http::{HttpState, json_status};
use crate::pipeline::data::{EventFilter, InviteeFilter, Snapshot};
use crate::pipeline::{Mode, Trigger};
use crate::state::AppState;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/api/calendly/user-info", get(user_info))
        .route("/api/calendly/organization-members", get(members))
        .route("/api/calendly/events", get(events))
        .route("/api/calendly/invitees", get(invitees))
        .route("/api/calendly/comprehensive", get(comprehensive))
        .route("/api/calendly/export/{dataset}", get(export))
        .route("/api/calendly/session/status", get(session_status))
        .route("/api/calendly/session/csv/{dataset}", get(session_csv))
        .route("/api/calendly/session/{part}", get(session_part))
}

/// How long `?live=true` waits for its refresh before answering from what
/// is there.
const LIVE_WAIT: Duration = Duration::from_secs(120);

#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct CalendlyParams {
    /// Refresh from Calendly first (needs a STANDARD or ADMIN key, or an admin).
    live: Option<bool>,
    /// Invitees of events that start at most this many days ago, or later.
    days_back: Option<u32>,
    /// Events starting at or after (RFC 3339 or YYYY-MM-DD).
    from: Option<String>,
    /// Events starting before (RFC 3339 or YYYY-MM-DD).
    to: Option<String>,
    /// `active` or `canceled`.
    status: Option<String>,
    /// An event type by URI, name or slug.
    event_type: Option<String>,
    /// Invitees with this email, ignoring case.
    email: Option<String>,
}

impl CalendlyParams {
    fn query(&self) -> Result<CalendlyQuery, AppError> {
        let status = match self.status.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s @ ("active" | "canceled")) => Some(s.to_owned()),
            Some(other) => {
                return Err(AppError::bad_request(format!(
                    "status must be active or canceled, not {other:?}"
                )));
            }
        };
        let texts = [&self.email, &self.event_type];
        if texts.iter().any(|t| {
            t.as_deref()
                .is_some_and(|t| t.len() > 320 || t.contains('\0'))
        }) {
            return Err(AppError::bad_request(
                "email and event_type must be at most 320 characters, with no NUL",
            ));
        }
        if self.days_back.is_some_and(|d| d > 36_500) {
            return Err(AppError::bad_request("days_back must be at most 36500"));
        }
        let time = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(super::leads::parse_since)
                .transpose()
        };
        Ok(CalendlyQuery {
            events: EventFilter {
                from: time(&self.from)?,
                to: time(&self.to)?,
                status: status.clone(),
                event_type: self.event_type.clone().filter(|t| !t.trim().is_empty()),
            },
            invitees: InviteeFilter {
                email: self.email.clone(),
                days_back: self.days_back,
                status,
            },
        })
    }

    fn parts(&self) -> Vec<String> {
        [
            &self.from,
            &self.to,
            &self.status,
            &self.event_type,
            &self.email,
        ]
        .iter()
        .map(|v| v.as_deref().unwrap_or_default().to_owned())
        .chain([self.days_back.map(|d| d.to_string()).unwrap_or_default()])
        .collect()
    }
}

fn service(app: &AppState) -> Result<&ExportService, AppError> {
    app.exports
        .as_deref()
        .ok_or_else(|| AppError::Unavailable("the data hub is not configured".to_owned()))
}

/// Checks the caller, and runs the refresh `?live=true` asks for.
async fn prepare(app: &AppState, who: &Who, p: &CalendlyParams) -> Result<(), AppError> {
    RoleGuard::staff().allows(who)?;
    if !p.live.unwrap_or(false) {
        return Ok(());
    }
    RoleGuard::operator().allows(who)?;
    let pipeline = app
        .pipeline
        .as_deref()
        .ok_or_else(|| AppError::Unavailable("the data hub is not configured".to_owned()))?;
    let started = pipeline
        .start(Trigger::Manual, Mode::Incremental, None)
        .await?;
    pipeline.wait(started.run.id, LIVE_WAIT).await?;
    Ok(())
}

/// What identifies a Calendly answer: the snapshot, the webhooks' writes
/// since, the route and its filters.
async fn identity<'a>(
    svc: &ExportService,
    route: &'a str,
    snapshot: &'a Snapshot,
    p: &CalendlyParams,
) -> Result<Identity<'a>, AppError> {
    let touched = svc.calendly_touched().await?;
    let mut parts = p.parts();
    parts.push(touched.map(|t| t.to_rfc3339()).unwrap_or_default());
    Ok(Identity {
        route,
        snapshot,
        parts,
    })
}

/// The user our Calendly token belongs to, in snapshot `s`, its fields in
/// column order.
async fn current_user(svc: &ExportService, s: &Snapshot) -> Result<Box<RawValue>, AppError> {
    let users = svc
        .calendly_on(s.clone(), Dataset::Users, &CalendlyQuery::default())
        .await?;
    format::first_object(users).await?.ok_or_else(|| {
        AppError::NotFound("no Calendly data yet: run the pipeline first".to_owned())
    })
}

fn snapshot_meta(s: &Snapshot) -> Value {
    json!({
        "snapshot_run": s.number,
        "published_at": s.published_at().map(|t| t.to_rfc3339()),
        "generated_at": chrono::Utc::now().to_rfc3339(),
        "source": "snapshot",
    })
}

async fn list(
    app: &AppState,
    headers: &HeaderMap,
    route: &str,
    p: &CalendlyParams,
    set: Dataset,
    key: &str,
) -> Result<Response, AppError> {
    let svc = service(app)?;
    let q = p.query()?;
    let snapshot = svc.snapshot().await?;
    let id = identity(svc, route, &snapshot, p).await?;
    if let Some(r) = download::not_modified(headers, &id) {
        return Ok(r);
    }
    let table = svc.calendly_on(snapshot.clone(), set, &q).await?;
    let mut head = Map::new();
    head.insert("metadata".into(), snapshot_meta(&snapshot));
    if let Some(d) = p.days_back {
        head.insert("days_back".into(), d.into());
    }
    let body = format::json_document(
        &head,
        vec![Section {
            key: key.to_owned(),
            columns: table.columns,
            pages: table.pages,
        }],
    );
    download::stream(&id, Format::Json, None, body).await
}

/// The Calendly user our token belongs to.
#[utoipa::path(get, path = "/api/calendly/user-info", tag = "calendly", params(CalendlyParams),
    responses((status = 200, description = "the user"),
              (status = 404, description = "no Calendly data yet", body = super::openapi::Error),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn user_info(
    State(app): State<AppState>,
    Caller(who): Caller,
    Params(p): Params<CalendlyParams>,
) -> Result<Response, AppError> {
    prepare(&app, &who, &p).await?;
    let svc = service(&app)?;
    let user = current_user(svc, &svc.snapshot().await?).await?;
    Ok(json_status(StatusCode::OK, user))
}

/// The organization's members.
#[utoipa::path(get, path = "/api/calendly/organization-members", tag = "calendly", params(CalendlyParams),
    responses((status = 200, description = "`{members, count, metadata}`"),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn members(
    State(app): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    Params(p): Params<CalendlyParams>,
) -> Result<Response, AppError> {
    prepare(&app, &who, &p).await?;
    list(&app, &headers, "members", &p, Dataset::Members, "members").await
}

/// Scheduled events, past and future, active and canceled.
#[utoipa::path(get, path = "/api/calendly/events", tag = "calendly", params(CalendlyParams),
    responses((status = 200, description = "`{events, count, metadata}`"),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn events(
    State(app): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    Params(p): Params<CalendlyParams>,
) -> Result<Response, AppError> {
    prepare(&app, &who, &p).await?;
    list(&app, &headers, "events", &p, Dataset::Events, "events").await
}

/// Every invitee of every event (`days_back` limits to recent events).
#[utoipa::path(get, path = "/api/calendly/invitees", tag = "calendly", params(CalendlyParams),
    responses((status = 200, description = "`{invitees, count, days_back, metadata}`"),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn invitees(
    State(app): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    Params(p): Params<CalendlyParams>,
) -> Result<Response, AppError> {
    prepare(&app, &who, &p).await?;
    list(
        &app,
        &headers,
        "invitees",
        &p,
        Dataset::Invitees,
        "invitees",
    )
    .await
}

async fn summary(svc: &ExportService, s: &Snapshot) -> Result<Value, AppError> {
    let c = svc.counts(s).await?;
    Ok(json!({
        "users_count": c.calendly_users,
        "members_count": c.calendly_memberships,
        "event_types_count": c.calendly_event_types,
        "total_events": c.calendly_events,
        "total_invitees": c.calendly_invitees,
    }))
}

/// Everything in one answer: the user, the summary, members, event types,
/// events and invitees.
#[utoipa::path(get, path = "/api/calendly/comprehensive", tag = "calendly", params(CalendlyParams),
    responses((status = 200, description = "`{user_info, user_data, summary, metadata, organization_members, event_types, events, invitees}`"),
              (status = 404, description = "no Calendly data yet", body = super::openapi::Error),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn comprehensive(
    State(app): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    Params(p): Params<CalendlyParams>,
) -> Result<Response, AppError> {
    prepare(&app, &who, &p).await?;
    let svc = service(&app)?;
    let q = p.query()?;
    let snapshot = svc.snapshot().await?;
    let id = identity(svc, "comprehensive", &snapshot, &p).await?;
    if let Some(r) = download::not_modified(&headers, &id) {
        return Ok(r);
    }
    let mut sections = Vec::new();
    for (set, key) in [
        (Dataset::Members, "organization_members"),
        (Dataset::EventTypes, "event_types"),
        (Dataset::Events, "events"),
        (Dataset::Invitees, "invitees"),
    ] {
        let t = svc.calendly_on(snapshot.clone(), set, &q).await?;
        sections.push(Section {
            key: key.to_owned(),
            columns: t.columns,
            pages: t.pages,
        });
    }
    let user = current_user(svc, &snapshot).await?;
    /// What old scripts read first; a struct keeps this order.
    #[derive(serde::Serialize)]
    struct Head<'a> {
        user_info: &'a RawValue,
        user_data: &'a RawValue,
        summary: Value,
        metadata: Value,
    }
    let head = Head {
        user_info: &user,
        user_data: &user,
        summary: summary(svc, &snapshot).await?,
        metadata: snapshot_meta(&snapshot),
    };
    let body = format::json_document(&head, sections);
    download::stream(&id, Format::Json, None, body).await
}

fn dataset(name: &str) -> Result<Dataset, AppError> {
    match Dataset::parse(name) {
        Some(d @ (Dataset::Members | Dataset::Events | Dataset::Invitees)) => Ok(d),
        _ => Err(AppError::NotFound(format!(
            "no dataset {name:?}; there are members, events and invitees"
        ))),
    }
}

async fn download_table(
    app: &AppState,
    headers: &HeaderMap,
    route: &str,
    p: &CalendlyParams,
    set: Dataset,
    format: Format,
) -> Result<Response, AppError> {
    let svc = service(app)?;
    let q = p.query()?;
    let snapshot = svc.snapshot().await?;
    let mut id = identity(svc, route, &snapshot, p).await?;
    id.parts.push(format.extension().to_owned());
    if let Some(r) = download::not_modified(headers, &id) {
        return Ok(r);
    }
    let table = svc.calendly_on(snapshot.clone(), set, &q).await?;
    let file = table.name.clone();
    download::stream(&id, format, Some(&file), format::write(table, format)).await
}

/// A dataset as a file: CSV, or Parquet with a `.parquet` suffix.
#[utoipa::path(get, path = "/api/calendly/export/{dataset}", tag = "calendly",
    params(("dataset" = super::openapi::CalendlyFile, Path, description = "which dataset, as CSV or Parquet"), CalendlyParams),
    responses((status = 200, description = "the file"),
              (status = 304, description = "unchanged since the ETag given"),
              (status = 404, description = "no such dataset", body = super::openapi::Error),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn export(
    State(app): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
    Params(p): Params<CalendlyParams>,
) -> Result<Response, AppError> {
    prepare(&app, &who, &p).await?;
    let (set, format) = match name.strip_suffix(".parquet") {
        Some(n) => (dataset(n)?, Format::Parquet),
        None => (
            dataset(name.strip_suffix(".csv").unwrap_or(&name))?,
            Format::Csv,
        ),
    };
    download_table(&app, &headers, "export", &p, set, format).await
}

/// Whether there is a snapshot, from which run, and its counts.
#[utoipa::path(get, path = "/api/calendly/session/status", tag = "calendly",
    responses((status = 200, description = "`{has_data, snapshot_run, published_at, summary}`"),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn session_status(
    State(app): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, AppError> {
    RoleGuard::staff().allows(&who)?;
    let svc = service(&app)?;
    let s = svc.snapshot().await?;
    Ok(json_status(
        StatusCode::OK,
        json!({
            "has_data": s.run.is_some(),
            "snapshot_run": s.number,
            "published_at": s.published_at().map(|t| t.to_rfc3339()),
            "summary": summary(svc, &s).await?,
        }),
    ))
}

/// The last snapshot's `user`, `members`, `events`, `invitees` or `summary`.
#[utoipa::path(get, path = "/api/calendly/session/{part}", tag = "calendly",
    params(("part" = super::openapi::SessionPart, Path, description = "which part")),
    responses((status = 200, description = "that part"),
              (status = 404, description = "no such part", body = super::openapi::Error),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn session_part(
    State(app): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(part): Path<String>,
) -> Result<Response, AppError> {
    RoleGuard::staff().allows(&who)?;
    let p = CalendlyParams::default();
    match part.as_str() {
        "user" => {
            let svc = service(&app)?;
            let user = current_user(svc, &svc.snapshot().await?).await?;
            Ok(json_status(StatusCode::OK, user))
        }
        "summary" => {
            let svc = service(&app)?;
            let s = svc.snapshot().await?;
            Ok(json_status(StatusCode::OK, summary(svc, &s).await?))
        }
        "members" => {
            list(
                &app,
                &headers,
                "session-members",
                &p,
                Dataset::Members,
                "members",
            )
            .await
        }
        "events" => {
            list(
                &app,
                &headers,
                "session-events",
                &p,
                Dataset::Events,
                "events",
            )
            .await
        }
        "invitees" => {
            list(
                &app,
                &headers,
                "session-invitees",
                &p,
                Dataset::Invitees,
                "invitees",
            )
            .await
        }
        other => Err(AppError::NotFound(format!(
            "no session part {other:?}; there are user, members, events, invitees and summary"
        ))),
    }
}

/// The last snapshot's members, events or invitees as CSV.
#[utoipa::path(get, path = "/api/calendly/session/csv/{dataset}", tag = "calendly",
    params(("dataset" = super::openapi::CalendlyDataset, Path, description = "which dataset")),
    responses((status = 200, description = "CSV", content_type = "text/csv"),
              (status = 404, description = "no such dataset", body = super::openapi::Error),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn session_csv(
    State(app): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    RoleGuard::staff().allows(&who)?;
    let set = dataset(&name)?;
    download_table(
        &app,
        &headers,
        "session-csv",
        &CalendlyParams::default(),
        set,
        Format::Csv,
    )
    .await
}
