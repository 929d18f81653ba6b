//! Apollo's automatic persisted queries (APQ): a client sends only the
//! sha256 of a query (`extensions.persistedQuery`), and the text once, when we
//! answer `PERSISTED_QUERY_NOT_FOUND`. Saves clients re-sending large
//! documents and lets GET requests stay short enough for caches and proxies.
//!
//! The store is bounded by bytes: the oldest entries go first, so a client
//! flooding it with hashes only costs others a resend.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use async_graphql::Value;
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// What an entry costs beyond its text: the key and the bookkeeping.
const ENTRY_OVERHEAD: usize = 64 + 96;

pub struct PersistedQueries {
    max_bytes: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    queries: HashMap<String, Arc<str>>,
    /// Insertion order, for eviction.
    order: VecDeque<String>,
    bytes: usize,
}

impl PersistedQueries {
    /// `max_bytes` 0 turns the protocol off: every hash is a miss and no
    /// query is kept, so clients keep sending the full text.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies the protocol to one request, in place: a known hash fills in
    /// the query, a query with a hash is checked and remembered, and the
    /// `persistedQuery` extension is removed (it has been dealt with).
    /// Requests without it pass untouched.
    pub fn resolve(&self, request: &mut async_graphql::Request) -> Result<(), AppError> {
        let Some(ext) = request.extensions.remove("persistedQuery") else {
            return Ok(());
        };
        let hash = requested_hash(&ext)?;
        if request.query.is_empty() {
            let known = self.lock().queries.get(&hash).cloned();
            let query = known.ok_or(AppError::PersistedQueryNotFound)?;
            request.query = query.to_string();
            return Ok(());
        }
        if sha256_hex(&request.query) != hash {
            return Err(AppError::InvalidRequest(
                "provided sha256Hash does not match the query".to_owned(),
            ));
        }
        self.insert(hash, &request.query);
        Ok(())
    }

    fn insert(&self, hash: String, query: &str) {
        let cost = query.len() + ENTRY_OVERHEAD;
        if cost > self.max_bytes {
            return;
        }
        let mut inner = self.lock();
        if inner.queries.contains_key(&hash) {
            return;
        }
        while inner.bytes + cost > self.max_bytes {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            if let Some(q) = inner.queries.remove(&old) {
                inner.bytes -= q.len() + ENTRY_OVERHEAD;
            }
        }
        inner.queries.insert(hash.clone(), Arc::from(query));
        inner.order.push_back(hash);
        inner.bytes += cost;
    }

    /// Queries held now, and the bytes they are counted as.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.queries.len(), inner.bytes)
    }
}

/// `{"version": 1, "sha256Hash": "<64 hex digits>"}`, anything else refused.
fn requested_hash(ext: &Value) -> Result<String, AppError> {
    let Value::Object(fields) = ext else {
        return Err(invalid("extensions.persistedQuery must be an object"));
    };
    match fields.get("version") {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        _ => return Err(invalid("only persistedQuery version 1 is supported")),
    }
    match fields.get("sha256Hash") {
        Some(Value::String(h)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(h.to_ascii_lowercase())
        }
        _ => Err(invalid(
            "extensions.persistedQuery.sha256Hash must be 64 hex digits",
        )),
    }
}

fn invalid(msg: &str) -> AppError {
    AppError::InvalidRequest(msg.to_owned())
}

pub fn sha256_hex(query: &str) -> String {
    hex::encode(Sha256::digest(query.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, hash: &str) -> async_graphql::Request {
        let body = serde_json::json!({
            "query": query,
            "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } },
        });
        serde_json::from_value(body).expect("request")
    }

    #[test]
    fn a_hash_is_a_miss_until_its_query_is_sent() {
        let apq = PersistedQueries::new(1024 * 1024);
        let q = "{ version }";
        let hash = sha256_hex(q);
        let miss = apq.resolve(&mut request("", &hash));
        assert!(matches!(miss, Err(AppError::PersistedQueryNotFound)));
        let mut full = request(q, &hash);
        apq.resolve(&mut full).expect("registered");
        assert!(full.extensions.is_empty());
        let mut hit = request("", &hash.to_ascii_uppercase());
        apq.resolve(&mut hit).expect("hit");
        assert_eq!(hit.query, q);
    }

    #[test]
    fn a_wrong_hash_is_refused_and_not_kept() {
        let apq = PersistedQueries::new(1024 * 1024);
        let wrong = sha256_hex("{ other }");
        let e = apq.resolve(&mut request("{ version }", &wrong));
        assert!(matches!(e, Err(AppError::InvalidRequest(_))));
        assert!(matches!(
            apq.resolve(&mut request("", &wrong)),
            Err(AppError::PersistedQueryNotFound)
        ));
        let e = apq.resolve(&mut request("{ version }", "abc"));
        assert!(matches!(e, Err(AppError::InvalidRequest(_))));
    }

    #[test]
    fn the_store_stays_within_its_bytes() {
        let apq = PersistedQueries::new(10 * (100 + ENTRY_OVERHEAD));
        let queries: Vec<String> = (0..50)
            .map(|i| format!("{{ version }} # {i:0>88}"))
            .collect();
        for q in &queries {
            apq.resolve(&mut request(q, &sha256_hex(q))).expect("kept");
        }
        let (count, bytes) = apq.usage();
        assert!(
            count <= 10 && bytes <= 10 * (100 + ENTRY_OVERHEAD),
            "{count} {bytes}"
        );
        // The newest survive.
        let last = &queries[49];
        apq.resolve(&mut request("", &sha256_hex(last)))
            .expect("newest kept");
        let first = &queries[0];
        assert!(apq.resolve(&mut request("", &sha256_hex(first))).is_err());
    }

    #[test]
    fn zero_bytes_turns_it_off() {
        let apq = PersistedQueries::new(0);
        let q = "{ version }";
        apq.resolve(&mut request(q, &sha256_hex(q))).expect("runs");
        assert!(apq.resolve(&mut request("", &sha256_hex(q))).is_err());
    }
}
