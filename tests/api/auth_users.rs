//! Admins manage staff accounts over GraphQL; a password change ends the
//! user's sessions, and nobody can lock the admins out.

use serde_json::{Value, json};

use crate::auth_support::{ME, auth_app, code};
use crate::helpers::ADMIN_USER;

const CREATE_USER: &str = include_str!("operations/auth/create_user.graphql");
const SET_PASSWORD: &str = include_str!("operations/auth/set_user_password.graphql");
const DELETE_USER: &str = include_str!("operations/auth/delete_user.graphql");

#[tokio::test]
async fn admins_manage_staff_accounts() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;

    let res = app
        .graphql_as(
            &admin,
            CREATE_USER,
            json!({ "input": { "username": "Margaret", "password": "apollo-guidance", "role": "USER" } }),
        )
        .await;
    assert_eq!(res["data"]["createUser"]["username"], "margaret", "{res}");
    assert_eq!(res["data"]["createUser"]["role"], "USER");
    let dup = app
        .graphql_as(
            &admin,
            CREATE_USER,
            json!({ "input": { "username": "MARGARET", "password": "apollo-guidance", "role": "ADMIN" } }),
        )
        .await;
    assert_eq!(code(&dup), "CONFLICT", "{dup}");

    let body = app.login("margaret", "apollo-guidance").await;
    let session = body["data"]["login"]["token"].as_str().unwrap().to_owned();
    // Staff users cannot manage accounts.
    let denied = app
        .graphql_as(&session, DELETE_USER, json!({ "username": ADMIN_USER }))
        .await;
    assert_eq!(code(&denied), "FORBIDDEN", "{denied}");

    // A new password ends existing sessions.
    let res = app
        .graphql_as(
            &admin,
            SET_PASSWORD,
            json!({ "username": "margaret", "password": "lunar-module-5" }),
        )
        .await;
    assert!(res.get("errors").is_none(), "{res}");
    let status = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&session)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401, "the old session ended");
    assert_eq!(
        code(&app.login("margaret", "apollo-guidance").await),
        "UNAUTHENTICATED"
    );
    let session = app.login("margaret", "lunar-module-5").await["data"]["login"]["token"]
        .as_str()
        .expect("a new session")
        .to_owned();
    let me_status = |token: String| {
        let req = app.client.post(app.url("/graphql")).bearer_auth(token);
        async move {
            req.json(&json!({ "query": ME }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(me_status(session.clone()).await, 200);

    // An admin cannot delete themselves (nor the last admin).
    let me: Value = app
        .graphql_as(&admin, DELETE_USER, json!({ "username": ADMIN_USER }))
        .await;
    assert_eq!(code(&me), "CONFLICT", "{me}");

    let res = app
        .graphql_as(&admin, DELETE_USER, json!({ "username": "margaret" }))
        .await;
    assert_eq!(res["data"]["deleteUser"], true, "{res}");
    assert_eq!(
        me_status(session).await,
        401,
        "a deleted account's session ends"
    );
    assert_eq!(
        code(&app.login("margaret", "lunar-module-5").await),
        "UNAUTHENTICATED"
    );
}
