//! The subscription root: one part per domain, merged.

pub mod fanout;
mod pipeline;
mod system;
mod tickets;

pub use pipeline::PipelineSubscription;
pub use system::SystemSubscription;
pub use tickets::TicketSubscription;

#[derive(async_graphql::MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(SystemSubscription, TicketSubscription, PipelineSubscription);
