//! `POST`/`GET`/`DELETE /webhook_subscriptions`: validation as Calendly
//! does it (required fields, allowed events per scope, 409 on a duplicate
//! URL). Deliveries themselves live in `webhooks`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use serde_json::{Value, json};

use super::api::{Sim, check_org, list_url, param, parse_query, resource, sort_param, user_index};
use super::errors::{ApiError, ApiResult};
use super::model::{WebhookSubscription, time_key};
use super::pagination::{envelope, page_params, paginate};
use super::write;

const WEBHOOK_EVENTS: &[&str] = &[
    "invitee.created",
    "invitee.canceled",
    "routing_form_submission.created",
];

pub(super) async fn create(State(sim): Sim, body: Bytes) -> ApiResult {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::invalid("body", "must be a JSON object"))?;
    let str_field = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let url = str_field("url").ok_or_else(|| ApiError::invalid("url", "is required"))?;
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => return Err(ApiError::invalid("url", "must be a valid http(s) URL")),
    }
    let events: Vec<String> = match body.get("events").and_then(Value::as_array) {
        Some(a) if !a.is_empty() => a
            .iter()
            .map(|e| {
                e.as_str()
                    .filter(|e| WEBHOOK_EVENTS.contains(e))
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::invalid("events", format!("{e} is not a valid event")))
            })
            .collect::<ApiResult<_>>()?,
        _ => return Err(ApiError::invalid("events", "is required")),
    };
    let org = str_field("organization")
        .ok_or_else(|| ApiError::invalid("organization", "is required"))?;
    check_org(&sim, org)?;
    let scope = match str_field("scope") {
        Some(s @ ("organization" | "user")) => s.to_owned(),
        Some(_) => return Err(ApiError::invalid("scope", "must be organization or user")),
        None => return Err(ApiError::invalid("scope", "is required")),
    };
    let user = match (scope.as_str(), str_field("user")) {
        ("user", None) => return Err(ApiError::invalid("user", "is required for user scope")),
        (_, Some(u)) => Some(user_index(&sim, u)?),
        _ => None,
    };
    if scope == "user"
        && events
            .iter()
            .any(|e| e == "routing_form_submission.created")
    {
        return Err(ApiError::invalid(
            "events",
            "routing_form_submission.created requires organization scope",
        ));
    }
    let signing_key = str_field("signing_key").map(str::to_owned);
    let uuid = sim.new_uuid();
    {
        let mut data = write(&sim.data);
        if data.webhooks.iter().any(|w| w.callback_url == url) {
            return Err(ApiError::already_exists(
                "Hook with this url already exists",
            ));
        }
        data.webhooks.push(WebhookSubscription {
            uuid: uuid.clone(),
            callback_url: url.to_owned(),
            events,
            scope,
            user,
            creator: 0,
            signing_key,
            created_at: Utc::now(),
        });
    }
    let v = sim.view(|r, d| {
        d.webhooks
            .iter()
            .find(|w| w.uuid == uuid)
            .map(|w| r.webhook(w))
    });
    Ok((StatusCode::CREATED, Json(json!({ "resource": v }))).into_response())
}

pub(super) async fn list(State(sim): Sim, RawQuery(raw): RawQuery) -> ApiResult {
    let q = parse_query(raw);
    let (count, token) = page_params(&q)?;
    let org = param(&q, "organization")
        .ok_or_else(|| ApiError::invalid("organization", "is required"))?;
    check_org(&sim, org)?;
    let scope = match param(&q, "scope") {
        Some(s @ ("organization" | "user")) => s,
        Some(_) => return Err(ApiError::invalid("scope", "must be organization or user")),
        None => return Err(ApiError::invalid("scope", "is required")),
    };
    let user = match (scope, param(&q, "user")) {
        ("user", None) => return Err(ApiError::invalid("user", "is required for user scope")),
        (_, u) => u.map(|u| user_index(&sim, u)).transpose()?,
    };
    let desc = sort_param(&q, "created_at", false)?;
    let page = sim.view(|r, d| {
        let mut rows: Vec<(String, Value)> = d
            .webhooks
            .iter()
            .filter(|w| w.scope == scope && (user.is_none() || w.user == user))
            .map(|w| (time_key(w.created_at, &w.uuid), r.webhook(w)))
            .collect();
        rows.sort_by(|a, b| if desc { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) });
        paginate(rows, count, token.as_ref(), desc)
    });
    let url = list_url(&sim, "/webhook_subscriptions");
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

pub(super) async fn get_one(State(sim): Sim, Path(uuid): Path<String>) -> ApiResult {
    sim.view(|r, d| {
        d.webhooks
            .iter()
            .find(|w| w.uuid == uuid)
            .map(|w| r.webhook(w))
    })
    .map(resource)
    .ok_or_else(ApiError::not_found)
}

pub(super) async fn delete(State(sim): Sim, Path(uuid): Path<String>) -> ApiResult {
    let mut data = write(&sim.data);
    let before = data.webhooks.len();
    data.webhooks.retain(|w| w.uuid != uuid);
    if data.webhooks.len() == before {
        return Err(ApiError::not_found());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
