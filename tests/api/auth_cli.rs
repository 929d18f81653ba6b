//! `bridgeboard user add|passwd|remove` with the password on stdin, and the
//! one-time generated admin password of sandbox mode.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::auth_support::{app_on_db, login_at};
use crate::helpers::TestDb;

fn user_cmd(db_url: &str, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bridgeboard"))
        .current_dir(std::env::temp_dir())
        .env("DATABASE_URL", db_url)
        .env("RUST_LOG", "error")
        .arg("user")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn staff_accounts_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::create(&dir).await;
    let url = db.url();

    let out = user_cmd(
        &url,
        &["add", "Alice", "--role", "admin"],
        "alice-password-1\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created alice"));

    let out = user_cmd(&url, &["add", "bob"], "short\n");
    assert!(!out.status.success(), "a short password is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8"));

    let out = user_cmd(&url, &["add", "bob"], "bob-password-1\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = user_cmd(&url, &["passwd", "bob"], "bob-password-2\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The last admin stays.
    let out = user_cmd(&url, &["remove", "alice"], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("last admin"));

    let base = app_on_db(&url, &[("MONDAY_API_TOKEN", "t")]).await;
    assert!(login_at(&base, "alice", "alice-password-1").await.is_some());
    assert!(login_at(&base, "bob", "bob-password-1").await.is_none());
    assert!(login_at(&base, "bob", "bob-password-2").await.is_some());

    let out = user_cmd(&url, &["remove", "bob"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(login_at(&base, "bob", "bob-password-2").await.is_none());
}

#[tokio::test]
async fn sandbox_mode_without_an_admin_prints_a_generated_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::create(&dir).await;
    let url = db.url();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bridgeboard"))
        .current_dir(dir.path())
        .env("DATABASE_URL", &url)
        .env("DATA_DIR", dir.path().join("data"))
        .env("PORT", "0")
        .env("RUST_LOG", "error")
        .env("SANDBOX_LEADS", "5")
        .env("SANDBOX_EVENTS", "5")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut password = None;
    let mut saw_banner = false;
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        if line.contains("created admin user \"admin\"") {
            saw_banner = true;
        } else if saw_banner && !line.trim().is_empty() {
            password = Some(line.trim().to_owned());
            break;
        }
    }
    child.kill().ok();
    child.wait().ok();
    let password = password.expect("the generated password is printed");
    assert!(password.len() >= 20, "{password}");

    let base = app_on_db(&url, &[("MONDAY_API_TOKEN", "t")]).await;
    assert!(login_at(&base, "admin", &password).await.is_some());
}
