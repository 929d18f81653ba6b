//! Admin management of clients, and inviting one (sends a magic link).

use async_graphql::{Context, ID, Object, Result};
use chrono::Utc;
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

use crate::auth::RoleGuard;
use crate::auth::audit::{self, actions};
use crate::auth::guard::{app_state, client_ip, identity};
use crate::auth::keys::random_hex;
use crate::auth::magic_link::{self, normalize_email};
use crate::db::entities::client;
use crate::db::repo::clients;
use crate::error::AppError;
use crate::graphql::query::auth::parse_id;
use crate::graphql::types::clients::{Client, CreateClientInput, UpdateClientInput};

#[derive(Default)]
pub struct ClientMutation;

#[Object]
impl ClientMutation {
    /// Adds a client; `portalId` is generated from the company or name when left out.
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn create_client(&self, ctx: &Context<'_>, input: CreateClientInput) -> Result<Client> {
        let state = app_state(ctx)?;
        let email = valid_email(&input.email)?;
        let name = valid_text("name", &input.name)?;
        let company = input
            .company
            .as_deref()
            .map(|c| valid_text("company", c))
            .transpose()?;
        let portal_id = match input
            .portal_id
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(p) => valid_portal_id(p)?,
            None => generate_portal_id(company.as_deref().unwrap_or(&name)),
        };
        if clients::find_by_email(&state.db, &email)
            .await
            .map_err(AppError::from)?
            .is_some()
        {
            return Err(AppError::Conflict("a client with this email exists".to_owned()).into());
        }
        if clients::find_by_portal_id(&state.db, &portal_id)
            .await
            .map_err(AppError::from)?
            .is_some()
        {
            return Err(AppError::Conflict("this portalId is taken".to_owned()).into());
        }
        let now = Utc::now();
        let row = client::ActiveModel {
            id: Set(Uuid::new_v4()),
            portal_id: Set(portal_id),
            email: Set(email),
            name: Set(name),
            company: Set(company),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let created = clients::insert(&state.db, row).await.map_err(conflict)?;
        let target = Some(format!("client:{}", created.id));
        audit::record(
            state,
            identity(ctx),
            actions::CLIENT_CREATED,
            target,
            client_ip(ctx),
        )
        .await;
        Ok(created.into())
    }

    /// Changes the given fields of a client.
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn update_client(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateClientInput,
    ) -> Result<Client> {
        let state = app_state(ctx)?;
        let existing = find(state, &id).await?;
        let mut row = client::ActiveModel {
            id: Set(existing.id),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        if let Some(email) = &input.email {
            let email = valid_email(email)?;
            if email != existing.email
                && clients::find_by_email(&state.db, &email)
                    .await
                    .map_err(AppError::from)?
                    .is_some()
            {
                return Err(
                    AppError::Conflict("a client with this email exists".to_owned()).into(),
                );
            }
            row.email = Set(email);
        }
        if let Some(name) = &input.name {
            row.name = Set(valid_text("name", name)?);
        }
        if let Some(company) = &input.company {
            row.company = Set(match company.trim() {
                "" => None,
                c => Some(valid_text("company", c)?),
            });
        }
        let updated = clients::update(&state.db, row).await.map_err(conflict)?;
        // Sessions and cached tickets carry the client's old details.
        state.auth.identities.clear();
        state.responses.everything_changed();
        let target = Some(format!("client:{}", updated.id));
        audit::record(
            state,
            identity(ctx),
            actions::CLIENT_UPDATED,
            target,
            client_ip(ctx),
        )
        .await;
        Ok(updated.into())
    }

    /// Removes a client and its pending magic links.
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn delete_client(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let state = app_state(ctx)?;
        let existing = find(state, &id).await?;
        clients::delete(&state.db, existing.id)
            .await
            .map_err(AppError::from)?;
        // Its sessions end now, and its tickets lose their owner.
        state.auth.identities.clear();
        state.responses.everything_changed();
        let target = Some(format!("client:{} ({})", existing.id, existing.email));
        audit::record(
            state,
            identity(ctx),
            actions::CLIENT_DELETED,
            target,
            client_ip(ctx),
        )
        .await;
        Ok(true)
    }

    /// Emails the client a sign-in link now (within the hourly limit).
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn invite_client(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let state = app_state(ctx)?;
        let existing = find(state, &id).await?;
        let (who, ip) = (identity(ctx), client_ip(ctx));
        magic_link::issue_and_send(state, &existing, who, ip).await?;
        let target = Some(format!("client:{}", existing.id));
        audit::record(state, who, actions::CLIENT_INVITED, target, ip).await;
        Ok(true)
    }
}

async fn find(state: &crate::state::AppState, id: &ID) -> Result<client::Model, AppError> {
    clients::find_by_id(&state.db, parse_id(id)?)
        .await?
        .ok_or_else(|| AppError::NotFound("no such client".to_owned()))
}

fn conflict(e: sea_orm::DbErr) -> AppError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::Conflict("a client with this email or portalId exists".to_owned())
        }
        _ => e.into(),
    }
}

fn valid_email(email: &str) -> Result<String, AppError> {
    let email = normalize_email(email);
    let ok = email.len() <= 320
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c == '<' || c == '>');
    if ok {
        Ok(email)
    } else {
        Err(AppError::bad_request("email is not a valid address"))
    }
}

fn valid_text(field: &str, value: &str) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 200 || v.chars().any(char::is_control) {
        return Err(AppError::bad_request(format!(
            "{field} must be 1 to 200 characters"
        )));
    }
    Ok(v.to_owned())
}

fn valid_portal_id(p: &str) -> Result<String, AppError> {
    let p = p.to_lowercase();
    if (3..=64).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(p)
    } else {
        Err(AppError::bad_request(
            "portalId must be 3 to 64 characters: letters, digits or '-'",
        ))
    }
}

/// `acme-corp-3f9a2c`: readable, with a random suffix against collisions.
fn generate_portal_id(from: &str) -> String {
    let mut slug = String::new();
    for c in from.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(40).collect();
    let slug = if slug.is_empty() {
        "client".to_owned()
    } else {
        slug
    };
    format!("{}-{}", slug.trim_end_matches('-'), random_hex(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_ids_are_slugs_with_a_suffix() {
        let p = generate_portal_id("ACME Corp, Ltd.");
        assert!(p.starts_with("acme-corp-ltd-"), "{p}");
        assert!(valid_portal_id(&p).is_ok());
        assert!(generate_portal_id("!!!").starts_with("client-"));
    }

    #[test]
    fn emails_are_checked_and_normalised() {
        assert_eq!(
            valid_email(" Ada@Example.com ").ok().as_deref(),
            Some("ada@example.com")
        );
        assert!(valid_email("nope").is_err());
        assert!(valid_email("a@b").is_err());
    }
}
