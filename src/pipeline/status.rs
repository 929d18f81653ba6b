//! The pipeline's public-safe summary: the last successful run, what runs
//! now, how many rows each dataset and lead group has, and how fresh the data
//! is. `pipelineStatus` and `GET /api/status` both answer it; it carries no
//! error text, no paths and nothing secret.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::model::{Mode, RunStatus, StreamProgress, Trigger};
use super::{PipelineService, error::PipelineError};
use crate::db::entities::pipeline_run;

#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    pub run_id: Uuid,
    pub number: i64,
    pub trigger: Option<Trigger>,
    pub mode: Option<Mode>,
    pub status: Option<RunStatus>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub progress: Vec<StreamProgress>,
}

impl From<&pipeline_run::Model> for RunSummary {
    fn from(r: &pipeline_run::Model) -> Self {
        Self {
            run_id: r.id,
            number: r.number,
            trigger: Trigger::from_code(&r.trigger),
            mode: Mode::from_code(&r.mode),
            status: RunStatus::from_code(&r.status),
            started_at: r.started_at,
            finished_at: r.finished_at,
            progress: serde_json::from_str(&r.progress).unwrap_or_default(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct GroupCount {
    pub id: String,
    pub title: String,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct DatasetCounts {
    pub leads: u64,
    pub lead_groups: Vec<GroupCount>,
    pub calendly_users: u64,
    pub calendly_memberships: u64,
    pub calendly_event_types: u64,
    pub calendly_events: u64,
    pub calendly_invitees: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Freshness {
    /// When the published data was read.
    pub updated_at: Option<DateTime<Utc>>,
    pub age_seconds: Option<i64>,
    /// Older than the schedule's interval, or missing.
    pub stale: bool,
    pub schedule: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub last_success: Option<RunSummary>,
    pub running: Option<RunSummary>,
    /// The newest run's outcome, whatever it was.
    pub last_run: Option<RunSummary>,
    pub counts: DatasetCounts,
    pub freshness: Freshness,
}

impl PipelineService {
    pub async fn summary(&self) -> Result<Summary, PipelineError> {
        let data = self.data();
        let snapshot = data.snapshot().await?;
        let counts = data.counts(&snapshot).await?;
        let running = data.running().await?;
        let latest = data.latest().await?;
        let updated_at = snapshot.run.as_ref().map(|r| r.started_at);
        let age = updated_at.map(|t| (Utc::now() - t).num_seconds());
        let interval = self.interval().as_secs() as i64;
        Ok(Summary {
            last_success: snapshot.run.as_ref().map(RunSummary::from),
            running: running.as_ref().map(RunSummary::from),
            last_run: latest.as_ref().map(RunSummary::from),
            counts: DatasetCounts {
                leads: counts.leads,
                lead_groups: counts
                    .groups
                    .into_iter()
                    .map(|(id, title, count)| GroupCount { id, title, count })
                    .collect(),
                calendly_users: counts.calendly_users,
                calendly_memberships: counts.calendly_memberships,
                calendly_event_types: counts.calendly_event_types,
                calendly_events: counts.calendly_events,
                calendly_invitees: counts.calendly_invitees,
            },
            freshness: Freshness {
                updated_at,
                age_seconds: age,
                stale: age.is_none_or(|a| a > interval),
                schedule: self.cfg.cron.clone(),
            },
        })
    }
}
