//! Walks the client-portal loop against a running bridgeboard server:
//! magic link → create a ticket → watch it reach Monday and change there.
//!
//! In sandbox mode (`cargo run --release` with no tokens), the server logs the
//! generated admin password and the sandbox control URL; then:
//!
//! ```sh
//! cargo run --example portal_client -- \
//!     --admin-password <printed password> \
//!     --sandbox-control http://127.0.0.1:<port>/_sandbox
//! ```
//!
//! `--sandbox-control` plays "staff change the status in Monday"; against a
//! real board, change the item in Monday yourself and watch the output.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    #[arg(long, default_value = "portal-demo@example.com")]
    email: String,
    #[arg(long, default_value = "admin")]
    admin_user: String,
    #[arg(long)]
    admin_password: String,
    /// Where the server writes mail when no SMTP server is configured.
    #[arg(long, default_value = "data/outbox")]
    outbox: PathBuf,
    /// The sandbox control API, to play staff editing the ticket in Monday.
    #[arg(long)]
    sandbox_control: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    bridgeboard::startup::install_crypto_provider();
    let http = reqwest::Client::new();
    let gql = |token: Option<String>, query: &'static str, variables: Value| {
        let http = http.clone();
        let url = format!("{}/graphql", args.server);
        async move {
            let mut req = http
                .post(url)
                .json(&json!({ "query": query, "variables": variables }));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let body: Value = req.send().await?.json().await?;
            if let Some(e) = body.get("errors") {
                bail!("GraphQL error: {e}");
            }
            Ok::<_, anyhow::Error>(body["data"].clone())
        }
    };

    let admin = gql(
        None,
        "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }",
        json!({ "u": args.admin_user, "p": args.admin_password }),
    )
    .await?["login"]["token"]
        .as_str()
        .ok_or_else(|| anyhow!("no admin token"))?
        .to_owned();
    // Already a client from an earlier run is fine.
    let _ = gql(
        Some(admin.clone()),
        "mutation($e:String!){ createClient(input:{email:$e,name:\"Portal Demo\"}){ id } }",
        json!({ "e": args.email }),
    )
    .await;

    println!("1. requesting a magic link for {}", args.email);
    // File times use a coarser clock than SystemTime::now(); allow for it.
    let started = std::time::SystemTime::now() - Duration::from_secs(2);
    gql(
        None,
        "mutation($e:String!){ requestMagicLink(email:$e) }",
        json!({ "e": args.email }),
    )
    .await?;
    let link_token = wait_for_link(&args.outbox, &args.email, started).await?;
    let token = gql(
        None,
        "mutation($t:String!){ redeemMagicLink(token:$t){ token } }",
        json!({ "t": link_token }),
    )
    .await?["redeemMagicLink"]["token"]
        .as_str()
        .ok_or_else(|| anyhow!("no client token"))?
        .to_owned();
    println!("   signed in as the client");

    let ws_url = format!("{}/graphql/ws", args.server.replacen("http", "ws", 1));
    let mut req = ws_url.into_client_request()?;
    req.headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let send = |v: Value| Message::Text(v.to_string().into());
    ws.send(send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })))
        .await?;
    ws.send(send(json!({ "id": "1", "type": "subscribe", "payload": { "query":
        "subscription { ticketUpdates { kind changedFields ticket { id number title status syncState mondayItemId } } }" } })))
        .await?;

    println!("2. creating a ticket");
    let ticket = gql(
        Some(token.clone()),
        "mutation { createTicket(input:{title:\"Printer on fire\", description:\"Third floor\", priority:HIGH}){ id number syncState } }",
        json!({}),
    )
    .await?["createTicket"]
        .clone();
    println!("   ticket #{} is {}", ticket["number"], ticket["syncState"]);

    println!("3. watching it live (Ctrl-C to stop)");
    let mut staff_done = false;
    while let Some(msg) = tokio::time::timeout(Duration::from_secs(60), ws.next())
        .await
        .ok()
        .flatten()
    {
        let Message::Text(text) = msg? else { continue };
        let v: Value = serde_json::from_str(&text)?;
        if v["type"] != "next" {
            continue;
        }
        let e = &v["payload"]["data"]["ticketUpdates"];
        let t = &e["ticket"];
        println!(
            "   {} #{}: status {} sync {} (changed: {})",
            e["kind"], t["number"], t["status"], t["syncState"], e["changedFields"]
        );
        if t["status"] != "OPEN" {
            println!("4. the client saw staff's change. Done.");
            return Ok(());
        }
        if let (Some(control), Some(item), false) = (
            &args.sandbox_control,
            t["mondayItemId"].as_str(),
            staff_done,
        ) {
            println!("   staff set the Monday item {item} to \"In Progress\" (sandbox)");
            http.patch(format!("{control}/monday/items/{item}"))
                .json(&json!({ "status": "In Progress" }))
                .send()
                .await?
                .error_for_status()?;
            staff_done = true;
        }
    }
    bail!("no further updates within a minute")
}

/// Waits for the magic-link mail the server writes to its outbox directory.
async fn wait_for_link(
    outbox: &PathBuf,
    email: &str,
    since: std::time::SystemTime,
) -> anyhow::Result<String> {
    for _ in 0..100 {
        if let Ok(dir) = std::fs::read_dir(outbox) {
            for entry in dir.flatten() {
                let fresh = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|m| m >= since);
                let Ok(mail) = std::fs::read_to_string(entry.path()) else {
                    continue;
                };
                if !fresh || !mail.to_lowercase().contains(&email.to_lowercase()) {
                    continue;
                }
                let plain = mail
                    .replace("=\r\n", "")
                    .replace("=\n", "")
                    .replace("=3D", "=");
                if let Some(at) = plain.find("token=") {
                    let token: String = plain[at + 6..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                        .collect();
                    return Ok(token);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(anyhow!("no magic-link mail in {}", outbox.display()))
        .context("is the server writing mail to its outbox (no SMTP_HOST)?")
}
