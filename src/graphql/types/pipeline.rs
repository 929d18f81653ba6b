//! GraphQL shapes of pipeline runs, their log and the public status.

use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, ID, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::db::entities::{pipeline_log, pipeline_run};
use crate::graphql::guard::app_state;
use crate::graphql::pagination::{self, page_size};
use crate::pipeline::status::{RunSummary, Summary};
use crate::pipeline::{Mode, RunStatus, StreamProgress, StreamStats, Trigger};

/// One pipeline run: what started it, what it did, how it ended.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct PipelineRun {
    pub id: ID,
    /// Also the snapshot its data was written under.
    pub number: i64,
    pub trigger: Trigger,
    pub mode: Mode,
    pub status: RunStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Per stream: records fetched, inserted, updated and deleted.
    pub stats: Vec<StreamStats>,
    /// Why it failed.
    pub error: Option<String>,
    pub cancel_requested: bool,
    /// For scheduled runs, the occurrence of `PIPELINE_CRON` it ran for.
    pub schedule_slot: Option<DateTime<Utc>>,
    /// Per stream, how far it is (final numbers once it ended).
    pub progress: Vec<StreamProgress>,
    #[graphql(skip)]
    pub uuid: uuid::Uuid,
}

impl From<pipeline_run::Model> for PipelineRun {
    fn from(r: pipeline_run::Model) -> Self {
        Self {
            id: ID(r.id.to_string()),
            number: r.number,
            trigger: Trigger::from_code(&r.trigger).unwrap_or(Trigger::Manual),
            mode: Mode::from_code(&r.mode).unwrap_or(Mode::Full),
            status: RunStatus::from_code(&r.status).unwrap_or(RunStatus::Failed),
            started_at: r.started_at,
            finished_at: r.finished_at,
            stats: serde_json::from_str(&r.stats).unwrap_or_default(),
            error: r.error,
            cancel_requested: r.cancel_requested,
            schedule_slot: r.schedule_slot,
            progress: serde_json::from_str(&r.progress).unwrap_or_default(),
            uuid: r.id,
        }
    }
}

#[ComplexObject]
impl PipelineRun {
    /// The run's log, oldest first.
    #[graphql(complexity = "pagination::page_cost(first, child_complexity)")]
    async fn log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, PipelineLogLine>> {
        let limit = page_size(first)?;
        let after = pagination::after::<i64>("pipeline_log", after.as_deref())?;
        let service = crate::graphql::query::pipeline::service(app_state(ctx)?)?;
        let (rows, more) = service.log(self.uuid, after, limit).await?;
        Ok(pagination::connection(
            "pipeline_log",
            rows,
            after.is_some(),
            more,
            |l| l.id,
            PipelineLogLine::from,
        ))
    }
}

#[derive(SimpleObject, Clone)]
pub struct PipelineLogLine {
    pub id: ID,
    pub at: DateTime<Utc>,
    /// `INFO`, `WARN` or `ERROR`.
    pub level: String,
    pub stream: Option<String>,
    pub message: String,
}

impl From<pipeline_log::Model> for PipelineLogLine {
    fn from(l: pipeline_log::Model) -> Self {
        Self {
            id: ID(l.id.to_string()),
            at: l.at,
            level: l.level,
            stream: l.stream,
            message: l.message,
        }
    }
}

/// A run as the public status shows it: no error text.
#[derive(SimpleObject, Clone)]
pub struct PipelineRunSummary {
    pub id: ID,
    pub number: i64,
    pub trigger: Option<Trigger>,
    pub mode: Option<Mode>,
    pub status: Option<RunStatus>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub progress: Vec<StreamProgress>,
}

impl From<RunSummary> for PipelineRunSummary {
    fn from(r: RunSummary) -> Self {
        Self {
            id: ID(r.run_id.to_string()),
            number: r.number,
            trigger: r.trigger,
            mode: r.mode,
            status: r.status,
            started_at: r.started_at,
            finished_at: r.finished_at,
            progress: r.progress,
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct LeadGroupCount {
    pub id: String,
    pub title: String,
    pub count: u64,
}

#[derive(SimpleObject, Clone)]
pub struct DatasetCounts {
    pub leads: u64,
    pub lead_groups: Vec<LeadGroupCount>,
    pub calendly_users: u64,
    pub calendly_memberships: u64,
    pub calendly_event_types: u64,
    pub calendly_events: u64,
    pub calendly_invitees: u64,
}

#[derive(SimpleObject, Clone)]
pub struct DataFreshness {
    /// When the published data was read.
    pub updated_at: Option<DateTime<Utc>>,
    pub age_seconds: Option<i64>,
    /// Older than the schedule allows, or missing.
    pub stale: bool,
    /// `PIPELINE_CRON`.
    pub schedule: String,
}

/// The data hub at a glance; safe to show anyone.
#[derive(SimpleObject, Clone)]
pub struct PipelineStatus {
    pub last_success: Option<PipelineRunSummary>,
    pub running: Option<PipelineRunSummary>,
    pub last_run: Option<PipelineRunSummary>,
    pub counts: DatasetCounts,
    pub freshness: DataFreshness,
}

impl From<Summary> for PipelineStatus {
    fn from(s: Summary) -> Self {
        Self {
            last_success: s.last_success.map(Into::into),
            running: s.running.map(Into::into),
            last_run: s.last_run.map(Into::into),
            counts: DatasetCounts {
                leads: s.counts.leads,
                lead_groups: s
                    .counts
                    .lead_groups
                    .into_iter()
                    .map(|g| LeadGroupCount {
                        id: g.id,
                        title: g.title,
                        count: g.count,
                    })
                    .collect(),
                calendly_users: s.counts.calendly_users,
                calendly_memberships: s.counts.calendly_memberships,
                calendly_event_types: s.counts.calendly_event_types,
                calendly_events: s.counts.calendly_events,
                calendly_invitees: s.counts.calendly_invitees,
            },
            freshness: DataFreshness {
                updated_at: s.freshness.updated_at,
                age_seconds: s.freshness.age_seconds,
                stale: s.freshness.stale,
                schedule: s.freshness.schedule,
            },
        }
    }
}

/// One live update of a run: its state now, and the log lines since the
/// last update.
#[derive(SimpleObject, Clone)]
pub struct PipelineProgressEvent {
    pub run: PipelineRun,
    pub log: Vec<PipelineLogLine>,
    /// True on the last event: the run ended.
    pub finished: bool,
}
