//! One run as it executes: its numbers per stream, its progress and log (in
//! the database, so every replica can show them, and announced on the change
//! signal, so subscribers here hear at once), and whether it must stop.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::error::PipelineError;
use super::model::{StreamProgress, StreamStats};
use crate::changes::{Change, ChangeSignal};
use crate::db::entities::pipeline_run;
use crate::db::repo::pipeline as repo;

/// Progress is written at most this often; the log and the end always.
const SAVE_EVERY: Duration = Duration::from_millis(250);

pub struct RunCtx {
    pub(super) db: DatabaseConnection,
    pub id: Uuid,
    /// The snapshot this run writes.
    pub number: i64,
    /// Webhook writes after this are newer than anything the run read.
    pub started_at: DateTime<Utc>,
    changes: Arc<ChangeSignal>,
    /// Set by `cancelPipeline` on this replica, or by the watcher when the
    /// request arrived through another one.
    pub(super) cancel: Arc<AtomicBool>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    stats: BTreeMap<String, StreamStats>,
    progress: BTreeMap<String, StreamProgress>,
    saved: Option<Instant>,
}

impl RunCtx {
    pub(super) fn new(
        db: DatabaseConnection,
        run: &pipeline_run::Model,
        changes: Arc<ChangeSignal>,
        cancel: Arc<AtomicBool>,
    ) -> Self {
        Self {
            db,
            id: run.id,
            number: run.number,
            started_at: run.started_at,
            changes,
            cancel,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Inside a write transaction, first: the run still owns its snapshot.
    pub async fn fence(&self, txn: &impl ConnectionTrait) -> Result<(), PipelineError> {
        if repo::fence(txn, self.id).await? {
            Ok(())
        } else {
            Err(PipelineError::Fenced)
        }
    }

    /// A page boundary: the run stops here when asked to.
    pub fn checkpoint(&self) -> Result<(), PipelineError> {
        if self.cancel.load(Ordering::Relaxed) {
            Err(PipelineError::Cancelled)
        } else {
            Ok(())
        }
    }

    pub fn count(&self, stream: &str, f: impl FnOnce(&mut StreamStats)) {
        let mut s = self.lock();
        let entry = s
            .stats
            .entry(stream.to_owned())
            .or_insert_with(|| StreamStats {
                stream: stream.to_owned(),
                ..StreamStats::default()
            });
        f(entry);
    }

    pub async fn progress(&self, stream: &str, done: u64, total: Option<u64>) {
        let due = {
            let mut s = self.lock();
            s.progress.insert(
                stream.to_owned(),
                StreamProgress {
                    stream: stream.to_owned(),
                    done,
                    total,
                },
            );
            s.saved.is_none_or(|t| t.elapsed() >= SAVE_EVERY)
        };
        if due {
            self.save().await;
        }
    }

    /// A line of the run's log, for people watching.
    pub async fn log(&self, level: &str, stream: Option<&str>, message: impl AsRef<str>) {
        let message = message.as_ref();
        match level {
            "ERROR" => tracing::error!(stream, "{message}"),
            "WARN" => tracing::warn!(stream, "{message}"),
            _ => tracing::info!(stream, "{message}"),
        }
        if let Err(e) = repo::log(&self.db, self.id, level, stream, message).await {
            tracing::warn!(error = %e, "cannot write the pipeline log");
        }
        self.changes
            .publish(Change::PipelineRun { run_id: self.id });
    }

    pub async fn info(&self, stream: &str, message: impl AsRef<str>) {
        self.log("INFO", Some(stream), message).await;
    }

    /// Writes progress and stats now.
    pub async fn save(&self) {
        let (progress, stats) = {
            let mut s = self.lock();
            s.saved = Some(Instant::now());
            (
                serde_json::to_string(&s.progress.values().collect::<Vec<_>>()),
                serde_json::to_string(&s.stats.values().collect::<Vec<_>>()),
            )
        };
        let (Ok(progress), Ok(stats)) = (progress, stats) else {
            return;
        };
        if let Err(e) = repo::save_progress(&self.db, self.id, progress, stats).await {
            tracing::warn!(error = %e, "cannot save pipeline progress");
        }
        self.changes
            .publish(Change::PipelineRun { run_id: self.id });
    }

    /// Stats as stored on the run row when it ends.
    pub fn stats_json(&self) -> String {
        let s = self.lock();
        serde_json::to_string(&s.stats.values().collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
    }

    pub fn stats(&self) -> Vec<StreamStats> {
        self.lock().stats.values().cloned().collect()
    }
}
