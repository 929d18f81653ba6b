//! Hand-written queries, one module per aggregate.

pub mod settings;
