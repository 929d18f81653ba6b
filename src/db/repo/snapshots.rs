//! Queries shared by every snapshot table. A row is one version of one
//! record, written under the number of the run that saw it: visible in the
//! published snapshot `P` when `valid_from <= P` and (`valid_to` is null or
//! `valid_to > P`). Closing a version (`valid_to = run`) leaves it visible
//! to readers of older snapshots, so a run changes nothing they see until
//! it publishes, and discarding a failed run restores everything.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use sea_orm::sea_query::{DeleteStatement, Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};

use crate::db::entities::{
    calendly_event, calendly_event_type, calendly_invitee, calendly_membership, calendly_user,
    lead, lead_column, lead_group, lead_value,
};

/// A snapshot table: its record key and its version columns.
pub trait Versioned: EntityTrait {
    fn key() -> Self::Column;
    fn valid_from() -> Self::Column;
    fn valid_to() -> Self::Column;
    fn hash() -> Self::Column;
    /// Tables webhooks write between runs: when they last did.
    fn touched_at() -> Option<Self::Column> {
        None
    }
    /// Deletes the rows of other tables that belong to the versions `scope`
    /// picks (a lead's Monday values). Not a foreign key: on PostgreSQL its
    /// check on every inserted value made a million-lead run crawl.
    fn dependents(_scope: Condition) -> Vec<DeleteStatement> {
        Vec::new()
    }
}

macro_rules! versioned {
    ($($module:ident => $key:ident $(, touched $t:ident)? $(, dependents $d:ident)?);+ $(;)?) => {
        $(impl Versioned for $module::Entity {
            fn key() -> Self::Column { $module::Column::$key }
            fn valid_from() -> Self::Column { $module::Column::ValidFrom }
            fn valid_to() -> Self::Column { $module::Column::ValidTo }
            fn hash() -> Self::Column { $module::Column::Hash }
            $(fn touched_at() -> Option<Self::Column> { Some($module::Column::$t) })?
            $(fn dependents(scope: Condition) -> Vec<DeleteStatement> { $d(scope) })?
        })+
    };
}

/// The Monday values of the lead versions `scope` picks.
fn lead_values_of(scope: Condition) -> Vec<DeleteStatement> {
    let versions = Query::select()
        .columns([lead::Column::ItemId, lead::Column::ValidFrom])
        .from(lead::Entity)
        .cond_where(scope)
        .to_owned();
    let key = Expr::tuple([
        Expr::col(lead_value::Column::ItemId),
        Expr::col(lead_value::Column::ValidFrom),
    ]);
    vec![
        Query::delete()
            .from_table(lead_value::Entity)
            .cond_where(key.in_subquery(versions))
            .to_owned(),
    ]
}

/// Deletes the versions `scope` picks, and what belongs to them.
async fn delete_versions<E: Versioned>(
    db: &impl ConnectionTrait,
    scope: Condition,
) -> Result<u64, DbErr> {
    for stmt in E::dependents(scope.clone()) {
        db.execute(&stmt).await?;
    }
    Ok(E::delete_many().filter(scope).exec(db).await?.rows_affected)
}

versioned!(
    lead => ItemId, dependents lead_values_of;
    lead_column => ColumnId;
    lead_group => GroupId;
    calendly_user => Uri;
    calendly_membership => Uri;
    calendly_event_type => Uri;
    calendly_event => Uri, touched TouchedAt;
    calendly_invitee => Uri, touched TouchedAt;
);

/// Versions no webhook wrote since `since`.
fn untouched_since<E: Versioned>(since: Option<DateTime<Utc>>) -> Condition {
    match (E::touched_at(), since) {
        (Some(col), Some(since)) => Condition::any().add(col.is_null()).add(col.lt(since)),
        _ => Condition::all(),
    }
}

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

/// The latest `touched_at` of the table, for tables webhooks write.
pub async fn last_touched<E: Versioned>(
    db: &impl ConnectionTrait,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let Some(col) = E::touched_at() else {
        return Ok(None);
    };
    let max: Option<Option<DateTime<Utc>>> = E::find()
        .select_only()
        .column_as(Expr::expr(Func::max(Expr::col(col))), "m")
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten())
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

/// Which of `keys` a webhook wrote since `since` (their newest version).
pub async fn touched_since<E: Versioned>(
    db: &impl ConnectionTrait,
    keys: &[String],
    since: DateTime<Utc>,
) -> Result<HashSet<String>, DbErr> {
    let Some(col) = E::touched_at() else {
        return Ok(HashSet::new());
    };
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<String> = E::find()
        .select_only()
        .column(E::key())
        .filter(current::<E>())
        .filter(col.gte(since))
        .filter(E::key().is_in(keys.iter().cloned()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The keys of every record's newest version, but those a webhook wrote
/// since `since`: a run that read before then has not seen them.
pub async fn current_keys<E: Versioned>(
    db: &impl ConnectionTrait,
    since: Option<DateTime<Utc>>,
) -> Result<HashSet<String>, DbErr> {
    let rows: Vec<String> = E::find()
        .select_only()
        .column(E::key())
        .filter(current::<E>())
        .filter(untouched_since::<E>(since))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Ends the newest version of `keys` at `run`, but those a webhook wrote
/// since `since`. A version `run` wrote itself goes instead: the record is
/// gone from this snapshot, and the version before it stays closed.
pub async fn close<E: Versioned>(
    db: &impl ConnectionTrait,
    keys: &[String],
    run: i64,
    since: Option<DateTime<Utc>>,
) -> Result<u64, DbErr> {
    let mut closed = 0;
    for chunk in keys.chunks(500) {
        let scope = || {
            Condition::all()
                .add(current::<E>())
                .add(untouched_since::<E>(since))
                .add(E::key().is_in(chunk.iter().cloned()))
        };
        closed += delete_versions::<E>(db, scope().add(E::valid_from().eq(run))).await?;
        closed += E::update_many()
            .col_expr(E::valid_to(), Expr::value(run))
            .filter(scope())
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
        let scope = Condition::all()
            .add(E::valid_from().eq(run))
            .add(E::key().is_in(chunk.iter().cloned()));
        delete_versions::<E>(db, scope).await?;
    }
    Ok(())
}

/// Forgets one run that will not publish: its versions go, and what it
/// closed is open again.
pub async fn discard_run<E: Versioned>(db: &impl ConnectionTrait, run: i64) -> Result<(), DbErr> {
    forget::<E>(db, |c| c.eq(run)).await
}

/// Forgets every run after `published`: their versions go, and what they
/// closed is open again. Only runs that never published are after it, and
/// only a run that holds the RUNNING row may call this, before it writes.
pub async fn discard_after<E: Versioned>(
    db: &impl ConnectionTrait,
    published: i64,
) -> Result<(), DbErr> {
    forget::<E>(db, |c| c.gt(published)).await
}

/// Deletes the versions whose run `picks` selects and reopens what those
/// runs closed.
async fn forget<E: Versioned>(
    db: &impl ConnectionTrait,
    picks: impl Fn(E::Column) -> SimpleExpr,
) -> Result<(), DbErr> {
    delete_versions::<E>(db, Condition::all().add(picks(E::valid_from()))).await?;
    E::update_many()
        .col_expr(E::valid_to(), Expr::value(Option::<i64>::None))
        .filter(picks(E::valid_to()))
        .exec(db)
        .await?;
    Ok(())
}

/// Drops versions no reader of snapshot `oldest_read` (or later) can see.
pub async fn prune<E: Versioned>(
    db: &impl ConnectionTrait,
    oldest_read: i64,
) -> Result<u64, DbErr> {
    let scope = Condition::all()
        .add(E::valid_to().is_not_null())
        .add(E::valid_to().lte(oldest_read));
    delete_versions::<E>(db, scope).await
}

/// Records in snapshot `published`.
pub async fn count<E: Versioned>(db: &impl ConnectionTrait, published: i64) -> Result<u64, DbErr>
where
    E::Model: Sync,
{
    E::find().filter(visible::<E>(published)).count(db).await
}

/// Writes a record straight into the published snapshot `published`, and
/// into the version the running run `running` wrote of it if any, so what a
/// webhook learns between runs shows at once and survives the run whether it
/// publishes or is discarded. `row` carries its `touched_at`.
pub async fn upsert_live<E>(
    db: &impl ConnectionTrait,
    key: &str,
    published: i64,
    running: Option<i64>,
    row: E::ActiveModel,
) -> Result<(), DbErr>
where
    E: Versioned,
    E::Model: Sync,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    // A run writing the same record at the same moment makes the insert
    // below collide with its open version; the second try sees it.
    match upsert_live_once::<E>(db, key, published, running, row.clone()).await {
        Err(e) if crate::db::is_unique_violation(&e) => {
            upsert_live_once::<E>(db, key, published, running, row).await
        }
        other => other,
    }
}

async fn upsert_live_once<E>(
    db: &impl ConnectionTrait,
    key: &str,
    published: i64,
    running: Option<i64>,
    row: E::ActiveModel,
) -> Result<(), DbErr>
where
    E: Versioned,
    E::Model: Sync,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    use sea_orm::{ActiveModelTrait, PaginatorTrait};
    let mut fields = row.clone();
    fields.not_set(E::valid_from());
    fields.not_set(E::valid_to());
    // Every version readers see now or will see when the run publishes.
    E::update_many()
        .set(fields.clone())
        .filter(E::key().eq(key))
        .filter(
            Condition::any()
                .add(E::valid_to().is_null())
                .add(E::valid_to().gt(published)),
        )
        .exec(db)
        .await?;
    let seen_now = E::find()
        .filter(E::key().eq(key))
        .filter(visible::<E>(published))
        .count(db)
        .await?
        > 0;
    if seen_now {
        return Ok(());
    }
    // New to readers: a version under the published snapshot, which the
    // running run's own version (if it wrote one) replaces at publication.
    let mut until = None;
    if let Some(n) = running {
        let own = E::find()
            .filter(E::key().eq(key))
            .filter(E::valid_from().eq(n))
            .filter(E::valid_to().is_null())
            .count(db)
            .await?;
        until = (own > 0).then_some(n);
    }
    let closed_here = E::find()
        .filter(E::key().eq(key))
        .filter(E::valid_from().eq(published))
        .count(db)
        .await?
        > 0;
    if closed_here {
        // A version under the published snapshot that it no longer shows:
        // open it again (until the run's own version takes over).
        fields.set(E::valid_to(), until.into());
        return E::update_many()
            .set(fields)
            .filter(E::key().eq(key))
            .filter(E::valid_from().eq(published))
            .exec(db)
            .await
            .map(drop);
    }
    let mut new = row;
    new.set(E::valid_from(), published.into());
    new.set(E::valid_to(), until.into());
    E::insert(new).exec_without_returning(db).await.map(drop)
}
