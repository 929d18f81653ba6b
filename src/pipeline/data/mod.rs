//! Reading the published snapshot: leads with their groups, columns and
//! meetings, the Calendly datasets, and the summary `pipelineStatus` and
//! `/api/status` show. Every read names the snapshot it reads, so a reader
//! that spans many queries (an export) sees one snapshot throughout.

mod copy;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Order, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};

pub use copy::{CopyError, CopyPages};

use super::model::RunStatus;
use crate::config::PipelineConfig;
use crate::db::entities::{
    calendly_event, calendly_event_type, calendly_invitee, calendly_membership, calendly_user,
    lead, lead_column, lead_group, lead_value, pipeline_run,
};
use crate::db::repo::escape_like;
use crate::db::repo::pipeline as runs;
use crate::db::repo::snapshots::{self, visible};

/// The snapshot a reader reads: the run that published it.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub number: i64,
    pub run: Option<pipeline_run::Model>,
}

impl Snapshot {
    pub fn published_at(&self) -> Option<DateTime<Utc>> {
        self.run.as_ref().and_then(|r| r.finished_at)
    }
}

/// Which leads a list asks for.
#[derive(Clone, Debug, Default)]
pub struct LeadFilter {
    /// A group id or title, ignoring case.
    pub group: Option<String>,
    /// Text in the name, email or company, ignoring case.
    pub search: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    pub has_meetings: Option<bool>,
}

/// A page of leads as an export reads it (see `Datasets::lead_ready_page`
/// and `Datasets::lead_values_page`).
#[derive(Clone, Debug, Default)]
pub struct LeadPage {
    /// The page's leads as one text.
    pub text: String,
    /// The last item id of the page.
    pub last: Option<String>,
    pub count: u64,
    /// Leads the text leaves out, having no value to give.
    pub missing: u64,
}

/// A meeting: an invitee and the event it booked.
#[derive(Clone, Debug)]
pub struct Meeting {
    pub invitee: calendly_invitee::Model,
    pub event: Option<calendly_event::Model>,
}

/// Which scheduled events a list asks for.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    /// Events starting at or after.
    pub from: Option<DateTime<Utc>>,
    /// Events starting before.
    pub to: Option<DateTime<Utc>>,
    /// `active` or `canceled`.
    pub status: Option<String>,
    /// An event type by URI, name or slug.
    pub event_type: Option<String>,
}

/// Which invitees a list asks for.
#[derive(Clone, Debug, Default)]
pub struct InviteeFilter {
    /// Matched trimmed and ignoring case.
    pub email: Option<String>,
    /// Invitees of events that start at most this many days ago (or later).
    pub days_back: Option<u32>,
    /// `active` or `canceled`.
    pub status: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub leads: u64,
    /// `(group id, title, leads)`, in board order.
    pub groups: Vec<(String, String, u64)>,
    pub calendly_users: u64,
    pub calendly_memberships: u64,
    pub calendly_event_types: u64,
    pub calendly_events: u64,
    pub calendly_invitees: u64,
}

#[derive(Clone)]
pub struct Datasets {
    db: DatabaseConnection,
    cfg: PipelineConfig,
}

impl Datasets {
    pub fn new(db: DatabaseConnection, cfg: PipelineConfig) -> Self {
        Self { db, cfg }
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.cfg
    }

    /// The published snapshot (number 0, empty, before any run succeeded).
    pub async fn snapshot(&self) -> Result<Snapshot, DbErr> {
        let run = runs::last_succeeded(&self.db).await?;
        Ok(Snapshot {
            number: run.as_ref().map_or(0, |r| r.number),
            run,
        })
    }

    /// Snapshot `number`, while readers may still use it: the published one,
    /// or the one it replaced (kept until the next run publishes, so a
    /// reader paging through it finishes on it).
    pub async fn snapshot_at(&self, number: i64) -> Result<Option<Snapshot>, DbErr> {
        let now = self.snapshot().await?;
        if now.number == number {
            return Ok(Some(now));
        }
        let previous = runs::succeeded_before(&self.db, now.number).await?;
        Ok(previous.filter(|p| p.number == number).map(|run| Snapshot {
            number,
            run: Some(run),
        }))
    }

    /// Whether a reader that started on snapshot `s` may go on reading it:
    /// the snapshot it replaced is kept until the next run publishes, so
    /// one query per page (rather than `snapshot_at`'s two) tells.
    pub async fn still_readable(&self, s: &Snapshot) -> Result<bool, DbErr> {
        Ok(runs::succeeded_after(&self.db, s.number).await? <= 1)
    }

    pub async fn groups(&self, s: &Snapshot) -> Result<Vec<lead_group::Model>, DbErr> {
        lead_group::Entity::find()
            .filter(visible::<lead_group::Entity>(s.number))
            .order_by_asc(lead_group::Column::Position)
            .all(&self.db)
            .await
    }

    pub async fn columns(&self, s: &Snapshot) -> Result<Vec<lead_column::Model>, DbErr> {
        lead_column::Entity::find()
            .filter(visible::<lead_column::Entity>(s.number))
            .order_by_asc(lead_column::Column::Position)
            .all(&self.db)
            .await
    }

    /// The group ids a filter's `group` names (id or title), or `None` when
    /// it names no group of the board.
    pub async fn resolve_group(&self, s: &Snapshot, group: &str) -> Result<Option<String>, DbErr> {
        let g = group.trim();
        Ok(self
            .groups(s)
            .await?
            .into_iter()
            .find(|x| x.group_id == g || x.title.trim().eq_ignore_ascii_case(g))
            .map(|x| x.group_id))
    }

    /// The leads a filter selects, after the item `after` when given.
    fn lead_condition(
        &self,
        s: &Snapshot,
        f: &LeadFilter,
        group_id: Option<&str>,
        after: Option<&str>,
    ) -> Condition {
        let mut c = visible::<lead::Entity>(s.number);
        if let Some(a) = after {
            c = c.add(lead::Column::ItemId.gt(a));
        }
        if let Some(g) = group_id {
            c = c.add(lead::Column::GroupId.eq(g));
        }
        if let Some(since) = f.updated_since {
            c = c.add(lead::Column::UpdatedAt.gte(since));
        }
        if let Some(q) = f.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
            let like = |col: lead::Column| {
                Expr::expr(Func::lower(Expr::col(col)))
                    .like(LikeExpr::new(pattern.clone()).escape('\\'))
            };
            c = c.add(
                Condition::any()
                    .add(like(lead::Column::Name))
                    .add(like(lead::Column::EmailKey))
                    .add(like(lead::Column::Company)),
            );
        }
        if let Some(has) = f.has_meetings {
            let booked = Query::select()
                .column(calendly_invitee::Column::EmailKey)
                .from(calendly_invitee::Entity)
                .cond_where(visible::<calendly_invitee::Entity>(s.number))
                .and_where(calendly_invitee::Column::EmailKey.is_not_null())
                .to_owned();
            c = c.add(if has {
                lead::Column::EmailKey.in_subquery(booked)
            } else {
                Condition::any()
                    .add(lead::Column::EmailKey.is_null())
                    .add(lead::Column::EmailKey.not_in_subquery(booked))
                    .into()
            });
        }
        c
    }

    /// Up to `limit` leads after the item `after`, by item id, and whether
    /// more follow. `group_id` is a resolved group (see `resolve_group`).
    pub async fn leads(
        &self,
        s: &Snapshot,
        f: &LeadFilter,
        group_id: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<(Vec<lead::Model>, bool), DbErr> {
        let c = self.lead_condition(s, f, group_id, after);
        let mut rows = lead::Entity::find()
            .filter(c)
            .order_by_asc(lead::Column::ItemId)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }

    /// Up to `limit` leads after the item `after`, as one JSON text
    /// `[[item id, name, group id, email key, {column values}], …]` (in no
    /// promised order), with the greatest item id and how many there are:
    /// what exports read of leads that have no ready row for the snapshot's
    /// columns. The database builds the page: one value to fetch instead
    /// of a row per lead.
    pub async fn lead_values_page(
        &self,
        s: &Snapshot,
        f: &LeadFilter,
        group_id: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<LeadPage, DbErr> {
        // Stored JSON is spliced in as it is, not parsed again.
        let cells = "(SELECT v.column_values FROM lead_values v \
                     WHERE v.item_id = leads.item_id AND v.valid_from = leads.valid_from)";
        let (each, page) = match self.db.get_database_backend() {
            DbBackend::Postgres => (
                format!(
                    "rtrim(json_build_array(item_id, name, group_id, email_key)::text, ']') \
                     || ',' || {cells} || ']'"
                ),
                "'[' || string_agg(x, ',') || ']'",
            ),
            _ => (
                format!(
                    "rtrim(json_array(item_id, name, group_id, email_key), ']') \
                     || ',' || {cells} || ']'"
                ),
                "'[' || group_concat(x, ',') || ']'",
            ),
        };
        self.lead_page(s, f, group_id, after, limit, &each, page)
            .await
    }

    /// Up to `limit` leads after the item `after`, as their ready rows one
    /// after another (`pipeline::cells::ReadyRow`, in no promised order),
    /// with the greatest item id, how many leads there are, and how many
    /// have no ready row (left out of the text). The database builds the
    /// page: one value to fetch instead of a row per lead, which is what
    /// makes a million-row export fast on both drivers.
    pub async fn lead_ready_page(
        &self,
        s: &Snapshot,
        f: &LeadFilter,
        group_id: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<LeadPage, DbErr> {
        let page = match self.db.get_database_backend() {
            DbBackend::Postgres => "string_agg(x, '')",
            _ => "group_concat(x, '')",
        };
        self.lead_page(s, f, group_id, after, limit, "export_row", page)
            .await
    }

    /// A page of leads that the database puts together as one text:
    /// `page` aggregates `x`, which `each` gives per lead.
    #[allow(clippy::too_many_arguments)]
    async fn lead_page(
        &self,
        s: &Snapshot,
        f: &LeadFilter,
        group_id: Option<&str>,
        after: Option<&str>,
        limit: u64,
        each: &str,
        page: &str,
    ) -> Result<LeadPage, DbErr> {
        let c = self.lead_condition(s, f, group_id, after);
        let inner = Query::select()
            .column(lead::Column::ItemId)
            .expr_as(
                Expr::cust(each.to_owned()),
                sea_orm::sea_query::Alias::new("x"),
            )
            .from(lead::Entity)
            .cond_where(c)
            .order_by(lead::Column::ItemId, Order::Asc)
            .limit(limit)
            .to_owned();
        let inner = self.db.get_database_backend().build(&inner);
        let sql = format!(
            "SELECT {page} AS page, MAX(item_id) AS last, COUNT(*) AS n, \
             SUM(CASE WHEN x IS NULL THEN 1 ELSE 0 END) AS missing FROM ({}) AS p",
            inner.sql
        );
        let stmt = Statement { sql, ..inner };
        let Some(row) = self.db.query_one_raw(stmt).await? else {
            return Ok(LeadPage::default());
        };
        let count = |col: &str| -> Result<u64, DbErr> {
            Ok(row
                .try_get::<Option<i64>>("", col)?
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0))
        };
        Ok(LeadPage {
            text: row
                .try_get::<Option<String>>("", "page")?
                .unwrap_or_default(),
            last: row.try_get::<Option<String>>("", "last")?,
            count: count("n")?,
            missing: count("missing")?,
        })
    }

    /// The Monday values of these lead versions, `(item id, valid from)`.
    pub async fn lead_values(
        &self,
        versions: &[(String, i64)],
    ) -> Result<Vec<lead_value::Model>, DbErr> {
        if versions.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: std::collections::HashSet<&(String, i64)> = versions.iter().collect();
        let rows = lead_value::Entity::find()
            .filter(lead_value::Column::ItemId.is_in(versions.iter().map(|v| v.0.clone())))
            .all(&self.db)
            .await?;
        // Other versions of the same items come along; few, and cheaper to
        // drop here than to match pairs in SQL on every backend.
        Ok(rows
            .into_iter()
            .filter(|r| wanted.contains(&(r.item_id.clone(), r.valid_from)))
            .collect())
    }

    /// The origin of each of `email_keys` that has one: the mapped label of
    /// the event type its first meeting booked. Nothing to look up when no
    /// origin map is configured.
    pub async fn origins(
        &self,
        s: &Snapshot,
        email_keys: &[String],
        types: &HashMap<String, calendly_event_type::Model>,
    ) -> Result<HashMap<String, String>, DbErr> {
        if email_keys.is_empty() || self.cfg.origin_map.is_empty() {
            return Ok(HashMap::new());
        }
        let invitees: Vec<(Option<String>, String, Option<DateTime<Utc>>)> =
            calendly_invitee::Entity::find()
                .select_only()
                .columns([
                    calendly_invitee::Column::EmailKey,
                    calendly_invitee::Column::EventUri,
                    calendly_invitee::Column::CreatedAt,
                ])
                .filter(visible::<calendly_invitee::Entity>(s.number))
                .filter(calendly_invitee::Column::EmailKey.is_in(email_keys.iter().cloned()))
                .order_by_asc(calendly_invitee::Column::CreatedAt)
                .order_by_asc(calendly_invitee::Column::Uri)
                .into_tuple()
                .all(&self.db)
                .await?;
        // The first booking per email, as `meetings` orders them.
        let mut first: HashMap<String, (Option<DateTime<Utc>>, String)> = HashMap::new();
        for (key, event, created) in invitees {
            let Some(key) = key else { continue };
            first.entry(key).or_insert((created, event));
        }
        let uris: Vec<String> = first.values().map(|(_, e)| e.clone()).collect();
        let event_types: HashMap<String, String> = calendly_event::Entity::find()
            .select_only()
            .columns([
                calendly_event::Column::Uri,
                calendly_event::Column::EventTypeUri,
            ])
            .filter(visible::<calendly_event::Entity>(s.number))
            .filter(calendly_event::Column::Uri.is_in(uris))
            .into_tuple::<(String, Option<String>)>()
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|(uri, t)| Some((uri, t?)))
            .collect();
        Ok(first
            .into_iter()
            .filter_map(|(key, (_, event))| {
                let t = types.get(event_types.get(&event)?)?;
                let label = self.cfg.origin_of(t.name.as_deref(), t.slug.as_deref())?;
                Some((key, label.to_owned()))
            })
            .collect())
    }

    /// The meetings of each email (trimmed, lower-cased), in one query for
    /// the invitees and one for their events, whatever the number of emails.
    pub async fn meetings(
        &self,
        s: &Snapshot,
        email_keys: &[String],
    ) -> Result<HashMap<String, Vec<Meeting>>, DbErr> {
        if email_keys.is_empty() {
            return Ok(HashMap::new());
        }
        let invitees = calendly_invitee::Entity::find()
            .filter(visible::<calendly_invitee::Entity>(s.number))
            .filter(calendly_invitee::Column::EmailKey.is_in(email_keys.iter().cloned()))
            .order_by_asc(calendly_invitee::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let event_uris: Vec<String> = invitees.iter().map(|i| i.event_uri.clone()).collect();
        let events: HashMap<String, calendly_event::Model> = self
            .events_by_uri(s, &event_uris)
            .await?
            .into_iter()
            .map(|e| (e.uri.clone(), e))
            .collect();
        let mut out: HashMap<String, Vec<Meeting>> = HashMap::new();
        for i in invitees {
            let Some(key) = i.email_key.clone() else {
                continue;
            };
            out.entry(key).or_default().push(Meeting {
                event: events.get(&i.event_uri).cloned(),
                invitee: i,
            });
        }
        Ok(out)
    }

    pub async fn events_by_uri(
        &self,
        s: &Snapshot,
        uris: &[String],
    ) -> Result<Vec<calendly_event::Model>, DbErr> {
        if uris.is_empty() {
            return Ok(Vec::new());
        }
        calendly_event::Entity::find()
            .filter(visible::<calendly_event::Entity>(s.number))
            .filter(calendly_event::Column::Uri.is_in(uris.iter().cloned()))
            .all(&self.db)
            .await
    }

    pub async fn event_types_by_uri(
        &self,
        s: &Snapshot,
        uris: &[String],
    ) -> Result<Vec<calendly_event_type::Model>, DbErr> {
        if uris.is_empty() {
            return Ok(Vec::new());
        }
        calendly_event_type::Entity::find()
            .filter(visible::<calendly_event_type::Entity>(s.number))
            .filter(calendly_event_type::Column::Uri.is_in(uris.iter().cloned()))
            .all(&self.db)
            .await
    }

    /// The origin of a lead: the mapped label of its first meeting's event type.
    pub fn origin(
        &self,
        meetings: &[Meeting],
        types: &HashMap<String, calendly_event_type::Model>,
    ) -> Option<String> {
        let first = meetings
            .iter()
            .min_by_key(|m| m.invitee.created_at)?
            .event
            .as_ref()?;
        let t = types.get(first.event_type_uri.as_deref()?)?;
        self.cfg
            .origin_of(t.name.as_deref(), t.slug.as_deref())
            .map(str::to_owned)
    }

    /// Up to `limit` events after `(start, uri)`, by start time, and
    /// whether more follow.
    pub async fn events(
        &self,
        s: &Snapshot,
        f: &EventFilter,
        after: Option<(DateTime<Utc>, String)>,
        limit: u64,
    ) -> Result<(Vec<calendly_event::Model>, bool), DbErr> {
        let mut c = visible::<calendly_event::Entity>(s.number);
        if let Some(from) = f.from {
            c = c.add(calendly_event::Column::StartTime.gte(from));
        }
        if let Some(to) = f.to {
            c = c.add(calendly_event::Column::StartTime.lt(to));
        }
        if let Some(st) = &f.status {
            c = c.add(calendly_event::Column::Status.eq(st.as_str()));
        }
        if let Some(t) = f.event_type.as_deref().map(str::trim) {
            let types: Vec<String> = self
                .event_types(s)
                .await?
                .into_iter()
                .filter(|x| {
                    x.uri == t
                        || x.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(t))
                        || x.slug.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(t))
                })
                .map(|x| x.uri)
                .collect();
            c = c.add(calendly_event::Column::EventTypeUri.is_in(types));
        }
        if let Some((start, uri)) = after {
            c = c.add(
                Condition::any()
                    .add(calendly_event::Column::StartTime.gt(start))
                    .add(
                        Condition::all()
                            .add(calendly_event::Column::StartTime.eq(start))
                            .add(calendly_event::Column::Uri.gt(uri)),
                    ),
            );
        }
        let mut rows = calendly_event::Entity::find()
            .filter(c)
            .order_by_asc(calendly_event::Column::StartTime)
            .order_by_asc(calendly_event::Column::Uri)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }

    /// Up to `limit` invitees after `(created, uri)`, by booking time.
    pub async fn invitees(
        &self,
        s: &Snapshot,
        f: &InviteeFilter,
        after: Option<(DateTime<Utc>, String)>,
        limit: u64,
    ) -> Result<(Vec<calendly_invitee::Model>, bool), DbErr> {
        let mut c = visible::<calendly_invitee::Entity>(s.number);
        if let Some(e) = f.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            c = c.add(calendly_invitee::Column::EmailKey.eq(e.to_lowercase()));
        }
        if let Some(st) = &f.status {
            c = c.add(calendly_invitee::Column::Status.eq(st.as_str()));
        }
        if let Some(days) = f.days_back {
            let since = Utc::now() - chrono::Duration::days(days.into());
            let recent = Query::select()
                .column(calendly_event::Column::Uri)
                .from(calendly_event::Entity)
                .cond_where(visible::<calendly_event::Entity>(s.number))
                .and_where(calendly_event::Column::StartTime.gte(since))
                .to_owned();
            c = c.add(calendly_invitee::Column::EventUri.in_subquery(recent));
        }
        if let Some((created, uri)) = after {
            c = c.add(
                Condition::any()
                    .add(calendly_invitee::Column::CreatedAt.gt(created))
                    .add(
                        Condition::all()
                            .add(calendly_invitee::Column::CreatedAt.eq(created))
                            .add(calendly_invitee::Column::Uri.gt(uri)),
                    ),
            );
        }
        let mut rows = calendly_invitee::Entity::find()
            .filter(c)
            .order_by_asc(calendly_invitee::Column::CreatedAt)
            .order_by_asc(calendly_invitee::Column::Uri)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }

    /// The invitees of each event, in one query.
    pub async fn invitees_of(
        &self,
        s: &Snapshot,
        event_uris: &[String],
    ) -> Result<Vec<calendly_invitee::Model>, DbErr> {
        if event_uris.is_empty() {
            return Ok(Vec::new());
        }
        calendly_invitee::Entity::find()
            .filter(visible::<calendly_invitee::Entity>(s.number))
            .filter(calendly_invitee::Column::EventUri.is_in(event_uris.iter().cloned()))
            .order_by_asc(calendly_invitee::Column::CreatedAt)
            .all(&self.db)
            .await
    }

    /// The leads with these emails (trimmed, lower-cased), in one query.
    pub async fn leads_by_email(
        &self,
        s: &Snapshot,
        email_keys: &[String],
    ) -> Result<Vec<lead::Model>, DbErr> {
        if email_keys.is_empty() {
            return Ok(Vec::new());
        }
        lead::Entity::find()
            .filter(visible::<lead::Entity>(s.number))
            .filter(lead::Column::EmailKey.is_in(email_keys.iter().cloned()))
            .order_by_asc(lead::Column::ItemId)
            .all(&self.db)
            .await
    }

    pub async fn lead(&self, s: &Snapshot, item_id: &str) -> Result<Option<lead::Model>, DbErr> {
        lead::Entity::find()
            .filter(visible::<lead::Entity>(s.number))
            .filter(lead::Column::ItemId.eq(item_id))
            .one(&self.db)
            .await
    }

    /// When a webhook last wrote an event or an invitee between runs.
    pub async fn last_touched(&self) -> Result<Option<DateTime<Utc>>, DbErr> {
        let events = snapshots::last_touched::<calendly_event::Entity>(&self.db).await?;
        let invitees = snapshots::last_touched::<calendly_invitee::Entity>(&self.db).await?;
        Ok(std::cmp::max(events, invitees))
    }

    pub async fn users(&self, s: &Snapshot) -> Result<Vec<calendly_user::Model>, DbErr> {
        calendly_user::Entity::find()
            .filter(visible::<calendly_user::Entity>(s.number))
            .order_by_desc(calendly_user::Column::IsCurrent)
            .order_by_asc(calendly_user::Column::Uri)
            .all(&self.db)
            .await
    }

    pub async fn memberships(
        &self,
        s: &Snapshot,
    ) -> Result<Vec<calendly_membership::Model>, DbErr> {
        calendly_membership::Entity::find()
            .filter(visible::<calendly_membership::Entity>(s.number))
            .order_by_asc(calendly_membership::Column::Uri)
            .all(&self.db)
            .await
    }

    pub async fn event_types(
        &self,
        s: &Snapshot,
    ) -> Result<Vec<calendly_event_type::Model>, DbErr> {
        calendly_event_type::Entity::find()
            .filter(visible::<calendly_event_type::Entity>(s.number))
            .order_by_asc(calendly_event_type::Column::Uri)
            .all(&self.db)
            .await
    }

    pub async fn counts(&self, s: &Snapshot) -> Result<Counts, DbErr> {
        let per_group: Vec<(String, i64)> = lead::Entity::find()
            .select_only()
            .column(lead::Column::GroupId)
            .column_as(lead::Column::ItemId.count(), "n")
            .filter(visible::<lead::Entity>(s.number))
            .group_by(lead::Column::GroupId)
            .into_tuple()
            .all(&self.db)
            .await?;
        let per_group: HashMap<String, u64> = per_group
            .into_iter()
            .map(|(g, n)| (g, n.unsigned_abs()))
            .collect();
        let mut groups: Vec<(String, String, u64)> = self
            .groups(s)
            .await?
            .into_iter()
            .map(|g| {
                let n = per_group.get(&g.group_id).copied().unwrap_or(0);
                (g.group_id, g.title, n)
            })
            .collect();
        // Items in a group the board no longer lists still count somewhere.
        for (g, n) in &per_group {
            if !groups.iter().any(|(id, _, _)| id == g) {
                groups.push((g.clone(), g.clone(), *n));
            }
        }
        let p = s.number;
        Ok(Counts {
            leads: per_group.values().sum(),
            groups,
            calendly_users: snapshots::count::<calendly_user::Entity>(&self.db, p).await?,
            calendly_memberships: snapshots::count::<calendly_membership::Entity>(&self.db, p)
                .await?,
            calendly_event_types: snapshots::count::<calendly_event_type::Entity>(&self.db, p)
                .await?,
            calendly_events: snapshots::count::<calendly_event::Entity>(&self.db, p).await?,
            calendly_invitees: snapshots::count::<calendly_invitee::Entity>(&self.db, p).await?,
        })
    }

    /// The run going on now, if any.
    pub async fn running(&self) -> Result<Option<pipeline_run::Model>, DbErr> {
        runs::running(&self.db).await
    }

    /// The newest run, whatever its outcome.
    pub async fn latest(&self) -> Result<Option<pipeline_run::Model>, DbErr> {
        Ok(runs::page(&self.db, 1, None).await?.into_iter().next())
    }

    pub fn is_failed(run: &pipeline_run::Model) -> bool {
        RunStatus::from_code(&run.status) == Some(RunStatus::Failed)
    }
}
