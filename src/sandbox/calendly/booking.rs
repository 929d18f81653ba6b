//! What happens "on Calendly's side" for the control API: a lead books a
//! meeting, an invitee or the host cancels, and each change is sent to the
//! matching webhook subscriptions as `invitee.created` / `invitee.canceled`
//! with the invitee and its `scheduled_event`, as current payloads carry them.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::errors::ApiError;
use super::model::{self, Cancellation, Event, Invitee, Location, Render};
use super::seeding::{self, Data, TIMEZONES};
use super::{CalendlySim, uuid_of, webhooks, write};

/// A meeting booked through the control API.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct Booking {
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// Add the invitee to this existing event (UUID or URI) instead of
    /// booking a new one.
    #[serde(default)]
    pub event: Option<String>,
    /// Event type of a new event (UUID or URI); default: the owner's first.
    #[serde(default)]
    pub event_type: Option<String>,
    /// Start of a new event; default: tomorrow 10:00 UTC.
    #[serde(default)]
    pub start_time: Option<DateTime<Utc>>,
}

impl CalendlySim {
    /// Books a meeting as an invitee would: a new event (or a seat in an
    /// existing one) and an active invitee; fires `invitee.created`. Returns
    /// the invitee with its `scheduled_event`, as the webhook carries it.
    pub fn book(&self, b: Booking) -> Result<Value, ApiError> {
        if !b.email.contains('@') {
            return Err(ApiError::invalid("email", "is not a valid email address"));
        }
        let now = Utc::now();
        let local = b.email.split('@').next().unwrap_or("guest");
        let mut parts = local.split(['.', '_', '-']).filter(|s| !s.is_empty());
        let cap = |s: &str| {
            let s: String = s.chars().filter(|c| c.is_alphabetic()).collect();
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_else(|| "Guest".to_owned())
        };
        let first_name = b
            .first_name
            .unwrap_or_else(|| cap(parts.next().unwrap_or("guest")));
        let last_name = b
            .last_name
            .unwrap_or_else(|| cap(parts.next().unwrap_or("")));
        let invitee = Invitee {
            uuid: self.new_uuid(),
            email: b.email.clone(),
            first_name,
            last_name,
            timezone: TIMEZONES[0],
            company: String::new(),
            created_at: now,
            updated_at: now,
            cancellation: None,
        };
        let (event_idx, invitee_idx) = {
            let mut data = write(&self.data);
            let event_idx = match &b.event {
                Some(e) => {
                    let idx = *data
                        .event_index
                        .get(uuid_of(e))
                        .ok_or_else(ApiError::not_found)?;
                    let ev = &mut data.events[idx];
                    if !ev.active() {
                        return Err(ApiError::invalid("event", "the event is canceled"));
                    }
                    let seated = ev.invitees.iter().filter(|i| i.cancellation.is_none());
                    if seated.count() >= ev.limit as usize {
                        return Err(ApiError::invalid("event", "the event is full"));
                    }
                    ev.updated_at = now;
                    idx
                }
                None => {
                    let type_idx = match &b.event_type {
                        Some(t) => data
                            .event_types
                            .iter()
                            .position(|et| et.uuid == uuid_of(t))
                            .ok_or_else(|| ApiError::invalid("event_type", "no such event type"))?,
                        None => 0,
                    };
                    let (host, duration, group) = data
                        .event_types
                        .get(type_idx)
                        .map(|t| (t.owner, t.duration, t.group))
                        .unwrap_or((0, 30, false));
                    let start = b.start_time.unwrap_or_else(|| {
                        seeding::default_anchor() + chrono::Duration::hours(24 + 10)
                    });
                    let uuid = self.new_uuid();
                    let next = data.events.len();
                    data.event_index.insert(uuid.clone(), next);
                    data.events.push(Event {
                        uuid,
                        event_type: type_idx,
                        host,
                        start,
                        end: start + chrono::Duration::minutes(duration),
                        location: Location::Google,
                        limit: if group { 5 } else { 1 },
                        created_at: now,
                        updated_at: now,
                        cancellation: None,
                        invitees: Vec::new(),
                        external_id: None,
                    });
                    data.events.len() - 1
                }
            };
            let ev = &mut data.events[event_idx];
            ev.invitees.push(invitee);
            (event_idx, ev.invitees.len() - 1)
        };
        Ok(self.fire("invitee.created", event_idx, &[invitee_idx]))
    }

    /// Cancels one invitee (the invitee cancels); when no active invitee is
    /// left the event is canceled too. Fires `invitee.canceled`.
    pub fn cancel_invitee(
        &self,
        event: &str,
        invitee: &str,
        reason: Option<String>,
    ) -> Result<Value, ApiError> {
        let now = Utc::now();
        let (event_idx, invitee_idx) = {
            let mut data = write(&self.data);
            let idx = *data
                .event_index
                .get(uuid_of(event))
                .ok_or_else(ApiError::not_found)?;
            let ev = &mut data.events[idx];
            let i = ev
                .invitees
                .iter()
                .position(|i| i.uuid == uuid_of(invitee))
                .ok_or_else(ApiError::not_found)?;
            let inv = &mut ev.invitees[i];
            if inv.cancellation.is_some() {
                return Err(ApiError::invalid(
                    "invitee",
                    "the invitee is already canceled",
                ));
            }
            let c = Cancellation {
                canceled_by: format!("{} {}", inv.first_name, inv.last_name),
                reason,
                canceler_type: "invitee",
            };
            inv.cancellation = Some(c.clone());
            inv.updated_at = now;
            ev.updated_at = now;
            if ev.invitees.iter().all(|i| i.cancellation.is_some()) {
                ev.cancellation = Some(c);
            }
            (idx, i)
        };
        Ok(self.fire("invitee.canceled", event_idx, &[invitee_idx]))
    }

    /// The host cancels the whole event: every active invitee is canceled and
    /// gets its own `invitee.canceled`. Returns the event.
    pub fn cancel_event(&self, event: &str, reason: Option<String>) -> Result<Value, ApiError> {
        let now = Utc::now();
        let (event_idx, canceled) = {
            let mut data = write(&self.data);
            let idx = *data
                .event_index
                .get(uuid_of(event))
                .ok_or_else(ApiError::not_found)?;
            let host = data.events[idx].host;
            let host_name = data
                .users
                .get(host)
                .map(|u| u.name.clone())
                .unwrap_or_default();
            let ev = &mut data.events[idx];
            if !ev.active() {
                return Err(ApiError::invalid("event", "the event is already canceled"));
            }
            let c = Cancellation {
                canceled_by: host_name,
                reason,
                canceler_type: "host",
            };
            let mut canceled = Vec::new();
            for (i, inv) in ev.invitees.iter_mut().enumerate() {
                if inv.cancellation.is_none() {
                    inv.cancellation = Some(c.clone());
                    inv.updated_at = now;
                    canceled.push(i);
                }
            }
            ev.cancellation = Some(c);
            ev.updated_at = now;
            (idx, canceled)
        };
        self.fire("invitee.canceled", event_idx, &canceled);
        Ok(self.with_event(event_idx, |r, e, _| r.event(e)))
    }

    fn with_event<R>(&self, idx: usize, f: impl FnOnce(&Render<'_>, &Event, &Data) -> R) -> R {
        self.view(|r, data| f(r, &data.events[idx], data))
    }

    /// Sends `kind` for the given invitees of one event to every matching
    /// subscription, in the background. Returns the last invitee's payload.
    fn fire(&self, kind: &str, event_idx: usize, invitees: &[usize]) -> Value {
        let (mut payloads, deliveries) = self.with_event(event_idx, |r, e, data| {
            let mut payloads = Vec::new();
            let mut deliveries = Vec::new();
            for &i in invitees {
                let Some(inv) = e.invitees.get(i) else {
                    continue;
                };
                let mut payload = r.invitee(e, inv);
                payload["scheduled_event"] = r.event(e);
                for w in &data.webhooks {
                    let in_scope = w.scope == "organization" || w.user == Some(e.host);
                    if !in_scope || !w.events.iter().any(|k| k == kind) {
                        continue;
                    }
                    deliveries.push(webhooks::Delivery {
                        url: w.callback_url.clone(),
                        body: json!({
                            "event": kind,
                            "created_at": model::ts(Utc::now()),
                            "created_by": r.user_uri(w.creator),
                            "payload": payload,
                        }),
                        signing_key: w
                            .signing_key
                            .clone()
                            .or_else(|| self.options.signing_key.clone()),
                    });
                }
                payloads.push(payload);
            }
            (payloads, deliveries)
        });
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            for d in deliveries {
                rt.spawn(webhooks::deliver(
                    self.http.clone(),
                    d,
                    self.options.webhook_max_retries,
                    self.options.webhook_retry_delay,
                ));
            }
        }
        payloads.pop().unwrap_or(Value::Null)
    }
}
