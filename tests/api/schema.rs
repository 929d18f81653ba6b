//! The checked-in SDL is the contract with the web frontend: it must match
//! what the code builds.

#[test]
fn checked_in_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/bridgeboard.graphql");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    let built = bridgeboard::graphql::sdl();
    assert!(
        on_disk == built,
        "schema/bridgeboard.graphql is out of date; regenerate it with \
         `cargo run -- schema > schema/bridgeboard.graphql` and review the diff"
    );
}

#[test]
fn checked_in_openapi_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/openapi.json");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    let built = format!("{}\n", bridgeboard::http::api::openapi::json());
    assert!(
        on_disk == built,
        "schema/openapi.json is out of date; regenerate it with \
         `cargo run -- openapi > schema/openapi.json` and review the diff"
    );
    let doc: serde_json::Value = serde_json::from_str(&built).expect("JSON");
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    for path in [
        "/api/combined_csv",
        "/api/keys",
        "/api/calendly/comprehensive",
        "/api/auth/login",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is described");
    }
}
