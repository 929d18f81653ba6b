//! Monday → us, live: registering our webhook endpoint on the board (without
//! duplicates on re-runs) and applying the events it receives.

use serde_json::Value;

use super::service::TicketService;
use super::sync::SyncError;
use crate::db::repo::settings;
use crate::upstream::monday::operations::{
    CreateWebhook, ListWebhooks, create_webhook, list_webhooks,
};
use crate::upstream::monday::{MondayClient, MondayError};

/// The board events we subscribe to, as `create_webhook` names them.
pub const EVENTS: &[(&str, create_webhook::WebhookEventType)] = &[
    ("create_item", create_webhook::WebhookEventType::create_item),
    (
        "change_column_value",
        create_webhook::WebhookEventType::change_column_value,
    ),
    ("change_name", create_webhook::WebhookEventType::change_name),
    (
        "create_update",
        create_webhook::WebhookEventType::create_update,
    ),
    (
        "item_deleted",
        create_webhook::WebhookEventType::item_deleted,
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum WebhookSetupError {
    #[error(transparent)]
    Monday(#[from] MondayError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// Outcome per event: the webhook id and whether it was created now.
pub type Registration = Vec<(&'static str, String, bool)>;

/// Makes sure `url` receives every event in `EVENTS` from the board. Monday's
/// webhook listing does not show URLs, so the ids we created are remembered
/// in our settings and checked against the listing: a re-run creates only
/// what is missing.
pub async fn ensure(
    monday: &MondayClient,
    db: &impl sea_orm::ConnectionTrait,
    board_id: &str,
    url: &str,
) -> Result<Registration, WebhookSetupError> {
    let existing: Vec<String> = monday
        .run::<ListWebhooks>(list_webhooks::Variables {
            board_id: board_id.to_owned(),
        })
        .await?
        .webhooks
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .map(|w| w.id)
        .collect();
    let mut out = Vec::new();
    for (name, event) in EVENTS {
        let key = format!("monday_webhook:{board_id}:{name}:{url}");
        if let Some(id) = settings::get(db, &key).await?
            && existing.contains(&id)
        {
            out.push((*name, id, false));
            continue;
        }
        let created = monday
            .run::<CreateWebhook>(create_webhook::Variables {
                board_id: board_id.to_owned(),
                url: url.to_owned(),
                event: event.clone(),
            })
            .await?
            .create_webhook
            .ok_or_else(|| MondayError::Protocol("create_webhook returned nothing".to_owned()))?;
        settings::put(db, &key, &created.id).await?;
        out.push((*name, created.id, true));
    }
    Ok(out)
}

/// What our endpoint did with one event.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    Applied,
    /// Not about our tickets board.
    Ignored,
}

impl TicketService {
    /// Applies one webhook `event` object. Item events re-read the item from
    /// Monday: the payload formats vary by column type, the item does not.
    pub async fn apply_webhook(&self, event: &Value) -> Result<Applied, SyncError> {
        let board = event.get("boardId").map(id_string).unwrap_or_default();
        if board != self.board_id() {
            return Ok(Applied::Ignored);
        }
        let kind = event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let item = event
            .get("pulseId")
            .or_else(|| event.get("itemId"))
            .map(id_string)
            .unwrap_or_default();
        if item.is_empty() {
            return Ok(Applied::Ignored);
        }
        match kind {
            "delete_pulse" => self.apply_deleted(&item).await?,
            "create_pulse" | "update_column_value" | "update_name" | "create_update" => {
                self.refresh_item(&item).await?
            }
            _ => return Ok(Applied::Ignored),
        }
        Ok(Applied::Applied)
    }
}

/// Monday sends ids as numbers in payloads and strings in the API.
fn id_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}
