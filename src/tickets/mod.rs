//! Support tickets: our read model of the Monday tickets board, the writes we
//! carry to Monday through the outbox, and the rules of who sees and changes
//! what.

pub mod attachments;
pub mod board;
pub mod delivery;
pub mod error;
pub mod model;
pub mod service;
pub mod setup;
pub mod sync;
pub mod visibility;
pub mod webhooks;

pub use crate::changes::{TicketEvent, TicketEventKind};
pub use error::TicketError;
pub use model::{SyncState, TicketPriority, TicketStatus};
pub use service::TicketService;
pub use visibility::{Markers, Visibility};
