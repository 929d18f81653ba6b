//! Puts a held file on its comment's Monday update, once. The upload is not
//! idempotent on Monday's side, so a retry first looks for the file on the
//! update (an earlier attempt may have landed without hearing back).

use uuid::Uuid;

use super::super::error::TicketError;
use super::super::model::SyncState;
use super::super::service::{KIND_CREATE_ITEM, TicketService};
use crate::db::entities::ticket;
use crate::db::repo::{attachments, outbox, tickets};
use crate::outbox::Claimed;
use crate::upstream::monday::FilePart;

impl TicketService {
    pub(in crate::tickets) async fn deliver_file(
        &self,
        entry: &Claimed,
        ticket: &ticket::Model,
    ) -> Result<(), TicketError> {
        let id: Uuid = entry
            .payload()
            .get("attachment_id")
            .and_then(|c| c.as_str())
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| TicketError::Malformed("attachment_id missing".to_owned()))?;
        let Some(a) = attachments::find(&self.db, id).await? else {
            // Its comment was deleted on Monday meanwhile: nothing to send.
            return self.finish(entry, ticket.clone(), None, None, None).await;
        };
        if let Some(asset) = a.monday_asset_id.clone() {
            return self
                .finish(entry, ticket.clone(), None, None, Some((id, asset)))
                .await;
        }
        let comment = tickets::find_comment(&self.db, a.comment_id).await?;
        let Some(update_id) = comment.as_ref().and_then(|c| c.monday_update_id.clone()) else {
            // Its comment (or the ticket's item) was refused for good: the
            // file can never follow.
            let failed = comment.is_none_or(|c| c.sync_state == SyncState::Failed.code())
                || outbox::failed_for_subject(&self.db, entry.subject(), KIND_CREATE_ITEM).await?;
            if failed {
                return Err(TicketError::Undeliverable(
                    "the comment this file belongs to could not be posted".to_owned(),
                ));
            }
            return Err(TicketError::NotYetCreated);
        };
        let earlier = if entry.retried() {
            self.landed_earlier(ticket, &update_id, &a).await?
        } else {
            None
        };
        let asset = match earlier {
            Some(asset) => asset,
            None => {
                let bytes = attachments::content(&self.db, id)
                    .await?
                    .ok_or_else(|| TicketError::Malformed(format!("file {id} has no content")))?;
                let file = FilePart {
                    name: a.filename.clone(),
                    content_type: a.content_type.clone(),
                    bytes: bytes.into(),
                };
                self.monday.add_file_to_update(&update_id, &file).await?
            }
        };
        self.finish(entry, ticket.clone(), None, None, Some((id, asset)))
            .await
    }

    /// The asset an earlier attempt created: on the update, with the file's
    /// name and size, and not already another attachment's.
    async fn landed_earlier(
        &self,
        ticket: &ticket::Model,
        update_id: &str,
        a: &attachments::Meta,
    ) -> Result<Option<String>, TicketError> {
        let Some(item_id) = ticket.monday_item_id.clone() else {
            return Ok(None);
        };
        let known = attachments::for_comments(&self.db, vec![a.comment_id]).await?;
        let item = self.monday.items_by_ids(vec![item_id]).await?;
        Ok(item
            .into_iter()
            .flat_map(|i| i.updates)
            .filter(|u| u.id == update_id)
            .flat_map(|u| u.assets)
            .find(|asset| {
                asset.name == a.filename
                    && asset.size == a.size
                    && !known
                        .iter()
                        .any(|k| k.monday_asset_id.as_deref() == Some(&asset.id))
            })
            .map(|asset| asset.id))
    }
}
