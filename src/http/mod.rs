//! The HTTP surface: GraphQL over HTTP and WebSocket, health probes, the
//! domains' REST faces, and the middleware every route shares (request ids,
//! tracing, CORS, panic guard).

pub mod api;
pub mod attachments;
mod dashboard;
pub mod extract;
pub mod forwarded;
pub mod graphql;
mod health;
pub mod notifications;
pub mod pipeline;
pub mod prometheus;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::ServerConfig;
use crate::error::AppError;
use crate::graphql::AppSchema;
use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Router state; handlers extract the part they need through `FromRef`.
#[derive(Clone, FromRef)]
pub struct HttpState {
    pub app: AppState,
    pub schema: AppSchema,
}

/// The shared routes, plus each domain module's own.
pub fn router(app: AppState, schema: AppSchema, modules: Vec<Router<HttpState>>) -> Router {
    let cors = cors(&app.config.server);
    let proxies = Arc::new(app.config.server.trusted_proxies.clone());
    let base = Router::new()
        .route("/", get(health::health))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(graphql::graphql_ws))
        .route("/metrics", get(prometheus::local))
        .route("/api/openapi.json", get(api::openapi::serve))
        .merge(api::routes())
        .merge(dashboard::routes());
    modules
        .into_iter()
        .fold(base, Router::merge)
        .route_layer(axum::middleware::from_fn(prometheus::track))
        .fallback(not_found)
        .with_state(HttpState { app, schema })
        .layer(axum::middleware::from_fn_with_state(
            proxies,
            forwarded::client_address,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(make_span)
                        .on_failure(on_failure),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::custom(on_panic))
                .layer(cors),
        )
}

fn make_span<B>(req: &Request<B>) -> tracing::Span {
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %request_id,
    )
}

/// A 503 is the server saying "not now" (not ready while it starts or
/// drains, an upstream away) rather than failing: a warning, so probes
/// polling `/ready` during a deploy do not fill the error log.
fn on_failure(class: ServerErrorsFailureClass, latency: Duration, _span: &tracing::Span) {
    let latency_ms = latency.as_millis() as u64;
    match class {
        ServerErrorsFailureClass::StatusCode(StatusCode::SERVICE_UNAVAILABLE) => {
            tracing::warn!(latency_ms, "service unavailable (503)");
        }
        other => tracing::error!(classification = %other, latency_ms, "response failed"),
    }
}

fn on_panic(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::internal(anyhow::anyhow!("handler panicked")).into_response()
}

async fn not_found() -> Response {
    AppError::NotFound("no such route".to_owned()).into_response()
}

fn cors(cfg: &ServerConfig) -> CorsLayer {
    let base = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-api-key"),
        ])
        .expose_headers([
            REQUEST_ID,
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
            header::ETAG,
            header::CONTENT_DISPOSITION,
            api::SNAPSHOT_RUN,
            api::SNAPSHOT_AT,
        ])
        .max_age(Duration::from_secs(600));
    if cfg.allowed_origins.iter().any(|o| o == "*") {
        return base.allow_origin(AllowOrigin::any());
    }
    let origins: Vec<HeaderValue> = cfg
        .allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    base.allow_origin(origins).allow_credentials(true)
}

/// Used by handlers that need a plain status with a JSON body.
pub fn json_status(status: StatusCode, body: impl serde::Serialize) -> Response {
    (status, axum::Json(body)).into_response()
}
