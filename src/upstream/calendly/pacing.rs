//! Calendly's per-user request budget, read from the `X-RateLimit-*` headers
//! every answer carries, so the client can hold back before it is spent
//! instead of burning requests on 429s (the budget is shared by everything
//! that uses the same token).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// The last budget reading Calendly gave us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u32,
    /// Requests left in the window when the reading was taken.
    pub remaining: u32,
    /// Time until the window resets, as of the reading.
    pub reset_in: Duration,
}

/// The three headers, when the answer carried them all.
pub(super) fn read_headers(headers: &HeaderMap) -> Option<RateLimit> {
    let num = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    Some(RateLimit {
        limit: u32::try_from(num("x-ratelimit-limit")?).unwrap_or(u32::MAX),
        remaining: u32::try_from(num("x-ratelimit-remaining")?).unwrap_or(u32::MAX),
        reset_in: Duration::from_secs(num("x-ratelimit-reset")?),
    })
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Calendly).
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// The latest reading and when it was taken, counted down locally as
/// requests go out, so concurrent callers do not all spend the last one.
#[derive(Default)]
pub(super) struct Pacer {
    slot: Mutex<Option<(RateLimit, Instant)>>,
}

impl Pacer {
    pub(super) fn record(&self, reading: RateLimit, at: Instant) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((reading, at));
        }
    }

    pub(super) fn last(&self) -> Option<RateLimit> {
        self.slot.lock().ok().and_then(|s| s.map(|(r, _)| r))
    }

    /// Claims one request of the budget. `Some(wait)`: none is left until
    /// the window resets in `wait`; `None`: go ahead.
    pub(super) fn admit(&self, now: Instant) -> Option<Duration> {
        let mut slot = self.slot.lock().ok()?;
        let (reading, at) = slot.as_mut()?;
        let reset_at = *at + reading.reset_in;
        if now >= reset_at {
            // A new window: what is left in it, the next answer will say.
            *slot = None;
            return None;
        }
        if reading.remaining == 0 {
            return Some(reset_at - now);
        }
        reading.remaining -= 1;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn reads_the_rate_limit_headers() {
        let h = headers(&[
            ("x-ratelimit-limit", "500"),
            ("x-ratelimit-remaining", "17"),
            ("x-ratelimit-reset", "42"),
        ]);
        assert_eq!(
            read_headers(&h),
            Some(RateLimit {
                limit: 500,
                remaining: 17,
                reset_in: Duration::from_secs(42)
            })
        );
        assert_eq!(
            read_headers(&headers(&[("x-ratelimit-limit", "500")])),
            None
        );
        let junk = headers(&[
            ("x-ratelimit-limit", "lots"),
            ("x-ratelimit-remaining", "1"),
            ("x-ratelimit-reset", "1"),
        ]);
        assert_eq!(read_headers(&junk), None);
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers(&[(
                "retry-after",
                "Wed, 21 Oct 2015 07:28:00 GMT"
            )])),
            None
        );
    }

    #[test]
    fn holds_back_once_the_budget_is_spent_until_the_reset() {
        let p = Pacer::default();
        let t0 = Instant::now();
        assert_eq!(p.admit(t0), None, "no reading yet: go");
        p.record(
            RateLimit {
                limit: 5,
                remaining: 2,
                reset_in: Duration::from_secs(10),
            },
            t0,
        );
        assert_eq!(p.admit(t0), None);
        assert_eq!(p.admit(t0), None);
        let wait = p.admit(t0 + Duration::from_secs(4));
        assert_eq!(wait, Some(Duration::from_secs(6)), "both spent locally");
        assert_eq!(p.admit(t0 + Duration::from_secs(10)), None, "new window");
        assert_eq!(p.last(), None);
    }
}
