//! Files staff attach in Monday: a board read brings each update's assets,
//! and any we do not know yet is recorded on the update's comment. Only the
//! name, size and asset id are kept; the file stays on Monday.

use std::collections::HashSet;

use super::super::model::SyncState;
use super::super::service::TicketService;
use super::super::visibility::Visibility;
use super::kind;
use crate::db::entities::ticket;
use crate::db::repo::{attachments, tickets};
use crate::upstream::monday::MondayItem;

impl TicketService {
    /// Records the item's new files; answers the visibility of each comment
    /// that gained one (so the right audience hears of it).
    pub(in crate::tickets) async fn merge_files(
        &self,
        item: &MondayItem,
        t: &ticket::Model,
    ) -> Result<Vec<Visibility>, sea_orm::DbErr> {
        if item.updates.iter().all(|u| u.assets.is_empty()) {
            return Ok(Vec::new());
        }
        let comments = tickets::comments(&self.db, t.id).await?;
        let known =
            attachments::for_comments(&self.db, comments.iter().map(|c| c.id).collect()).await?;
        let known_assets: HashSet<&str> = known
            .iter()
            .filter_map(|k| k.monday_asset_id.as_deref())
            .collect();
        let mut gained = Vec::new();
        for u in &item.updates {
            let Some(c) = comments
                .iter()
                .find(|c| c.monday_update_id.as_deref() == Some(&u.id))
            else {
                continue;
            };
            let mut added = false;
            for asset in u
                .assets
                .iter()
                .filter(|a| !known_assets.contains(a.id.as_str()))
            {
                // One of ours on its way: its delivery records the asset.
                let in_flight = known.iter().any(|k| {
                    k.comment_id == c.id
                        && k.monday_asset_id.is_none()
                        && k.filename == asset.name
                        && k.size == asset.size
                });
                if in_flight {
                    continue;
                }
                let name = kind::clean_name(&asset.name);
                let row = attachments::from_monday(
                    t.id,
                    c.id,
                    &asset.id,
                    &name,
                    asset.size,
                    kind::from_extension(&name),
                    SyncState::Synced.code(),
                );
                match attachments::insert(&self.db, row).await {
                    Ok(()) => added = true,
                    // Another replica recorded it first.
                    Err(e) if crate::db::is_unique_violation(&e) => {}
                    Err(e) => return Err(e),
                }
            }
            if added {
                gained.push(Visibility::from_code(&c.visibility));
            }
        }
        Ok(gained)
    }
}
