//! Every answer `/graphql` gives, success or failure, is a GraphQL response
//! (`{"data"…}` or `{"errors":[{"message","extensions":{"code"}}]}`), so stock
//! clients (Apollo, urql, graphql-request, gql) can read why a request
//! failed. The status follows the spec for the negotiated media type; the
//! headers say who may cache it and what it varies by.

use async_graphql::{ServerError, Value};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

use super::media::Media;
use crate::error::{AppError, gql_codes};
pub use crate::graphql::errors::request_error as server_error;

/// A request refused before any GraphQL ran: malformed, too large, the
/// wrong method or media type, or its credentials. Its status is the same
/// whatever the client accepts.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub error: AppError,
}

impl Refusal {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            error: AppError::InvalidRequest(message.into()),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Self {
            status: error.status(),
            error,
        }
    }
}

/// Whether the caller presented credentials we accepted: their answers
/// are theirs alone, never for a shared cache.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Anyone,
    Caller,
}

/// The JSON of one GraphQL response. `data` is left out, not `null`, when
/// the request failed before execution, as the spec asks.
#[derive(Serialize)]
struct Shape<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, Value>,
}

/// Failed before execution (parse, validation, variables, access policy,
/// persisted query): no data, and every error outside any field.
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

pub fn to_json(response: &async_graphql::Response) -> Result<Vec<u8>, AppError> {
    let shape = Shape {
        data: (!is_request_error(response)).then_some(&response.data),
        errors: &response.errors,
        extensions: &response.extensions,
    };
    serde_json::to_vec(&shape).map_err(AppError::internal)
}

fn code_of(e: &ServerError) -> Option<&str> {
    match e.extensions.as_ref()?.get("code")? {
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

/// The status a request error gets under `application/graphql-response+json`.
fn status_for(code: Option<&str>) -> StatusCode {
    match code {
        Some("UNAUTHENTICATED") => StatusCode::UNAUTHORIZED,
        Some("FORBIDDEN") => StatusCode::FORBIDDEN,
        Some("RATE_LIMITED") => StatusCode::TOO_MANY_REQUESTS,
        Some(gql_codes::PERSISTED_QUERY_NOT_FOUND) => StatusCode::NOT_FOUND,
        Some("SERVICE_UNAVAILABLE") => StatusCode::SERVICE_UNAVAILABLE,
        Some("UPSTREAM_ERROR") => StatusCode::BAD_GATEWAY,
        Some("INTERNAL_SERVER_ERROR") => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The answer to one executed operation.
pub fn executed(media: Media, audience: Audience, response: async_graphql::Response) -> Response {
    let body = match to_json(&response) {
        Ok(b) => b,
        Err(e) => return refused(media, Refusal::from(e)),
    };
    let first = response.errors.first();
    let status = match media {
        Media::GraphqlResponse if is_request_error(&response) => {
            status_for(first.and_then(code_of))
        }
        _ => StatusCode::OK,
    };
    let mut answer = build(status, media, audience, body.into());
    let headers = answer.headers_mut();
    if let Some(secs) = first
        .and_then(retry_after)
        .filter(|_| status.as_u16() == 429)
    {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    // Anything the resolvers asked for (none set cookies or caching today).
    for (name, value) in response.http_headers.iter() {
        headers.append(name.clone(), value.clone());
    }
    answer
}

fn retry_after(e: &ServerError) -> Option<u64> {
    match e.extensions.as_ref()?.get("retryAfter")? {
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// A successful answer serialised earlier (the response cache).
pub fn cached(media: Media, audience: Audience, body: Bytes) -> Response {
    build(StatusCode::OK, media, audience, body)
}

/// A batch: one JSON array of the operations' answers, always 200 (each
/// answer carries its own errors).
pub fn batch(media: Media, audience: Audience, parts: Vec<Bytes>) -> Response {
    let mut body = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + 2);
    body.push(b'[');
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(part);
    }
    body.push(b']');
    build(StatusCode::OK, media, audience, body.into())
}

/// A request refused before GraphQL ran, in the GraphQL error shape.
pub fn refused(media: Media, refusal: Refusal) -> Response {
    let Refusal { status, error } = refusal;
    let retry = match error {
        AppError::RateLimited { retry_after_secs } => Some(retry_after_secs),
        _ => None,
    };
    let response = async_graphql::Response::from_errors(vec![server_error(error)]);
    let body = to_json(&response).unwrap_or_else(|_| {
        br#"{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}"#.to_vec()
    });
    let mut answer = build(status, media, Audience::Caller, body.into());
    let headers = answer.headers_mut();
    if let Some(secs) = retry {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    answer
}

/// What the answer depends on besides the URL and body: the media type
/// asked for and the credentials.
const VARY: &str = "accept, authorization, x-api-key";

fn build(status: StatusCode, media: Media, audience: Audience, body: Bytes) -> Response {
    let mut answer = Response::new(Body::from(body));
    *answer.status_mut() = status;
    let headers = answer.headers_mut();
    headers.insert(header::CONTENT_TYPE, media.content_type());
    set_common(headers, status, audience);
    answer
}

/// Vary, Cache-Control and WWW-Authenticate, for GraphiQL's page too.
pub fn set_common(headers: &mut HeaderMap, status: StatusCode, audience: Audience) {
    headers.append(header::VARY, HeaderValue::from_static(VARY));
    if audience == Audience::Caller || !status.is_success() {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn json(r: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("json")
    }

    #[tokio::test]
    async fn refusals_are_graphql_errors_without_internal_text() {
        let r = refused(
            Media::Json,
            Refusal::from(AppError::internal(anyhow::anyhow!("db at 10.0.0.3 down"))),
        );
        assert_eq!(r.status(), 500);
        let body = json(r).await;
        assert_eq!(body["errors"][0]["message"], "internal error");
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "INTERNAL_SERVER_ERROR"
        );
        assert!(body.get("data").is_none(), "{body}");
        assert!(body["errors"][0].get("locations").is_none(), "{body}");
    }

    #[tokio::test]
    async fn request_errors_are_4xx_only_for_the_new_media_type() {
        let failed = || {
            async_graphql::Response::from_errors(vec![server_error(AppError::InvalidRequest(
                "x".into(),
            ))])
        };
        let r = executed(Media::GraphqlResponse, Audience::Anyone, failed());
        assert_eq!(r.status(), 400);
        let r = executed(Media::Json, Audience::Anyone, failed());
        assert_eq!(r.status(), 200);
        assert!(r.headers().get(header::CACHE_CONTROL).is_none());
        assert_eq!(
            json(r).await["errors"][0]["extensions"]["code"],
            "BAD_REQUEST"
        );
    }
}
