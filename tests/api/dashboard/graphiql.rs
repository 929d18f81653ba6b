//! GraphiQL opened from the dashboard, in a browser that reaches nothing but
//! the server under test: it loads from our own files, carries the signed-in
//! admin's header, and answers as that admin.

use std::time::Duration;

use fantoccini::Locator;

use super::{Browser, WIDE};
use crate::helpers::{spawn_app_with, with_admin};

#[tokio::test]
async fn graphiql_opens_from_the_dashboard_with_the_admins_credentials() {
    let app = spawn_app_with(with_admin).await;
    let browser = Browser::start().await;
    browser.sign_in_admin(&app).await;

    let before = browser.client.windows().await.expect("windows");
    browser.click("graphiql-link").await;
    let mut opened = None;
    for _ in 0..300 {
        let now = browser.client.windows().await.expect("windows");
        if let Some(w) = now.into_iter().find(|w| !before.contains(w)) {
            opened = Some(w);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tab = opened.expect("the link opens GraphiQL in a new tab");
    browser.client.switch_to_window(tab).await.expect("switch");

    let run = browser
        .client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(".graphiql-execute-button"))
        .await
        .expect("GraphiQL renders with no CDN");
    let mut headers = serde_json::Value::Null;
    for _ in 0..100 {
        headers = browser
            .js("const t = document.querySelector('.graphiql-editor-tool'); return t && t.innerText")
            .await;
        if headers.as_str().is_some_and(|h| h.contains("Bearer")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        headers.as_str().is_some_and(|h| h.contains("Bearer")),
        "the header editor holds the admin's bearer header: {headers}"
    );
    // Handed over once: no copy stays behind in the browser's storage.
    assert!(
        browser
            .js("return localStorage.getItem('bb.graphiql.headers')")
            .await
            .is_null()
    );

    run.click().await.expect("run the query");
    let mut answer = String::new();
    for _ in 0..300 {
        if let Ok(e) = browser
            .client
            .find(Locator::Css(".graphiql-response"))
            .await
        {
            answer = e.text().await.unwrap_or_default();
            if answer.contains("role") || answer.contains("errors") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        answer.contains("\"role\": \"ADMIN\"") && !answer.contains("errors"),
        "the query ran as the signed-in admin: {answer}"
    );
    browser.screenshot("graphiql", WIDE).await;
    browser.close().await;
}
