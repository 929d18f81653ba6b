//! Writes what a run read into its snapshot: a new version only for a record
//! that is new or changed (compared by a hash of its content), and a closed
//! version for one that is gone. Unchanged records cost a lookup, not a
//! write, so a full refresh of a quiet board writes almost nothing.

use std::collections::HashSet;
use std::marker::PhantomData;

use sea_orm::{ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait, TransactionTrait};
use sha2::{Digest, Sha256};

use super::error::PipelineError;
use super::run::RunCtx;
use crate::db::entities::lead_value;
use crate::db::repo::snapshots::{self, Versioned};

/// One record as read: its key, the hash of its content, its row, and
/// what goes beside the row (see `Extra`).
#[derive(Clone)]
pub struct Record<A, X = ()> {
    pub key: String,
    pub hash: String,
    pub row: A,
    pub extra: X,
}

/// Rows of another table that live and die with a record's version (a
/// lead's Monday values): written in the same transaction as the version,
/// and deleted with it (`Versioned::dependents`).
#[async_trait::async_trait]
pub trait Extra: Clone + Send + Sync + 'static {
    async fn insert(txn: &DatabaseTransaction, extras: Vec<Self>) -> Result<(), DbErr>;
}

#[async_trait::async_trait]
impl Extra for () {
    async fn insert(_: &DatabaseTransaction, _: Vec<()>) -> Result<(), DbErr> {
        Ok(())
    }
}

#[async_trait::async_trait]
impl Extra for lead_value::ActiveModel {
    async fn insert(txn: &DatabaseTransaction, extras: Vec<Self>) -> Result<(), DbErr> {
        for chunk in extras.chunks(200) {
            lead_value::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(txn)
                .await?;
        }
        Ok(())
    }
}

/// The hash a record's content is compared by: SHA-256 of its canonical
/// JSON, 128 bits in hex.
pub fn content_hash(content: &serde_json::Value) -> String {
    let digest = Sha256::digest(content.to_string().as_bytes());
    hex::encode(&digest[..16])
}

pub struct Writer<E, X = ()> {
    stream: &'static str,
    /// Every key this run has read, for telling which ones are gone.
    seen: HashSet<String>,
    _entity: PhantomData<(E, X)>,
}

impl<E, X> Writer<E, X>
where
    E: Versioned,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    X: Extra,
{
    pub fn new(stream: &'static str) -> Self {
        Self {
            stream,
            seen: HashSet::new(),
            _entity: PhantomData,
        }
    }

    pub fn seen(&self) -> &HashSet<String> {
        &self.seen
    }

    /// A walk starts over: what the next walk does not see is gone, even if
    /// an earlier walk of this run saw it.
    pub fn restart(&mut self) {
        self.seen.clear();
    }

    /// Writes one page of records, in one transaction. A webhook writing
    /// one of them at the same moment makes the transaction collide; the
    /// page is then written again against what is there now.
    pub async fn write(
        &mut self,
        ctx: &RunCtx,
        records: Vec<Record<E::ActiveModel, X>>,
    ) -> Result<(), PipelineError>
    where
        Record<E::ActiveModel, X>: Clone,
    {
        for attempt in 1.. {
            match self.write_once(ctx, records.clone()).await {
                Err(PipelineError::Db(e)) if crate::db::is_unique_violation(&e) && attempt < 3 => {
                    tracing::debug!(error = %e, "a page collided with a webhook; writing it again");
                }
                other => return other,
            }
        }
        Ok(())
    }

    async fn write_once(
        &mut self,
        ctx: &RunCtx,
        records: Vec<Record<E::ActiveModel, X>>,
    ) -> Result<(), PipelineError> {
        if records.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = records.iter().map(|r| r.key.clone()).collect();
        // Read before the transaction: on SQLite a transaction that reads
        // and then writes fails at once if another writer committed between
        // (the other stream of the run); one that starts by writing waits
        // its turn. Only this run writes new versions, so nothing changes
        // what was read meanwhile.
        let current = snapshots::current_versions::<E>(&ctx.db, &keys).await?;
        // What a webhook wrote after the run began is at least as new as
        // what the run read: it stays.
        let touched = snapshots::touched_since::<E>(&ctx.db, &keys, ctx.started_at).await?;
        let (mut inserted, mut updated) = (0, 0);
        let mut changed = Vec::new();
        let mut again = Vec::new();
        let mut rows = Vec::new();
        let mut extras = Vec::new();
        for r in records {
            let first_time = self.seen.insert(r.key.clone());
            if touched.contains(&r.key) {
                continue;
            }
            match current.get(&r.key) {
                Some((hash, _)) if *hash == r.hash => continue,
                // This run wrote it already (a walk that started over).
                Some((_, from)) if *from == ctx.number => again.push(r.key),
                Some(_) => {
                    changed.push(r.key);
                    updated += 1;
                }
                None if first_time => inserted += 1,
                None => {}
            }
            rows.push(r.row);
            extras.push(r.extra);
        }
        let txn = ctx.db.begin().await?;
        ctx.fence(&txn).await?;
        snapshots::remove_own::<E>(&txn, &again, ctx.number).await?;
        snapshots::close::<E>(&txn, &changed, ctx.number, None).await?;
        for chunk in rows.chunks(200) {
            E::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        X::insert(&txn, extras).await?;
        txn.commit().await?;
        ctx.count(self.stream, |s| {
            s.inserted += inserted;
            s.updated += updated;
        });
        Ok(())
    }

    /// Ends the records this run did not read (a full run: they are gone),
    /// but those a webhook wrote after the run began.
    pub async fn close_unseen(&mut self, ctx: &RunCtx) -> Result<u64, PipelineError> {
        let current = snapshots::current_keys::<E>(&ctx.db, Some(ctx.started_at)).await?;
        let gone: Vec<String> = current.difference(&self.seen).cloned().collect();
        self.close(ctx, &gone).await
    }

    /// Ends these records (deleted upstream), but those a webhook wrote after
    /// the run began.
    pub async fn close(&mut self, ctx: &RunCtx, keys: &[String]) -> Result<u64, PipelineError> {
        let keys: Vec<String> = keys
            .iter()
            .filter(|k| !self.seen.contains(*k))
            .cloned()
            .collect();
        if keys.is_empty() {
            return Ok(0);
        }
        let txn = ctx.db.begin().await?;
        ctx.fence(&txn).await?;
        let closed = snapshots::close::<E>(&txn, &keys, ctx.number, Some(ctx.started_at)).await?;
        txn.commit().await?;
        ctx.count(self.stream, |s| s.deleted += closed);
        Ok(closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_hash_follows_the_content() {
        let a = content_hash(&json!({"name": "Ada", "group": "won"}));
        assert_eq!(a.len(), 32);
        assert_eq!(a, content_hash(&json!({"name": "Ada", "group": "won"})));
        assert_ne!(a, content_hash(&json!({"name": "Ada", "group": "lost"})));
    }
}
