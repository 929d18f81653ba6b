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
