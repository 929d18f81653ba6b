//! The pipeline's REST routes, as the integrations of the system we replace
//! call them: `GET /force_start_pipeline` with a key of the right
//! permission, and `GET /api/status` with none.

use bridgeboard::sandbox::Upstream;

use super::*;
use crate::auth_support::CREATE_API_KEY;

async fn key(app: &TestApp, admin: &str, permission: &str) -> String {
    let body = app
        .graphql_as(
            admin,
            CREATE_API_KEY,
            json!({ "input": { "name": permission, "permission": permission } }),
        )
        .await;
    data(body)["createApiKey"]["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn force_start(app: &TestApp, key: &str) -> reqwest::Response {
    app.client
        .get(app.url("/force_start_pipeline"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn starting_a_run_takes_a_key_that_may_write() {
    let sandbox = pipeline_sandbox(1_500, 5, |_| {}).await;
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.latency_ms = 100);
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    let read_only = key(&app, &admin, "READ_ONLY").await;
    let standard = key(&app, &admin, "STANDARD").await;

    let refused = force_start(&app, &read_only).await;
    assert_eq!(refused.status(), 403);
    let anonymous = app.get("/force_start_pipeline").await;
    assert_eq!(anonymous.status(), 401);

    let started = force_start(&app, &standard).await;
    assert_eq!(started.status(), 202);
    let body: Value = started.json().await.unwrap();
    assert_eq!(body["status"], "scheduled");
    let job = body["job_id"].as_str().unwrap().to_owned();
    assert!(body["message"].as_str().unwrap().contains("started"));

    let busy = force_start(&app, &standard).await;
    assert_eq!(busy.status(), 409);
    let body: Value = busy.json().await.unwrap();
    assert_eq!(body["status"], "busy");
    assert_eq!(
        body["job_id"],
        job.as_str(),
        "it names the run that is going"
    );
    assert_succeeded(&app.wait_run(&admin, &job).await);

    let bad = app
        .client
        .get(app.url("/force_start_pipeline?mode=sideways"))
        .header("x-api-key", &standard)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn the_status_route_answers_anyone_without_anything_secret() {
    let sandbox = pipeline_sandbox(60, 5, |_| {}).await;
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    let run = app.run_pipeline(&admin, "FULL").await;
    assert_succeeded(&run);
    let res = app.get("/api/status").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    let p = &body["pipeline"];
    assert_eq!(p["last_success"]["run_id"], run["id"]);
    assert_eq!(p["last_success"]["mode"], "FULL");
    assert_eq!(p["counts"]["leads"], 60);
    assert_eq!(p["freshness"]["stale"], false);
    for secret in [
        sandbox.monday_token(),
        sandbox.calendly_token(),
        app.db.url().as_str(),
        "/tmp",
        "sqlite",
        "postgres",
    ] {
        assert!(!text.contains(secret), "{secret:?} in {text}");
    }
}
