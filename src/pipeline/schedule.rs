//! When runs start by themselves: on `PIPELINE_CRON` through
//! tokio-cron-scheduler, and shortly after startup when the data is missing
//! or older than the schedule's interval. Every replica's scheduler fires;
//! each fire names its slot, and a slot runs once across the fleet.

use std::sync::Arc;
use std::time::Duration;

use chrono::{Timelike, Utc};
use tokio_cron_scheduler::{Job, JobScheduler};

use super::{Mode, PipelineService, Trigger};
use crate::db::repo::pipeline as repo;

/// Long enough for the server to be serving before the first run starts.
const STARTUP_DELAY: Duration = Duration::from_secs(2);
/// How often a replica looks for a run whose process died.
const RECOVER_EVERY: Duration = Duration::from_secs(5);

impl PipelineService {
    /// Fires the schedule until the server stops.
    pub async fn run_schedule(self: Arc<Self>) {
        let cron = self.cfg.cron.clone();
        let scheduler = match JobScheduler::new().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot start the pipeline schedule");
                return;
            }
        };
        let this = Arc::downgrade(&self);
        let job = Job::new_async(cron.as_str(), move |_, _| {
            let this = this.clone();
            Box::pin(async move {
                // The server this schedule belongs to may be gone.
                if let Some(svc) = this.upgrade() {
                    svc.fire().await;
                }
            })
        });
        let added = match job {
            Ok(job) => scheduler.add(job).await.map(drop),
            Err(e) => Err(e),
        };
        if let Err(e) = added.and(scheduler.start().await) {
            tracing::error!(error = %e, cron, "cannot start the pipeline schedule");
            return;
        }
        tracing::info!(cron, "pipeline schedule started");
        let _stop = StopOnDrop(scheduler);
        std::future::pending::<()>().await;
    }

    async fn fire(&self) {
        // The occurrence this fire is for, whatever the scheduler's delay, to
        // the second: every replica names the same slot.
        let now = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
        let slot = self
            .cfg
            .schedule
            .find_previous_occurrence(&now, true)
            .unwrap_or(now);
        match self
            .start(Trigger::Schedule, Mode::Incremental, Some(slot))
            .await
        {
            Ok(s) if s.started => tracing::info!(run = %s.run.id, %slot, "scheduled run started"),
            Ok(s) => tracing::info!(run = %s.run.id, %slot, "scheduled run already taken"),
            Err(e) => tracing::error!(error = %e, "scheduled run could not start"),
        }
    }

    /// At startup, and every few seconds after: a run whose process died
    /// is marked FAILED (its lease went with the process, so this is exact,
    /// not a timeout). At startup also: a run starts when the data is
    /// missing or stale.
    pub async fn run_startup(self: Arc<Self>) {
        if let Err(e) = self.recover().await {
            tracing::warn!(error = %e, "cannot check for an abandoned pipeline run");
        }
        if self.cfg.run_on_startup {
            self.start_if_stale().await;
        }
        loop {
            tokio::time::sleep(RECOVER_EVERY).await;
            if let Err(e) = self.recover().await {
                tracing::warn!(error = %e, "cannot check for an abandoned pipeline run");
            }
        }
    }

    async fn start_if_stale(&self) {
        tokio::time::sleep(STARTUP_DELAY).await;
        let fresh = match repo::last_succeeded(&self.db).await {
            Ok(Some(r)) => {
                let age = Utc::now() - r.finished_at.unwrap_or(r.started_at);
                age.to_std().is_ok_and(|a| a < self.interval())
            }
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(error = %e, "cannot tell how fresh the data is");
                return;
            }
        };
        if fresh {
            return;
        }
        match self.start(Trigger::Startup, Mode::Incremental, None).await {
            Ok(s) => tracing::info!(run = %s.run.id, started = s.started, "startup run"),
            Err(e) => tracing::error!(error = %e, "startup run could not start"),
        }
    }

    /// How long apart scheduled runs are: data older than this is stale.
    pub fn interval(&self) -> Duration {
        let now = Utc::now();
        let next = self.cfg.schedule.find_next_occurrence(&now, false);
        let after = next
            .as_ref()
            .ok()
            .and_then(|n| self.cfg.schedule.find_next_occurrence(n, false).ok());
        match (next, after) {
            (Ok(a), Some(b)) => (b - a).to_std().unwrap_or(Duration::from_secs(4 * 3600)),
            _ => Duration::from_secs(4 * 3600),
        }
    }
}

/// tokio-cron-scheduler runs its own tasks; stop them with the server.
struct StopOnDrop(JobScheduler);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let mut s = self.0.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = s.shutdown().await;
            });
        }
    }
}
