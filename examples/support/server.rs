//! A `bridgeboard serve` process for the benchmarks that measure the server
//! on its own (its RSS, its CPU time): started from the release binary
//! beside the benchmark, with only the environment given, and killed when
//! dropped.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Starts the server with `envs` (and `PATH`, `PORT`, `DATA_DIR`) and waits
/// up to `ready_within` for `/ready`; its stderr goes to `stderr`.
pub async fn start(
    envs: Vec<(&str, String)>,
    dir: &std::path::Path,
    stderr: Stdio,
    ready_within: Duration,
) -> anyhow::Result<Server> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("bridgeboard"))
        .context("target dir")?;
    if !bin.exists() {
        bail!("build the server first: cargo build --release --bin bridgeboard");
    }
    let port = free_port()?;
    let child = Command::new(bin)
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORT", port.to_string())
        .env("DATA_DIR", dir.display().to_string())
        .envs(envs)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    let started = std::time::Instant::now();
    while started.elapsed() < ready_within {
        if let Ok(r) = http.get(format!("{}/ready", server.base)).send().await
            && r.status().is_success()
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server at {} never became ready", server.base)
}
