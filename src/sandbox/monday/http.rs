//! The HTTP face of the API: token and `API-Version` checks, the complexity
//! charge made before execution (429 when exhausted), and Monday's response
//! envelope (`extensions.request_id`, `status_code`, top-level `account_id`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::MondaySim;
use super::complexity::{MAX_QUERY_COST, query_cost};
use super::inputs::VersionKind;
use super::schema::{MondaySchema, RequestInfo};
use super::store::ACCOUNT_ID;

/// Used when a request names no version (Monday then serves "current").
pub const DEFAULT_VERSION: &str = "2026-07";

/// The versions served, as of the 2026-09 docs.
pub const VERSIONS: &[(&str, VersionKind)] = &[
    ("2025-10", VersionKind::Deprecated),
    ("2026-01", VersionKind::PreviousMaintenance),
    ("2026-04", VersionKind::Maintenance),
    ("2026-07", VersionKind::Current),
    ("2026-10", VersionKind::ReleaseCandidate),
];

#[derive(Clone)]
pub struct HttpState {
    pub sim: Arc<MondaySim>,
    pub schema: MondaySchema,
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn error(status: StatusCode, message: &str, code: &str, request_id: &str) -> Response {
    reply(
        status,
        json!({
            "errors": [{"message": message, "extensions": {
                "code": code, "status_code": status.as_u16(), "error_data": {}, "request_id": request_id,
            }}],
            "account_id": ACCOUNT_ID,
        }),
    )
}

#[derive(serde::Deserialize)]
struct Body {
    query: Option<String>,
    #[serde(default)]
    variables: Option<Value>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
}

pub async fn graphql(State(state): State<HttpState>, headers: HeaderMap, body: Bytes) -> Response {
    execute(state, headers, body, super::assets::Uploads::default()).await
}

/// One request, JSON or (from the file endpoint) with its files beside it.
pub async fn execute(
    state: HttpState,
    headers: HeaderMap,
    body: Bytes,
    uploads: super::assets::Uploads,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let sim = &state.sim;
    sim.count_request();

    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|t| t.trim());
    let token = token.map(|t| t.strip_prefix("Bearer ").unwrap_or(t).trim());
    if token != Some(sim.options().token.as_str()) {
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({
                "errors": [{"message": "Not Authenticated", "extensions": {
                    "code": "Unauthorized", "status_code": 401, "error_data": {}, "request_id": request_id,
                }}],
                "error_message": "Not Authenticated",
                "status_code": 401,
            }),
        );
    }

    let asked = headers
        .get("api-version")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let (version, version_kind) = match asked {
        None | Some("") => (DEFAULT_VERSION, VersionKind::Current),
        Some(v) => match VERSIONS.iter().find(|(name, _)| *name == v) {
            Some((name, kind)) => (*name, *kind),
            None => {
                let msg = format!(
                    "The API version {v} is invalid. Available versions: {}",
                    VERSIONS.iter().map(|v| v.0).collect::<Vec<_>>().join(", ")
                );
                return error(
                    StatusCode::BAD_REQUEST,
                    &msg,
                    "InvalidVersionException",
                    &request_id,
                );
            }
        },
    };

    let Ok(body) = serde_json::from_slice::<Body>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Request body must be JSON with a query",
            "BadRequest",
            &request_id,
        );
    };
    let Some(query) = body.query.filter(|q| !q.trim().is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "No query string was present",
            "BadRequest",
            &request_id,
        );
    };
    let variables = body
        .variables
        .filter(|v| v.is_object())
        .unwrap_or_else(|| json!({}));

    let cost = match async_graphql::parser::parse_query(&query) {
        Ok(doc) => query_cost(&doc, body.operation_name.as_deref(), &variables),
        Err(_) => 0,
    };
    if cost > MAX_QUERY_COST {
        let msg = format!(
            "Query has complexity of {cost}, which exceeds max complexity of {MAX_QUERY_COST}"
        );
        return error(StatusCode::OK, &msg, "ComplexityException", &request_id);
    }
    let charge = match sim.charge(cost) {
        Ok(c) => c,
        Err(e) => {
            let mut resp = reply(
                StatusCode::TOO_MANY_REQUESTS,
                json!({
                    "errors": [{"message": "Complexity budget exhausted", "extensions": {
                        "code": "COMPLEXITY_BUDGET_EXHAUSTED",
                        "complexity": e.cost,
                        "complexity_budget_left": e.left,
                        "complexity_budget_limit": e.limit,
                        "retry_in_seconds": e.retry_in_seconds,
                        "status_code": 429,
                        "request_id": request_id,
                    }}],
                    "account_id": ACCOUNT_ID,
                }),
            );
            if let Ok(v) = HeaderValue::from_str(&e.retry_in_seconds.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return resp;
        }
    };

    let mut request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables))
        .data(RequestInfo {
            charge,
            version,
            version_kind,
        })
        .data(uploads);
    if let Some(op) = body.operation_name {
        request = request.operation_name(op);
    }
    let response = state.schema.execute(request).await;
    if response.errors.is_empty() {
        // The common case, serialized straight to text: big pages are
        // hundreds of kilobytes, and an intermediate document doubles the work.
        let out = Envelope {
            response: &response,
            account_id: ACCOUNT_ID,
        };
        if let Ok(text) = serde_json::to_string(&out) {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                text,
            )
                .into_response();
        }
    }
    let mut out = serde_json::to_value(&response).unwrap_or_else(|_| json!({"data": null}));
    let has_errors = shape_errors(&mut out, &request_id);
    if let Value::Object(m) = &mut out {
        m.insert("account_id".into(), json!(ACCOUNT_ID));
    }
    let mut resp = reply(StatusCode::OK, out);
    if has_errors {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("0"));
    }
    resp
}

#[derive(serde::Serialize)]
struct Envelope<'a> {
    #[serde(flatten)]
    response: &'a async_graphql::Response,
    account_id: u64,
}

/// Gives every error Monday's extensions; parse and validation errors (which
/// async-graphql raises without a code) get `GRAPHQL_VALIDATION_FAILED`.
fn shape_errors(out: &mut Value, request_id: &str) -> bool {
    let Some(errors) = out.get_mut("errors").and_then(Value::as_array_mut) else {
        return false;
    };
    for e in errors.iter_mut() {
        let Value::Object(err) = e else { continue };
        let ext = err.entry("extensions").or_insert_with(|| json!({}));
        if let Value::Object(ext) = ext {
            ext.entry("code")
                .or_insert_with(|| json!("GRAPHQL_VALIDATION_FAILED"));
            ext.entry("status_code").or_insert_with(|| json!(200));
            ext.entry("error_data").or_insert_with(|| json!({}));
            ext.insert("request_id".into(), json!(request_id));
        }
    }
    !errors.is_empty()
}
