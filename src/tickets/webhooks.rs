//! Monday → us, live: registering our webhook endpoint on the board (without
//! duplicates on re-runs) and applying the events it receives.

use std::sync::Arc;

use serde_json::Value;

use super::error::TicketError;
use super::service::TicketService;
use crate::db::repo::{settings, webhook_receipts};
use crate::upstream::monday::operations::{
    CreateWebhook, ListWebhooks, create_webhook, list_webhooks,
};
use crate::upstream::monday::{MondayClient, MondayError};

/// How Monday's deliveries are named in our receipts.
const SOURCE: &str = "monday";

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
    // Edits and deletions can turn a public reply into an internal note (or
    // back), so the client's view must follow them.
    ("edit_update", create_webhook::WebhookEventType::edit_update),
    (
        "delete_update",
        create_webhook::WebhookEventType::delete_update,
    ),
];

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
) -> Result<Registration, TicketError> {
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
    /// A retried delivery we applied before.
    Duplicate,
}

impl TicketService {
    /// Takes one delivered `event`, once: Monday retries deliveries, and a
    /// retry (recognised by `triggerUuid`, on any replica) changes nothing.
    /// Applied in a task of its own: an event's writes commit one by one and
    /// the caches hear of them at the end, so a sender that hangs up midway
    /// must not cancel the rest.
    #[tracing::instrument(skip_all, fields(trigger))]
    pub async fn receive_webhook(self: &Arc<Self>, event: Value) -> Result<Applied, TicketError> {
        let trigger = event
            .get("triggerUuid")
            .or_else(|| event.get("originalTriggerUuid"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty() && t.len() <= 64)
            .map(str::to_owned);
        if let Some(t) = &trigger {
            tracing::Span::current().record("trigger", t.as_str());
            if webhook_receipts::exists(&self.db, SOURCE, t).await? {
                return Ok(Applied::Duplicate);
            }
        }
        let this = self.clone();
        let applying = tokio::spawn(tracing::Instrument::in_current_span(async move {
            let applied = this.apply_webhook(&event).await?;
            tracing::debug!(?applied, "monday webhook event handled");
            if let (Applied::Applied, Some(t)) = (&applied, &trigger) {
                let kind = event
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                webhook_receipts::record(&this.db, SOURCE, t, kind).await?;
            }
            Ok(applied)
        }));
        applying
            .await
            .map_err(|e| TicketError::Malformed(format!("webhook task: {e}")))?
    }

    /// Applies one webhook `event` object. Item events re-read the item from
    /// Monday: the payload formats vary by column type, the item does not.
    pub async fn apply_webhook(&self, event: &Value) -> Result<Applied, TicketError> {
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
            "create_pulse"
            | "update_column_value"
            | "update_name"
            | "create_update"
            | "edit_update"
            | "delete_update" => self.refresh_item(&item).await?,
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
