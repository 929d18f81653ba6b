//! The shape every snapshot table shares. A row is one version of one record:
//! visible in the published snapshot `P` when `valid_from <= P` and
//! (`valid_to` is null or `valid_to > P`). A pipeline run writes its versions
//! with its own number, so readers keep seeing the previous snapshot until
//! the run publishes, and a failed run's versions are simply discarded.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

/// `CREATE TABLE` with the version columns and `key` (the record's upstream
/// id) first; the caller adds the record's own columns.
pub fn table(table: impl IntoIden, key: impl IntoIden + Clone + 'static) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(ColumnDef::new(Version::ValidFrom).big_integer().not_null())
        .col(ColumnDef::new(Version::ValidTo).big_integer().null())
        .col(ColumnDef::new(key.clone()).string_len(255).not_null())
        .col(ColumnDef::new(Version::Hash).string_len(32).not_null())
        // One version of a record per run.
        .primary_key(Index::create().col(key).col(Version::ValidFrom))
        .to_owned()
}

/// The lookups every snapshot table needs: the current version of a key,
/// and the versions a publication or a discard touches. At most one version
/// of a record is open (`valid_to` null): two writers racing on one record
/// get an error instead of a duplicate.
pub async fn indexes(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + Clone + 'static,
    key: impl IntoIden + Clone + 'static,
) -> Result<(), DbErr> {
    let (t, k) = (table.clone().into_iden(), key.clone().into_iden());
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "CREATE UNIQUE INDEX ux_{name}_open ON \"{}\" (\"{}\") WHERE valid_to IS NULL",
            t, k
        ))
        .await?;
    manager
        .create_index(
            Index::create()
                .name(format!("idx_{name}_key"))
                .table(table.clone())
                .col(key)
                .col(Version::ValidTo)
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(format!("idx_{name}_valid_to"))
                .table(table.clone())
                .col(Version::ValidTo)
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(format!("idx_{name}_valid_from"))
                .table(table)
                .col(Version::ValidFrom)
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
pub enum Version {
    ValidFrom,
    ValidTo,
    Hash,
}
