//! Reading tickets. A client sees only its own; staff and API keys see all,
//! optionally narrowed to one client. Isolation is decided here from the
//! caller's identity, never from arguments.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::auth::Identity;
use crate::auth::guard::{RoleGuard, app_state, identity};
use crate::db::entities::ticket;
use crate::db::repo::tickets::{self, TicketFilter};
use crate::error::AppError;
use crate::graphql::types::tickets::Ticket;
use crate::tickets::{TicketPriority, TicketStatus};

pub const DEFAULT_PAGE: i32 = 20;
pub const MAX_PAGE: i32 = 100;

#[derive(Default)]
pub struct TicketsQuery;

#[Object]
impl TicketsQuery {
    /// Tickets, newest first.
    #[graphql(
        guard = "RoleGuard::authenticated()",
        complexity = "first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize * child_complexity + 1"
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
        let state = app_state(ctx)?;
        let first = first.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&first) {
            return Err(
                AppError::bad_request(format!("first must be between 1 and {MAX_PAGE}")).into(),
            );
        }
        let before = after.as_deref().map(decode_cursor).transpose()?;
        let filter = TicketFilter {
            client_id: scope(identity(ctx), client_id.as_ref())?,
            status: status.map(TicketStatus::code),
            priority: priority.map(TicketPriority::code),
            search,
        };
        let (rows, more) = tickets::page(&state.db, &filter, before, first.unsigned_abs().into())
            .await
            .map_err(AppError::from)?;
        let mut conn = Connection::new(before.is_some(), more);
        conn.edges.extend(
            rows.into_iter()
                .map(|t| Edge::new(encode_cursor(t.number), Ticket::from(t))),
        );
        Ok(conn)
    }

    /// One ticket. A client asking for another client's ticket gets NOT_FOUND,
    /// exactly as for a ticket that does not exist.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn ticket(&self, ctx: &Context<'_>, id: ID) -> Result<Ticket> {
        let state = app_state(ctx)?;
        Ok(visible_ticket(&state.db, identity(ctx), &id).await?.into())
    }
}

/// The client filter the caller is entitled to.
fn scope(who: &Identity, requested: Option<&ID>) -> Result<Option<uuid::Uuid>, AppError> {
    let requested = requested.map(|id| parse_id(id, "clientId")).transpose()?;
    match who {
        Identity::Client { client_id, .. } => match requested {
            Some(r) if r != *client_id => Err(AppError::Forbidden(
                "clients see only their own tickets".to_owned(),
            )),
            _ => Ok(Some(*client_id)),
        },
        _ => Ok(requested),
    }
}

/// Loads a ticket the caller may see, or NOT_FOUND.
pub async fn visible_ticket(
    db: &sea_orm::DatabaseConnection,
    who: &Identity,
    id: &ID,
) -> Result<ticket::Model, AppError> {
    let not_found = || AppError::NotFound("no such ticket".to_owned());
    let uuid = parse_id(id, "id").map_err(|_| not_found())?;
    let t = tickets::find(db, uuid).await?.ok_or_else(not_found)?;
    match who {
        Identity::Client { client_id, .. } if t.client_id != Some(*client_id) => Err(not_found()),
        Identity::Anonymous => Err(AppError::Unauthenticated("sign in to do this".to_owned())),
        _ => Ok(t),
    }
}

pub fn parse_id(id: &ID, what: &str) -> Result<uuid::Uuid, AppError> {
    id.parse()
        .map_err(|_| AppError::bad_request(format!("{what} is not a valid id")))
}

fn encode_cursor(number: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("ticket:{number}"))
}

fn decode_cursor(cursor: &str) -> Result<i64, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("ticket:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| AppError::bad_request("after is not a cursor from this list"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        assert_eq!(decode_cursor(&encode_cursor(42)).ok(), Some(42));
        assert!(decode_cursor("nope").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("client:1")).is_err());
    }
}
