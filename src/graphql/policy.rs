//! Operation-level access rules, applied before any resolver runs:
//! - an API key pays its rate limit for every operation on a WebSocket, as it
//!   does for every HTTP request, and must still be active;
//! - READ_ONLY API keys may not run mutations at all;
//! - introspection (`__schema`, `__type`) is for admins, or for anyone in
//!   sandbox mode; anonymous production callers get UNAUTHENTICATED.
//!
//! Kept as a schema extension so the rules hold for every field, including
//! ones added later without a guard. It also counts live subscriptions.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextSubscribe,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{Response, ServerError, ServerResult, Variables};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::auth::{ApiKeyPermission, Identity};
use crate::error::AppError;
use crate::graphql::guard::OverWebSocket;
use crate::state::AppState;

pub struct AccessPolicy;

impl ExtensionFactory for AccessPolicy {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AccessPolicy)
    }
}

/// Where the name of a request's one named operation is left once its
/// document is parsed, for `/metrics` (clients often send no
/// `operationName`).
#[derive(Clone, Default)]
pub struct OperationSeen(Arc<std::sync::OnceLock<String>>);

impl OperationSeen {
    pub fn name(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}

/// Counts a live operation stream (a subscription, over WebSocket) for
/// `/metrics` while it lives.
struct LiveStream;

impl Drop for LiveStream {
    fn drop(&mut self) {
        metrics::gauge!("graphql_subscriptions_open").decrement(1.0);
    }
}

#[async_trait::async_trait]
impl Extension for AccessPolicy {
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        metrics::gauge!("graphql_subscriptions_open").increment(1.0);
        let live = LiveStream;
        next.run(ctx, stream)
            .map(move |r| {
                let _counted = &live;
                r
            })
            .boxed()
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        if let (Some(seen), DocumentOperations::Multiple(ops)) =
            (ctx.data_opt::<OperationSeen>(), &doc.operations)
            && ops.len() == 1
            && let Some(name) = ops.keys().next()
        {
            let _ = seen.0.set(name.to_string());
        }
        let identity = ctx.data_opt::<Identity>().unwrap_or(&Identity::Anonymous);
        let state = ctx.data_opt::<AppState>();
        let sandbox = state.is_some_and(|s| s.config.sandbox_mode());

        if let (
            Some(state),
            Some(OverWebSocket),
            Identity::ApiKey {
                key_id, per_minute, ..
            },
        ) = (state, ctx.data_opt::<OverWebSocket>(), identity)
        {
            state
                .api_keys
                .charge(*key_id, *per_minute)
                .await
                .map_err(deny)?;
            // The connection may have outlived the key.
            if !state.api_keys.still_active(*key_id).await {
                return Err(deny(AppError::Unauthenticated(
                    "the API key was revoked or has expired".to_owned(),
                )));
            }
        }

        if matches!(
            identity,
            Identity::ApiKey {
                permission: ApiKeyPermission::ReadOnly,
                ..
            }
        ) && has_mutation(&doc)
        {
            return Err(deny(crate::auth::guard::read_only_key()));
        }
        if !sandbox && !identity.is_admin() && uses_introspection(&doc) {
            return Err(deny(match identity {
                Identity::Anonymous => {
                    AppError::Unauthenticated("sign in as an admin to introspect".to_owned())
                }
                _ => AppError::Forbidden("introspection is for admins".to_owned()),
            }));
        }
        Ok(doc)
    }
}

fn deny(e: AppError) -> ServerError {
    crate::graphql::errors::request_error(e)
}

fn operations(doc: &ExecutableDocument) -> Vec<(&OperationType, &SelectionSet)> {
    match &doc.operations {
        DocumentOperations::Single(op) => vec![(&op.node.ty, &op.node.selection_set.node)],
        DocumentOperations::Multiple(ops) => ops
            .values()
            .map(|op| (&op.node.ty, &op.node.selection_set.node))
            .collect(),
    }
}

/// Conservative: any mutation in the document counts, whichever one runs.
fn has_mutation(doc: &ExecutableDocument) -> bool {
    operations(doc)
        .iter()
        .any(|(ty, _)| **ty == OperationType::Mutation)
}

fn uses_introspection(doc: &ExecutableDocument) -> bool {
    operations(doc).iter().any(|(_, set)| selects_meta(set))
        || doc
            .fragments
            .values()
            .any(|f| selects_meta(&f.node.selection_set.node))
}

fn selects_meta(set: &SelectionSet) -> bool {
    set.items.iter().any(|item| match &item.node {
        Selection::Field(f) => {
            let name = f.node.name.node.as_str();
            name == "__schema" || name == "__type" || selects_meta(&f.node.selection_set.node)
        }
        Selection::InlineFragment(f) => selects_meta(&f.node.selection_set.node),
        Selection::FragmentSpread(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(q: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(q).expect("parses")
    }

    #[test]
    fn finds_introspection_anywhere() {
        assert!(uses_introspection(&doc(
            "{ __schema { queryType { name } } }"
        )));
        assert!(uses_introspection(&doc(
            "query { ... on Query { __type(name: \"X\") { name } } }"
        )));
        assert!(uses_introspection(&doc(
            "{ ...F } fragment F on Query { __schema { types { name } } }"
        )));
        assert!(!uses_introspection(&doc(
            "{ health { status __typename } }"
        )));
    }

    #[test]
    fn finds_mutations() {
        assert!(has_mutation(&doc("mutation { logout }")));
        assert!(has_mutation(&doc(
            "query A { version } mutation B { logout }"
        )));
        assert!(!has_mutation(&doc("{ version }")));
    }
}
