//! Failed-login throttling, per username and per client IP. Failures are
//! counted in a sliding window; once a key reaches its limit every attempt is
//! refused (even with the right password) until the oldest failure ages out,
//! so guessing is capped at `limit` tries per window. On SQLite (one
//! process) kept in memory: a restart forgets failures, which only ever
//! helps a legitimate user. With replicas the budgets are shared
//! (`limits`): there each attempt spends from a budget of `limit` per
//! window that refills smoothly, and a store that cannot be reached refuses
//! logins rather than multiply the guessing budget.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::AuthConfig;
use crate::error::AppError;
use crate::limits::{Limits, OnOutage, Verdict};

pub struct LoginThrottle {
    window: Duration,
    per_user: u32,
    per_ip: u32,
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
    /// Budgets every replica shares; `None` keeps them here.
    shared: Option<Arc<Limits>>,
}

/// A login attempt under way, for `succeeded`.
#[derive(Clone, Copy, Debug)]
pub enum Attempt {
    Local(Instant),
    Shared,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
enum Key {
    User(String),
    Ip(IpAddr),
}

/// Past this many tracked keys, stale ones are swept on the next write, so a
/// flood of distinct usernames cannot grow memory without bound.
const SWEEP_AT: usize = 10_000;

impl LoginThrottle {
    pub fn new(cfg: &AuthConfig) -> Self {
        Self {
            window: Duration::from_secs(cfg.login_throttle_minutes * 60),
            per_user: cfg.login_max_failures,
            per_ip: cfg.login_max_failures_per_ip,
            failures: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Throttles with budgets shared by every replica, unless `limits` keeps
    /// them in memory anyway (then the exact sliding window here is used).
    pub fn shared(mut self, limits: Arc<Limits>) -> Self {
        if limits.store_name() != "memory" {
            self.shared = Some(limits);
        }
        self
    }

    /// Starts a login attempt (see `begin_local`); the attempt is paid for
    /// until `succeeded` gives it back.
    pub async fn begin(&self, username: &str, ip: Option<IpAddr>) -> Result<Attempt, AppError> {
        let Some(limits) = &self.shared else {
            return self.begin_local(username, ip).map(Attempt::Local);
        };
        let unavailable =
            || AppError::Unavailable("sign-in is unavailable right now; retry shortly".to_owned());
        let mut taken = Vec::new();
        let mut wait = Duration::ZERO;
        for (key, limit) in self.keys(username, ip) {
            let name = shared_key(&key);
            match limits
                .take(&name, limit, self.window, OnOutage::Refuse)
                .await
                .map_err(|_| unavailable())?
            {
                Verdict::Allowed { .. } => taken.push((name, limit)),
                Verdict::Refused { retry_after } => wait = wait.max(retry_after),
            }
        }
        if wait.is_zero() {
            return Ok(Attempt::Shared);
        }
        // Refused: what the other key paid is returned.
        for (name, limit) in taken {
            limits.give_back(&name, limit, self.window).await;
        }
        Err(AppError::RateLimited {
            retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
        })
    }

    /// The attempt was a good password: clears the username's budget and
    /// gives the IP back what the attempt paid.
    pub async fn succeeded(&self, username: &str, ip: Option<IpAddr>, attempt: Attempt) {
        match (attempt, &self.shared) {
            (Attempt::Local(at), _) => self.succeeded_local(username, ip, at),
            (Attempt::Shared, Some(limits)) => {
                limits
                    .reset(&shared_key(&Key::User(username.to_owned())))
                    .await;
                if let Some(ip) = ip {
                    limits
                        .give_back(&shared_key(&Key::Ip(ip)), self.per_ip, self.window)
                        .await;
                }
            }
            (Attempt::Shared, None) => {}
        }
    }

    /// `Err(RateLimited)` while either the username or the IP is throttled.
    pub fn check(&self, username: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
        let now = Instant::now();
        let mut map = self.lock();
        let mut wait = Duration::ZERO;
        for (key, limit) in self.keys(username, ip) {
            if let Some(q) = map.get_mut(&key) {
                prune(q, now, self.window);
                if q.len() >= limit as usize
                    && let Some(oldest) = q.front()
                {
                    wait = wait.max(self.window.saturating_sub(now - *oldest));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            })
        }
    }

    /// Starts a login attempt: refused while throttled, otherwise counted as
    /// a failure at once (under the same lock as the check), so parallel
    /// guesses cannot all pass the check before any of them is recorded.
    /// `succeeded` takes the count back.
    pub fn begin_local(&self, username: &str, ip: Option<IpAddr>) -> Result<Instant, AppError> {
        let mut map = self.lock();
        let now = Instant::now();
        let mut wait = Duration::ZERO;
        let keys = self.keys(username, ip);
        for (key, limit) in &keys {
            if let Some(q) = map.get_mut(key) {
                prune(q, now, self.window);
                if q.len() >= *limit as usize
                    && let Some(oldest) = q.front()
                {
                    wait = wait.max(self.window.saturating_sub(now - *oldest));
                }
            }
        }
        if !wait.is_zero() {
            return Err(AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        for (key, _) in keys {
            map.entry(key).or_default().push_back(now);
        }
        Ok(now)
    }

    /// The attempt begun at `at` was a good password: clears the username's
    /// failures and returns the IP's reserved slot.
    pub fn succeeded_local(&self, username: &str, ip: Option<IpAddr>, at: Instant) {
        let mut map = self.lock();
        map.remove(&Key::User(username.to_owned()));
        if let Some(ip) = ip
            && let Some(q) = map.get_mut(&Key::Ip(ip))
            && let Some(pos) = q.iter().rposition(|t| *t == at)
        {
            q.remove(pos);
        }
    }

    pub fn record_failure(&self, username: &str, ip: Option<IpAddr>) {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() >= SWEEP_AT {
            map.retain(|_, q| {
                prune(q, now, self.window);
                !q.is_empty()
            });
        }
        for (key, _) in self.keys(username, ip) {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// A successful login clears the username's failures (not the IP's: one
    /// good password must not reset an attacker's budget for other accounts).
    pub fn record_success(&self, username: &str) {
        self.lock().remove(&Key::User(username.to_owned()));
    }

    fn keys(&self, username: &str, ip: Option<IpAddr>) -> Vec<(Key, u32)> {
        let mut keys = vec![(Key::User(username.to_owned()), self.per_user)];
        if let Some(ip) = ip {
            keys.push((Key::Ip(ip), self.per_ip));
        }
        keys
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<Instant>>> {
        // A panic while holding the lock leaves plain data behind; keep going.
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Usernames are hashed: the key stays short whatever a caller sends.
fn shared_key(key: &Key) -> String {
    match key {
        Key::User(name) => format!("login:user:{}", crate::auth::api_keys::sha256_hex(name)),
        Key::Ip(ip) => format!("login:ip:{ip}"),
    }
}

fn prune(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
        q.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_user: u32, per_ip: u32) -> LoginThrottle {
        LoginThrottle::new(&AuthConfig {
            login_max_failures: per_user,
            login_max_failures_per_ip: per_ip,
            login_throttle_minutes: 15,
            ..AuthConfig::default()
        })
    }

    #[test]
    fn username_is_throttled_after_the_limit() {
        let t = throttle(3, 100);
        let ip: Option<IpAddr> = "10.0.0.1".parse().ok();
        for _ in 0..3 {
            assert!(t.check("ada", ip).is_ok());
            t.record_failure("ada", ip);
        }
        match t.check("ada", ip) {
            Err(AppError::RateLimited { retry_after_secs }) => {
                assert!(retry_after_secs > 0 && retry_after_secs <= 15 * 60)
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
        assert!(t.check("grace", ip).is_ok(), "other users unaffected");
    }

    #[test]
    fn ip_is_throttled_across_usernames() {
        let t = throttle(100, 2);
        let ip: Option<IpAddr> = "10.0.0.2".parse().ok();
        t.record_failure("a", ip);
        t.record_failure("b", ip);
        assert!(t.check("c", ip).is_err());
        assert!(t.check("c", "10.0.0.3".parse().ok()).is_ok());
    }

    #[test]
    fn parallel_attempts_cannot_outrun_the_limit() {
        let t = throttle(3, 100);
        let ip: Option<IpAddr> = "10.0.0.4".parse().ok();
        // Begun together, before any verdict: only the first three pass.
        let begun: Vec<_> = (0..10).map(|_| t.begin_local("ada", ip)).collect();
        assert_eq!(begun.iter().filter(|r| r.is_ok()).count(), 3);
        if let Some(Ok(at)) = begun.into_iter().next() {
            t.succeeded_local("ada", ip, at);
        }
        assert!(
            t.begin_local("ada", ip).is_ok(),
            "a success clears the username"
        );
    }

    #[test]
    fn success_clears_the_username() {
        let t = throttle(2, 100);
        t.record_failure("ada", None);
        t.record_success("ada");
        t.record_failure("ada", None);
        assert!(t.check("ada", None).is_ok());
    }
}
