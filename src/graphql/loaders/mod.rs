//! Per-request DataLoaders: a page of tickets asks for its clients and
//! comments in one query each, not one per ticket; a page of leads asks for
//! its meetings the same way (see `data`).

pub mod data;

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::db::entities::{client, ticket_comment};
use crate::db::repo::{attachments, tickets};
use crate::error::AppError;
use crate::state::AppState;

pub struct ClientLoader(pub DatabaseConnection);
pub struct CommentLoader(pub DatabaseConnection);
pub struct AttachmentLoader(pub DatabaseConnection);

impl Loader<Uuid> for ClientLoader {
    type Value = client::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = client::Entity::find()
            .filter(client::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await
            .map_err(|e| async_graphql::Error::from(AppError::from(e)))?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}

impl Loader<Uuid> for CommentLoader {
    type Value = Vec<ticket_comment::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = tickets::comments_for(&self.0, keys.to_vec())
            .await
            .map_err(|e| async_graphql::Error::from(AppError::from(e)))?;
        let mut out: HashMap<Uuid, Self::Value> = HashMap::new();
        for c in rows {
            out.entry(c.ticket_id).or_default().push(c);
        }
        Ok(out)
    }
}

impl Loader<Uuid> for AttachmentLoader {
    type Value = Vec<attachments::Meta>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = attachments::for_comments(&self.0, keys.to_vec())
            .await
            .map_err(|e| async_graphql::Error::from(AppError::from(e)))?;
        let mut out: HashMap<Uuid, Self::Value> = HashMap::new();
        for a in rows {
            out.entry(a.comment_id).or_default().push(a);
        }
        Ok(out)
    }
}

/// Adds the loaders to one request (or one WebSocket connection). They do
/// not cache, so nothing read for one caller is served to another later.
pub fn attach(data: &mut async_graphql::Data, app: &AppState) {
    let db: &DatabaseConnection = &app.db;
    data.insert(DataLoader::new(ClientLoader(db.clone()), spawn));
    data.insert(DataLoader::new(CommentLoader(db.clone()), spawn));
    data.insert(DataLoader::new(AttachmentLoader(db.clone()), spawn));
    if let Some(p) = &app.pipeline {
        data.insert(DataLoader::new(data::DataLoaders(p.data()), spawn));
    }
}

/// Batches run in tasks of their own, under the request's span (its id).
fn spawn<F>(batch: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(tracing::Instrument::in_current_span(batch))
}
