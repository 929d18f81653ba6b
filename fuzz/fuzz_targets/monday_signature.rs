//! Any `Authorization` header: the JWT check never panics and never accepts
//! a token it was not given the secret for.
#![no_main]

use bridgeboard::upstream::monday::signature::verify;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = std::str::from_utf8(data) {
        assert!(verify(Some(header), b"fuzz-secret-that-nobody-signs-with", "http://x/").is_err());
    }
});
