//! GraphQL output and input types, one module per domain.

pub mod api_keys;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod calendly;
pub mod clients;
pub mod leads;
pub mod pipeline;
pub mod system;
pub mod tickets;
