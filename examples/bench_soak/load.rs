//! The load: each kind of caller as a task that records its latencies
//! and the errors it saw.

use super::*;

/// Latencies (µs) and errors of one kind of operation.
#[derive(Default)]
pub(crate) struct Op {
    pub(crate) lat: Vec<u64>,
    pub(crate) errors: u64,
    /// Failures a client is meant to see (an injected upstream fault).
    pub(crate) expected: u64,
    pub(crate) first_error: Option<String>,
}

#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) ops: Mutex<BTreeMap<&'static str, Op>>,
}

impl Stats {
    fn ok(&self, op: &'static str, t: Instant) {
        let mut ops = self.ops.lock().unwrap_or_else(|e| e.into_inner());
        ops.entry(op)
            .or_default()
            .lat
            .push(t.elapsed().as_micros() as u64);
    }

    fn err(&self, op: &'static str, expected: bool, what: String) {
        let mut ops = self.ops.lock().unwrap_or_else(|e| e.into_inner());
        let o = ops.entry(op).or_default();
        if expected {
            o.expected += 1;
        } else {
            o.errors += 1;
            o.first_error.get_or_insert(what);
        }
    }
}

pub(crate) async fn reader(
    http: reqwest::Client,
    base: String,
    token: String,
    think: Duration,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let list = gql(&http, &base, Some(&token), READ_LIST, json!({})).await;
        let id = match list {
            Ok(d) => {
                stats.ok("read tickets(first: 20)", t);
                d["tickets"]["edges"][0]["node"]["id"]
                    .as_str()
                    .map(str::to_owned)
            }
            Err(e) => {
                stats.err("read tickets(first: 20)", false, e.to_string());
                None
            }
        };
        tokio::time::sleep(think).await;
        if let Some(id) = id {
            let t = Instant::now();
            match gql(&http, &base, Some(&token), READ_ONE, json!({ "id": id })).await {
                Ok(_) => stats.ok("read ticket(id)", t),
                Err(e) => stats.err("read ticket(id)", false, e.to_string()),
            }
            tokio::time::sleep(think).await;
        }
    }
}

pub(crate) async fn creator(
    http: reqwest::Client,
    base: String,
    tokens: Vec<String>,
    per_sec: f64,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
    created: Arc<Mutex<Vec<String>>>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_sec.max(0.01)));
    for n in 0usize.. {
        tick.tick().await;
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let token = &tokens[n % tokens.len()];
        let t = Instant::now();
        let vars = json!({ "t": format!("Soak ticket {n}") });
        match gql(&http, &base, Some(token), CREATE, vars).await {
            Ok(d) => {
                stats.ok("create ticket", t);
                if let Some(id) = d["createTicket"]["id"].as_str() {
                    created
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(id.to_owned());
                }
            }
            Err(e) => stats.err("create ticket", false, e.to_string()),
        }
    }
}

/// Monday's `update_name` events about board items, each with a fresh
/// trigger; a 503 is Monday's cue to retry (an injected fault upstream).
pub(crate) async fn webhooks(
    http: reqwest::Client,
    base: String,
    board: u64,
    items: Vec<u64>,
    per_sec: u32,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1) / per_sec.max(1));
    let mut inflight = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let item = items[rand::rng().random_range(0..items.len())];
        let body = json!({ "event": {
            "app": "monday", "type": "update_name", "boardId": board, "pulseId": item,
            "triggerUuid": uuid::Uuid::new_v4().to_string(),
            "triggerTime": chrono::Utc::now().to_rfc3339(),
        }});
        let (http, url, stats) = (
            http.clone(),
            format!("{base}/webhooks/monday"),
            stats.clone(),
        );
        inflight.push(tokio::spawn(async move {
            let t = Instant::now();
            match http.post(url).json(&body).send().await {
                Ok(r) if r.status().is_success() => stats.ok("Monday webhook", t),
                Ok(r) if r.status() == 503 => stats.err("Monday webhook", true, "503".to_owned()),
                Ok(r) => stats.err("Monday webhook", false, format!("HTTP {}", r.status())),
                Err(e) => stats.err("Monday webhook", false, e.to_string()),
            }
        }));
        inflight.retain(|t| !t.is_finished());
    }
    for t in inflight {
        let _ = t.await;
    }
}

pub(crate) async fn exporter(
    http: reqwest::Client,
    base: String,
    admin: String,
    every: Duration,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) {
    let mut tick = tokio::time::interval(every);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let t = Instant::now();
        let res = http
            .get(format!("{base}/api/combined_csv"))
            .bearer_auth(&admin)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => match r.bytes().await {
                Ok(_) => stats.ok("CSV export", t),
                Err(e) => stats.err("CSV export", false, e.to_string()),
            },
            // No run has finished yet: nothing to export, not an error.
            Ok(r) if r.status() == 404 || r.status() == 409 => {}
            Ok(r) => stats.err("CSV export", false, format!("HTTP {}", r.status())),
            Err(e) => stats.err("CSV export", false, e.to_string()),
        }
    }
}

/// One subscriber: stays open for the whole run, counting events.
pub(crate) async fn subscribe(
    port: u16,
    token: String,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
    events: Arc<AtomicU64>,
) {
    let t = Instant::now();
    let mut req = match format!("ws://127.0.0.1:{port}/graphql/ws").into_client_request() {
        Ok(r) => r,
        Err(e) => return stats.err("subscription", false, e.to_string()),
    };
    req.headers_mut().insert(
        "sec-websocket-protocol",
        tokio_tungstenite::tungstenite::http::HeaderValue::from_static("graphql-transport-ws"),
    );
    let mut ws = match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => ws,
        Err(e) => return stats.err("subscription", false, e.to_string()),
    };
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    let sub = json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIBE } });
    for m in [init, sub] {
        if let Err(e) = ws.send(Message::Text(m.to_string().into())).await {
            return stats.err("subscription", false, e.to_string());
        }
    }
    let mut opened = false;
    while !stop.load(Ordering::Relaxed) {
        match tokio::time::timeout(Duration::from_millis(500), ws.next()).await {
            Err(_) => continue,
            Ok(Some(Ok(Message::Text(text)))) => {
                let v: Value = serde_json::from_str(&text).unwrap_or_default();
                match v["type"].as_str() {
                    Some("connection_ack") if !opened => {
                        opened = true;
                        stats.ok("subscription", t);
                    }
                    Some("next") if v["payload"].get("errors").is_none() => {
                        events.fetch_add(1, Ordering::Relaxed);
                    }
                    Some("ping") => {
                        let pong = json!({ "type": "pong" }).to_string();
                        let _ = ws.send(Message::Text(pong.into())).await;
                    }
                    Some("ka" | "pong" | "connection_ack") => {}
                    _ => return stats.err("subscription", false, text.to_string()),
                }
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => return stats.err("subscription", false, e.to_string()),
            Ok(None) => return stats.err("subscription", false, "closed by the server".into()),
        }
    }
    let _ = ws.close(None).await;
}

pub(crate) async fn pipeline_runs(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
) -> anyhow::Result<Value> {
    let data = gql(
        http,
        base,
        Some(admin),
        "query { pipelineRuns(first: 50) { edges { node { status } } } }",
        json!({}),
    )
    .await?;
    let mut by_status = BTreeMap::<String, u64>::new();
    for e in data["pipelineRuns"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let s = e["node"]["status"].as_str().unwrap_or("?").to_owned();
        *by_status.entry(s).or_default() += 1;
    }
    Ok(json!(by_status))
}
