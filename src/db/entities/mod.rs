//! Table shapes for sea-orm. Kept free of logic; queries live in `db::repo`.

pub mod api_key;
pub mod audit_log;
pub mod calendly_event;
pub mod calendly_event_type;
pub mod calendly_invitee;
pub mod calendly_membership;
pub mod calendly_user;
pub mod client;
pub mod lead;
pub mod lead_column;
pub mod lead_group;
pub mod lead_value;
pub mod liveness_slot;
pub mod magic_link;
pub mod outbox;
pub mod pipeline_log;
pub mod pipeline_run;
pub mod revoked_token;
pub mod setting;
pub mod ticket;
pub mod ticket_attachment;
pub mod ticket_comment;
pub mod ticket_notification;
pub mod user;
pub mod webhook_receipt;
