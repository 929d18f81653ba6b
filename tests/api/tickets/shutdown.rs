//! A ticket on its way to Monday when its server shuts down: a delivery that
//! finishes in time is recorded by that server; one that does not is put
//! back at once, so the next server delivers it without waiting for the
//! lease to run out, and Monday still gets one item.

use bridgeboard::db::repo::outbox;
use bridgeboard::sandbox::SandboxHandle;
use bridgeboard::sandbox::faults::Upstream;

use super::*;
use crate::helpers::spawn_sandbox;

/// Far longer than any wait below: only a released claim explains a prompt
/// delivery by the next server.
const LEASE_MS: &str = "120000";

async fn server(sandbox: &SandboxHandle, database: Option<String>) -> TestApp {
    spawn_app_with(|v| {
        portal_vars(v);
        super::delivery::upstream_vars(sandbox, v);
        v.push(("OUTBOX_LEASE_MS".to_owned(), LEASE_MS.to_owned()));
        if let Some(url) = database {
            v.push(("DATABASE_URL".to_owned(), url));
        }
    })
    .await
}

async fn small_sandbox() -> SandboxHandle {
    spawn_sandbox(|o| {
        o.tickets = 2;
        o.clients = 1;
    })
    .await
}

#[tokio::test]
async fn a_delivery_in_flight_at_shutdown_finishes_and_is_recorded() {
    let sandbox = small_sandbox().await;
    let app = server(&sandbox, None).await;
    let admin = app.login_admin().await;
    let (_, _, token) = app.signed_in_client(&admin, "finish@example.com").await;
    let board = sandbox.tickets_board_id();
    let before = sandbox.monday().item_count(board);
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.response_delay_ms = 1_500);
    let t = app
        .create_ticket(&token, json!({ "title": "In flight" }))
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    eventually("Monday to create the item", || async {
        (sandbox.monday().item_count(board) == before + 1).then_some(())
    })
    .await;

    app.shut_down();
    app.stopped().await;
    let left = outbox::undelivered(&app.state.db, &id).await.unwrap();
    assert!(
        left.is_empty(),
        "delivered before the server stopped: {left:?}"
    );
    assert_eq!(sandbox.monday().item_count(board), before + 1);
}

#[tokio::test]
async fn a_delivery_cut_at_shutdown_goes_to_the_next_server_at_once_and_once() {
    let sandbox = small_sandbox().await;
    let first = server(&sandbox, None).await;
    let admin = first.login_admin().await;
    let (_, _, token) = first.signed_in_client(&admin, "cut@example.com").await;
    let board = sandbox.tickets_board_id();
    let before = sandbox.monday().item_count(board);
    // Monday acts on the request but answers long after the shutdown's
    // patience for work in flight.
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.response_delay_ms = 30_000);
    let t = first
        .create_ticket(&token, json!({ "title": "Cut short" }))
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    eventually("Monday to create the item", || async {
        (sandbox.monday().item_count(board) == before + 1).then_some(())
    })
    .await;

    first.shut_down();
    first.stopped().await;
    let left = outbox::undelivered(&first.state.db, &id).await.unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].locked_until.is_none(), "released: {left:?}");
    sandbox.faults().reset();

    let second = server(&sandbox, Some(first.db.url())).await;
    second.wait_synced(&token, &id).await;
    assert_eq!(
        sandbox.monday().item_count(board),
        before + 1,
        "the retry found the item the cut attempt created"
    );
}
