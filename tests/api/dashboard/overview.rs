//! Signing in, the overview's numbers against the database, every section
//! at both widths (screenshots under target/dashboard/), and who is refused.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use super::{Browser, NARROW, WIDE};
use crate::exports::hub;
use crate::helpers::{ADMIN_USER, TestApp, data};

/// Rows of the current snapshot of `table`, straight from the database.
async fn current_rows(app: &TestApp, table: &str) -> i64 {
    let db = app.db.connect().await;
    let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE valid_to IS NULL");
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

const SECTIONS: [&str; 6] = ["overview", "pipeline", "data", "keys", "tickets", "audit"];

#[tokio::test]
async fn staff_sign_in_see_the_databases_counts_and_every_section_at_both_widths() {
    let (_sandbox, app, _admin) = hub(40, 12).await;
    let browser = Browser::start().await;
    browser.sign_in_admin(&app).await;

    for (id, table) in [
        ("count-leads", "leads"),
        ("count-events", "calendly_events"),
        ("count-invitees", "calendly_invitees"),
    ] {
        let want = current_rows(&app, table).await;
        assert!(want > 0, "{table} is empty");
        let shown = browser.wait_text(id, |t| !t.is_empty()).await;
        assert_eq!(shown, want.to_string(), "#{id} against {table}");
    }
    assert_eq!(browser.text("count-leads").await, "40");
    // The chart is SVG with a bar per group.
    let bars = browser
        .js("return document.querySelectorAll('#overview-body svg rect').length")
        .await;
    assert!(bars.as_u64().unwrap() > 0, "{bars}");

    for section in SECTIONS {
        browser.section(section).await;
        browser
            .wait_text(&format!("h-{section}"), |t| !t.is_empty())
            .await;
        // Give the section's queries a moment to answer before the picture.
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        for size in [WIDE, NARROW] {
            browser.screenshot(section, size).await;
        }
        browser.size(WIDE).await;
    }
    // Nothing overflows the phone's width.
    browser.size(NARROW).await;
    browser.section("overview").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let widths = browser
        .js("return [document.documentElement.scrollWidth, window.innerWidth]")
        .await;
    assert!(
        widths[1].as_u64().unwrap() <= 420,
        "a phone-sized window: {widths}"
    );
    assert!(
        widths[0].as_u64() <= widths[1].as_u64(),
        "the page overflows: {widths}"
    );

    // Signing out ends the session on the server too.
    browser.size(WIDE).await;
    let token = browser
        .js("return JSON.parse(sessionStorage.getItem('bb.session')).token")
        .await;
    let token = token.as_str().unwrap().to_owned();
    browser.click("logout").await;
    browser
        .wait_text("signin-error", |t| t.contains("signed out"))
        .await;
    let res = app.get_bearer(&token, "/api/auth/verify").await;
    assert_eq!(res.status(), 401, "the token still works after signing out");
    browser.close().await;
}

#[tokio::test]
async fn an_empty_hub_says_to_start_the_pipeline_and_a_wrong_password_shows_the_apis_message() {
    let sandbox = crate::pipeline::pipeline_sandbox(5, 2, |_| {}).await;
    let app = crate::pipeline::pipeline_app(&sandbox, &[]).await;
    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_USER, "not-the-password").await;
    let shown = browser
        .wait_text("signin-error", |t| t.len() > 12 && !t.contains("Signing"))
        .await;
    assert!(
        !shown.contains("Error:") && !shown.contains(" at "),
        "{shown}"
    );
    browser.sign_in_admin(&app).await;
    browser
        .wait_text("overview-body", |t| {
            t.contains("No data yet: start the pipeline")
        })
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_clients_token_is_refused() {
    let (_sandbox, app, admin) = hub(5, 2).await;
    let (_, _, client_token) = app.signed_in_client(&admin, "client@example.com").await;
    // The client is real: the API knows it.
    let me = data(
        app.graphql_as(&client_token, "query { me { kind } }", json!({}))
            .await,
    );
    assert_eq!(me["me"]["kind"], "CLIENT");

    let browser = Browser::start().await;
    browser.client.goto(&app.url("/dashboard")).await.unwrap();
    let session = json!({ "token": client_token, "expiresAt": "2999-01-01T00:00:00Z" });
    browser
        .js(&format!(
            "sessionStorage.setItem('bb.session', JSON.stringify({session}))"
        ))
        .await;
    browser.client.refresh().await.unwrap();
    browser
        .wait_text("signin-error", |t| {
            t.contains("client accounts cannot use it")
        })
        .await;
    let app_hidden = browser
        .js("return document.getElementById('app').hidden")
        .await;
    assert_eq!(app_hidden, json!(true));
    let kept = browser
        .js("return sessionStorage.getItem('bb.session')")
        .await;
    assert!(kept.is_null(), "the client's token is dropped: {kept}");
    browser.close().await;
}
