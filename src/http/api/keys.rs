//! `/api/keys`: create, list, show, revoke and audit API keys, and the
//! snippets that use one. Managing keys takes an admin session or an ADMIN
//! key; the snippets are for anyone on staff.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::api_keys::{KeyStatus, NewApiKey, permission_to_db, status_of};
use crate::auth::audit::Filter;
use crate::auth::{Actor, ApiKeyPermission, RoleGuard};
use crate::db::entities::{api_key, audit_log};
use crate::error::AppError;
use crate::graphql::guard::ClientIp;
use crate::http::extract::{Caller, JsonBody, Params};
use crate::http::{HttpState, json_status};
use crate::state::AppState;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/api/keys", get(list).post(create))
        .route("/api/keys/audit", get(audit_all))
        .route("/api/keys/code-examples", get(code_examples))
        .route("/api/keys/{id}", get(show).delete(revoke))
        .route("/api/keys/{id}/audit", get(audit_one))
}

/// Audit entries a key's log shows at most.
const AUDIT_LIMIT: u64 = 500;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateKey {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    name: String,
    /// `read_only` (the default), `standard` or `admin`.
    #[schema(value_type = Option<Permission>)]
    permission: Option<String>,
    /// Days until the key stops working; never when left out.
    #[schema(minimum = 1, maximum = 3650)]
    expires_in_days: Option<i32>,
    /// Requests per minute; 100 when left out.
    #[schema(minimum = 1, maximum = 100000)]
    rate_limit: Option<i32>,
    #[schema(max_length = 1000)]
    description: Option<String>,
}

/// What a key may do: read; also start the pipeline; also manage keys.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum Permission {
    ReadOnly,
    Standard,
    Admin,
}

fn parse_permission(p: Option<&str>) -> Result<ApiKeyPermission, AppError> {
    match p.map(|p| p.trim().to_ascii_lowercase()).as_deref() {
        None | Some("read_only") | Some("readonly") => Ok(ApiKeyPermission::ReadOnly),
        Some("standard") => Ok(ApiKeyPermission::Standard),
        Some("admin") => Ok(ApiKeyPermission::Admin),
        Some(other) => Err(AppError::bad_request(format!(
            "permission must be read_only, standard or admin, not {other:?}"
        ))),
    }
}

fn uuid(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound("no such API key".to_owned()))
}

fn key_json(app: &AppState, row: &api_key::Model) -> Value {
    let status = status_of(row);
    json!({
        "key_id": row.id,
        "name": row.name,
        "permission": row.permission,
        "status": match status {
            KeyStatus::Active => "active",
            KeyStatus::Revoked => "revoked",
            KeyStatus::Expired => "expired",
        },
        "is_active": status == KeyStatus::Active,
        "key_prefix": crate::auth::api_keys::masked(&row.key_prefix),
        "created_at": row.created_at.to_rfc3339(),
        "expires_at": row.expires_at.map(|t| t.to_rfc3339()),
        "revoked_at": row.revoked_at.map(|t| t.to_rfc3339()),
        "created_by": row.created_by,
        "last_used": row.last_used_at.map(|t| t.to_rfc3339()),
        "usage_count": app.api_keys.usage_count(row),
        "rate_limit": row.rate_limit_per_minute,
        "description": row.description,
    })
}

fn audit_json(e: &audit_log::Model) -> Value {
    json!({
        "id": e.id,
        "action": e.action,
        "actor": e.actor,
        "target": e.target,
        "ip": e.ip,
        "at": e.created_at.to_rfc3339(),
    })
}

/// Creates a key; the key itself is in this answer only.
#[utoipa::path(post, path = "/api/keys", tag = "keys", request_body = CreateKey,
    responses((status = 201, description = "`{key, key_id, name, permission, expires_at, rate_limit, message}`"),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn create(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    Caller(who): Caller,
    JsonBody(body): JsonBody<CreateKey>,
) -> Result<Response, AppError> {
    RoleGuard::admin().write().allows(&who)?;
    let (key, row) = app
        .api_keys
        .create(
            Actor::new(&who, ip),
            NewApiKey {
                name: body.name,
                permission: parse_permission(body.permission.as_deref())?,
                expires_in_days: body.expires_in_days,
                rate_limit_per_minute: body.rate_limit.unwrap_or(100),
                description: body.description,
            },
        )
        .await?;
    Ok(json_status(
        StatusCode::CREATED,
        json!({
            "key": key,
            "key_id": row.id,
            "name": row.name,
            "permission": row.permission,
            "expires_at": row.expires_at.map(|t| t.to_rfc3339()),
            "rate_limit": row.rate_limit_per_minute,
            "description": row.description,
            "message": "store this key now: it is shown only once",
        }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Also list revoked keys.
    include_revoked: Option<bool>,
}

/// Every key (revoked ones on request), newest first.
#[utoipa::path(get, path = "/api/keys", tag = "keys", params(ListQuery),
    responses((status = 200, description = "`{keys, total}`"),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn list(
    State(app): State<AppState>,
    Caller(who): Caller,
    Params(q): Params<ListQuery>,
) -> Result<Response, AppError> {
    RoleGuard::admin().allows(&who)?;
    let keys: Vec<Value> = app
        .api_keys
        .list()
        .await?
        .iter()
        .filter(|k| q.include_revoked.unwrap_or(false) || k.revoked_at.is_none())
        .map(|k| key_json(&app, k))
        .collect();
    Ok(json_status(
        StatusCode::OK,
        json!({ "total": keys.len(), "keys": keys }),
    ))
}

/// One key, with what is left of its rate limit.
#[utoipa::path(get, path = "/api/keys/{id}", tag = "keys",
    params(("id" = String, Path, description = "the key's `key_id`")),
    responses((status = 200, description = "the key"),
              (status = 404, description = "no such key", body = super::openapi::Error),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn show(
    State(app): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    RoleGuard::admin().allows(&who)?;
    let row = app.api_keys.get(uuid(&id)?).await?;
    let mut body = key_json(&app, &row);
    body["rate_limit_remaining"] = json!(app.api_keys.rate_limit_remaining(&row));
    Ok(json_status(StatusCode::OK, body))
}

/// Revokes a key at once, on every socket it holds too.
#[utoipa::path(delete, path = "/api/keys/{id}", tag = "keys",
    params(("id" = String, Path, description = "the key's `key_id`")),
    responses((status = 200, description = "revoked"),
              (status = 404, description = "no such key", body = super::openapi::Error),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn revoke(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    RoleGuard::admin().write().allows(&who)?;
    let row = app
        .api_keys
        .revoke(Actor::new(&who, ip), uuid(&id)?)
        .await?;
    Ok(json_status(
        StatusCode::OK,
        json!({ "message": "the key is revoked", "key": key_json(&app, &row) }),
    ))
}

/// What the audit log says about one key: its creation, first use and
/// revocation, and everything done with it.
#[utoipa::path(get, path = "/api/keys/{id}/audit", tag = "keys",
    params(("id" = String, Path, description = "the key's `key_id`")),
    responses((status = 200, description = "`{key_id, entries, total}`"),
              (status = 404, description = "no such key", body = super::openapi::Error),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn audit_one(
    State(app): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    RoleGuard::admin().allows(&who)?;
    let row = app.api_keys.get(uuid(&id)?).await?;
    let entries: Vec<Value> = app
        .audit
        .page(
            &Filter {
                mentions: Some(&format!("({})", row.id)),
                ..Filter::default()
            },
            AUDIT_LIMIT,
            None,
        )
        .await?
        .iter()
        .map(audit_json)
        .collect();
    Ok(json_status(
        StatusCode::OK,
        json!({ "key_id": row.id, "total": entries.len(), "entries": entries }),
    ))
}

/// Every key's audit entries, newest first.
#[utoipa::path(get, path = "/api/keys/audit", tag = "keys",
    responses((status = 200, description = "`{entries, total}`"),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn audit_all(
    State(app): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, AppError> {
    RoleGuard::admin().allows(&who)?;
    let entries: Vec<Value> = app
        .audit
        .page(
            &Filter {
                action_prefix: Some("api_key."),
                ..Filter::default()
            },
            AUDIT_LIMIT,
            None,
        )
        .await?
        .iter()
        .map(audit_json)
        .collect();
    Ok(json_status(
        StatusCode::OK,
        json!({ "total": entries.len(), "entries": entries }),
    ))
}

/// Ready-to-paste curl, Python and pandas snippets for this server.
#[utoipa::path(get, path = "/api/keys/code-examples", tag = "keys",
    responses((status = 200, description = "`{base_url, curl, python, pandas}`"),
              super::openapi::Refused),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn code_examples(
    State(app): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, AppError> {
    RoleGuard::staff().allows(&who)?;
    let base = app
        .config
        .server
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let level = match &who {
        crate::auth::Identity::ApiKey { permission, .. } => permission_to_db(*permission),
        crate::auth::Identity::Staff { role, .. } => crate::auth::session::role_to_db(*role),
        _ => "none",
    };
    Ok(json_status(
        StatusCode::OK,
        json!({
            "base_url": base,
            "permission": level,
            "curl": {
                "combined_csv": format!("curl -H \"X-API-Key: $BRIDGEBOARD_KEY\" -o leads.csv {base}/api/combined_csv"),
                "group_csv": format!("curl -H \"X-API-Key: $BRIDGEBOARD_KEY\" -o won.csv {base}/api/group_csv/won"),
                "parquet": format!("curl -H \"X-API-Key: $BRIDGEBOARD_KEY\" -o leads.parquet {base}/api/export/leads.parquet"),
                "calendly_events": format!("curl -H \"X-API-Key: $BRIDGEBOARD_KEY\" {base}/api/calendly/events"),
                "start_pipeline": format!("curl -H \"X-API-Key: $BRIDGEBOARD_KEY\" {base}/force_start_pipeline"),
            },
            "python": format!(
                "import os, requests\n\nBASE = \"{base}\"\nHEADERS = {{\"X-API-Key\": os.environ[\"BRIDGEBOARD_KEY\"]}}\n\nr = requests.get(f\"{{BASE}}/api/json\", headers=HEADERS, timeout=60)\nif r.status_code == 429:\n    print(\"rate limited; retry in\", r.headers[\"Retry-After\"], \"s\")\nr.raise_for_status()\nleads_by_group = r.json()\n"
            ),
            "pandas": format!(
                "import io, os, requests\nimport pandas as pd\n\nBASE = \"{base}\"\nHEADERS = {{\"X-API-Key\": os.environ[\"BRIDGEBOARD_KEY\"]}}\n\nr = requests.get(f\"{{BASE}}/api/combined_csv\", headers=HEADERS, timeout=300)\nr.raise_for_status()\nleads = pd.read_csv(io.StringIO(r.text))\n\nr = requests.get(f\"{{BASE}}/api/export/leads.parquet\", headers=HEADERS, timeout=300)\nr.raise_for_status()\nleads_typed = pd.read_parquet(io.BytesIO(r.content))\n"
            ),
        }),
    ))
}
