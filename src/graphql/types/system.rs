//! Types for liveness and the heartbeat subscription.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};

#[derive(SimpleObject)]
pub struct Health {
    /// `healthy` when the database answers, otherwise `degraded`.
    pub status: String,
    pub version: String,
    pub database: bool,
}

impl Health {
    pub fn new(database_up: bool) -> Self {
        Self {
            status: if database_up { "healthy" } else { "degraded" }.to_owned(),
            version: crate::VERSION.to_owned(),
            database: database_up,
        }
    }
}

#[derive(SimpleObject)]
pub struct Heartbeat {
    /// 1 for the first beat, counting up.
    pub seq: i32,
    pub at: DateTime<Utc>,
}
