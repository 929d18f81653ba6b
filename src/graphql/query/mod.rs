//! The query root: one part per domain, merged.

mod system;

pub use system::SystemQuery;

#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(SystemQuery);
