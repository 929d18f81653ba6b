//! One error type at the edge of the program. Every module's own error converts
//! into `AppError`, which decides the HTTP status, the GraphQL `extensions.code`
//! and the message a caller may see. Internal detail is logged (inside the
//! request's span, so with its request id) and never sent to the caller.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Deliberately not `Display`: that keeps async-graphql's blanket
/// `From<impl Display>` from turning an `AppError` into a GraphQL error that
/// skips the mapping below (and could leak internal text).
#[derive(Debug)]
pub enum AppError {
    /// The caller sent something we cannot use; the message says what.
    BadRequest(String),
    /// The request itself is malformed (not the values in it): bad JSON, a
    /// missing `query`, a persisted query whose hash does not match.
    InvalidRequest(String),
    /// An automatic persisted query's hash we do not know (yet): the client
    /// sends the query text along with it next.
    PersistedQueryNotFound,
    /// No credentials, or credentials we do not accept.
    Unauthenticated(String),
    /// Valid credentials without the right to do this.
    Forbidden(String),
    NotFound(String),
    Conflict(String),
    RateLimited {
        retry_after_secs: u64,
    },
    /// A dependency (Monday, Calendly, SMTP) failed; the message is safe to show.
    Upstream(String),
    /// We cannot serve right now (database down, shutting down).
    Unavailable(String),
    /// Anything else. Logged in full, shown as a generic message.
    Internal(anyhow::Error),
}

impl AppError {
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Self::Internal(e.into())
    }

    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::BadRequest(msg.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            // As Apollo Server answers it; clients retry with the query.
            Self::PersistedQueryNotFound => StatusCode::NOT_FOUND,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code, shared by REST bodies and GraphQL
    /// `extensions.code`. Clients branch on these; never rename one.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "BAD_USER_INPUT",
            Self::InvalidRequest(_) => gql_codes::BAD_REQUEST,
            Self::PersistedQueryNotFound => gql_codes::PERSISTED_QUERY_NOT_FOUND,
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Conflict(_) => "CONFLICT",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Upstream(_) => "UPSTREAM_ERROR",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// What the caller is told. Logs the internal cause as a side effect, so
    /// every path that renders an error also records it.
    pub fn public_message(&self) -> String {
        match self {
            Self::BadRequest(m)
            | Self::InvalidRequest(m)
            | Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::Upstream(m)
            | Self::Unavailable(m) => m.clone(),
            Self::RateLimited { retry_after_secs } => {
                format!("too many requests; retry in {retry_after_secs} s")
            }
            // The text Apollo clients look for, besides the code.
            Self::PersistedQueryNotFound => "PersistedQueryNotFound".to_owned(),
            Self::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "internal error".to_owned()
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        // Flat, as the integrations written against the system we replace
        // read it: `error` is the stable code, `message` is for people.
        let mut body = json!({ "error": self.code(), "message": self.public_message() });
        let mut response = match self {
            Self::RateLimited { retry_after_secs } => {
                body["retry_after"] = json!(retry_after_secs);
                let mut r = (status, Json(body)).into_response();
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                r
            }
            _ => (status, Json(body)).into_response(),
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        let code = e.code();
        let mut err = async_graphql::Error::new(e.public_message());
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", code);
        if let AppError::RateLimited { retry_after_secs } = e {
            ext.set("retryAfter", retry_after_secs);
        }
        err.extensions = Some(ext);
        err
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Internal(e.into())
    }
}

impl From<sea_orm::TransactionError<sea_orm::DbErr>> for AppError {
    fn from(e: sea_orm::TransactionError<sea_orm::DbErr>) -> Self {
        Self::Internal(e.into())
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        Self::Internal(e)
    }
}

/// For writes that may break a unique constraint: the conflict the caller
/// should see instead of an internal error.
pub trait OnUnique<T> {
    fn on_unique(self, conflict: impl FnOnce() -> AppError) -> Result<T, AppError>;
}

impl<T> OnUnique<T> for Result<T, sea_orm::DbErr> {
    fn on_unique(self, conflict: impl FnOnce() -> AppError) -> Result<T, AppError> {
        self.map_err(|e| {
            if crate::db::is_unique_violation(&e) {
                conflict()
            } else {
                e.into()
            }
        })
    }
}

/// Codes for errors async-graphql raises itself, before any resolver runs.
pub mod gql_codes {
    pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// A malformed GraphQL-over-HTTP request: bad JSON, no `query`, a wrong
    /// media type, a body or batch over its limit, a mutation over GET.
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// Apollo's automatic persisted queries: the hash is unknown here.
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_not_shown() {
        let e = AppError::internal(anyhow::anyhow!("password=hunter2 at db.internal:5432"));
        let gql: async_graphql::Error = e.into();
        assert_eq!(gql.message, "internal error");
        let code = gql.extensions.and_then(|x| x.get("code").cloned());
        assert_eq!(
            code,
            Some(async_graphql::Value::from("INTERNAL_SERVER_ERROR"))
        );
    }

    #[test]
    fn rate_limited_sets_retry_after() {
        let r = AppError::RateLimited {
            retry_after_secs: 7,
        }
        .into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "7");
    }
}
