//! Support tickets: our read model of the Monday tickets board, the writes we
//! carry to Monday through an outbox, and the change events behind the live
//! subscription.

pub mod board;
pub mod delivery;
pub mod events;
pub mod model;
pub mod service;
pub mod setup;
pub mod sync;
pub mod webhooks;

pub use events::{EventBus, LocalEventBus, TicketEvent, TicketEventKind};
pub use model::{SyncState, TicketPriority, TicketStatus};
pub use service::TicketService;
