//! The REST API that integrations written against the system we replace
//! call: auth and API keys, the Monday and Calendly data, and its OpenAPI
//! description. Handlers are thin shells over the same services GraphQL
//! uses.

pub mod auth;
pub mod calendly;
pub(crate) mod download;
pub mod keys;
pub mod leads;
pub mod openapi;

use axum::Router;

pub use download::{SNAPSHOT_AT, SNAPSHOT_RUN};

use super::HttpState;

/// The routes that need only the auth services: always on.
pub fn routes() -> Router<HttpState> {
    Router::new().merge(auth::routes()).merge(keys::routes())
}
