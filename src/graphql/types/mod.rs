//! GraphQL output and input types, one module per domain.

pub mod system;
