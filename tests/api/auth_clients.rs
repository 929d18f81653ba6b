//! Client management: create (with generated portal ids), normalised unique
//! emails, update, delete, and the Relay connection with search.

use serde_json::json;

use crate::auth_support::{auth_app, code};

const CREATE: &str = include_str!("operations/auth/create_client.graphql");
const UPDATE: &str = include_str!("operations/auth/update_client.graphql");
const DELETE: &str = include_str!("operations/auth/delete_client.graphql");
const CLIENTS: &str = include_str!("operations/auth/clients.graphql");

#[tokio::test]
async fn clients_are_created_with_normalised_unique_emails() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let c = app
        .create_client(&admin, "  Linus@Example.COM ", "Linus")
        .await;
    assert_eq!(c["email"], "linus@example.com");
    assert!(c["portalId"].as_str().unwrap().starts_with("acme-"), "{c}");

    let dup = app
        .graphql_as(
            &admin,
            CREATE,
            json!({ "input": { "email": "LINUS@example.com", "name": "Other" } }),
        )
        .await;
    assert_eq!(code(&dup), "CONFLICT", "{dup}");

    let chosen = app
        .graphql_as(
            &admin,
            CREATE,
            json!({ "input": { "email": "radia@example.com", "name": "Radia", "portalId": "radia-portal" } }),
        )
        .await;
    assert_eq!(
        chosen["data"]["createClient"]["portalId"], "radia-portal",
        "{chosen}"
    );

    let bad = app
        .graphql_as(
            &admin,
            CREATE,
            json!({ "input": { "email": "nope", "name": "X" } }),
        )
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT", "{bad}");
}

#[tokio::test]
async fn clients_are_updated_and_deleted() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let c = app.create_client(&admin, "tim@example.com", "Tim").await;
    let other = app.create_client(&admin, "hedy@example.com", "Hedy").await;

    let res = app
        .graphql_as(
            &admin,
            UPDATE,
            json!({ "id": c["id"], "input": { "name": "Tim B-L", "email": "TIMBL@example.com", "company": "" } }),
        )
        .await;
    let updated = &res["data"]["updateClient"];
    assert_eq!(updated["name"], "Tim B-L", "{res}");
    assert_eq!(updated["email"], "timbl@example.com");
    assert!(updated["company"].is_null());
    assert_eq!(updated["portalId"], c["portalId"], "portal id is stable");

    let clash = app
        .graphql_as(
            &admin,
            UPDATE,
            json!({ "id": other["id"], "input": { "email": "timbl@example.com" } }),
        )
        .await;
    assert_eq!(code(&clash), "CONFLICT", "{clash}");

    let del = app
        .graphql_as(&admin, DELETE, json!({ "id": c["id"] }))
        .await;
    assert_eq!(del["data"]["deleteClient"], true, "{del}");
    let again = app
        .graphql_as(&admin, DELETE, json!({ "id": c["id"] }))
        .await;
    assert_eq!(code(&again), "NOT_FOUND", "{again}");
}

#[tokio::test]
async fn the_clients_connection_pages_and_searches() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    for (email, name) in [
        ("a@example.com", "Annie Easley"),
        ("b@example.com", "Bjarne"),
        ("c@example.com", "Guido"),
        ("d@example.com", "Katherine Johnson"),
        ("e@example.com", "Sophie Wilson"),
    ] {
        app.create_client(&admin, email, name).await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let res = app
            .graphql_as(&admin, CLIENTS, json!({ "first": 2, "after": after }))
            .await;
        let conn = &res["data"]["clients"];
        for e in conn["edges"].as_array().unwrap() {
            seen.push(e["node"]["email"].as_str().unwrap().to_owned());
        }
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    // The sandbox may seed clients of its own; ours appear once, in order.
    let ours: Vec<_> = seen
        .iter()
        .filter(|e| e.ends_with("@example.com") && e.len() == 13)
        .cloned()
        .collect();
    assert_eq!(
        ours,
        ["a", "b", "c", "d", "e"].map(|c| format!("{c}@example.com"))
    );
    let mut dedup = seen.clone();
    dedup.dedup();
    assert_eq!(dedup, seen, "no client twice");

    let res = app
        .graphql_as(&admin, CLIENTS, json!({ "search": "KATHERINE j" }))
        .await;
    let edges = res["data"]["clients"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "{res}");
    assert_eq!(edges[0]["node"]["email"], "d@example.com");

    let bad = app
        .graphql_as(&admin, CLIENTS, json!({ "after": "garbage" }))
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT", "{bad}");
}
