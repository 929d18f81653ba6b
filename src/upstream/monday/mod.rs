//! The typed Monday client: operations, transport with retries and budget
//! tracking, and the higher-level calls the ticket code uses.

pub mod client;
pub mod error;
pub mod item;
pub mod leads;
pub mod operations;
pub mod signature;
pub mod webhook;

use serde_json::json;

pub use client::{FilePart, MondayClient, RetryPolicy};
pub use error::{ErrorClass, MondayError};
pub use item::MondayItem;
use operations as ops;

/// Page size for full walks; Monday's maximum.
pub const PAGE_LIMIT: i64 = 500;

/// How often a walk may start over after its cursor expired, before giving up.
const MAX_WALK_RESTARTS: u32 = 3;

impl MondayClient {
    /// Walks every item of a board: `items_page` then `next_items_page` until
    /// the cursor is null, calling `on_page` for each page. An expired cursor
    /// restarts the walk from the beginning (callers upsert, so re-seeing
    /// items is harmless).
    pub async fn walk_board<F, Fut, E>(&self, board_id: &str, mut on_page: F) -> Result<u64, E>
    where
        F: FnMut(Vec<MondayItem>) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: From<MondayError>,
    {
        let mut restarts = 0;
        'walk: loop {
            let first = self
                .run::<ops::ItemsFirstPage>(ops::items_first_page::Variables {
                    board_id: board_id.to_owned(),
                    limit: PAGE_LIMIT,
                })
                .await?;
            if let Some(c) = first.complexity {
                self.record_budget(client::Budget {
                    before: c.before,
                    after: c.after,
                    query: c.query,
                    reset_in_seconds: c.reset_in_x_seconds,
                });
            }
            let page = first
                .boards
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .next()
                .ok_or_else(|| MondayError::Api {
                    code: "InvalidBoardIdException".to_owned(),
                    message: format!("board {board_id} not found"),
                })?
                .items_page;
            let mut seen = page.items.len() as u64;
            on_page(page.items.into_iter().map(MondayItem::from).collect()).await?;
            let mut cursor = page.cursor;
            while let Some(c) = cursor.take() {
                let next = match self
                    .run::<ops::ItemsNextPage>(ops::items_next_page::Variables {
                        cursor: c,
                        limit: PAGE_LIMIT,
                    })
                    .await
                {
                    Ok(n) => n,
                    Err(e) if e.is_cursor_expired() && restarts < MAX_WALK_RESTARTS => {
                        restarts += 1;
                        tracing::warn!(
                            board_id,
                            restarts,
                            "monday cursor expired; restarting the walk"
                        );
                        continue 'walk;
                    }
                    Err(e) => return Err(e.into()),
                };
                if let Some(c) = next.complexity {
                    self.record_budget(client::Budget {
                        before: c.before,
                        after: c.after,
                        query: c.query,
                        reset_in_seconds: c.reset_in_x_seconds,
                    });
                }
                seen += next.next_items_page.items.len() as u64;
                on_page(
                    next.next_items_page
                        .items
                        .into_iter()
                        .map(MondayItem::from)
                        .collect(),
                )
                .await?;
                cursor = next.next_items_page.cursor;
            }
            return Ok(seen);
        }
    }

    pub async fn items_by_ids(&self, ids: Vec<String>) -> Result<Vec<MondayItem>, MondayError> {
        let data = self
            .run::<ops::ItemsByIds>(ops::items_by_ids::Variables { ids })
            .await?;
        Ok(data
            .items
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .map(MondayItem::from)
            .collect())
    }

    pub async fn find_items_by_column(
        &self,
        board_id: &str,
        column_id: &str,
        value: &str,
    ) -> Result<Vec<String>, MondayError> {
        let data = self
            .run::<ops::FindItemsByColumn>(ops::find_items_by_column::Variables {
                board_id: board_id.to_owned(),
                column_id: column_id.to_owned(),
                value: value.to_owned(),
            })
            .await?;
        Ok(data
            .items_page_by_column_values
            .items
            .into_iter()
            .map(|i| i.id)
            .collect())
    }

    /// Creates an item; `values` maps column ids to Monday column values and
    /// is sent JSON-encoded, as the API requires.
    pub async fn create_item(
        &self,
        board_id: &str,
        name: &str,
        values: serde_json::Value,
    ) -> Result<String, MondayError> {
        let data = self
            .run_once::<ops::CreateItem>(ops::create_item::Variables {
                board_id: board_id.to_owned(),
                group_id: None,
                name: name.to_owned(),
                values: json!(values.to_string()),
            })
            .await?;
        data.create_item
            .map(|i| i.id)
            .ok_or_else(|| MondayError::Protocol("create_item returned no item".to_owned()))
    }

    pub async fn change_column_values(
        &self,
        board_id: &str,
        item_id: &str,
        values: serde_json::Value,
    ) -> Result<(), MondayError> {
        self.run::<ops::ChangeColumnValues>(ops::change_column_values::Variables {
            board_id: board_id.to_owned(),
            item_id: item_id.to_owned(),
            values: json!(values.to_string()),
        })
        .await?;
        Ok(())
    }

    pub async fn create_update(&self, item_id: &str, body: &str) -> Result<String, MondayError> {
        let data = self
            .run_once::<ops::CreateUpdate>(ops::create_update::Variables {
                item_id: item_id.to_owned(),
                body: body.to_owned(),
            })
            .await?;
        data.create_update
            .map(|u| u.id)
            .ok_or_else(|| MondayError::Protocol("create_update returned no update".to_owned()))
    }

    /// Attaches a file to an update; answers the new asset's id. Sent once:
    /// a timeout may mean Monday has the file, so the caller looks before
    /// sending it again.
    pub async fn add_file_to_update(
        &self,
        update_id: &str,
        file: &client::FilePart,
    ) -> Result<String, MondayError> {
        let data = self
            .run_with_file::<ops::AddFileToUpdate>(
                ops::add_file_to_update::Variables {
                    update_id: update_id.to_owned(),
                    file: None,
                },
                file,
            )
            .await?;
        data.add_file_to_update
            .map(|a| a.id)
            .ok_or_else(|| MondayError::Protocol("add_file_to_update returned no asset".to_owned()))
    }

    /// A fresh download link for an asset (Monday's last an hour); `None`
    /// when Monday no longer has it.
    pub async fn asset_link(&self, asset_id: &str) -> Result<Option<String>, MondayError> {
        let data = self
            .run::<ops::AssetLinks>(ops::asset_links::Variables {
                ids: vec![asset_id.to_owned()],
            })
            .await?;
        Ok(data
            .assets
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .find(|a| a.id == asset_id)
            .map(|a| a.public_url))
    }
}
