//! The query root: one part per domain, merged.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod clients;
pub mod leads;
pub mod pipeline;
mod system;
pub mod tickets;

pub use api_keys::ApiKeysQuery;
pub use audit::AuditQuery;
pub use auth::AuthQuery;
pub use clients::ClientsQuery;
pub use leads::LeadsQuery;
pub use pipeline::PipelineQuery;
pub use system::SystemQuery;
pub use tickets::TicketsQuery;

#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    SystemQuery,
    AuthQuery,
    ClientsQuery,
    ApiKeysQuery,
    AuditQuery,
    TicketsQuery,
    PipelineQuery,
    LeadsQuery,
);
