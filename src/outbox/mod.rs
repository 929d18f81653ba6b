//! The outbox: writes to the upstreams that must happen, stored in the same
//! transaction as the change that caused them and delivered later by a worker,
//! so nothing is lost while an upstream is down. It knows no domain: each
//! domain registers a handler for its kinds of entry (`tickets.create_item`,
//! …) and the worker hands every claimed entry to its kind's handler.
//!
//! Delivery is at least once; handlers make it exactly once on the upstream
//! (the ticket handler looks for an item an earlier attempt created). A
//! delivery holds a short lease it renews while it runs (`owner`); an entry
//! the upstream refuses for good is marked failed and not delivered again.
//! At shutdown the worker claims nothing more, lets a delivery in flight
//! finish for a bounded time, and otherwise puts it back at once for
//! another replica instead of leaving its lease to run out.

pub mod owner;
pub mod status;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use serde_json::Value;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tracing::Instrument;

use crate::config::OutboxConfig;
use crate::db::entities::outbox as entity;
use crate::db::liveness::Liveness;
use crate::db::repo::outbox as repo;
use owner::Owner;

/// Queues entries; cheap to clone. The worker wakes when told.
#[derive(Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
}

impl Outbox {
    /// Adds an entry inside the caller's transaction.
    pub async fn enqueue(
        &self,
        db: &impl ConnectionTrait,
        kind: &str,
        subject: &str,
        payload: &Value,
    ) -> Result<(), DbErr> {
        repo::enqueue(db, kind, subject, payload, Utc::now()).await
    }

    /// Adds an entry inside the caller's transaction, to be delivered no
    /// earlier than `due` (a gathering window, say).
    pub async fn enqueue_at(
        &self,
        db: &impl ConnectionTrait,
        kind: &str,
        subject: &str,
        payload: &Value,
        due: chrono::DateTime<Utc>,
    ) -> Result<(), DbErr> {
        repo::enqueue_due(db, kind, subject, payload, Utc::now(), due).await
    }

    /// Tells the worker there is work; call after the commit.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// One claimed entry, as its handler sees it.
pub struct Claimed {
    entry: entity::Model,
    payload: Value,
}

impl Claimed {
    pub fn id(&self) -> i64 {
        self.entry.id
    }

    pub fn kind(&self) -> &str {
        &self.entry.kind
    }

    pub fn subject(&self) -> &str {
        &self.entry.subject
    }

    pub fn payload(&self) -> &Value {
        &self.payload
    }

    /// Whether an earlier attempt may have reached the upstream already.
    pub fn retried(&self) -> bool {
        self.entry.attempts > 1
    }

    /// Records the entry as delivered, inside the handler's own transaction
    /// (with whatever the upstream's answer changes here). `false`: this
    /// worker's lease ran out and another worker owns the entry now; the
    /// handler must then write nothing.
    pub async fn complete(&self, txn: &impl ConnectionTrait) -> Result<bool, DbErr> {
        repo::delivered(txn, &self.entry, Utc::now()).await
    }
}

/// Why an entry was not delivered this time.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The upstream or our database is unwell: back off, for every entry.
    #[error("{0}")]
    Transient(String),
    /// Something this entry depends on must land first; try again soon.
    #[error("{0}")]
    Waiting(String),
    /// A service only this kind of entry uses is unwell (the mail server):
    /// this entry backs off, the others go on.
    #[error("{0}")]
    Later(String),
    /// It will not succeed as it is (the upstream refused it for good): the
    /// entry is marked failed, not delivered again, and its handler reports it.
    #[error("{0}")]
    Permanent(String),
}

impl From<DbErr> for Failure {
    fn from(e: DbErr) -> Self {
        Failure::Transient(format!("database: {e}"))
    }
}

#[async_trait::async_trait]
pub trait Handler: Send + Sync {
    async fn deliver(&self, entry: &Claimed) -> Result<(), Failure>;

    /// Called after a permanent failure (the entry is failed), so the domain
    /// can show it.
    async fn rejected(&self, _entry: &Claimed, _reason: &str) -> Result<(), Failure> {
        Ok(())
    }
}

pub struct Worker {
    db: DatabaseConnection,
    cfg: OutboxConfig,
    outbox: Outbox,
    handlers: HashMap<&'static str, Arc<dyn Handler>>,
    /// Holds this process's liveness slot and renews leases.
    owner: Option<Owner>,
    /// Set at shutdown: by when a delivery in flight must be done.
    stopping: watch::Sender<Option<Instant>>,
    /// Whether `run` is still going, for shutdown to wait on.
    running: watch::Sender<bool>,
}

impl Worker {
    pub fn new(db: DatabaseConnection, cfg: OutboxConfig, outbox: Outbox) -> Self {
        Self {
            db,
            cfg,
            outbox,
            handlers: HashMap::new(),
            owner: None,
            stopping: watch::Sender::new(None),
            running: watch::Sender::new(false),
        }
    }

    /// Claims name this process (its liveness slot), and a restart on the
    /// same slot releases them at once.
    pub fn with_liveness(mut self, liveness: Arc<Liveness>) -> Self {
        self.owner = Some(Owner::new(self.db.clone(), liveness, self.cfg.lease));
        self
    }

    pub fn register(&mut self, kind: &'static str, handler: Arc<dyn Handler>) {
        self.handlers.insert(kind, handler);
    }

    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }

    /// Stops claiming entries; a delivery in flight gets until `within` to
    /// finish, then is put back for another replica. Completes when the
    /// worker has stopped, that last write done; the caller bounds the wait.
    pub fn stop(&self, within: Duration) -> impl Future<Output = ()> + Send + use<> {
        self.stopping.send_replace(Some(Instant::now() + within));
        let mut running = self.running.subscribe();
        async move {
            let _ = running.wait_for(|r| !*r).await;
        }
    }

    fn is_stopping(&self) -> bool {
        self.stopping.borrow().is_some()
    }

    /// Completes when a shutdown begins.
    fn stopped(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut rx = self.stopping.subscribe();
        async move {
            if rx.wait_for(Option::is_some).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Completes when a shutdown's time for deliveries in flight is up.
    fn cut_off(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut rx = self.stopping.subscribe();
        async move {
            match rx.wait_for(Option::is_some).await.ok().and_then(|at| *at) {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        }
    }

    /// Runs until the process ends or `stop`: takes a liveness slot
    /// (releasing what this slot's previous run had claimed) and heartbeats
    /// it, and delivers.
    pub async fn run(self: Arc<Self>) {
        self.running.send_replace(true);
        self.clone().serve().await;
        self.running.send_replace(false);
    }

    async fn serve(self: Arc<Self>) {
        if let Some(owner) = &self.owner {
            let mut failures: u32 = 0;
            loop {
                let started = tokio::select! {
                    started = owner.start() => started,
                    () = self.stopped() => return,
                };
                let Err(e) = started else { break };
                failures = failures.saturating_add(1);
                tracing::warn!(error = %e, "outbox cannot take a liveness slot yet");
                tokio::select! {
                    () = tokio::time::sleep(self.backoff(failures)) => {}
                    () = self.stopped() => return,
                }
            }
        }
        let heartbeat = async {
            match &self.owner {
                Some(owner) => owner.run_heartbeat().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = heartbeat => {}
            () = self.clone().deliver_forever() => {}
        }
    }

    async fn deliver_forever(self: Arc<Self>) {
        let mut failures: u32 = 0;
        while !self.is_stopping() {
            let wait = match self.deliver_one().await {
                Ok(true) => {
                    failures = 0;
                    continue;
                }
                Ok(false) => self.cfg.poll,
                Err(e) => {
                    // The upstream (or our database) is unwell: back off for
                    // all entries, not just this one, instead of hammering it.
                    failures = failures.saturating_add(1);
                    let wait = self.backoff(failures);
                    tracing::warn!(error = %e, wait_ms = wait.as_millis() as u64, "outbox delivery failed");
                    wait
                }
            };
            tokio::select! {
                _ = tokio::time::timeout(wait, self.outbox.wake.notified()), if failures == 0 => {}
                () = tokio::time::sleep(wait), if failures > 0 => {}
                () = self.stopped() => {}
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .cfg
            .retry_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.cfg.retry_max);
        let jitter = rand::rng().random_range(0..=exp.as_millis().max(1) as u64 / 4);
        (exp + Duration::from_millis(jitter)).min(self.cfg.retry_max)
    }

    /// Delivers the oldest due entry. `Ok(false)` when there was none;
    /// `Err` only for transient trouble (the entry is rescheduled).
    pub async fn deliver_one(&self) -> Result<bool, Failure> {
        let now = Utc::now();
        let lease =
            chrono::Duration::from_std(self.cfg.lease).unwrap_or(chrono::Duration::seconds(60));
        let kinds: Vec<&str> = self.handlers.keys().copied().collect();
        let by = self.owner.as_ref().and_then(Owner::claimant);
        let Some(entry) = repo::claim_as(&self.db, &kinds, now, now + lease, by).await? else {
            return Ok(false);
        };
        let Some(handler) = self.handlers.get(entry.kind.as_str()).cloned() else {
            return Ok(false);
        };
        let span = tracing::info_span!("outbox", entry = entry.id, kind = %entry.kind, subject = %entry.subject);
        let payload = serde_json::from_str(&entry.payload).unwrap_or(Value::Null);
        let renewal = self.owner.as_ref().map(|o| o.keep(&entry));
        let claimed = Claimed { entry, payload };
        let outcome = tokio::select! {
            outcome = handler.deliver(&claimed).instrument(span.clone()) => outcome,
            () = self.cut_off() => {
                // Handlers find what an attempt cut short left upstream, so
                // the entry can go straight to another replica.
                drop(renewal);
                let released = repo::retry_later(
                    &self.db,
                    &claimed.entry,
                    Some("cut short at shutdown; put back for another server"),
                    Utc::now(),
                )
                .await?;
                span.in_scope(|| {
                    tracing::warn!(released, "delivery cut at shutdown; put back for another server");
                });
                return Ok(false);
            }
        };
        drop(renewal);
        self.settle(&claimed, handler.as_ref(), outcome)
            .instrument(span)
            .await
    }

    async fn settle(
        &self,
        claimed: &Claimed,
        handler: &dyn Handler,
        outcome: Result<(), Failure>,
    ) -> Result<bool, Failure> {
        let Err(e) = outcome else {
            tracing::debug!(attempts = claimed.entry.attempts, "outbox entry delivered");
            return Ok(true);
        };
        let entry = &claimed.entry;
        let wait = match e {
            Failure::Waiting(_) => self.cfg.retry_base,
            _ => self.backoff(entry.attempts.unsigned_abs()),
        };
        let next = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
        let message = e.to_string();
        let kept = match e {
            Failure::Permanent(_) => repo::failed(&self.db, entry, &message, Utc::now()).await?,
            _ => repo::retry_later(&self.db, entry, Some(&message), next).await?,
        };
        if !kept {
            // Our lease ran out and another worker holds the entry; its
            // outcome, not ours, decides.
            tracing::warn!(error = %message, "outbox lease lost during a failed attempt");
            return Ok(true);
        }
        match e {
            Failure::Permanent(_) => {
                tracing::error!(error = %message, "outbox entry rejected upstream");
                handler.rejected(claimed, &message).await?;
                Ok(true)
            }
            Failure::Waiting(_) | Failure::Later(_) => Ok(true),
            Failure::Transient(_) => Err(e),
        }
    }
}
