//! GET executes queries (variables and extensions JSON-encoded in the query
//! string), refuses mutations with 405, and serves GraphiQL to browsers.

use serde_json::Value;

use super::{GQL_RESPONSE, JSON, content_type, failure, get, header};
use crate::helpers::{code, spawn_app};

#[tokio::test]
async fn get_executes_queries_with_variables() {
    let app = spawn_app().await;
    let res = get(&app, &[("query", "{ version }")], None).await;
    assert_eq!(res.status(), 200);
    assert!(content_type(&res).starts_with(JSON));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"));

    let res = get(
        &app,
        &[
            (
                "query",
                "query T($name: String!) { __type(name: $name) { name } }",
            ),
            ("variables", r#"{"name":"Query"}"#),
            ("operationName", "T"),
        ],
        Some(GQL_RESPONSE),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["__type"]["name"], "Query", "{body}");
}

#[tokio::test]
async fn get_refuses_mutations_with_405_and_allow_post() {
    let app = spawn_app().await;
    for (query, op) in [
        ("mutation { logout }", None),
        ("query A { version } mutation B { logout }", Some("B")),
    ] {
        let mut params = vec![("query", query)];
        if let Some(op) = op {
            params.push(("operationName", op));
        }
        let res = get(&app, &params, Some(GQL_RESPONSE)).await;
        assert_eq!(header(&res, "allow"), "POST");
        let (status, _, body) = failure(res).await;
        assert_eq!(status, 405, "{query}");
        assert_eq!(code(&body), "BAD_REQUEST");
    }
    // The query of a document that also holds a mutation runs.
    let res = get(
        &app,
        &[
            ("query", "query A { version } mutation B { logout }"),
            ("operationName", "A"),
        ],
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn get_without_a_query_is_a_400_unless_a_browser_asks() {
    let app = spawn_app().await;
    let (status, _, body) = failure(get(&app, &[], Some(JSON)).await).await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "BAD_REQUEST");
    let (status, _, _) = failure(
        get(
            &app,
            &[("variables", "[1]"), ("query", "{ version }")],
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 400, "variables must be an object");

    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let res = get(&app, &[], Some(browser)).await;
    assert_eq!(res.status(), 200);
    assert!(content_type(&res).starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("graphiql"), "GraphiQL page");

    // A browser that names a query gets the result.
    let res = get(&app, &[("query", "{ version }")], Some(browser)).await;
    assert!(content_type(&res).starts_with(JSON));
}
