//! `ticketUpdates`: live ticket changes. Which events a caller receives is
//! decided from the identity established when the connection was opened
//! (its token), never from arguments: a client hears only about its own
//! tickets; staff hear about all of them.

use std::time::Duration;

use async_graphql::{Context, ID, Result, Subscription};
use futures_util::future::{self, Either};
use futures_util::{Stream, StreamExt};

use crate::auth::guard::{RoleGuard, app_state, identity};
use crate::auth::{Identity, SessionToken, api_keys, jwt, session};
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
        // A session that ends (logout, password change, deleted account),
        // or an API key revoked, ends its open subscriptions too: checked at
        // every event, before filtering, so any event ends a dead session;
        // and the stream stops when the token expires.
        let token = ctx.data_opt::<SessionToken>().cloned();
        let expiry = match token.as_ref().map(|t| jwt::decode(&state.keys, &t.0)) {
            Some(Ok(claims)) => {
                let left = claims.exp - chrono::Utc::now().timestamp();
                Either::Left(tokio::time::sleep(Duration::from_secs(left.max(0) as u64)))
            }
            Some(Err(e)) => return Err(e.into()),
            None => Either::Right(future::pending()),
        };
        let key = match identity(ctx) {
            Identity::ApiKey { key_id, .. } => Some(*key_id),
            _ => None,
        };
        let state = state.clone();
        Ok(state
            .events
            .subscribe()
            .take_while(move |_| {
                let (state, token) = (state.clone(), token.clone());
                async move {
                    match (token, key) {
                        (Some(t), _) => session::from_token(&state, &t.0).await.is_ok(),
                        (None, Some(k)) => api_keys::still_active(&state, k).await,
                        (None, None) => true,
                    }
                }
            })
            .filter(move |e| {
                let visible = owner.is_none_or(|c| e.ticket.client_id == Some(c))
                    && only.is_none_or(|t| e.ticket.id == t);
                async move { visible }
            })
            .take_until(expiry)
            .map(TicketEvent::from))
    }
}
