//! Monday's application errors: each maps to the `extensions.code`,
//! `status_code` and `error_data` the real API returns (with HTTP 200).

use async_graphql::ErrorExtensions;
use serde_json::{Value, json};

#[derive(Clone, Debug, thiserror::Error)]
pub enum SimError {
    #[error("{message}")]
    ColumnValue {
        message: String,
        column_type: &'static str,
        value: String,
    },
    #[error("This column ID doesn't exist for the board")]
    InvalidColumnId { column_id: String, board_id: u64 },
    #[error("Item not found in board")]
    ItemNotFound(u64),
    #[error("The board does not exist. Please check your board ID and try again")]
    BoardNotFound(u64),
    #[error("Webhook not found")]
    WebhookNotFound(u64),
    #[error("{0}")]
    InvalidArgument(String),
    /// The choice here: `CursorExpiredError` for a cursor we issued whose
    /// 60 minutes are over, as monday documents cursors as expiring.
    #[error("The cursor has expired. Please start a new query to get a new cursor")]
    CursorExpired,
    #[error("The cursor provided is invalid")]
    InvalidCursor,
}

impl SimError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::ColumnValue { .. } => "ColumnValueException",
            Self::InvalidColumnId { .. } => "InvalidColumnIdException",
            Self::ItemNotFound(_) | Self::WebhookNotFound(_) => "ResourceNotFoundException",
            Self::BoardNotFound(_) => "InvalidBoardIdException",
            Self::InvalidArgument(_) => "InvalidArgumentException",
            Self::CursorExpired => "CursorExpiredError",
            Self::InvalidCursor => "InvalidCursorException",
        }
    }

    /// The semantic status in `extensions.status_code` (the HTTP status stays 200).
    pub fn status_code(&self) -> u16 {
        match self {
            Self::ItemNotFound(_) | Self::WebhookNotFound(_) => 404,
            Self::BoardNotFound(_) | Self::InvalidArgument(_) => 400,
            _ => 200,
        }
    }

    pub fn error_data(&self) -> Value {
        match self {
            Self::ColumnValue {
                column_type, value, ..
            } => {
                json!({"column_value": value, "column_type": column_type})
            }
            Self::InvalidColumnId {
                column_id,
                board_id,
            } => {
                json!({"column_id": column_id, "board_id": board_id})
            }
            Self::ItemNotFound(id) => json!({"resource_type": "item", "item_id": id}),
            Self::WebhookNotFound(id) => json!({"resource_type": "webhook", "webhook_id": id}),
            Self::BoardNotFound(id) => json!({"board_id": id}),
            _ => json!({}),
        }
    }
}

impl ErrorExtensions for SimError {
    fn extend(&self) -> async_graphql::Error {
        let data = async_graphql::Value::from_json(self.error_data()).unwrap_or_default();
        async_graphql::Error::new(self.to_string()).extend_with(|_, e| {
            e.set("code", self.code());
            e.set("status_code", self.status_code());
            e.set("error_data", data.clone());
        })
    }
}

/// Resolver result whose error already carries Monday's extensions.
pub type SimResult<T> = Result<T, async_graphql::Error>;

pub fn gql(e: SimError) -> async_graphql::Error {
    e.extend()
}
