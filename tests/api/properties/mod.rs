//! Property tests (proptest) for every parser of untrusted input: the Monday
//! and Calendly webhook bodies and signatures, the upstreams' responses,
//! connection cursors, ids, and `/graphql` request bodies (over HTTP, so
//! whatever decodes them is what is tested). The fuzz targets in `fuzz/`
//! check the same properties for longer runs.

mod cursors;
mod graphql_http;
mod responses;
mod signatures;
mod webhooks;
