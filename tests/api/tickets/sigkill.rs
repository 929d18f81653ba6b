//! The server binary, SIGKILLed in the middle of a delivery while Monday is
//! slow to answer, then restarted with default settings: every ticket is on
//! the board exactly once within 30 s of the restart (the new process takes
//! its predecessor's liveness slot and releases its claims at once).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bridgeboard::sandbox::SandboxHandle;
use bridgeboard::sandbox::faults::Upstream;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, TestDb, spawn_sandbox};

const LOGIN: &str = include_str!("../operations/auth/login.graphql");
const CREATE_CLIENT: &str = include_str!("../operations/auth/create_client.graphql");
const CREATE_TICKET: &str = include_str!("../operations/tickets/create_ticket.graphql");
const TICKETS: usize = 10;

pub(super) struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts `bridgeboard serve` against the sandbox, with only what a
/// deployment must set: nothing about the outbox.
fn start(sandbox: &SandboxHandle, db: &TestDb, dir: &std::path::Path, port: u16) -> Server {
    start_with(sandbox, db, dir, port, &[])
}

/// The same, with `extra` settings.
pub(super) fn start_with(
    sandbox: &SandboxHandle,
    db: &TestDb,
    dir: &std::path::Path,
    port: u16,
    extra: &[(String, String)],
) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_bridgeboard"))
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", db.url())
        .env("DATA_DIR", dir.join("data"))
        .env("MONDAY_API_URL", sandbox.monday_url())
        .env("MONDAY_API_TOKEN", sandbox.monday_token())
        .env(
            "MONDAY_TICKETS_BOARD_ID",
            sandbox.tickets_board_id().to_string(),
        )
        .env("ADMIN_USER", ADMIN_USER)
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .envs(extra.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary starts");
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

pub(super) async fn wait_ready(http: &reqwest::Client, server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = http.get(format!("{}/ready", server.base)).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become ready");
}

pub(super) async fn graphql(
    http: &reqwest::Client,
    server: &Server,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut req = http
        .post(format!("{}/graphql", server.base))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let body: Value = req.send().await.unwrap().json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

/// Signs the admin in and adds a client: `(admin token, client id)`.
pub(super) async fn admin_and_client(
    http: &reqwest::Client,
    server: &Server,
    email: &str,
) -> (String, String) {
    let login = graphql(
        http,
        server,
        None,
        LOGIN,
        json!({ "username": ADMIN_USER, "password": ADMIN_PASSWORD }),
    )
    .await;
    let token = login["login"]["token"].as_str().unwrap().to_owned();
    let client = graphql(
        http,
        server,
        Some(&token),
        CREATE_CLIENT,
        json!({ "input": { "email": email, "name": "Client", "company": "Acme" } }),
    )
    .await;
    let id = client["createClient"]["id"].as_str().unwrap().to_owned();
    (token, id)
}

#[tokio::test]
async fn after_sigkill_mid_delivery_a_restart_delivers_every_ticket_once_within_30s() {
    let sandbox = spawn_sandbox(|o| {
        o.tickets = 2;
        o.clients = 1;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::create(&dir).await;
    let http = reqwest::Client::new();
    let board = sandbox.tickets_board_id();
    let monday = sandbox.monday();

    let first = start(&sandbox, &db, dir.path(), free_port());
    wait_ready(&http, &first).await;
    let (token, client_id) = admin_and_client(&http, &first, "killed@example.com").await;
    let before = monday.item_count(board);

    // Monday acts on each create at once but answers only after a while.
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.response_delay_ms = 4_000);
    let mut ids = Vec::new();
    for i in 0..TICKETS {
        let t = graphql(
            &http,
            &first,
            Some(&token),
            CREATE_TICKET,
            json!({ "input": { "title": format!("Killed mid-flight {i}"), "clientId": client_id } }),
        )
        .await;
        ids.push(t["createTicket"]["id"].as_str().unwrap().to_owned());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while monday.item_count(board) == before {
        assert!(Instant::now() < deadline, "Monday never got the first item");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // SIGKILL while the worker waits for Monday's answer.
    drop(first);
    sandbox.faults().reset();

    let restarted = Instant::now();
    let second = start(&sandbox, &db, dir.path(), free_port());
    let within = Duration::from_secs(30);
    loop {
        let counts: Vec<usize> = ids
            .iter()
            .map(|id| monday.find_items_by_column(board, "ticket_id", id).len())
            .collect();
        assert!(
            counts.iter().all(|&n| n <= 1),
            "a ticket was created twice: {counts:?}"
        );
        if counts.iter().all(|&n| n == 1) {
            break;
        }
        assert!(
            restarted.elapsed() < within,
            "not all on Monday {within:?} after the restart: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // And nothing more arrives later.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(monday.item_count(board), before + TICKETS);
    drop(second);
}
