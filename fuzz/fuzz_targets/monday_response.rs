//! Any answer from Monday: classifying it never panics, a 5xx is always
//! transient, and a typed decode of its data never panics either.
#![no_main]

use bridgeboard::upstream::monday::client::read_response;
use bridgeboard::upstream::monday::operations::items_by_ids;
use bridgeboard::upstream::monday::{ErrorClass, MondayItem};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, &[u8])| {
    let (status, body) = input;
    match read_response(status, None, body) {
        Ok(data) => {
            if let Ok(d) = serde_json::from_value::<items_by_ids::ResponseData>(data) {
                let _: Vec<MondayItem> = d.items.into_iter().flatten().flatten().map(Into::into).collect();
            }
        }
        Err(e) => {
            if (500..600).contains(&status) {
                assert_eq!(e.class(), ErrorClass::Transient);
            }
        }
    }
});
