//! What staff see of an upstream connection on the dashboard: when a call
//! last went through, and the last failure with its time. Each client keeps
//! one and updates it as every HTTP exchange ends, retries included, so a
//! connection that keeps failing shows it before any run or ticket does.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// The longest error text kept; Monday's and Calendly's messages are short,
/// a transport error's chain can be long.
const MAX_ERROR_CHARS: usize = 300;

#[derive(Default)]
pub struct Health {
    inner: Mutex<Reading>,
}

/// One look at a connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reading {
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failed exchanges since the process started.
    pub failures: u64,
}

impl Health {
    pub fn succeeded(&self) {
        if let Ok(mut r) = self.inner.lock() {
            r.last_success_at = Some(Utc::now());
        }
    }

    pub fn failed(&self, error: &impl std::fmt::Display) {
        let text: String = error.to_string().chars().take(MAX_ERROR_CHARS).collect();
        if let Ok(mut r) = self.inner.lock() {
            r.last_error = Some(text);
            r.last_error_at = Some(Utc::now());
            r.failures += 1;
        }
    }

    pub fn reading(&self) -> Reading {
        self.inner.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Reading {
    /// Whether the last exchange failed.
    pub fn failing(&self) -> bool {
        match (self.last_error_at, self.last_success_at) {
            (Some(e), Some(ok)) => e > ok,
            (Some(_), None) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_success_after_a_failure_clears_failing_but_keeps_the_error() {
        let h = Health::default();
        assert!(!h.reading().failing(), "nothing happened yet");
        h.failed(&"monday unavailable: HTTP 503");
        let r = h.reading();
        assert!(r.failing());
        assert_eq!(r.failures, 1);
        std::thread::sleep(std::time::Duration::from_millis(2));
        h.succeeded();
        let r = h.reading();
        assert!(!r.failing());
        assert_eq!(
            r.last_error.as_deref(),
            Some("monday unavailable: HTTP 503")
        );
    }

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        let h = Health::default();
        h.failed(&"é".repeat(1000));
        assert_eq!(
            h.reading().last_error.unwrap().chars().count(),
            MAX_ERROR_CHARS
        );
    }
}
