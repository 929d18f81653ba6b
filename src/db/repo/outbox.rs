//! The delivery queue to the upstreams. Rows are claimed with a lease, so several
//! workers (replicas) never deliver the same row at once, and a worker that
//! dies mid-delivery leaves a row another picks up when the lease runs out.
//!
//! Every claim counts an attempt, and that count is the claim's token: a
//! worker whose lease ran out (and whose row someone else claimed since)
//! can neither record the row as delivered nor put it back, so it cannot
//! release the new owner's lease and let a third worker deliver it again.
//! A claim also names the liveness slot and holder of its worker's process
//! (`db::liveness`), so a restart on that slot releases it at once.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::entities::outbox;

pub async fn enqueue(
    db: &impl ConnectionTrait,
    kind: &str,
    subject: &str,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    enqueue_due(db, kind, subject, payload, now, now).await
}

/// `enqueue`, first due at `due` rather than at once.
pub async fn enqueue_due(
    db: &impl ConnectionTrait,
    kind: &str,
    subject: &str,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
    due: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox::Entity::insert(outbox::ActiveModel {
        kind: Set(kind.to_owned()),
        subject: Set(subject.to_owned()),
        payload: Set(payload.to_string()),
        attempts: Set(0),
        next_attempt_at: Set(due),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Who claims: the worker's process, by liveness slot and holder.
#[derive(Clone, Copy, Debug)]
pub struct Claimant<'a> {
    pub slot: i32,
    pub holder: &'a str,
}

/// Neither delivered nor refused for good.
fn open() -> Condition {
    Condition::all()
        .add(outbox::Column::DeliveredAt.is_null())
        .add(outbox::Column::FailedAt.is_null())
}

fn due(now: DateTime<Utc>) -> Condition {
    open().add(outbox::Column::NextAttemptAt.lte(now)).add(
        Condition::any()
            .add(outbox::Column::LockedUntil.is_null())
            .add(outbox::Column::LockedUntil.lt(now)),
    )
}

/// Claims the oldest due row of one of `kinds`: sets its lease and counts
/// the attempt before any call upstream, so a crash mid-call is visible to
/// the next attempt.
pub async fn claim(
    db: &impl ConnectionTrait,
    kinds: &[&str],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<outbox::Model>, DbErr> {
    claim_as(db, kinds, now, lease_until, None).await
}

/// `claim`, recording which process holds the claim.
pub async fn claim_as(
    db: &impl ConnectionTrait,
    kinds: &[&str],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    by: Option<Claimant<'_>>,
) -> Result<Option<outbox::Model>, DbErr> {
    if kinds.is_empty() {
        return Ok(None);
    }
    for _ in 0..5 {
        let Some(row) = outbox::Entity::find()
            .filter(due(now))
            .filter(outbox::Column::Kind.is_in(kinds.iter().copied()))
            .order_by_asc(outbox::Column::Id)
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let res = outbox::Entity::update_many()
            .col_expr(outbox::Column::LockedUntil, Expr::value(lease_until))
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).add(1),
            )
            .col_expr(outbox::Column::ClaimedSlot, Expr::value(by.map(|b| b.slot)))
            .col_expr(
                outbox::Column::ClaimedBy,
                Expr::value(by.map(|b| b.holder.to_owned())),
            )
            .filter(outbox::Column::Id.eq(row.id))
            .filter(due(now))
            .exec(db)
            .await?;
        if res.rows_affected == 1 {
            return outbox::Entity::find_by_id(row.id).one(db).await;
        }
        // Another worker took it between our read and our update; try the next.
    }
    Ok(None)
}

/// Only the current claim of `entry` (as `claim` returned it) matches.
fn still_ours(entry: &outbox::Model) -> Condition {
    Condition::all()
        .add(outbox::Column::Id.eq(entry.id))
        .add(outbox::Column::Attempts.eq(entry.attempts))
        .add(open())
}

/// Extends the lease of a claim still held. `false`: the claim was lost
/// (released after a restart, or taken over); the delivery must not record.
pub async fn renew(
    db: &impl ConnectionTrait,
    entry: &outbox::Model,
    lease_until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = outbox::Entity::update_many()
        .col_expr(outbox::Column::LockedUntil, Expr::value(lease_until))
        .filter(still_ours(entry))
        .filter(outbox::Column::LockedUntil.is_not_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Marks a claimed row as refused for good: it is not delivered again.
/// `false`: the claim was lost to another worker; nothing was written.
pub async fn failed(
    db: &impl ConnectionTrait,
    entry: &outbox::Model,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = outbox::Entity::update_many()
        .col_expr(outbox::Column::FailedAt, Expr::value(now))
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(outbox::Column::LastError, Expr::value(error.to_owned()))
        .filter(still_ours(entry))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Releases the claims held on liveness `slot` by anyone but `holder`: their
/// process is gone (the slot was free for `holder` to take). Returns how many.
pub async fn release_slot(
    db: &impl ConnectionTrait,
    slot: i32,
    holder: &str,
) -> Result<u64, DbErr> {
    let res = outbox::Entity::update_many()
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(open())
        .filter(outbox::Column::LockedUntil.is_not_null())
        .filter(outbox::Column::ClaimedSlot.eq(slot))
        .filter(
            Condition::any()
                .add(outbox::Column::ClaimedBy.is_null())
                .add(outbox::Column::ClaimedBy.ne(holder)),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Whether an entry of `kind` about `subject` was refused for good.
pub async fn failed_for_subject(
    db: &impl ConnectionTrait,
    subject: &str,
    kind: &str,
) -> Result<bool, DbErr> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Subject.eq(subject))
        .filter(outbox::Column::Kind.eq(kind))
        .filter(outbox::Column::FailedAt.is_not_null())
        .count(db)
        .await?
        > 0)
}

/// Records a claimed row as delivered. `false`: the claim was lost to
/// another worker, which now owns the row; nothing was written.
pub async fn delivered(
    db: &impl ConnectionTrait,
    entry: &outbox::Model,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = outbox::Entity::update_many()
        .col_expr(outbox::Column::DeliveredAt, Expr::value(now))
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            outbox::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(still_ours(entry))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Puts a claimed row back for a later attempt. `false`: the claim was lost
/// to another worker; its lease stands.
pub async fn retry_later(
    db: &impl ConnectionTrait,
    entry: &outbox::Model,
    error: Option<&str>,
    next_attempt_at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = outbox::Entity::update_many()
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(next_attempt_at))
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            outbox::Column::LastError,
            Expr::value(error.map(str::to_owned)),
        )
        .filter(still_ours(entry))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Rows about `subject` still waiting (other than `except`).
pub async fn pending_for_subject(
    db: &impl ConnectionTrait,
    subject: &str,
    except: i64,
) -> Result<u64, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::Subject.eq(subject))
        .filter(open())
        .filter(outbox::Column::Id.ne(except))
        .count(db)
        .await
}

/// Rows about `subject` still to be delivered (not refused), oldest first.
pub async fn undelivered(
    db: &impl ConnectionTrait,
    subject: &str,
) -> Result<Vec<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::Subject.eq(subject))
        .filter(open())
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await
}

/// How many rows wait for delivery.
pub async fn backlog(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    outbox::Entity::find()
        .filter(open())
        .select_only()
        .column(outbox::Column::Id)
        .count(db)
        .await
}

/// How many rows wait for delivery, and since when the oldest has.
pub async fn depth(db: &impl ConnectionTrait) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    let count = backlog(db).await?;
    let oldest: Option<DateTime<Utc>> = outbox::Entity::find()
        .filter(open())
        .order_by_asc(outbox::Column::Id)
        .select_only()
        .column(outbox::Column::CreatedAt)
        .into_tuple()
        .one(db)
        .await?;
    Ok((count, oldest))
}

/// Rows still to be delivered that have failed at least once, the longest
/// waiting first.
pub async fn retrying(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(open())
        .filter(outbox::Column::LastError.is_not_null())
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Rows the upstream refused for good, newest first.
pub async fn refused(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::FailedAt.is_not_null())
        .order_by_desc(outbox::Column::FailedAt)
        .limit(limit)
        .all(db)
        .await
}
