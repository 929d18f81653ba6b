//! The ticket service: the one place that changes tickets. Every change is
//! stored together with its outbox entry in one transaction, so what a client
//! submits is kept even while Monday is down, and reaches Monday later.

use std::sync::Arc;

use chrono::Utc;
use sea_orm::{ActiveValue::Set, DatabaseConnection, TransactionTrait};
use serde_json::json;
use tokio::sync::{Notify, RwLock};
use uuid::Uuid;

use super::board::{BindError, Change, TicketBoard};
use super::events::{EventBus, TicketEvent, TicketEventKind};
use super::model::{SyncState, TicketPriority, TicketStatus};
use crate::config::TicketsConfig;
use crate::db::entities::{ticket, ticket_comment};
use crate::db::repo::{outbox, tickets};
use crate::error::AppError;
use crate::graphql::response_cache::ResponseCache;
use crate::upstream::monday::MondayClient;

pub const KIND_CREATE_ITEM: &str = "create_item";
pub const KIND_UPDATE_ITEM: &str = "update_item";
pub const KIND_CREATE_UPDATE: &str = "create_update";

pub struct TicketService {
    pub(super) db: DatabaseConnection,
    pub(super) monday: Arc<MondayClient>,
    pub(super) board_id: String,
    board: RwLock<Option<Arc<TicketBoard>>>,
    pub(super) events: Arc<dyn EventBus>,
    /// Told of every committed change, so cached responses never outlive it.
    pub(super) responses: Arc<ResponseCache>,
    pub(super) wake: Notify,
    pub(super) cfg: TicketsConfig,
}

/// Who wrote a comment, as shown beside it.
#[derive(Clone, Debug)]
pub struct Author {
    pub name: String,
    pub kind: &'static str,
}

impl TicketService {
    pub fn new(
        db: DatabaseConnection,
        monday: Arc<MondayClient>,
        board_id: String,
        cfg: TicketsConfig,
        events: Arc<dyn EventBus>,
        responses: Arc<ResponseCache>,
    ) -> Self {
        Self {
            db,
            monday,
            board_id,
            board: RwLock::new(None),
            events,
            responses,
            wake: Notify::new(),
            cfg,
        }
    }

    pub fn board_id(&self) -> &str {
        &self.board_id
    }

    /// The bound board, binding it on first use (Monday may have been down at
    /// startup).
    pub async fn board(&self) -> Result<Arc<TicketBoard>, BindError> {
        if let Some(b) = self.board.read().await.as_ref() {
            return Ok(b.clone());
        }
        let bound = Arc::new(
            TicketBoard::bind(&self.monday, &self.board_id, &self.cfg.column_overrides).await?,
        );
        *self.board.write().await = Some(bound.clone());
        Ok(bound)
    }

    /// Announces a committed change: cached responses that include the ticket
    /// go stale, and subscribers hear of it. Call only after the commit.
    pub fn publish(&self, kind: TicketEventKind, ticket: ticket::Model, changed: Vec<String>) {
        self.responses.ticket_changed(ticket.client_id);
        self.events.publish(TicketEvent {
            kind,
            ticket,
            changed_fields: changed,
            at: Utc::now(),
        });
    }

    /// Stores a new ticket for `client_id` and queues its creation on Monday.
    pub async fn create(
        &self,
        client_id: Uuid,
        title: String,
        description: String,
        priority: TicketPriority,
    ) -> Result<ticket::Model, AppError> {
        let now = Utc::now();
        let id = Uuid::new_v4();
        let txn = self.db.begin().await?;
        let row = tickets::insert(
            &txn,
            ticket::ActiveModel {
                id: Set(id),
                client_id: Set(Some(client_id)),
                title: Set(title),
                description: Set(description),
                status: Set(TicketStatus::Open.code().to_owned()),
                priority: Set(priority.code().to_owned()),
                monday_item_id: Set(None),
                sync_state: Set(SyncState::Pending.code().to_owned()),
                sync_error: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                deleted_at: Set(None),
                ..Default::default()
            },
        )
        .await?;
        outbox::enqueue(&txn, id, KIND_CREATE_ITEM, json!({}), now).await?;
        txn.commit().await?;
        self.wake.notify_one();
        self.publish(TicketEventKind::Created, row.clone(), Vec::new());
        Ok(row)
    }

    /// Applies `change` here and queues what actually changed for Monday.
    pub async fn update(
        &self,
        current: ticket::Model,
        change: Change,
    ) -> Result<ticket::Model, AppError> {
        let now = Utc::now();
        let mut row: ticket::ActiveModel = current.clone().into();
        // Only real changes are stored, queued and announced.
        let mut sent = Change::default();
        if let Some(t) = change.title.filter(|t| *t != current.title) {
            row.title = Set(t.clone());
            sent.title = Some(t);
        }
        if let Some(d) = change.description.filter(|d| *d != current.description) {
            row.description = Set(d.clone());
            sent.description = Some(d);
        }
        if let Some(s) = change.status.filter(|s| s.code() != current.status) {
            row.status = Set(s.code().to_owned());
            sent.status = Some(s);
        }
        if let Some(p) = change.priority.filter(|p| p.code() != current.priority) {
            row.priority = Set(p.code().to_owned());
            sent.priority = Some(p);
        }
        let changed = sent.fields();
        if changed.is_empty() {
            return Ok(current);
        }
        row.updated_at = Set(now);
        row.sync_state = Set(SyncState::Pending.code().to_owned());
        let payload = serde_json::to_value(&sent).map_err(AppError::internal)?;
        let txn = self.db.begin().await?;
        let updated = tickets::update(&txn, row).await?;
        outbox::enqueue(&txn, updated.id, KIND_UPDATE_ITEM, payload, now).await?;
        txn.commit().await?;
        self.wake.notify_one();
        let mut fields: Vec<String> = changed.into_iter().map(str::to_owned).collect();
        fields.extend(["updatedAt".to_owned(), "syncState".to_owned()]);
        self.publish(TicketEventKind::Updated, updated.clone(), fields);
        Ok(updated)
    }

    /// Stores a comment and queues it as a Monday update.
    pub async fn comment(
        &self,
        ticket: ticket::Model,
        author: Author,
        body: String,
    ) -> Result<ticket_comment::Model, AppError> {
        let now = Utc::now();
        let id = Uuid::new_v4();
        let txn = self.db.begin().await?;
        let comment = tickets::insert_comment(
            &txn,
            ticket_comment::ActiveModel {
                id: Set(id),
                ticket_id: Set(ticket.id),
                monday_update_id: Set(None),
                body: Set(body),
                author_name: Set(author.name),
                author_kind: Set(author.kind.to_owned()),
                sync_state: Set(SyncState::Pending.code().to_owned()),
                created_at: Set(now),
            },
        )
        .await?;
        outbox::enqueue(
            &txn,
            ticket.id,
            KIND_CREATE_UPDATE,
            json!({ "comment_id": id }),
            now,
        )
        .await?;
        txn.commit().await?;
        self.wake.notify_one();
        self.publish(
            TicketEventKind::Commented,
            ticket,
            vec!["comments".to_owned()],
        );
        Ok(comment)
    }
}
