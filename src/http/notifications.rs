//! The unsubscribe link in every notification email. `POST` is the one-click
//! unsubscribe of RFC 8058 (mail clients send `List-Unsubscribe=One-Click`);
//! `GET` only shows a page with a button, because link scanners and
//! previews open links and must not unsubscribe anyone.

use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::HttpState;
use super::dashboard::secured;
use super::extract::Params;
use crate::error::AppError;
use crate::notify::NotifyService;
use crate::state::AppState;

const CSP: &str = "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub fn routes() -> Router<HttpState> {
    Router::new().route(
        "/notifications/unsubscribe",
        get(confirm_page).post(unsubscribe),
    )
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn service(app: &AppState) -> Result<&NotifyService, AppError> {
    app.notify
        .as_deref()
        .ok_or_else(|| AppError::Unavailable("notifications are not configured".to_owned()))
}

fn token(q: TokenQuery) -> Result<String, AppError> {
    q.token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::bad_request("the link has no token"))
}

async fn confirm_page(
    State(app): State<AppState>,
    Params(q): Params<TokenQuery>,
) -> Result<Response, AppError> {
    service(&app)?;
    let token = token(q)?;
    let page = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>Stop ticket emails</title>\
         <h1>Stop ticket emails?</h1>\
         <p>You will no longer get an email when support answers or updates your tickets. \
         You can turn them back on in the portal.</p>\
         <form method=\"post\" action=\"?token={}\">\
         <button type=\"submit\">Unsubscribe</button></form></html>",
        escape(&token)
    );
    Ok(secured(Html(page).into_response(), CSP))
}

/// Whatever the body says (`List-Unsubscribe=One-Click`, or our page's
/// empty form), the token decides.
async fn unsubscribe(
    State(app): State<AppState>,
    Params(q): Params<TokenQuery>,
) -> Result<Response, AppError> {
    service(&app)?.unsubscribe(&token(q)?).await?;
    let page = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
                <title>Unsubscribed</title><h1>You are unsubscribed</h1>\
                <p>You will no longer get emails about your tickets.</p></html>";
    Ok(secured(Html(page).into_response(), CSP))
}

/// Text for an HTML attribute value.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
}
