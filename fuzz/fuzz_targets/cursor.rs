//! Any `after` cursor: decoding never panics, and what we encode decodes.
#![no_main]

use bridgeboard::graphql::pagination::{decode_cursor, encode_cursor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, i64)| {
    let (cursor, key) = input;
    let _ = decode_cursor::<i64>("tickets", cursor);
    let _ = decode_cursor::<(String, i64)>("leads", cursor);
    let again: i64 = decode_cursor("tickets", &encode_cursor("tickets", &key)).unwrap();
    assert_eq!(again, key);
});
