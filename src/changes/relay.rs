//! Carries the change signal between replicas on one PostgreSQL, through
//! `LISTEN/NOTIFY`. Each replica NOTIFYs what it publishes (ids only) and
//! LISTENs on its own connection for the others', reading the rows it needs
//! itself, and hands each change to its own listeners and subscribers. A
//! listening connection that drops is replaced; while it is gone nothing
//! remembered is served, and once back every cache starts afresh, since
//! what happened meanwhile is unknown. Heartbeats carry each sender's last
//! number, so a lost change is noticed within one beat, and a listener that
//! goes silent (no reset, or behind a pooler in transaction mode, which
//! never delivers notifications: use session mode) is replaced.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use sea_orm::sqlx::{self};
use sea_orm::{ColumnTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::wire::{Message, WireChange};
use super::{Change, ChangeSignal, Scope, TicketEvent};
use crate::db::entities::ticket;

/// The one NOTIFY channel all replicas of a database share.
pub const CHANNEL: &str = "bridgeboard_changes";

const RECONNECT_MAX: Duration = Duration::from_secs(5);
/// Each replica NOTIFYs a heartbeat this often. A listener that hears
/// nothing (not even its own) for `SILENCE` is taken for dead: a connection
/// cut without a reset, or a pooler that never delivers notifications.
const HEARTBEAT: Duration = Duration::from_secs(5);
const SILENCE: Duration = Duration::from_secs(15);

pub struct Relay {
    db: DatabaseConnection,
    /// This replica, for as long as it runs.
    origin: Uuid,
    outgoing: mpsc::UnboundedReceiver<Arc<Change>>,
    listener: Option<PgListener>,
}

impl Relay {
    /// Wires `signal` to the other replicas when `db` is PostgreSQL. SQLite
    /// is one process: there is nobody to tell, and `None` is returned.
    pub fn attach(db: &DatabaseConnection, signal: &mut ChangeSignal) -> Option<Relay> {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return None;
        }
        let (tx, outgoing) = mpsc::unbounded_channel();
        signal.relay = Some(tx);
        signal.status.relayed = true;
        let origin = Uuid::new_v4();
        signal.status.origin = origin;
        Some(Relay {
            db: db.clone(),
            origin,
            outgoing,
            listener: None,
        })
    }

    /// Starts listening now, so a server hears the others from its first
    /// request. A failure here is retried by `run`; meanwhile nothing
    /// remembered is served.
    pub async fn listen(&mut self, signal: &ChangeSignal) {
        match connect(&self.db, self.origin).await {
            Ok((listener, pid)) => {
                self.listener = Some(listener);
                signal.stream_restored(pid);
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other replicas' changes yet");
                signal.stream_lost();
            }
        }
    }

    /// Sends this replica's changes and receives the others', until the
    /// server stops.
    pub async fn run(self, signal: Arc<ChangeSignal>) {
        let Relay {
            db,
            origin,
            outgoing,
            listener,
        } = self;
        tokio::join!(
            send(db.clone(), origin, outgoing),
            receive(db, origin, listener, signal)
        );
    }
}

/// The listening connection's `application_name`, so operators can tell it
/// (and which replica holds it) in `pg_stat_activity`.
pub fn listener_name(origin: Uuid) -> String {
    format!("bridgeboard-events-{}", origin.simple())
}

/// A connection of its own, outside the pool: it lives as long as it
/// listens, and a new one is made after it drops.
async fn connect(db: &DatabaseConnection, origin: Uuid) -> Result<(PgListener, i32), sqlx::Error> {
    let options = (*db.get_postgres_connection_pool().connect_options())
        .clone()
        .application_name(&listener_name(origin));
    let own = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options);
    let mut listener = PgListener::connect_with(&own).await?;
    // A lost connection is reported at once; `receive` replaces it itself.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut listener)
        .await?;
    Ok((listener, pid))
}

async fn send(
    db: DatabaseConnection,
    origin: Uuid,
    mut outgoing: mpsc::UnboundedReceiver<Arc<Change>>,
) {
    let pool = db.get_postgres_connection_pool().clone();
    let mut seq = 0u64;
    let mut beat = tokio::time::interval(HEARTBEAT);
    loop {
        let change = tokio::select! {
            c = outgoing.recv() => match c {
                Some(c) => {
                    seq += 1;
                    WireChange::from(c.as_ref())
                }
                None => return,
            },
            _ = beat.tick() => WireChange::Heartbeat,
        };
        let payload = Message {
            origin,
            seq,
            sent_ms: Utc::now().timestamp_millis(),
            change,
        }
        .encode();
        // Kept until it goes: what follows must not overtake it, and a
        // receiver would otherwise only learn of the loss from the numbering.
        let mut delay = Duration::from_millis(50);
        loop {
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(&payload)
                .execute(&pool)
                .await;
            match sent {
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, seq, retry_in = ?delay, "cannot tell the other replicas of a change yet");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(RECONNECT_MAX);
                }
            }
        }
    }
}

async fn receive(
    db: DatabaseConnection,
    origin: Uuid,
    mut listener: Option<PgListener>,
    signal: Arc<ChangeSignal>,
) {
    let mut last_seq: HashMap<Uuid, u64> = HashMap::new();
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut current = match listener.take() {
            Some(l) => l,
            None => match connect(&db, origin).await {
                Ok((l, pid)) => {
                    // Whatever was missed is covered by starting afresh.
                    last_seq.clear();
                    signal.stream_restored(pid);
                    tracing::info!(
                        gaps = signal.status().gaps(),
                        "listening for other replicas' changes again; remembered answers and identities dropped"
                    );
                    backoff = Duration::from_millis(100);
                    l
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "cannot listen for other replicas' changes");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(RECONNECT_MAX);
                    continue;
                }
            },
        };
        loop {
            let Ok(next) = tokio::time::timeout(SILENCE, current.try_recv()).await else {
                tracing::warn!(silent_for = ?SILENCE, "the connection that listens for other replicas' changes went silent");
                break;
            };
            match next {
                Ok(Some(n)) => heard(&db, origin, &mut last_seq, &signal, n.payload()).await,
                Ok(None) => {
                    tracing::warn!("lost the connection that listens for other replicas' changes");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "lost the connection that listens for other replicas' changes");
                    break;
                }
            }
        }
        signal.stream_lost();
    }
}

/// One NOTIFY payload: skipped when it is ours, otherwise turned back into
/// a change and delivered here.
async fn heard(
    db: &DatabaseConnection,
    origin: Uuid,
    last_seq: &mut HashMap<Uuid, u64>,
    signal: &ChangeSignal,
    payload: &str,
) {
    let msg: Message = match serde_json::from_str(payload) {
        Ok(m) => m,
        Err(e) => {
            // A replica of another version: treat as a change of unknown reach.
            tracing::warn!(error = %e, "unreadable change from another replica");
            signal.missed();
            return;
        }
    };
    if msg.origin == origin {
        return;
    }
    // A change takes the next number; a heartbeat repeats the last one.
    let expected = |prev: u64| match msg.change {
        WireChange::Heartbeat => prev,
        _ => prev + 1,
    };
    if let Some(prev) = last_seq.insert(msg.origin, msg.seq)
        && msg.seq != expected(prev)
    {
        tracing::warn!(
            replica = %msg.origin,
            expected = prev + 1,
            got = msg.seq,
            "missed changes from another replica; remembered answers and identities dropped"
        );
        signal.missed();
    }
    if let WireChange::Heartbeat = msg.change {
        return;
    }
    let status = signal.status();
    let lag = (Utc::now().timestamp_millis() - msg.sent_ms).max(0) as u64;
    status
        .last_lag_ms
        .store(lag, std::sync::atomic::Ordering::Relaxed);
    status
        .heard
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let change = match msg.change {
        WireChange::Ticket {
            id,
            client,
            event,
            changed_fields,
            at,
            staff_only,
        } => match ticket::Entity::find()
            .filter(ticket::Column::Id.eq(id))
            .one(db)
            .await
        {
            Ok(Some(ticket)) => Change::Ticket(TicketEvent {
                kind: event,
                ticket,
                changed_fields,
                at,
                staff_only,
            }),
            // Its answers are stale all the same; subscribers hear nothing
            // of a row we cannot read.
            Ok(None) => Change::Data(Scope::Tickets { client }),
            Err(e) => {
                tracing::warn!(error = %e, ticket = %id, "cannot read a ticket another replica changed");
                Change::Data(Scope::Tickets { client })
            }
        },
        WireChange::Tickets { client } => Change::Data(Scope::Tickets { client }),
        WireChange::Everything => Change::Data(Scope::Everything),
        WireChange::SessionEnded { jti } => Change::SessionEnded { jti },
        WireChange::ApiKeyRevoked { key_id } => Change::ApiKeyRevoked { key_id },
        WireChange::AccountsChanged => Change::AccountsChanged,
        WireChange::PipelineRun { run_id } => Change::PipelineRun { run_id },
        WireChange::Heartbeat => return,
    };
    signal.deliver(Arc::new(change));
}
