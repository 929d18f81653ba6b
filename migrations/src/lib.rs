//! Schema changes, one file per change, each with `up` and `down`. They run
//! explicitly: at `bridgeboard serve` startup or through `bridgeboard migrate`.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_settings;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261122_000001_create_settings::Migration)]
    }
}
