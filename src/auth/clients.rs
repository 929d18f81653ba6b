//! Clients of the support portal: who they are, the rules their details
//! follow, and the one place that creates them, whether an admin adds one or
//! a ticket on the board names an email we have not seen.

use std::sync::Arc;

use chrono::Utc;
use sea_orm::{ActiveValue::Set, DatabaseConnection};
use uuid::Uuid;

use crate::auth::Actor;
use crate::auth::audit::{Audit, actions};
use crate::auth::keys::random_hex;
use crate::auth::magic_link::{MagicLinkService, normalize_email};
use crate::changes::{Change, ChangeSignal};
use crate::db::entities::client;
use crate::db::repo::clients;
use crate::error::{AppError, OnUnique};

/// A client as an admin describes it.
pub struct NewClient {
    pub email: String,
    pub name: String,
    pub company: Option<String>,
    /// Generated from the company or name when absent.
    pub portal_id: Option<String>,
}

/// Only the fields given change; an empty company clears it.
#[derive(Default)]
pub struct ClientChanges {
    pub email: Option<String>,
    pub name: Option<String>,
    pub company: Option<String>,
}

pub struct ClientService {
    db: DatabaseConnection,
    magic_links: Arc<MagicLinkService>,
    changes: Arc<ChangeSignal>,
    audit: Audit,
}

impl ClientService {
    pub fn new(
        db: DatabaseConnection,
        magic_links: Arc<MagicLinkService>,
        changes: Arc<ChangeSignal>,
        audit: Audit,
    ) -> Self {
        Self {
            db,
            magic_links,
            changes,
            audit,
        }
    }

    pub async fn get(&self, id: Uuid) -> Result<client::Model, AppError> {
        clients::find_by_id(&self.db, id)
            .await?
            .ok_or_else(|| AppError::NotFound("no such client".to_owned()))
    }

    /// Up to `limit` clients ordered by email after the email `after`,
    /// optionally matching `search` in the email, name, company or portal id.
    pub async fn page(
        &self,
        limit: u64,
        after: Option<&str>,
        search: Option<&str>,
    ) -> Result<Vec<client::Model>, AppError> {
        Ok(clients::page(&self.db, limit, after, search).await?)
    }

    #[tracing::instrument(skip_all)]
    pub async fn create(
        &self,
        actor: Actor<'_>,
        input: NewClient,
    ) -> Result<client::Model, AppError> {
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
        if clients::find_by_email(&self.db, &email).await?.is_some() {
            return Err(AppError::Conflict(
                "a client with this email exists".to_owned(),
            ));
        }
        if clients::find_by_portal_id(&self.db, &portal_id)
            .await?
            .is_some()
        {
            return Err(AppError::Conflict("this portalId is taken".to_owned()));
        }
        let created = self.insert(email, name, company, portal_id).await?;
        let target = Some(format!("client:{}", created.id));
        self.audit
            .record(actor, actions::CLIENT_CREATED, target)
            .await;
        Ok(created)
    }

    #[tracing::instrument(skip_all, fields(client = %id))]
    pub async fn update(
        &self,
        actor: Actor<'_>,
        id: Uuid,
        input: ClientChanges,
    ) -> Result<client::Model, AppError> {
        let existing = self.get(id).await?;
        let mut row = client::ActiveModel {
            id: Set(existing.id),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        if let Some(email) = &input.email {
            let email = valid_email(email)?;
            if email != existing.email && clients::find_by_email(&self.db, &email).await?.is_some()
            {
                return Err(AppError::Conflict(
                    "a client with this email exists".to_owned(),
                ));
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
        let updated = clients::update(&self.db, row).await.on_unique(taken)?;
        // Sessions and cached tickets carry the client's old details.
        self.changes.publish(Change::AccountsChanged);
        let target = Some(format!("client:{}", updated.id));
        self.audit
            .record(actor, actions::CLIENT_UPDATED, target)
            .await;
        Ok(updated)
    }

    /// Removes a client and its pending magic links; its sessions end now,
    /// and its tickets lose their owner.
    #[tracing::instrument(skip_all, fields(client = %id))]
    pub async fn delete(&self, actor: Actor<'_>, id: Uuid) -> Result<(), AppError> {
        let existing = self.get(id).await?;
        clients::delete(&self.db, existing.id).await?;
        self.changes.publish(Change::AccountsChanged);
        let target = Some(format!("client:{} ({})", existing.id, existing.email));
        self.audit
            .record(actor, actions::CLIENT_DELETED, target)
            .await;
        Ok(())
    }

    /// Emails the client a sign-in link now (within the hourly limit).
    #[tracing::instrument(skip_all, fields(client = %id))]
    pub async fn invite(&self, actor: Actor<'_>, id: Uuid) -> Result<(), AppError> {
        let existing = self.get(id).await?;
        self.magic_links.issue_and_send(&existing, actor).await?;
        let target = Some(format!("client:{}", existing.id));
        self.audit
            .record(actor, actions::CLIENT_INVITED, target)
            .await;
        Ok(())
    }

    /// The client a ticket on the board names, by email, then by portal id.
    /// With `create`, an email we have not seen becomes a new client: that is
    /// how tickets staff open in Monday get their owners.
    pub async fn owner_of_ticket(
        &self,
        email: Option<&str>,
        portal_id: Option<&str>,
        create: bool,
    ) -> Result<Option<Uuid>, AppError> {
        let email = email.and_then(|e| valid_email(e).ok());
        let portal_id = portal_id.and_then(|p| valid_portal_id(p.trim()).ok());
        if let Some(e) = &email
            && let Some(c) = clients::find_by_email(&self.db, e).await?
        {
            return Ok(Some(c.id));
        }
        if let Some(p) = &portal_id
            && let Some(c) = clients::find_by_portal_id(&self.db, p).await?
        {
            return Ok(Some(c.id));
        }
        let Some(email) = email.filter(|_| create) else {
            return Ok(None);
        };
        let local = email.split('@').next().unwrap_or(&email);
        let name = valid_text("name", local).unwrap_or_else(|_| "Client".to_owned());
        let portal_id = portal_id.unwrap_or_else(|| generate_portal_id(&name));
        match self.insert(email.clone(), name, None, portal_id).await {
            Ok(c) => Ok(Some(c.id)),
            // Another delivery created the same client a moment ago.
            Err(AppError::Conflict(_)) => Ok(clients::find_by_email(&self.db, &email)
                .await?
                .map(|c| c.id)),
            Err(e) => Err(e),
        }
    }

    async fn insert(
        &self,
        email: String,
        name: String,
        company: Option<String>,
        portal_id: String,
    ) -> Result<client::Model, AppError> {
        let now = Utc::now();
        let row = client::ActiveModel {
            id: Set(Uuid::new_v4()),
            portal_id: Set(portal_id),
            email: Set(email),
            name: Set(name),
            company: Set(company),
            notify_email: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        };
        clients::insert(&self.db, row).await.on_unique(taken)
    }
}

fn taken() -> AppError {
    AppError::Conflict("a client with this email or portalId exists".to_owned())
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

/// `acme-corp-3f9a2c`: readable, with a random suffix (24 bits from the OS
/// CSPRNG) against collisions. The only portal-id generator.
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
    use crate::auth::Identity;
    use crate::auth::testing::services;

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

    fn new_client(email: &str, portal_id: Option<&str>) -> NewClient {
        NewClient {
            email: email.to_owned(),
            name: "Ada Lovelace".to_owned(),
            company: Some("Analytical Engines".to_owned()),
            portal_id: portal_id.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn emails_and_portal_ids_are_unique_and_checked() {
        let s = services().await;
        let admin = Identity::Anonymous;
        let actor = Actor::new(&admin, None);
        let c = s
            .clients
            .create(actor, new_client(" Ada@Example.com", None))
            .await
            .expect("created");
        assert_eq!(c.email, "ada@example.com");
        assert!(c.portal_id.starts_with("analytical-engines-"), "{c:?}");
        let again = s
            .clients
            .create(actor, new_client("ada@example.com", None))
            .await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
        let taken = s
            .clients
            .create(actor, new_client("grace@example.com", Some(&c.portal_id)))
            .await;
        assert!(matches!(taken, Err(AppError::Conflict(_))), "{taken:?}");
        let bad = s
            .clients
            .create(actor, new_client("grace@example.com", Some("no spaces")))
            .await;
        assert!(matches!(bad, Err(AppError::BadRequest(_))), "{bad:?}");
        let blank = ClientChanges {
            name: Some("  ".to_owned()),
            ..Default::default()
        };
        let renamed = s.clients.update(actor, c.id, blank).await;
        assert!(matches!(renamed, Err(AppError::BadRequest(_))));
    }

    #[tokio::test]
    async fn a_ticket_owner_is_found_by_email_then_portal_and_created_once() {
        let s = services().await;
        let admin = Identity::Anonymous;
        let c = s
            .clients
            .create(
                Actor::new(&admin, None),
                new_client("ada@example.com", Some("acme-1")),
            )
            .await
            .expect("created");
        let by_email = s
            .clients
            .owner_of_ticket(Some("ADA@example.com "), None, true)
            .await;
        assert_eq!(by_email.ok().flatten(), Some(c.id));
        let by_portal = s.clients.owner_of_ticket(None, Some("ACME-1"), false).await;
        assert_eq!(by_portal.ok().flatten(), Some(c.id));
        let unknown = s
            .clients
            .owner_of_ticket(Some("new@example.com"), None, false)
            .await;
        assert_eq!(unknown.ok().flatten(), None, "not created unless asked");
        let created = s
            .clients
            .owner_of_ticket(Some("new@example.com"), None, true)
            .await
            .expect("lookup")
            .expect("created");
        let again = s
            .clients
            .owner_of_ticket(Some("new@example.com"), None, true)
            .await;
        assert_eq!(again.ok().flatten(), Some(created));
        let row = s.clients.get(created).await.expect("stored");
        assert!(row.portal_id.starts_with("new-"), "{row:?}");
    }
}
