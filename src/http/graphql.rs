//! GraphQL transports: POST for queries and mutations, GET for GraphiQL, and a
//! WebSocket speaking both `graphql-transport-ws` and the legacy `graphql-ws`.
//! The caller's identity is resolved here, once, and put in request data.
//! Repeated ticket reads are answered from the response cache.

use async_graphql::Data;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::body::Bytes;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::extract::Caller;
use crate::auth;
use crate::error::AppError;
use crate::graphql::AppSchema;
use crate::graphql::guard::{ClientIp, OverWebSocket};
use crate::graphql::response_cache::{Cacheable, Lookup, OperationName};
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
) -> Result<Response, AppError> {
    let identity = app.authenticator.identify(&headers, ip).await?;
    let request = request.into_inner();
    let cache = &app.responses;
    let key = cache.key(&identity, &request);
    let run = match key.as_ref().map(|k| cache.lookup(k)) {
        Some(Lookup::Hit(body)) => return Ok(json(body)),
        Some(Lookup::Wait(waiter)) => match waiter.answer().await {
            Some(body) => return Ok(json(body)),
            None => None,
        },
        Some(Lookup::Run(run)) => Some(run),
        None => None,
    };
    let cacheable = Cacheable::default();
    let operation = key
        .is_some()
        .then(|| OperationName(request.operation_name.clone()));
    let mut request = request.data(identity).data(ClientIp(ip));
    if let Some(operation) = operation {
        request = request.data(cacheable.clone()).data(operation);
    }
    crate::graphql::loaders::attach(&mut request.data, &app);
    let response = schema.execute(request).await;
    let (Some(key), Some(run)) = (key, run) else {
        return Ok(GraphQLResponse::from(response).into_response());
    };
    let scopes = cacheable.get();
    let Some(scopes) = scopes.filter(|_| response.is_ok() && response.http_headers.is_empty())
    else {
        cache.finish(key, run, None);
        return Ok(GraphQLResponse::from(response).into_response());
    };
    let run = run.reading(scopes);
    let body = match serde_json::to_vec(&response) {
        Ok(b) => Bytes::from(b),
        Err(e) => {
            cache.finish(key, run, None);
            return Err(AppError::internal(e));
        }
    };
    cache.finish(key, run, Some(body.clone()));
    Ok(json(body))
}

/// What `GraphQLResponse` sends, for a body serialised once and kept.
fn json(body: Bytes) -> Response {
    let mut response = Response::new(body.into());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/graphql-response+json"),
    );
    response
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
                    let (identity, token) = app.authenticator.identify_ws(&payload, ip).await?;
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
