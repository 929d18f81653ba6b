//! Whether the process running a pipeline run is still alive. A run holds a
//! lease for as long as it runs; when its process dies (killed, crashed, the
//! node lost), the lease goes with it, and the next check on any replica
//! sees a RUNNING row nobody holds and marks it FAILED.
//!
//! On PostgreSQL the lease is a session advisory lock on a connection of its
//! own, so the database releases it the moment that session ends; others
//! look it up in `pg_locks` without touching it. On SQLite it is an OS lock
//! on a file beside the database, which the OS releases with the process,
//! and which a second process on the same file (`bridgeboard pipeline run`
//! beside a server) sees too.

use std::collections::HashSet;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex, PoisonError};

use sea_orm::sqlx::{self, Connection};
use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr};

/// Our advisory locks are `(NAMESPACE, run number)`, apart from any other
/// user of advisory locks on the same database.
const NAMESPACE: i32 = 0x6262_5049;

/// Runs held by this process on in-memory SQLite databases (no file to lock).
static LOCAL: LazyLock<Mutex<HashSet<(String, i64)>>> = LazyLock::new(Mutex::default);

/// Held while a run runs; dropping it releases the run.
pub struct RunLease {
    _held: Held,
}

enum Held {
    /// The session that owns the advisory lock; closing it releases it.
    Postgres {
        _session: sqlx::PgConnection,
    },
    /// The locked file; closing it releases the lock.
    File {
        _file: File,
    },
    Local((String, i64)),
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Held::Local(key) = self {
            LOCAL
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(key);
        }
    }
}

fn run_key(number: i64) -> i32 {
    (number & 0x7FFF_FFFF) as i32
}

/// The lock file of a SQLite database, or `None` for an in-memory one.
fn lock_file(db: &DatabaseConnection) -> Option<PathBuf> {
    let path = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_owned();
    let name = path.file_name()?.to_string_lossy().into_owned();
    (!name.is_empty() && name != ":memory:")
        .then(|| path.with_file_name(format!("{name}.pipeline.lock")))
}

fn open(path: &PathBuf) -> Result<File, DbErr> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| DbErr::Custom(format!("run lease file: {e}")))
}

/// Takes the lease of run `number`; `None` when someone holds it.
pub async fn hold(db: &DatabaseConnection, number: i64) -> Result<Option<RunLease>, DbErr> {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let mut conn = db
                .get_postgres_connection_pool()
                .acquire()
                .await
                .map_err(conn_err)?
                .detach();
            let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
                .bind(NAMESPACE)
                .bind(run_key(number))
                .fetch_one(&mut conn)
                .await
                .map_err(conn_err)?;
            if !got {
                conn.close().await.ok();
                return Ok(None);
            }
            Ok(Some(RunLease {
                _held: Held::Postgres { _session: conn },
            }))
        }
        _ => match lock_file(db) {
            // One run at a time: one file stands for whichever runs.
            Some(path) => {
                let file = open(&path)?;
                match file.try_lock() {
                    Ok(()) => Ok(Some(RunLease {
                        _held: Held::File { _file: file },
                    })),
                    Err(TryLockError::WouldBlock) => Ok(None),
                    Err(TryLockError::Error(e)) => Err(DbErr::Custom(format!("run lease: {e}"))),
                }
            }
            None => {
                let entry = ("memory".to_owned(), number);
                let fresh = LOCAL
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(entry.clone());
                // Lazily: a lease built for nothing would release the entry
                // of the run that holds it when dropped.
                Ok(fresh.then(|| RunLease {
                    _held: Held::Local(entry),
                }))
            }
        },
    }
}

/// Whether some process holds the lease of run `number`. Looks, and takes
/// nothing: a check cut short leaves no lock behind.
pub async fn is_held(db: &DatabaseConnection, number: i64) -> Result<bool, DbErr> {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let held: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' \
                 AND granted AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 2 \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
            )
            .bind(i64::from(NAMESPACE))
            .bind(i64::from(run_key(number)))
            .fetch_one(db.get_postgres_connection_pool())
            .await
            .map_err(conn_err)?;
            Ok(held)
        }
        _ => match lock_file(db) {
            Some(path) => {
                let file = open(&path)?;
                match file.try_lock() {
                    // Nobody held it; the lock goes with `file` right here.
                    Ok(()) => Ok(false),
                    Err(TryLockError::WouldBlock) => Ok(true),
                    Err(TryLockError::Error(e)) => Err(DbErr::Custom(format!("run lease: {e}"))),
                }
            }
            None => Ok(LOCAL
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&("memory".to_owned(), number))),
        },
    }
}

fn conn_err(e: sqlx::Error) -> DbErr {
    DbErr::Custom(format!("run lease: {e}"))
}
