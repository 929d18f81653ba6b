//! GraphQL over HTTP, by the GraphQL-over-HTTP spec: POST (one operation or
//! a batch) and GET (queries only; GraphiQL for a browser with no query),
//! with Apollo's automatic persisted queries on both, and a WebSocket
//! speaking `graphql-transport-ws` and the legacy `graphql-ws`.
//! The caller's identity is resolved here, once, and put in request data.
//! Repeated ticket reads are answered from the response cache.

mod answer;
mod media;
mod multipart;
pub mod request;
mod ws;

use async_graphql::parser::types::{DocumentOperations, OperationType};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;

pub use ws::graphql_ws;

use answer::{Audience, Refusal};
use media::Media;
use request::{Limits, Operations};

use crate::auth::{self, Identity};
use crate::error::AppError;
use crate::graphql::AppSchema;
use crate::graphql::guard::ClientIp;
use crate::graphql::policy::OperationSeen;
use crate::graphql::response_cache::{Cacheable, Lookup, OperationName};
use crate::state::AppState;

fn limits(app: &AppState) -> Limits {
    Limits {
        max_body_bytes: app.config.graphql.max_body_bytes,
        max_batch: app.config.graphql.max_batch,
    }
}

pub async fn post(
    State(app): State<AppState>,
    State(schema): State<AppSchema>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let media = media::negotiate(&headers);
    let limits = limits(&app);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if multipart::is_multipart(content_type) {
        // Files make a body large: only a signed-in caller may make us read
        // one, so the caller is known before the body is read.
        let identity = match app.authenticator.identify(&headers, ip).await {
            Ok(i) if i.is_authenticated() => i,
            Ok(_) => {
                let e = AppError::Unauthenticated("sign in to send files".to_owned());
                return answer::refused(media, e.into());
            }
            Err(e) => return answer::refused(media, e.into()),
        };
        let files = &app.config.attachments;
        let limit = multipart::body_limit(limits, files.max_bytes, files.max_files);
        let operations = match request::read_body(&headers, body, limit).await {
            Ok(bytes) => {
                let ct = content_type.unwrap_or_default();
                multipart::parse(ct, bytes, limits, files.max_bytes, files.max_files).await
            }
            Err(refusal) => Err(refusal),
        };
        return match operations {
            Ok(ops) => {
                let caller = Some(identity);
                serve(
                    &app,
                    &schema,
                    ip,
                    &headers,
                    media,
                    ops,
                    &Method::POST,
                    caller,
                )
                .await
            }
            Err(refusal) => answer::refused(media, refusal),
        };
    }
    let operations = match request::read_body(&headers, body, limits.max_body_bytes).await {
        Ok(bytes) => request::parse(&Method::POST, content_type, None, &bytes, limits),
        Err(refusal) => Err(refusal),
    };
    match operations {
        Ok(ops) => serve(&app, &schema, ip, &headers, media, ops, &Method::POST, None).await,
        Err(refusal) => answer::refused(media, refusal),
    }
}

pub async fn get(
    State(app): State<AppState>,
    State(schema): State<AppSchema>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let media = media::negotiate(&headers);
    let query = uri.query().unwrap_or_default();
    if media::wants_html(&headers) && !has_operation(query) {
        return graphiql(&app, ip, &headers).await;
    }
    match request::parse(&Method::GET, None, Some(query), &[], limits(&app)) {
        Ok(ops) => serve(&app, &schema, ip, &headers, media, ops, &Method::GET, None).await,
        Err(refusal) => answer::refused(media, refusal),
    }
}

fn has_operation(query_string: &str) -> bool {
    url::form_urlencoded::parse(query_string.as_bytes())
        .any(|(k, v)| (k == "query" || k == "extensions") && !v.is_empty())
}

/// GraphiQL is open in sandbox mode; in production only to admins (bearer
/// token or ADMIN API key), since it exists to explore the schema.
async fn graphiql(app: &AppState, ip: Option<std::net::IpAddr>, headers: &HeaderMap) -> Response {
    let allowed = async {
        let caller = app.authenticator.identify(headers, ip).await?;
        if !app.config.sandbox_mode() {
            auth::RoleGuard::admin().allows(&caller)?;
        }
        Ok::<_, AppError>(caller)
    };
    let caller = match allowed.await {
        Ok(caller) => caller,
        Err(e) => return answer::refused(Media::Json, e.into()),
    };
    let mut response = crate::http::dashboard::graphiql_page();
    answer::set_common(response.headers_mut(), StatusCode::OK, audience(&caller));
    response
}

fn audience(identity: &Identity) -> Audience {
    match identity {
        Identity::Anonymous => Audience::Anyone,
        _ => Audience::Caller,
    }
}

/// Authenticates, unless the caller is `known` already (an API key pays
/// for every operation of a batch), then runs the operations.
#[allow(clippy::too_many_arguments)]
async fn serve(
    app: &AppState,
    schema: &AppSchema,
    ip: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    media: Media,
    operations: Operations,
    method: &Method,
    known: Option<Identity>,
) -> Response {
    let identity = match known {
        Some(identity) => identity,
        None => match app.authenticator.identify(headers, ip).await {
            Ok(identity) => identity,
            Err(e) => return answer::refused(media, e.into()),
        },
    };
    if let Identity::ApiKey {
        key_id, per_minute, ..
    } = &identity
    {
        // The key paid for one when it was checked.
        for _ in 1..operations.count() {
            if let Err(e) = app.api_keys.charge(*key_id, *per_minute).await {
                return answer::refused(media, e.into());
            }
        }
    }
    let audience = audience(&identity);
    match operations {
        Operations::Single(request) => {
            match run(app, schema, ip, identity, request, method).await {
                Ok(Outcome::Cached(body)) => answer::cached(media, audience, body),
                Ok(Outcome::Fresh(response)) => answer::executed(media, audience, response),
                Err(refusal) => answer::refused(media, refusal),
            }
        }
        Operations::Batch(requests) => {
            let mut parts = Vec::with_capacity(requests.len());
            for request in requests {
                let part = match run(app, schema, ip, identity.clone(), request, method).await {
                    Ok(Outcome::Cached(body)) => Ok(body),
                    Ok(Outcome::Fresh(response)) => answer::to_json(&response).map(Bytes::from),
                    Err(refusal) => answer::to_json(&async_graphql::Response::from_errors(vec![
                        answer::server_error(refusal.error),
                    ]))
                    .map(Bytes::from),
                };
                match part {
                    Ok(p) => parts.push(p),
                    Err(e) => return answer::refused(media, e.into()),
                }
            }
            answer::batch(media, audience, parts)
        }
    }
}

enum Outcome {
    /// A successful answer kept by the response cache, already serialised.
    Cached(Bytes),
    Fresh(async_graphql::Response),
}

/// One operation: its persisted query resolved, refused over GET if it is
/// a mutation, then answered from the response cache or executed.
/// One operation, counted for `/metrics` by name and outcome.
async fn run(
    app: &AppState,
    schema: &AppSchema,
    ip: Option<std::net::IpAddr>,
    identity: Identity,
    request: async_graphql::Request,
    method: &Method,
) -> Result<Outcome, Refusal> {
    let (query, sent) = (request.query.clone(), request.operation_name.clone());
    let signed_in = !matches!(identity, Identity::Anonymous);
    let seen = OperationSeen::default();
    let request = request.data(seen.clone());
    let outcome = execute(app, schema, ip, identity, request, method).await;
    let code = match &outcome {
        Ok(Outcome::Cached(_)) => "OK".to_owned(),
        Ok(Outcome::Fresh(r)) => match r.errors.first() {
            None => "OK".to_owned(),
            Some(e) => match e.extensions.as_ref().and_then(|x| x.get("code")) {
                Some(async_graphql::Value::String(code)) => code.clone(),
                _ => "ERROR".to_owned(),
            },
        },
        Err(refusal) => refusal.error.code().to_owned(),
    };
    crate::http::prometheus::graphql_operation(
        &query,
        sent.as_deref(),
        seen.name(),
        &code,
        signed_in,
    );
    outcome
}

async fn execute(
    app: &AppState,
    schema: &AppSchema,
    ip: Option<std::net::IpAddr>,
    identity: Identity,
    mut request: async_graphql::Request,
    method: &Method,
) -> Result<Outcome, Refusal> {
    if let Err(e) = app.persisted_queries.resolve(&mut request) {
        return Ok(Outcome::Fresh(async_graphql::Response::from_errors(vec![
            answer::server_error(e),
        ])));
    }
    if *method == Method::GET && is_mutation(&request) {
        return Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations are sent with POST",
        ));
    }
    let cache = &app.responses;
    let key = cache.key(&identity, &request);
    let lookup = key.as_ref().map(|k| cache.lookup(k));
    let result = match &lookup {
        Some(Lookup::Hit(_)) => "hit",
        Some(Lookup::Wait(_)) => "shared",
        Some(Lookup::Run(_)) => "miss",
        None => "uncached",
    };
    metrics::counter!("cache_requests_total", "cache" => "response", "result" => result)
        .increment(1);
    let run = match lookup {
        Some(Lookup::Hit(body)) => return Ok(Outcome::Cached(body)),
        Some(Lookup::Wait(waiter)) => match waiter.answer().await {
            Some(body) => return Ok(Outcome::Cached(body)),
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
    crate::graphql::loaders::attach(&mut request.data, app);
    let response = schema.execute(request).await;
    let (Some(key), Some(run)) = (key, run) else {
        return Ok(Outcome::Fresh(response));
    };
    let scopes = cacheable.get();
    let Some(scopes) = scopes.filter(|_| response.is_ok() && response.http_headers.is_empty())
    else {
        cache.finish(key, run, None);
        return Ok(Outcome::Fresh(response));
    };
    let run = run.reading(scopes);
    match answer::to_json(&response) {
        Ok(body) => {
            let body = Bytes::from(body);
            cache.finish(key, run, Some(body.clone()));
            Ok(Outcome::Cached(body))
        }
        Err(e) => {
            cache.finish(key, run, None);
            Err(e.into())
        }
    }
}

/// Whether the operation that would run is a mutation. A document that
/// does not parse, or names no runnable operation, is left to execution to
/// report.
fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let ty = match (&doc.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(_), None) => None,
    };
    ty == Some(OperationType::Mutation)
}
