//! The ticket handler of the outbox: carries stored ticket changes to Monday,
//! in order (an update waits for its item to exist). Delivery is idempotent: every new item carries our ticket id
//! in its Ticket ID column, and any attempt after the first looks for that id
//! before creating, so a crash between Monday's create and our commit cannot
//! leave a duplicate item.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, TransactionTrait};
use uuid::Uuid;

use super::attachments::KIND_ADD_FILE;
use super::board::{Change, Field, NewItem};
use super::error::TicketError;
use super::model::{SyncState, TicketPriority, TicketStatus};
use super::service::{KIND_CREATE_ITEM, KIND_CREATE_UPDATE, KIND_UPDATE_ITEM, TicketService};
use super::visibility::{Markers, Visibility};
use crate::changes::{Change as Changed, Scope, TicketEventKind};
use crate::db::entities::ticket;
use crate::db::repo::{attachments, clients, outbox, tickets};
use crate::outbox::{Claimed, Failure, Handler};

#[async_trait::async_trait]
impl Handler for TicketService {
    async fn deliver(&self, entry: &Claimed) -> Result<(), Failure> {
        self.deliver_entry(entry).await.map_err(Failure::from)
    }

    /// Monday refused the entry for good: the ticket shows staff that it
    /// failed and why (`syncError`), and so does the comment or file it was
    /// carrying (a file waiting for a comment that failed then fails too).
    async fn rejected(&self, entry: &Claimed, reason: &str) -> Result<(), Failure> {
        let Ok(ticket_id) = entry.subject().parse() else {
            return Ok(());
        };
        let named =
            |key: &str| -> Option<Uuid> { entry.payload().get(key)?.as_str()?.parse().ok() };
        if let Some(file) = named("attachment_id") {
            attachments::set_state(&self.db, file, SyncState::Failed.code()).await?;
        }
        if let Some(comment) = named("comment_id")
            && let Some(c) = tickets::find_comment(&self.db, comment).await?
        {
            let mut row: crate::db::entities::ticket_comment::ActiveModel = c.into();
            row.sync_state = Set(SyncState::Failed.code().to_owned());
            tickets::update_comment(&self.db, row).await?;
        }
        self.mark_failed(ticket_id, reason)
            .await
            .map_err(Failure::from)
    }
}

impl TicketService {
    #[tracing::instrument(skip_all)]
    async fn deliver_entry(&self, entry: &Claimed) -> Result<(), TicketError> {
        let ticket_id: Uuid = entry.subject().parse().map_err(|_| {
            TicketError::Malformed(format!("{:?} is not a ticket id", entry.subject()))
        })?;
        let ticket = tickets::find_any(&self.db, ticket_id)
            .await?
            .ok_or_else(|| TicketError::Malformed(format!("ticket {ticket_id} is gone")))?;
        let board = self.board().await?;
        match entry.kind() {
            KIND_CREATE_ITEM => {
                let item_id = match &ticket.monday_item_id {
                    Some(id) => id.clone(),
                    None => self.create_item(&ticket, entry.retried(), &board).await?,
                };
                self.finish(entry, ticket, Some(item_id), None, None).await
            }
            KIND_UPDATE_ITEM => {
                let item_id = self.item_of(&ticket).await?;
                let fields: Change = serde_json::from_value(entry.payload().clone())
                    .map_err(|e| TicketError::Malformed(e.to_string()))?;
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
                self.finish(entry, ticket, None, None, None).await
            }
            KIND_CREATE_UPDATE => {
                let item_id = self.item_of(&ticket).await?;
                let comment_id: Uuid = entry
                    .payload()
                    .get("comment_id")
                    .and_then(|c| c.as_str())
                    .and_then(|c| c.parse().ok())
                    .ok_or_else(|| TicketError::Malformed("comment_id missing".to_owned()))?;
                let comment = tickets::find_comment(&self.db, comment_id)
                    .await?
                    .ok_or_else(|| {
                        TicketError::Malformed(format!("comment {comment_id} is gone"))
                    })?;
                let body = update_text(&self.markers, &comment);
                let earlier = if entry.retried() && comment.monday_update_id.is_none() {
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
                self.finish(entry, ticket, None, Some((comment, update_id)), None)
                    .await
            }
            KIND_ADD_FILE => self.deliver_file(entry, &ticket).await,
            other => Err(TicketError::Malformed(format!(
                "unknown outbox kind {other:?}"
            ))),
        }
    }

    /// The ticket's Monday item; an entry about it waits while the item is
    /// being created, and fails when Monday refused to create it.
    async fn item_of(&self, ticket: &ticket::Model) -> Result<String, TicketError> {
        if let Some(id) = &ticket.monday_item_id {
            return Ok(id.clone());
        }
        if outbox::failed_for_subject(&self.db, &ticket.id.to_string(), KIND_CREATE_ITEM).await? {
            return Err(TicketError::Undeliverable(
                "the ticket's Monday item could not be created".to_owned(),
            ));
        }
        Err(TicketError::NotYetCreated)
    }

    /// Creates the Monday item, unless an earlier attempt already did.
    async fn create_item(
        &self,
        ticket: &ticket::Model,
        retried: bool,
        board: &super::board::TicketBoard,
    ) -> Result<String, TicketError> {
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

    /// Records a delivered entry and what Monday assigned (an item, a
    /// comment's update, a file's asset), in one transaction.
    pub(super) async fn finish(
        &self,
        entry: &Claimed,
        ticket: ticket::Model,
        item_id: Option<String>,
        comment: Option<(crate::db::entities::ticket_comment::Model, String)>,
        file: Option<(Uuid, String)>,
    ) -> Result<(), TicketError> {
        let txn = self.db.begin().await?;
        if !entry.complete(&txn).await? {
            // Our lease ran out mid-call and another worker owns the entry
            // now. It finds what we created by its Ticket ID and records it.
            tracing::warn!("outbox lease lost before delivery was recorded");
            return Ok(());
        }
        let comment_synced = comment.is_some() || file.is_some();
        if let Some((id, asset)) = &file {
            attachments::delivered(&txn, *id, asset, SyncState::Synced.code()).await?;
        }
        if let Some((c, update_id)) = comment {
            let mut row: crate::db::entities::ticket_comment::ActiveModel = c.into();
            row.monday_update_id = Set(Some(update_id));
            row.sync_state = Set(SyncState::Synced.code().to_owned());
            tickets::update_comment(&txn, row).await?;
        }
        let still_pending =
            outbox::pending_for_subject(&txn, entry.subject(), entry.id()).await? > 0;
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
            self.changes.publish(Changed::Data(Scope::Tickets {
                client: updated.client_id,
            }));
        }
        Ok(())
    }

    async fn mark_failed(&self, ticket_id: Uuid, error: &str) -> Result<(), TicketError> {
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

/// The text a comment of ours has as a Monday update: an internal note opens
/// with the marker. Sync recognises our own updates by it, so both sides must
/// use this one function.
pub fn update_text(markers: &Markers, c: &crate::db::entities::ticket_comment::Model) -> String {
    let text = format!(
        "{} ({}): {}",
        c.author_name,
        c.author_kind.to_lowercase(),
        c.body
    );
    markers.posted(Visibility::from_code(&c.visibility), &text)
}
