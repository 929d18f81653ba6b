//! Magic links: passwordless sign-in for clients.
//!
//! A token is 32 bytes from the OS CSPRNG (URL-safe base64); only its SHA-256
//! is stored. Redemption is one conditional UPDATE, so a token works once even
//! under concurrent use. Requesting a link answers the same whether or not the
//! email is known: the lookup and the mail happen in a background task, so
//! neither the answer nor its timing tells an outsider anything.

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine;
use chrono::{Duration, Utc};
use rand::TryRngCore;
use sea_orm::DatabaseConnection;
use url::Url;

use crate::auth::api_keys::sha256_hex;
use crate::auth::audit::{Audit, actions};
use crate::auth::jwt::IssuedToken;
use crate::auth::session::SessionService;
use crate::auth::{Actor, Identity};
use crate::config::AuthConfig;
use crate::db::entities::client;
use crate::db::repo::{clients, magic_links};
use crate::error::AppError;
use crate::mail::{Mail, Mailer};

/// Trimmed and lower-cased: how client emails are stored and compared.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn generate_token() -> Result<String, AppError> {
    let mut buf = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut buf)
        .map_err(|e| AppError::internal(anyhow::anyhow!("OS random generator: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

pub struct MagicLinkService {
    db: DatabaseConnection,
    sessions: Arc<SessionService>,
    cfg: AuthConfig,
    /// The link clients receive; `?token=…` is appended.
    link_url: Url,
    mailer: Arc<Mailer>,
    audit: Audit,
}

impl MagicLinkService {
    pub fn new(
        db: DatabaseConnection,
        sessions: Arc<SessionService>,
        cfg: AuthConfig,
        link_url: Url,
        mailer: Arc<Mailer>,
        audit: Audit,
    ) -> Self {
        Self {
            db,
            sessions,
            cfg,
            link_url,
            mailer,
            audit,
        }
    }

    /// `requestMagicLink`: schedules the work and returns at once.
    pub fn request(self: &Arc<Self>, email: &str, ip: Option<IpAddr>) {
        let this = self.clone();
        let email = normalize_email(email);
        let work = async move {
            if let Err(e) = this.request_now(&email, ip).await {
                tracing::error!(error = ?e, "magic link request failed");
            }
        };
        // Outlives the request, but logs under its id.
        tokio::spawn(tracing::Instrument::in_current_span(work));
    }

    #[tracing::instrument(skip_all)]
    async fn request_now(&self, email: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
        let Some(client) = clients::find_by_email(&self.db, email).await? else {
            tracing::info!("magic link requested for an unknown email; nothing sent");
            return Ok(());
        };
        match self
            .issue_and_send(&client, Actor::new(&Identity::Anonymous, ip))
            .await
        {
            // Over the hourly limit: silently drop, as an error would reveal the account.
            Err(AppError::RateLimited { .. }) => {
                tracing::warn!(client = %client.id, "magic link limit reached; request ignored");
                Ok(())
            }
            other => other,
        }
    }

    /// Creates a link for `client` and mails it, within the hourly limit.
    /// Used by `requestMagicLink` and by the admin's `inviteClient`.
    #[tracing::instrument(skip_all, fields(client = %client.id))]
    pub async fn issue_and_send(
        &self,
        client: &client::Model,
        actor: Actor<'_>,
    ) -> Result<(), AppError> {
        let now = Utc::now();
        let token = generate_token()?;
        let link = magic_links::NewLink {
            client_id: client.id,
            token_hash: sha256_hex(&token),
            expires_at: now + Duration::minutes(self.cfg.magic_link_ttl_minutes),
        };
        let window = now - Duration::hours(1);
        let max = u64::from(self.cfg.magic_link_max_per_hour);
        if magic_links::insert_within_limit(&self.db, link, window, max)
            .await?
            .is_none()
        {
            return Err(AppError::RateLimited {
                retry_after_secs: 3600,
            });
        }
        magic_links::prune(&self.db, now - Duration::days(1)).await?;

        let mut url = self.link_url.clone();
        url.query_pairs_mut().append_pair("token", &token);
        let link = url.to_string();
        let body = format!(
            "Hello {name},\r\n\r\nUse this link to sign in to the bridgeboard support portal:\r\n\r\n{link}\r\n\r\nIt works once and expires in {ttl} minutes. If you did not ask for it, ignore this message.\r\n",
            name = client.name,
            ttl = self.cfg.magic_link_ttl_minutes,
        );
        self.mailer
            .send(Mail {
                to: client.email.clone(),
                to_name: Some(client.name.clone()),
                subject: "Your sign-in link".to_owned(),
                body,
                link: Some(link),
                headers: Vec::new(),
                message_id: None,
            })
            .await?;
        let actor_name = match actor.identity {
            Identity::Anonymous => format!("client:{}", client.email),
            other => other.audit_actor(),
        };
        self.audit
            .record_as(
                actor_name,
                actions::MAGIC_LINK_ISSUED,
                Some(format!("client:{}", client.id)),
                actor.ip,
            )
            .await;
        Ok(())
    }

    /// A sign-in link that opens one ticket, for a notification mail: it
    /// works once, for `ttl`, and does not count against the hourly limit
    /// of links clients ask for.
    pub async fn link_to_ticket(
        &self,
        client_id: uuid::Uuid,
        ticket_id: uuid::Uuid,
        ttl: Duration,
    ) -> Result<String, AppError> {
        let token = generate_token()?;
        let link = magic_links::NewLink {
            client_id,
            token_hash: sha256_hex(&token),
            expires_at: Utc::now() + ttl,
        };
        magic_links::insert_within_limit(&self.db, link, Utc::now(), u64::MAX).await?;
        let mut url = self.link_url.clone();
        url.query_pairs_mut()
            .append_pair("token", &token)
            .append_pair("ticket", &ticket_id.to_string());
        Ok(url.to_string())
    }

    /// `redeemMagicLink`: consumes the token and signs the client in.
    #[tracing::instrument(skip_all)]
    pub async fn redeem(
        &self,
        token: &str,
        ip: Option<IpAddr>,
    ) -> Result<(IssuedToken, client::Model), AppError> {
        let invalid = || {
            AppError::Unauthenticated("this sign-in link is invalid, used or expired".to_owned())
        };
        let token = token.trim();
        if token.is_empty() || token.len() > 128 {
            return Err(invalid());
        }
        let client_id = magic_links::consume(&self.db, &sha256_hex(token), Utc::now())
            .await?
            .ok_or_else(invalid)?;
        let client = clients::find_by_id(&self.db, client_id)
            .await?
            .ok_or_else(invalid)?;
        let issued = self.sessions.issue_client(&client)?;
        self.audit
            .record_as(
                format!("client:{}", client.email),
                actions::MAGIC_LINK_REDEEMED,
                Some(format!("client:{}", client.id)),
                ip,
            )
            .await;
        Ok((issued, client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_url_safe_and_hashed_differently() {
        let a = generate_token().expect("a");
        let b = generate_token().expect("b");
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(sha256_hex(&a), a);
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
    }
}
