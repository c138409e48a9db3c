//! The checked-in SDL must be what the code exports: clients read `schema/schema.graphql`.

#[test]
fn checked_in_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/schema.graphql");
    let on_disk = std::fs::read_to_string(path).expect("schema/schema.graphql exists");
    let exported = audit_hub::graphql::sdl();
    assert!(
        on_disk == exported,
        "schema/schema.graphql is stale: run `cargo run -- export-schema > schema/schema.graphql`"
    );
}
