//! The Calendly stream: the organization's users, memberships, event types,
//! its scheduled events over a rolling window (past and future, active and
//! canceled) and **every** invitee of every event. Every list is read to its
//! last page; a page that fails after its retries fails the run. An
//! incremental run still lists the window's events (a few requests) but
//! re-reads invitees only of events that are new or changed: an event's
//! `updated_at` and invitee counter move with every booking and cancellation.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{Duration, Utc};
use sea_orm::ActiveValue::Set;
use serde::Serialize;
use serde_json::Value;

use super::error::PipelineError;
use super::model::streams::{
    CALENDLY_EVENT_TYPES, CALENDLY_EVENTS, CALENDLY_INVITEES, CALENDLY_MEMBERSHIPS, CALENDLY_USERS,
};
use super::run::{RunCtx, stages};
use super::writer::{Record, Writer, content_hash};
use crate::db::entities::{
    calendly_event, calendly_event_type, calendly_invitee, calendly_membership, calendly_user,
};
use crate::db::repo::calendly as repo;
use crate::db::repo::snapshots;
use crate::upstream::calendly::{
    CalendlyClient, EventType, Invitee, OrganizationMembership, ScheduledEvent, Status, User,
};

pub struct Calendly {
    pub client: Arc<CalendlyClient>,
    pub days_back: u32,
    pub days_ahead: u32,
}

fn raw(v: &impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

pub fn status(s: Status) -> &'static str {
    match s {
        Status::Active => "active",
        Status::Canceled => "canceled",
        Status::Other => "other",
    }
}

pub fn user_row(run: i64, u: &User, current: bool) -> Record<calendly_user::ActiveModel> {
    let raw = raw(u);
    let hash = content_hash(&serde_json::json!([raw, current]));
    Record {
        key: u.uri.clone(),
        hash: hash.clone(),
        row: calendly_user::ActiveModel {
            uri: Set(u.uri.clone()),
            valid_from: Set(run),
            valid_to: Set(None),
            hash: Set(hash),
            name: Set(Some(u.name.clone())),
            email: Set(Some(u.email.clone())),
            slug: Set(u.slug.clone()),
            timezone: Set(u.timezone.clone()),
            scheduling_url: Set(u.scheduling_url.clone()),
            organization: Set(u.current_organization.clone()),
            is_current: Set(current),
            created_at: Set(Some(u.created_at)),
            updated_at: Set(Some(u.updated_at)),
            raw: Set(raw.to_string()),
        },
        extra: (),
    }
}

pub fn membership_row(
    run: i64,
    m: &OrganizationMembership,
) -> Record<calendly_membership::ActiveModel> {
    let raw = raw(m);
    let hash = content_hash(&raw);
    Record {
        key: m.uri.clone(),
        hash: hash.clone(),
        row: calendly_membership::ActiveModel {
            uri: Set(m.uri.clone()),
            valid_from: Set(run),
            valid_to: Set(None),
            hash: Set(hash),
            user_uri: Set(Some(m.user.uri.clone())),
            user_name: Set(Some(m.user.name.clone())),
            user_email: Set(Some(m.user.email.clone())),
            role: Set(Some(m.role.clone())),
            organization: Set(Some(m.organization.clone())),
            created_at: Set(Some(m.created_at)),
            updated_at: Set(Some(m.updated_at)),
            raw: Set(raw.to_string()),
        },
        extra: (),
    }
}

pub fn event_type_row(run: i64, t: &EventType) -> Record<calendly_event_type::ActiveModel> {
    let raw = raw(t);
    let hash = content_hash(&raw);
    Record {
        key: t.uri.clone(),
        hash: hash.clone(),
        row: calendly_event_type::ActiveModel {
            uri: Set(t.uri.clone()),
            valid_from: Set(run),
            valid_to: Set(None),
            hash: Set(hash),
            name: Set(t.name.clone()),
            slug: Set(t.slug.clone()),
            active: Set(t.active),
            kind: Set(t.kind.clone()),
            duration: Set(i32::try_from(t.duration).ok()),
            scheduling_url: Set(t.scheduling_url.clone()),
            owner_uri: Set(t.profile.as_ref().and_then(|p| p.owner.clone())),
            created_at: Set(Some(t.created_at)),
            updated_at: Set(Some(t.updated_at)),
            raw: Set(raw.to_string()),
        },
        extra: (),
    }
}

pub fn event_row(run: i64, e: &ScheduledEvent) -> Record<calendly_event::ActiveModel> {
    let raw = raw(e);
    let hash = content_hash(&raw);
    Record {
        key: e.uri.clone(),
        hash: hash.clone(),
        row: calendly_event::ActiveModel {
            uri: Set(e.uri.clone()),
            valid_from: Set(run),
            valid_to: Set(None),
            hash: Set(hash),
            name: Set(e.name.clone()),
            status: Set(status(e.status).to_owned()),
            start_time: Set(Some(e.start_time)),
            end_time: Set(Some(e.end_time)),
            event_type_uri: Set(e.event_type.clone()),
            location: Set(e
                .location
                .as_ref()
                .map(|l| l.location.clone().unwrap_or_else(|| l.kind.clone()))),
            invitees_total: Set(i32::try_from(e.invitees_counter.total).unwrap_or(i32::MAX)),
            invitees_active: Set(i32::try_from(e.invitees_counter.active).unwrap_or(i32::MAX)),
            cancel_reason: Set(e.cancellation.as_ref().and_then(|c| c.reason.clone())),
            touched_at: Set(None),
            created_at: Set(Some(e.created_at)),
            updated_at: Set(Some(e.updated_at)),
            raw: Set(raw.to_string()),
        },
        extra: (),
    }
}

pub fn invitee_row(run: i64, i: &Invitee) -> Record<calendly_invitee::ActiveModel> {
    let raw = raw(i);
    let hash = content_hash(&raw);
    let email = i.email.trim();
    Record {
        key: i.uri.clone(),
        hash: hash.clone(),
        row: calendly_invitee::ActiveModel {
            uri: Set(i.uri.clone()),
            valid_from: Set(run),
            valid_to: Set(None),
            hash: Set(hash),
            event_uri: Set(i.event.clone()),
            email: Set(Some(i.email.clone())),
            email_key: Set((!email.is_empty()).then(|| email.to_lowercase())),
            name: Set(Some(i.name.clone())),
            first_name: Set(i.first_name.clone()),
            last_name: Set(i.last_name.clone()),
            status: Set(status(i.status).to_owned()),
            cancel_reason: Set(i.cancellation.as_ref().and_then(|c| c.reason.clone())),
            canceled_by: Set(i.cancellation.as_ref().map(|c| c.canceled_by.clone())),
            rescheduled: Set(i.rescheduled),
            questions_and_answers: Set(Some(raw_of(&i.questions_and_answers))),
            tracking: Set(i.tracking.as_ref().map(raw_of)),
            timezone: Set(i.timezone.clone()),
            touched_at: Set(None),
            created_at: Set(Some(i.created_at)),
            updated_at: Set(Some(i.updated_at)),
            raw: Set(raw.to_string()),
        },
        extra: (),
    }
}

fn raw_of(v: &impl Serialize) -> String {
    raw(v).to_string()
}

impl Calendly {
    #[tracing::instrument(skip_all)]
    pub async fn run(&self, ctx: &RunCtx, incremental: bool) -> Result<(), PipelineError> {
        if ctx.finished(stages::CALENDLY_INVITEES) {
            return Ok(());
        }
        let to_read = match ctx.invitees_of() {
            // Handed over after the events were read.
            Some(events) => events,
            None => {
                let me = self.client.me().await?;
                let org = me.current_organization.clone().ok_or_else(|| {
                    PipelineError::Upstream(
                        "the Calendly user belongs to no organization".to_owned(),
                    )
                })?;
                if !ctx.finished(stages::CALENDLY_ACCOUNTS) {
                    self.accounts(ctx, &me, &org).await?;
                    ctx.finish(stages::CALENDLY_ACCOUNTS);
                }
                let events = self.events(ctx, &org, incremental).await?;
                ctx.set_invitees_of(events.clone());
                ctx.finish(stages::CALENDLY_EVENTS);
                events
            }
        };
        self.invitees(ctx, to_read, incremental).await?;
        ctx.finish(stages::CALENDLY_INVITEES);
        Ok(())
    }

    /// Users, memberships and event types: one small stage.
    async fn accounts(&self, ctx: &RunCtx, me: &User, org: &str) -> Result<(), PipelineError> {
        let members = self.client.organization_memberships(org).await?;
        ctx.checkpoint()?;
        let mut users = Writer::<calendly_user::Entity>::new(CALENDLY_USERS);
        let mut rows = vec![user_row(ctx.number, me, true)];
        rows.extend(
            members
                .iter()
                .filter(|m| m.user.uri != me.uri)
                .map(|m| user_row(ctx.number, &m.user, false)),
        );
        ctx.count(CALENDLY_USERS, |s| s.fetched += rows.len() as u64);
        users.write(ctx, rows).await?;
        users.close_unseen(ctx).await?;
        let mut memberships = Writer::<calendly_membership::Entity>::new(CALENDLY_MEMBERSHIPS);
        ctx.count(CALENDLY_MEMBERSHIPS, |s| s.fetched += members.len() as u64);
        memberships
            .write(
                ctx,
                members
                    .iter()
                    .map(|m| membership_row(ctx.number, m))
                    .collect(),
            )
            .await?;
        memberships.close_unseen(ctx).await?;

        let types = self.client.event_types(org).await?;
        ctx.checkpoint()?;
        let mut event_types = Writer::<calendly_event_type::Entity>::new(CALENDLY_EVENT_TYPES);
        ctx.count(CALENDLY_EVENT_TYPES, |s| s.fetched += types.len() as u64);
        event_types
            .write(
                ctx,
                types
                    .iter()
                    .map(|t| event_type_row(ctx.number, t))
                    .collect(),
            )
            .await?;
        event_types.close_unseen(ctx).await?;
        ctx.info(
            CALENDLY_USERS,
            format!("{} members, {} event types", members.len(), types.len()),
        )
        .await;
        Ok(())
    }

    /// Lists the window's events page by page; returns the events whose
    /// invitees must be read (all of them, or the new and changed ones).
    async fn events(
        &self,
        ctx: &RunCtx,
        org: &str,
        incremental: bool,
    ) -> Result<Vec<String>, PipelineError> {
        let now = Utc::now();
        let from = now - Duration::days(self.days_back.into());
        let to = now + Duration::days(self.days_ahead.into());
        let mut writer = Writer::<calendly_event::Entity>::new(CALENDLY_EVENTS);
        let mut to_read = Vec::new();
        let mut token: Option<String> = None;
        loop {
            ctx.checkpoint()?;
            let page = self
                .client
                .scheduled_events_page(org, from, to, token.as_deref())
                .await?;
            let rows: Vec<_> = page
                .items
                .iter()
                .map(|e| event_row(ctx.number, e))
                .collect();
            let keys: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
            let before =
                snapshots::current_versions::<calendly_event::Entity>(&ctx.db, &keys).await?;
            for r in &rows {
                // A version this run wrote before a hand-over is new to the
                // run, not the same as before.
                let same = before
                    .get(&r.key)
                    .is_some_and(|(h, from)| *h == r.hash && *from != ctx.number);
                if !(incremental && same) {
                    to_read.push(r.key.clone());
                }
            }
            ctx.count(CALENDLY_EVENTS, |s| s.fetched += rows.len() as u64);
            writer.write(ctx, rows).await?;
            ctx.progress(CALENDLY_EVENTS, writer.seen().len() as u64, None)
                .await;
            match page.next_page_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        let seen = writer.seen().len() as u64;
        ctx.progress(CALENDLY_EVENTS, seen, Some(seen)).await;
        // Events that left the window (or were deleted) go, with their invitees.
        let current =
            snapshots::current_keys::<calendly_event::Entity>(&ctx.db, Some(ctx.started_at))
                .await?;
        let gone: Vec<String> = current.difference(writer.seen()).cloned().collect();
        writer.close(ctx, &gone).await?;
        let orphans: Vec<String> = repo::current_invitees_of(&ctx.db, &gone)
            .await?
            .into_iter()
            .map(|(uri, _)| uri)
            .collect();
        let mut invitees = Writer::<calendly_invitee::Entity>::new(CALENDLY_INVITEES);
        invitees.close(ctx, &orphans).await?;
        ctx.info(
            CALENDLY_EVENTS,
            format!(
                "{seen} events in the window; {} to read invitees of; {} gone",
                to_read.len(),
                gone.len()
            ),
        )
        .await;
        Ok(to_read)
    }

    /// Every invitee of each event (all pages); an invitee no longer listed
    /// under its event is gone.
    async fn invitees(
        &self,
        ctx: &RunCtx,
        events: Vec<String>,
        incremental: bool,
    ) -> Result<(), PipelineError> {
        let mut writer = Writer::<calendly_invitee::Entity>::new(CALENDLY_INVITEES);
        let total = events.len() as u64;
        let held: HashMap<String, Vec<String>> = {
            let mut m: HashMap<String, Vec<String>> = HashMap::new();
            for (uri, event) in repo::current_invitees_of(&ctx.db, &events).await? {
                m.entry(event).or_default().push(uri);
            }
            m
        };
        for (n, event) in events.iter().enumerate() {
            ctx.checkpoint()?;
            let found = self.client.invitees(event).await?;
            ctx.count(CALENDLY_INVITEES, |s| s.fetched += found.len() as u64);
            let listed: HashSet<&str> = found.iter().map(|i| i.uri.as_str()).collect();
            let gone: Vec<String> = held
                .get(event)
                .into_iter()
                .flatten()
                .filter(|uri| !listed.contains(uri.as_str()))
                .cloned()
                .collect();
            writer
                .write(
                    ctx,
                    found.iter().map(|i| invitee_row(ctx.number, i)).collect(),
                )
                .await?;
            writer.close(ctx, &gone).await?;
            ctx.progress(CALENDLY_INVITEES, n as u64 + 1, Some(total))
                .await;
        }
        if !incremental {
            writer.close_unseen(ctx).await?;
        }
        let limit = self.client.rate_limit();
        ctx.info(
            CALENDLY_INVITEES,
            format!(
                "read the invitees of {total} events ({} requests so far; rate limit left {})",
                self.client.requests_sent(),
                limit.map_or(-1, |l| i64::from(l.remaining))
            ),
        )
        .await;
        Ok(())
    }
}
