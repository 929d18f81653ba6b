//! `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/verify`:
//! the same bearer sessions GraphQL's `login` issues.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{Actor, Identity, RoleGuard};
use crate::error::AppError;
use crate::graphql::guard::ClientIp;
use crate::http::extract::{Caller, JsonBody};
use crate::http::{HttpState, json_status};
use crate::state::AppState;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/verify", get(verify))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    username: String,
    password: String,
}

/// Signs a staff member in.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, description = "`{token, user, role, expires}`"),
              super::openapi::Refused))]
pub async fn login(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, AppError> {
    let (issued, user) = app
        .sessions
        .login(&body.username, &body.password, ip)
        .await?;
    Ok(json_status(
        StatusCode::OK,
        json!({
            "token": issued.token,
            "user": user.username,
            "role": user.role,
            "expires": issued.expires_at.to_rfc3339(),
        }),
    ))
}

/// Ends the caller's session: its token stops working at once.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 200, description = "signed out"),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn logout(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    Caller(who): Caller,
) -> Result<Response, AppError> {
    RoleGuard::authenticated().allows(&who)?;
    app.sessions.logout(Actor::new(&who, ip)).await?;
    Ok(json_status(
        StatusCode::OK,
        json!({ "message": "signed out" }),
    ))
}

/// Who the credentials stand for.
#[utoipa::path(get, path = "/api/auth/verify", tag = "auth",
    responses((status = 200, description = "`{authenticated, user, role}`"),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn verify(Caller(who): Caller) -> Result<Response, AppError> {
    RoleGuard::authenticated().allows(&who)?;
    let (user, role) = match &who {
        Identity::Staff { username, role, .. } => (
            username.clone(),
            crate::auth::session::role_to_db(*role).to_owned(),
        ),
        Identity::Client { email, .. } => (email.clone(), "client".to_owned()),
        Identity::ApiKey {
            name, permission, ..
        } => (
            name.clone(),
            format!(
                "api_key:{}",
                crate::auth::api_keys::permission_to_db(*permission)
            ),
        ),
        Identity::Anonymous => {
            return Err(AppError::Unauthenticated("sign in to do this".to_owned()));
        }
    };
    Ok(json_status(
        StatusCode::OK,
        json!({ "authenticated": true, "user": user, "role": role }),
    ))
}
