//! The typed Calendly client: the scheduling data the hub pulls (the user,
//! memberships, event types, scheduled events and their invitees), always
//! walked to the last page, and the webhook subscriptions it sets up.

pub mod client;
pub mod error;
pub mod models;
mod pacing;
pub mod signature;

#[cfg(test)]
mod decode_tests;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::json;
use url::Url;

pub use client::{CalendlyClient, MAX_PAGE_SIZE, RetryPolicy};
pub use error::CalendlyError;
pub use models::{
    EventType, Invitee, Organization, OrganizationMembership, Pagination, ScheduledEvent, Status,
    User, WebhookSubscription,
};
pub use pacing::RateLimit;

use models::{Collection, Resource};

/// One page of a list and the token of the next one (None: it was the last).
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<String>,
}

/// Whose bookings a webhook subscription covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Organization,
    /// One user's, by user URI.
    User(String),
}

impl Scope {
    fn as_str(&self) -> &'static str {
        match self {
            Self::Organization => "organization",
            Self::User(_) => "user",
        }
    }
}

/// What a webhook subscription is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookEvent {
    InviteeCreated,
    InviteeCanceled,
    RoutingFormSubmissionCreated,
}

impl WebhookEvent {
    /// The name Calendly uses, e.g. `invitee.created`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InviteeCreated => "invitee.created",
            Self::InviteeCanceled => "invitee.canceled",
            Self::RoutingFormSubmissionCreated => "routing_form_submission.created",
        }
    }
}

impl CalendlyClient {
    /// The token's own user, with its current organization.
    pub async fn me(&self) -> Result<User, CalendlyError> {
        let r: Resource<User> = self.get(self.endpoint(&["users", "me"])).await?;
        Ok(r.resource)
    }

    /// Every member of the organization.
    pub async fn organization_memberships(
        &self,
        organization: &str,
    ) -> Result<Vec<OrganizationMembership>, CalendlyError> {
        let url = self.list_url(
            &["organization_memberships"],
            &[("organization", organization)],
        );
        self.all(url).await
    }

    /// Every event type of the organization, inactive ones included (the API
    /// returns both when `active` is left out).
    pub async fn event_types(&self, organization: &str) -> Result<Vec<EventType>, CalendlyError> {
        let url = self.list_url(&["event_types"], &[("organization", organization)]);
        self.all(url).await
    }

    /// Every event starting in `[min_start, max_start)`, active and canceled
    /// (no `status` filter returns both), oldest first.
    pub async fn scheduled_events(
        &self,
        organization: &str,
        min_start: DateTime<Utc>,
        max_start: DateTime<Utc>,
    ) -> Result<Vec<ScheduledEvent>, CalendlyError> {
        self.all(self.events_url(organization, min_start, max_start))
            .await
    }

    /// One page of `scheduled_events`, for callers that process as they go.
    pub async fn scheduled_events_page(
        &self,
        organization: &str,
        min_start: DateTime<Utc>,
        max_start: DateTime<Utc>,
        page_token: Option<&str>,
    ) -> Result<Page<ScheduledEvent>, CalendlyError> {
        self.page(
            self.events_url(organization, min_start, max_start),
            page_token,
        )
        .await
    }

    /// Every invitee of the event, whatever their status, in booking order.
    pub async fn invitees(&self, event_uri: &str) -> Result<Vec<Invitee>, CalendlyError> {
        self.all(self.invitees_url(event_uri)?).await
    }

    /// One page of `invitees`.
    pub async fn invitees_page(
        &self,
        event_uri: &str,
        page_token: Option<&str>,
    ) -> Result<Page<Invitee>, CalendlyError> {
        self.page(self.invitees_url(event_uri)?, page_token).await
    }

    /// One event by URI (as a webhook names it).
    pub async fn scheduled_event(&self, uri: &str) -> Result<ScheduledEvent, CalendlyError> {
        let ids = uuids(uri, &["scheduled_events", "*"])?;
        let r: Resource<ScheduledEvent> = self
            .get(self.endpoint(&["scheduled_events", &ids[0]]))
            .await?;
        Ok(r.resource)
    }

    /// One invitee by URI (`…/scheduled_events/{event}/invitees/{invitee}`).
    pub async fn invitee(&self, uri: &str) -> Result<Invitee, CalendlyError> {
        let ids = uuids(uri, &["scheduled_events", "*", "invitees", "*"])?;
        let url = self.endpoint(&["scheduled_events", &ids[0], "invitees", &ids[1]]);
        let r: Resource<Invitee> = self.get(url).await?;
        Ok(r.resource)
    }

    /// Every webhook subscription of the organization in `scope`.
    pub async fn list_webhook_subscriptions(
        &self,
        organization: &str,
        scope: &Scope,
    ) -> Result<Vec<WebhookSubscription>, CalendlyError> {
        let mut params = vec![("organization", organization), ("scope", scope.as_str())];
        if let Scope::User(user) = scope {
            params.push(("user", user));
        }
        self.all(self.list_url(&["webhook_subscriptions"], &params))
            .await
    }

    /// Subscribes `url` to `events`. A subscription for the same URL already
    /// there is `CalendlyError::Conflict`, so setup can run again safely.
    pub async fn create_webhook_subscription(
        &self,
        url: &str,
        events: &[WebhookEvent],
        organization: &str,
        scope: &Scope,
        signing_key: Option<&SecretString>,
    ) -> Result<WebhookSubscription, CalendlyError> {
        let events: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
        let mut body = json!({
            "url": url,
            "events": events,
            "organization": organization,
            "scope": scope.as_str(),
        });
        if let Scope::User(user) = scope {
            body["user"] = json!(user);
        }
        if let Some(key) = signing_key {
            body["signing_key"] = json!(key.expose_secret());
        }
        let r: Resource<WebhookSubscription> = self
            .post(self.endpoint(&["webhook_subscriptions"]), &body)
            .await?;
        Ok(r.resource)
    }

    /// Removes a subscription by URI; one already gone is `NotFound`.
    pub async fn delete_webhook_subscription(&self, uri: &str) -> Result<(), CalendlyError> {
        let ids = uuids(uri, &["webhook_subscriptions", "*"])?;
        self.delete(self.endpoint(&["webhook_subscriptions", &ids[0]]))
            .await
    }

    fn events_url(&self, organization: &str, min: DateTime<Utc>, max: DateTime<Utc>) -> Url {
        let (min, max) = (timestamp(min), timestamp(max));
        self.list_url(
            &["scheduled_events"],
            &[
                ("organization", organization),
                ("min_start_time", &min),
                ("max_start_time", &max),
                ("sort", "start_time:asc"),
            ],
        )
    }

    fn invitees_url(&self, event_uri: &str) -> Result<Url, CalendlyError> {
        let ids = uuids(event_uri, &["scheduled_events", "*"])?;
        Ok(self.list_url(
            &["scheduled_events", &ids[0], "invitees"],
            &[("sort", "created_at:asc")],
        ))
    }

    fn list_url(&self, segments: &[&str], params: &[(&str, &str)]) -> Url {
        let mut url = self.endpoint(segments);
        {
            let mut q = url.query_pairs_mut();
            q.extend_pairs(params);
            q.append_pair("count", &self.page_size.to_string());
        }
        url
    }

    async fn page<T: DeserializeOwned>(
        &self,
        mut url: Url,
        page_token: Option<&str>,
    ) -> Result<Page<T>, CalendlyError> {
        if let Some(t) = page_token {
            url.query_pairs_mut().append_pair("page_token", t);
        }
        let c: Collection<T> = self.get(url).await?;
        Ok(Page {
            next_page_token: next_token(&c.pagination),
            items: c.collection,
        })
    }

    /// Follows the pages to the end. Any page that fails after its retries
    /// fails the whole call: a partial list would look complete.
    async fn all<T: DeserializeOwned>(&self, url: Url) -> Result<Vec<T>, CalendlyError> {
        let mut items = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.page(url.clone(), token.as_deref()).await?;
            items.extend(page.items);
            match page.next_page_token {
                None => return Ok(items),
                Some(t) if !seen.insert(t.clone()) => {
                    return Err(CalendlyError::Protocol(
                        "pagination returned a page token twice".to_owned(),
                    ));
                }
                Some(t) => token = Some(t),
            }
        }
    }
}

/// The next page's token: `next_page_token`, or the one inside `next_page`
/// (the URL itself is not followed, so the token never leaves our base URL).
fn next_token(p: &Pagination) -> Option<String> {
    if let Some(t) = p.next_page_token.as_deref().filter(|t| !t.is_empty()) {
        return Some(t.to_owned());
    }
    let next = Url::parse(p.next_page.as_deref()?).ok()?;
    next.query_pairs()
        .find(|(k, v)| k == "page_token" && !v.is_empty())
        .map(|(_, v)| v.into_owned())
}

/// Calendly's timestamp format: UTC with microseconds.
fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Calendly's ids are UUIDs (36 characters); anything much longer is not one.
const MAX_ID_LEN: usize = 64;

/// Whether `uri` names one invitee (`http(s)://…/scheduled_events/{id}/invitees/{id}`,
/// no query or fragment), as webhooks must: anything else is refused before a
/// request is made.
pub fn is_invitee_uri(uri: &str) -> bool {
    uri.len() <= 2048
        && Url::parse(uri).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && u.query().is_none()
                && u.fragment().is_none()
        })
        && uuids(uri, &["scheduled_events", "*", "invitees", "*"]).is_ok()
}

/// The ids in a resource URI whose path ends like `shape` (`*` marks an id).
/// Only the ids are used: requests go to our base URL whatever host the URI
/// names, so the token is never sent anywhere else.
fn uuids(uri: &str, shape: &[&str]) -> Result<Vec<String>, CalendlyError> {
    let bad = || CalendlyError::Protocol(format!("not a Calendly {} URI: {uri}", shape[0]));
    let url = Url::parse(uri).map_err(|_| bad())?;
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let tail = segments
        .len()
        .checked_sub(shape.len())
        .map(|start| &segments[start..])
        .ok_or_else(bad)?;
    let mut ids = Vec::new();
    for (seg, want) in tail.iter().zip(shape) {
        if *want == "*" {
            let id_like = (1..=MAX_ID_LEN).contains(&seg.len())
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !id_like {
                return Err(bad());
            }
            ids.push((*seg).to_owned());
        } else if seg != want {
            return Err(bad());
        }
    }
    Ok(ids)
}
