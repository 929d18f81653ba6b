//! Any id a caller sends (GraphQL `ID`, REST path segment): parsing never
//! panics, and what it accepts is in range and canonical.
#![no_main]

use bridgeboard::ids::{parse_monday_id, parse_uuid};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|id: &str| {
    let _ = parse_uuid(id, "id");
    if let Ok(canonical) = parse_monday_id(id, "id") {
        assert_eq!(canonical, id);
    }
});
