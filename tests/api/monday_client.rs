//! The typed Monday client against the sandbox over real HTTP: page walks,
//! expired cursors, waiting out the complexity budget, retrying 5xx, typed
//! application errors, and board binding.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bridgeboard::sandbox::SandboxHandle;
use bridgeboard::sandbox::faults::Upstream;
use bridgeboard::tickets::board::{BindError, TicketBoard};
use bridgeboard::upstream::Transient;
use bridgeboard::upstream::monday::{MondayClient, MondayError, RetryPolicy};
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::{spawn_app_with, spawn_sandbox};

fn client_for(sandbox: &SandboxHandle, token: &str) -> MondayClient {
    MondayClient::new(
        sandbox.monday_url().parse().unwrap(),
        SecretString::from(token.to_owned()),
        "2026-10".to_owned(),
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(200),
            max_rate_limit_wait: Duration::from_secs(3),
            request_timeout: Duration::from_secs(5),
        },
    )
    .unwrap()
}

#[tokio::test]
async fn walks_a_board_to_its_end_and_tracks_the_budget() {
    let sandbox = spawn_sandbox(|o| o.tickets = 1_200).await;
    let client = client_for(&sandbox, sandbox.monday_token());
    let board = sandbox.tickets_board_id().to_string();
    let mut ids = Vec::new();
    let pages = AtomicU32::new(0);
    let n = client
        .walk_board(&board, |page| {
            pages.fetch_add(1, Ordering::Relaxed);
            ids.extend(page.into_iter().map(|i| i.id));
            async { Ok::<(), MondayError>(()) }
        })
        .await
        .unwrap();
    assert_eq!(n, 1_200);
    assert_eq!(pages.load(Ordering::Relaxed), 3, "500 + 500 + 200");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1_200);
    let budget = client.budget().expect("complexity read with every page");
    assert!(
        budget.after < budget.before && budget.query > 0,
        "{budget:?}"
    );
}

#[tokio::test]
async fn an_expired_cursor_restarts_the_walk() {
    let sandbox = spawn_sandbox(|o| o.tickets = 600).await;
    let client = client_for(&sandbox, sandbox.monday_token());
    let board = sandbox.tickets_board_id().to_string();
    let monday = sandbox.monday();
    let calls = Arc::new(AtomicU32::new(0));
    let ids = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let seen = client
        .walk_board(&board, |page| {
            ids.lock().unwrap().extend(page.into_iter().map(|i| i.id));
            // While the first page is processed its cursor outlives its
            // lifetime; after the restart cursors live as long as usual.
            match calls.fetch_add(1, Ordering::Relaxed) {
                0 => monday.set_cursor_ttl(Duration::ZERO),
                1 => monday.set_cursor_ttl(Duration::from_secs(3600)),
                _ => {}
            }
            async { Ok::<(), MondayError>(()) }
        })
        .await
        .expect("the walk recovers from the expired cursor");
    // A 600-item board is two pages; a third call means the walk started over.
    assert_eq!(calls.load(Ordering::Relaxed), 3, "one restart");
    assert_eq!(seen, 600, "the count is of the walk that completed");
    assert_eq!(ids.lock().unwrap().len(), 600, "every item reached");
}

#[tokio::test]
async fn waits_out_a_spent_complexity_budget() {
    let sandbox = spawn_sandbox(|_| {}).await;
    sandbox.faults().update(Upstream::Monday, |f| {
        f.rate_limit_next = 1;
        f.retry_after_secs = 1;
    });
    let client = client_for(&sandbox, sandbox.monday_token());
    let started = tokio::time::Instant::now();
    let items = client
        .items_by_ids(vec!["1".to_owned()])
        .await
        .expect("succeeds after the wait");
    assert!(items.is_empty());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "honoured retry_in_seconds"
    );

    // A wait longer than we accept is reported, not slept through.
    sandbox.faults().update(Upstream::Monday, |f| {
        f.rate_limit_next = 1;
        f.retry_after_secs = 60;
    });
    let err = client.items_by_ids(vec!["1".to_owned()]).await.unwrap_err();
    assert!(
        matches!(err, MondayError::RateLimited(d) if d == Duration::from_secs(60)),
        "{err:?}"
    );
}

#[tokio::test]
async fn retries_server_errors_then_gives_up() {
    let sandbox = spawn_sandbox(|_| {}).await;
    let client = client_for(&sandbox, sandbox.monday_token());
    sandbox.faults().set_down(Upstream::Monday, true);
    let faults = sandbox.faults();
    let heal = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(30)).await;
        faults.set_down(Upstream::Monday, false);
    });
    let found = client.items_by_ids(vec!["1".into()]).await;
    heal.await.unwrap();
    assert!(found.is_ok(), "recovered within its retries: {found:?}");

    sandbox.faults().set_down(Upstream::Monday, true);
    let err = client.items_by_ids(vec!["1".into()]).await.unwrap_err();
    assert!(matches!(err, MondayError::Unavailable(_)), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn application_errors_and_bad_tokens_are_typed() {
    let sandbox = spawn_sandbox(|_| {}).await;
    let client = client_for(&sandbox, sandbox.monday_token());
    let board = sandbox.tickets_board_id().to_string();
    let err = client
        .create_item(&board, "x", json!({ "no_such_column": "v" }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidColumnIdException"), "{err:?}");
    assert!(!err.is_transient());

    let err = client.items_by_ids(vec!["1".into()]).await;
    assert!(err.is_ok());
    let wrong = client_for(&sandbox, "not-the-token");
    let err = wrong.items_by_ids(vec!["1".into()]).await.unwrap_err();
    assert!(matches!(err, MondayError::Unauthorized(401)), "{err:?}");
}

#[tokio::test]
async fn board_binding_names_a_missing_column() {
    let sandbox = spawn_sandbox(|_| {}).await;
    let client = client_for(&sandbox, sandbox.monday_token());
    let tickets = sandbox.tickets_board_id().to_string();
    let board = TicketBoard::bind(&client, &tickets, &Default::default())
        .await
        .unwrap();
    assert!(
        !board
            .column(bridgeboard::tickets::board::Field::Status)
            .is_empty()
    );

    // The leads board has none of the ticket columns.
    let leads = sandbox.leads_board_id().to_string();
    let err = TicketBoard::bind(&client, &leads, &Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            BindError::MissingColumn {
                title: "Ticket ID",
                ..
            }
        ),
        "{err}"
    );

    // And the server refuses to start on it, saying which column is missing.
    let dir = tempfile::tempdir().unwrap();
    let vars = vec![
        ("HOST", "127.0.0.1".to_owned()),
        ("PORT", "0".to_owned()),
        (
            "DATABASE_URL",
            format!("sqlite://{}/bind.db?mode=rwc", dir.path().display()),
        ),
        ("DATA_DIR", dir.path().display().to_string()),
        ("MONDAY_API_URL", sandbox.monday_url().to_owned()),
        ("MONDAY_API_TOKEN", sandbox.monday_token().to_owned()),
        ("MONDAY_TICKETS_BOARD_ID", leads.clone()),
    ];
    let config = bridgeboard::Config::from_vars(vars).unwrap();
    let message = bridgeboard::Application::build(config)
        .await
        .err()
        .map(|e| e.to_string())
        .expect("startup fails");
    assert!(message.contains("Ticket ID"), "{message}");
    assert!(message.contains("MONDAY_TICKET_COLUMNS"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_board_and_webhooks_from_the_command_line() {
    let sandbox = spawn_sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_bridgeboard"))
            .current_dir(dir.path())
            .env("MONDAY_API_URL", sandbox.monday_url())
            .env("MONDAY_API_TOKEN", sandbox.monday_token())
            .env("CALENDLY_ACCESS_TOKEN", sandbox.calendly_token())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/cli.db?mode=rwc", dir.path().display()),
            )
            .env("PUBLIC_URL", "https://portal.example.com")
            .env("RUST_LOG", "warn")
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let board_id = tokio::task::block_in_place(|| run(&["setup-board", "--name", "Helpdesk"]))
        .trim()
        .to_owned();
    let client = client_for(&sandbox, sandbox.monday_token());
    TicketBoard::bind(&client, &board_id, &Default::default())
        .await
        .expect("the new board has every column and label we need");

    let with_board = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_bridgeboard"))
            .current_dir(dir.path())
            .env("MONDAY_API_URL", sandbox.monday_url())
            .env("MONDAY_API_TOKEN", sandbox.monday_token())
            .env("CALENDLY_ACCESS_TOKEN", sandbox.calendly_token())
            .env("CALENDLY_API_URL", sandbox.calendly_url())
            .env("MONDAY_TICKETS_BOARD_ID", &board_id)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/cli.db?mode=rwc", dir.path().display()),
            )
            .env("RUST_LOG", "warn")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // The endpoint must answer Monday's challenge: a real server takes it.
    let app = spawn_app_with(|_| {}).await;
    let first =
        tokio::task::block_in_place(|| with_board(&["setup-webhooks", "--url", &app.address]));
    // The Monday board events, and the Calendly organization's invitee events.
    let board_events = bridgeboard::tickets::webhooks::EVENTS.len();
    assert_eq!(
        board_events, 7,
        "items, names, columns, and updates posted, edited or deleted"
    );
    assert_eq!(
        first.matches("created").count(),
        board_events + 1,
        "{first}"
    );
    let again =
        tokio::task::block_in_place(|| with_board(&["setup-webhooks", "--url", &app.address]));
    assert_eq!(again.matches("exists").count(), board_events + 1, "{again}");
    let ours: Vec<_> = sandbox
        .monday()
        .webhooks()
        .into_iter()
        .filter(|w| w.board_id.to_string() == board_id)
        .collect();
    assert_eq!(ours.len(), board_events, "no duplicates after a re-run");
}

#[tokio::test]
async fn a_file_goes_onto_an_update_and_comes_back_through_its_link() {
    let sandbox = spawn_sandbox(|_| {}).await;
    let client = client_for(&sandbox, sandbox.monday_token());
    let item = sandbox.monday().board_item_ids(sandbox.tickets_board_id())[0];
    let update = client
        .create_update(&item.to_string(), "the log")
        .await
        .expect("update");
    let file = bridgeboard::upstream::monday::FilePart {
        name: "app.log".to_owned(),
        content_type: "text/plain".to_owned(),
        bytes: bytes::Bytes::from_static(b"line 1\nline 2\n"),
    };
    let asset = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        client.add_file_to_update(&update, &file),
    )
    .await
    .expect("no hang")
    .expect("asset");
    let read = client.items_by_ids(vec![item.to_string()]).await.unwrap();
    let on_update = read[0]
        .updates
        .iter()
        .find(|u| u.id == update)
        .expect("the update");
    assert_eq!(on_update.assets.len(), 1);
    assert_eq!(on_update.assets[0].id, asset);
    assert_eq!(on_update.assets[0].name, "app.log");
    assert_eq!(on_update.assets[0].size, 14);

    let link = client.asset_link(&asset).await.unwrap().expect("a link");
    let got = client
        .open_link(&link)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.as_ref(), b"line 1\nline 2\n");
    // The link is signed: tampering with it is refused, as S3 would.
    let forged = link.replace("signature=", "signature=0");
    assert!(client.open_link(&forged).await.is_err());
    assert!(client.asset_link("999").await.unwrap().is_none());
    // An update that does not exist is Monday's refusal, not a retry.
    let err = client.add_file_to_update("1", &file).await.unwrap_err();
    assert!(!err.is_transient(), "{err}");
}
