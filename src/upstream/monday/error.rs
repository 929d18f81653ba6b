//! What can go wrong talking to Monday, typed so callers can decide: retry,
//! restart a page walk, or report a broken configuration.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum MondayError {
    /// An application error: HTTP 200 with `errors[]`.
    #[error("monday rejected the request: {code}: {message}")]
    Api { code: String, message: String },
    #[error("monday refused the API token (HTTP {0})")]
    Unauthorized(u16),
    /// Still rate limited after waiting as long as we are allowed to.
    #[error("monday rate limit: retry in {0:?}")]
    RateLimited(Duration),
    /// 5xx, timeouts and connection failures, after every retry.
    #[error("monday is unavailable: {0}")]
    Unavailable(String),
    #[error("unexpected response from monday: {0}")]
    Protocol(String),
}

impl MondayError {
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// A cursor older than its 60-minute lifetime (or otherwise unusable): the
    /// page walk must start over.
    pub fn is_cursor_expired(&self) -> bool {
        match self {
            Self::Api { code, message } => {
                let code = code.to_ascii_lowercase();
                code.contains("cursor")
                    || (message.to_ascii_lowercase().contains("cursor")
                        && message.to_ascii_lowercase().contains("expired"))
            }
            _ => false,
        }
    }
}

impl crate::upstream::Transient for MondayError {
    /// Worth trying again later (the outbox keeps the work).
    fn is_transient(&self) -> bool {
        matches!(self, Self::RateLimited(_) | Self::Unavailable(_))
    }
}

impl From<MondayError> for crate::error::AppError {
    /// Callers learn whether to retry; Monday's own words stay in our logs.
    fn from(e: MondayError) -> Self {
        use crate::upstream::Transient;
        if e.is_transient() {
            tracing::warn!(error = %e, "monday is unavailable");
            Self::Unavailable("Monday is unavailable right now; retry later".to_owned())
        } else {
            tracing::error!(error = %e, "monday refused a request");
            Self::Upstream("Monday refused the request".to_owned())
        }
    }
}
