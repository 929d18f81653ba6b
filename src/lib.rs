//! bridgeboard: one GraphQL server in front of Monday.com and Calendly.

pub mod auth;
pub mod changes;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod export;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod lifecycle;
pub mod limits;
pub mod mail;
pub mod notify;
pub mod outbox;
pub mod pipeline;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tickets;
pub mod tls;
pub mod upstream;

pub use config::Config;
pub use startup::Application;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
