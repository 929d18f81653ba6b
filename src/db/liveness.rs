//! Which server processes are alive, as the database sees them. Each running
//! server holds a slot (a small number) in `liveness_slots`, with a fresh
//! holder id per process run and a heartbeat. Work it claims (outbox entries)
//! names its slot and holder, so the next process on that slot knows the
//! claims are its dead predecessor's and can release them at once.
//!
//! A slot is free when its heartbeat is older than `STALE`, or, on this host,
//! when the process that held it is gone (a restart after SIGKILL or OOM
//! takes its own slot back immediately). Servers inside one test process are
//! told apart by an in-process registry of live holders.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::db::entities::liveness_slot as slot;

/// How often a holder proves it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// After this long without a heartbeat a slot is free for anyone.
pub const STALE: Duration = Duration::from_secs(30);
/// More servers than this on one database is a misconfiguration.
const MAX_SLOTS: i32 = 4096;

/// Holders alive in this process (several servers run in one test binary).
static LIVE: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Mutex::default);

fn live() -> std::sync::MutexGuard<'static, HashSet<String>> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// This process's slot; dropping it marks the holder dead in this process.
#[derive(Debug)]
pub struct Liveness {
    slot: Mutex<i32>,
    holder: String,
    host: String,
    pid: i64,
}

impl Drop for Liveness {
    fn drop(&mut self) {
        live().remove(&self.holder);
    }
}

/// A slot taken over from a process that is gone: its claims can go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acquired {
    pub slot: i32,
    /// Whether a dead holder had it before us.
    pub took_over: bool,
}

impl Liveness {
    /// A new holder id for this process run; no slot yet.
    pub fn new() -> Self {
        let holder = uuid::Uuid::new_v4().simple().to_string();
        live().insert(holder.clone());
        Self {
            slot: Mutex::new(-1),
            holder,
            host: host_name(),
            pid: i64::from(std::process::id()),
        }
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// The slot held now (-1 before `acquire`).
    pub fn slot(&self) -> i32 {
        *self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the lowest free slot.
    pub async fn acquire(&self, db: &DatabaseConnection) -> Result<Acquired, DbErr> {
        for n in 0..MAX_SLOTS {
            let now = Utc::now();
            let taken = match slot::Entity::find_by_id(n).one(db).await? {
                None => slot::Entity::insert(self.row(n, now))
                    .exec_without_returning(db)
                    .await
                    .is_ok()
                    .then_some(false),
                Some(row) if self.is_free(&row, now) => {
                    // Only if nobody else took it since we looked.
                    let res = slot::Entity::update_many()
                        .col_expr(slot::Column::Holder, Expr::value(self.holder.clone()))
                        .col_expr(slot::Column::Host, Expr::value(self.host.clone()))
                        .col_expr(slot::Column::Pid, Expr::value(self.pid))
                        .col_expr(slot::Column::HeartbeatAt, Expr::value(now))
                        .filter(slot::Column::Slot.eq(n))
                        .filter(slot::Column::Holder.eq(row.holder.clone()))
                        .exec(db)
                        .await?;
                    (res.rows_affected == 1).then_some(true)
                }
                Some(_) => None,
            };
            if let Some(took_over) = taken {
                *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = n;
                tracing::info!(slot = n, took_over, "liveness slot acquired");
                return Ok(Acquired { slot: n, took_over });
            }
        }
        Err(DbErr::Custom(format!(
            "all {MAX_SLOTS} liveness slots are held"
        )))
    }

    /// Renews the heartbeat. `false`: the slot was taken from us (we missed
    /// heartbeats for `STALE`); the caller should acquire another.
    pub async fn heartbeat(&self, db: &DatabaseConnection) -> Result<bool, DbErr> {
        let res = slot::Entity::update_many()
            .col_expr(slot::Column::HeartbeatAt, Expr::value(Utc::now()))
            .filter(slot::Column::Slot.eq(self.slot()))
            .filter(slot::Column::Holder.eq(self.holder.clone()))
            .exec(db)
            .await?;
        Ok(res.rows_affected == 1)
    }

    fn row(&self, n: i32, now: DateTime<Utc>) -> slot::ActiveModel {
        slot::ActiveModel {
            slot: Set(n),
            holder: Set(self.holder.clone()),
            host: Set(self.host.clone()),
            pid: Set(self.pid),
            heartbeat_at: Set(now),
        }
    }

    /// Whether the holder of `row` is certainly gone.
    fn is_free(&self, row: &slot::Model, now: DateTime<Utc>) -> bool {
        if row.holder == self.holder {
            return true;
        }
        let stale = chrono::Duration::from_std(STALE).unwrap_or(chrono::Duration::seconds(30));
        if row.heartbeat_at < now - stale {
            return true;
        }
        if row.host != self.host {
            return false;
        }
        if row.pid == self.pid {
            // Our own process: a server in it that has stopped, or (a
            // container's PID 1 restarted) the run before ours.
            return !live().contains(&row.holder);
        }
        !process_alive(row.pid)
    }
}

impl Default for Liveness {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a process with this id runs on this host; `true` when we cannot tell.
fn process_alive(pid: i64) -> bool {
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_dropped_in_this_process_is_dead_and_a_live_one_is_not() {
        let a = Liveness::new();
        let b = Liveness::new();
        let row = slot::Model {
            slot: 0,
            holder: a.holder.clone(),
            host: a.host.clone(),
            pid: a.pid,
            heartbeat_at: Utc::now(),
        };
        assert!(!b.is_free(&row, Utc::now()));
        drop(a);
        assert!(b.is_free(&row, Utc::now()));
        let elsewhere = slot::Model {
            host: "another-host".into(),
            holder: "x".into(),
            ..row.clone()
        };
        assert!(!b.is_free(&elsewhere, Utc::now()));
        assert!(b.is_free(&elsewhere, Utc::now() + chrono::Duration::seconds(31)));
        let gone = slot::Model {
            holder: "y".into(),
            pid: i64::from(u32::MAX) + 7,
            ..row
        };
        assert!(b.is_free(&gone, Utc::now()));
    }
}
