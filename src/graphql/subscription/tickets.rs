//! `ticketUpdates`: live ticket changes. Which events a caller receives is
//! decided from the identity established when the connection was opened
//! (its token), never from arguments, by the same rule as every ticket read.

use async_graphql::{Context, ID, Result, Subscription};
use futures_util::future::{self, Either};
use futures_util::{Stream, StreamExt};

use crate::auth::RoleGuard;
use crate::auth::{Identity, SessionToken};
use crate::graphql::guard::{app_state, identity};
use crate::graphql::types::tickets::TicketEvent;
use crate::ids::parse_uuid;
use crate::tickets::TicketService;

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
            .map(|id| parse_uuid(id, "ticketId"))
            .transpose()?;
        let who = identity(ctx).clone();
        // A session that ends (logout, password change, deleted account),
        // or an API key revoked, closes its socket at once (`http/graphql/
        // ws.rs`); the check here, before each event this caller would get,
        // keeps one from slipping through meanwhile. The stream stops when
        // the token expires.
        let token = ctx.data_opt::<SessionToken>().cloned();
        let expiry = match &token {
            Some(t) => {
                let left = state.sessions.expires_at(&t.0)? - chrono::Utc::now();
                Either::Left(tokio::time::sleep(left.to_std().unwrap_or_default()))
            }
            None => Either::Right(future::pending()),
        };
        let key = match &who {
            Identity::ApiKey { key_id, .. } => Some(*key_id),
            _ => None,
        };
        let state = state.clone();
        // Only events about tickets `who` may see are routed here at all.
        Ok(state
            .ticket_fanout
            .subscribe(&who)
            .filter_map(move |e| {
                let event = (TicketService::event_visible_to(&who, &e)
                    && only.is_none_or(|t| e.ticket.id == t))
                .then(|| e.as_ref().clone());
                async move { event }
            })
            .take_while(move |_| {
                let (state, token) = (state.clone(), token.clone());
                async move {
                    match (token, key) {
                        (Some(t), _) => state.sessions.from_token(&t.0).await.is_ok(),
                        (None, Some(k)) => state.api_keys.still_active(k).await,
                        (None, None) => true,
                    }
                }
            })
            .take_until(expiry)
            .map(TicketEvent::from))
    }
}
