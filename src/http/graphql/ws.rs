//! GraphQL over WebSocket, both `graphql-transport-ws` and the legacy
//! `graphql-ws`. Credentials come in `connection_init`; a refused one closes
//! the socket with 4403 Forbidden, as graphql-transport-ws says, where the
//! library would send 1002 (which clients report as a protocol error).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};

use crate::graphql::AppSchema;
use crate::graphql::guard::{ClientIp, OverWebSocket};
use crate::state::AppState;

/// graphql-transport-ws: "the server MUST close the socket with 4403".
const FORBIDDEN: u16 = 4403;

pub async fn graphql_ws(
    State(app): State<AppState>,
    State(schema): State<AppSchema>,
    ClientIp(ip): ClientIp,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let refused = Arc::new(AtomicBool::new(false));
            let (sink, stream) = socket.split();
            let seen = refused.clone();
            // The library closes a refused init with 1002; ours says 4403.
            let sink = sink.with(move |msg: Message| {
                let msg = match msg {
                    Message::Close(Some(frame))
                        if frame.code == 1002 && seen.load(Ordering::Acquire) =>
                    {
                        Message::Close(Some(CloseFrame {
                            code: FORBIDDEN,
                            reason: "Forbidden".into(),
                        }))
                    }
                    other => other,
                };
                futures_util::future::ready(Ok::<_, axum::Error>(msg))
            });
            GraphQLWebSocket::new_with_pair(sink, stream, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let (identity, token) = match app.authenticator.identify_ws(&payload, ip).await
                    {
                        Ok(found) => found,
                        Err(e) => {
                            refused.store(true, Ordering::Release);
                            return Err(e.into());
                        }
                    };
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
                .serve()
        })
        .into_response()
}
