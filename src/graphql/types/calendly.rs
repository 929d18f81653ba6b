//! GraphQL shapes of the Calendly organization as the pipeline published it.

use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, ID, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::db::entities::{
    calendly_event, calendly_event_type, calendly_invitee, calendly_membership, calendly_user,
};
use crate::graphql::loaders::data::{
    DataLoaders, EventAt, EventTypeAt, InviteesOf, LeadWithEmail, UserAt,
};
use crate::graphql::types::leads::Lead;

fn loader<'a>(ctx: &Context<'a>) -> Result<&'a DataLoader<DataLoaders>> {
    ctx.data::<DataLoader<DataLoaders>>()
}

#[derive(SimpleObject, Clone)]
pub struct CalendlyUser {
    /// The user's URI.
    pub id: ID,
    pub name: Option<String>,
    pub email: Option<String>,
    pub slug: Option<String>,
    pub timezone: Option<String>,
    pub scheduling_url: Option<String>,
    /// The user our Calendly token belongs to.
    pub is_current: bool,
}

impl From<calendly_user::Model> for CalendlyUser {
    fn from(u: calendly_user::Model) -> Self {
        Self {
            id: ID(u.uri),
            name: u.name,
            email: u.email,
            slug: u.slug,
            timezone: u.timezone,
            scheduling_url: u.scheduling_url,
            is_current: u.is_current,
        }
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct CalendlyMembership {
    pub id: ID,
    /// `user`, `admin` or `owner`.
    pub role: Option<String>,
    pub user_name: Option<String>,
    pub user_email: Option<String>,
    #[graphql(skip)]
    pub user_uri: Option<String>,
    #[graphql(skip)]
    pub snapshot: i64,
}

impl CalendlyMembership {
    pub fn new(m: calendly_membership::Model, snapshot: i64) -> Self {
        Self {
            id: ID(m.uri),
            role: m.role,
            user_name: m.user_name,
            user_email: m.user_email,
            user_uri: m.user_uri,
            snapshot,
        }
    }
}

#[ComplexObject]
impl CalendlyMembership {
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<CalendlyUser>> {
        let Some(uri) = &self.user_uri else {
            return Ok(None);
        };
        let u = loader(ctx)?
            .load_one(UserAt(self.snapshot, uri.clone()))
            .await?;
        Ok(u.map(Into::into))
    }
}

#[derive(SimpleObject, Clone)]
pub struct CalendlyEventType {
    pub id: ID,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub active: bool,
    /// `solo` or `group`.
    pub kind: Option<String>,
    /// Minutes.
    pub duration: Option<i32>,
    pub scheduling_url: Option<String>,
}

impl From<calendly_event_type::Model> for CalendlyEventType {
    fn from(t: calendly_event_type::Model) -> Self {
        Self {
            id: ID(t.uri),
            name: t.name,
            slug: t.slug,
            active: t.active,
            kind: t.kind,
            duration: t.duration,
            scheduling_url: t.scheduling_url,
        }
    }
}

/// A scheduled event, active or canceled, with every invitee.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct CalendlyEvent {
    pub id: ID,
    pub name: Option<String>,
    /// `active` or `canceled`.
    pub status: String,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub location: Option<String>,
    pub invitees_total: i32,
    pub invitees_active: i32,
    pub cancel_reason: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub uri: String,
    #[graphql(skip)]
    pub event_type_uri: Option<String>,
    #[graphql(skip)]
    pub snapshot: i64,
}

impl CalendlyEvent {
    pub fn new(e: calendly_event::Model, snapshot: i64) -> Self {
        Self {
            id: ID(e.uri.clone()),
            name: e.name,
            status: e.status,
            start_time: e.start_time,
            end_time: e.end_time,
            location: e.location,
            invitees_total: e.invitees_total,
            invitees_active: e.invitees_active,
            cancel_reason: e.cancel_reason,
            created_at: e.created_at,
            uri: e.uri,
            event_type_uri: e.event_type_uri,
            snapshot,
        }
    }
}

#[ComplexObject]
impl CalendlyEvent {
    async fn event_type(&self, ctx: &Context<'_>) -> Result<Option<CalendlyEventType>> {
        let Some(uri) = &self.event_type_uri else {
            return Ok(None);
        };
        let t = loader(ctx)?
            .load_one(EventTypeAt(self.snapshot, uri.clone()))
            .await?;
        Ok(t.map(Into::into))
    }

    /// Every invitee of the event, active and canceled.
    async fn invitees(&self, ctx: &Context<'_>) -> Result<Vec<CalendlyInvitee>> {
        let rows = loader(ctx)?
            .load_one(InviteesOf(self.snapshot, self.uri.clone()))
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|i| CalendlyInvitee::new(i, self.snapshot))
            .collect())
    }
}

#[derive(SimpleObject, Clone)]
pub struct QuestionAndAnswer {
    pub question: String,
    pub answer: String,
    pub position: i64,
}

/// The UTM parameters the booking link carried.
#[derive(SimpleObject, Clone, Default)]
pub struct InviteeTracking {
    pub utm_campaign: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_content: Option<String>,
    pub utm_term: Option<String>,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct CalendlyInvitee {
    pub id: ID,
    pub email: Option<String>,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `active` or `canceled`.
    pub status: String,
    pub cancel_reason: Option<String>,
    pub canceled_by: Option<String>,
    pub rescheduled: bool,
    pub questions_and_answers: Vec<QuestionAndAnswer>,
    pub tracking: InviteeTracking,
    pub timezone: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub event_uri: String,
    #[graphql(skip)]
    pub email_key: Option<String>,
    #[graphql(skip)]
    pub snapshot: i64,
}

impl CalendlyInvitee {
    pub fn new(i: calendly_invitee::Model, snapshot: i64) -> Self {
        let json = |s: &Option<String>| {
            s.as_deref()
                .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                .unwrap_or_default()
        };
        let qa = json(&i.questions_and_answers);
        let tracking = json(&i.tracking);
        let text = |k: &str| tracking.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        Self {
            id: ID(i.uri),
            email: i.email,
            name: i.name,
            first_name: i.first_name,
            last_name: i.last_name,
            status: i.status,
            cancel_reason: i.cancel_reason,
            canceled_by: i.canceled_by,
            rescheduled: i.rescheduled,
            questions_and_answers: qa
                .as_array()
                .into_iter()
                .flatten()
                .map(|q| QuestionAndAnswer {
                    question: q["question"].as_str().unwrap_or_default().to_owned(),
                    answer: q["answer"].as_str().unwrap_or_default().to_owned(),
                    position: q["position"].as_i64().unwrap_or_default(),
                })
                .collect(),
            tracking: InviteeTracking {
                utm_campaign: text("utm_campaign"),
                utm_source: text("utm_source"),
                utm_medium: text("utm_medium"),
                utm_content: text("utm_content"),
                utm_term: text("utm_term"),
            },
            timezone: i.timezone,
            created_at: i.created_at,
            updated_at: i.updated_at,
            event_uri: i.event_uri,
            email_key: i.email_key,
            snapshot,
        }
    }
}

#[ComplexObject]
impl CalendlyInvitee {
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<CalendlyEvent>> {
        let e = loader(ctx)?
            .load_one(EventAt(self.snapshot, self.event_uri.clone()))
            .await?;
        Ok(e.map(|e| CalendlyEvent::new(e, self.snapshot)))
    }

    /// The lead with the invitee's email, if the board has one.
    async fn lead(&self, ctx: &Context<'_>) -> Result<Option<Lead>> {
        let Some(key) = &self.email_key else {
            return Ok(None);
        };
        let l = loader(ctx)?
            .load_one(LeadWithEmail(self.snapshot, key.clone()))
            .await?;
        Ok(l.map(|l| Lead::new(l, self.snapshot)))
    }
}
