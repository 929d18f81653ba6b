//! The generic cell rate algorithm, the one rule every store applies: a
//! budget of `limit` per `window`, spent one at a time and refilled
//! smoothly, kept as a single number per thing limited (the time at which
//! its budget would be fully refilled, the "theoretical arrival time").
//! Redis runs it in a Lua script and PostgreSQL in one statement; this is
//! the same arithmetic for the in-process store, and the reference the
//! others are tested against.

use std::time::Duration;

/// One decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed; this much budget is left.
    Allowed { remaining: u32 },
    /// Refused; the next request may pass after this long.
    Refused { retry_after: Duration },
}

/// Microseconds between two requests' worth of budget.
pub fn interval_us(limit: u32, window: Duration) -> i64 {
    (window.as_micros() as i64 / i64::from(limit.max(1))).max(1)
}

/// Takes one from the budget at `now_us`, given the stored `tat_us`
/// (`None`: never limited). Returns the verdict and the new stored value
/// (unchanged when refused).
pub fn take(tat_us: Option<i64>, now_us: i64, limit: u32, window: Duration) -> (Verdict, i64) {
    let t = interval_us(limit, window);
    let window_us = window.as_micros() as i64;
    let tat = tat_us.unwrap_or(now_us).max(now_us);
    let next = tat + t;
    if next - now_us > window_us {
        let wait = next - now_us - window_us;
        return (
            Verdict::Refused {
                retry_after: Duration::from_micros(wait as u64),
            },
            tat,
        );
    }
    let remaining = ((window_us - (next - now_us)) / t) as u32;
    (Verdict::Allowed { remaining }, next)
}

/// Gives one back (a login that turned out good): the stored value after.
pub fn give_back(tat_us: i64, now_us: i64, limit: u32, window: Duration) -> i64 {
    (tat_us - interval_us(limit, window)).max(now_us)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn a_full_budget_passes_at_once_then_refills_one_per_interval() {
        let (mut tat, now) = (None, 1_000_000_000);
        for left in (0..60).rev() {
            let (v, next) = take(tat, now, 60, MINUTE);
            assert_eq!(v, Verdict::Allowed { remaining: left });
            tat = Some(next);
        }
        let (v, _) = take(tat, now, 60, MINUTE);
        assert_eq!(
            v,
            Verdict::Refused {
                retry_after: Duration::from_secs(1)
            }
        );
        // One second later exactly one more passes.
        let later = now + 1_000_000;
        let (v, next) = take(tat, later, 60, MINUTE);
        assert_eq!(v, Verdict::Allowed { remaining: 0 });
        assert!(matches!(
            take(Some(next), later, 60, MINUTE).0,
            Verdict::Refused { .. }
        ));
    }

    #[test]
    fn over_a_minute_of_hammering_the_budget_plus_its_refill_passes() {
        let (mut tat, mut allowed) = (None, 0);
        for ms in 0..60_000i64 {
            let (v, next) = take(tat, ms * 1000, 60, MINUTE);
            if let Verdict::Allowed { .. } = v {
                allowed += 1;
                tat = Some(next);
            }
        }
        assert_eq!(allowed, 60 + 59);
    }

    #[test]
    fn a_budget_given_back_can_be_spent_again() {
        let now = 5_000_000;
        let (_, tat) = take(None, now, 1, MINUTE);
        assert!(matches!(
            take(Some(tat), now, 1, MINUTE).0,
            Verdict::Refused { .. }
        ));
        let tat = give_back(tat, now, 1, MINUTE);
        assert!(matches!(
            take(Some(tat), now, 1, MINUTE).0,
            Verdict::Allowed { .. }
        ));
    }
}
