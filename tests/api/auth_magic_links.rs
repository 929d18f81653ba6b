//! Magic links end to end over a real SMTP conversation: request, receive,
//! extract, redeem; expiry, reuse, 50 concurrent redemptions, unknown emails.

use std::time::Duration;

use bridgeboard::db::entities::magic_link;
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;
use serde_json::json;

use crate::auth_support::{
    ME, REQUEST_MAGIC_LINK, auth_app, auth_app_with_smtp, code, dump_database, redeem, request_link,
};

const INVITE: &str = include_str!("operations/auth/invite_client.graphql");

#[tokio::test]
async fn a_client_signs_in_with_the_link_from_the_email() {
    let (app, sink) = auth_app_with_smtp(&[]).await;
    let admin = app.login_admin().await;
    let client = app
        .create_client(&admin, "Ada@Example.com", "Ada Lovelace")
        .await;

    // The email is matched however it is typed.
    let mail = request_link(&app, &sink, "  ADA@example.COM ").await;
    assert_eq!(mail.to, vec!["ada@example.com".to_owned()]);
    assert_eq!(mail.from, "portal@bridgeboard.test");
    assert!(
        mail.data.contains("Subject: Your sign-in link"),
        "{}",
        mail.data
    );
    let body = mail.body();
    assert!(body.contains("/auth/magic?token="), "{body}");
    let token = mail.magic_token();
    assert_eq!(token.len(), 43, "{body}");

    let res = redeem(&app, &token).await;
    let payload = &res["data"]["redeemMagicLink"];
    assert_eq!(payload["viewer"]["kind"], "CLIENT", "{res}");
    assert_eq!(payload["viewer"]["client"]["id"], client["id"]);
    let jwt = payload["token"].as_str().unwrap();

    // The token's claims carry the client and its portal.
    let claims = jwt.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["client_id"], client["id"]);
    assert_eq!(claims["portal_id"], client["portalId"]);
    assert!(claims["jti"].as_str().is_some());

    let me = app.graphql_as(jwt, ME, json!({})).await;
    assert_eq!(
        me["data"]["me"]["client"]["email"], "ada@example.com",
        "{me}"
    );

    // The token itself is nowhere in the database.
    assert!(!dump_database(&app).await.iter().any(|v| v.contains(&token)));
}

#[tokio::test]
async fn a_link_works_once() {
    let (app, sink) = auth_app_with_smtp(&[]).await;
    let admin = app.login_admin().await;
    app.create_client(&admin, "grace@example.com", "Grace")
        .await;
    let token = request_link(&app, &sink, "grace@example.com")
        .await
        .magic_token();
    assert!(redeem(&app, &token).await["data"]["redeemMagicLink"]["token"].is_string());
    let again = redeem(&app, &token).await;
    assert_eq!(code(&again), "UNAUTHENTICATED", "{again}");
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let (app, sink) = auth_app_with_smtp(&[("MAGIC_LINK_TTL_MINUTES", "1")]).await;
    let admin = app.login_admin().await;
    app.create_client(&admin, "alan@example.com", "Alan").await;
    let mail = request_link(&app, &sink, "alan@example.com").await;
    assert!(
        mail.body().contains("expires in 1 minutes"),
        "{}",
        mail.body()
    );
    // Age the link past its expiry instead of waiting.
    let db = app.db.connect().await;
    magic_link::Entity::update_many()
        .col_expr(
            magic_link::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .exec(&db)
        .await
        .unwrap();
    let res = redeem(&app, &mail.magic_token()).await;
    assert_eq!(code(&res), "UNAUTHENTICATED", "{res}");
}

#[tokio::test]
async fn fifty_concurrent_redemptions_let_exactly_one_in() {
    let (app, sink) = auth_app_with_smtp(&[]).await;
    let admin = app.login_admin().await;
    app.create_client(&admin, "edsger@example.com", "Edsger")
        .await;
    let token = request_link(&app, &sink, "edsger@example.com")
        .await
        .magic_token();

    let attempts = (0..50).map(|_| redeem(&app, &token));
    let results = futures_util::future::join_all(attempts).await;
    let ok = results
        .iter()
        .filter(|r| r["data"]["redeemMagicLink"]["token"].is_string())
        .count();
    let refused = results
        .iter()
        .filter(|r| code(r) == "UNAUTHENTICATED")
        .count();
    assert_eq!(ok, 1, "exactly one redemption succeeds");
    assert_eq!(refused, 49, "the others are refused: {results:?}");
}

#[tokio::test]
async fn an_unknown_email_gets_the_same_answer_and_no_mail() {
    let (app, sink) = auth_app_with_smtp(&[]).await;
    let admin = app.login_admin().await;
    app.create_client(&admin, "barbara@example.com", "Barbara")
        .await;

    let unknown = app
        .graphql(
            REQUEST_MAGIC_LINK,
            json!({ "email": "stranger@example.com" }),
        )
        .await;
    let known = app
        .graphql(
            REQUEST_MAGIC_LINK,
            json!({ "email": "barbara@example.com" }),
        )
        .await;
    assert_eq!(unknown, known, "identical answers");

    // The known address gets its mail; by then the unknown one would have too.
    let mail = sink.next(Duration::from_secs(10)).await.expect("mail");
    assert_eq!(mail.to, vec!["barbara@example.com".to_owned()]);
    assert!(sink.next(Duration::from_millis(300)).await.is_none());
    assert!(
        sink.received()
            .iter()
            .all(|m| !m.to.contains(&"stranger@example.com".to_owned()))
    );
}

#[tokio::test]
async fn requests_per_email_are_limited_per_hour_without_telling_the_caller() {
    let (app, sink) = auth_app_with_smtp(&[("MAGIC_LINK_MAX_PER_HOUR", "2")]).await;
    let admin = app.login_admin().await;
    app.create_client(&admin, "donald@example.com", "Donald")
        .await;
    request_link(&app, &sink, "donald@example.com").await;
    request_link(&app, &sink, "donald@example.com").await;
    let third = app
        .graphql(REQUEST_MAGIC_LINK, json!({ "email": "donald@example.com" }))
        .await;
    assert_eq!(
        third["data"]["requestMagicLink"], true,
        "same answer: {third}"
    );
    assert!(
        sink.next(Duration::from_millis(800)).await.is_none(),
        "no third mail"
    );
}

#[tokio::test]
async fn a_burst_of_requests_gets_exactly_the_hourly_limit_of_mails() {
    let (app, sink) = auth_app_with_smtp(&[("MAGIC_LINK_MAX_PER_HOUR", "2")]).await;
    let admin = app.login_admin().await;
    app.create_client(&admin, "eager@example.com", "Eager")
        .await;
    let asks =
        (0..8).map(|_| app.graphql(REQUEST_MAGIC_LINK, json!({ "email": "eager@example.com" })));
    for res in futures_util::future::join_all(asks).await {
        assert_eq!(res["data"]["requestMagicLink"], true, "{res}");
    }
    for n in 1..=2 {
        let mail = sink.next(Duration::from_secs(10)).await;
        assert!(mail.is_some(), "mail {n} of the limit");
    }
    assert!(
        sink.next(Duration::from_millis(1500)).await.is_none(),
        "more mails than the limit"
    );
}

#[tokio::test]
async fn an_admin_invites_a_client_and_without_smtp_the_mail_lands_in_the_outbox() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let client = app
        .create_client(&admin, "frances@example.com", "Frances")
        .await;
    let res = app
        .graphql_as(&admin, INVITE, json!({ "id": client["id"] }))
        .await;
    assert_eq!(res["data"]["inviteClient"], true, "{res}");

    let outbox = app.state.config.data_dir.join("outbox");
    let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().collect();
    assert_eq!(files.len(), 1);
    let raw = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    let mail = crate::smtp::Received {
        from: String::new(),
        to: vec![],
        data: raw.replace("\r\n", "\n").replace('\n', "\r\n"),
    };
    let token = mail.magic_token();
    let res = redeem(&app, &token).await;
    assert_eq!(
        res["data"]["redeemMagicLink"]["viewer"]["kind"], "CLIENT",
        "{res}"
    );
}

#[tokio::test]
async fn a_relay_without_starttls_is_refused_when_tls_is_required() {
    let (app, sink) = auth_app_with_smtp(&[("SMTP_TLS", "starttls")]).await;
    let admin = app.login_admin().await;
    let client = app.create_client(&admin, "ken@example.com", "Ken").await;
    let res = app
        .graphql_as(&admin, INVITE, json!({ "id": client["id"] }))
        .await;
    assert_eq!(code(&res), "UPSTREAM_ERROR", "{res}");
    assert!(sink.received().is_empty(), "nothing sent in plain text");
}
