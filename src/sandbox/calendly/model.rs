//! The simulated account's records and their JSON as Calendly renders it.
//! Records keep bare UUIDs; URIs are built at render time from the base URL
//! the sandbox learned once its listener was bound, so they round-trip.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Calendly's timestamp format: UTC with microseconds.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Sort key of a timestamp: fixed width so keys compare like the times.
pub fn time_key(t: DateTime<Utc>, uuid: &str) -> String {
    format!(
        "{:020}|{uuid}",
        t.timestamp_micros() + 1_000_000_000_000_000
    )
}

pub struct Organization {
    pub uuid: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Owner,
    Admin,
    User,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::User => "user",
        }
    }
}

pub struct User {
    pub uuid: String,
    pub membership_uuid: String,
    pub role: Role,
    pub name: String,
    pub slug: String,
    pub email: String,
    pub timezone: &'static str,
    pub created_at: DateTime<Utc>,
}

pub struct EventType {
    pub uuid: String,
    pub owner: usize,
    pub name: String,
    pub slug: String,
    pub duration: i64,
    pub group: bool,
    pub active: bool,
    pub color: &'static str,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct Cancellation {
    pub canceled_by: String,
    pub reason: Option<String>,
    pub canceler_type: &'static str,
}

pub struct Invitee {
    pub uuid: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub timezone: &'static str,
    pub company: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cancellation: Option<Cancellation>,
}

pub enum Location {
    Physical(String),
    Google,
    Phone(String),
}

pub struct Event {
    pub uuid: String,
    pub event_type: usize,
    pub host: usize,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub location: Location,
    pub limit: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cancellation: Option<Cancellation>,
    pub invitees: Vec<Invitee>,
    pub external_id: Option<String>,
}

impl Event {
    pub fn active(&self) -> bool {
        self.cancellation.is_none()
    }
}

pub struct WebhookSubscription {
    pub uuid: String,
    pub callback_url: String,
    pub events: Vec<String>,
    pub scope: String,
    /// Index of the user for `user` scope.
    pub user: Option<usize>,
    pub creator: usize,
    pub signing_key: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Renders records with URIs under one base URL.
pub struct Render<'a> {
    pub base: &'a str,
    pub org: &'a Organization,
    pub users: &'a [User],
    pub event_types: &'a [EventType],
}

impl Render<'_> {
    pub fn org_uri(&self) -> String {
        format!("{}/organizations/{}", self.base, self.org.uuid)
    }

    pub fn user_uri(&self, i: usize) -> String {
        let uuid = self.users.get(i).map(|u| u.uuid.as_str()).unwrap_or("");
        format!("{}/users/{uuid}", self.base)
    }

    pub fn event_uri(&self, e: &Event) -> String {
        format!("{}/scheduled_events/{}", self.base, e.uuid)
    }

    pub fn organization(&self) -> Value {
        json!({
            "uri": self.org_uri(),
            "plan": "teams",
            "stage": "paid",
            "created_at": ts(self.org.created_at),
            "updated_at": ts(self.org.created_at),
        })
    }

    /// The user as `GET /users/{uuid}` shows it (memberships embed it without
    /// `current_organization`).
    pub fn user(&self, i: usize, with_org: bool) -> Value {
        let Some(u) = self.users.get(i) else {
            return Value::Null;
        };
        let mut v = json!({
            "uri": self.user_uri(i),
            "name": u.name,
            "slug": u.slug,
            "email": u.email,
            "scheduling_url": format!("https://calendly.com/{}", u.slug),
            "timezone": u.timezone,
            "avatar_url": null,
            "created_at": ts(u.created_at),
            "updated_at": ts(u.created_at),
        });
        if with_org {
            v["current_organization"] = json!(self.org_uri());
        }
        v
    }

    pub fn membership(&self, i: usize) -> Value {
        let Some(u) = self.users.get(i) else {
            return Value::Null;
        };
        json!({
            "uri": format!("{}/organization_memberships/{}", self.base, u.membership_uuid),
            "role": u.role.as_str(),
            "user": self.user(i, false),
            "organization": self.org_uri(),
            "created_at": ts(u.created_at),
            "updated_at": ts(u.created_at),
        })
    }

    pub fn event_type(&self, t: &EventType) -> Value {
        let owner = self.users.get(t.owner);
        let owner_slug = owner.map(|u| u.slug.as_str()).unwrap_or("");
        json!({
            "uri": format!("{}/event_types/{}", self.base, t.uuid),
            "name": t.name,
            "active": t.active,
            "booking_method": "instant",
            "slug": t.slug,
            "scheduling_url": format!("https://calendly.com/{owner_slug}/{}", t.slug),
            "duration": t.duration,
            "kind": if t.group { "group" } else { "solo" },
            "pooling_type": null,
            "type": "StandardEventType",
            "kind_description": if t.group { "Group" } else { "One-on-One" },
            "color": t.color,
            "created_at": ts(t.created_at),
            "updated_at": ts(t.created_at),
            "internal_note": null,
            "description_plain": t.name,
            "description_html": format!("<p>{}</p>", t.name),
            "profile": {
                "type": "User",
                "name": owner.map(|u| u.name.as_str()).unwrap_or(""),
                "owner": self.user_uri(t.owner),
            },
            "secret": false,
            "deleted_at": null,
            "admin_managed": false,
            "custom_questions": [{
                "name": "Company Name",
                "type": "string",
                "position": 0,
                "enabled": true,
                "required": false,
                "answer_choices": [],
                "include_other": false,
            }],
        })
    }

    pub fn event(&self, e: &Event) -> Value {
        let name = self
            .event_types
            .get(e.event_type)
            .map(|t| t.name.as_str())
            .unwrap_or("Meeting");
        let et_uuid = self
            .event_types
            .get(e.event_type)
            .map(|t| t.uuid.as_str())
            .unwrap_or("");
        let location = match &e.location {
            Location::Physical(place) => json!({ "type": "physical", "location": place }),
            Location::Google => json!({
                "type": "google_conference",
                "status": "pushed",
                "join_url": format!("https://calendly.com/events/{}/google_meet", e.uuid),
            }),
            Location::Phone(n) => json!({ "type": "outbound_call", "location": n }),
        };
        let active = e
            .invitees
            .iter()
            .filter(|i| i.cancellation.is_none())
            .count();
        let mut v = json!({
            "uri": self.event_uri(e),
            "name": name,
            "status": if e.active() { "active" } else { "canceled" },
            "start_time": ts(e.start),
            "end_time": ts(e.end),
            "event_type": format!("{}/event_types/{et_uuid}", self.base),
            "location": location,
            "invitees_counter": { "total": e.invitees.len(), "active": active, "limit": e.limit },
            "created_at": ts(e.created_at),
            "updated_at": ts(e.updated_at),
            "event_memberships": [{ "user": self.user_uri(e.host) }],
            "event_guests": [],
            "calendar_event": e.external_id.as_ref().map(|id| json!({ "kind": "google", "external_id": id })),
        });
        if let Some(c) = &e.cancellation {
            v["cancellation"] = cancellation(c);
        }
        v
    }

    pub fn invitee(&self, e: &Event, i: &Invitee) -> Value {
        let event_uri = self.event_uri(e);
        let mut v = json!({
            "uri": format!("{event_uri}/invitees/{}", i.uuid),
            "email": i.email,
            "first_name": i.first_name,
            "last_name": i.last_name,
            "name": format!("{} {}", i.first_name, i.last_name),
            "status": if i.cancellation.is_none() { "active" } else { "canceled" },
            "questions_and_answers": [{
                "question": "Company Name",
                "answer": i.company,
                "position": 0,
            }],
            "timezone": i.timezone,
            "event": event_uri,
            "created_at": ts(i.created_at),
            "updated_at": ts(i.updated_at),
            "tracking": {
                "utm_campaign": null, "utm_source": null, "utm_medium": null,
                "utm_content": null, "utm_term": null, "salesforce_uuid": null,
            },
            "text_reminder_number": null,
            "rescheduled": false,
            "old_invitee": null,
            "new_invitee": null,
            "cancel_url": format!("https://calendly.com/cancellations/{}", i.uuid),
            "reschedule_url": format!("https://calendly.com/reschedulings/{}", i.uuid),
            "routing_form_submission": null,
            "payment": null,
            "no_show": null,
            "reconfirmation": null,
        });
        if let Some(c) = &i.cancellation {
            v["cancellation"] = cancellation(c);
        }
        v
    }

    pub fn webhook(&self, w: &WebhookSubscription) -> Value {
        json!({
            "uri": format!("{}/webhook_subscriptions/{}", self.base, w.uuid),
            "callback_url": w.callback_url,
            "created_at": ts(w.created_at),
            "updated_at": ts(w.created_at),
            "retry_started_at": null,
            "state": "active",
            "events": w.events,
            "scope": w.scope,
            "organization": self.org_uri(),
            "user": w.user.map(|u| self.user_uri(u)),
            "creator": self.user_uri(w.creator),
        })
    }
}

fn cancellation(c: &Cancellation) -> Value {
    json!({
        "canceled_by": c.canceled_by,
        "reason": c.reason,
        "canceler_type": c.canceler_type,
    })
}
