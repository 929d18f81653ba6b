//! Boots the real application for each test: a fresh database (a SQLite file,
//! or a new PostgreSQL database when `TEST_DATABASE_URL` is set), port 0, and
//! typed helpers to talk to it over real HTTP and WebSocket.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Once};
use std::time::Duration;

use bridgeboard::sandbox::{Sandbox, SandboxHandle, SandboxOptions};
use bridgeboard::state::AppState;
use bridgeboard::{Application, Config};
use futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub db: TestDb,
    pub state: AppState,
    /// The in-process upstream simulators (None when a test configured real
    /// upstream tokens); see `TestApp::sandbox()`.
    pub sandbox: Option<Arc<SandboxHandle>>,
    /// The port `/metrics` has to itself (`METRICS_ADDR`).
    pub metrics_port: Option<u16>,
    /// The serving task; aborting it stops the app and its background work.
    server: tokio::task::AbortHandle,
    /// Sends the app the shutdown signal (SIGTERM, in production).
    stop: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    /// Holds the data dir and SQLite file; removed when the test ends.
    _dir: tempfile::TempDir,
}

/// With `TEST_LOG` set, tests print the server's tracing output (its value
/// is the filter, e.g. `TEST_LOG=debug`; `1` means `info`).
fn init_test_log() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Ok(filter) = std::env::var("TEST_LOG") else {
            return;
        };
        let filter = if filter == "1" {
            "info".to_owned()
        } else {
            filter
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    });
}

/// Polls `check` until it yields a value; fails the test after a minute.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..1200 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Asserts a GraphQL answer has no errors and returns its `data`.
pub fn data(body: Value) -> Value {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body["data"].clone()
}

/// The first error's `extensions.code`, or "" when there is none.
pub fn code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Starts the app with default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app; `customize` may add or override environment variables.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Vec<(String, String)>)) -> TestApp {
    init_test_log();
    bridgeboard::tls::install_crypto_provider();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::create(&dir).await;
    let mut vars: Vec<(String, String)> = vec![
        ("HOST".into(), "127.0.0.1".into()),
        ("PORT".into(), "0".into()),
        ("DATABASE_URL".into(), db.url()),
        ("DATABASE_MAX_CONNECTIONS".into(), "8".into()),
        // Every test boots the sandbox upstreams: keep their data small.
        ("SANDBOX_CLIENTS".into(), "3".into()),
        ("SANDBOX_TICKETS".into(), "8".into()),
        ("SANDBOX_LEADS".into(), "12".into()),
        ("SANDBOX_EVENTS".into(), "10".into()),
        ("SANDBOX_USERS".into(), "2".into()),
        ("SANDBOX_WEBHOOK_RETRY_MS".into(), "200".into()),
        // Pipeline tests start their runs themselves.
        ("PIPELINE_RUN_ON_STARTUP".into(), "false".into()),
        (
            "DATA_DIR".into(),
            dir.path().join("data").display().to_string(),
        ),
    ];
    customize(&mut vars);
    let config = Config::from_vars(vars).expect("test config");
    let app = Application::build(config).await.expect("app builds");
    let sandbox = app.state().sandbox.clone();
    serve(app, db, sandbox, dir)
}

/// Runs `app` until `shut_down` (or the test's end).
fn serve(
    app: Application,
    db: TestDb,
    sandbox: Option<Arc<SandboxHandle>>,
    dir: tempfile::TempDir,
) -> TestApp {
    let port = app.port();
    let metrics_port = app.metrics_port();
    let state = app.state().clone();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    // Dropping the sender does not stop the app.
    let signal = async move {
        if rx.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let server = tokio::spawn(app.run_until(signal)).abort_handle();
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        metrics_port,
        client: reqwest::Client::new(),
        db,
        sandbox,
        state,
        server,
        stop: std::sync::Mutex::new(Some(stop)),
        _dir: dir,
    }
}

/// A second replica of `first`: the same settings, database, keys and
/// sandbox upstreams (whose webhooks keep going to `first`), its own port,
/// caches and workers; as production runs two processes behind a balancer.
pub async fn spawn_replica(first: &TestApp) -> TestApp {
    let mut config = (*first.state.config).clone();
    config.server.port = 0;
    let _ = config.server.public_url.set_port(Some(0));
    if config.mail.magic_link_url.port() == Some(first.port) {
        let _ = config.mail.magic_link_url.set_port(Some(0));
    }
    let app = Application::build(config).await.expect("replica builds");
    let db = TestDb::Shared {
        url: first.db.url(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    serve(app, db, first.sandbox.clone(), dir)
}

/// A standalone sandbox (both simulators, faults, control API) on a free
/// loopback port, small by default; `customize` adjusts its options.
pub async fn spawn_sandbox(customize: impl FnOnce(&mut SandboxOptions)) -> SandboxHandle {
    init_test_log();
    bridgeboard::tls::install_crypto_provider();
    let mut options = SandboxOptions {
        host: "127.0.0.1".into(),
        port: 0,
        clients: 3,
        tickets: 10,
        leads: 20,
        events: 30,
        users: 3,
        ..SandboxOptions::default()
    };
    customize(&mut options);
    Sandbox::start(options).await.expect("sandbox starts")
}

impl TestApp {
    /// Sends the app its shutdown signal, as SIGTERM does.
    pub fn shut_down(&self) {
        if let Some(stop) = self.stop.lock().unwrap().take() {
            let _ = stop.send(());
        }
    }

    /// Waits until a `shut_down` app has finished stopping (its background
    /// work handed over), as the process would exit.
    pub async fn stopped(&self) {
        eventually("the app to stop", || async {
            self.server.is_finished().then_some(())
        })
        .await;
    }

    /// Stops the app abruptly, as a killed process would: in-flight requests
    /// and background work are dropped wherever they are.
    pub fn kill(&self) {
        self.server.abort();
    }

    /// The sandbox upstreams; panics when the test configured real tokens.
    pub fn sandbox(&self) -> &SandboxHandle {
        self.sandbox
            .as_deref()
            .expect("the app runs in sandbox mode")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("GET request")
    }

    /// GraphiQL, as a browser asks for it, with an optional credential header.
    pub async fn graphiql(&self, credential: Option<(&str, &str)>) -> reqwest::Response {
        let mut req = self
            .client
            .get(self.url("/graphql"))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        if let Some((name, value)) = credential {
            req = req.header(name, value);
        }
        req.send().await.expect("GET /graphql")
    }

    /// Sends one GraphQL operation over HTTP and returns the JSON body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_with(query, variables, |r| r).await
    }

    /// Like `graphql`, letting the caller add headers (credentials).
    pub async fn graphql_with(
        &self,
        query: &str,
        variables: Value,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Value {
        let req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        let res = build(req).send().await.expect("POST /graphql");
        assert!(
            res.status().is_success(),
            "GraphQL over HTTP answered {}",
            res.status()
        );
        res.json().await.expect("GraphQL JSON body")
    }

    /// Opens a WebSocket to `/graphql/ws` with the given subprotocol.
    pub async fn ws(&self, protocol: &str) -> WsClient {
        let url = format!("ws://127.0.0.1:{}/graphql/ws", self.port);
        let mut req = url.into_client_request().expect("ws request");
        req.headers_mut().insert(
            "sec-websocket-protocol",
            protocol.parse().expect("protocol header"),
        );
        let (stream, response) = tokio_tungstenite::connect_async(req)
            .await
            .expect("WebSocket connects");
        let agreed = response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert_eq!(
            agreed.as_deref(),
            Some(protocol),
            "server agrees on subprotocol"
        );
        WsClient { stream }
    }
}

pub struct WsClient {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

/// The code of the first error in a WebSocket answer: an `error` message
/// (refused before execution) or a `next` whose payload carries errors.
pub fn ws_error_code(msg: &Value) -> Option<String> {
    let errors = if msg["type"] == "error" {
        &msg["payload"]
    } else {
        &msg["payload"]["errors"]
    };
    errors[0]["extensions"]["code"].as_str().map(str::to_owned)
}

impl WsClient {
    /// The error code of the next message (`None`: it carried no error).
    pub async fn next_error_code(&mut self) -> Option<String> {
        let msg = self
            .next_json(Duration::from_secs(5))
            .await
            .expect("an answer");
        ws_error_code(&msg)
    }

    pub async fn send(&mut self, msg: Value) {
        self.stream
            .send(Message::Text(msg.to_string().into()))
            .await
            .expect("ws send");
    }

    /// The next JSON message, skipping keep-alives; `None` on close or timeout.
    pub async fn next_json(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(wait, self.stream.next())
                .await
                .ok()??;
            match msg.ok()? {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t).expect("ws JSON");
                    if matches!(v["type"].as_str(), Some("ka" | "ping" | "pong")) {
                        continue;
                    }
                    return Some(v);
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The next JSON message (skipping keep-alives), or, when the socket
    /// closes first, its close code (`Err(None)`: no frame, or a timeout).
    pub async fn next_or_close(&mut self, wait: Duration) -> Result<Value, Option<u16>> {
        loop {
            let Ok(Some(Ok(msg))) = tokio::time::timeout(wait, self.stream.next()).await else {
                return Err(None);
            };
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t).expect("ws JSON");
                    if !matches!(v["type"].as_str(), Some("ka" | "ping" | "pong")) {
                        return Ok(v);
                    }
                }
                Message::Close(frame) => return Err(frame.map(|f| f.code.into())),
                _ => {}
            }
        }
    }

    /// The code of the close frame the server sends next, skipping other
    /// messages; `None` if the socket ends without one.
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.stream.next())
                .await
                .ok()??;
            if let Message::Close(frame) = msg.ok()? {
                return frame.map(|f| f.code.into());
            }
        }
    }

    /// `connection_init` and its acknowledgement.
    pub async fn init(&mut self, payload: Value) -> Value {
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        self.next_json(Duration::from_secs(5))
            .await
            .expect("connection_ack or error")
    }
}

/// A database of the test's own, removed when the test ends.
pub enum TestDb {
    /// Another app's database, which that app removes.
    Shared {
        url: String,
    },
    Sqlite {
        path: PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    pub async fn create(dir: &tempfile::TempDir) -> Self {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|v| !v.is_empty())
        {
            None => TestDb::Sqlite {
                path: dir.path().join("test.db"),
            },
            Some(admin_url) => {
                let name = format!("bb_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&format!("/{name}"));
                TestDb::Postgres {
                    admin_url,
                    name,
                    url: url.to_string(),
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        match self {
            TestDb::Postgres { .. } => true,
            TestDb::Shared { url } => url.starts_with("postgres"),
            TestDb::Sqlite { .. } => false,
        }
    }

    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { path } => format!("sqlite://{}?mode=rwc", path.display()),
            TestDb::Postgres { url, .. } | TestDb::Shared { url } => url.clone(),
        }
    }

    /// Makes the database unusable underneath the running app: PostgreSQL
    /// drops it (closing every session); SQLite has its files overwritten.
    pub async fn destroy(&self) {
        match self {
            TestDb::Sqlite { path } => {
                for suffix in ["", "-wal", "-shm"] {
                    let p = PathBuf::from(format!("{}{suffix}", path.display()));
                    if p.exists() {
                        std::fs::write(&p, vec![0xAB; 64 * 1024]).expect("overwrite sqlite file");
                    }
                }
            }
            TestDb::Postgres {
                admin_url, name, ..
            } => drop_pg(admin_url, name).await,
            TestDb::Shared { .. } => panic!("destroy the database through the app that owns it"),
        }
    }

    /// A separate connection to the same database, for assertions.
    pub async fn connect(&self) -> sea_orm::DatabaseConnection {
        Database::connect(self.url())
            .await
            .expect("test connects to its database")
    }
}

async fn drop_pg(admin_url: &str, name: &str) {
    let admin = Database::connect(admin_url).await.expect("connect admin");
    let backend = admin.get_database_backend();
    admin
        .execute_raw(Statement::from_string(
            backend,
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        ))
        .await
        .expect("drop test database");
    admin.close().await.ok();
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
        {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside async; a small runtime of its own does the work.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(drop_pg(&admin_url, &name));
                }
            })
            .join();
        }
    }
}

// ---- identity and access (issue 4) ----

/// The admin every auth test configures through `ADMIN_USER`/`ADMIN_PASSWORD`.
pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-test-password-1";

/// Adds the bootstrap admin to a test's environment.
pub fn with_admin(vars: &mut Vec<(String, String)>) {
    vars.push(("ADMIN_USER".into(), ADMIN_USER.into()));
    vars.push(("ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()));
}

const LOGIN_OP: &str = include_str!("operations/auth/login.graphql");
const CREATE_CLIENT_OP: &str = include_str!("operations/auth/create_client.graphql");

impl TestApp {
    /// `login`; the whole GraphQL response.
    pub async fn login(&self, username: &str, password: &str) -> Value {
        self.graphql(
            LOGIN_OP,
            json!({ "username": username, "password": password }),
        )
        .await
    }

    /// Signs in the bootstrap admin and returns its bearer token.
    pub async fn login_admin(&self) -> String {
        self.login_token(ADMIN_USER, ADMIN_PASSWORD).await
    }

    /// Signs in staff and returns the bearer token.
    pub async fn login_token(&self, username: &str, password: &str) -> String {
        let body = self.login(username, password).await;
        body["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login as {username} failed: {body}"))
            .to_owned()
    }

    /// One GraphQL operation with `Authorization: Bearer <token>`.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.graphql_with(query, variables, |r| r.bearer_auth(token))
            .await
    }

    /// One GraphQL operation with `X-API-Key`, returning the raw response so
    /// tests can check 401/429 answers too.
    pub async fn graphql_key(&self, key: &str, query: &str, variables: Value) -> reqwest::Response {
        self.client
            .post(self.url("/graphql"))
            .header("x-api-key", key)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("POST /graphql")
    }

    /// `createClient` as `token`; returns the new client object.
    pub async fn create_client(&self, token: &str, email: &str, name: &str) -> Value {
        let body = self
            .graphql_as(
                token,
                CREATE_CLIENT_OP,
                json!({ "input": { "email": email, "name": name, "company": "Acme" } }),
            )
            .await;
        assert!(body.get("errors").is_none(), "createClient: {body}");
        body["data"]["createClient"].clone()
    }
}
