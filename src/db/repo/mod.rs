//! Hand-written queries, one module per aggregate.

pub mod api_keys;
pub mod attachments;
pub mod audit;
pub mod calendly;
pub mod clients;
pub mod magic_links;
pub mod notifications;
pub mod outbox;
pub mod pipeline;
pub mod sessions;
pub mod settings;
pub mod snapshots;
pub mod tickets;
pub mod users;
pub mod webhook_receipts;

/// `s` as a literal inside a LIKE pattern whose escape character is `\`.
pub fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
