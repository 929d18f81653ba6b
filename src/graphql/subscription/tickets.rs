//! `ticketUpdates`: live ticket changes. Which events a caller receives is
//! decided from the identity established when the connection was opened
//! (its token), never from arguments: a client hears only about its own
//! tickets; staff hear about all of them.

use async_graphql::{Context, ID, Result, Subscription};
use futures_util::{Stream, StreamExt};

use crate::auth::Identity;
use crate::auth::guard::{RoleGuard, app_state, identity};
use crate::db::repo::sessions;
use crate::graphql::query::tickets::parse_id;
use crate::graphql::types::tickets::TicketEvent;

#[derive(Default)]
pub struct TicketSubscription;

#[Subscription]
impl TicketSubscription {
    /// Changes to tickets the caller may see; `ticketId` narrows to one.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn ticket_updates(
        &self,
        ctx: &Context<'_>,
        ticket_id: Option<ID>,
    ) -> Result<impl Stream<Item = TicketEvent> + use<>> {
        let state = app_state(ctx)?;
        let only = ticket_id
            .as_ref()
            .map(|id| parse_id(id, "ticketId"))
            .transpose()?;
        let owner = match identity(ctx) {
            Identity::Client { client_id, .. } => Some(*client_id),
            _ => None,
        };
        // A session that ends (logout, password change, deleted client) ends
        // its open subscriptions too: checked before each delivery.
        let jti = identity(ctx).jti().map(str::to_owned);
        let db = state.db.clone();
        Ok(state
            .events
            .subscribe()
            .filter(move |e| {
                let visible = owner.is_none_or(|c| e.ticket.client_id == Some(c))
                    && only.is_none_or(|t| e.ticket.id == t);
                async move { visible }
            })
            .take_while(move |_| {
                let (db, jti) = (db.clone(), jti.clone());
                async move {
                    match jti {
                        Some(j) => !sessions::is_revoked(&db, &j).await.unwrap_or(true),
                        None => true,
                    }
                }
            })
            .map(TicketEvent::from))
    }
}
