//! GraphQL requests that carry files, by the GraphQL multipart request spec
//! (`operations`, `map`, then the files), as Apollo and urql upload clients
//! send them. The files reach resolvers as `Upload` values.
//!
//! Multipart is a "simple" request that a cross-site form can send, which
//! is safe here only because credentials travel in headers (a bearer token
//! or `X-API-Key`) that such a form cannot set; no cookie authenticates.

use async_graphql::ParseRequestError;
use async_graphql::http::MultipartOptions;
use axum::body::Bytes;
use axum::http::StatusCode;

use super::request::{Limits, Operations};
use crate::http::graphql::answer::Refusal;

/// Whether the request is a multipart one.
pub fn is_multipart(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// How many bytes a multipart request may have: the operations' own limit,
/// plus the files.
pub fn body_limit(limits: Limits, max_file: usize, max_files: usize) -> usize {
    limits
        .max_body_bytes
        .saturating_add(max_file.saturating_mul(max_files))
        .saturating_add(64 * 1024)
}

pub async fn parse(
    content_type: &str,
    body: Bytes,
    limits: Limits,
    max_file: usize,
    max_files: usize,
) -> Result<Operations, Refusal> {
    let opts = MultipartOptions::default()
        .max_file_size(max_file)
        .max_num_files(max_files);
    let reader = futures_util::io::Cursor::new(body);
    let batch = async_graphql::http::receive_batch_body(Some(content_type), reader, opts)
        .await
        .map_err(|e| refusal(e, max_file, max_files))?;
    // A part may be as large as a file; the operations are held to the
    // limit of any GraphQL body, and must name a query as JSON ones must.
    let requests: Vec<&async_graphql::Request> = match &batch {
        async_graphql::BatchRequest::Single(r) => vec![r],
        async_graphql::BatchRequest::Batch(b) => b.iter().collect(),
    };
    for r in requests {
        if r.query.len() > limits.max_body_bytes {
            return Err(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the operations are over {} bytes", limits.max_body_bytes),
            ));
        }
        if r.query.trim().is_empty() && !r.extensions.contains_key("persistedQuery") {
            return Err(Refusal::bad_request("the operation has no query"));
        }
    }
    match batch {
        async_graphql::BatchRequest::Single(r) => Ok(Operations::Single(r)),
        async_graphql::BatchRequest::Batch(b) if b.is_empty() => {
            Err(Refusal::bad_request("the batch is empty"))
        }
        async_graphql::BatchRequest::Batch(b) if b.len() > limits.max_batch => {
            Err(Refusal::bad_request(format!(
                "a batch holds at most {} operations",
                limits.max_batch
            )))
        }
        async_graphql::BatchRequest::Batch(b) => Ok(Operations::Batch(b)),
    }
}

fn refusal(e: ParseRequestError, max_file: usize, max_files: usize) -> Refusal {
    match e {
        ParseRequestError::PayloadTooLarge => Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "a file is larger than the {max_file} bytes allowed (at most {max_files} files)"
            ),
        ),
        ParseRequestError::MissingOperatorsPart => {
            Refusal::bad_request("the multipart request has no `operations` part")
        }
        ParseRequestError::MissingMapPart => {
            Refusal::bad_request("the multipart request has no `map` part")
        }
        ParseRequestError::MissingFiles => {
            Refusal::bad_request("the `map` names files the request does not carry")
        }
        ParseRequestError::InvalidFilesMap(e) => {
            Refusal::bad_request(format!("the `map` part is not valid: {e}"))
        }
        ParseRequestError::InvalidRequest(e) => {
            Refusal::bad_request(format!("the `operations` part is not valid: {e}"))
        }
        other => Refusal::bad_request(format!("the multipart request is malformed: {other}")),
    }
}
