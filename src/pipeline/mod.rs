//! The data hub pipeline: pulls the Monday leads board and the Calendly
//! organization into snapshot tables, on a schedule and on demand. One run at
//! a time across every replica (the RUNNING row is the lock, its lease says
//! whether its process lives); readers see the previous snapshot until a run
//! publishes, and a run that fails, is cancelled or dies leaves it untouched.
//! A run stopped by a shutdown is handed over instead: it stays RUNNING, its
//! writes stay, and the next replica to look resumes it.

pub mod calendly;
pub mod cells;
pub mod command;
pub mod data;
pub mod error;
mod handoff;
pub mod history;
pub mod leads;
pub mod liveness;
pub mod model;
pub mod run;
pub mod schedule;
pub mod status;
pub mod webhooks;
pub mod writer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, DatabaseConnection};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use uuid::Uuid;

use crate::changes::{Change, ChangeSignal};
use crate::config::PipelineConfig;
use crate::db::entities::{
    calendly_event, calendly_event_type, calendly_invitee, calendly_membership, calendly_user,
    lead, lead_column, lead_group, pipeline_run,
};
use crate::db::repo::pipeline as repo;
use crate::db::repo::snapshots;
use error::PipelineError;
use liveness::RunLease;
pub use model::{Mode, RunStatus, StreamProgress, StreamStats, Trigger};
use run::{Resume, RunCtx};

/// Changes made this long before the last run started are re-read too:
/// Monday's and our clocks may disagree a little.
const INCREMENTAL_OVERLAP: chrono::Duration = chrono::Duration::minutes(5);
/// How often a running run looks for a cancel request made on another replica.
const CANCEL_POLL: Duration = Duration::from_secs(1);

/// What `start` did: started `run`, or found it running already.
pub struct Started {
    pub run: pipeline_run::Model,
    pub started: bool,
}

struct Job {
    run: pipeline_run::Model,
    cancel: Arc<AtomicBool>,
    _lease: RunLease,
    /// A run taken over from a replica that shut down.
    resume: Option<Resume>,
}

pub struct PipelineService {
    db: DatabaseConnection,
    cfg: PipelineConfig,
    leads: Option<leads::Leads>,
    calendly: Option<calendly::Calendly>,
    webhook_key: webhooks::WebhookKey,
    changes: Arc<ChangeSignal>,
    jobs: mpsc::UnboundedSender<Job>,
    queue: Mutex<Option<mpsc::UnboundedReceiver<Job>>>,
    /// Cancel flags of the runs executing in this process.
    cancels: Mutex<HashMap<Uuid, Arc<AtomicBool>>>,
    /// Set at shutdown: by when a run here must have been handed over.
    stopping: watch::Sender<Option<Instant>>,
    /// Runs queued or executing here, for shutdown to wait on.
    executing: watch::Sender<usize>,
}

impl PipelineService {
    pub fn new(
        db: DatabaseConnection,
        cfg: PipelineConfig,
        leads: Option<leads::Leads>,
        calendly: Option<calendly::Calendly>,
        webhook_key: webhooks::WebhookKey,
        changes: Arc<ChangeSignal>,
    ) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        Self {
            db,
            cfg,
            leads,
            calendly,
            webhook_key,
            changes,
            jobs,
            queue: Mutex::new(Some(queue)),
            cancels: Mutex::default(),
            stopping: watch::Sender::new(None),
            executing: watch::Sender::new(0),
        }
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.cfg
    }

    pub fn data(&self) -> data::Datasets {
        data::Datasets::new(self.db.clone(), self.cfg.clone())
    }

    /// Starts a run, or answers with the one already running (anywhere).
    /// A scheduled trigger names its slot, so a slot runs once fleet-wide.
    #[tracing::instrument(skip(self))]
    pub async fn start(
        &self,
        trigger: Trigger,
        mode: Mode,
        slot: Option<DateTime<Utc>>,
    ) -> Result<Started, PipelineError> {
        for attempt in 0..20u64 {
            if attempt > 0 {
                // Another trigger is between taking a number and recording
                // its run: give it a moment, then look again.
                tokio::time::sleep(Duration::from_millis(25 * attempt.min(8))).await;
            }
            if let Some(slot) = slot
                && let Some(done) = repo::find_by_slot(&self.db, slot).await?
            {
                return Ok(Started {
                    run: done,
                    started: false,
                });
            }
            if let Some(r) = repo::running(&self.db).await? {
                if liveness::is_held(&self.db, r.number).await? || self.resume_orphan(&r).await? {
                    return Ok(Started {
                        run: r,
                        started: false,
                    });
                }
                continue;
            }
            let number = repo::next_number(&self.db).await?;
            let Some(lease) = liveness::hold(&self.db, number).await? else {
                continue;
            };
            let mode = self.effective_mode(mode).await?;
            let row = pipeline_run::ActiveModel {
                id: Set(Uuid::new_v4()),
                number: Set(number),
                trigger: Set(trigger.code().to_owned()),
                mode: Set(mode.code().to_owned()),
                status: Set(RunStatus::Running.code().to_owned()),
                schedule_slot: Set(slot),
                started_at: Set(Utc::now()),
                finished_at: Set(None),
                error: Set(None),
                stats: Set("[]".to_owned()),
                progress: Set("[]".to_owned()),
                cancel_requested: Set(false),
                handoff: Set(None),
            };
            let run = match repo::insert(&self.db, row).await {
                Ok(run) => run,
                // Another trigger got in first: answer with its run.
                Err(e) if crate::db::is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            };
            let cancel = Arc::new(AtomicBool::new(false));
            self.cancels
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(run.id, cancel.clone());
            tracing::info!(run = %run.id, number, ?trigger, ?mode, "pipeline run started");
            self.changes.publish(Change::PipelineRun { run_id: run.id });
            self.queue_job(Job {
                run: run.clone(),
                cancel,
                _lease: lease,
                resume: None,
            })
            .await?;
            return Ok(Started { run, started: true });
        }
        Err(PipelineError::Upstream(
            "could not start a run: the run table keeps changing".to_owned(),
        ))
    }

    /// Asks a run to stop at its next page boundary, on whichever replica.
    pub async fn cancel(&self, id: Uuid) -> Result<Option<pipeline_run::Model>, PipelineError> {
        let asked = repo::request_cancel(&self.db, id).await?;
        if asked
            && let Some(flag) = self
                .cancels
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&id)
        {
            flag.store(true, Ordering::Relaxed);
        }
        Ok(repo::find(&self.db, id).await?)
    }

    /// Hands a job to this process's runner; one that cannot run here (the
    /// server is stopping) is handed over at once, for another replica.
    async fn queue_job(&self, job: Job) -> Result<(), PipelineError> {
        let run = job.run.clone();
        let resume = job.resume.clone();
        // Counted before the check: a shutdown that begins in between
        // then waits for this job rather than missing it.
        self.executing.send_modify(|n| *n += 1);
        if self.stopping.borrow().is_none() && self.jobs.send(job).is_ok() {
            return Ok(());
        }
        self.executing.send_modify(|n| *n = n.saturating_sub(1));
        self.hand_over(&run, resume.unwrap_or_default(), "[]", &run.stats)
            .await
    }

    /// A RUNNING row whose process is gone: resumed here when it was handed
    /// over, else FAILED and its writes undone.
    pub async fn recover(&self) -> Result<(), PipelineError> {
        if let Some(r) = repo::running(&self.db).await?
            && !liveness::is_held(&self.db, r.number).await?
        {
            self.resume_orphan(&r).await?;
        }
        Ok(())
    }

    /// Ends a run whose process is gone, then undoes its writes. Ending it
    /// first fences it: should the process live after all, its next write
    /// finds the run over and stops.
    /// `false`: not failed, as it had been handed over after all (its
    /// server stopped cleanly between our read and our check).
    async fn fail_dead(&self, r: pipeline_run::Model) -> Result<bool, PipelineError> {
        let ended =
            repo::fail_abandoned(&self.db, r.id, PipelineError::Fenced.public(), Utc::now())
                .await?;
        if ended {
            tracing::warn!(run = %r.id, "a pipeline run's process stopped; marked it failed");
            discard_run(&self.db, r.number).await?;
            self.changes.publish(Change::PipelineRun { run_id: r.id });
        }
        Ok(ended)
    }

    /// An incremental run needs something to build on; every Nth run is full.
    async fn effective_mode(&self, asked: Mode) -> Result<Mode, PipelineError> {
        if asked == Mode::Full || repo::last_succeeded(&self.db).await?.is_none() {
            return Ok(Mode::Full);
        }
        let since_full = repo::succeeded_since_full(&self.db).await?;
        if since_full.saturating_add(1) >= u64::from(self.cfg.full_refresh_every) {
            return Ok(Mode::Full);
        }
        Ok(Mode::Incremental)
    }

    /// Executes the runs `start` queues, one after another, until the
    /// server stops (which drops an unfinished run: its lease goes with it).
    pub async fn run_jobs(self: Arc<Self>) {
        let queue = self
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(mut queue) = queue else {
            tracing::error!("the pipeline runner started twice");
            return;
        };
        while let Some(job) = queue.recv().await {
            if let Err(e) = self.execute(job).await {
                tracing::error!(error = %e, "a pipeline run could not be recorded");
            }
            self.executing.send_modify(|n| *n = n.saturating_sub(1));
        }
    }

    #[tracing::instrument(skip_all, fields(run = %job.run.id, number = job.run.number))]
    async fn execute(&self, job: Job) -> Result<(), PipelineError> {
        let run = &job.run;
        let resumed = job.resume.is_some();
        let ctx = RunCtx::new(
            self.db.clone(),
            run,
            self.changes.clone(),
            job.cancel.clone(),
            self.stopping.subscribe(),
            job.resume.clone(),
        );
        if !ctx.resume().prepared {
            // What runs that never published left behind (one whose discard
            // was cut short) goes before this one writes: no other run
            // writes now, as this one holds the RUNNING row. (A run resumed
            // after this step held it throughout: what is there is its own.)
            discard_unpublished(&self.db).await?;
            ctx.prepared();
        }
        let mode = Mode::from_code(&run.mode).unwrap_or(Mode::Full);
        let since = match mode {
            Mode::Full => None,
            Mode::Incremental => repo::last_succeeded(&self.db)
                .await?
                .map(|r| r.started_at - INCREMENTAL_OVERLAP),
        };
        let line = if resumed {
            format!(
                "run {} resumed on this server after a hand-over; finished before: {}",
                run.number,
                ctx.resume().finished()
            )
        } else {
            format!(
                "run {} started: {} by {}",
                run.number, run.mode, run.trigger
            )
        };
        ctx.log("INFO", None, line).await;
        let watcher = tokio::spawn(watch_cancel(self.db.clone(), run.id, job.cancel.clone()));
        let outcome = tokio::select! {
            outcome = self.extract(&ctx, since) => outcome,
            // A page that outlasts the shutdown's patience is cut.
            () = self.cut_off() => Err(PipelineError::Interrupted),
        };
        watcher.abort();
        ctx.save().await;
        self.end(run, outcome, Some(&ctx)).await
    }

    async fn extract(
        &self,
        ctx: &RunCtx,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), PipelineError> {
        let leads = async {
            match &self.leads {
                Some(l) if !ctx.finished(run::stages::LEADS) => {
                    l.run(ctx, since).await?;
                    ctx.finish(run::stages::LEADS);
                    Ok(())
                }
                _ => Ok(()),
            }
        };
        let calendly = async {
            match &self.calendly {
                Some(c) => c.run(ctx, since.is_some()).await,
                None => Ok(()),
            }
        };
        tokio::try_join!(leads, calendly)?;
        Ok(())
    }

    /// Publishes a successful run, or undoes an unsuccessful one.
    async fn end(
        &self,
        run: &pipeline_run::Model,
        outcome: Result<(), PipelineError>,
        ctx: Option<&RunCtx>,
    ) -> Result<(), PipelineError> {
        let stats = ctx.map_or_else(|| "[]".to_owned(), RunCtx::stats_json);
        // A run asked to stop for good is not handed over, even when the
        // shutdown cut it first.
        let cancelled = ctx.is_some_and(|c| c.cancel.load(Ordering::Relaxed));
        let outcome = match outcome {
            Err(PipelineError::Interrupted) if cancelled => Err(PipelineError::Cancelled),
            other => other,
        };
        if let (Err(PipelineError::Interrupted), Some(ctx)) = (&outcome, ctx) {
            return self.stopped_at_shutdown(run, ctx).await;
        }
        let now = Utc::now();
        let (status, error) = match &outcome {
            Ok(()) => (RunStatus::Succeeded, None),
            Err(PipelineError::Cancelled) => (RunStatus::Cancelled, None),
            Err(e) => {
                tracing::error!(error = %e, run = %run.id, "pipeline run failed");
                (RunStatus::Failed, Some(e.public()))
            }
        };
        if status != RunStatus::Succeeded {
            // Undone while still RUNNING, so no other run can start meanwhile.
            discard_run(&self.db, run.number).await?;
        }
        // The last line goes in before the run ends: whoever sees the run
        // ended (the live log) then finds it.
        if let Some(ctx) = ctx {
            let line = match &error {
                Some(e) => format!("run {} failed: {e}", run.number),
                None => format!("run {} {}", run.number, status.code().to_lowercase()),
            };
            let level = if error.is_some() { "ERROR" } else { "INFO" };
            ctx.log(level, None, line).await;
        }
        let ended =
            repo::finish(&self.db, run.id, status.code(), error.clone(), stats, now).await?;
        if !ended {
            // Another replica ended it (it thought this process dead); what
            // this run wrote must not publish.
            tracing::warn!(run = %run.id, "the run was ended elsewhere; discarding its writes");
            if let Some(ctx) = ctx {
                let line = "the run had been ended elsewhere; its writes are discarded";
                ctx.log("WARN", None, line.to_owned()).await;
            }
            discard_run(&self.db, run.number).await?;
            self.cancels
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&run.id);
            return Ok(());
        }
        self.cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&run.id);
        record_run(run, status, ctx, now);
        if status == RunStatus::Succeeded {
            // Exports may still read the snapshot this one replaced.
            if let Some(prev) = repo::succeeded_before(&self.db, run.number).await? {
                prune_before(&self.db, prev.number).await?;
            }
        }
        self.changes.publish(Change::PipelineRun { run_id: run.id });
        Ok(())
    }
}

/// Counts an ended run for `/metrics`: by status, its duration, and the
/// records it read per stream.
fn record_run(
    run: &pipeline_run::Model,
    status: RunStatus,
    ctx: Option<&RunCtx>,
    now: DateTime<Utc>,
) {
    let status = status.code().to_lowercase();
    metrics::counter!("pipeline_runs_total", "status" => status.clone()).increment(1);
    let took = (now - run.started_at).num_milliseconds().max(0) as f64 / 1e3;
    metrics::histogram!("pipeline_run_duration_seconds", "status" => status).record(took);
    for s in ctx.map(RunCtx::stats).unwrap_or_default() {
        metrics::counter!("pipeline_rows_fetched_total", "stream" => s.stream).increment(s.fetched);
    }
}

/// Polls for a cancel request that arrived through another replica, and
/// for the run having been ended elsewhere: either stops it at its next
/// page boundary.
async fn watch_cancel(db: DatabaseConnection, id: Uuid, flag: Arc<AtomicBool>) {
    loop {
        tokio::time::sleep(CANCEL_POLL).await;
        let stop = match repo::find(&db, id).await {
            Ok(Some(r)) => r.cancel_requested || r.status != RunStatus::Running.code(),
            Ok(None) => true,
            Err(_) => false,
        };
        if stop {
            flag.store(true, Ordering::Relaxed);
            return;
        }
    }
}

/// The snapshot readers see now: the newest successful run's number.
pub async fn published(db: &DatabaseConnection) -> Result<i64, sea_orm::DbErr> {
    Ok(repo::last_succeeded(db).await?.map_or(0, |r| r.number))
}

macro_rules! each_snapshot_table {
    ($f:ident, $db:expr, $n:expr) => {{
        snapshots::$f::<lead::Entity>($db, $n).await?;
        snapshots::$f::<lead_column::Entity>($db, $n).await?;
        snapshots::$f::<lead_group::Entity>($db, $n).await?;
        snapshots::$f::<calendly_user::Entity>($db, $n).await?;
        snapshots::$f::<calendly_membership::Entity>($db, $n).await?;
        snapshots::$f::<calendly_event_type::Entity>($db, $n).await?;
        snapshots::$f::<calendly_event::Entity>($db, $n).await?;
        snapshots::$f::<calendly_invitee::Entity>($db, $n).await?;
    }};
}

/// Undoes every run after the published snapshot (only unpublished runs
/// are). Only the holder of the RUNNING row, before it writes.
async fn discard_unpublished(db: &DatabaseConnection) -> Result<(), PipelineError> {
    let p = published(db).await?;
    each_snapshot_table!(discard_after, db, p);
    Ok(())
}

/// Undoes one run that will not publish.
async fn discard_run(db: &DatabaseConnection, number: i64) -> Result<(), PipelineError> {
    each_snapshot_table!(discard_run, db, number);
    Ok(())
}

/// Drops versions that nobody reading snapshot `oldest` or later can see.
async fn prune_before(db: &DatabaseConnection, oldest: i64) -> Result<(), PipelineError> {
    each_snapshot_table!(prune, db, oldest);
    Ok(())
}
