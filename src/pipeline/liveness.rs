//! Whether the process running a pipeline run is still alive. A run holds a
//! lease for as long as it runs; when its process dies (killed, crashed, the
//! node lost), the lease goes with it, and the next trigger on any replica
//! sees a RUNNING row nobody holds and marks it FAILED.
//!
//! On PostgreSQL the lease is a session advisory lock on a connection of its
//! own, so the database releases it the moment that session ends. SQLite is
//! the single-process deployment: the lease is an entry in this process.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, PoisonError};

use sea_orm::sqlx::{self, Connection};
use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr};

/// High bits of our advisory lock keys, so they do not collide with other
/// users of advisory locks on the same database.
const NAMESPACE: i64 = 0x6262_5049_0000_0000;

/// Runs held by this process, per SQLite database.
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

fn key(number: i64) -> i64 {
    NAMESPACE | (number & 0xFFFF_FFFF)
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
            let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key(number))
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
        _ => {
            let entry = (local_name(db), number);
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
    }
}

/// Whether some process holds the lease of run `number`.
pub async fn is_held(db: &DatabaseConnection, number: i64) -> Result<bool, DbErr> {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let mut conn = db
                .get_postgres_connection_pool()
                .acquire()
                .await
                .map_err(conn_err)?;
            let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key(number))
                .fetch_one(&mut *conn)
                .await
                .map_err(conn_err)?;
            if got {
                // Nobody held it; give it back before the connection returns
                // to the pool, where it would keep it.
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(key(number))
                    .execute(&mut *conn)
                    .await
                    .map_err(conn_err)?;
            }
            Ok(!got)
        }
        _ => Ok(LOCAL
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&(local_name(db), number))),
    }
}

/// Distinguishes the SQLite databases one process may hold (tests run
/// several apps side by side).
fn local_name(db: &DatabaseConnection) -> String {
    db.get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .display()
        .to_string()
}

fn conn_err(e: sqlx::Error) -> DbErr {
    DbErr::Custom(format!("run lease: {e}"))
}
