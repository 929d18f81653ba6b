//! What operations staff watch: the upstream connections and the outbox
//! backlog on the overview, the entries that keep failing under Tickets,
//! and the audit log filtered by the server.

use bridgeboard::sandbox::faults::Upstream;
use serde_json::json;

use super::{Browser, WIDE};
use crate::helpers::eventually;
use crate::tickets::portal_app;

#[tokio::test]
async fn staff_see_monday_failing_the_entry_retrying_and_filter_the_audit_log() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (_, _, token) = app.signed_in_client(&admin, "stuck@example.com").await;
    for _ in 0..2 {
        app.login("mallory", "guess").await;
    }
    app.sandbox().faults().set_down(Upstream::Monday, true);
    let ticket = app
        .create_ticket(&token, json!({ "title": "Stuck ticket" }))
        .await;
    let id = ticket["id"].as_str().unwrap().to_owned();
    eventually("the delivery to fail once", || async {
        let body = app
            .graphql_as(&admin, "{ outbox { retrying { subject } } }", json!({}))
            .await;
        body["data"]["outbox"]["retrying"]
            .as_array()?
            .iter()
            .any(|e| e["subject"] == id.as_str())
            .then_some(())
    })
    .await;

    let browser = Browser::start().await;
    browser.size(WIDE).await;
    browser.sign_in_admin(&app).await;
    let overview = browser
        .wait_text("overview-body", |t| t.contains("Connections"))
        .await;
    let monday_row = overview
        .lines()
        .find(|l| l.starts_with("Monday"))
        .unwrap_or_else(|| panic!("no Monday row: {overview}"));
    assert!(monday_row.contains("failing (sandbox)"), "{monday_row}");
    assert!(
        browser
            .text("outbox-backlog")
            .await
            .contains("waiting for delivery"),
        "{}",
        browser.text("outbox-backlog").await
    );

    browser.section("tickets").await;
    let outbox = browser.wait_text("outbox", |t| t.contains(&id)).await;
    assert!(outbox.contains("tickets."), "the entry's kind: {outbox}");
    assert!(
        outbox.to_lowercase().contains("monday"),
        "the last error: {outbox}"
    );
    browser.screenshot("tickets-outbox", WIDE).await;

    browser.section("audit").await;
    browser
        .wait_text("audit", |t| t.contains("client.created"))
        .await;
    browser.fill("audit-search", "mallory").await;
    browser.click("audit-apply").await;
    let filtered = browser
        .wait_text("audit", |t| !t.contains("client.created"))
        .await;
    assert_eq!(filtered.matches("login.failed").count(), 2, "{filtered}");
    browser.fill("audit-search", "nobody-at-all").await;
    browser.click("audit-apply").await;
    browser
        .wait_text("audit", |t| t.contains("No entry matches"))
        .await;

    // GraphiQL opens with the admin's header, which sign-out takes back.
    browser.click("graphiql-link").await;
    let token = browser
        .js("return JSON.parse(sessionStorage.getItem('bb.session')).token")
        .await;
    let handed = browser
        .js("return JSON.parse(localStorage.getItem('bb.graphiql.headers')).Authorization")
        .await;
    assert_eq!(
        handed.as_str().unwrap(),
        format!("Bearer {}", token.as_str().unwrap())
    );
    browser.click("logout").await;
    browser.wait_text("signin-title", |t| !t.is_empty()).await;
    let left = browser
        .js("return localStorage.getItem('bb.graphiql.headers')")
        .await;
    assert!(left.is_null(), "{left}");
    browser.close().await;
}
