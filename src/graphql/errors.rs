//! Makes every GraphQL error carry a stable `extensions.code`. Resolvers return
//! `AppError`, which sets its own; this catches the rest: async-graphql's parse,
//! validation and argument errors (safe to show) and any error that reached a
//! resolver's `?` without going through `AppError` (logged, then hidden).
//! Errors raised before execution (the access policy, the HTTP layer:
//! `BAD_REQUEST`, `PERSISTED_QUERY_NOT_FOUND`, …) are made by `request_error`.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest};
use async_graphql::{Response, ServerError, Value};

use crate::error::{AppError, gql_codes};

/// An error outside any field and any place in the document, raised before
/// execution, with the code and public message `AppError` gives it.
pub fn request_error(e: AppError) -> ServerError {
    let err: async_graphql::Error = e.into();
    let mut server = ServerError::new(err.message, None);
    server.extensions = err.extensions;
    server
}

pub struct ErrorPolicy;

impl ExtensionFactory for ErrorPolicy {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorPolicy)
    }
}

#[async_trait::async_trait]
impl Extension for ErrorPolicy {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        response.errors.iter_mut().for_each(apply);
        response
    }
}

fn has_code(e: &ServerError) -> bool {
    e.extensions
        .as_ref()
        .is_some_and(|x| x.get("code").is_some())
}

fn set_code(e: &mut ServerError, code: &'static str) {
    e.extensions
        .get_or_insert_with(Default::default)
        .set("code", Value::from(code));
}

pub fn apply(e: &mut ServerError) {
    if has_code(e) {
        return;
    }
    if e.path.is_empty() {
        // Raised before execution: the document did not parse, failed
        // validation, or exceeded the depth or complexity limits.
        set_code(e, gql_codes::VALIDATION_FAILED);
    } else if e.message.starts_with("Failed to parse")
        || e.message.starts_with("Invalid value")
        || e.message.starts_with("Expected input type")
    {
        set_code(e, "BAD_USER_INPUT");
    } else {
        tracing::error!(error = %e.message, path = ?e.path, "resolver error without a code");
        e.message = "internal error".to_owned();
        set_code(e, "INTERNAL_SERVER_ERROR");
    }
}
