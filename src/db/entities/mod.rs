//! Table shapes for sea-orm. Kept free of logic; queries live in `db::repo`.

pub mod setting;
