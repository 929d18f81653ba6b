//! The ticket service: the one place that reads and changes tickets, and that
//! holds the rules of who may see and do what. Every change is stored together
//! with its outbox entry in one transaction, so what a client submits is kept
//! even while Monday is down, and reaches Monday later.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use chrono::Utc;
use sea_orm::{ActiveValue::Set, DatabaseConnection, TransactionTrait};
use serde_json::json;
use tokio::sync::RwLock;
use uuid::Uuid;

use super::attachments::{AssetCache, CheckedFile, NewFile};
use super::board::{BindError, Change, TicketBoard};
use super::model::{SyncState, TicketPriority, TicketStatus};
use super::visibility::{Markers, Visibility};
use crate::auth::clients::ClientService;
use crate::auth::keys::JwtKeys;
use crate::auth::{Actor, Identity};
use crate::changes::{self, ChangeSignal, TicketEvent, TicketEventKind};
use crate::config::{AttachmentsConfig, TicketsConfig};
use crate::db::entities::{ticket, ticket_comment};
use crate::db::repo::{clients, tickets};
use crate::error::AppError;
use crate::ids::parse_uuid;
use crate::notify::{self, NewNotification, Notifier};
use crate::outbox::Outbox;
use crate::upstream::monday::MondayClient;

pub const KIND_CREATE_ITEM: &str = "tickets.create_item";
pub const KIND_UPDATE_ITEM: &str = "tickets.update_item";
pub const KIND_CREATE_UPDATE: &str = "tickets.create_update";

const MAX_TITLE: usize = 255;
const MAX_TEXT: usize = 10_000;

pub struct TicketService {
    pub(super) db: DatabaseConnection,
    pub(super) monday: Arc<MondayClient>,
    pub(super) board_id: String,
    board: RwLock<Option<Arc<TicketBoard>>>,
    pub(super) clients: Arc<ClientService>,
    pub(super) changes: Arc<ChangeSignal>,
    pub(super) outbox: Outbox,
    pub(super) cfg: TicketsConfig,
    pub(super) markers: Markers,
    pub(super) notifier: Notifier,
    pub(super) attachments: AttachmentsConfig,
    pub(super) asset_cache: AssetCache,
    /// Signs download links.
    pub(super) keys: Arc<JwtKeys>,
    /// Where download links point.
    pub(super) public_url: url::Url,
    /// One refresh at a time per item, so a read taken before a change is
    /// never applied after a read taken since (a note made internal would
    /// show again until the next change).
    item_locks: std::sync::Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
    /// Whether a full board sync has succeeded since startup, and how many
    /// were tried (`/ready` reports both).
    pub(crate) synced: AtomicBool,
    pub(crate) sync_attempts: AtomicU64,
}

/// Who wrote a comment, as shown beside it.
#[derive(Clone, Debug)]
pub struct Author {
    pub name: String,
    pub kind: &'static str,
}

/// A ticket as its author describes it.
pub struct NewTicket {
    pub title: String,
    pub description: String,
    pub priority: TicketPriority,
    /// Staff open tickets on behalf of a client; a client's are its own.
    pub client_id: Option<Uuid>,
    /// Files sent with it (a screenshot, say): kept on a first comment.
    pub files: Vec<NewFile>,
}

/// Which tickets a list asks for; the caller's identity narrows it further.
#[derive(Default)]
pub struct TicketQuery {
    pub first: u64,
    /// The number of the last ticket of the previous page.
    pub before: Option<i64>,
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
    pub search: Option<String>,
    /// Staff only: one client's tickets.
    pub client_id: Option<Uuid>,
}

/// What the ticket service is built from (assembled in `startup`).
pub struct TicketDeps {
    pub db: DatabaseConnection,
    pub monday: Arc<MondayClient>,
    pub board_id: String,
    pub cfg: TicketsConfig,
    pub clients: Arc<ClientService>,
    pub changes: Arc<ChangeSignal>,
    pub outbox: Outbox,
    pub notifier: Notifier,
    pub attachments: AttachmentsConfig,
    pub keys: Arc<JwtKeys>,
    pub public_url: url::Url,
}

impl TicketService {
    pub fn new(d: TicketDeps) -> Self {
        Self {
            db: d.db,
            monday: d.monday,
            board_id: d.board_id,
            board: RwLock::new(None),
            clients: d.clients,
            changes: d.changes,
            outbox: d.outbox,
            markers: Markers::new(d.cfg.internal_markers.clone()),
            notifier: d.notifier,
            asset_cache: AssetCache::new(d.attachments.cache_bytes),
            attachments: d.attachments,
            keys: d.keys,
            public_url: d.public_url,
            item_locks: std::sync::Mutex::default(),
            cfg: d.cfg,
            synced: AtomicBool::new(false),
            sync_attempts: AtomicU64::new(0),
        }
    }

    /// The lock that serialises refreshes of one item.
    pub(super) fn item_lock(&self, item_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .item_locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(l) = locks.get(item_id).and_then(Weak::upgrade) {
            return l;
        }
        // Only items being refreshed right now keep an entry.
        locks.retain(|_, l| l.strong_count() > 0);
        let l = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(item_id.to_owned(), Arc::downgrade(&l));
        l
    }

    pub fn board_id(&self) -> &str {
        &self.board_id
    }

    /// Whether the board has been synced since startup.
    pub fn is_synced(&self) -> bool {
        self.synced.load(Ordering::Acquire)
    }

    /// Full board syncs tried since startup (the startup one retries).
    pub fn sync_attempts(&self) -> u64 {
        self.sync_attempts.load(Ordering::Relaxed)
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

    /// Records, in `txn`, that the ticket's client should hear of a change
    /// by staff (`notify::REPLY` with its comment, `notify::STATUS`); a
    /// ticket without a client has no one to tell.
    pub(super) async fn notify(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        t: &ticket::Model,
        kind: &str,
        detail: &str,
        comment_id: Option<Uuid>,
    ) -> Result<(), sea_orm::DbErr> {
        let Some(client_id) = t.client_id else {
            return Ok(());
        };
        let n = NewNotification {
            client_id,
            ticket_id: t.id,
            kind,
            detail,
            comment_id,
        };
        self.notifier.record(txn, n).await
    }

    /// Announces a committed change: cached answers that include the ticket
    /// go stale, and subscribers hear of it. Call only after the commit.
    pub fn publish(&self, kind: TicketEventKind, ticket: ticket::Model, changed: Vec<String>) {
        self.publish_to(kind, ticket, changed, false);
    }

    /// `publish`, for an event that only staff may hear of when `staff_only`.
    pub fn publish_to(
        &self,
        kind: TicketEventKind,
        ticket: ticket::Model,
        changed: Vec<String>,
        staff_only: bool,
    ) {
        self.changes.publish(changes::Change::Ticket(TicketEvent {
            kind,
            ticket,
            changed_fields: changed,
            at: Utc::now(),
            staff_only,
        }));
    }

    /// Whether `who` may see `ticket`: a client sees its own, staff and API
    /// keys see all. Queries, mutations and subscriptions all ask this.
    pub fn visible_to(who: &Identity, ticket: &ticket::Model) -> bool {
        match who {
            Identity::Client { client_id, .. } => ticket.client_id == Some(*client_id),
            Identity::Anonymous => false,
            Identity::Staff { .. } | Identity::ApiKey { .. } => true,
        }
    }

    /// Whether `who` may see a comment: clients see public ones only.
    pub fn comment_visible_to(who: &Identity, comment: &ticket_comment::Model) -> bool {
        who.is_staff() || Visibility::from_code(&comment.visibility) == Visibility::Public
    }

    /// Whether `who` hears of an event: its ticket is theirs, and it is not
    /// about internal notes alone.
    pub fn event_visible_to(who: &Identity, event: &TicketEvent) -> bool {
        Self::visible_to(who, &event.ticket) && (who.is_staff() || !event.staff_only)
    }

    /// A page of the tickets `who` may see, newest first, and whether more follow.
    pub async fn list_visible(
        &self,
        who: &Identity,
        q: TicketQuery,
    ) -> Result<(Vec<ticket::Model>, bool), AppError> {
        let client_id = match who {
            Identity::Client { client_id, .. } => match q.client_id {
                Some(r) if r != *client_id => {
                    return Err(AppError::Forbidden(
                        "clients see only their own tickets".to_owned(),
                    ));
                }
                _ => Some(*client_id),
            },
            Identity::Anonymous => return Err(sign_in()),
            _ => q.client_id,
        };
        let filter = tickets::TicketFilter {
            client_id,
            status: q.status.map(TicketStatus::code),
            priority: q.priority.map(TicketPriority::code),
            search: q.search,
        };
        Ok(tickets::page(&self.db, &filter, q.before, q.first).await?)
    }

    /// One ticket `who` may see. Another client's ticket is NOT_FOUND,
    /// exactly as one that does not exist.
    pub async fn get_visible(&self, who: &Identity, id: &str) -> Result<ticket::Model, AppError> {
        let not_found = || AppError::NotFound("no such ticket".to_owned());
        if !who.is_authenticated() {
            return Err(sign_in());
        }
        let uuid = parse_uuid(id, "id").map_err(|_| not_found())?;
        let t = tickets::find(&self.db, uuid).await?.ok_or_else(not_found)?;
        if Self::visible_to(who, &t) {
            Ok(t)
        } else {
            Err(not_found())
        }
    }

    /// Opens a ticket: a client's own, or staff's on behalf of a client.
    #[tracing::instrument(skip_all)]
    pub async fn create_as(
        &self,
        actor: Actor<'_>,
        input: NewTicket,
    ) -> Result<ticket::Model, AppError> {
        let title = required_text(&input.title, "title", MAX_TITLE)?;
        let description = optional_text(&input.description, "description", MAX_TEXT)?;
        let files = self.check_files(input.files)?;
        let client_id = match actor.identity {
            Identity::Client { client_id, .. } => *client_id,
            Identity::Anonymous => return Err(sign_in()),
            _ => {
                let id = input.client_id.ok_or_else(|| {
                    AppError::bad_request("clientId is required when staff create a ticket")
                })?;
                clients::find_by_id(&self.db, id)
                    .await?
                    .ok_or_else(|| AppError::NotFound("no such client".to_owned()))?
                    .id
            }
        };
        let files = match files.is_empty() {
            true => None,
            false => Some((self.author_of(actor.identity).await?, files)),
        };
        self.create(client_id, title, description, input.priority, files)
            .await
    }

    /// Changes a ticket. Clients may edit the title and description of their
    /// own tickets and close them; staff may change anything.
    #[tracing::instrument(skip_all, fields(ticket = %id))]
    pub async fn update_as(
        &self,
        actor: Actor<'_>,
        id: &str,
        input: Change,
    ) -> Result<ticket::Model, AppError> {
        let current = self.get_visible(actor.identity, id).await?;
        if matches!(actor.identity, Identity::Client { .. }) {
            if input.priority.is_some() {
                return Err(AppError::Forbidden(
                    "clients cannot change the priority".to_owned(),
                ));
            }
            if input.status.is_some_and(|s| s != TicketStatus::Closed) {
                return Err(AppError::Forbidden(
                    "clients may only close a ticket".to_owned(),
                ));
            }
        }
        let change = Change {
            title: input
                .title
                .as_deref()
                .map(|t| required_text(t, "title", MAX_TITLE))
                .transpose()?,
            description: input
                .description
                .as_deref()
                .map(|d| optional_text(d, "description", MAX_TEXT))
                .transpose()?,
            status: input.status,
            priority: input.priority,
        };
        let by_staff = actor.identity.is_staff();
        self.update(current, change, by_staff).await
    }

    /// Adds a comment by the caller; it appears on the Monday item as an
    /// update. Only staff and API keys write internal notes.
    #[tracing::instrument(skip_all, fields(ticket = %ticket_id))]
    pub async fn comment_as(
        &self,
        actor: Actor<'_>,
        ticket_id: &str,
        body: &str,
        visibility: Visibility,
        files: Vec<NewFile>,
    ) -> Result<ticket_comment::Model, AppError> {
        let ticket = self.get_visible(actor.identity, ticket_id).await?;
        if visibility == Visibility::Internal && !actor.identity.is_staff() {
            return Err(AppError::Forbidden(
                "only staff write internal notes".to_owned(),
            ));
        }
        let files = self.check_files(files)?;
        let body = if body.trim().is_empty() && !files.is_empty() {
            attached(&files)
        } else {
            required_text(body, "body", MAX_TEXT)?
        };
        let author = self.author_of(actor.identity).await?;
        self.comment(ticket, author, body, visibility, files).await
    }

    /// How the caller is named beside what they write.
    async fn author_of(&self, who: &Identity) -> Result<Author, AppError> {
        Ok(match who {
            Identity::Client {
                client_id, email, ..
            } => Author {
                name: clients::find_by_id(&self.db, *client_id)
                    .await?
                    .map(|c| c.name)
                    .unwrap_or_else(|| email.clone()),
                kind: "CLIENT",
            },
            Identity::Staff { username, .. } => Author {
                name: username.clone(),
                kind: "STAFF",
            },
            Identity::ApiKey { name, .. } => Author {
                name: name.clone(),
                kind: "STAFF",
            },
            Identity::Anonymous => return Err(sign_in()),
        })
    }

    /// Stores a new ticket for `client_id` and queues its creation on Monday.
    async fn create(
        &self,
        client_id: Uuid,
        title: String,
        description: String,
        priority: TicketPriority,
        files: Option<(Author, Vec<CheckedFile>)>,
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
        self.outbox
            .enqueue(&txn, KIND_CREATE_ITEM, &id.to_string(), &json!({}))
            .await?;
        if let Some((author, files)) = files {
            let body = attached(&files);
            let c = self
                .insert_comment(&txn, &row, author, body, Visibility::Public)
                .await?;
            self.insert_files(&txn, &row, c.id, files).await?;
        }
        txn.commit().await?;
        self.outbox.wake();
        self.publish(TicketEventKind::Created, row.clone(), Vec::new());
        Ok(row)
    }

    /// Applies `change` here and queues what actually changed for Monday.
    /// `by_staff`: a new status is then worth an email to the client.
    async fn update(
        &self,
        current: ticket::Model,
        change: Change,
        by_staff: bool,
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
        self.outbox
            .enqueue(&txn, KIND_UPDATE_ITEM, &updated.id.to_string(), &payload)
            .await?;
        if by_staff && let Some(s) = sent.status {
            self.notify(&txn, &updated, notify::STATUS, s.label(), None)
                .await?;
        }
        txn.commit().await?;
        self.outbox.wake();
        let mut fields: Vec<String> = changed.into_iter().map(str::to_owned).collect();
        fields.extend(["updatedAt".to_owned(), "syncState".to_owned()]);
        self.publish(TicketEventKind::Updated, updated.clone(), fields);
        Ok(updated)
    }

    /// Stores a comment and queues it as a Monday update.
    async fn comment(
        &self,
        ticket: ticket::Model,
        author: Author,
        body: String,
        visibility: Visibility,
        files: Vec<CheckedFile>,
    ) -> Result<ticket_comment::Model, AppError> {
        let by_staff = author.kind == "STAFF";
        let txn = self.db.begin().await?;
        let comment = self
            .insert_comment(&txn, &ticket, author, body, visibility)
            .await?;
        self.insert_files(&txn, &ticket, comment.id, files).await?;
        if by_staff && visibility == Visibility::Public {
            self.notify(
                &txn,
                &ticket,
                notify::REPLY,
                &comment.body,
                Some(comment.id),
            )
            .await?;
        }
        txn.commit().await?;
        self.outbox.wake();
        self.publish_to(
            TicketEventKind::Commented,
            ticket,
            vec!["comments".to_owned()],
            visibility == Visibility::Internal,
        );
        Ok(comment)
    }
}

impl TicketService {
    /// Stores a comment of ours and queues it as a Monday update, in `txn`.
    async fn insert_comment(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        ticket: &ticket::Model,
        author: Author,
        body: String,
        visibility: Visibility,
    ) -> Result<ticket_comment::Model, sea_orm::DbErr> {
        let id = Uuid::new_v4();
        let comment = tickets::insert_comment(
            txn,
            ticket_comment::ActiveModel {
                id: Set(id),
                ticket_id: Set(ticket.id),
                monday_update_id: Set(None),
                body: Set(body),
                author_name: Set(author.name),
                author_kind: Set(author.kind.to_owned()),
                sync_state: Set(SyncState::Pending.code().to_owned()),
                visibility: Set(visibility.code().to_owned()),
                created_at: Set(Utc::now()),
            },
        )
        .await?;
        self.outbox
            .enqueue(
                txn,
                KIND_CREATE_UPDATE,
                &ticket.id.to_string(),
                &json!({ "comment_id": id }),
            )
            .await?;
        Ok(comment)
    }
}

/// The text of a comment that is only files.
fn attached(files: &[CheckedFile]) -> String {
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    format!("Attached: {}", names.join(", "))
}

fn sign_in() -> AppError {
    AppError::Unauthenticated("sign in to do this".to_owned())
}

fn required_text(v: &str, field: &str, max: usize) -> Result<String, AppError> {
    let v = v.trim();
    if v.is_empty() {
        return Err(AppError::bad_request(format!("{field} must not be empty")));
    }
    optional_text(v, field, max)
}

fn optional_text(v: &str, field: &str, max: usize) -> Result<String, AppError> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(AppError::bad_request(format!(
            "{field} is longer than {max} characters"
        )));
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests;
