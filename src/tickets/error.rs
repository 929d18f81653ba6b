//! What can go wrong in the ticket domain, and what each failure means to a
//! caller (`AppError`) and to the outbox worker (`Failure`), decided here once.

use crate::error::AppError;
use crate::outbox::Failure;
use crate::tickets::board::BindError;
use crate::upstream::Transient;
use crate::upstream::monday::{ErrorClass, MondayError};

#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error(transparent)]
    Monday(#[from] MondayError),
    #[error(transparent)]
    Board(#[from] BindError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// Finding or creating the ticket's client failed.
    #[error("client: {}", .0.public_message())]
    Client(AppError),
    /// An earlier entry of the same ticket has to land first.
    #[error("waiting for the item to be created")]
    NotYetCreated,
    #[error("outbox entry is malformed: {0}")]
    Malformed(String),
    /// It depends on something Monday refused for good.
    #[error("{0}")]
    Undeliverable(String),
}

impl Transient for TicketError {
    fn is_transient(&self) -> bool {
        match self {
            TicketError::Monday(e) => e.is_transient(),
            TicketError::Board(e) => e.is_transient(),
            TicketError::Db(_) | TicketError::NotYetCreated => true,
            TicketError::Client(e) => matches!(e, AppError::Internal(_) | AppError::Unavailable(_)),
            TicketError::Malformed(_) | TicketError::Undeliverable(_) => false,
        }
    }
}

impl From<TicketError> for AppError {
    fn from(e: TicketError) -> Self {
        match e {
            TicketError::Client(app) => app,
            TicketError::Db(db) => db.into(),
            TicketError::Monday(m) | TicketError::Board(BindError::Monday(m)) => m.into(),
            e => {
                tracing::error!(error = %e, "a ticket operation failed");
                AppError::Upstream("the Monday tickets board cannot be used".to_owned())
            }
        }
    }
}

impl TicketError {
    /// Our configuration (token, board, columns) is wrong, not the entry:
    /// every entry would fail alike until an operator fixes it.
    pub fn is_setup(&self) -> bool {
        match self {
            TicketError::Monday(e) | TicketError::Board(BindError::Monday(e)) => {
                e.class() == ErrorClass::Setup
            }
            TicketError::Board(_) => true,
            _ => false,
        }
    }
}

impl From<TicketError> for Failure {
    /// Only an entry Monday refused for good (or that can never be sent) is
    /// failed; setup trouble backs off for every entry instead, so fixing the
    /// configuration delivers them all.
    fn from(e: TicketError) -> Self {
        match e {
            TicketError::NotYetCreated => Failure::Waiting(e.to_string()),
            e if e.is_transient() || e.is_setup() => Failure::Transient(e.to_string()),
            e => Failure::Permanent(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn upstream_trouble_is_retried_and_refusals_are_reported() {
        let down = TicketError::Monday(MondayError::Unavailable("HTTP 503".into()));
        assert!(matches!(Failure::from(down), Failure::Transient(_)));
        let limited = TicketError::Monday(MondayError::RateLimited(Duration::from_secs(3)));
        assert!(matches!(AppError::from(limited), AppError::Unavailable(_)));
        let refused = TicketError::Monday(MondayError::Api {
            code: "InvalidColumnIdException".into(),
            message: "secret internals".into(),
        });
        match AppError::from(refused) {
            AppError::Upstream(m) => assert!(!m.contains("secret"), "{m}"),
            other => panic!("{other:?}"),
        }
        let waiting = Failure::from(TicketError::NotYetCreated);
        assert!(matches!(waiting, Failure::Waiting(_)));
        let broken = Failure::from(TicketError::Malformed("no comment_id".into()));
        assert!(matches!(broken, Failure::Permanent(_)));
        let invalid = TicketError::Monday(MondayError::Api {
            code: "InvalidArgumentException".into(),
            message: "Invalid ID: abc".into(),
        });
        assert!(matches!(Failure::from(invalid), Failure::Permanent(_)));
        let token = Failure::from(TicketError::Monday(MondayError::Unauthorized(401)));
        assert!(matches!(token, Failure::Transient(_)));
    }
}
