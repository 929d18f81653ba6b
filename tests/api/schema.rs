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
