//! Creating and changing tickets. Every change is stored at once (and returned
//! as PENDING) and reaches Monday through the outbox, so nothing a client
//! submits is lost while Monday is down.

use async_graphql::{Context, ID, Object, Result};

use crate::auth::Identity;
use crate::auth::guard::{RoleGuard, app_state, identity};
use crate::db::repo::clients;
use crate::error::AppError;
use crate::graphql::query::tickets::{parse_id, visible_ticket};
use crate::graphql::types::tickets::{CreateTicketInput, Ticket, TicketComment, UpdateTicketInput};
use crate::state::AppState;
use crate::tickets::board::Change;
use crate::tickets::service::Author;
use crate::tickets::{TicketService, TicketStatus};

const MAX_TITLE: usize = 255;
const MAX_TEXT: usize = 10_000;

#[derive(Default)]
pub struct TicketMutation;

#[Object]
impl TicketMutation {
    /// Opens a ticket. Returned at once with `syncState: PENDING`; it becomes
    /// `SYNCED` when the Monday item exists.
    #[graphql(guard = "RoleGuard::authenticated().write()")]
    async fn create_ticket(&self, ctx: &Context<'_>, input: CreateTicketInput) -> Result<Ticket> {
        let state = app_state(ctx)?;
        let service = service(state)?;
        let title = required_text(&input.title, "title", MAX_TITLE)?;
        let description = optional_text(&input.description, "description", MAX_TEXT)?;
        let client_id = match identity(ctx) {
            Identity::Client { client_id, .. } => *client_id,
            _ => {
                let id = input.client_id.as_ref().ok_or_else(|| {
                    AppError::bad_request("clientId is required when staff create a ticket")
                })?;
                let id = parse_id(id, "clientId")?;
                clients::find_by_id(&state.db, id)
                    .await
                    .map_err(AppError::from)?
                    .ok_or_else(|| AppError::NotFound("no such client".to_owned()))?
                    .id
            }
        };
        let t = service
            .create(client_id, title, description, input.priority)
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
        let state = app_state(ctx)?;
        let service = service(state)?;
        let who = identity(ctx);
        let current = visible_ticket(&state.db, who, &id).await?;
        if matches!(who, Identity::Client { .. }) {
            if input.priority.is_some() {
                return Err(
                    AppError::Forbidden("clients cannot change the priority".to_owned()).into(),
                );
            }
            if input.status.is_some_and(|s| s != TicketStatus::Closed) {
                return Err(
                    AppError::Forbidden("clients may only close a ticket".to_owned()).into(),
                );
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
        Ok(service.update(current, change).await?.into())
    }

    /// Adds a comment; it appears on the Monday item as an update.
    #[graphql(guard = "RoleGuard::authenticated().write()")]
    async fn add_ticket_comment(
        &self,
        ctx: &Context<'_>,
        ticket_id: ID,
        body: String,
    ) -> Result<TicketComment> {
        let state = app_state(ctx)?;
        let service = service(state)?;
        let who = identity(ctx);
        let ticket = visible_ticket(&state.db, who, &ticket_id).await?;
        let body = required_text(&body, "body", MAX_TEXT)?;
        let author = match who {
            Identity::Client {
                client_id, email, ..
            } => Author {
                name: clients::find_by_id(&state.db, *client_id)
                    .await
                    .map_err(AppError::from)?
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
            Identity::Anonymous => {
                return Err(AppError::Unauthenticated("sign in to do this".to_owned()).into());
            }
        };
        Ok(service.comment(ticket, author, body).await?.into())
    }
}

pub fn service(state: &AppState) -> Result<&TicketService, AppError> {
    state.tickets.as_deref().ok_or_else(|| {
        AppError::Unavailable("the Monday tickets board is not configured".to_owned())
    })
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
