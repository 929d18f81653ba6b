//! The HTTP surface: routes as on api.calendly.com, the bearer-token check,
//! query validation with Calendly's error shape, and the user, organization,
//! membership and event type endpoints. Handlers never panic on input: every
//! bad value becomes a 4xx body.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::errors::{ApiError, ApiResult};
use super::pagination::{envelope, page_params, paginate};
use super::{CalendlySim, uuid_of};
use super::{events, subscriptions};

pub(super) type Sim = State<Arc<CalendlySim>>;
type Query = Vec<(String, String)>;

pub fn router(sim: Arc<CalendlySim>) -> Router {
    Router::new()
        .route("/users/me", get(me))
        .route("/users/{uuid}", get(user))
        .route("/organizations/{uuid}", get(organization))
        .route("/organization_memberships", get(memberships))
        .route("/organization_memberships/{uuid}", get(membership))
        .route("/event_types", get(event_types))
        .route("/event_types/{uuid}", get(event_type))
        .route("/scheduled_events", get(events::list))
        .route("/scheduled_events/{uuid}", get(events::get_one))
        .route("/scheduled_events/{uuid}/invitees", get(events::invitees))
        .route(
            "/scheduled_events/{event}/invitees/{invitee}",
            get(events::invitee),
        )
        .route(
            "/webhook_subscriptions",
            get(subscriptions::list).post(subscriptions::create),
        )
        .route(
            "/webhook_subscriptions/{uuid}",
            get(subscriptions::get_one).delete(subscriptions::delete),
        )
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::not_found() })
        .layer(middleware::from_fn_with_state(sim.clone(), authenticate))
        .layer(middleware::from_fn_with_state(
            sim.clone(),
            super::rate_limit::limit,
        ))
        .with_state(sim)
}

async fn authenticate(State(sim): Sim, req: Request, next: Next) -> Response {
    let ok = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t.trim() == sim.options.token);
    if !ok {
        return ApiError::unauthenticated().into_response();
    }
    next.run(req).await
}

pub(super) fn parse_query(raw: Option<String>) -> Query {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    })
    .unwrap_or_default()
}

/// A query parameter; empty counts as absent.
pub fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

pub(super) fn bool_param(query: &[(String, String)], name: &str) -> ApiResult<Option<bool>> {
    match param(query, name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid(name, "must be true or false")),
    }
}

pub(super) fn time_param(
    query: &[(String, String)],
    name: &str,
) -> ApiResult<Option<DateTime<Utc>>> {
    param(query, name)
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::invalid(name, "must be an ISO 8601 UTC time"))
        })
        .transpose()
}

/// `sort` as `field[:asc|desc]` with one allowed field; returns `desc`.
pub(super) fn sort_param(
    query: &[(String, String)],
    field: &str,
    default_desc: bool,
) -> ApiResult<bool> {
    let Some(v) = param(query, "sort") else {
        return Ok(default_desc);
    };
    let (f, dir) = v.split_once(':').unwrap_or((v, "asc"));
    match (f == field, dir) {
        (true, "asc") => Ok(false),
        (true, "desc") => Ok(true),
        _ => Err(ApiError::invalid(
            "sort",
            format!("must be {field}:asc or {field}:desc"),
        )),
    }
}

pub(super) fn status_param(query: &[(String, String)]) -> ApiResult<Option<bool>> {
    match param(query, "status") {
        None => Ok(None),
        Some("active") => Ok(Some(true)),
        Some("canceled") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid("status", "must be active or canceled")),
    }
}

/// Checks an `organization` URI names ours.
pub(super) fn check_org(sim: &CalendlySim, org: &str) -> ApiResult<()> {
    if sim.view(|_, d| uuid_of(org) == d.org.uuid) {
        Ok(())
    } else {
        Err(ApiError::permission_denied(
            "You do not have permission to access this resource.",
        ))
    }
}

/// Index of the user a `user` URI names, or 403 as Calendly answers for a
/// user outside the organization.
pub(super) fn user_index(sim: &CalendlySim, user: &str) -> ApiResult<usize> {
    sim.view(|_, d| d.users.iter().position(|u| u.uuid == uuid_of(user)))
        .ok_or_else(|| ApiError::permission_denied("This user is not in your organization"))
}

pub(super) fn resource(v: Value) -> Response {
    Json(json!({ "resource": v })).into_response()
}

pub(super) fn list_url(sim: &CalendlySim, path: &str) -> String {
    format!("{}{path}", sim.base_url())
}

async fn me(State(sim): Sim) -> Response {
    resource(sim.view(|r, _| r.user(0, true)))
}

async fn user(State(sim): Sim, Path(uuid): Path<String>) -> ApiResult {
    let i = sim
        .view(|_, d| d.users.iter().position(|u| u.uuid == uuid))
        .ok_or_else(ApiError::not_found)?;
    Ok(resource(sim.view(|r, _| r.user(i, true))))
}

async fn organization(State(sim): Sim, Path(uuid): Path<String>) -> ApiResult {
    sim.view(|r, d| (d.org.uuid == uuid).then(|| r.organization()))
        .map(resource)
        .ok_or_else(ApiError::not_found)
}

async fn memberships(State(sim): Sim, RawQuery(raw): RawQuery) -> ApiResult {
    let q = parse_query(raw);
    let (count, token) = page_params(&q)?;
    let org = param(&q, "organization");
    let user = param(&q, "user");
    if org.is_none() && user.is_none() {
        return Err(ApiError::invalid(
            "organization",
            "one of organization or user is required",
        ));
    }
    if let Some(o) = org {
        check_org(&sim, o)?;
    }
    let only_user = user.map(|u| user_index(&sim, u)).transpose()?;
    let email = param(&q, "email").map(str::to_lowercase);
    let page = sim.view(|r, d| {
        let rows = d
            .users
            .iter()
            .enumerate()
            .filter(|(i, u)| {
                only_user.is_none_or(|o| o == *i)
                    && email.as_ref().is_none_or(|e| u.email.to_lowercase() == *e)
            })
            // Owner first, then the order people joined in.
            .map(|(i, u)| (format!("{i:08}|{}", u.uuid), r.membership(i)))
            .collect::<Vec<_>>();
        let mut rows = rows;
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        paginate(rows, count, token.as_ref(), false)
    });
    let url = list_url(&sim, "/organization_memberships");
    Ok(Json(envelope(
        page.rows,
        page.next,
        page.previous,
        count,
        &url,
        &q,
    ))
    .into_response())
}

async fn membership(State(sim): Sim, Path(uuid): Path<String>) -> ApiResult {
    sim.view(|r, d| {
        d.users
            .iter()
            .position(|u| u.membership_uuid == uuid)
            .map(|i| r.membership(i))
    })
    .map(resource)
    .ok_or_else(ApiError::not_found)
}

async fn event_types(State(sim): Sim, RawQuery(raw): RawQuery) -> ApiResult {
    let q = parse_query(raw);
    let (count, token) = page_params(&q)?;
    let org = param(&q, "organization");
    let user = param(&q, "user");
    if org.is_none() && user.is_none() {
        return Err(ApiError::invalid(
            "organization",
            "one of organization or user is required",
        ));
    }
    if let Some(o) = org {
        check_org(&sim, o)?;
    }
    let owner = user.map(|u| user_index(&sim, u)).transpose()?;
    let active = bool_param(&q, "active")?;
    let admin_managed = bool_param(&q, "admin_managed")?;
    let desc = sort_param(&q, "name", false)?;
    let page = sim.view(|r, d| {
        let mut rows: Vec<(String, Value)> = d
            .event_types
            .iter()
            .filter(|t| {
                owner.is_none_or(|o| o == t.owner)
                    && active.is_none_or(|a| a == t.active)
                    && admin_managed != Some(true)
            })
            .map(|t| (format!("{}|{}", t.name, t.uuid), r.event_type(t)))
            .collect();
        rows.sort_by(|a, b| if desc { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) });
        paginate(rows, count, token.as_ref(), desc)
    });
    let url = list_url(&sim, "/event_types");
    Ok(Json(envelope(
        page.rows,
        page.next,
        page.previous,
        count,
        &url,
        &q,
    ))
    .into_response())
}

async fn event_type(State(sim): Sim, Path(uuid): Path<String>) -> ApiResult {
    sim.view(|r, d| {
        d.event_types
            .iter()
            .find(|t| t.uuid == uuid)
            .map(|t| r.event_type(t))
    })
    .map(resource)
    .ok_or_else(ApiError::not_found)
}
