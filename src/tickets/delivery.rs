//! The outbox worker: carries stored ticket changes to Monday, one entry at a
//! time, in order. Delivery is idempotent: every new item carries our ticket id
//! in its Ticket ID column, and any attempt after the first looks for that id
//! before creating, so a crash between Monday's create and our commit cannot
//! leave a duplicate item.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use sea_orm::{ActiveValue::Set, TransactionTrait};
use uuid::Uuid;

use super::board::{Change, Field, NewItem};
use super::events::TicketEventKind;
use super::model::{SyncState, TicketPriority, TicketStatus};
use super::service::{KIND_CREATE_ITEM, KIND_CREATE_UPDATE, KIND_UPDATE_ITEM, TicketService};
use crate::db::entities::{outbox as outbox_entity, ticket};
use crate::db::repo::{clients, outbox, tickets};
use crate::upstream::monday::MondayError;

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Monday(#[from] MondayError),
    #[error(transparent)]
    Bind(#[from] super::board::BindError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// An earlier entry of the same ticket has to land first.
    #[error("waiting for the item to be created")]
    NotYetCreated,
    #[error("outbox entry is malformed: {0}")]
    Malformed(String),
}

impl DeliveryError {
    fn is_transient(&self) -> bool {
        match self {
            DeliveryError::Monday(e) => e.is_transient(),
            DeliveryError::Bind(e) => e.is_transient(),
            DeliveryError::Db(_) | DeliveryError::NotYetCreated => true,
            DeliveryError::Malformed(_) => false,
        }
    }
}

impl TicketService {
    /// Runs until the process ends. Wakes on new entries, or polls.
    pub async fn run_delivery(self: Arc<Self>) {
        let mut failures: u32 = 0;
        loop {
            match self.deliver_one().await {
                Ok(true) => failures = 0,
                Ok(false) => {
                    let _ = tokio::time::timeout(self.cfg.outbox_poll, self.wake.notified()).await;
                }
                Err(e) => {
                    // Monday (or our database) is unwell: back off for all
                    // entries, not just this one, instead of hammering it.
                    failures = failures.saturating_add(1);
                    let wait = self.backoff(failures);
                    tracing::warn!(error = %e, wait_ms = wait.as_millis() as u64, "outbox delivery failed");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .cfg
            .retry_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.cfg.retry_max);
        let jitter = rand::rng().random_range(0..=exp.as_millis().max(1) as u64 / 4);
        (exp + Duration::from_millis(jitter)).min(self.cfg.retry_max)
    }

    /// Delivers the oldest due entry. `Ok(false)` when there was none;
    /// `Err` only for transient trouble (the entry is rescheduled).
    pub async fn deliver_one(&self) -> Result<bool, DeliveryError> {
        let now = Utc::now();
        let lease =
            chrono::Duration::from_std(self.cfg.lease).unwrap_or(chrono::Duration::seconds(60));
        let Some(entry) = outbox::claim(&self.db, now, now + lease).await? else {
            return Ok(false);
        };
        match self.deliver(&entry).await {
            Ok(()) => Ok(true),
            Err(e) => {
                let transient = e.is_transient();
                let wait = match e {
                    DeliveryError::NotYetCreated => self.cfg.retry_base,
                    _ => self.backoff(entry.attempts.unsigned_abs()),
                };
                let next = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                let message = e.to_string();
                if !outbox::retry_later(&self.db, &entry, Some(&message), next).await? {
                    // Our lease ran out and another worker holds the entry;
                    // its outcome, not ours, decides the ticket's state.
                    tracing::warn!(entry = entry.id, error = %message, "outbox lease lost during a failed attempt");
                    return Ok(true);
                }
                if !transient {
                    // Kept and retried (someone may fix the board), but the
                    // ticket shows that it is stuck and why.
                    tracing::error!(entry = entry.id, error = %message, "outbox entry rejected by monday");
                    self.mark_failed(entry.ticket_id, &message).await?;
                    return Ok(true);
                }
                if matches!(e, DeliveryError::NotYetCreated) {
                    return Ok(true);
                }
                Err(e)
            }
        }
    }

    async fn deliver(&self, entry: &outbox_entity::Model) -> Result<(), DeliveryError> {
        let ticket = tickets::find_any(&self.db, entry.ticket_id)
            .await?
            .ok_or_else(|| {
                DeliveryError::Malformed(format!("ticket {} is gone", entry.ticket_id))
            })?;
        let board = self.board().await?;
        match entry.kind.as_str() {
            KIND_CREATE_ITEM => {
                let item_id = match &ticket.monday_item_id {
                    Some(id) => id.clone(),
                    None => {
                        self.create_item(&ticket, entry.attempts > 1, &board)
                            .await?
                    }
                };
                self.finish(entry, ticket, Some(item_id), None).await
            }
            KIND_UPDATE_ITEM => {
                let item_id = ticket
                    .monday_item_id
                    .clone()
                    .ok_or(DeliveryError::NotYetCreated)?;
                let fields: Change = serde_json::from_str(&entry.payload)
                    .map_err(|e| DeliveryError::Malformed(e.to_string()))?;
                // Send today's values of the changed fields: a later edit
                // still waiting in the outbox is then already included.
                let current = Change {
                    title: fields.title.map(|_| ticket.title.clone()),
                    description: fields.description.map(|_| ticket.description.clone()),
                    status: fields.status.and(TicketStatus::from_code(&ticket.status)),
                    priority: fields
                        .priority
                        .and(TicketPriority::from_code(&ticket.priority)),
                };
                let mut values = board.values_for_change(&current, Utc::now());
                if let (Some(title), Some(map)) = (&current.title, values.as_object_mut()) {
                    map.insert("name".to_owned(), serde_json::json!(title));
                }
                self.monday
                    .change_column_values(&board.board_id, &item_id, values)
                    .await?;
                self.finish(entry, ticket, None, None).await
            }
            KIND_CREATE_UPDATE => {
                let item_id = ticket
                    .monday_item_id
                    .clone()
                    .ok_or(DeliveryError::NotYetCreated)?;
                let comment_id: Uuid = serde_json::from_str::<serde_json::Value>(&entry.payload)
                    .ok()
                    .and_then(|v| {
                        v.get("comment_id")
                            .and_then(|c| c.as_str())
                            .and_then(|c| c.parse().ok())
                    })
                    .ok_or_else(|| DeliveryError::Malformed("comment_id missing".to_owned()))?;
                let comment = tickets::find_comment(&self.db, comment_id)
                    .await?
                    .ok_or_else(|| {
                        DeliveryError::Malformed(format!("comment {comment_id} is gone"))
                    })?;
                let body = update_text(&comment);
                let earlier = if entry.attempts > 1 && comment.monday_update_id.is_none() {
                    // An earlier attempt may have posted it without hearing back.
                    self.monday
                        .items_by_ids(vec![item_id.clone()])
                        .await?
                        .into_iter()
                        .flat_map(|i| i.updates)
                        .find(|u| u.text.trim() == body.trim())
                        .map(|u| u.id)
                } else {
                    None
                };
                let update_id = match comment.monday_update_id.clone().or(earlier) {
                    Some(id) => id,
                    None => self.monday.create_update(&item_id, &body).await?,
                };
                self.finish(entry, ticket, None, Some((comment, update_id)))
                    .await
            }
            other => Err(DeliveryError::Malformed(format!(
                "unknown outbox kind {other:?}"
            ))),
        }
    }

    /// Creates the Monday item, unless an earlier attempt already did.
    async fn create_item(
        &self,
        ticket: &ticket::Model,
        retried: bool,
        board: &super::board::TicketBoard,
    ) -> Result<String, DeliveryError> {
        let ticket_key = ticket.id.to_string();
        if retried {
            let found = self
                .monday
                .find_items_by_column(&board.board_id, board.column(Field::TicketId), &ticket_key)
                .await?;
            if let Some(id) = found.into_iter().next() {
                tracing::info!(ticket = %ticket.id, item = %id, "item from an earlier attempt found; not creating another");
                return Ok(id);
            }
        }
        let client = match ticket.client_id {
            Some(id) => clients::find_by_id(&self.db, id).await?,
            None => None,
        };
        let values = board.values_for_new(&NewItem {
            ticket_id: &ticket_key,
            description: &ticket.description,
            client_email: client.as_ref().map(|c| c.email.as_str()),
            client_portal_id: client.as_ref().map(|c| c.portal_id.as_str()),
            status: TicketStatus::from_code(&ticket.status).unwrap_or(TicketStatus::Open),
            priority: TicketPriority::from_code(&ticket.priority).unwrap_or(TicketPriority::Medium),
            created_at: ticket.created_at,
        });
        Ok(self
            .monday
            .create_item(&board.board_id, &ticket.title, values)
            .await?)
    }

    /// Records a delivered entry and what Monday assigned, in one transaction.
    async fn finish(
        &self,
        entry: &outbox_entity::Model,
        ticket: ticket::Model,
        item_id: Option<String>,
        comment: Option<(crate::db::entities::ticket_comment::Model, String)>,
    ) -> Result<(), DeliveryError> {
        let now = Utc::now();
        let txn = self.db.begin().await?;
        if !outbox::delivered(&txn, entry, now).await? {
            // Our lease ran out mid-call and another worker owns the entry
            // now. It finds what we created by its Ticket ID and records it.
            tracing::warn!(
                entry = entry.id,
                "outbox lease lost before delivery was recorded"
            );
            return Ok(());
        }
        let comment_synced = comment.is_some();
        if let Some((c, update_id)) = comment {
            let mut row: crate::db::entities::ticket_comment::ActiveModel = c.into();
            row.monday_update_id = Set(Some(update_id));
            row.sync_state = Set(SyncState::Synced.code().to_owned());
            tickets::update_comment(&txn, row).await?;
        }
        let still_pending = outbox::pending_for_ticket(&txn, ticket.id, entry.id).await? > 0;
        let mut changed = Vec::new();
        let mut row: ticket::ActiveModel = ticket.clone().into();
        if let Some(id) = item_id.filter(|id| ticket.monday_item_id.as_deref() != Some(id)) {
            row.monday_item_id = Set(Some(id));
            changed.push("mondayItemId".to_owned());
        }
        let state = if still_pending {
            SyncState::Pending
        } else {
            SyncState::Synced
        };
        if ticket.sync_state != state.code() || ticket.sync_error.is_some() {
            row.sync_state = Set(state.code().to_owned());
            row.sync_error = Set(None);
            changed.push("syncState".to_owned());
        }
        let updated = if changed.is_empty() {
            ticket
        } else {
            tickets::update(&txn, row).await?
        };
        txn.commit().await?;
        if !changed.is_empty() && updated.deleted_at.is_none() {
            self.publish(TicketEventKind::Updated, updated, changed);
        } else if comment_synced {
            // Only the comment's syncState moved; no event, but cached
            // responses showing it as pending are stale.
            self.responses.ticket_changed(updated.client_id);
        }
        Ok(())
    }

    async fn mark_failed(&self, ticket_id: Uuid, error: &str) -> Result<(), DeliveryError> {
        if let Some(t) = tickets::find_any(&self.db, ticket_id).await? {
            let mut row: ticket::ActiveModel = t.into();
            row.sync_state = Set(SyncState::Failed.code().to_owned());
            row.sync_error = Set(Some(error.to_owned()));
            let updated = tickets::update(&self.db, row).await?;
            self.publish(
                TicketEventKind::Updated,
                updated,
                vec!["syncState".to_owned()],
            );
        }
        Ok(())
    }
}

/// The text a comment of ours has as a Monday update. Sync recognises our own
/// updates by it, so both sides must use this one function.
pub fn update_text(c: &crate::db::entities::ticket_comment::Model) -> String {
    format!(
        "{} ({}): {}",
        c.author_name,
        c.author_kind.to_lowercase(),
        c.body
    )
}
