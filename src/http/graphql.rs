//! GraphQL transports: POST for queries and mutations, GET for GraphiQL, and a
//! WebSocket speaking both `graphql-transport-ws` and the legacy `graphql-ws`.
//! The caller's identity is resolved here, once, and put in request data.

use async_graphql::Data;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};

use crate::auth;
use crate::error::AppError;
use crate::graphql::AppSchema;
use crate::state::AppState;

pub async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("bridgeboard GraphiQL")
            .finish(),
    )
}

pub async fn graphql_handler(
    State(app): State<AppState>,
    State(schema): State<AppSchema>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Result<GraphQLResponse, AppError> {
    let identity = auth::identify(&app, &headers).await?;
    let request = request.into_inner().data(identity);
    Ok(schema.execute(request).await.into())
}

pub async fn graphql_ws(
    State(app): State<AppState>,
    State(schema): State<AppSchema>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let identity = auth::identify_ws(&app, &payload).await?;
                    let mut data = Data::default();
                    data.insert(identity);
                    Ok(data)
                })
                .serve()
        })
        .into_response()
}
