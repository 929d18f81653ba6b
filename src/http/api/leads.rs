//! The Monday leads routes of the system we replace, same paths and
//! columns: `/api/combined_csv`, `/api/group_csv/{group}`, `/api/json`, and
//! `/api/export/leads.{csv,json,jsonl,parquet}`. All take `group`,
//! `updated_since` and `search`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use super::download::{self, Identity};
use crate::auth::RoleGuard;
use crate::error::AppError;
use crate::export::format::{self, Format};
use crate::export::leads::LeadQuery;
use crate::export::{ExportError, ExportService};
use crate::http::extract::{Caller, Params};
use crate::http::{HttpState, json_status};
use crate::state::AppState;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/api/combined_csv", get(combined_csv))
        .route("/api/group_csv/{group}", get(group_csv))
        .route("/api/json", get(grouped_json))
        .route("/api/export/{file}", get(export_file))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct LeadParams {
    /// A group title (`won`, `Scheduled`, …) or id, ignoring case.
    group: Option<String>,
    /// Leads updated at or after this time: RFC 3339, or a date (UTC).
    updated_since: Option<String>,
    /// Text in the name, email or company, ignoring case.
    search: Option<String>,
}

impl LeadParams {
    fn query(&self) -> Result<LeadQuery, AppError> {
        let updated_since = self
            .updated_since
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(parse_since)
            .transpose()?;
        let search = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if search.is_some_and(|s| s.chars().count() > 200) {
            return Err(AppError::bad_request(
                "search must be at most 200 characters",
            ));
        }
        Ok(LeadQuery {
            group: self
                .group
                .as_deref()
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned),
            updated_since,
            search: search.map(str::to_owned),
        })
    }

    fn parts(&self, format: Format) -> Vec<String> {
        vec![
            format.extension().to_owned(),
            self.group.clone().unwrap_or_default().trim().to_lowercase(),
            self.updated_since.clone().unwrap_or_default(),
            self.search.clone().unwrap_or_default(),
        ]
    }
}

/// A time filter: RFC 3339, or a date (midnight UTC), in years 1 to 9999
/// (what every database we run on can compare).
pub fn parse_since(v: &str) -> Result<DateTime<Utc>, AppError> {
    use chrono::Datelike;
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            v.parse::<NaiveDate>()
                .ok()
                .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        })
        .filter(|t| (1..=9999).contains(&t.year()))
        .ok_or_else(|| {
            AppError::bad_request(format!(
                "updated_since must be an RFC 3339 time or a YYYY-MM-DD date, not {v:?}"
            ))
        })
}

/// What an answer depends on besides the snapshot: the filters, and the
/// Calendly writes webhooks make between runs (a lead's `origin`).
async fn parts(app: &AppState, p: &LeadParams, format: Format) -> Result<Vec<String>, AppError> {
    let mut parts = p.parts(format);
    let touched = service(app)?.calendly_touched().await?;
    parts.push(touched.map(|t| t.to_rfc3339()).unwrap_or_default());
    Ok(parts)
}

fn service(app: &AppState) -> Result<&ExportService, AppError> {
    app.exports
        .as_deref()
        .ok_or_else(|| AppError::Unavailable("the data hub is not configured".to_owned()))
}

/// An export error as the old routes answered it: an unknown group is a 404
/// that lists the groups there are.
pub fn failed(e: ExportError) -> Result<Response, AppError> {
    match e {
        ExportError::UnknownGroup { group, available } => Ok(json_status(
            StatusCode::NOT_FOUND,
            json!({
                "error": "NOT_FOUND",
                "message": format!("no group {group:?} on the leads board"),
                "available_groups": available,
            }),
        )),
        other => Err(other.into()),
    }
}

async fn table_response(
    app: &AppState,
    headers: &HeaderMap,
    route: &str,
    p: &LeadParams,
    format: Format,
    file: &str,
) -> Result<Response, AppError> {
    let svc = service(app)?;
    let q = p.query()?;
    let snapshot = svc.snapshot().await?;
    let id = Identity {
        route,
        snapshot: &snapshot,
        parts: parts(app, p, format).await?,
    };
    if let Some(r) = download::not_modified(headers, &id) {
        return Ok(r);
    }
    let table = match svc.leads_on(snapshot.clone(), &q).await {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    download::stream(&id, format, Some(file), format::write(table, format)).await
}

/// Every lead as CSV: `Item ID`, `Item Name`, the board's columns, `Group`, `origin`.
#[utoipa::path(get, path = "/api/combined_csv", tag = "monday", params(LeadParams),
    responses((status = 200, description = "CSV", content_type = "text/csv"),
              (status = 304, description = "unchanged since the ETag given"),
              (status = 404, description = "no such group", body = super::openapi::UnknownGroup),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn combined_csv(
    State(app): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    Params(p): Params<LeadParams>,
) -> Result<Response, AppError> {
    RoleGuard::staff().allows(&who)?;
    table_response(&app, &headers, "combined_csv", &p, Format::Csv, "leads").await
}

/// One group's leads as CSV.
#[utoipa::path(get, path = "/api/group_csv/{group}", tag = "monday",
    params(("group" = String, Path, description = "a group title or id", example = "won"), LeadParams),
    responses((status = 200, description = "CSV", content_type = "text/csv"),
              (status = 304, description = "unchanged since the ETag given"),
              (status = 404, description = "no such group", body = super::openapi::UnknownGroup),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn group_csv(
    State(app): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(group): Path<String>,
    Params(mut p): Params<LeadParams>,
) -> Result<Response, AppError> {
    RoleGuard::staff().allows(&who)?;
    let file = format!("leads-{}", slug(&group));
    p.group = Some(group);
    table_response(&app, &headers, "group_csv", &p, Format::Csv, &file).await
}

/// `{<group title>: [rows with the CSV's keys]}`, every group in board order.
#[utoipa::path(get, path = "/api/json", tag = "monday", params(LeadParams),
    responses((status = 200, description = "leads by group"),
              (status = 304, description = "unchanged since the ETag given"),
              (status = 404, description = "no such group", body = super::openapi::UnknownGroup),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn grouped_json(
    State(app): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    Params(p): Params<LeadParams>,
) -> Result<Response, AppError> {
    RoleGuard::staff().allows(&who)?;
    let svc = service(&app)?;
    let q = p.query()?;
    let snapshot = svc.snapshot().await?;
    let id = Identity {
        route: "json",
        snapshot: &snapshot,
        parts: parts(&app, &p, Format::Json).await?,
    };
    if let Some(r) = download::not_modified(&headers, &id) {
        return Ok(r);
    }
    let (columns, tables) = match svc.leads_by_group(&snapshot, &q).await {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    download::stream(
        &id,
        Format::Json,
        None,
        format::json_object(columns, tables),
    )
    .await
}

/// Every lead as a file: `leads.parquet` (typed), `leads.jsonl`, `leads.csv`
/// or `leads.json`.
#[utoipa::path(get, path = "/api/export/{file}", tag = "monday",
    params(("file" = super::openapi::LeadFile, Path, description = "which file"), LeadParams),
    responses((status = 200, description = "the file"),
              (status = 304, description = "unchanged since the ETag given"),
              (status = 404, description = "no such file or group", body = super::openapi::Error),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn export_file(
    State(app): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(file): Path<String>,
    Params(p): Params<LeadParams>,
) -> Result<Response, AppError> {
    RoleGuard::staff().allows(&who)?;
    let format = match file.as_str() {
        "leads.parquet" => Format::Parquet,
        "leads.jsonl" => Format::Jsonl,
        "leads.csv" => Format::Csv,
        "leads.json" => Format::Json,
        _ => {
            return Err(AppError::NotFound(format!(
                "no export {file:?}; there are leads.parquet, leads.jsonl, leads.csv and leads.json"
            )));
        }
    };
    table_response(&app, &headers, "export", &p, format, "leads").await
}

/// A group name fit for a file name.
fn slug(s: &str) -> String {
    let s: String = s
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-');
    if s.is_empty() {
        "group".to_owned()
    } else {
        s.chars().take(40).collect()
    }
}
