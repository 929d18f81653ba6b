//! The calls a data-hub run makes to read a board: its shape, its items page
//! by page, items by id, and its activity log. Each reads the complexity
//! Monday reports, so the next call waits for the budget instead of being
//! refused.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::client::Budget;
use super::item::MondayItem;
use super::operations as ops;
use super::{MondayClient, MondayError};

/// A board's columns and groups, in board order.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardShape {
    pub name: String,
    pub items_count: Option<u64>,
    pub columns: Vec<BoardColumn>,
    pub groups: Vec<BoardGroup>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BoardColumn {
    pub id: String,
    pub title: String,
    /// Monday's column type, e.g. `email`, `numbers`, `date`, `status`.
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BoardGroup {
    pub id: String,
    pub title: String,
}

/// One item read by id: where it is now, if it still is.
#[derive(Clone, Debug)]
pub struct ItemNow {
    pub item: MondayItem,
    pub board_id: Option<String>,
    /// `active`, `archived` or `deleted`.
    pub state: Option<String>,
}

/// One activity log entry, its `data` decoded.
#[derive(Clone, Debug)]
pub struct Activity {
    pub id: String,
    pub event: String,
    pub data: Value,
    pub created_at: String,
}

impl Activity {
    /// The item the entry is about.
    pub fn item_id(&self) -> Option<String> {
        ["pulse_id", "item_id"]
            .iter()
            .find_map(|k| self.data.get(*k))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    }
}

macro_rules! budget_of {
    ($c:expr) => {
        $c.map(|c| Budget {
            before: c.before,
            after: c.after,
            query: c.query,
            reset_in_seconds: c.reset_in_x_seconds,
        })
    };
}

impl MondayClient {
    fn note(&self, budget: Option<Budget>) {
        if let Some(b) = budget {
            self.record_budget(b);
        }
    }

    pub async fn board_shape(&self, board_id: &str) -> Result<BoardShape, MondayError> {
        let data = self
            .run::<ops::LeadBoard>(ops::lead_board::Variables {
                board_id: board_id.to_owned(),
            })
            .await?;
        self.note(budget_of!(data.complexity));
        let board = data
            .boards
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .next()
            .ok_or_else(|| board_not_found(board_id))?;
        let mut groups: Vec<(f64, BoardGroup)> = board
            .groups
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .map(|g| {
                let at = g.position.parse().unwrap_or(f64::MAX);
                (
                    at,
                    BoardGroup {
                        id: g.id,
                        title: g.title,
                    },
                )
            })
            .collect();
        groups.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(BoardShape {
            name: board.name,
            items_count: board.items_count.and_then(|n| u64::try_from(n).ok()),
            columns: board
                .columns
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .map(|c| BoardColumn {
                    id: c.id,
                    title: c.title,
                    kind: format!("{:?}", c.type_),
                })
                .collect(),
            groups: groups.into_iter().map(|(_, g)| g).collect(),
        })
    }

    /// The first page of a walk and the cursor to the next.
    pub async fn leads_first_page(
        &self,
        board_id: &str,
        limit: i64,
    ) -> Result<(Vec<MondayItem>, Option<String>), MondayError> {
        let data = self
            .run::<ops::LeadsFirstPage>(ops::leads_first_page::Variables {
                board_id: board_id.to_owned(),
                limit,
            })
            .await?;
        self.note(budget_of!(data.complexity));
        let page = data
            .boards
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .next()
            .ok_or_else(|| board_not_found(board_id))?
            .items_page;
        Ok((
            page.items.into_iter().map(MondayItem::from).collect(),
            page.cursor,
        ))
    }

    pub async fn leads_next_page(
        &self,
        cursor: String,
        limit: i64,
    ) -> Result<(Vec<MondayItem>, Option<String>), MondayError> {
        let data = self
            .run::<ops::LeadsNextPage>(ops::leads_next_page::Variables { cursor, limit })
            .await?;
        self.note(budget_of!(data.complexity));
        let page = data.next_items_page;
        Ok((
            page.items.into_iter().map(MondayItem::from).collect(),
            page.cursor,
        ))
    }

    /// Up to 100 items by id, wherever they are now.
    pub async fn leads_by_ids(&self, ids: Vec<String>) -> Result<Vec<ItemNow>, MondayError> {
        let data = self
            .run::<ops::LeadsByIds>(ops::leads_by_ids::Variables { ids })
            .await?;
        self.note(budget_of!(data.complexity));
        Ok(data
            .items
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .map(|i| ItemNow {
                board_id: i.board.as_ref().map(|b| b.id.clone()),
                state: i.state.as_ref().map(|s| format!("{s:?}")),
                item: MondayItem::from(i.lead_item),
            })
            .collect())
    }

    /// One page of the board's activity since `from`.
    pub async fn board_activity(
        &self,
        board_id: &str,
        from: DateTime<Utc>,
        limit: i64,
        page: i64,
    ) -> Result<Vec<Activity>, MondayError> {
        let data = self
            .run::<ops::BoardActivity>(ops::board_activity::Variables {
                board_id: board_id.to_owned(),
                from: from.to_rfc3339_opts(SecondsFormat::Secs, true),
                limit,
                page,
            })
            .await?;
        self.note(budget_of!(data.complexity));
        let board = data
            .boards
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .next()
            .ok_or_else(|| board_not_found(board_id))?;
        Ok(board
            .activity_logs
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .map(|a| Activity {
                data: serde_json::from_str(&a.data).unwrap_or(Value::Null),
                id: a.id,
                event: a.event,
                created_at: a.created_at,
            })
            .collect())
    }
}

fn board_not_found(board_id: &str) -> MondayError {
    MondayError::Api {
        code: "InvalidBoardIdException".to_owned(),
        message: format!("board {board_id} not found"),
    }
}
