//! Any /graphql body: decoding the request (single or batch) and parsing its
//! query never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = serde_json::from_slice::<async_graphql::BatchRequest>(data) {
        for r in batch.iter() {
            let _ = async_graphql::parser::parse_query(&r.query);
        }
    }
});
