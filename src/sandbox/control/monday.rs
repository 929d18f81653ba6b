//! The Monday half of the control API: staff change the boards (and write,
//! edit and delete updates) the way they would in Monday's UI (every change logged and firing its webhooks), limits
//! and cursors are bent, and tests read back items and per-board counters.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Parts, PerMinute, R, S, bad_request, body, err};
use crate::sandbox::monday::SimError;

pub(super) fn routes() -> Router<Parts> {
    Router::new()
        .route("/monday/cursor_ttl", put(cursor_ttl))
        .route("/monday/expire_cursors", post(expire_cursors))
        .route("/monday/complexity_budget", put(complexity_budget))
        .route("/monday/webhooks", get(monday_webhooks))
        .route(
            "/monday/boards/{board}/items",
            get(find_items).post(create_item),
        )
        .route("/monday/boards/{board}/stats", get(stats))
        .route(
            "/monday/boards/{board}/items_served",
            axum::routing::delete(reset_items_served),
        )
        .route(
            "/monday/items/{item}",
            get(read_item).patch(edit_item).delete(delete_item),
        )
        .route("/monday/items/{item}/updates", post(comment_item))
        .route(
            "/monday/updates/{update}",
            axum::routing::patch(edit_update).delete(delete_update),
        )
        .route("/monday/items/{item}/archive", post(archive_item))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Seconds {
    seconds: f64,
}

/// Early cursor expiry: cursors older than this are refused from now on.
async fn cursor_ttl(State(p): S, bytes: Bytes) -> R {
    let v: Seconds = body(&bytes)?;
    if !(v.seconds.is_finite() && (0.0..=1e9).contains(&v.seconds)) {
        return Err(bad_request("seconds must be a non-negative number"));
    }
    p.monday.set_cursor_ttl(Duration::from_secs_f64(v.seconds));
    Ok(Json(json!({ "cursor_ttl_seconds": v.seconds })).into_response())
}

/// Every cursor issued so far expires now; new walks get the normal lifetime.
async fn expire_cursors(State(p): S) -> R {
    let expired = p.monday.expire_cursors();
    Ok(Json(json!({ "expired": expired })).into_response())
}

async fn complexity_budget(State(p): S, bytes: Bytes) -> R {
    let v: PerMinute = body(&bytes)?;
    p.monday.set_complexity_budget(v.per_minute);
    Ok(Json(json!({ "per_minute": v.per_minute })).into_response())
}

async fn monday_webhooks(State(p): S) -> Json<Value> {
    Json(json!({ "webhooks": p.monday.webhooks() }))
}

#[derive(Deserialize)]
struct ColumnQuery {
    column_id: String,
    value: String,
}

/// Ids of a board's items whose column holds `value` (e.g. a ticket by its
/// Ticket ID, or every ticket of one client email).
async fn find_items(
    State(p): S,
    Path(board): Path<u64>,
    Query(q): Query<ColumnQuery>,
) -> Json<Value> {
    let items = p.monday.find_items_by_column(board, &q.column_id, &q.value);
    Json(json!({ "items": items }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewItem {
    name: String,
    group: Option<String>,
    #[serde(default)]
    columns: Map<String, Value>,
}

/// Staff add an item (fires `create_pulse`); answers the item, `id` included.
async fn create_item(State(p): S, Path(board): Path<u64>, bytes: Bytes) -> R {
    let new: NewItem = body(&bytes)?;
    let id = p
        .monday
        .staff_create_item(board, &new.name, new.group.as_deref(), &new.columns)
        .map_err(monday_error)?;
    let item = item_or_404(&p, id)?;
    Ok((StatusCode::CREATED, item).into_response())
}

/// A board's counters: active and archived items, activity log entries, and
/// items served by item reads since start or the last reset.
async fn stats(State(p): S, Path(board): Path<u64>) -> R {
    let v = p.monday.board_stats(board).map_err(monday_error)?;
    Ok(Json(v).into_response())
}

async fn reset_items_served(State(p): S, Path(board): Path<u64>) -> R {
    p.monday.board_stats(board).map_err(monday_error)?;
    p.monday.reset_items_served(board);
    stats(State(p), Path(board)).await
}

fn item_or_404(p: &Parts, item: u64) -> R {
    match p.monday.item_json(item) {
        Some(v) => Ok(Json(v).into_response()),
        None => Err(err(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no item {item}"),
        )),
    }
}

/// What our server wrote (or staff changed): the item as stored.
async fn read_item(State(p): S, Path(item): Path<u64>) -> R {
    item_or_404(&p, item)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Edit {
    status: Option<String>,
    priority: Option<String>,
    name: Option<String>,
    /// A group id or title: the item moves there.
    group: Option<String>,
    /// Column id or title → Monday's column JSON or a plain string.
    columns: Option<Map<String, Value>>,
}

/// Staff edit an item: each given field changes (and is logged and fires its
/// webhook), in the order name, group, status, priority, columns; the first
/// refused one stops the rest. Returns the item.
async fn edit_item(State(p): S, Path(item): Path<u64>, bytes: Bytes) -> R {
    let edit: Edit = body(&bytes)?;
    let m = &p.monday;
    if let Some(name) = &edit.name {
        m.staff_rename(item, name).map_err(monday_error)?;
    }
    if let Some(group) = &edit.group {
        m.staff_move(item, group).map_err(monday_error)?;
    }
    if let Some(label) = &edit.status {
        m.staff_set_status(item, label).map_err(monday_error)?;
    }
    if let Some(label) = &edit.priority {
        m.staff_set_priority(item, label).map_err(monday_error)?;
    }
    if let Some(columns) = &edit.columns {
        m.staff_set_columns(item, columns).map_err(monday_error)?;
    }
    item_or_404(&p, item)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Comment {
    body: String,
    /// Set to reply in the thread of this update.
    #[serde(default)]
    parent_id: Option<u64>,
    /// Files attached to the update, as staff drop them into Monday's editor.
    #[serde(default)]
    files: Vec<File>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    content_type: String,
    /// The content, base64-encoded.
    data: String,
}

/// Staff post an update (a comment) on the item, or a reply in a thread,
/// with any files; answers the update's id and its files' asset ids.
async fn comment_item(State(p): S, Path(item): Path<u64>, bytes: Bytes) -> R {
    use base64::Engine;
    let c: Comment = body(&bytes)?;
    let mut files = Vec::new();
    for f in c.files {
        let data = base64::engine::general_purpose::STANDARD
            .decode(f.data.as_bytes())
            .map_err(|_| bad_request("files[].data must be base64"))?;
        files.push(crate::sandbox::monday::UploadedFile {
            name: f.name,
            content_type: f.content_type,
            bytes: data.into(),
        });
    }
    let (update_id, assets) = p
        .monday
        .staff_comment_with_files(item, c.parent_id, &c.body, files)
        .map_err(monday_error)?;
    let assets: Vec<String> = assets.iter().map(u64::to_string).collect();
    let body = json!({ "item_id": item, "update_id": update_id, "asset_ids": assets });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateEdit {
    body: String,
}

/// Staff rewrite an update (fires `edit_update`).
async fn edit_update(State(p): S, Path(update): Path<u64>, bytes: Bytes) -> R {
    let e: UpdateEdit = body(&bytes)?;
    p.monday
        .staff_edit_update(update, &e.body)
        .map_err(monday_error)?;
    Ok(Json(json!({ "update_id": update })).into_response())
}

/// Staff delete an update and its replies (fires `delete_update`).
async fn delete_update(State(p): S, Path(update): Path<u64>) -> R {
    p.monday.staff_delete_update(update).map_err(monday_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Staff archive the item (fires `archive_pulse`); answers it, now archived.
async fn archive_item(State(p): S, Path(item): Path<u64>) -> R {
    p.monday.staff_archive(item).map_err(monday_error)?;
    item_or_404(&p, item)
}

async fn delete_item(State(p): S, Path(item): Path<u64>) -> R {
    p.monday.staff_delete(item).map_err(monday_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn monday_error(e: SimError) -> super::Fail {
    let status = match (&e, e.status_code()) {
        (SimError::BoardNotFound(_), _) | (_, 404) => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    };
    err(status, e.code(), e)
}
