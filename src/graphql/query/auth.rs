//! `me` for every signed-in caller; the staff account list for admins.

use async_graphql::{Context, ID, Object, Result};
use uuid::Uuid;

use crate::auth::guard::{app_state, identity};
use crate::auth::{Identity, RoleGuard};
use crate::db::repo::{clients, users};
use crate::error::AppError;
use crate::graphql::types::auth::{User, Viewer};

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in caller: staff, client or API key.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<Viewer>> {
        let who = identity(ctx);
        if let Identity::Client { client_id, .. } = who {
            let state = app_state(ctx)?;
            let client = clients::find_by_id(&state.db, *client_id)
                .await
                .map_err(AppError::from)?;
            return Ok(client.map(Viewer::for_client));
        }
        Ok(Viewer::from_identity(who))
    }

    /// Staff accounts, by username.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let state = app_state(ctx)?;
        let rows = users::list(&state.db).await.map_err(AppError::from)?;
        Ok(rows.into_iter().map(User::from).collect())
    }
}

/// Parses a GraphQL `ID` holding a UUID.
pub fn parse_id(id: &ID) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::bad_request(format!("{:?} is not a valid id", id.as_str())))
}

/// `first` for connections: 20 when absent, 1 to 100 otherwise.
pub fn page_size(first: Option<i32>) -> Result<u64, AppError> {
    match first {
        None => Ok(20),
        Some(n @ 1..=100) => Ok(n.unsigned_abs().into()),
        Some(_) => Err(AppError::bad_request("first must be between 1 and 100")),
    }
}
