//! The Calendly datasets as tables: members, scheduled events and every
//! invitee (users and event types too), as the pipeline and the webhooks
//! keep them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Column, ExportError, ExportService, Kind, PAGE_ROWS, Page, Pages, Table};
use crate::db::entities::{
    calendly_event, calendly_event_type, calendly_invitee, calendly_membership, calendly_user,
};
use crate::pipeline::data::{EventFilter, InviteeFilter, Snapshot};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    Users,
    Members,
    EventTypes,
    Events,
    Invitees,
}

impl Dataset {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "users" | "user" => Self::Users,
            "members" => Self::Members,
            "event_types" | "event-types" => Self::EventTypes,
            "events" => Self::Events,
            "invitees" => Self::Invitees,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Members => "members",
            Self::EventTypes => "event_types",
            Self::Events => "events",
            Self::Invitees => "invitees",
        }
    }
}

/// The filters the Calendly routes take.
#[derive(Clone, Debug, Default)]
pub struct CalendlyQuery {
    pub events: EventFilter,
    pub invitees: InviteeFilter,
}

fn cols(spec: &[(&str, Kind)]) -> Vec<Column> {
    spec.iter().map(|(n, k)| Column::new(*n, *k)).collect()
}

/// Models as one page of rows `width` cells wide, each written by `row`.
fn page<T>(width: usize, items: Vec<T>, row: impl Fn(&mut Page, T)) -> Page {
    let mut p = Page::new(width, items.len());
    for item in items {
        row(&mut p, item);
    }
    p
}

fn one_page(page: Page) -> Pages {
    Box::pin(futures_util::stream::iter([Ok(page)]))
}

impl ExportService {
    /// One Calendly dataset of the published snapshot.
    pub async fn calendly(&self, set: Dataset, q: &CalendlyQuery) -> Result<Table, ExportError> {
        let s = self.snapshot().await?;
        self.calendly_on(s, set, q).await
    }

    /// One Calendly dataset of snapshot `s`, so that several datasets of one
    /// answer come from one snapshot.
    pub async fn calendly_on(
        &self,
        s: Snapshot,
        set: Dataset,
        q: &CalendlyQuery,
    ) -> Result<Table, ExportError> {
        let (columns, pages) = match set {
            Dataset::Users => (
                users_columns(),
                one_page(page(
                    users_columns().len(),
                    self.data.users(&s).await?,
                    user_row,
                )),
            ),
            Dataset::Members => (
                members_columns(),
                one_page(page(
                    members_columns().len(),
                    self.data.memberships(&s).await?,
                    member_row,
                )),
            ),
            Dataset::EventTypes => (
                event_types_columns(),
                one_page(page(
                    event_types_columns().len(),
                    self.data.event_types(&s).await?,
                    event_type_row,
                )),
            ),
            Dataset::Events => {
                let types = Arc::new(self.type_names(&s).await?);
                (
                    events_columns(),
                    self.event_pages(s.clone(), q.events.clone(), types),
                )
            }
            Dataset::Invitees => (
                invitees_columns(),
                self.invitee_pages(s.clone(), q.invitees.clone()),
            ),
        };
        Ok(Table {
            name: format!("calendly-{}", set.name()),
            snapshot: s,
            columns,
            pages,
            csv_rows: None,
        })
    }

    /// When a webhook last changed the snapshot's events or invitees: part
    /// of what identifies a Calendly export, since webhooks write into the
    /// published snapshot between runs.
    pub async fn calendly_touched(&self) -> Result<Option<DateTime<Utc>>, ExportError> {
        Ok(self.data.last_touched().await?)
    }

    async fn type_names(&self, s: &Snapshot) -> Result<HashMap<String, String>, ExportError> {
        Ok(self
            .data
            .event_types(s)
            .await?
            .into_iter()
            .filter_map(|t| Some((t.uri, t.name?)))
            .collect())
    }

    fn event_pages(
        &self,
        s: Snapshot,
        f: EventFilter,
        types: Arc<HashMap<String, String>>,
    ) -> Pages {
        let data = self.data.clone();
        Box::pin(async_stream::try_stream! {
            let mut after = None;
            loop {
                let (events, more) = data.events(&s, &f, after.clone(), PAGE_ROWS).await?;
                if !data.still_readable(&s).await? {
                    Err(ExportError::SnapshotGone(s.number))?;
                }
                after = events.last().and_then(|e| Some((e.start_time?, e.uri.clone())));
                yield page(events_columns().len(), events, |p, e| event_row(p, e, &types));
                if !more || after.is_none() {
                    break;
                }
            }
        })
    }

    fn invitee_pages(&self, s: Snapshot, f: InviteeFilter) -> Pages {
        let data = self.data.clone();
        Box::pin(async_stream::try_stream! {
            let mut after = None;
            loop {
                let (invitees, more) = data.invitees(&s, &f, after.clone(), PAGE_ROWS).await?;
                if !data.still_readable(&s).await? {
                    Err(ExportError::SnapshotGone(s.number))?;
                }
                after = invitees.last().and_then(|i| Some((i.created_at?, i.uri.clone())));
                yield page(invitees_columns().len(), invitees, invitee_row);
                if !more || after.is_none() {
                    break;
                }
            }
        })
    }
}

fn users_columns() -> Vec<Column> {
    cols(&[
        ("uri", Kind::Text),
        ("name", Kind::Text),
        ("email", Kind::Text),
        ("slug", Kind::Text),
        ("timezone", Kind::Text),
        ("scheduling_url", Kind::Text),
        ("organization", Kind::Text),
        ("is_current", Kind::Bool),
        ("created_at", Kind::Time),
        ("updated_at", Kind::Time),
    ])
}

fn user_row(p: &mut Page, u: calendly_user::Model) {
    p.text(&u.uri);
    p.opt(u.name.as_deref());
    p.opt(u.email.as_deref());
    p.opt(u.slug.as_deref());
    p.opt(u.timezone.as_deref());
    p.opt(u.scheduling_url.as_deref());
    p.opt(u.organization.as_deref());
    p.boolean(u.is_current);
    p.time(u.created_at);
    p.time(u.updated_at);
}

fn members_columns() -> Vec<Column> {
    cols(&[
        ("uri", Kind::Text),
        ("user_uri", Kind::Text),
        ("name", Kind::Text),
        ("email", Kind::Text),
        ("role", Kind::Text),
        ("organization", Kind::Text),
        ("created_at", Kind::Time),
        ("updated_at", Kind::Time),
    ])
}

fn member_row(p: &mut Page, m: calendly_membership::Model) {
    p.text(&m.uri);
    p.opt(m.user_uri.as_deref());
    p.opt(m.user_name.as_deref());
    p.opt(m.user_email.as_deref());
    p.opt(m.role.as_deref());
    p.opt(m.organization.as_deref());
    p.time(m.created_at);
    p.time(m.updated_at);
}

fn event_types_columns() -> Vec<Column> {
    cols(&[
        ("uri", Kind::Text),
        ("name", Kind::Text),
        ("slug", Kind::Text),
        ("active", Kind::Bool),
        ("kind", Kind::Text),
        ("duration", Kind::Integer),
        ("scheduling_url", Kind::Text),
        ("owner_uri", Kind::Text),
        ("created_at", Kind::Time),
        ("updated_at", Kind::Time),
    ])
}

fn event_type_row(p: &mut Page, t: calendly_event_type::Model) {
    p.text(&t.uri);
    p.opt(t.name.as_deref());
    p.opt(t.slug.as_deref());
    p.boolean(t.active);
    p.opt(t.kind.as_deref());
    p.integer(t.duration.map(i64::from));
    p.opt(t.scheduling_url.as_deref());
    p.opt(t.owner_uri.as_deref());
    p.time(t.created_at);
    p.time(t.updated_at);
}

fn events_columns() -> Vec<Column> {
    cols(&[
        ("uri", Kind::Text),
        ("name", Kind::Text),
        ("status", Kind::Text),
        ("start_time", Kind::Time),
        ("end_time", Kind::Time),
        ("event_type_uri", Kind::Text),
        ("event_type", Kind::Text),
        ("location", Kind::Text),
        ("invitees_total", Kind::Integer),
        ("invitees_active", Kind::Integer),
        ("cancel_reason", Kind::Text),
        ("created_at", Kind::Time),
        ("updated_at", Kind::Time),
    ])
}

fn event_row(p: &mut Page, e: calendly_event::Model, types: &HashMap<String, String>) {
    let type_name = e.event_type_uri.as_ref().and_then(|u| types.get(u));
    p.text(&e.uri);
    p.opt(e.name.as_deref());
    p.text(&e.status);
    p.time(e.start_time);
    p.time(e.end_time);
    p.opt(e.event_type_uri.as_deref());
    p.opt(type_name.map(String::as_str));
    p.opt(e.location.as_deref());
    p.integer(Some(e.invitees_total.into()));
    p.integer(Some(e.invitees_active.into()));
    p.opt(e.cancel_reason.as_deref());
    p.time(e.created_at);
    p.time(e.updated_at);
}

fn invitees_columns() -> Vec<Column> {
    cols(&[
        ("uri", Kind::Text),
        ("event_uri", Kind::Text),
        ("email", Kind::Text),
        ("name", Kind::Text),
        ("first_name", Kind::Text),
        ("last_name", Kind::Text),
        ("status", Kind::Text),
        ("cancel_reason", Kind::Text),
        ("canceled_by", Kind::Text),
        ("rescheduled", Kind::Bool),
        ("timezone", Kind::Text),
        ("questions_and_answers", Kind::Text),
        ("tracking", Kind::Text),
        ("created_at", Kind::Time),
        ("updated_at", Kind::Time),
    ])
}

fn invitee_row(p: &mut Page, i: calendly_invitee::Model) {
    p.text(&i.uri);
    p.text(&i.event_uri);
    p.opt(i.email.as_deref());
    p.opt(i.name.as_deref());
    p.opt(i.first_name.as_deref());
    p.opt(i.last_name.as_deref());
    p.text(&i.status);
    p.opt(i.cancel_reason.as_deref());
    p.opt(i.canceled_by.as_deref());
    p.boolean(i.rescheduled);
    p.opt(i.timezone.as_deref());
    p.opt(i.questions_and_answers.as_deref());
    p.opt(i.tracking.as_deref());
    p.time(i.created_at);
    p.time(i.updated_at);
}
