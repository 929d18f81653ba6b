//! Types for API keys. The key itself appears only in `CreatedApiKey`, once.

use async_graphql::{ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};

use crate::auth::ApiKeyPermission;
use crate::auth::api_keys::{KeyStatus, masked, permission_from_db, status_of};
use crate::db::entities::api_key;

#[derive(SimpleObject)]
pub struct ApiKey {
    pub id: ID,
    pub name: String,
    pub description: Option<String>,
    pub permission: ApiKeyPermission,
    pub status: KeyStatus,
    /// The display prefix and a mask, e.g. `bbk_AbCdEfGh…••••`.
    pub masked_key: String,
    pub rate_limit_per_minute: i32,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<api_key::Model> for ApiKey {
    fn from(k: api_key::Model) -> Self {
        Self {
            id: ID(k.id.to_string()),
            status: status_of(&k),
            permission: permission_from_db(&k.permission),
            masked_key: masked(&k.key_prefix),
            name: k.name,
            description: k.description,
            rate_limit_per_minute: k.rate_limit_per_minute,
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// The new key, shown only this once: store it now.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    pub key: String,
    pub api_key: ApiKey,
}

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    pub name: String,
    pub permission: ApiKeyPermission,
    /// Days until the key stops working (1 to 3650); never when left out.
    pub expires_in_days: Option<i32>,
    /// Requests per minute (1 to 100000).
    #[graphql(default = 100)]
    pub rate_limit_per_minute: i32,
    pub description: Option<String>,
}
