//! `invitee.created` and `invitee.canceled` from Calendly, applied between
//! runs. A signed delivery is verified (HMAC-SHA256, with a replay window);
//! each delivery is applied once, on any replica; and the invitee and its
//! event are re-read from Calendly rather than taken from the payload, so a
//! delivery can only ever make our copy more true.

use chrono::Utc;
use sea_orm::ActiveValue::Set;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::calendly::{event_row, invitee_row};
use super::{PipelineService, published};
use crate::db::entities::{calendly_event, calendly_invitee};
use crate::db::repo::{pipeline as runs, snapshots, webhook_receipts};
use crate::error::AppError;
use crate::upstream::calendly::signature;

const SOURCE: &str = "calendly";
const EVENTS: &[&str] = &["invitee.created", "invitee.canceled"];

/// What a delivery did.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    Applied,
    /// Not an invitee event, or no Calendly configured.
    Ignored,
    /// The same delivery again (Calendly retries).
    Duplicate,
}

/// How deliveries are checked: the signing key, how old one may be, and
/// whether an unsigned one is accepted (sandbox mode only: anyone could
/// otherwise make us spend the Calendly rate limit the runs need).
#[derive(Clone)]
pub struct WebhookKey {
    pub key: Option<SecretString>,
    pub tolerance_secs: i64,
    pub allow_unsigned: bool,
}

impl PipelineService {
    #[tracing::instrument(skip_all)]
    pub async fn receive_calendly(
        &self,
        signature_header: Option<&str>,
        body: &[u8],
    ) -> Result<Received, AppError> {
        match &self.webhook_key.key {
            Some(key) => {
                let header = signature_header.unwrap_or_default();
                signature::verify(
                    header,
                    key.expose_secret().as_bytes(),
                    body,
                    Utc::now().timestamp(),
                    self.webhook_key.tolerance_secs,
                )
                .map_err(|e| {
                    tracing::warn!(error = %e, "calendly webhook refused");
                    AppError::Unauthenticated(format!("webhook signature: {e}"))
                })?;
            }
            None if self.webhook_key.allow_unsigned => {}
            None => {
                return Err(AppError::Unauthenticated(
                    "Calendly webhooks are refused until CALENDLY_SIGNING_KEY is set".to_owned(),
                ));
            }
        }
        let delivery: Value = serde_json::from_slice(body)
            .map_err(|_| AppError::bad_request("the body is not JSON"))?;
        let kind = delivery["event"].as_str().unwrap_or_default();
        if !EVENTS.contains(&kind) {
            return Ok(Received::Ignored);
        }
        let invitee_uri = delivery["payload"]["uri"]
            .as_str()
            .filter(|u| crate::upstream::calendly::is_invitee_uri(u))
            .ok_or_else(|| {
                AppError::bad_request(
                    "payload.uri is not an invitee URI (…/scheduled_events/{id}/invitees/{id})",
                )
            })?;
        let Some(stream) = &self.calendly else {
            return Ok(Received::Ignored);
        };
        // A retried delivery carries the same event, invitee and time.
        let id = hex::encode(Sha256::digest(
            format!("{kind}|{invitee_uri}|{}", delivery["created_at"]).as_bytes(),
        ));
        if webhook_receipts::exists(&self.db, SOURCE, &id).await? {
            return Ok(Received::Duplicate);
        }
        let invitee = stream.client.invitee(invitee_uri).await?;
        let event = stream.client.scheduled_event(&invitee.event).await?;
        let p = published(&self.db).await?;
        let running = runs::running(&self.db).await?.map(|r| r.number);
        let now = Utc::now();
        let mut e = event_row(p, &event);
        e.row.touched_at = Set(Some(now));
        snapshots::upsert_live::<calendly_event::Entity>(&self.db, &e.key, p, running, e.row)
            .await?;
        let mut i = invitee_row(p, &invitee);
        i.row.touched_at = Set(Some(now));
        snapshots::upsert_live::<calendly_invitee::Entity>(&self.db, &i.key, p, running, i.row)
            .await?;
        webhook_receipts::record(&self.db, SOURCE, &id, kind).await?;
        tracing::info!(kind, invitee = %invitee.uri, "calendly webhook applied");
        Ok(Received::Applied)
    }
}

/// What `ensure_calendly_webhook` found or did.
#[derive(Debug, PartialEq, Eq)]
pub enum Subscription {
    Exists(String),
    Created(String),
}

impl PipelineService {
    /// Makes sure the organization sends its invitee events to `url`. Safe to
    /// re-run: an existing subscription for the URL is kept.
    pub async fn ensure_calendly_webhook(&self, url: &str) -> Result<Subscription, AppError> {
        use crate::upstream::calendly::{CalendlyError, Scope, WebhookEvent};
        let Some(stream) = &self.calendly else {
            return Err(AppError::Unavailable(
                "Calendly is not configured".to_owned(),
            ));
        };
        let client = &stream.client;
        let org = client.me().await?.current_organization.ok_or_else(|| {
            AppError::Upstream("the Calendly user has no organization".to_owned())
        })?;
        let existing = client
            .list_webhook_subscriptions(&org, &Scope::Organization)
            .await?;
        let wanted = |events: &[String]| EVENTS.iter().all(|e| events.iter().any(|x| x == e));
        if let Some(s) = existing
            .iter()
            .find(|s| s.callback_url == url && s.state != "disabled" && wanted(&s.events))
        {
            return Ok(Subscription::Exists(s.uri.clone()));
        }
        match client
            .create_webhook_subscription(
                url,
                &[WebhookEvent::InviteeCreated, WebhookEvent::InviteeCanceled],
                &org,
                &Scope::Organization,
                self.webhook_key.key.as_ref(),
            )
            .await
        {
            Ok(s) => Ok(Subscription::Created(s.uri)),
            // Someone registered the URL a moment ago.
            Err(CalendlyError::Conflict(_)) => Ok(Subscription::Exists(url.to_owned())),
            Err(e) => Err(e.into()),
        }
    }
}
