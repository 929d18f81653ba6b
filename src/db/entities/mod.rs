//! Table shapes for sea-orm. Kept free of logic; queries live in `db::repo`.

pub mod api_key;
pub mod audit_log;
pub mod client;
pub mod magic_link;
pub mod outbox;
pub mod revoked_token;
pub mod setting;
pub mod ticket;
pub mod ticket_comment;
pub mod user;
pub mod webhook_receipt;
