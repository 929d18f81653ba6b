//! What can go wrong talking to Calendly, typed so callers can decide: retry
//! later, treat a subscription as already there, or report a broken setup.

use std::time::Duration;

/// A failed Calendly call, after any retries it was worth.
#[derive(Debug, thiserror::Error)]
pub enum CalendlyError {
    /// A 4xx other than those below, with Calendly's `{title, message}`.
    #[error("calendly refused the request (HTTP {status}): {title}: {message}")]
    Api {
        status: u16,
        title: String,
        message: String,
    },
    /// 401: the token is missing, wrong, expired or revoked.
    #[error("calendly refused the access token")]
    Unauthorized,
    #[error("calendly has no such resource")]
    NotFound,
    /// 409: e.g. a webhook subscription for this URL exists already.
    #[error("calendly says it already exists: {0}")]
    Conflict(String),
    /// Still rate limited after waiting as long as we are allowed to.
    #[error("calendly rate limit: retry in {0:?}")]
    RateLimited(Duration),
    /// 5xx, timeouts and connection failures, after every retry.
    #[error("calendly is unavailable: {0}")]
    Unavailable(String),
    /// An answer we cannot read, or a URI that is not what it should be.
    #[error("unexpected response from calendly: {0}")]
    Protocol(String),
}

impl CalendlyError {
    /// Calendly answered about this request (refused, unknown or already
    /// there): the connection itself is fine.
    pub fn answered(&self) -> bool {
        matches!(self, Self::Api { .. } | Self::NotFound | Self::Conflict(_))
    }
}

impl crate::upstream::Transient for CalendlyError {
    /// Worth trying again later (the outbox keeps the work).
    fn is_transient(&self) -> bool {
        matches!(self, Self::RateLimited(_) | Self::Unavailable(_))
    }
}

impl From<CalendlyError> for crate::error::AppError {
    /// Callers learn whether to retry; Calendly's own words stay in our logs.
    fn from(e: CalendlyError) -> Self {
        use crate::upstream::Transient;
        if e.is_transient() {
            tracing::warn!(error = %e, "calendly is unavailable");
            Self::Unavailable("Calendly is unavailable right now; retry later".to_owned())
        } else {
            tracing::error!(error = %e, "calendly refused a request");
            Self::Upstream("Calendly refused the request".to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;
    use crate::upstream::Transient;

    #[test]
    fn only_rate_limits_and_outages_are_transient() {
        assert!(CalendlyError::RateLimited(Duration::from_secs(3)).is_transient());
        assert!(CalendlyError::Unavailable("HTTP 503".into()).is_transient());
        for e in [
            CalendlyError::Unauthorized,
            CalendlyError::NotFound,
            CalendlyError::Conflict("Hook with this url already exists".into()),
            CalendlyError::Protocol("bad".into()),
            CalendlyError::Api {
                status: 400,
                title: "Invalid Argument".into(),
                message: "count".into(),
            },
        ] {
            assert!(!e.is_transient(), "{e:?}");
        }
    }

    #[test]
    fn callers_never_see_calendlys_words() {
        let e = CalendlyError::Api {
            status: 403,
            title: "Permission Denied".into(),
            message: "secret internal detail".into(),
        };
        match AppError::from(e) {
            AppError::Upstream(m) => assert!(!m.contains("secret"), "{m}"),
            other => panic!("{other:?}"),
        }
        match AppError::from(CalendlyError::Unavailable("HTTP 502".into())) {
            AppError::Unavailable(m) => assert!(!m.contains("502"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
