//! A Calendly delivery: any signature header over any body is refused
//! without the key, and any invitee URI check terminates without panicking.
#![no_main]

use bridgeboard::upstream::calendly::{is_invitee_uri, signature};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &[u8], &str)| {
    let (header, body, uri) = input;
    let _ = signature::verify(header, b"fuzz-key", body, 1_800_000_000, 180);
    let _ = is_invitee_uri(uri);
});
