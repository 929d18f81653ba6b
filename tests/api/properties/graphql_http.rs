//! `/graphql` request bodies, over HTTP against the running app: whatever
//! decodes them, junk is a 4xx or a GraphQL error, never a 5xx.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

/// Bodies that look more or less like GraphQL requests.
fn body() -> impl Strategy<Value = (String, Vec<u8>)> {
    let query = prop_oneof![
        "\\PC{0,80}",
        Just("{ health { status } }".to_owned()),
        "query \\{ [a-z]{1,10} \\}",
        "\\{ ticket\\(id: \"\\PC{0,40}\"\\) \\{ id \\} \\}",
        "\\{ lead\\(id: \"[-0-9.e]{0,30}\"\\) \\{ id \\} \\}",
    ];
    let json_body =
        (query, proptest::option::of("\\PC{0,20}"), any::<bool>()).prop_map(|(q, op, batch)| {
            let one = json!({ "query": q, "operationName": op, "variables": {} });
            let v = if batch {
                Value::Array(vec![one.clone(), one])
            } else {
                one
            };
            ("application/json".to_owned(), v.to_string().into_bytes())
        });
    let raw = (
        prop_oneof![
            Just("application/json".to_owned()),
            Just("application/graphql".to_owned()),
            Just("text/plain".to_owned()),
            Just("multipart/form-data; boundary=x".to_owned()),
        ],
        proptest::collection::vec(any::<u8>(), 0..200),
    );
    prop_oneof![json_body, raw]
}

#[tokio::test]
async fn no_request_body_makes_graphql_answer_5xx() {
    let app = spawn_app().await;
    let mut runner = TestRunner::default();
    let strategy = body();
    for _ in 0..128 {
        let (content_type, bytes) = strategy.new_tree(&mut runner).unwrap().current();
        let res = app
            .client
            .post(app.url("/graphql"))
            .header("content-type", &content_type)
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        assert!(
            status < 500,
            "{status} for {content_type}: {:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
}
