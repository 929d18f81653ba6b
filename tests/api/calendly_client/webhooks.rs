//! Webhook subscriptions through the client: created once, a second
//! create reported as a conflict, listed per scope, signed, deleted.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use bridgeboard::sandbox::calendly::webhooks::SIGNATURE_HEADER;
use bridgeboard::upstream::Transient;
use bridgeboard::upstream::calendly::signature::verify;
use bridgeboard::upstream::calendly::{CalendlyError, Scope, WebhookEvent};
use chrono::Utc;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::json;
use tokio::sync::mpsc;

use super::{client, control_post};
use crate::helpers::spawn_sandbox;

#[tokio::test]
async fn webhook_setup_can_run_twice() {
    const KEY: &str = "subscription-signing-key";
    let sb = spawn_sandbox(|_| {}).await;
    let c = client(&sb);
    let org = sb.calendly().organization_uri();
    let me = c.me().await.unwrap().uri;
    let (hook, mut deliveries) = receiver().await;
    let events = [WebhookEvent::InviteeCreated, WebhookEvent::InviteeCanceled];
    let key = SecretString::from(KEY.to_owned());

    let sub = c
        .create_webhook_subscription(&hook, &events, &org, &Scope::Organization, Some(&key))
        .await
        .unwrap();
    assert_eq!(sub.callback_url, hook);
    assert_eq!(
        (sub.scope.as_str(), sub.state.as_str()),
        ("organization", "active")
    );
    assert_eq!(sub.events, ["invitee.created", "invitee.canceled"]);
    let again = c
        .create_webhook_subscription(&hook, &events, &org, &Scope::Organization, Some(&key))
        .await
        .unwrap_err();
    assert!(
        matches!(again, CalendlyError::Conflict(_)) && !again.is_transient(),
        "{again:?}"
    );

    let user_hook = format!("{hook}/user");
    let mine = c
        .create_webhook_subscription(
            &user_hook,
            &events[..1],
            &org,
            &Scope::User(me.clone()),
            None,
        )
        .await
        .unwrap();
    assert_eq!(mine.user.as_deref(), Some(me.as_str()));
    let listed = c
        .list_webhook_subscriptions(&org, &Scope::Organization)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|s| s.uri.as_str()).collect::<Vec<_>>(),
        [sub.uri.as_str()]
    );
    let listed = c
        .list_webhook_subscriptions(&org, &Scope::User(me))
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|s| s.uri.as_str()).collect::<Vec<_>>(),
        [mine.uri.as_str()]
    );

    // The signing key reached Calendly: deliveries are signed with it.
    control_post(
        &sb,
        "/calendly/bookings",
        json!({ "email": "signed@example.org" }),
    )
    .await;
    let (headers, body) = tokio::time::timeout(Duration::from_secs(10), deliveries.recv())
        .await
        .expect("a delivery")
        .unwrap();
    let sig = headers[SIGNATURE_HEADER].to_str().unwrap();
    assert_eq!(
        verify(sig, KEY.as_bytes(), &body, Utc::now().timestamp(), 180),
        Ok(())
    );

    c.delete_webhook_subscription(&sub.uri).await.unwrap();
    c.delete_webhook_subscription(&mine.uri).await.unwrap();
    let gone = c.delete_webhook_subscription(&sub.uri).await.unwrap_err();
    assert!(matches!(gone, CalendlyError::NotFound), "{gone:?}");
    assert!(
        c.list_webhook_subscriptions(&org, &Scope::Organization)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A local receiver: every POST to `/hook` is passed on as (headers, body).
async fn receiver() -> (String, mpsc::UnboundedReceiver<(HeaderMap, Bytes)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((headers, body));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}
