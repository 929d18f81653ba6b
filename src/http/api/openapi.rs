//! The OpenAPI 3.1 description of every REST route, generated from the
//! handlers' annotations and served at `/api/openapi.json`. A test keeps
//! `schema/openapi.json` equal to it, so a change to a route shows in review.

use axum::Json;
use axum::response::IntoResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

/// Every error: the stable code and a message for people.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Error {
    /// `BAD_USER_INPUT`, `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, …
    error: String,
    message: String,
}

/// Over the key's per-minute limit; `Retry-After` says the same.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RateLimited {
    error: String,
    message: String,
    /// Seconds until the next request is allowed.
    retry_after: u64,
}

/// A group the board does not have, and those it has.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UnknownGroup {
    error: String,
    message: String,
    available_groups: Vec<String>,
}

/// What any route may answer instead of its result.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Refused {
    #[response(
        status = 400,
        description = "a bad parameter or body; `message` says which"
    )]
    BadRequest(Error),
    #[response(
        status = 401,
        description = "no credentials, or bad, expired or revoked ones (or a wrong password)"
    )]
    Unauthenticated(Error),
    #[response(
        status = 403,
        description = "credentials without the right: a portal client, a READ_ONLY key that would write, a non-admin managing keys"
    )]
    Forbidden(Error),
    #[response(
        status = 429,
        description = "over the key's per-minute limit, or too many failed logins",
        headers(("Retry-After" = u64, description = "seconds to wait"))
    )]
    RateLimited(RateLimited),
}

/// The files `/api/export/{file}` serves.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum LeadFile {
    #[schema(rename = "leads.parquet")]
    Parquet,
    #[schema(rename = "leads.jsonl")]
    Jsonl,
    #[schema(rename = "leads.csv")]
    Csv,
    #[schema(rename = "leads.json")]
    Json,
}

/// The Calendly datasets the exports serve; `.parquet` for Parquet.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum CalendlyFile {
    Members,
    Events,
    Invitees,
    #[schema(rename = "members.parquet")]
    MembersParquet,
    #[schema(rename = "events.parquet")]
    EventsParquet,
    #[schema(rename = "invitees.parquet")]
    InviteesParquet,
}

/// The datasets the session routes serve as CSV.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum CalendlyDataset {
    Members,
    Events,
    Invitees,
}

/// The parts of the last snapshot the session routes serve.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum SessionPart {
    User,
    Members,
    Events,
    Invitees,
    Summary,
}

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "bridgeboard REST API", description = "The data hub's routes: auth, API keys, the Monday leads board and Calendly, from the pipeline's last snapshot; and the support portal's file downloads."),
    paths(
        super::auth::login, super::auth::logout, super::auth::verify,
        super::keys::create, super::keys::list, super::keys::show, super::keys::revoke,
        super::keys::audit_one, super::keys::audit_all, super::keys::code_examples,
        super::leads::combined_csv, super::leads::group_csv, super::leads::grouped_json,
        super::leads::export_file,
        super::calendly::user_info, super::calendly::members, super::calendly::events,
        super::calendly::invitees, super::calendly::comprehensive, super::calendly::export,
        super::calendly::session_status, super::calendly::session_part,
        super::calendly::session_csv,
        crate::http::pipeline::force_start, crate::http::pipeline::status,
        crate::http::pipeline::calendly_webhook,
        crate::http::attachments::download,
    ),
    components(schemas(
        Error,
        RateLimited,
        UnknownGroup,
        LeadFile,
        CalendlyFile,
        CalendlyDataset,
        SessionPart
    )),
    modifiers(&Security),
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The description as `schema/openapi.json` holds it.
pub fn json() -> String {
    document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub async fn serve() -> impl IntoResponse {
    Json(document())
}
