//! GraphQL shapes of tickets, their comments and their change events.

use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::db::entities::{ticket, ticket_comment};
use crate::graphql::loaders::{ClientLoader, CommentLoader};
use crate::graphql::types::attachments::{self, TicketAttachment};
use crate::graphql::types::clients::Client;
use crate::tickets::{
    SyncState, TicketEventKind, TicketPriority, TicketService, TicketStatus, Visibility,
};

/// A support ticket: an item on the Monday tickets board.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Ticket {
    pub id: ID,
    /// Short number for people to quote.
    pub number: i64,
    pub title: String,
    pub description: String,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The Monday item, once delivered.
    pub monday_item_id: Option<ID>,
    pub sync_state: SyncState,
    #[graphql(skip)]
    pub sync_error: Option<String>,
    #[graphql(skip)]
    pub client_id: Option<uuid::Uuid>,
    #[graphql(skip)]
    pub uuid: uuid::Uuid,
}

impl From<ticket::Model> for Ticket {
    fn from(t: ticket::Model) -> Self {
        Self {
            id: ID(t.id.to_string()),
            number: t.number,
            title: t.title,
            description: t.description,
            status: TicketStatus::from_code(&t.status).unwrap_or(TicketStatus::Open),
            priority: TicketPriority::from_code(&t.priority).unwrap_or(TicketPriority::Medium),
            created_at: t.created_at,
            updated_at: t.updated_at,
            monday_item_id: t.monday_item_id.map(ID),
            sync_state: SyncState::from_code(&t.sync_state),
            sync_error: t.sync_error,
            client_id: t.client_id,
            uuid: t.id,
        }
    }
}

#[ComplexObject]
impl Ticket {
    /// Why Monday refused this ticket for good, when `syncState` is FAILED
    /// (the change is not retried). Staff and API keys only: null for clients.
    async fn sync_error(&self, ctx: &Context<'_>) -> Option<&str> {
        let who = crate::graphql::guard::identity(ctx);
        who.is_staff()
            .then_some(self.sync_error.as_deref())
            .flatten()
    }

    /// The client the ticket belongs to.
    async fn client(&self, ctx: &Context<'_>) -> Result<Option<Client>> {
        let Some(id) = self.client_id else {
            return Ok(None);
        };
        let loader = ctx.data::<DataLoader<ClientLoader>>()?;
        Ok(loader.load_one(id).await?.map(Client::from))
    }

    /// Comments, oldest first: the client's and staff's (Monday updates).
    /// Clients see public comments only; staff and API keys see internal
    /// notes too.
    async fn comments(&self, ctx: &Context<'_>) -> Result<Vec<TicketComment>> {
        let who = crate::graphql::guard::identity(ctx);
        let loader = ctx.data::<DataLoader<CommentLoader>>()?;
        Ok(loader
            .load_one(self.uuid)
            .await?
            .unwrap_or_default()
            .into_iter()
            .filter(|c| TicketService::comment_visible_to(who, c))
            .map(TicketComment::from)
            .collect())
    }

    /// Every file on the comments the caller sees, oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<TicketAttachment>> {
        let who = crate::graphql::guard::identity(ctx);
        let loader = ctx.data::<DataLoader<CommentLoader>>()?;
        let comments: Vec<uuid::Uuid> = loader
            .load_one(self.uuid)
            .await?
            .unwrap_or_default()
            .iter()
            .filter(|c| TicketService::comment_visible_to(who, c))
            .map(|c| c.id)
            .collect();
        attachments::of_comments(ctx, &comments).await
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CommentAuthorKind {
    Client,
    Staff,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct TicketComment {
    pub id: ID,
    pub body: String,
    pub author_name: String,
    pub author_kind: CommentAuthorKind,
    pub created_at: DateTime<Utc>,
    pub sync_state: SyncState,
    /// Whether the client sees it (always PUBLIC in a client's answers).
    pub visibility: Visibility,
    #[graphql(skip)]
    pub uuid: uuid::Uuid,
}

#[ComplexObject]
impl TicketComment {
    /// Files sent with it.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<TicketAttachment>> {
        attachments::of_comments(ctx, &[self.uuid]).await
    }
}

impl From<ticket_comment::Model> for TicketComment {
    fn from(c: ticket_comment::Model) -> Self {
        Self {
            id: ID(c.id.to_string()),
            uuid: c.id,
            body: c.body,
            author_name: c.author_name,
            author_kind: if c.author_kind == "CLIENT" {
                CommentAuthorKind::Client
            } else {
                CommentAuthorKind::Staff
            },
            created_at: c.created_at,
            sync_state: SyncState::from_code(&c.sync_state),
            visibility: Visibility::from_code(&c.visibility),
        }
    }
}

/// One change to a ticket, as the live subscription delivers it.
#[derive(SimpleObject, Clone)]
pub struct TicketEvent {
    pub kind: TicketEventKind,
    pub ticket: Ticket,
    /// `Ticket` fields that changed (empty for CREATED and DELETED).
    pub changed_fields: Vec<String>,
    pub at: DateTime<Utc>,
}

impl From<crate::tickets::TicketEvent> for TicketEvent {
    fn from(e: crate::tickets::TicketEvent) -> Self {
        Self {
            kind: e.kind,
            ticket: e.ticket.into(),
            changed_fields: e.changed_fields,
            at: e.at,
        }
    }
}

#[derive(InputObject)]
pub struct CreateTicketInput {
    /// 1 to 255 characters.
    pub title: String,
    #[graphql(default)]
    pub description: String,
    #[graphql(default_with = "TicketPriority::Medium")]
    pub priority: TicketPriority,
    /// Staff and API keys create tickets on behalf of a client; a client's
    /// own tickets are always its own.
    pub client_id: Option<ID>,
}

#[derive(InputObject, Default)]
pub struct UpdateTicketInput {
    pub title: Option<String>,
    pub description: Option<String>,
    /// Clients may only close their tickets.
    pub status: Option<TicketStatus>,
    /// Staff only.
    pub priority: Option<TicketPriority>,
}
