//! Files on tickets. A file belongs to a comment, as Monday's assets belong
//! to updates. Ours are held in the database until the outbox has put them on
//! the comment's update (`add_file_to_update`); after that Monday keeps them,
//! and downloads stream from Monday's link through our authorization check,
//! with a bounded cache in front. Files staff attach in Monday arrive with
//! the board reads.

mod cache;
mod deliver;
pub mod kind;
pub mod link;
mod merge;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr};
use serde_json::json;
use uuid::Uuid;

pub use cache::AssetCache;

use super::model::SyncState;
use super::service::TicketService;
use crate::auth::Identity;
use crate::db::entities::{ticket, ticket_attachment};
use crate::db::repo::{attachments, tickets};
use crate::error::AppError;
use crate::upstream::monday::MondayError;

pub const KIND_ADD_FILE: &str = "tickets.add_file";

/// A file as a caller sent it.
pub struct NewFile {
    pub name: String,
    /// What the sender declared; the content decides (`kind`).
    pub content_type: String,
    pub bytes: Bytes,
}

/// A file within the limits, under the name and type it is stored with.
pub struct CheckedFile {
    pub name: String,
    pub content_type: String,
    pub bytes: Bytes,
}

/// Who is downloading: a client sees files on its own tickets' public
/// comments; staff and API keys see every file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    Staff,
    Client(Uuid),
}

impl Viewer {
    pub fn of(who: &Identity) -> Option<Viewer> {
        match who {
            Identity::Client { client_id, .. } => Some(Viewer::Client(*client_id)),
            Identity::Staff { .. } | Identity::ApiKey { .. } => Some(Viewer::Staff),
            Identity::Anonymous => None,
        }
    }
}

/// A file on its way to the caller.
pub struct Download {
    pub filename: String,
    pub content_type: String,
    pub body: Content,
}

pub enum Content {
    Whole(Bytes),
    /// Passed through from Monday, with the length Monday announced.
    Stream {
        body: BoxStream<'static, Result<Bytes, std::io::Error>>,
        length: Option<u64>,
    },
}

impl TicketService {
    /// Holds `files` to the limits: how many, how large, and which kinds.
    pub fn check_files(&self, files: Vec<NewFile>) -> Result<Vec<CheckedFile>, AppError> {
        let cfg = &self.attachments;
        if files.len() > cfg.max_files {
            return Err(AppError::bad_request(format!(
                "at most {} files at a time",
                cfg.max_files
            )));
        }
        files
            .into_iter()
            .map(|f| {
                let name = kind::clean_name(&f.name);
                if f.bytes.len() > cfg.max_bytes {
                    return Err(AppError::bad_request(format!(
                        "{name} is larger than the {} bytes allowed",
                        cfg.max_bytes
                    )));
                }
                if f.bytes.is_empty() {
                    return Err(AppError::bad_request(format!("{name} is empty")));
                }
                let content_type = kind::classify(&f.content_type, &f.bytes, &cfg.allowed_types)
                    .map_err(|why| AppError::bad_request(format!("{name}: {why}")))?;
                Ok(CheckedFile {
                    name,
                    content_type,
                    bytes: f.bytes,
                })
            })
            .collect()
    }

    /// Stores `files` on a new comment and queues each for Monday, inside
    /// the comment's transaction.
    pub(super) async fn insert_files(
        &self,
        txn: &impl ConnectionTrait,
        ticket: &ticket::Model,
        comment_id: Uuid,
        files: Vec<CheckedFile>,
    ) -> Result<(), DbErr> {
        let now = chrono::Utc::now();
        for f in files {
            let id = Uuid::new_v4();
            attachments::insert(
                txn,
                ticket_attachment::ActiveModel {
                    id: Set(id),
                    ticket_id: Set(ticket.id),
                    comment_id: Set(comment_id),
                    filename: Set(f.name),
                    content_type: Set(f.content_type),
                    size: Set(f.bytes.len() as i64),
                    content: Set(Some(f.bytes.to_vec())),
                    monday_asset_id: Set(None),
                    origin: Set(attachments::FROM_PORTAL.to_owned()),
                    sync_state: Set(SyncState::Pending.code().to_owned()),
                    created_at: Set(now),
                },
            )
            .await?;
            self.outbox
                .enqueue(
                    txn,
                    KIND_ADD_FILE,
                    &ticket.id.to_string(),
                    &json!({ "attachment_id": id }),
                )
                .await?;
        }
        Ok(())
    }

    /// A link to the file that `who` can open in a browser for a few minutes.
    pub fn download_url(&self, who: &Identity, id: Uuid) -> Result<String, AppError> {
        let viewer = Viewer::of(who)
            .ok_or_else(|| AppError::Unauthenticated("sign in to do this".to_owned()))?;
        let token = link::token(&self.keys, id, viewer)?;
        let mut url = self.public_url.clone();
        // Behind a proxy, PUBLIC_URL may carry a path prefix: keep it.
        url.set_path(&format!(
            "{}/api/tickets/attachments/{id}",
            self.public_url.path().trim_end_matches('/')
        ));
        url.set_query(Some(&format!("token={token}")));
        Ok(url.to_string())
    }

    /// Who a download link speaks for.
    pub fn link_viewer(&self, token: &str, id: &str) -> Result<Viewer, AppError> {
        let id = id
            .parse()
            .map_err(|_| AppError::NotFound("no such file".to_owned()))?;
        link::verify(&self.keys, token, id)
    }

    /// The file, if `viewer` may have it: from our copy until Monday has it,
    /// then from the cache or Monday's link. Anything `viewer` may not see
    /// is NOT_FOUND, like a file that does not exist.
    pub async fn download(&self, viewer: Viewer, id: &str) -> Result<Download, AppError> {
        let not_found = || AppError::NotFound("no such file".to_owned());
        let id: Uuid = id.parse().map_err(|_| not_found())?;
        let a = attachments::find(&self.db, id)
            .await?
            .ok_or_else(not_found)?;
        let t = tickets::find(&self.db, a.ticket_id)
            .await?
            .ok_or_else(not_found)?;
        let c = tickets::find_comment(&self.db, a.comment_id)
            .await?
            .ok_or_else(not_found)?;
        let allowed = match viewer {
            Viewer::Staff => true,
            Viewer::Client(client) => {
                t.client_id == Some(client)
                    && super::Visibility::from_code(&c.visibility) == super::Visibility::Public
            }
        };
        if !allowed {
            return Err(not_found());
        }
        let held = match &a.monday_asset_id {
            None => attachments::content(&self.db, id).await?,
            Some(_) => None,
        };
        let body = match held {
            Some(bytes) => Content::Whole(bytes.into()),
            None => {
                // Delivered, possibly a moment ago: Monday has it now.
                let asset = match a.monday_asset_id.clone() {
                    Some(asset) => asset,
                    None => attachments::find(&self.db, id)
                        .await?
                        .and_then(|now| now.monday_asset_id)
                        .ok_or_else(not_found)?,
                };
                self.fetch_from_monday(&asset).await?
            }
        };
        Ok(Download {
            filename: a.filename,
            content_type: a.content_type,
            body,
        })
    }

    async fn fetch_from_monday(&self, asset: &str) -> Result<Content, AppError> {
        if let Some(bytes) = self.asset_cache.get(asset) {
            return Ok(Content::Whole(bytes));
        }
        let gone = || AppError::NotFound("the file is no longer on Monday".to_owned());
        let link = self.monday.asset_link(asset).await?.ok_or_else(gone)?;
        let res = self.monday.open_link(&link).await?;
        // Kept only when Monday says how long it is and that fits: the read
        // is then bounded by that length.
        let length = res.content_length();
        if length.is_some_and(|n| self.asset_cache.admits(n)) {
            let bytes = res.bytes().await.map_err(|_| {
                AppError::from(MondayError::Unavailable("file download cut off".to_owned()))
            })?;
            self.asset_cache.put(asset, bytes.clone());
            return Ok(Content::Whole(bytes));
        }
        Ok(Content::Stream {
            body: res
                .bytes_stream()
                .map(|r| r.map_err(std::io::Error::other))
                .boxed(),
            length,
        })
    }
}
