//! Who holds an outbox claim, and for how long. A delivery holds a short
//! lease and renews it while its upstream call runs, so the claims of a
//! worker that died free up within one lease; and a server that starts on
//! the liveness slot of a dead predecessor (its own previous run, after a
//! SIGKILL or an OOM kill) releases that run's claims at once.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr};

use crate::db::entities::outbox as entity;
use crate::db::liveness::{self, Liveness};
use crate::db::repo::outbox as repo;

pub struct Owner {
    db: DatabaseConnection,
    liveness: Arc<Liveness>,
    lease: Duration,
}

impl Owner {
    pub fn new(db: DatabaseConnection, liveness: Arc<Liveness>, lease: Duration) -> Self {
        Self {
            db,
            liveness,
            lease,
        }
    }

    pub fn claimant(&self) -> Option<repo::Claimant<'_>> {
        let slot = self.liveness.slot();
        (slot >= 0).then(|| repo::Claimant {
            slot,
            holder: self.liveness.holder(),
        })
    }

    /// Takes a liveness slot and frees what a dead holder of it had claimed.
    pub async fn start(&self) -> Result<u64, DbErr> {
        let acquired = self.liveness.acquire(&self.db).await?;
        let released = repo::release_slot(&self.db, acquired.slot, self.liveness.holder()).await?;
        if released > 0 {
            tracing::info!(
                slot = acquired.slot,
                released,
                "released the outbox claims of this slot's previous run"
            );
        }
        Ok(released)
    }

    /// Heartbeats the slot until the process ends; if it was lost (the
    /// database was out of reach for `STALE`), takes a slot again.
    pub async fn run_heartbeat(&self) {
        loop {
            tokio::time::sleep(liveness::HEARTBEAT).await;
            match self.liveness.heartbeat(&self.db).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(
                        slot = self.liveness.slot(),
                        "liveness slot lost; taking another"
                    );
                    if let Err(e) = self.start().await {
                        tracing::warn!(error = %e, "no liveness slot");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "liveness heartbeat failed"),
            }
        }
    }

    /// Keeps `entry`'s lease alive until the returned guard is dropped.
    pub fn keep(&self, entry: &entity::Model) -> Renewal {
        let db = self.db.clone();
        let entry = entry.clone();
        let lease = self.lease;
        let every = (lease / 3).max(Duration::from_millis(10));
        Renewal(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default();
                match repo::renew(&db, &entry, until).await {
                    Ok(true) => {}
                    Ok(false) => {
                        // Released or taken over: the delivery cannot record
                        // any more, and renewing would only fail again.
                        tracing::warn!(entry = entry.id, "outbox claim lost while delivering");
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "outbox lease renewal failed"),
                }
            }
        }))
    }
}

/// Stops renewing a lease when dropped.
pub struct Renewal(tokio::task::JoinHandle<()>);

impl Drop for Renewal {
    fn drop(&mut self) {
        self.0.abort();
    }
}
