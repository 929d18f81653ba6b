//! `heartbeat`: a ticking stream that proves the WebSocket path end to end.

use std::time::Duration;

use async_graphql::{Result, Subscription};
use futures_util::Stream;

use crate::error::AppError;
use crate::graphql::types::system::Heartbeat;

#[derive(Default)]
pub struct SystemSubscription;

const MIN_INTERVAL_MS: i32 = 10;
const MAX_INTERVAL_MS: i32 = 60_000;

#[Subscription]
impl SystemSubscription {
    /// Emits a numbered beat every `intervalMs` milliseconds (10 to 60000).
    async fn heartbeat(&self, interval_ms: i32) -> Result<impl Stream<Item = Heartbeat>> {
        if !(MIN_INTERVAL_MS..=MAX_INTERVAL_MS).contains(&interval_ms) {
            return Err(AppError::bad_request(format!(
                "intervalMs must be between {MIN_INTERVAL_MS} and {MAX_INTERVAL_MS}"
            ))
            .into());
        }
        let period = Duration::from_millis(interval_ms.unsigned_abs().into());
        Ok(async_stream::stream! {
            let mut ticker = tokio::time::interval(period);
            ticker.tick().await;
            for seq in 1.. {
                ticker.tick().await;
                yield Heartbeat { seq, at: chrono::Utc::now() };
            }
        })
    }
}
