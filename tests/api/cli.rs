//! The binary itself: version, help, config errors and the schema command.

use std::process::Command;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bridgeboard"));
    // Run from an empty directory so no developer .env leaks in.
    let dir = std::env::temp_dir();
    cmd.current_dir(dir);
    cmd
}

#[test]
fn a_bad_config_value_stops_startup_with_one_clear_line() {
    let out = bin().env("PORT", "eighty").arg("serve").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].contains("PORT"), "{stderr}");
    assert!(lines[0].contains("eighty"), "{stderr}");

    let out = bin()
        .env("DATABASE_URL", "mysql://localhost/x")
        .args(["migrate", "status"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}

#[test]
fn version_and_help_on_every_command() {
    let version = format!(" {}\n", env!("CARGO_PKG_VERSION"));
    for args in [
        &["--version"][..],
        &["migrate", "--version"],
        &["migrate", "up", "--version"],
    ] {
        let out = bin().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.starts_with("bridgeboard") && stdout.ends_with(&version),
            "{args:?}: {stdout}"
        );
    }
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "up", "--help"],
    ] {
        let out = bin().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn schema_command_prints_the_sdl() {
    let out = bin().arg("schema").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        bridgeboard::graphql::sdl()
    );
}

#[test]
fn migrate_commands_work_on_a_fresh_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db?mode=rwc", dir.path().display());
    let run = |args: &[&str]| {
        let out = bin().env("DATABASE_URL", &url).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(run(&["migrate", "status"]).contains("Pending"));
    run(&["migrate", "up"]);
    let status = run(&["migrate", "status"]);
    assert!(
        status.contains("Applied") && !status.contains("Pending"),
        "{status}"
    );
    run(&["migrate", "down", "--steps", "100"]);
    assert!(!run(&["migrate", "status"]).contains("Applied"));
    run(&["migrate", "fresh"]);
    assert!(!run(&["migrate", "status"]).contains("Pending"));
}

#[tokio::test(flavor = "multi_thread")]
async fn healthcheck_exits_zero_only_while_the_server_answers() {
    let app = crate::helpers::spawn_app().await;
    // Whether `healthcheck` succeeds with these environment variables and
    // arguments; its stderr.
    let check = |env: &[(&str, &str)], url: Option<String>| {
        let mut cmd = bin();
        cmd.envs(env.iter().copied()).arg("healthcheck");
        if let Some(u) = url {
            cmd.args(["--url", &u]);
        }
        let out = tokio::task::block_in_place(|| cmd.output().unwrap());
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.success(), stderr)
    };
    // The way a container asks: HOST and PORT from the environment.
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let (ok, err) = check(&[("HOST", "0.0.0.0"), ("PORT", &port)], None);
    assert!(ok, "{err}");
    let (ok, err) = check(&[], Some(format!("{}/health", app.address)));
    assert!(ok, "{err}");
    // A page that is not there, and a port nobody listens on, are unhealthy.
    let (ok, _) = check(&[], Some(format!("{}/nowhere", app.address)));
    assert!(!ok);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/health", closed.local_addr().unwrap());
    drop(closed);
    let (ok, err) = check(&[], Some(dead.clone()));
    assert!(!ok);
    assert!(err.contains(&dead), "{err}");
}
