//! The subscription root: one part per domain, merged.

mod system;

pub use system::SystemSubscription;

#[derive(async_graphql::MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(SystemSubscription);
