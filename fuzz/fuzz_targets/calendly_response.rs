//! Any Calendly response body: decoding the models never panics.
#![no_main]

use bridgeboard::upstream::calendly::models::{Invitee, ScheduledEvent};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<ScheduledEvent>(data);
    let _ = serde_json::from_slice::<Invitee>(data);
});
