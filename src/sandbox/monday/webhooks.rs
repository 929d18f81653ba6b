//! Webhooks as Monday sends them: the challenge handshake at registration,
//! then one `{"event":{…}}` POST per matching subscription and item change,
//! optionally signed (JWT in `Authorization`), retried in the background.

use std::time::Duration;

use serde_json::{Value, json};

use super::errors::SimError;
use super::store::{ACCOUNT_ID, Store, WebhookRec};
use super::types::strip_html;
use super::values::{self, ColumnKind};
use super::{ChangeKind, ItemChange};

/// Delivery settings, copied from `MondayOptions` when a change is emitted.
#[derive(Clone)]
pub struct Delivery {
    pub client: reqwest::Client,
    pub retry_delay: Duration,
    pub max_retries: u32,
    pub signing_secret: Option<String>,
}

/// Registration: POST `{"challenge": token}`; the endpoint must echo it.
pub async fn challenge(client: &reqwest::Client, url: &str) -> Result<(), SimError> {
    let failed = || SimError::InvalidArgument("Failed to communicate with URL provided.".into());
    let token = uuid::Uuid::new_v4().simple().to_string();
    let resp = client
        .post(url)
        .json(&json!({"challenge": token}))
        .send()
        .await
        .map_err(|_| failed())?;
    if !resp.status().is_success() {
        return Err(failed());
    }
    let body: Value = resp.json().await.map_err(|_| failed())?;
    if body.get("challenge").and_then(Value::as_str) == Some(token.as_str()) {
        Ok(())
    } else {
        Err(failed())
    }
}

/// Whether a subscription wants this change (events and `config` filters);
/// `group` is the item's group now (a move's destination).
fn matches(
    hook: &WebhookRec,
    change: &ItemChange,
    kind: Option<ColumnKind>,
    new_index: Option<u16>,
    group: Option<&str>,
) -> bool {
    let config_col = hook
        .config
        .as_ref()
        .and_then(|c| c.get("columnId"))
        .and_then(Value::as_str);
    match (&change.kind, hook.event.as_str()) {
        (ChangeKind::Created, "create_item") => true,
        (ChangeKind::Name { .. }, "change_name") => true,
        (ChangeKind::Update { .. }, "create_update") => true,
        (ChangeKind::UpdateEdited { .. }, "edit_update") => true,
        (ChangeKind::UpdateDeleted { .. }, "delete_update") => true,
        (ChangeKind::Deleted { .. }, "item_deleted") => true,
        (ChangeKind::Archived, "item_archived") => true,
        (ChangeKind::Moved { .. }, "item_moved_to_any_group") => true,
        (ChangeKind::Moved { .. }, "item_moved_to_specific_group") => {
            let wanted = hook
                .config
                .as_ref()
                .and_then(|c| c.get("groupId"))
                .and_then(Value::as_str);
            wanted.is_some() && wanted == group
        }
        (ChangeKind::ColumnValue { .. }, "change_column_value") => true,
        (ChangeKind::ColumnValue { column_id, .. }, "change_specific_column_value") => {
            config_col == Some(column_id.as_str())
        }
        (ChangeKind::ColumnValue { column_id, .. }, "change_status_column_value") => {
            let wanted_index = hook
                .config
                .as_ref()
                .and_then(|c| c.get("columnValue"))
                .filter(|v| v.get("$any$").is_none())
                .and_then(|v| v.get("index"))
                .and_then(Value::as_u64);
            kind == Some(ColumnKind::Status)
                && config_col.is_none_or(|c| c == column_id)
                && wanted_index.is_none_or(|i| new_index.map(u64::from) == Some(i))
        }
        _ => false,
    }
}

/// The fields of an update's event, for the update or reply `id`.
fn update_event(kind: &str, id: u64, parent: Option<u64>, body: Option<&String>) -> Value {
    let (update_id, reply_id) = match parent {
        Some(p) => (p, Some(id)),
        None => (id, None),
    };
    let mut event = json!({ "type": kind, "updateId": update_id, "replyId": reply_id });
    if let (Some(body), Value::Object(m)) = (body, &mut event) {
        m.insert("body".into(), json!(body));
        m.insert("textBody".into(), json!(strip_html(body)));
    }
    event
}

/// The `event` objects to send for one change: `(url, body)` pairs.
pub fn payloads(store: &Store, change: &ItemChange, user_id: u64) -> Vec<(String, Value)> {
    let hooks: Vec<&WebhookRec> = store
        .webhooks
        .iter()
        .filter(|h| h.board_id == change.board_id)
        .collect();
    if hooks.is_empty() {
        return vec![];
    }
    let Ok(board) = store.board(change.board_id) else {
        return vec![];
    };
    let meta = &board.meta;
    let item = store.items.get(&change.item_id);
    let now = chrono::Utc::now();
    let group = item.and_then(|i| meta.groups.get(i.group));
    let mut column = None;
    let mut body = match &change.kind {
        ChangeKind::Created => {
            let cols: serde_json::Map<String, Value> = item
                .map(|item| {
                    meta.columns
                        .iter()
                        .enumerate()
                        .filter_map(|(i, c)| {
                            let cell = item.cell(i)?;
                            Some((
                                c.id.clone(),
                                values::webhook_value(&cell.val, &c.labels, cell.changed_at),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            json!({"type": "create_pulse", "pulseName": item.map(|i| i.name.to_string()), "columnValues": cols})
        }
        ChangeKind::ColumnValue {
            column_id,
            previous,
        } => {
            let Ok((idx, col)) = meta.column(column_id) else {
                return vec![];
            };
            let cell = item.and_then(|i| i.cell(idx));
            let new_index = match cell.map(|c| &c.val) {
                Some(values::Val::Status(i)) => Some(*i),
                _ => None,
            };
            column = Some((col.kind, new_index));
            json!({
                "type": "update_column_value",
                "pulseName": item.map(|i| i.name.to_string()),
                "columnId": col.id,
                "columnType": col.kind.webhook_name(),
                "columnTitle": col.title,
                "value": cell.map(|c| values::webhook_value(&c.val, &col.labels, c.changed_at)),
                "previousValue": previous,
                "changedAt": now.timestamp_millis() as f64 / 1000.0,
            })
        }
        ChangeKind::Name { previous } => json!({
            "type": "update_name",
            "pulseName": item.map(|i| i.name.to_string()),
            "value": {"name": item.map(|i| i.name.to_string())},
            "previousValue": {"name": previous},
        }),
        // A reply names its thread's update in `updateId` and itself in
        // `replyId`; a top-level update has a null `replyId`.
        ChangeKind::Update {
            update_id,
            body,
            parent_id,
        } => update_event("create_update", *update_id, *parent_id, Some(body)),
        ChangeKind::UpdateEdited {
            update_id,
            body,
            parent_id,
        } => update_event("edit_update", *update_id, *parent_id, Some(body)),
        ChangeKind::UpdateDeleted {
            update_id,
            parent_id,
        } => update_event("delete_update", *update_id, *parent_id, None),
        ChangeKind::Deleted { name, .. } => json!({
            "type": "delete_pulse",
            "itemId": change.item_id,
            "itemName": name,
        }),
        // As captured from `item_moved_to_any_group`: no groupId/isTopGroup.
        ChangeKind::Moved { from_group } => json!({
            "type": "move_pulse_into_group",
            "sourceGroupId": from_group,
            "destGroupId": group.map(|g| g.id.as_str()),
            "destGroup": group.map(|g| json!({
                "id": g.id, "title": g.title, "color": g.color,
                "is_top_group": item.is_some_and(|i| i.group == 0),
            })),
        }),
        // `item_archived` sends `archive_pulse`; its fields are unconfirmed,
        // so it is shaped like `delete_pulse`.
        ChangeKind::Archived => json!({
            "type": "archive_pulse",
            "itemId": change.item_id,
            "itemName": item.map(|i| i.name.to_string()),
        }),
    };
    if let Value::Object(m) = &mut body {
        m.insert("app".into(), json!("monday"));
        m.insert("userId".into(), json!(user_id));
        m.insert("originalTriggerUuid".into(), Value::Null);
        m.insert("boardId".into(), json!(change.board_id));
        m.insert("pulseId".into(), json!(change.item_id));
        m.insert(
            "triggerTime".into(),
            json!(now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
        );
        if let Some(g) = group.filter(|_| !matches!(change.kind, ChangeKind::Moved { .. })) {
            m.insert("groupId".into(), json!(g.id));
            if matches!(change.kind, ChangeKind::Created) {
                m.insert("groupName".into(), json!(g.title));
                m.insert("groupColor".into(), json!(g.color));
            }
            m.insert(
                "isTopGroup".into(),
                json!(item.is_some_and(|i| i.group == 0)),
            );
        }
    }
    let (kind, new_index) = column.map_or((None, None), |(k, i)| (Some(k), i));
    hooks
        .into_iter()
        .filter(|h| matches(h, change, kind, new_index, group.map(|g| g.id.as_str())))
        .map(|h| {
            let mut event = body.clone();
            if let Value::Object(m) = &mut event {
                m.insert("subscriptionId".into(), json!(h.id));
                m.insert(
                    "triggerUuid".into(),
                    json!(uuid::Uuid::new_v4().simple().to_string()),
                );
            }
            (h.url.clone(), json!({"event": event}))
        })
        .collect()
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    aud: &'a str,
    exp: i64,
    iat: i64,
    #[serde(rename = "accountId")]
    account_id: u64,
    #[serde(rename = "userId")]
    user_id: u64,
    #[serde(rename = "shortLivedToken")]
    short_lived_token: String,
}

/// The JWT monday puts in `Authorization` (HS256, `aud` = the endpoint URL).
pub fn sign(secret: &str, url: &str, user_id: u64) -> Option<String> {
    let iat = chrono::Utc::now().timestamp();
    let claims = Claims {
        aud: url,
        exp: iat + 300,
        iat,
        account_id: ACCOUNT_ID,
        user_id,
        short_lived_token: format!("sandbox-slt-{}", uuid::Uuid::new_v4().simple()),
    };
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &key,
    )
    .ok()
}

/// Sends in the background: the mutation that caused it never waits.
pub fn spawn(delivery: &Delivery, url: String, body: Value, user_id: u64) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(%url, "monday sandbox: no runtime, webhook not delivered");
        return;
    };
    let d = delivery.clone();
    handle.spawn(async move {
        for attempt in 0..=d.max_retries {
            let mut req = d.client.post(&url).json(&body);
            if let Some(token) = d.signing_secret.as_deref().and_then(|s| sign(s, &url, user_id)) {
                req = req.header(reqwest::header::AUTHORIZATION, token);
            }
            match req.send().await {
                Ok(r) if r.status().is_success() => return,
                Ok(r) => tracing::debug!(%url, status = %r.status(), attempt, "monday sandbox: webhook refused"),
                Err(e) => tracing::debug!(%url, error = %e, attempt, "monday sandbox: webhook failed"),
            }
            if attempt < d.max_retries {
                tokio::time::sleep(d.retry_delay).await;
            }
        }
        tracing::warn!(%url, "monday sandbox: webhook dropped after retries");
    });
}
