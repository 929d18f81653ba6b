//! One run as it executes: its numbers per stream, its progress and log (in
//! the database, so every replica can show them, and announced on the change
//! signal, so subscribers here hear at once), whether it must stop, and
//! what it has finished, for a replica that resumes it after a shutdown.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

use super::error::PipelineError;
use super::model::{StreamProgress, StreamStats};
use crate::changes::{Change, ChangeSignal};
use crate::db::entities::pipeline_run;
use crate::db::repo::pipeline as repo;

/// Progress is written at most this often; the log and the end always.
const SAVE_EVERY: Duration = Duration::from_millis(250);

/// The parts of a run that finish as a whole: a run resumed after a
/// hand-over skips the finished ones and reads the one it stopped in again
/// from its start (pages already written compare equal and are not
/// written twice).
pub mod stages {
    use crate::pipeline::model::streams;

    pub const LEADS: &str = "leads";
    pub const CALENDLY_ACCOUNTS: &str = "calendly.accounts";
    pub const CALENDLY_EVENTS: &str = "calendly.events";
    pub const CALENDLY_INVITEES: &str = "calendly.invitees";

    /// The streams each stage reads.
    pub const STREAMS: &[(&str, &[&str])] = &[
        (
            LEADS,
            &[streams::LEADS, streams::LEAD_COLUMNS, streams::LEAD_GROUPS],
        ),
        (
            CALENDLY_ACCOUNTS,
            &[
                streams::CALENDLY_USERS,
                streams::CALENDLY_MEMBERSHIPS,
                streams::CALENDLY_EVENT_TYPES,
            ],
        ),
        (CALENDLY_EVENTS, &[streams::CALENDLY_EVENTS]),
        (CALENDLY_INVITEES, &[streams::CALENDLY_INVITEES]),
    ];
}

/// What a run stopped at shutdown had finished, as stored on its row for
/// the replica that resumes it.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    pub done: BTreeSet<String>,
    /// Once the events are read: the events whose invitees are to be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitees_of: Option<Vec<String>>,
    /// How many times the run has been handed over.
    #[serde(default)]
    pub handoffs: u32,
    /// Whether the run had cleared what failed runs left before it first
    /// wrote (a run handed over before it began has not).
    #[serde(default)]
    pub prepared: bool,
}

impl Resume {
    /// The finished stages, for the run's log.
    pub fn finished(&self) -> String {
        if self.done.is_empty() {
            "nothing".to_owned()
        } else {
            self.done.iter().cloned().collect::<Vec<_>>().join(", ")
        }
    }
}

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
    /// Set when this process shuts down: the run stops at its next page
    /// boundary and is handed over.
    stopping: watch::Receiver<Option<tokio::time::Instant>>,
    /// Records fetched per stream when this attempt began (a resumed run
    /// goes on from its predecessor's numbers).
    fetched_before: BTreeMap<String, u64>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    stats: BTreeMap<String, StreamStats>,
    progress: BTreeMap<String, StreamProgress>,
    saved: Option<Instant>,
    resume: Resume,
}

impl RunCtx {
    pub(super) fn new(
        db: DatabaseConnection,
        run: &pipeline_run::Model,
        changes: Arc<ChangeSignal>,
        cancel: Arc<AtomicBool>,
        stopping: watch::Receiver<Option<tokio::time::Instant>>,
        resume: Option<Resume>,
    ) -> Self {
        let mut state = State::default();
        if let Some(resume) = resume {
            // A resumed run's numbers go on from where they were.
            let stats: Vec<StreamStats> = serde_json::from_str(&run.stats).unwrap_or_default();
            let progress: Vec<StreamProgress> =
                serde_json::from_str(&run.progress).unwrap_or_default();
            state.stats = stats.into_iter().map(|s| (s.stream.clone(), s)).collect();
            state.progress = progress
                .into_iter()
                .map(|p| (p.stream.clone(), p))
                .collect();
            state.resume = resume;
        }
        let fetched_before = state
            .stats
            .iter()
            .map(|(stream, s)| (stream.clone(), s.fetched))
            .collect();
        Self {
            db,
            id: run.id,
            number: run.number,
            started_at: run.started_at,
            changes,
            cancel,
            stopping,
            fetched_before,
            state: Mutex::new(state),
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
        } else if self.stopping.borrow().is_some() {
            Err(PipelineError::Interrupted)
        } else {
            Ok(())
        }
    }

    /// Whether `stage` was finished before a hand-over.
    pub fn finished(&self, stage: &str) -> bool {
        self.lock().resume.done.contains(stage)
    }

    pub fn finish(&self, stage: &str) {
        self.lock().resume.done.insert(stage.to_owned());
    }

    /// The events whose invitees are still to be read, when the events were
    /// read before a hand-over.
    pub fn invitees_of(&self) -> Option<Vec<String>> {
        self.lock().resume.invitees_of.clone()
    }

    /// The run cleared what failed runs left behind: it may write now.
    pub fn prepared(&self) {
        self.lock().resume.prepared = true;
    }

    pub fn set_invitees_of(&self, events: Vec<String>) {
        self.lock().resume.invitees_of = Some(events);
    }

    /// What to store for the replica that resumes this run.
    pub fn resume(&self) -> Resume {
        self.lock().resume.clone()
    }

    pub fn progress_json(&self) -> String {
        let s = self.lock();
        serde_json::to_string(&s.progress.values().collect::<Vec<_>>())
            .unwrap_or_else(|_| "[]".into())
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

    /// Stats as stored at a hand-over. The stage it stopped in is read
    /// again from its start, so what this attempt fetched of it is not
    /// counted yet; what it wrote stays (read again, it compares equal).
    pub fn handover_stats_json(&self) -> String {
        let s = self.lock();
        let mut stats = s.stats.clone();
        for (stage, streams) in stages::STREAMS {
            if s.resume.done.contains(*stage) {
                continue;
            }
            for stream in *streams {
                if let Some(st) = stats.get_mut(*stream) {
                    st.fetched = self.fetched_before.get(*stream).copied().unwrap_or(0);
                }
            }
        }
        serde_json::to_string(&stats.values().collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
    }

    pub fn stats(&self) -> Vec<StreamStats> {
        self.lock().stats.values().cloned().collect()
    }
}
