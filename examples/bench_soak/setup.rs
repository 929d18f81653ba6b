//! Starting the release server against the sandbox, and signing in
//! the admin and the portal clients the load runs as.

use super::*;

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds the release binary if needed and starts it against the sandbox.
pub(crate) async fn serve(
    sandbox: &SandboxHandle,
    db_url: &str,
    dir: &std::path::Path,
) -> anyhow::Result<Server> {
    let exe = std::env::current_exe()?;
    let target = exe
        .parent()
        .and_then(|p| p.parent())
        .context("target dir")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // Built together with this example, so dependencies get the same
    // features and the binary is the one `cargo run --example` left fresh
    // (building the binary alone would rebuild them with fewer).
    let built = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--bin",
            "bridgeboard",
            "--example",
            "bench_soak",
        ])
        .status()?;
    if !built.success() {
        bail!("cargo build --release --bin bridgeboard --example bench_soak failed");
    }
    let bin = target.join("bridgeboard");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(bin)
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs([
            ("HOST", "127.0.0.1".to_owned()),
            ("PORT", port.to_string()),
            ("DATABASE_URL", db_url.to_owned()),
            ("DATA_DIR", dir.join("data").display().to_string()),
            ("MONDAY_API_URL", sandbox.monday_url().to_owned()),
            ("MONDAY_API_TOKEN", sandbox.monday_token().to_owned()),
            (
                "MONDAY_TICKETS_BOARD_ID",
                sandbox.tickets_board_id().to_string(),
            ),
            (
                "MONDAY_LEADS_BOARD_ID",
                sandbox.leads_board_id().to_string(),
            ),
            ("CALENDLY_API_URL", sandbox.calendly_url().to_owned()),
            ("CALENDLY_ACCESS_TOKEN", sandbox.calendly_token().to_owned()),
            ("PIPELINE_CRON", "0 */2 * * * *".to_owned()),
            ("ADMIN_USER", ADMIN.to_owned()),
            ("ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned()),
            ("RUST_LOG", "error".to_owned()),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        port,
    };
    let client = reqwest::Client::new();
    for _ in 0..1200 {
        if let Ok(r) = client.get(format!("{}/ready", server.base)).send().await
            && r.status().is_success()
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become ready")
}

pub(crate) async fn gql(
    http: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let mut req = http
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await?;
    let status = res.status();
    let body: Value = res.json().await?;
    if !status.is_success() || body.get("errors").is_some() {
        bail!("HTTP {status}: {body}");
    }
    Ok(body["data"].clone())
}

pub(crate) async fn login(http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let data = gql(
        http,
        base,
        None,
        "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
        json!({ "u": ADMIN, "p": ADMIN_PASSWORD }),
    )
    .await?;
    data["login"]["token"]
        .as_str()
        .map(str::to_owned)
        .context("admin token")
}

/// Creates portal clients and signs each in through its magic-link mail.
pub(crate) async fn sign_in_clients(
    http: &reqwest::Client,
    server: &Server,
    admin: &str,
    dir: &std::path::Path,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let mut tokens = Vec::new();
    for i in 0..n {
        let email = format!("soak{i}@example.com");
        gql(
            http,
            &server.base,
            Some(admin),
            "mutation($i: CreateClientInput!) { createClient(input: $i) { id } }",
            json!({ "i": { "email": email, "name": format!("Soak {i}"), "company": "Soak" } }),
        )
        .await?;
        gql(
            http,
            &server.base,
            None,
            "mutation($e: String!) { requestMagicLink(email: $e) }",
            json!({ "e": email }),
        )
        .await?;
        let link = magic_token(&dir.join("data").join("outbox"), &email).await?;
        let data = gql(
            http,
            &server.base,
            None,
            "mutation($t: String!) { redeemMagicLink(token: $t) { token } }",
            json!({ "t": link }),
        )
        .await?;
        tokens.push(
            data["redeemMagicLink"]["token"]
                .as_str()
                .context("client token")?
                .to_owned(),
        );
    }
    Ok(tokens)
}

pub(crate) async fn magic_token(outbox: &std::path::Path, email: &str) -> anyhow::Result<String> {
    for _ in 0..100 {
        let mail = std::fs::read_dir(outbox)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .find(|m| m.contains(email));
        if let Some(mail) = mail {
            let plain = mail
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=");
            let at = plain.find("token=").context("link in mail")? + 6;
            return Ok(plain[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(anyhow!("no magic-link mail for {email}"))
}

/// Monday item ids of tickets on the board (what webhooks name).
pub(crate) async fn board_items(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
) -> anyhow::Result<Vec<u64>> {
    let data = gql(
        http,
        base,
        Some(admin),
        "query { tickets(first: 100) { edges { node { mondayItemId } } } }",
        json!({}),
    )
    .await?;
    let items: Vec<u64> = data["tickets"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["mondayItemId"].as_str()?.parse().ok())
        .collect();
    anyhow::ensure!(!items.is_empty(), "no synced tickets: {data}");
    Ok(items)
}
