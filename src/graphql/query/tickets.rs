//! Reading tickets. Which ones a caller sees is decided by `TicketService`
//! from the caller's identity, never from arguments.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};

use crate::auth::RoleGuard;
use crate::graphql::guard::{app_state, identity};
use crate::graphql::mutation::tickets::service;
use crate::graphql::pagination::{self, page_cost, page_size};
use crate::graphql::types::tickets::Ticket;
use crate::ids::parse_uuid;
use crate::tickets::service::TicketQuery;
use crate::tickets::{TicketPriority, TicketStatus};

#[derive(Default)]
pub struct TicketsQuery;

const LIST: &str = "tickets";

#[Object]
impl TicketsQuery {
    /// Tickets, newest first.
    #[graphql(
        guard = "RoleGuard::authenticated()",
        complexity = "page_cost(first, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
        status: Option<TicketStatus>,
        priority: Option<TicketPriority>,
        #[graphql(desc = "Case-insensitive text in the title or description.")] search: Option<
            String,
        >,
        #[graphql(desc = "Staff only: one client's tickets.")] client_id: Option<ID>,
    ) -> Result<Connection<String, Ticket>> {
        let query = TicketQuery {
            first: page_size(first)?,
            before: pagination::after::<i64>(LIST, after.as_deref())?,
            status,
            priority,
            search,
            client_id: client_id
                .as_ref()
                .map(|id| parse_uuid(id, "clientId"))
                .transpose()?,
        };
        let has_previous = query.before.is_some();
        let (rows, more) = service(app_state(ctx)?)?
            .list_visible(identity(ctx), query)
            .await?;
        Ok(pagination::connection(
            LIST,
            rows,
            has_previous,
            more,
            |t| t.number,
            Ticket::from,
        ))
    }

    /// One ticket. A client asking for another client's ticket gets NOT_FOUND,
    /// exactly as for a ticket that does not exist.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn ticket(&self, ctx: &Context<'_>, id: ID) -> Result<Ticket> {
        let t = service(app_state(ctx)?)?
            .get_visible(identity(ctx), &id)
            .await?;
        Ok(t.into())
    }
}
