//! What staff see of the machinery behind tickets: the Monday connection
//! failing and recovering, and the outbox entries that wait, with why.

use bridgeboard::sandbox::faults::Upstream;
use serde_json::{Value, json};

use super::*;

const STATUS: &str = "{ upstreams { name configured sandbox failing lastSuccessAt lastError failures budgetRemaining } \
    outbox { backlog retrying { kind subject attempts lastError nextAttemptAt } } }";

fn monday(body: &Value) -> Value {
    body["data"]["upstreams"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["name"] == "monday"))
        .cloned()
        .unwrap_or_else(|| panic!("{body}"))
}

#[tokio::test]
async fn staff_see_monday_failing_and_the_ticket_retrying_with_its_error_then_both_recover() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (_, _, token) = app.signed_in_client(&admin, "waiting@example.com").await;

    app.sandbox().faults().set_down(Upstream::Monday, true);
    let ticket = app
        .create_ticket(&token, json!({ "title": "Printer on fire" }))
        .await;
    let id = ticket["id"].as_str().unwrap().to_owned();
    // Waits for Monday's failure itself: under load, an attempt can also
    // fail first on a busy database, which says nothing about Monday.
    let seen = eventually("the entry to fail against Monday", || async {
        let body = app.graphql_as(&admin, STATUS, json!({})).await;
        let entry = body["data"]["outbox"]["retrying"]
            .as_array()?
            .iter()
            .find(|e| e["subject"] == id.as_str())?
            .clone();
        (monday(&body)["failing"] == true).then_some((body, entry))
    })
    .await;
    let (body, entry) = seen;
    assert!(
        body["data"]["outbox"]["backlog"].as_u64() >= Some(1),
        "{body}"
    );
    assert!(entry["attempts"].as_i64().unwrap() >= 1, "{entry}");
    assert!(!entry["lastError"].as_str().unwrap().is_empty(), "{entry}");
    assert!(entry["nextAttemptAt"].is_string(), "{entry}");
    let m = monday(&body);
    assert_eq!(m["configured"], true);
    assert_eq!(m["sandbox"], true);
    assert_eq!(m["failing"], true, "{m}");
    assert!(m["failures"].as_u64().unwrap() >= 1, "{m}");
    assert!(!m["lastError"].as_str().unwrap().is_empty(), "{m}");
    // The client's text stays out of the staff view of the queue.
    assert!(!body.to_string().contains("Printer on fire"), "{body}");

    app.sandbox().faults().set_down(Upstream::Monday, false);
    let body = eventually("the ticket to arrive", || async {
        let body = app.graphql_as(&admin, STATUS, json!({})).await;
        (body["data"]["outbox"]["backlog"] == 0).then_some(body)
    })
    .await;
    assert_eq!(body["data"]["outbox"]["retrying"], json!([]));
    let m = monday(&body);
    assert_eq!(m["failing"], false, "{m}");
    assert!(m["lastSuccessAt"].is_string(), "{m}");
    assert!(
        m["lastError"].is_string(),
        "the last error stays on record: {m}"
    );

    // Clients see none of it.
    let theirs = app.graphql_as(&token, STATUS, json!({})).await;
    assert_eq!(code(&theirs), "FORBIDDEN", "{theirs}");
}
