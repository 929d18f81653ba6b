//! The Calendly datasets as tables: members, scheduled events and every
//! invitee (users and event types too), as the pipeline and the webhooks
//! keep them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Cell, Column, ExportError, ExportService, Kind, PAGE_ROWS, Pages, Row, Table};
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

fn one_page(rows: Vec<Row>) -> Pages {
    Box::pin(futures_util::stream::iter([Ok(rows)]))
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
                one_page(
                    self.data
                        .users(&s)
                        .await?
                        .into_iter()
                        .map(user_row)
                        .collect(),
                ),
            ),
            Dataset::Members => (
                members_columns(),
                one_page(
                    self.data
                        .memberships(&s)
                        .await?
                        .into_iter()
                        .map(member_row)
                        .collect(),
                ),
            ),
            Dataset::EventTypes => (
                event_types_columns(),
                one_page(
                    self.data
                        .event_types(&s)
                        .await?
                        .into_iter()
                        .map(event_type_row)
                        .collect(),
                ),
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
                if data.snapshot_at(s.number).await?.is_none() {
                    Err(ExportError::SnapshotGone(s.number))?;
                }
                after = events.last().and_then(|e| Some((e.start_time?, e.uri.clone())));
                let rows: Vec<Row> = events.into_iter().map(|e| event_row(e, &types)).collect();
                yield rows;
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
                if data.snapshot_at(s.number).await?.is_none() {
                    Err(ExportError::SnapshotGone(s.number))?;
                }
                after = invitees.last().and_then(|i| Some((i.created_at?, i.uri.clone())));
                let rows: Vec<Row> = invitees.into_iter().map(invitee_row).collect();
                yield rows;
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

fn user_row(u: calendly_user::Model) -> Row {
    vec![
        Cell::Text(u.uri),
        Cell::text(u.name),
        Cell::text(u.email),
        Cell::text(u.slug),
        Cell::text(u.timezone),
        Cell::text(u.scheduling_url),
        Cell::text(u.organization),
        Cell::Bool(u.is_current),
        Cell::time(u.created_at),
        Cell::time(u.updated_at),
    ]
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

fn member_row(m: calendly_membership::Model) -> Row {
    vec![
        Cell::Text(m.uri),
        Cell::text(m.user_uri),
        Cell::text(m.user_name),
        Cell::text(m.user_email),
        Cell::text(m.role),
        Cell::text(m.organization),
        Cell::time(m.created_at),
        Cell::time(m.updated_at),
    ]
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

fn event_type_row(t: calendly_event_type::Model) -> Row {
    vec![
        Cell::Text(t.uri),
        Cell::text(t.name),
        Cell::text(t.slug),
        Cell::Bool(t.active),
        Cell::text(t.kind),
        t.duration.map_or(Cell::Null, |d| Cell::Integer(d.into())),
        Cell::text(t.scheduling_url),
        Cell::text(t.owner_uri),
        Cell::time(t.created_at),
        Cell::time(t.updated_at),
    ]
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

fn event_row(e: calendly_event::Model, types: &HashMap<String, String>) -> Row {
    let type_name = e
        .event_type_uri
        .as_ref()
        .and_then(|u| types.get(u))
        .cloned();
    vec![
        Cell::Text(e.uri),
        Cell::text(e.name),
        Cell::Text(e.status),
        Cell::time(e.start_time),
        Cell::time(e.end_time),
        Cell::text(e.event_type_uri),
        Cell::text(type_name),
        Cell::text(e.location),
        Cell::Integer(e.invitees_total.into()),
        Cell::Integer(e.invitees_active.into()),
        Cell::text(e.cancel_reason),
        Cell::time(e.created_at),
        Cell::time(e.updated_at),
    ]
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

fn invitee_row(i: calendly_invitee::Model) -> Row {
    vec![
        Cell::Text(i.uri),
        Cell::Text(i.event_uri),
        Cell::text(i.email),
        Cell::text(i.name),
        Cell::text(i.first_name),
        Cell::text(i.last_name),
        Cell::Text(i.status),
        Cell::text(i.cancel_reason),
        Cell::text(i.canceled_by),
        Cell::Bool(i.rescheduled),
        Cell::text(i.timezone),
        Cell::text(i.questions_and_answers),
        Cell::text(i.tracking),
        Cell::time(i.created_at),
        Cell::time(i.updated_at),
    ]
}
