//! The admin dashboard at `GET /dashboard`: plain HTML, CSS and JavaScript
//! modules embedded in the binary at build time, so nothing is fetched from
//! Node or a CDN at run time. Everything the page shows comes from the
//! GraphQL API and the REST routes, called with the signed-in staff's bearer
//! token; this module only serves the files, with headers that forbid inline
//! scripts, `eval`, framing and MIME sniffing.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

mod vendor;

use super::HttpState;
use crate::error::AppError;

/// Scripts and styles only from our own origin; no inline code, no eval;
/// fetches and the subscription socket only to ourselves; never framed.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// The GraphiQL page runs only our own files (its editor is embedded); no
/// eval, never framed. GraphiQL sets inline styles and its CSS carries its
/// fonts as data, so those are allowed.
const GRAPHIQL_CSP: &str = "default-src 'none'; script-src 'self'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const GRAPHIQL: &str = include_str!("../../assets/dashboard/graphiql.html");

const INDEX: &str = include_str!("../../assets/dashboard/index.html");

/// `(name, content type, body)` of every asset the page loads.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/dashboard/style.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/api.js"),
    ),
    (
        "ws.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/ws.js"),
    ),
    (
        "dom.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/dom.js"),
    ),
    (
        "overview.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/overview.js"),
    ),
    (
        "pipeline.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/pipeline.js"),
    ),
    (
        "data.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/data.js"),
    ),
    (
        "keys.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/keys.js"),
    ),
    (
        "admin.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/admin.js"),
    ),
    (
        "graphiql.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/graphiql.js"),
    ),
    (
        "graphiql.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/dashboard/graphiql.css"),
    ),
];

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/dashboard", get(index))
        .route("/dashboard/", get(index))
        .route("/dashboard/graphiql", get(graphiql))
        .route("/dashboard/assets/{file}", get(asset))
        .route("/dashboard/vendor/{file}", get(vendor::file))
}

async fn index() -> Response {
    secured(Html(INDEX).into_response(), CSP)
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, kind, body)) => {
            let mut res = secured((*body).into_response(), CSP);
            res.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            res
        }
        None => AppError::NotFound("no such dashboard asset".to_owned()).into_response(),
    }
}

/// GraphiQL for a plain browser: the page itself holds nothing secret (every
/// query it sends needs credentials); the dashboard hands the admin's
/// `Authorization` header over in local storage before opening it, and
/// removes it at sign-out.
async fn graphiql() -> Response {
    graphiql_page()
}

/// The GraphiQL page, with its policy; `/graphql` serves it to browsers too.
pub fn graphiql_page() -> Response {
    secured(Html(GRAPHIQL).into_response(), GRAPHIQL_CSP)
}

pub(super) fn secured(mut res: Response, csp: &'static str) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
