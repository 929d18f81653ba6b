use super::*;

fn client(id: Uuid) -> Identity {
    Identity::Client {
        client_id: id,
        portal_id: "p".to_owned(),
        email: "c@example.com".to_owned(),
        jti: "j".to_owned(),
    }
}

fn cache() -> ResponseCache {
    ResponseCache::new(Duration::from_secs(60), 100, 1 << 20)
}

fn key_for(cache: &ResponseCache, who: &Identity, query: &str) -> Key {
    cache
        .key(who, &async_graphql::Request::new(query))
        .expect("a key")
}

/// Runs the lookup and stores `body` as the outcome.
fn compute(cache: &ResponseCache, key: &Key, body: &'static [u8]) {
    match cache.lookup(key) {
        Lookup::Run(run) => cache.finish(key.clone(), run, Some(Bytes::from_static(body))),
        _ => panic!("expected to run"),
    }
}

/// A cache whose one entry a change has just made stale.
fn stale_entry() -> (ResponseCache, Key) {
    let cache = cache();
    let key = key_for(
        &cache,
        &client(Uuid::new_v4()),
        "{ tickets { totalCount } }",
    );
    compute(&cache, &key, b"v1");
    cache.invalidate(Scope::Everything);
    (cache, key)
}

/// What the entries really hold, to check the running count against.
fn held(inner: &Inner) -> usize {
    inner
        .entries
        .iter()
        .map(|(k, e)| k.size() + e.body.len())
        .sum()
}

fn hit(cache: &ResponseCache, key: &Key) -> Option<Bytes> {
    match cache.lookup(key) {
        Lookup::Hit(b) => Some(b),
        _ => None,
    }
}

#[test]
fn a_client_change_invalidates_that_client_and_staff_only() {
    let cache = cache();
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let ka = key_for(&cache, &client(a), "{ tickets { totalCount } }");
    let kb = key_for(&cache, &client(b), "{ tickets { totalCount } }");
    assert_ne!(ka, kb, "callers never share entries");
    compute(&cache, &ka, b"a");
    compute(&cache, &kb, b"b");
    assert_eq!(hit(&cache, &ka).as_deref(), Some(&b"a"[..]));
    cache.invalidate(Scope::Tickets { client: Some(a) });
    assert!(hit(&cache, &ka).is_none());
    assert_eq!(hit(&cache, &kb).as_deref(), Some(&b"b"[..]));
    cache.invalidate(Scope::Everything);
    assert!(hit(&cache, &kb).is_none());
}

#[test]
fn a_result_computed_across_a_change_is_not_stored() {
    let cache = cache();
    let id = Uuid::new_v4();
    let key = key_for(&cache, &client(id), "{ tickets { totalCount } }");
    let Lookup::Run(run) = cache.lookup(&key) else {
        panic!("expected to run")
    };
    cache.invalidate(Scope::Tickets { client: Some(id) });
    cache.finish(key.clone(), run, Some(Bytes::from_static(b"old")));
    assert!(hit(&cache, &key).is_none());
}

#[tokio::test]
async fn concurrent_misses_wait_for_one_execution() {
    let (cache, key) = stale_entry();

    let Lookup::Run(run) = cache.lookup(&key) else {
        panic!("the first miss runs")
    };
    let Lookup::Wait(waiter) = cache.lookup(&key) else {
        panic!("the second waits")
    };
    let waiting = tokio::spawn(waiter.answer());
    cache.finish(key.clone(), run, Some(Bytes::from_static(b"v2")));
    assert_eq!(waiting.await.unwrap().as_deref(), Some(&b"v2"[..]));
    assert_eq!(hit(&cache, &key).as_deref(), Some(&b"v2"[..]));
}

#[tokio::test]
async fn waiters_run_themselves_when_the_first_has_nothing_to_share() {
    let (cache, key) = stale_entry();
    let Lookup::Run(run) = cache.lookup(&key) else {
        panic!("runs")
    };
    let Lookup::Wait(waiter) = cache.lookup(&key) else {
        panic!("waits")
    };
    drop(run); // the first request was cancelled
    assert!(waiter.answer().await.is_none());
    assert!(
        matches!(cache.lookup(&key), Lookup::Run(_)),
        "a new run takes over"
    );
}

#[test]
fn unknown_or_uncacheable_documents_never_wait() {
    let cache = cache();
    let key = key_for(&cache, &client(Uuid::new_v4()), "mutation { logout }");
    let (Lookup::Run(first), Lookup::Run(second)) = (cache.lookup(&key), cache.lookup(&key)) else {
        panic!("both run")
    };
    cache.finish(key.clone(), first, None);
    cache.finish(key.clone(), second, None);
    assert!(matches!(
        (cache.lookup(&key), cache.lookup(&key)),
        (Lookup::Run(_), Lookup::Run(_))
    ));
}

#[test]
fn anonymous_callers_and_a_zero_ttl_are_never_cached() {
    let req = async_graphql::Request::new("{ tickets { totalCount } }");
    assert!(cache().key(&Identity::Anonymous, &req).is_none());
    let off = ResponseCache::new(Duration::ZERO, 100, 1 << 20);
    assert!(off.key(&client(Uuid::new_v4()), &req).is_none());
}

#[test]
fn stays_within_its_bound() {
    let cache = ResponseCache::new(Duration::from_secs(60), 2, 1 << 20);
    let id = client(Uuid::new_v4());
    for q in ["{ a }", "{ b }", "{ c }"] {
        compute(&cache, &key_for(&cache, &id, q), b"{}");
    }
    assert!(cache.lock().entries.len() <= 2);
}

#[test]
fn stays_within_its_byte_budget() {
    static BODY: [u8; 4000] = [b' '; 4000];
    let cache = ResponseCache::new(Duration::from_secs(60), 100, 10_000);
    let uid = Uuid::new_v4();
    let id = client(uid);
    for n in 0..10 {
        compute(&cache, &key_for(&cache, &id, &format!("{{ a{n} }}")), &BODY);
        let inner = cache.lock();
        let held = held(&inner);
        assert_eq!(inner.bytes, held, "the count matches what is held");
        assert!(held <= 10_000, "{held} bytes held");
    }
    // Storing the same key again replaces, not adds.
    cache.invalidate(Scope::Tickets { client: Some(uid) });
    let key = key_for(&cache, &id, "{ a9 }");
    compute(&cache, &key, &BODY);
    let inner = cache.lock();
    let held = held(&inner);
    assert_eq!(inner.bytes, held);
}

#[test]
fn an_error_does_not_stop_coalescing_for_a_document() {
    let (cache, key) = stale_entry();
    let Lookup::Run(run) = cache.lookup(&key) else {
        panic!("runs")
    };
    cache.finish(key.clone(), run, None);
    let Lookup::Run(_run) = cache.lookup(&key) else {
        panic!("runs")
    };
    assert!(matches!(cache.lookup(&key), Lookup::Wait(_)));
}

#[test]
fn what_no_lookup_can_return_is_dropped_once_a_ttl_not_kept_until_the_bound() {
    let cache = ResponseCache::new(Duration::from_millis(50), 10_000, 1 << 30);
    let uid = Uuid::new_v4();
    let id = client(uid);
    for n in 0..100 {
        compute(&cache, &key_for(&cache, &id, &format!("{{ t{n} }}")), b"{}");
    }
    assert_eq!(cache.lock().entries.len(), 100);
    // Stale (a change) or expired (the TTL): none of them is ever served
    // again, and the next insert after a TTL lets them go.
    cache.invalidate(Scope::Tickets { client: Some(uid) });
    std::thread::sleep(Duration::from_millis(60));
    compute(&cache, &key_for(&cache, &id, "{ fresh }"), b"{}");
    let inner = cache.lock();
    assert_eq!(inner.entries.len(), 1);
    assert_eq!(inner.bytes, held(&inner));
}

#[test]
fn nothing_is_served_or_kept_while_other_replicas_cannot_be_heard() {
    let cache = cache();
    let who = client(Uuid::new_v4());
    let key = key_for(&cache, &who, "{ tickets { totalCount } }");
    compute(&cache, &key, b"v1");
    assert!(matches!(cache.lookup(&key), Lookup::Hit(_)));
    // An execution that began before the stream was lost is not kept.
    let Lookup::Run(before) = cache.lookup(&key_for(&cache, &who, "{ a }")) else {
        panic!("expected to run");
    };
    cache.trust(false);
    let request = async_graphql::Request::new("{ tickets { totalCount } }");
    assert!(cache.key(&who, &request).is_none(), "no caching at all");
    cache.finish(
        key_for_trusted(&who, "{ a }"),
        before,
        Some(Bytes::from_static(b"x")),
    );
    cache.trust(true);
    assert!(
        matches!(cache.lookup(&key), Lookup::Run(_)),
        "the old entry is gone"
    );
    assert!(matches!(
        cache.lookup(&key_for(&cache, &who, "{ a }")),
        Lookup::Run(_)
    ));
}

/// A key as a trusting cache makes it (the one under test may not).
fn key_for_trusted(who: &Identity, query: &str) -> Key {
    key_for(&cache(), who, query)
}
