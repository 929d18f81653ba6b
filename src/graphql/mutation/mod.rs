//! The mutation root: one part per domain, merged.

pub mod api_keys;
pub mod auth;
pub mod clients;
pub mod pipeline;
pub mod tickets;
pub mod users;

pub use api_keys::ApiKeyMutation;
pub use auth::AuthMutation;
pub use clients::ClientMutation;
pub use pipeline::PipelineMutation;
pub use tickets::TicketMutation;
pub use users::UserMutation;

#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    AuthMutation,
    UserMutation,
    ClientMutation,
    ApiKeyMutation,
    TicketMutation,
    PipelineMutation,
);
