//! Integration tests: one binary, real app, real databases, real sockets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_support;
mod helpers;
mod smtp;

mod architecture;
mod auth_api_keys;
mod auth_audit;
mod auth_cli;
mod auth_clients;
mod auth_magic_links;
mod auth_sessions;
mod auth_users;
mod calendly_client;
mod cli;
mod dashboard;
mod exports;
mod foundation;
mod graphql_http;
mod log_context;
mod metrics;
mod migrations;
mod monday_client;
mod pipeline;
mod properties;
mod replicas;
mod sandbox_calendly;
mod sandbox_monday;
mod sandbox_monday_activity;
mod sandbox_monday_staff;
mod sandbox_monday_updates;
mod sandbox_server;
mod schema;
mod shutdown;
mod subscriptions;
mod tickets;
