//! Creating and changing tickets. Every change is stored at once (and returned
//! as PENDING) and reaches Monday through the outbox, so nothing a client
//! submits is lost while Monday is down. The rules live in `TicketService`.

use async_graphql::{Context, ID, Object, Result, Upload};

use crate::auth::RoleGuard;
use crate::error::AppError;
use crate::graphql::guard::{actor, app_state};
use crate::graphql::types::attachments;
use crate::graphql::types::tickets::{CreateTicketInput, Ticket, TicketComment, UpdateTicketInput};
use crate::ids::parse_uuid;
use crate::state::AppState;
use crate::tickets::board::Change;
use crate::tickets::service::NewTicket;
use crate::tickets::{TicketService, Visibility};

#[derive(Default)]
pub struct TicketMutation;

#[Object]
impl TicketMutation {
    /// Opens a ticket. Returned at once with `syncState: PENDING`; it becomes
    /// `SYNCED` when the Monday item exists.
    #[graphql(guard = "RoleGuard::authenticated().write()")]
    async fn create_ticket(
        &self,
        ctx: &Context<'_>,
        input: CreateTicketInput,
        #[graphql(desc = "Files to attach (GraphQL multipart request), kept on a first comment.")]
        attachments: Option<Vec<Upload>>,
    ) -> Result<Ticket> {
        let client_id = input
            .client_id
            .as_ref()
            .map(|id| parse_uuid(id, "clientId"))
            .transpose()?;
        let input = NewTicket {
            title: input.title,
            description: input.description,
            priority: input.priority,
            client_id,
            files: attachments::read(ctx, attachments)?,
        };
        let t = service(app_state(ctx)?)?
            .create_as(actor(ctx), input)
            .await?;
        Ok(t.into())
    }

    /// Changes a ticket. Clients may edit the title and description of their
    /// own tickets and close them; staff may change anything.
    #[graphql(guard = "RoleGuard::authenticated().write()")]
    async fn update_ticket(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateTicketInput,
    ) -> Result<Ticket> {
        let change = Change {
            title: input.title,
            description: input.description,
            status: input.status,
            priority: input.priority,
        };
        let t = service(app_state(ctx)?)?
            .update_as(actor(ctx), &id, change)
            .await?;
        Ok(t.into())
    }

    /// Adds a comment; it appears on the Monday item as an update. Staff and
    /// API keys may write an INTERNAL note, which the client never sees; it
    /// reaches Monday opening with the first internal marker.
    #[graphql(guard = "RoleGuard::authenticated().write()")]
    async fn add_ticket_comment(
        &self,
        ctx: &Context<'_>,
        ticket_id: ID,
        body: String,
        #[graphql(default_with = "Visibility::Public")] visibility: Visibility,
        #[graphql(
            desc = "Files to attach (GraphQL multipart request); the body may then be empty."
        )]
        attachments: Option<Vec<Upload>>,
    ) -> Result<TicketComment> {
        let files = attachments::read(ctx, attachments)?;
        let c = service(app_state(ctx)?)?
            .comment_as(actor(ctx), &ticket_id, &body, visibility, files)
            .await?;
        Ok(c.into())
    }
}

pub fn service(state: &AppState) -> Result<&TicketService, AppError> {
    state.tickets.as_deref().ok_or_else(|| {
        AppError::Unavailable("the Monday tickets board is not configured".to_owned())
    })
}
