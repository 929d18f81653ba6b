//! Rate limits hold across replicas: in PostgreSQL without Redis, in Redis
//! with it. A Redis that goes away refuses (or, when told to fail open,
//! falls back to each replica's own budget), and recovery needs no restart.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;

use super::pair;
use crate::auth_support::CREATE_API_KEY;
use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USER, TestApp, code, data, eventually, spawn_app_with, with_admin,
};

/// The Redis the suite may use (`.ci/run` starts it).
fn shared_redis() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

async fn new_key(app: &TestApp, admin: &str, per_minute: u32) -> String {
    let made = app
        .graphql_as(
            admin,
            CREATE_API_KEY,
            json!({ "input": {
                "name": format!("limited {per_minute}"),
                "permission": "READ_ONLY",
                "rateLimitPerMinute": per_minute,
            } }),
        )
        .await;
    data(made)["createApiKey"]["key"]
        .as_str()
        .expect("key")
        .to_owned()
}

/// One request with `key`; its HTTP status.
async fn call(app: &TestApp, key: &str) -> u16 {
    app.graphql_key(key, "{ __typename }", json!({}))
        .await
        .status()
        .as_u16()
}

/// `n` requests, alternating between the replicas, 8 at a time: how many
/// were allowed, and how long it took.
async fn hammer(a: &TestApp, b: &TestApp, key: &str, n: usize) -> (u64, Duration) {
    let started = Instant::now();
    let statuses: Vec<u16> = futures_util::stream::iter(0..n)
        .map(|i| call(if i % 2 == 0 { a } else { b }, key))
        .buffer_unordered(8)
        .collect()
        .await;
    let elapsed = started.elapsed();
    for s in &statuses {
        assert!(*s == 200 || *s == 429, "status {s}");
    }
    (
        statuses.iter().filter(|s| **s == 200).count() as u64,
        elapsed,
    )
}

/// 60 a minute through both replicas: the whole minute's budget at once,
/// and one more per second after (±5%).
async fn a_key_limit_holds_across_replicas(extra: &[(&str, &str)], store: &str) {
    let Some((a, b)) = pair(extra).await else {
        return;
    };
    assert_eq!(a.state.limits.store_name(), store);
    let admin = a.login_admin().await;
    let key = new_key(&a, &admin, 60).await;
    let (allowed, took) = hammer(&a, &b, &key, 150).await;
    let expected = 60 + took.as_secs();
    assert!(
        allowed.abs_diff(expected) <= 3,
        "{allowed} allowed in {took:?} through two replicas (expected {expected} ± 5%)"
    );
    // Either replica refuses now, and says for how long.
    let res = b.graphql_key(&key, "{ __typename }", json!({})).await;
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_key_limited_to_60_a_minute_gets_60_through_two_replicas_on_postgres() {
    a_key_limit_holds_across_replicas(&[], "postgres").await;
}

#[tokio::test]
async fn a_key_limited_to_60_a_minute_gets_60_through_two_replicas_on_redis() {
    let url = shared_redis();
    a_key_limit_holds_across_replicas(&[("REDIS_URL", &url)], "redis").await;
}

#[tokio::test]
async fn failed_logins_are_counted_across_replicas() {
    let Some((a, b)) = pair(&[("LOGIN_MAX_FAILURES", "4")]).await else {
        return;
    };
    for (i, app) in [&a, &b, &a, &b].into_iter().enumerate() {
        let body = app.login(ADMIN_USER, "wrong password").await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "attempt {i}: {body}");
    }
    // The fifth, on either replica, is refused even with the right password.
    for app in [&a, &b] {
        let body = app.login(ADMIN_USER, ADMIN_PASSWORD).await;
        assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    }
}

/// A Redis of the test's own, to stop and start again.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut r = Self { port, child: None };
        r.restart().await;
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    async fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs (apt-get install redis-server)");
        self.child = Some(child);
        let port = self.port;
        eventually("redis-server to listen", || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
                .map(drop)
        })
        .await;
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn app_on_redis(redis: &OwnRedis, fail_open: bool) -> TestApp {
    let url = redis.url();
    spawn_app_with(|v| {
        with_admin(v);
        v.push(("REDIS_URL".into(), url));
        v.push(("RATE_LIMIT_FAIL_OPEN".into(), fail_open.to_string()));
    })
    .await
}

#[tokio::test]
async fn a_redis_that_goes_away_refuses_keys_and_logins_then_recovers_by_itself() {
    let mut redis = OwnRedis::start().await;
    let app = app_on_redis(&redis, false).await;
    let admin = app.login_admin().await;
    let key = new_key(&app, &admin, 100).await;
    assert_eq!(call(&app, &key).await, 200);

    redis.stop();
    let res = app.graphql_key(&key, "{ __typename }", json!({})).await;
    assert_eq!(res.status().as_u16(), 503);
    let body: serde_json::Value = res.json().await.expect("JSON");
    assert_eq!(code(&body), "SERVICE_UNAVAILABLE", "{body}");
    let body = app.login(ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(code(&body), "SERVICE_UNAVAILABLE", "{body}");
    assert!(app.state.limits.outages() >= 2);

    redis.restart().await;
    eventually("keys to work again", || async {
        (call(&app, &key).await == 200).then_some(())
    })
    .await;
    assert!(app.login(ADMIN_USER, ADMIN_PASSWORD).await["data"]["login"]["token"].is_string());
}

#[tokio::test]
async fn failing_open_a_key_keeps_a_per_replica_budget_while_logins_stay_refused() {
    let mut redis = OwnRedis::start().await;
    let app = app_on_redis(&redis, true).await;
    let admin = app.login_admin().await;
    let key = new_key(&app, &admin, 3).await;
    redis.stop();
    let statuses: Vec<u16> = futures_util::stream::iter(0..5)
        .then(|_| call(&app, &key))
        .collect()
        .await;
    assert_eq!(
        statuses,
        [200, 200, 200, 429, 429],
        "this replica's own budget"
    );
    let body = app.login(ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(code(&body), "SERVICE_UNAVAILABLE", "{body}");
}
