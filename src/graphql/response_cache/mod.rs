//! Serves a caller's repeated `tickets`/`ticket` queries from memory. Portals
//! poll the same first page over and over; executing it means a page of rows
//! and hundreds of resolved fields, while nothing changed since last time.
//!
//! Entries are per caller (never shared between identities) and carry the
//! generations of the named scopes their document reads, as they were when
//! computed. Every committed change is announced on the change signal with
//! its scope (tickets of one client, say), which bumps that scope's
//! generation for staff and for the owning client, so a change is visible on
//! the very next request here. On PostgreSQL the other replicas' changes
//! arrive the same way, through the change relay; while it is down nothing
//! is served from here, and `CACHE_RESPONSE_TTL_MS` bounds everything else.
//!
//! After a change, the many requests that find their entry stale do not all
//! execute the query: the first runs it and the others wait for its answer.

mod policy;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::sync::watch;
use uuid::Uuid;

use crate::auth::{ApiKeyPermission, Identity, Role};
use crate::changes::{Change, Listener, Scope};
pub use policy::{CachePolicy, Cacheable, OperationName, Scopes};

pub struct ResponseCache {
    ttl: Duration,
    max_entries: usize,
    max_bytes: usize,
    inner: Mutex<Inner>,
    /// Off while changes made through other replicas are not reaching us.
    trusted: AtomicBool,
}

/// Answers larger than this are not kept: one caller must not be able to
/// fill the byte budget with a handful of entries.
const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    /// Bytes held by `entries` (bodies and keys).
    bytes: usize,
    /// Executions under way that others may wait for.
    flights: HashMap<Key, (Stamp, watch::Receiver<Option<Bytes>>)>,
    /// Documents that produced a cacheable answer, with the scopes they
    /// read. Only these are worth waiting for; anything else (a mutation
    /// sent twice) runs side by side.
    cacheable: HashMap<Document, Scopes>,
    generations: Generations,
    /// When stale and expired entries were last dropped.
    swept: Option<Instant>,
}

/// How many changes each kind of caller's answers have seen, per scope.
#[derive(Default)]
struct Generations {
    /// Bumped when a change's reach is unknown: every entry is stale.
    all: u64,
    /// Bumped by every change in a scope: staff and API keys see all of it.
    staff: [u64; Scopes::COUNT],
    clients: HashMap<Uuid, [u64; Scopes::COUNT]>,
}

impl Generations {
    /// The stamp of what `scopes` read for `caller`. Each counter only
    /// grows, so their sum changes whenever any of them does.
    fn stamp(&self, caller: &Caller, scopes: Scopes) -> Stamp {
        let counters = match caller {
            Caller::Client(id) => self.clients.get(id).copied().unwrap_or_default(),
            Caller::Staff(..) | Caller::ApiKey(..) => self.staff,
        };
        let read = scopes
            .indexes()
            .map(|i| counters[i])
            .fold(0u64, u64::wrapping_add);
        Stamp(self.all, read)
    }

    fn bump(&mut self, scope: usize, client: Option<Uuid>) {
        self.staff[scope] += 1;
        if let Some(c) = client {
            self.clients.entry(c).or_default()[scope] += 1;
        }
    }
}

/// What a response depends on: the caller and the exact request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    caller: Caller,
    document: Document,
    variables: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Document {
    query: String,
    operation: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Caller {
    Client(Uuid),
    // The role is part of the key so a role change cannot serve a response
    // computed with the old one.
    Staff(Uuid, Role),
    ApiKey(Uuid, ApiKeyPermission),
}

/// The generations an entry was computed under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp(u64, u64);

struct Entry {
    scopes: Scopes,
    stamp: Stamp,
    at: Instant,
    body: Bytes,
}

impl Key {
    fn size(&self) -> usize {
        self.document.query.len()
            + self.document.operation.as_ref().map_or(0, String::len)
            + self.variables.len()
    }
}

pub enum Lookup {
    Hit(Bytes),
    /// Another request is computing this answer now.
    Wait(Waiter),
    /// Execute, then hand the outcome to [`ResponseCache::finish`].
    Run(Run),
}

pub struct Waiter(watch::Receiver<Option<Bytes>>);

impl Waiter {
    /// The other request's answer; `None` when it had none to share (an
    /// error, or it was cancelled): then execute as usual.
    pub async fn answer(mut self) -> Option<Bytes> {
        let answer = self.0.wait_for(Option::is_some).await.ok()?;
        answer.clone()
    }
}

/// The right to store one execution's answer. Dropping it unfinished (the
/// client went away) releases whoever waits.
pub struct Run {
    /// What the stamp covers: the document's scopes when known, else all.
    scopes: Scopes,
    stamp: Stamp,
    share: Option<watch::Sender<Option<Bytes>>>,
    /// The scopes the executed document read, once execution says so.
    read: Option<Scopes>,
}

impl Run {
    /// Tells the cache which scopes the executed document read.
    pub fn reading(mut self, scopes: Scopes) -> Self {
        self.read = Some(scopes);
        self
    }
}

impl ResponseCache {
    pub fn new(ttl: Duration, max_entries: usize, max_bytes: usize) -> Self {
        Self {
            ttl,
            max_entries,
            max_bytes,
            inner: Mutex::default(),
            trusted: AtomicBool::new(true),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Each critical section leaves the maps consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key for this caller and request, or `None` when it must not be
    /// cached at all (caching off, anonymous callers, request extensions).
    pub fn key(&self, identity: &Identity, request: &async_graphql::Request) -> Option<Key> {
        if self.ttl.is_zero()
            || !request.extensions.is_empty()
            || !self.trusted.load(Ordering::Acquire)
        {
            return None;
        }
        let caller = match identity {
            Identity::Anonymous => return None,
            Identity::Client { client_id, .. } => Caller::Client(*client_id),
            Identity::Staff { user_id, role, .. } => Caller::Staff(*user_id, *role),
            Identity::ApiKey {
                key_id, permission, ..
            } => Caller::ApiKey(*key_id, *permission),
        };
        Some(Key {
            caller,
            document: Document {
                query: request.query.clone(),
                operation: request.operation_name.clone(),
            },
            variables: serde_json::to_string(&request.variables).ok()?,
        })
    }

    pub fn lookup(&self, key: &Key) -> Lookup {
        let mut inner = self.lock();
        let Some(scopes) = inner.cacheable.get(&key.document).copied() else {
            // Unknown: stamp everything it could read.
            return Lookup::Run(Run {
                scopes: Scopes::ALL,
                stamp: inner.generations.stamp(&key.caller, Scopes::ALL),
                share: None,
                read: None,
            });
        };
        let now = inner.generations.stamp(&key.caller, scopes);
        if let Some(e) = inner.entries.get(key)
            && e.scopes == scopes
            && e.stamp == now
            && e.at.elapsed() < self.ttl
        {
            return Lookup::Hit(e.body.clone());
        }
        if let Some((stamp, rx)) = inner.flights.get(key)
            && *stamp == now
            && rx.has_changed().is_ok()
        {
            return Lookup::Wait(Waiter(rx.clone()));
        }
        if inner.flights.len() >= self.max_entries {
            inner.flights.retain(|_, (_, rx)| rx.has_changed().is_ok());
        }
        let (tx, rx) = watch::channel(None);
        inner.flights.insert(key.clone(), (now, rx));
        Lookup::Run(Run {
            scopes,
            stamp: now,
            share: Some(tx),
            read: None,
        })
    }

    /// Records an execution's outcome: `Some(body)` for a cacheable success.
    /// The body is stored only if nothing changed while it was computed,
    /// since it may or may not include that change.
    pub fn finish(&self, key: Key, run: Run, body: Option<Bytes>) {
        let mut inner = self.lock();
        let read = run.read.unwrap_or(run.scopes);
        // An error says nothing about the document (`first: 0` fails, the
        // same query with `first: 50` does not): only successes teach.
        if body.is_some() && inner.cacheable.get(&key.document) != Some(&read) {
            if inner.cacheable.len() >= self.max_entries {
                inner.cacheable.clear();
            }
            inner.cacheable.insert(key.document.clone(), read);
        }
        if let Some(tx) = &run.share {
            if inner
                .flights
                .get(&key)
                .is_some_and(|(_, rx)| rx.same_channel(&tx.subscribe()))
            {
                inner.flights.remove(&key);
            }
            // Waiters joined under this run's stamp; the answer is as fresh
            // for them as for the request that computed it.
            tx.send_replace(body.clone());
        }
        let Some(body) = body.filter(|b| b.len() <= MAX_BODY_BYTES) else {
            return;
        };
        if inner.generations.stamp(&key.caller, run.scopes) != run.stamp {
            return;
        }
        // Nothing the run's stamp covers changed, so neither did `read`.
        let stamp = inner.generations.stamp(&key.caller, read);
        let key_size = key.size();
        let size = key_size + body.len();
        if inner.entries.len() >= self.max_entries || inner.bytes + size > self.max_bytes {
            self.evict(&mut inner);
        } else if inner.swept.is_none_or(|at| at.elapsed() >= self.ttl) {
            // Once a TTL: what it holds stays the answers of the last TTL,
            // not every page anyone ever read.
            self.sweep(&mut inner);
        }
        let entry = Entry {
            scopes: read,
            stamp,
            at: Instant::now(),
            body,
        };
        let replaced = inner.entries.insert(key, entry);
        inner.bytes += size;
        if let Some(old) = replaced {
            inner.bytes -= key_size + old.body.len();
        }
    }

    /// Drops stale and expired entries, and all of them if that frees too
    /// little. Linear, but it runs only at a bound, and a flush leaves room
    /// for many inserts before the next.
    fn evict(&self, inner: &mut Inner) {
        self.sweep(inner);
        if inner.entries.len() >= self.max_entries || inner.bytes > self.max_bytes / 2 {
            inner.entries.clear();
            inner.bytes = 0;
        }
    }

    /// Drops the entries no lookup can return any more (stale or expired),
    /// and finished flights. Linear; runs at most once a TTL, or at a bound.
    fn sweep(&self, inner: &mut Inner) {
        let Inner {
            entries,
            bytes,
            flights,
            generations,
            swept,
            ..
        } = inner;
        let ttl = self.ttl;
        entries.retain(|k, e| {
            e.stamp == generations.stamp(&k.caller, e.scopes) && e.at.elapsed() < ttl
        });
        *bytes = entries.iter().map(|(k, e)| k.size() + e.body.len()).sum();
        flights.retain(|_, (_, rx)| rx.has_changed().is_ok());
        *swept = Some(Instant::now());
    }

    /// Makes every answer that read `scope` stale.
    pub fn invalidate(&self, scope: Scope) {
        let mut inner = self.lock();
        match scope {
            Scope::Tickets { client } => inner.generations.bump(Scopes::TICKETS_INDEX, client),
            // A change whose reach is not worth working out.
            Scope::Everything => {
                inner.generations.all += 1;
                inner.entries.clear();
                inner.bytes = 0;
            }
        }
    }
}

impl Listener for ResponseCache {
    fn changed(&self, change: &Change) {
        if let Some(scope) = change.scope() {
            self.invalidate(scope);
        }
    }

    fn trust(&self, trusted: bool) {
        // Either way, what was kept may be stale; and an execution that
        // began before the switch is not kept (its stamp no longer holds).
        self.trusted.store(trusted, Ordering::Release);
        self.invalidate(Scope::Everything);
    }
}

#[cfg(test)]
mod tests;
