//! Database access: one connection pool for SQLite or PostgreSQL, and explicit
//! migrations. Entities (generated shape of the tables) live apart from the
//! hand-written repositories that hold our queries.

pub mod entities;
pub mod liveness;
pub mod repo;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Statement};
use secrecy::ExposeSecret;

use crate::config::DatabaseConfig;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the directory for the SQLite file {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to the database: {0}")]
    Connect(DbErr),
    #[error("migration failed: {0}")]
    Migrate(DbErr),
}

pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// The file behind a `sqlite://` URL, or `None` for an in-memory database.
pub fn sqlite_path(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| Path::new(path))
}

/// Statements sent to the database, in total and per table of the data hub
/// (the tables whose reads must stay batched). Benchmarks and tests read it;
/// it costs an atomic add per statement.
#[derive(Debug, Default)]
pub struct QueryStats {
    total: AtomicU64,
    per_table: [AtomicU64; WATCHED.len()],
}

/// As they appear in a statement: identifiers are quoted the same way on
/// both backends.
const WATCHED: [&str; 8] = [
    "\"leads\"",
    "\"lead_columns\"",
    "\"lead_groups\"",
    "\"calendly_users\"",
    "\"calendly_memberships\"",
    "\"calendly_event_types\"",
    "\"calendly_events\"",
    "\"calendly_invitees\"",
];

impl QueryStats {
    fn record(&self, sql: &str) {
        self.total.fetch_add(1, Ordering::Relaxed);
        for (i, t) in WATCHED.iter().enumerate() {
            if sql.contains(t) {
                self.per_table[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Statements that named `table` (one of the data hub's tables).
    pub fn on_table(&self, table: &str) -> u64 {
        WATCHED
            .iter()
            .position(|t| t.trim_matches('"') == table)
            .map_or(0, |i| self.per_table[i].load(Ordering::Relaxed))
    }
}

pub async fn connect(cfg: &DatabaseConfig) -> Result<DatabaseConnection, DbError> {
    Ok(connect_counted(cfg).await?.0)
}

/// Connects and counts every statement the connection sends.
pub async fn connect_counted(
    cfg: &DatabaseConfig,
) -> Result<(DatabaseConnection, Arc<QueryStats>), DbError> {
    let url = cfg.url.expose_secret();
    let mut opt = ConnectOptions::new(url.to_owned());
    opt.max_connections(cfg.max_connections)
        .min_connections(1)
        // Short timeouts: a dead database should turn /ready red in seconds,
        // not hang requests for the sqlx default of 30 s.
        .acquire_timeout(Duration::from_secs(3))
        .connect_timeout(Duration::from_secs(5))
        .sqlx_logging(false);

    if is_sqlite(url) {
        if let Some(parent) = sqlite_path(url).and_then(Path::parent)
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|source| DbError::CreateDir {
                path: parent.display().to_string(),
                source,
            })?;
        }
        opt.map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            // WAL lets readers run beside the writer; the busy timeout makes
            // writers queue instead of failing with SQLITE_BUSY.
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // 512 KiB of pages per connection, not SQLite's 2 MiB: a
                // long scan fills every connection's cache and keeps it,
                // and the OS page cache serves re-reads as fast.
                .pragma("cache_size", "-512")
        });
    }
    let mut db = Database::connect(opt).await.map_err(DbError::Connect)?;
    let stats = Arc::new(QueryStats::default());
    let counter = stats.clone();
    db.set_metric_callback(move |info| counter.record(&info.statement.sql));
    Ok((db, stats))
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbError> {
    Migrator::up(db, None).await.map_err(DbError::Migrate)
}

/// Whether a write failed on a unique constraint (another writer got there
/// first, or the value is taken).
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Refreshes the planner's statistics for `table` after a bulk load, so the
/// hot queries use their indexes at once instead of after the next
/// autovacuum (PostgreSQL) or never (SQLite, which has no auto-analyze).
pub async fn analyze(db: &DatabaseConnection, table: &str) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(backend, format!("ANALYZE {table}")))
        .await
        .map(drop)
}

/// Readiness: the database answers and our schema is in place.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.query_one_raw(Statement::from_string(
        backend,
        "SELECT COUNT(*) FROM seaql_migrations",
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_path("sqlite://data/bridgeboard.db?mode=rwc"),
            Some(Path::new("data/bridgeboard.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:/tmp/x.db"),
            Some(Path::new("/tmp/x.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x"), None);
    }
}
