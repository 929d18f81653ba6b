//! Types for sessions and staff accounts: `Viewer`, `AuthPayload`, `User`.

use async_graphql::{Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};

use crate::auth::session::role_from_db;
use crate::auth::{ApiKeyPermission, Identity, Role};
use crate::db::entities::{client, user};
use crate::graphql::types::clients::Client;

/// What kind of caller a `Viewer` is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewerKind {
    Staff,
    Client,
    ApiKey,
}

/// The signed-in caller.
#[derive(SimpleObject)]
pub struct Viewer {
    pub kind: ViewerKind,
    /// User id, client id or API key id.
    pub id: ID,
    /// Username, client email or key name.
    pub display_name: String,
    /// Staff only.
    pub role: Option<Role>,
    /// Clients only.
    pub client: Option<Client>,
    /// API keys only.
    pub api_key_permission: Option<ApiKeyPermission>,
}

impl Viewer {
    pub fn for_staff(user: &user::Model) -> Self {
        Self {
            kind: ViewerKind::Staff,
            id: ID(user.id.to_string()),
            display_name: user.username.clone(),
            role: Some(role_from_db(&user.role)),
            client: None,
            api_key_permission: None,
        }
    }

    pub fn for_client(c: client::Model) -> Self {
        Self {
            kind: ViewerKind::Client,
            id: ID(c.id.to_string()),
            display_name: c.email.clone(),
            role: None,
            client: Some(c.into()),
            api_key_permission: None,
        }
    }

    /// For identities that need no lookup (staff and API keys).
    pub fn from_identity(identity: &Identity) -> Option<Self> {
        match identity {
            Identity::Staff {
                user_id,
                username,
                role,
                ..
            } => Some(Self {
                kind: ViewerKind::Staff,
                id: ID(user_id.to_string()),
                display_name: username.clone(),
                role: Some(*role),
                client: None,
                api_key_permission: None,
            }),
            Identity::ApiKey {
                key_id,
                name,
                permission,
                ..
            } => Some(Self {
                kind: ViewerKind::ApiKey,
                id: ID(key_id.to_string()),
                display_name: name.clone(),
                role: None,
                client: None,
                api_key_permission: Some(*permission),
            }),
            Identity::Client { .. } | Identity::Anonymous => None,
        }
    }
}

/// A new session: send `token` as `Authorization: Bearer <token>`.
#[derive(SimpleObject)]
pub struct AuthPayload {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub viewer: Viewer,
}

/// A staff account.
#[derive(SimpleObject)]
pub struct User {
    pub id: ID,
    pub username: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for User {
    fn from(u: user::Model) -> Self {
        Self {
            id: ID(u.id.to_string()),
            role: role_from_db(&u.role),
            username: u.username,
            created_at: u.created_at,
        }
    }
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub username: String,
    /// At least 8 characters.
    pub password: String,
    pub role: Role,
}
