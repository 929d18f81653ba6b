//! Any body POSTed to /webhooks/monday: parsing never panics, and an event
//! it accepts carries only ids Monday can issue.
#![no_main]

use bridgeboard::upstream::monday::webhook::{Delivery, MAX_ID, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Delivery::Event(event)) = parse(data) {
        for key in ["boardId", "pulseId", "itemId"] {
            if let Some(v) = event.get(key) {
                let id = match v {
                    serde_json::Value::Number(n) => n.as_u64(),
                    serde_json::Value::String(s) => s.parse().ok(),
                    _ => None,
                };
                assert!(id.is_some_and(|id| (1..=MAX_ID).contains(&id)), "{key}: {v}");
            }
        }
    }
});
