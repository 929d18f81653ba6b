//! Shutdown without losing a run: the server that stops hands its run over
//! (it stays RUNNING, with what it finished on its row), and the next server
//! to look takes it over and resumes it.

use std::sync::Arc;
use std::sync::PoisonError;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::time::Instant;

use super::error::PipelineError;
use super::liveness;
use super::run::{Resume, RunCtx};
use super::{Job, PipelineService};
use crate::changes::Change;
use crate::db::entities::pipeline_run;
use crate::db::repo::pipeline as repo;

impl PipelineService {
    /// For a RUNNING run nobody holds: takes it over when it was handed over
    /// (unless this server is stopping too, or another took it first), else
    /// fails it. `true`: the run goes on, here or elsewhere.
    pub(super) async fn resume_orphan(
        &self,
        r: &pipeline_run::Model,
    ) -> Result<bool, PipelineError> {
        let Some(handoff) = r.handoff.clone() else {
            return Ok(!self.fail_dead(r.clone()).await?);
        };
        if self.stopping.borrow().is_some() {
            return Ok(true);
        }
        let Some(lease) = liveness::hold(&self.db, r.number).await? else {
            return Ok(true);
        };
        if !repo::take_handoff(&self.db, r.id, &handoff).await? {
            return Ok(true);
        }
        let resume: Resume = serde_json::from_str(&handoff).unwrap_or_default();
        let cancel = Arc::new(AtomicBool::new(r.cancel_requested));
        self.cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(r.id, cancel.clone());
        tracing::info!(run = %r.id, number = r.number, done = ?resume.done, "taking over a handed-over pipeline run");
        self.queue_job(Job {
            run: r.clone(),
            cancel,
            _lease: lease,
            resume: Some(resume),
        })
        .await?;
        Ok(true)
    }

    /// Stops the run executing here at its next page boundary and hands it
    /// over; past `within` it is cut wherever it is (its page transaction
    /// rolls back, and the stage it was in is read again). Completes when
    /// no run is queued or executes here, its hand-over recorded; the
    /// caller bounds the wait for those last writes.
    pub fn hand_off(&self, within: Duration) -> impl Future<Output = ()> + Send + use<> {
        self.stopping.send_replace(Some(Instant::now() + within));
        let mut executing = self.executing.subscribe();
        async move {
            let _ = executing.wait_for(|n| *n == 0).await;
        }
    }

    /// Completes once a shutdown's hand-over time is up.
    pub(super) fn cut_off(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut rx = self.stopping.subscribe();
        async move {
            let deadline = match rx.wait_for(Option::is_some).await {
                Ok(at) => *at,
                Err(_) => None,
            };
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        }
    }

    /// The run stopped (or was cut) because this server is stopping: says
    /// so in its log, then hands it over.
    pub(super) async fn stopped_at_shutdown(
        &self,
        run: &pipeline_run::Model,
        ctx: &RunCtx,
    ) -> Result<(), PipelineError> {
        let line = format!(
            "run {} stopped at shutdown (finished: {}); another server resumes it",
            run.number,
            ctx.resume().finished()
        );
        ctx.log("INFO", None, line).await;
        self.hand_over(
            run,
            ctx.resume(),
            &ctx.progress_json(),
            &ctx.handover_stats_json(),
        )
        .await
    }

    /// Leaves a run RUNNING for another replica to resume: what it finished
    /// and its numbers so far go on its row, and its lease goes with this
    /// process's job.
    pub(super) async fn hand_over(
        &self,
        run: &pipeline_run::Model,
        mut resume: Resume,
        progress: &str,
        stats: &str,
    ) -> Result<(), PipelineError> {
        resume.handoffs = resume.handoffs.saturating_add(1);
        let handoff = serde_json::to_string(&resume).unwrap_or_else(|_| "{}".into());
        self.cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&run.id);
        if !repo::hand_off(
            &self.db,
            run.id,
            handoff,
            progress.to_owned(),
            stats.to_owned(),
        )
        .await?
        {
            // Another replica took this process for dead and ended the run:
            // nothing it wrote may publish.
            tracing::warn!(run = %run.id, "the run ended elsewhere before its hand-over; discarding its writes");
            super::discard_run(&self.db, run.number).await?;
            return Ok(());
        }
        metrics::counter!("pipeline_handoffs_total").increment(1);
        tracing::info!(run = %run.id, done = ?resume.done, "pipeline run handed over at shutdown");
        self.changes.publish(Change::PipelineRun { run_id: run.id });
        Ok(())
    }
}
