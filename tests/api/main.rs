//! Integration tests: one binary, real app, real databases, real sockets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod cli;
mod foundation;
mod migrations;
mod schema;
mod subscriptions;
