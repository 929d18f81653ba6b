//! What can go wrong talking to Monday, typed so callers can decide: retry,
//! restart a page walk, or report a broken configuration. Every error has one
//! class (`ErrorClass`): only transient ones are retried or answered with 503.

use std::time::Duration;

/// What a failure means for whoever made the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// Monday is down, slow, or out of budget for us: try again later.
    Transient,
    /// Monday refused this request for good (invalid argument, unknown id,
    /// a value that fails validation): sending it again changes nothing.
    Permanent,
    /// Our token, API version, board or columns are wrong: nothing works
    /// until an operator fixes the configuration.
    Setup,
}

/// Codes Monday answers when it is unwell or rate limiting (HTTP 200 or 5xx).
const TRANSIENT_CODES: &[&str] = &[
    "ComplexityException",
    "COMPLEXITY_BUDGET_EXHAUSTED",
    "RateLimitExceeded",
    "RATE_LIMIT_EXCEEDED",
    "maxConcurrencyExceeded",
    "MAX_CONCURRENCY_EXCEEDED",
    "DAILY_LIMIT_EXCEEDED",
    "IP_RATE_LIMIT_EXCEEDED",
    "INTERNAL_SERVER_ERROR",
    "InternalServerError",
    "ServiceUnavailable",
    "TimeoutException",
];

/// Codes that mean our configuration is wrong rather than the request.
const SETUP_CODES: &[&str] = &[
    "Unauthorized",
    "UserUnauthorizedException",
    "USER_UNAUTHORIZED",
    "InvalidVersionException",
    "BoardNotFoundException",
    "InvalidBoardIdException",
    "InvalidColumnIdException",
    "MissingPermissionsException",
    "IP_RESTRICTED",
];

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
    /// Monday answered about this request (it refused what we sent): the
    /// connection itself is fine.
    pub fn answered(&self) -> bool {
        matches!(self, Self::Api { .. })
    }

    pub fn class(&self) -> ErrorClass {
        match self {
            Self::RateLimited(_) | Self::Unavailable(_) => ErrorClass::Transient,
            Self::Unauthorized(_) | Self::Protocol(_) => ErrorClass::Setup,
            Self::Api { code, .. } => classify_code(code),
        }
    }

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
        self.class() == ErrorClass::Transient
    }
}

/// The class of an application error code Monday sent.
pub fn classify_code(code: &str) -> ErrorClass {
    if TRANSIENT_CODES.contains(&code) {
        ErrorClass::Transient
    } else if SETUP_CODES.contains(&code) {
        ErrorClass::Setup
    } else {
        // InvalidArgumentException, ItemNotFoundException, ColumnValueException,
        // GraphQL validation errors, …: this request will never succeed.
        ErrorClass::Permanent
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

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str) -> MondayError {
        MondayError::Api {
            code: code.into(),
            message: "m".into(),
        }
    }

    #[test]
    fn refusals_are_permanent_outages_transient_and_credentials_setup() {
        for code in [
            "InvalidArgumentException",
            "ItemNotFoundException",
            "ColumnValueException",
            "GRAPHQL_VALIDATION_FAILED",
        ] {
            assert_eq!(api(code).class(), ErrorClass::Permanent, "{code}");
        }
        assert_eq!(api("ComplexityException").class(), ErrorClass::Transient);
        assert_eq!(api("INTERNAL_SERVER_ERROR").class(), ErrorClass::Transient);
        assert_eq!(
            MondayError::Unavailable("HTTP 502".into()).class(),
            ErrorClass::Transient
        );
        assert_eq!(
            MondayError::RateLimited(Duration::from_secs(1)).class(),
            ErrorClass::Transient
        );
        assert_eq!(MondayError::Unauthorized(401).class(), ErrorClass::Setup);
        assert_eq!(api("InvalidColumnIdException").class(), ErrorClass::Setup);
    }
}
