//! API keys from the page: shown once, usable at once, revoked with a
//! confirmation; a hostile name stays text.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;

use super::{Browser, WIDE};
use crate::exports::hub;

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

async fn create(browser: &Browser, name: &str) -> String {
    browser.fill("key-name", name).await;
    browser.click("key-create").await;
    browser
        .wait_text("new-key-value", |t| t.starts_with("bbk_"))
        .await
}

#[tokio::test]
async fn a_key_is_shown_once_works_with_x_api_key_and_stops_when_revoked_in_the_page() {
    let (_sandbox, app, _admin) = hub(10, 3).await;
    let browser = Browser::start().await;
    browser.size(WIDE).await;
    browser.sign_in_admin(&app).await;
    browser.section("keys").await;
    browser.wait_text("h-keys", |t| !t.is_empty()).await;

    let key = create(&browser, "reporting").await;
    browser.wait_text("keys", |t| t.contains("reporting")).await;
    // Exactly once: it is in the page only in the one-time box ...
    let html = browser.js("return document.body.innerText").await;
    assert_eq!(html.as_str().unwrap().matches(&key).count(), 1);
    // ... and not anywhere the page keeps things.
    let stored = browser
        .js("return JSON.stringify(sessionStorage) + JSON.stringify(localStorage)")
        .await;
    assert!(!stored.as_str().unwrap().contains(&key));
    browser.click("new-key-done").await;
    assert_eq!(browser.text("new-key-value").await, "");
    browser.section("overview").await;
    browser.section("keys").await;
    browser.wait_text("keys", |t| t.contains("reporting")).await;
    let body = browser.js("return document.body.innerText").await;
    assert!(!body.as_str().unwrap().contains(&key), "shown again");

    let res = app.get_key(&key, "/api/combined_csv").await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().lines().count() > 1);

    // Revoke, confirming in the dialog.
    browser
        .client
        .find(Locator::Css(
            "button.revoke[aria-label=\"Revoke reporting\"]",
        ))
        .await
        .expect("revoke button")
        .click()
        .await
        .unwrap();
    browser
        .wait_text("confirm-text", |t| t.contains("reporting"))
        .await;
    browser.click("confirm-yes").await;
    browser.wait_text("keys", |t| t.contains("revoked")).await;
    let res = app.get_key(&key, "/api/combined_csv").await;
    assert_eq!(res.status(), 401);
    browser.close().await;
}

#[tokio::test]
async fn a_key_named_like_html_shows_as_text_and_runs_nothing() {
    let (_sandbox, app, _admin) = hub(5, 2).await;
    let browser = Browser::start().await;
    browser.size(WIDE).await;
    browser.sign_in_admin(&app).await;
    browser.section("keys").await;
    browser.wait_text("h-keys", |t| !t.is_empty()).await;
    create(&browser, HOSTILE).await;
    browser.wait_text("keys", |t| t.contains(HOSTILE)).await;
    // Also in the audit log, where the name is part of the actor/target text.
    browser.section("audit").await;
    browser
        .wait_text("audit", |t| t.contains("api_key.created"))
        .await;
    browser.section("keys").await;
    browser.wait_text("keys", |t| t.contains(HOSTILE)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let imgs = browser
        .js("return document.querySelectorAll('img').length")
        .await;
    assert_eq!(imgs, json!(0), "the name became an element");
    let name = browser
        .js("return document.querySelector('.key-name').textContent")
        .await;
    assert_eq!(name, json!(HOSTILE));
    // An alert would be open now if anything had run.
    assert!(
        browser.client.get_alert_text().await.is_err(),
        "a script ran"
    );
    browser.screenshot("keys-hostile-name", WIDE).await;
    browser.close().await;
}
