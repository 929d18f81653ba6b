//! The GraphQL API: root types merged from one part per domain, with the limits
//! and error policy that apply to every operation.

pub mod errors;
pub mod guard;
pub mod loaders;
pub mod mutation;
pub mod pagination;
pub mod persisted_queries;
pub mod policy;
pub mod query;
pub mod response_cache;
pub mod subscription;
pub mod types;

use async_graphql::{Schema, SchemaBuilder};

use crate::state::AppState;
pub use mutation::MutationRoot;
use query::QueryRoot;
use subscription::SubscriptionRoot;

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Deep enough for GraphiQL's introspection query, shallow enough to stop
/// abusive nesting.
pub const MAX_DEPTH: usize = 16;
/// Every field costs 1 unless it declares more (lists scale with `first`).
pub const MAX_COMPLEXITY: usize = 5_000;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .extension(errors::ErrorPolicy)
    .extension(policy::AccessPolicy)
    .extension(response_cache::CachePolicy)
}

pub fn build_schema(state: AppState) -> AppSchema {
    builder().data(state).finish()
}

/// The SDL that `schema/bridgeboard.graphql` must match.
pub fn sdl() -> String {
    builder().finish().sdl()
}
