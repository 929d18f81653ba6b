//! Calendly's error body, `{title, message, details}`, with the statuses and
//! titles the real API uses, so clients exercise their real error handling.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One failed request, rendered as Calendly renders it.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
    /// `(parameter, message)` pairs; parameter may be empty.
    pub details: Vec<(String, String)>,
}

impl ApiError {
    fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            title,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// 400: one bad query parameter or body field, named in `details`.
    pub fn invalid(parameter: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "Invalid Argument",
            "The supplied parameters are invalid.",
        );
        e.details.push((parameter.to_owned(), message.into()));
        e
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Unauthenticated",
            "The access token is invalid",
        )
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Permission Denied", message)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Resource Not Found",
            "The server could not find the requested resource.",
        )
    }

    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Already Exists", message)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "The server encountered an unexpected condition that prevented it from fulfilling the request.",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            "The server is currently unable to handle the request.",
        )
    }

    /// Too Many Requests: Calendly documents the headers but not the body;
    /// the error shape is the safest guess, as every other error uses it.
    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            "You have exceeded the rate limit. Please try again later.",
        )
    }

    pub fn body(&self) -> Value {
        let details: Vec<Value> = self
            .details
            .iter()
            .map(|(p, m)| json!({ "parameter": p, "message": m }))
            .collect();
        let mut body = json!({ "title": self.title, "message": self.message });
        if !details.is_empty() {
            body["details"] = Value::Array(details);
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// A 429 with the `X-RateLimit-*` headers, as the limiter and the fault
/// injector both answer it.
pub fn rate_limited_response(limit: u32, reset_secs: u64) -> Response {
    let mut res = ApiError::rate_limited().into_response();
    super::rate_limit::set_headers(res.headers_mut(), limit, 0, reset_secs);
    res
}

pub type ApiResult<T = Response> = Result<T, ApiError>;
