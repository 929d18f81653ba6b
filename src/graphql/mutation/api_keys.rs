//! Creating and revoking API keys (admins and ADMIN keys only).

use async_graphql::{Context, ID, Object, Result};
use chrono::{Duration, Utc};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

use crate::auth::RoleGuard;
use crate::auth::api_keys::{display_prefix, generate, permission_to_db, sha256_hex};
use crate::auth::audit::{self, actions};
use crate::auth::guard::{app_state, client_ip, identity};
use crate::db::entities::api_key;
use crate::db::repo::api_keys;
use crate::error::AppError;
use crate::graphql::query::auth::parse_id;
use crate::graphql::types::api_keys::{ApiKey, CreateApiKeyInput, CreatedApiKey};

#[derive(Default)]
pub struct ApiKeyMutation;

#[Object]
impl ApiKeyMutation {
    /// Creates a key. The returned `key` is shown only this once; only its
    /// hash is stored.
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> Result<CreatedApiKey> {
        let state = app_state(ctx)?;
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::bad_request("name must be 1 to 100 characters").into());
        }
        if !(1..=100_000).contains(&input.rate_limit_per_minute) {
            return Err(
                AppError::bad_request("rateLimitPerMinute must be between 1 and 100000").into(),
            );
        }
        let expires_at = match input.expires_in_days {
            None => None,
            Some(d @ 1..=3650) => Some(Utc::now() + Duration::days(d.into())),
            Some(_) => {
                return Err(
                    AppError::bad_request("expiresInDays must be between 1 and 3650").into(),
                );
            }
        };
        let description = input
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| d.chars().take(1000).collect::<String>());
        let who = identity(ctx);
        let key = generate()?;
        let row = api_key::ActiveModel {
            id: Set(Uuid::new_v4()),
            name: Set(name.to_owned()),
            description: Set(description),
            permission: Set(permission_to_db(input.permission).to_owned()),
            key_hash: Set(sha256_hex(&key)),
            key_prefix: Set(display_prefix(&key)),
            rate_limit_per_minute: Set(input.rate_limit_per_minute),
            created_by: Set(Some(who.audit_actor())),
            created_at: Set(Utc::now()),
            expires_at: Set(expires_at),
            last_used_at: Set(None),
            revoked_at: Set(None),
        };
        let created = api_keys::insert(&state.db, row)
            .await
            .map_err(AppError::from)?;
        let target = Some(format!("api_key:{} ({})", created.name, created.id));
        audit::record(state, who, actions::API_KEY_CREATED, target, client_ip(ctx)).await;
        Ok(CreatedApiKey {
            key,
            api_key: created.into(),
        })
    }

    /// Revokes a key at once; it cannot be restored.
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKey> {
        let state = app_state(ctx)?;
        let id = parse_id(&id)?;
        let revoked = api_keys::revoke(&state.db, id)
            .await
            .map_err(AppError::from)?;
        let row = api_keys::find_by_id(&state.db, id)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::NotFound("no such API key".to_owned()))?;
        if revoked {
            state.auth.key_limiter.forget(id);
            state.auth.identities.forget_key(id);
            let target = Some(format!("api_key:{} ({})", row.name, row.id));
            audit::record(
                state,
                identity(ctx),
                actions::API_KEY_REVOKED,
                target,
                client_ip(ctx),
            )
            .await;
        }
        Ok(row.into())
    }
}
