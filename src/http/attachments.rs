//! Downloads of ticket files. A browser opens the signed link from
//! `downloadUrl`; a program sends its usual credentials (bearer token or
//! `X-API-Key`). Either way the ticket service decides, at this moment,
//! whether the caller may have the file.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::HttpState;
use super::dashboard::secured;
use super::extract::Params;
use crate::error::AppError;
use crate::graphql::guard::ClientIp;
use crate::state::AppState;
use crate::tickets::attachments::{Content, Download, Viewer};

/// Nothing in a file runs, even if a browser were talked into rendering it.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

pub fn routes() -> Router<HttpState> {
    Router::new().route("/api/tickets/attachments/{id}", get(download))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LinkQuery {
    /// The signed token of a `downloadUrl`, instead of credentials.
    token: Option<String>,
}

/// A file on a ticket, if the caller may have it now: a client, the files on
/// its own tickets' public comments; staff and API keys, every file.
#[utoipa::path(get, path = "/api/tickets/attachments/{id}", tag = "tickets",
    params(("id" = String, Path, description = "the attachment's id"), LinkQuery),
    responses((status = 200, description = "the file, under its type and name"),
              (status = 404, description = "no such file, or not the caller's", body = crate::http::api::openapi::Error),
              crate::http::api::openapi::Refused),
    security(("api_key" = []), ("bearer" = []), ()))]
pub async fn download(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    Params(q): Params<LinkQuery>,
) -> Result<Response, AppError> {
    let service = app.tickets.as_deref().ok_or_else(|| {
        AppError::Unavailable("the Monday tickets board is not configured".to_owned())
    })?;
    let viewer = match q.token.filter(|t| !t.is_empty()) {
        Some(token) => service.link_viewer(&token, &id)?,
        None => {
            let who = app.authenticator.identify(&headers, ip).await?;
            Viewer::of(&who)
                .ok_or_else(|| AppError::Unauthenticated("sign in to do this".to_owned()))?
        }
    };
    let file = service.download(viewer, &id).await?;
    Ok(respond(file))
}

fn respond(file: Download) -> Response {
    let (body, length) = match file.body {
        Content::Whole(bytes) => {
            let n = bytes.len() as u64;
            (Body::from(bytes), Some(n))
        }
        Content::Stream { body, length } => (Body::from_stream(body), length),
    };
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    let content_type = if file.content_type.starts_with("text/") {
        format!("{}; charset=utf-8", file.content_type)
    } else {
        file.content_type.clone()
    };
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Some(n) = length {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    // Screenshots open in the tab; everything else is saved.
    let how = if file.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    if let Ok(v) = HeaderValue::from_str(&disposition(how, &file.filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    // The link carries a token: `secured` keeps it out of referrers.
    secured(res, CSP)
}

/// `Content-Disposition` with an ASCII fallback name and the real one in
/// RFC 5987 form.
fn disposition(how: &str, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
        .replace('*', "%2A");
    format!("{how}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_survive_in_both_forms() {
        assert_eq!(
            disposition("attachment", "rapport été.pdf"),
            "attachment; filename=\"rapport _t_.pdf\"; filename*=UTF-8''rapport%20%C3%A9t%C3%A9.pdf"
        );
        assert_eq!(
            disposition("inline", "a\"b.png"),
            "inline; filename=\"a_b.png\"; filename*=UTF-8''a%22b.png"
        );
    }
}
