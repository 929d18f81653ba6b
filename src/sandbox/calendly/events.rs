//! `GET /scheduled_events` (with its user/organization access rules,
//! filters and sort), one event, and an event's invitees: the data the hub
//! pulls, paged with keyset tokens so bookings made meanwhile do not shift it.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;
use serde_json::Value;

use super::api::{
    Sim, check_org, list_url, param, parse_query, resource, sort_param, status_param, time_param,
    user_index,
};
use super::errors::{ApiError, ApiResult};
use super::model::{Event, time_key};
use super::pagination::{envelope, page_params, paginate, paginate_by};

pub(super) async fn list(State(sim): Sim, RawQuery(raw): RawQuery) -> ApiResult {
    let q = parse_query(raw);
    let (count, token) = page_params(&q)?;
    let org = param(&q, "organization");
    let user = param(&q, "user");
    match (org, user) {
        (None, None) => {
            return Err(ApiError::invalid(
                "user",
                "one of user or organization is required",
            ));
        }
        (Some(o), _) => check_org(&sim, o)?,
        (None, Some(_)) => {}
    }
    let host = user.map(|u| user_index(&sim, u)).transpose()?;
    if org.is_none() && host != Some(0) {
        return Err(ApiError::permission_denied(
            "Please also specify organization when requesting events for a user within your organization.",
        ));
    }
    let status = status_param(&q)?;
    let min = time_param(&q, "min_start_time")?;
    let max = time_param(&q, "max_start_time")?;
    let email = param(&q, "invitee_email").map(str::to_lowercase);
    let desc = sort_param(&q, "start_time", false)?;
    let page = sim.view(|r, d| {
        let mut rows: Vec<&Event> = d
            .events
            .iter()
            .filter(|e| {
                host.is_none_or(|h| h == e.host)
                    && status.is_none_or(|s| s == e.active())
                    && min.is_none_or(|m| e.start >= m)
                    && max.is_none_or(|m| e.start < m)
                    && email
                        .as_ref()
                        .is_none_or(|m| e.invitees.iter().any(|i| i.email.eq_ignore_ascii_case(m)))
            })
            .collect();
        // Same order as `time_key`, without building a key per row.
        rows.sort_unstable_by(|a, b| {
            let o = (a.start, &a.uuid).cmp(&(b.start, &b.uuid));
            if desc { o.reverse() } else { o }
        });
        let key = |e: &&Event| time_key(e.start, &e.uuid);
        let page = paginate_by(rows, key, count, token.as_ref(), desc);
        let rendered: Vec<Value> = page.rows.iter().map(|e| r.event(e)).collect();
        (rendered, page.next, page.previous)
    });
    let url = list_url(&sim, "/scheduled_events");
    Ok(Json(envelope(page.0, page.1, page.2, count, &url, &q)).into_response())
}

pub(super) async fn get_one(State(sim): Sim, Path(uuid): Path<String>) -> ApiResult {
    sim.view(|r, d| d.event_index.get(&uuid).map(|&i| r.event(&d.events[i])))
        .map(resource)
        .ok_or_else(ApiError::not_found)
}

pub(super) async fn invitees(
    State(sim): Sim,
    Path(uuid): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let q = parse_query(raw);
    let (count, token) = page_params(&q)?;
    let status = status_param(&q)?;
    let email = param(&q, "email").map(str::to_lowercase);
    let desc = sort_param(&q, "created_at", false)?;
    let page = sim
        .view(|r, d| {
            let e = &d.events[*d.event_index.get(&uuid)?];
            let mut rows: Vec<(String, Value)> = e
                .invitees
                .iter()
                .filter(|i| {
                    status.is_none_or(|s| s == i.cancellation.is_none())
                        && email.as_ref().is_none_or(|m| i.email.to_lowercase() == *m)
                })
                .map(|i| (time_key(i.created_at, &i.uuid), r.invitee(e, i)))
                .collect();
            rows.sort_by(|a, b| if desc { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) });
            Some(paginate(rows, count, token.as_ref(), desc))
        })
        .ok_or_else(ApiError::not_found)?;
    let url = list_url(&sim, &format!("/scheduled_events/{uuid}/invitees"));
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

pub(super) async fn invitee(
    State(sim): Sim,
    Path((event, invitee)): Path<(String, String)>,
) -> ApiResult {
    sim.view(|r, d| {
        let e = &d.events[*d.event_index.get(&event)?];
        let i = e.invitees.iter().find(|i| i.uuid == invitee)?;
        Some(r.invitee(e, i))
    })
    .map(resource)
    .ok_or_else(ApiError::not_found)
}
