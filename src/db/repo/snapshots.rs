//! Queries shared by every snapshot table. A row is one version of one
//! record, written under the number of the run that saw it: visible in the
//! published snapshot `P` when `valid_from <= P` and (`valid_to` is null or
//! `valid_to > P`). Closing a version (`valid_to = run`) leaves it visible
//! to readers of older snapshots, so a run changes nothing they see until
//! it publishes, and discarding a failed run restores everything.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};

use crate::db::entities::{
    calendly_event, calendly_event_type, calendly_invitee, calendly_membership, calendly_user,
    lead, lead_column, lead_group,
};

/// A snapshot table: its record key and its version columns.
pub trait Versioned: EntityTrait {
    fn key() -> Self::Column;
    fn valid_from() -> Self::Column;
    fn valid_to() -> Self::Column;
    fn hash() -> Self::Column;
}

macro_rules! versioned {
    ($($module:ident => $key:ident),+ $(,)?) => {
        $(impl Versioned for $module::Entity {
            fn key() -> Self::Column { $module::Column::$key }
            fn valid_from() -> Self::Column { $module::Column::ValidFrom }
            fn valid_to() -> Self::Column { $module::Column::ValidTo }
            fn hash() -> Self::Column { $module::Column::Hash }
        })+
    };
}

versioned!(
    lead => ItemId,
    lead_column => ColumnId,
    lead_group => GroupId,
    calendly_user => Uri,
    calendly_membership => Uri,
    calendly_event_type => Uri,
    calendly_event => Uri,
    calendly_invitee => Uri,
);

/// The versions readers of snapshot `published` see.
pub fn visible<E: Versioned>(published: i64) -> Condition {
    Condition::all().add(E::valid_from().lte(published)).add(
        Condition::any()
            .add(E::valid_to().is_null())
            .add(E::valid_to().gt(published)),
    )
}

fn current<E: Versioned>() -> Condition {
    Condition::all().add(E::valid_to().is_null())
}

/// The newest version of each of `keys`: its hash and the run that wrote it.
pub async fn current_versions<E: Versioned>(
    db: &impl ConnectionTrait,
    keys: &[String],
) -> Result<HashMap<String, (String, i64)>, DbErr> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String, i64)> = E::find()
        .select_only()
        .column(E::key())
        .column(E::hash())
        .column(E::valid_from())
        .filter(current::<E>())
        .filter(E::key().is_in(keys.iter().cloned()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(k, h, v)| (k, (h, v))).collect())
}

/// The keys of every record's newest version.
pub async fn current_keys<E: Versioned>(
    db: &impl ConnectionTrait,
) -> Result<HashSet<String>, DbErr> {
    let rows: Vec<String> = E::find()
        .select_only()
        .column(E::key())
        .filter(current::<E>())
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Ends the newest version of `keys` at `run`.
pub async fn close<E: Versioned>(
    db: &impl ConnectionTrait,
    keys: &[String],
    run: i64,
) -> Result<u64, DbErr> {
    let mut closed = 0;
    for chunk in keys.chunks(500) {
        closed += E::update_many()
            .col_expr(E::valid_to(), Expr::value(run))
            .filter(current::<E>())
            .filter(E::key().is_in(chunk.iter().cloned()))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(closed)
}

/// Removes versions that `run` wrote itself (a record it saw twice).
pub async fn remove_own<E: Versioned>(
    db: &impl ConnectionTrait,
    keys: &[String],
    run: i64,
) -> Result<(), DbErr> {
    for chunk in keys.chunks(500) {
        E::delete_many()
            .filter(E::valid_from().eq(run))
            .filter(E::key().is_in(chunk.iter().cloned()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Forgets every run after `published`: their versions go, and what they
/// closed is open again. Only runs that never published are after it.
pub async fn discard_after<E: Versioned>(
    db: &impl ConnectionTrait,
    published: i64,
) -> Result<(), DbErr> {
    E::delete_many()
        .filter(E::valid_from().gt(published))
        .exec(db)
        .await?;
    E::update_many()
        .col_expr(E::valid_to(), Expr::value(Option::<i64>::None))
        .filter(E::valid_to().gt(published))
        .exec(db)
        .await?;
    Ok(())
}

/// Drops versions no reader of snapshot `oldest_read` (or later) can see.
pub async fn prune<E: Versioned>(
    db: &impl ConnectionTrait,
    oldest_read: i64,
) -> Result<u64, DbErr> {
    Ok(E::delete_many()
        .filter(E::valid_to().is_not_null())
        .filter(E::valid_to().lte(oldest_read))
        .exec(db)
        .await?
        .rows_affected)
}

/// Records in snapshot `published`.
pub async fn count<E: Versioned>(db: &impl ConnectionTrait, published: i64) -> Result<u64, DbErr>
where
    E::Model: Sync,
{
    E::find().filter(visible::<E>(published)).count(db).await
}

/// Writes a record straight into the published snapshot `published` (and
/// into the version a running run has written, if any): what a webhook
/// learns between runs shows at once.
pub async fn upsert_live<E>(
    db: &impl ConnectionTrait,
    key: &str,
    published: i64,
    mut row: E::ActiveModel,
) -> Result<(), DbErr>
where
    E: Versioned,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    use sea_orm::ActiveModelTrait;
    let mut fields = row.clone();
    fields.not_set(E::valid_from());
    fields.not_set(E::valid_to());
    let live = Condition::any()
        .add(E::valid_to().is_null())
        .add(E::valid_to().gt(published));
    let updated = E::update_many()
        .set(fields.clone())
        .filter(E::key().eq(key))
        .filter(live)
        .exec(db)
        .await?;
    if updated.rows_affected > 0 {
        return Ok(());
    }
    row.set(E::valid_from(), published.into());
    row.set(E::valid_to(), Option::<i64>::None.into());
    match E::insert(row).exec_without_returning(db).await {
        Ok(_) => Ok(()),
        // A version of the record closed at the published snapshot: reopen it.
        Err(e) if crate::db::is_unique_violation(&e) => {
            fields.set(E::valid_to(), Option::<i64>::None.into());
            E::update_many()
                .set(fields)
                .filter(E::key().eq(key))
                .filter(E::valid_from().eq(published))
                .exec(db)
                .await
                .map(drop)
        }
        Err(e) => Err(e),
    }
}
