//! GraphQL over WebSocket, both `graphql-transport-ws` and the legacy
//! `graphql-ws`. Credentials come in `connection_init`; a refused one closes
//! the socket with 4403 Forbidden, as graphql-transport-ws says, where the
//! library would send 1002 (which clients report as a protocol error). A
//! socket whose session ends or whose key is revoked, through any replica,
//! is closed with 4403 too.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{BoxStream, SplitSink};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tracing::Instrument;

use crate::auth::{Identity, SessionToken};
use crate::changes::Change;
use crate::error::AppError;

use crate::graphql::AppSchema;
use crate::graphql::guard::{ClientIp, OverWebSocket};
use crate::state::AppState;

/// graphql-transport-ws: "the server MUST close the socket with 4403".
const FORBIDDEN: u16 = 4403;
/// RFC 6455: the server is going away.
const GOING_AWAY: u16 = 1001;

pub async fn graphql_ws(
    State(app): State<AppState>,
    State(schema): State<AppSchema>,
    ClientIp(ip): ClientIp,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    // The socket lives in a task of its own: it logs under the request id
    // of its upgrade.
    let span = tracing::Span::current();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let open = app.lifecycle.socket_opened();
            let app_for_watch = app.clone();
            // Heard from the start, so a revocation that races the init is
            // not missed.
            let changes = app.changes.credential_changes();
            let (credentials, found_credentials) = watch::channel(None::<Arc<Credentials>>);
            let refused = Arc::new(AtomicBool::new(false));
            let live = Live::default();
            let (sink, stream) = socket.split();
            let stream = stream.inspect({
                let live = live.clone();
                move |msg| {
                    if let Ok(Message::Text(text)) = msg {
                        live.heard_from_client(text);
                    }
                }
            });
            let closing = app.lifecycle.closing();
            // The library writes into a channel; `forward` puts its frames on
            // the socket, and can close the socket itself.
            let (tx, rx) = mpsc::channel::<Message>(16);
            let out = futures_util::sink::unfold(tx, |tx, msg: Message| async move {
                tx.send(msg).await.map_err(axum::Error::new)?;
                Ok::<_, axum::Error>(tx)
            });
            let (seen, found) = (refused.clone(), credentials);
            let serve = GraphQLWebSocket::new_with_pair(out, stream, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let (identity, token) = match app.authenticator.identify_ws(&payload, ip).await
                    {
                        Ok(found) => found,
                        Err(e) => {
                            seen.store(true, Ordering::Release);
                            return Err(e.into());
                        }
                    };
                    found.send_replace(Some(Arc::new(Credentials {
                        identity: identity.clone(),
                        token: token.clone(),
                    })));
                    let mut data = Data::default();
                    data.insert(identity);
                    data.insert(OverWebSocket);
                    if let Some(token) = token {
                        data.insert(token);
                    }
                    data.insert(ClientIp(ip));
                    crate::graphql::loaders::attach(&mut data, &app);
                    Ok(data)
                })
                .serve();
            let revoked = revoked(app_for_watch, changes, found_credentials);
            async move {
                let ends = Ends {
                    revoked,
                    closing,
                    refused,
                    live,
                };
                forward(sink, rx, serve, ends).await;
                tracing::debug!("websocket closed");
                drop(open);
            }
            .instrument(span)
        })
        .into_response()
}

/// Who opened the socket, once `connection_init` accepted them.
struct Credentials {
    identity: Identity,
    token: Option<SessionToken>,
}

/// What can end a socket besides its client.
struct Ends<R, C> {
    revoked: R,
    closing: C,
    refused: Arc<AtomicBool>,
    live: Live,
}

/// Moves the library's frames to the socket until either side ends. Closes
/// the socket itself when its credentials are revoked (4403), or when the
/// server shuts down: each live subscription is completed first, then the
/// socket closes with 1001 Going Away.
async fn forward(
    mut sink: SplitSink<WebSocket, Message>,
    mut frames: mpsc::Receiver<Message>,
    serve: impl Future<Output = ()>,
    ends: Ends<impl Future<Output = ()>, impl Future<Output = ()>>,
) {
    let Ends {
        revoked,
        closing,
        refused,
        live,
    } = ends;
    tokio::pin!(serve, revoked, closing);
    let mut serving = true;
    loop {
        tokio::select! {
            frame = frames.recv() => {
                let Some(frame) = frame else { break };
                let frame = match frame {
                    // The library closes a refused init with 1002; ours says 4403.
                    Message::Close(Some(f)) if f.code == 1002 && refused.load(Ordering::Acquire) => {
                        close(FORBIDDEN, "Forbidden")
                    }
                    Message::Text(text) => {
                        live.sent_to_client(&text);
                        Message::Text(text)
                    }
                    other => other,
                };
                if sink.send(frame).await.is_err() {
                    break;
                }
            }
            // Done: its last frames are still in the channel, which closes
            // once they are read.
            () = &mut serve, if serving => serving = false,
            () = &mut revoked => {
                let _ = sink.send(close(FORBIDDEN, "Credentials revoked")).await;
                break;
            }
            () = &mut closing => {
                for id in live.ids() {
                    let done = serde_json::json!({ "id": id, "type": "complete" }).to_string();
                    if sink.send(Message::Text(done.into())).await.is_err() {
                        return;
                    }
                }
                let _ = sink.send(close(GOING_AWAY, "Server shutting down")).await;
                break;
            }
        }
    }
}

/// The ids of the operations running on one socket, followed from the
/// protocol frames both ways (graphql-transport-ws and graphql-ws name them
/// alike).
#[derive(Clone, Default)]
struct Live(Arc<Mutex<Vec<String>>>);

#[derive(serde::Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
}

impl Live {
    fn heard_from_client(&self, text: &str) {
        // Only frames that start or stop an operation are read.
        if !["\"subscribe\"", "\"start\"", "\"complete\"", "\"stop\""]
            .iter()
            .any(|k| text.contains(k))
        {
            return;
        }
        let Ok(Frame { kind, id: Some(id) }) = serde_json::from_str(text) else {
            return;
        };
        let mut ids = self.lock();
        match kind.as_str() {
            "subscribe" | "start" if !ids.contains(&id) => ids.push(id),
            "complete" | "stop" => ids.retain(|i| *i != id),
            _ => {}
        }
    }

    fn sent_to_client(&self, text: &str) {
        if !(text.contains("\"complete\"") || text.contains("\"error\"")) {
            return;
        }
        if let Ok(Frame { kind, id: Some(id) }) = serde_json::from_str(text)
            && (kind == "complete" || kind == "error")
        {
            self.lock().retain(|i| *i != id);
        }
    }

    fn ids(&self) -> Vec<String> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Completes when the socket's session ends or its API key is revoked, on
/// this replica or any other. A change naming them ends it at once; a change
/// of unknown reach (accounts changed, the change stream back after a gap)
/// has the credentials checked again.
async fn revoked(
    app: AppState,
    mut changes: BoxStream<'static, Arc<Change>>,
    mut credentials: watch::Receiver<Option<Arc<Credentials>>>,
) {
    // Something that may concern these credentials happened before they
    // were known: they are checked as soon as they are.
    let mut unsure = false;
    // Until the init's sender is gone (after init, whatever its outcome).
    let mut initialising = true;
    loop {
        let change = tokio::select! {
            change = changes.next() => match change {
                Some(c) => c,
                // The signal outlives every socket; should it end, stay open.
                None => return std::future::pending::<()>().await,
            },
            known = credentials.changed(), if initialising => {
                initialising = known.is_ok();
                if !std::mem::take(&mut unsure) || credentials.borrow().is_none() {
                    continue;
                }
                Arc::new(Change::AccountsChanged)
            }
        };
        let current = credentials.borrow().clone();
        let Some(c) = current else {
            unsure |= matches!(
                change.as_ref(),
                Change::SessionEnded { .. }
                    | Change::ApiKeyRevoked { .. }
                    | Change::AccountsChanged
            );
            continue;
        };
        if ended(&app, &c, &change).await {
            return;
        }
    }
}

/// How many sockets of this process recheck their credentials at a time.
/// An account change (or a relay that reconnects) makes every open socket
/// recheck together; a few at a time, the first of each session or key
/// fills the identity cache and the others with the same credentials find
/// it there, and requests keep their database connections meanwhile.
static RECHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Whether `change` ends the credentials `c`.
async fn ended(app: &AppState, c: &Credentials, change: &Change) -> bool {
    match (change, &c.identity) {
        (Change::SessionEnded { jti }, who) => who.jti() == Some(jti.as_str()),
        (Change::ApiKeyRevoked { key_id }, Identity::ApiKey { key_id: ours, .. }) => key_id == ours,
        (Change::AccountsChanged, Identity::ApiKey { key_id, .. }) => {
            let _turn = RECHECKS.acquire().await;
            !app.api_keys.still_active(*key_id).await
        }
        (Change::AccountsChanged, _) => match &c.token {
            Some(t) => {
                let _turn = RECHECKS.acquire().await;
                app.sessions
                    .from_token(&t.0)
                    .await
                    .is_err_and(|e| matches!(e, AppError::Unauthenticated(_)))
            }
            None => false,
        },
        _ => false,
    }
}
