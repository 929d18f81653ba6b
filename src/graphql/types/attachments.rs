//! GraphQL shape of the files on tickets, and the uploads that bring them.

use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, ID, Result, SimpleObject, Upload};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::repo::attachments::Meta;
use crate::error::AppError;
use crate::graphql::guard::{app_state, identity};
use crate::graphql::loaders::AttachmentLoader;
use crate::graphql::mutation::tickets::service;
use crate::tickets::SyncState;
use crate::tickets::attachments::NewFile;

/// A file on a ticket's comment. Monday keeps it; we hold a copy only until
/// it has reached Monday (`syncState`).
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct TicketAttachment {
    pub id: ID,
    pub filename: String,
    /// The type it is served with, checked against its content on upload.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    pub sync_state: SyncState,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub uuid: Uuid,
}

impl From<Meta> for TicketAttachment {
    fn from(a: Meta) -> Self {
        Self {
            id: ID(a.id.to_string()),
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            sync_state: SyncState::from_code(&a.sync_state),
            created_at: a.created_at,
            uuid: a.id,
        }
    }
}

#[ComplexObject]
impl TicketAttachment {
    /// Opens the file in a browser for ten minutes, for the caller only.
    /// Programs may instead send their usual credentials to
    /// `/api/tickets/attachments/{id}`.
    async fn download_url(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(service(app_state(ctx)?)?.download_url(identity(ctx), self.uuid)?)
    }
}

/// The files on these comments (each list oldest first).
pub async fn of_comments(ctx: &Context<'_>, comments: &[Uuid]) -> Result<Vec<TicketAttachment>> {
    let loader = ctx.data::<DataLoader<AttachmentLoader>>()?;
    let found = loader.load_many(comments.iter().copied()).await?;
    Ok(comments
        .iter()
        .filter_map(|c| found.get(c))
        .flatten()
        .cloned()
        .map(TicketAttachment::from)
        .collect())
}

/// The uploads of a request, as the files the ticket service checks. The
/// count is checked first: a `map` may point one part at many variables.
pub fn read(ctx: &Context<'_>, uploads: Option<Vec<Upload>>) -> Result<Vec<NewFile>> {
    let uploads = uploads.unwrap_or_default();
    let max = app_state(ctx)?.config.attachments.max_files;
    if uploads.len() > max {
        return Err(AppError::bad_request(format!("at most {max} files at a time")).into());
    }
    uploads
        .into_iter()
        .map(|u| {
            let v = u.value(ctx)?;
            Ok(NewFile {
                name: v.filename,
                content_type: v.content_type.unwrap_or_default(),
                // Held in memory already (no temporary files): shared, not copied.
                bytes: v.content,
            })
        })
        .collect()
}
