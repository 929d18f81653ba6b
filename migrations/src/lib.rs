//! Schema changes, one file per change, each with `up` and `down`. They run
//! explicitly: at `bridgeboard serve` startup or through `bridgeboard migrate`.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_settings;
mod m20261122_000010_create_users;
mod m20261122_000011_create_clients;
mod m20261122_000012_create_revoked_tokens;
mod m20261122_000013_create_magic_links;
mod m20261122_000014_create_api_keys;
mod m20261122_000015_create_audit_log;
mod m20261122_000030_create_tickets;
mod m20261204_000040_generic_outbox;
mod m20261204_000041_webhook_receipts_by_source;
mod m20261204_000050_create_pipeline_runs;
mod m20261204_000051_create_leads;
mod m20261204_000052_create_calendly;
mod m20261204_000060_api_key_usage;
mod m20261206_000061_narrow_leads;
mod m20261206_000070_outbox_liveness;
mod m20261207_000071_lead_values_unbound;
mod m20261208_000072_comment_visibility;
mod m20261208_000073_client_notifications;
mod m20261209_000074_ticket_attachments;
mod m20261210_000075_rate_limits;
mod m20261212_000076_pipeline_handoff;
mod versioned;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_settings::Migration),
            Box::new(m20261122_000010_create_users::Migration),
            Box::new(m20261122_000011_create_clients::Migration),
            Box::new(m20261122_000012_create_revoked_tokens::Migration),
            Box::new(m20261122_000013_create_magic_links::Migration),
            Box::new(m20261122_000014_create_api_keys::Migration),
            Box::new(m20261122_000015_create_audit_log::Migration),
            Box::new(m20261122_000030_create_tickets::Migration),
            Box::new(m20261204_000040_generic_outbox::Migration),
            Box::new(m20261204_000041_webhook_receipts_by_source::Migration),
            Box::new(m20261204_000050_create_pipeline_runs::Migration),
            Box::new(m20261204_000051_create_leads::Migration),
            Box::new(m20261204_000052_create_calendly::Migration),
            Box::new(m20261204_000060_api_key_usage::Migration),
            Box::new(m20261206_000061_narrow_leads::Migration),
            Box::new(m20261206_000070_outbox_liveness::Migration),
            Box::new(m20261207_000071_lead_values_unbound::Migration),
            Box::new(m20261208_000072_comment_visibility::Migration),
            Box::new(m20261208_000073_client_notifications::Migration),
            Box::new(m20261209_000074_ticket_attachments::Migration),
            Box::new(m20261210_000075_rate_limits::Migration),
            Box::new(m20261212_000076_pipeline_handoff::Migration),
        ]
    }
}
