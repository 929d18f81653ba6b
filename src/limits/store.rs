//! The shared stores: each decision is one atomic step on the server that
//! holds the budget, timed by that server's clock, so replicas whose clocks
//! differ still share one budget.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sea_orm::DatabaseConnection;
use sea_orm::sqlx;
use secrecy::{ExposeSecret, SecretString};

use tracing::Instrument;

use super::LimitsError;
use super::gcra::{self, Verdict};

pub enum Store {
    Memory,
    Postgres(DatabaseConnection),
    Redis(Box<Redis>),
}

pub struct Redis {
    connection: ConnectionManager,
    take: redis::Script,
    give_back: redis::Script,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Redis keys, apart from anything else in the same Redis.
const PREFIX: &str = "bridgeboard:limit:";

/// Budgets on PostgreSQL that ran out long ago are deleted now and then.
static PG_TAKES: AtomicU64 = AtomicU64::new(0);
const PG_SWEEP_EVERY: u64 = 4096;

/// KEYS[1] the budget; ARGV[1] the interval and ARGV[2] the window, in
/// microseconds. Returns {1, remaining} or {0, microseconds to wait}.
const TAKE_LUA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next = tat + interval
if next - now > window then
  return {0, next - now - window}
end
redis.call('SET', KEYS[1], string.format('%d', next), 'PX', math.ceil((next - now) / 1000) + 1)
return {1, math.floor((window - (next - now)) / interval)}
";

/// KEYS[1] the budget; ARGV[1] the interval.
const GIVE_BACK_LUA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat then return 0 end
local back = tat - tonumber(ARGV[1])
if back <= now then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], string.format('%d', back), 'PX', math.ceil((back - now) / 1000) + 1)
end
return 1
";

/// The same rule as `gcra::take`, in one statement: the row is locked by
/// the upsert, whose condition sees its latest version. A refusal returns
/// no new value (and costs a second read, for the wait).
const TAKE_SQL: &str = "\
WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS us),
up AS (
  INSERT INTO rate_limits AS r (key, tat)
  SELECT $1, us + $2 FROM now
  ON CONFLICT (key) DO UPDATE
    SET tat = GREATEST(r.tat, (SELECT us FROM now)) + $2
    WHERE GREATEST(r.tat, (SELECT us FROM now)) + $2 - (SELECT us FROM now) <= $3
  RETURNING tat
)
SELECT (SELECT us FROM now), (SELECT tat FROM up)";

const GIVE_BACK_SQL: &str = "\
UPDATE rate_limits SET tat = GREATEST(tat - $2, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
WHERE key = $1";

impl Store {
    pub fn redis(url: &SecretString) -> Result<Self, LimitsError> {
        let client = redis::Client::open(url.expose_secret())
            .map_err(|e| LimitsError::Redis(e.to_string()))?;
        // Short timeouts: a request waits on this, and a Redis that went
        // away must not hold every request for long.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_millis(500)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| LimitsError::Redis(e.to_string()))?;
        Ok(Store::Redis(Box::new(Redis {
            connection,
            take: redis::Script::new(TAKE_LUA),
            give_back: redis::Script::new(GIVE_BACK_LUA),
        })))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Store::Memory => "memory",
            Store::Postgres(_) => "postgres",
            Store::Redis(_) => "redis",
        }
    }

    /// A service apart from our database (Redis): when it fails, it is left
    /// alone for a moment rather than asked again by every request.
    pub fn is_remote_service(&self) -> bool {
        matches!(self, Store::Redis(_))
    }

    /// `None` for the in-memory store, which the caller runs itself.
    pub async fn take(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Option<Result<Verdict, StoreError>> {
        let interval = gcra::interval_us(limit, window);
        let window_us = window.as_micros() as i64;
        match self {
            Store::Memory => None,
            Store::Redis(r) => {
                let mut con = r.connection.clone();
                let got: Result<(i64, i64), _> = r
                    .take
                    .key(format!("{PREFIX}{key}"))
                    .arg(interval)
                    .arg(window_us)
                    .invoke_async(&mut con)
                    .await;
                Some(got.map(|(ok, n)| verdict(ok == 1, n)).map_err(Into::into))
            }
            Store::Postgres(db) => {
                let pool = db.get_postgres_connection_pool();
                if PG_TAKES.fetch_add(1, Ordering::Relaxed) % PG_SWEEP_EVERY == PG_SWEEP_EVERY - 1 {
                    let pool = pool.clone();
                    tokio::spawn(async move {
                        let swept = sqlx::query(
                            "DELETE FROM rate_limits WHERE tat < (extract(epoch FROM clock_timestamp()) * 1000000)::bigint",
                        )
                        .execute(&pool)
                        .await;
                        if let Err(e) = swept {
                            tracing::warn!(error = %e, "cannot sweep spent rate limits");
                        }
                    }
                    .in_current_span());
                }
                let row: Result<(i64, Option<i64>), _> = sqlx::query_as(TAKE_SQL)
                    .bind(key)
                    .bind(interval)
                    .bind(window_us)
                    .fetch_one(pool)
                    .await;
                let (now, new) = match row {
                    Ok(r) => r,
                    Err(e) => return Some(Err(e.into())),
                };
                if let Some(new) = new {
                    return Some(Ok(verdict(true, (window_us - (new - now)) / interval)));
                }
                // Refused. The statement's snapshot may predate the write
                // that spent the budget, so the wait is read afresh.
                let current: Result<(i64, i64), _> = sqlx::query_as(
                    "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, tat \
                     FROM rate_limits WHERE key = $1",
                )
                .bind(key)
                .fetch_one(pool)
                .await;
                Some(
                    current
                        .map(|(now, tat)| verdict(false, tat.max(now) + interval - now - window_us))
                        .map_err(Into::into),
                )
            }
        }
    }

    pub async fn give_back(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Option<Result<(), StoreError>> {
        let interval = gcra::interval_us(limit, window);
        match self {
            Store::Memory => None,
            Store::Redis(r) => {
                let mut con = r.connection.clone();
                let done: Result<i64, _> = r
                    .give_back
                    .key(format!("{PREFIX}{key}"))
                    .arg(interval)
                    .invoke_async(&mut con)
                    .await;
                Some(done.map(drop).map_err(Into::into))
            }
            Store::Postgres(db) => Some(
                sqlx::query(GIVE_BACK_SQL)
                    .bind(key)
                    .bind(interval)
                    .execute(db.get_postgres_connection_pool())
                    .await
                    .map(drop)
                    .map_err(Into::into),
            ),
        }
    }

    pub async fn reset(&self, key: &str) -> Option<Result<(), StoreError>> {
        match self {
            Store::Memory => None,
            Store::Redis(r) => {
                let mut con = r.connection.clone();
                let done: Result<i64, _> = redis::cmd("DEL")
                    .arg(format!("{PREFIX}{key}"))
                    .query_async(&mut con)
                    .await;
                Some(done.map(drop).map_err(Into::into))
            }
            Store::Postgres(db) => Some(
                sqlx::query("DELETE FROM rate_limits WHERE key = $1")
                    .bind(key)
                    .execute(db.get_postgres_connection_pool())
                    .await
                    .map(drop)
                    .map_err(Into::into),
            ),
        }
    }
}

fn verdict(allowed: bool, n: i64) -> Verdict {
    if allowed {
        Verdict::Allowed {
            remaining: u32::try_from(n.max(0)).unwrap_or(u32::MAX),
        }
    } else {
        Verdict::Refused {
            retry_after: Duration::from_micros(n.max(0) as u64),
        }
    }
}
