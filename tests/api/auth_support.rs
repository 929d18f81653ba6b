//! Shared pieces of the identity-and-access tests: apps with an admin (and
//! optionally a real SMTP sink), a second app on the same database (a
//! restart), and a dump of every text value in the database.

use std::time::Duration;

use bridgeboard::{Application, Config};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::{Value, json};

pub use crate::helpers::code;
use crate::helpers::{TestApp, spawn_app_with, with_admin};
use crate::smtp::{Received, SmtpSink};

pub const REQUEST_MAGIC_LINK: &str = include_str!("operations/auth/request_magic_link.graphql");
pub const REDEEM_MAGIC_LINK: &str = include_str!("operations/auth/redeem_magic_link.graphql");
pub const ME: &str = include_str!("operations/auth/me.graphql");
pub const LOGOUT: &str = include_str!("operations/auth/logout.graphql");
pub const CREATE_API_KEY: &str = include_str!("operations/auth/create_api_key.graphql");
pub const AUDIT_LOG: &str = include_str!("operations/auth/audit_log.graphql");

/// An app with the bootstrap admin; `extra` adds variables.
pub async fn auth_app(extra: &[(&str, &str)]) -> TestApp {
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    spawn_app_with(|vars| {
        with_admin(vars);
        vars.extend(extra);
    })
    .await
}

/// An app that sends mail to a fresh SMTP sink.
pub async fn auth_app_with_smtp(extra: &[(&str, &str)]) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let mut vars = Vec::new();
    sink.env(&mut vars);
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .chain(vars)
        .collect();
    let app = spawn_app_with(|v| {
        with_admin(v);
        v.extend(extra);
    })
    .await;
    (app, sink)
}

/// Asks for a link for `email` and waits for the mail.
pub async fn request_link(app: &TestApp, sink: &SmtpSink, email: &str) -> Received {
    let body = app
        .graphql(REQUEST_MAGIC_LINK, json!({ "email": email }))
        .await;
    assert_eq!(body["data"]["requestMagicLink"], true, "{body}");
    sink.next(Duration::from_secs(10))
        .await
        .expect("the magic-link mail arrives")
}

pub async fn redeem(app: &TestApp, token: &str) -> Value {
    app.graphql(REDEEM_MAGIC_LINK, json!({ "token": token }))
        .await
}

/// Starts a second application on `app`'s database (as after a restart) and
/// returns its base URL. It keeps running until the test ends.
pub async fn restart_on_same_db(app: &TestApp) -> String {
    let admin = vec![
        ("ADMIN_USER", crate::helpers::ADMIN_USER),
        ("ADMIN_PASSWORD", crate::helpers::ADMIN_PASSWORD),
        // Not sandbox mode: no simulators needed for this second instance.
        ("MONDAY_API_TOKEN", "test-token"),
    ];
    app_on_db(&app.db.url(), &admin).await
}

/// Starts an application on the database at `url` with `extra` variables and
/// returns its base URL. It keeps running until the test ends.
pub async fn app_on_db(url: &str, extra: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut vars = vec![
        ("HOST".to_owned(), "127.0.0.1".to_owned()),
        ("PORT".to_owned(), "0".to_owned()),
        ("DATABASE_URL".to_owned(), url.to_owned()),
        ("DATABASE_MAX_CONNECTIONS".to_owned(), "4".to_owned()),
        ("DATA_DIR".to_owned(), dir.path().display().to_string()),
    ];
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let config = Config::from_vars(vars).expect("config");
    let second = Application::build(config).await.expect("app builds");
    let base = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(async move {
        let _keep = dir;
        second.run_until(std::future::pending()).await
    });
    base
}

/// `login` against the server at `base`; the token, if it worked.
pub async fn login_at(base: &str, username: &str, password: &str) -> Option<String> {
    let body: Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&json!({
            "query": include_str!("operations/auth/login.graphql"),
            "variables": { "username": username, "password": password },
        }))
        .send()
        .await
        .expect("POST /graphql")
        .json()
        .await
        .expect("JSON");
    body["data"]["login"]["token"].as_str().map(str::to_owned)
}

/// Every value of every column of every table, as text.
pub async fn dump_database(app: &TestApp) -> Vec<String> {
    let db = app.db.connect().await;
    let backend = db.get_database_backend();
    let columns: Vec<(String, String)> = match backend {
        DatabaseBackend::Sqlite => {
            let mut out = Vec::new();
            let tables = db
                .query_all_raw(Statement::from_string(
                    backend,
                    "SELECT name FROM sqlite_master WHERE type = 'table'",
                ))
                .await
                .expect("tables");
            for t in tables {
                let table: String = t.try_get("", "name").expect("name");
                let cols = db
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("SELECT name FROM pragma_table_info('{table}')"),
                    ))
                    .await
                    .expect("columns");
                for c in cols {
                    out.push((table.clone(), c.try_get("", "name").expect("column")));
                }
            }
            out
        }
        _ => db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns WHERE table_schema = 'public'",
            ))
            .await
            .expect("columns")
            .into_iter()
            .map(|r| (r.try_get("", "t").expect("t"), r.try_get("", "c").expect("c")))
            .collect(),
    };
    let mut values = Vec::new();
    for (table, column) in columns {
        // quote() renders blobs as hex on SQLite, so every value is text.
        let expr = match backend {
            DatabaseBackend::Sqlite => format!("quote(\"{column}\")"),
            _ => format!("\"{column}\"::text"),
        };
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!("SELECT {expr} AS v FROM \"{table}\""),
            ))
            .await
            .expect("select column");
        for r in rows {
            if let Ok(Some(v)) = r.try_get::<Option<String>>("", "v") {
                values.push(v);
            }
        }
    }
    values
}
