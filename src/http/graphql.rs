//! GraphQL transports: POST for queries and mutations, GET for GraphiQL, and a
//! WebSocket speaking both `graphql-transport-ws` and the legacy `graphql-ws`.
//! The caller's identity is resolved here, once, and put in request data.

use async_graphql::Data;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};

use crate::auth::{self, Caller, ClientIp};
use crate::error::AppError;
use crate::graphql::AppSchema;
use crate::state::AppState;

/// GraphiQL is open in sandbox mode; in production only to admins (bearer
/// token or ADMIN API key), since it exists to explore the schema.
pub async fn graphiql(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> Result<Html<String>, AppError> {
    if !app.config.sandbox_mode() {
        auth::RoleGuard::admin().allows(&caller)?;
    }
    Ok(graphiql_page())
}

fn graphiql_page() -> Html<String> {
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
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Result<GraphQLResponse, AppError> {
    let identity = auth::identify_from(&app, &headers, ip).await?;
    let mut request = request.into_inner().data(identity).data(ClientIp(ip));
    crate::graphql::loaders::attach(&mut request.data, &app.db);
    Ok(schema.execute(request).await.into())
}

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
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let identity = auth::identify_ws_from(&app, &payload, ip).await?;
                    let mut data = Data::default();
                    data.insert(identity);
                    data.insert(ClientIp(ip));
                    crate::graphql::loaders::attach(&mut data, &app.db);
                    Ok(data)
                })
                .serve()
        })
        .into_response()
}
