//! Files on updates, as Monday keeps them: `add_file_to_update` through the
//! multipart file endpoint (`POST /v2/file`, the file in `variables[file]`),
//! `assets` on updates, replies and the root, and each asset's `public_url`,
//! a signed link anyone may open for one hour.

use async_graphql::{
    Context, ID, InputValueError, InputValueResult, Object, Scalar, ScalarType, Value,
};
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use std::collections::HashMap;

use super::errors::SimError;
use super::inputs::DateScalar;
use super::misc_types::UserObj;
use super::store::{Store, now};
use super::values::iso;
use super::{MondaySim, sim};

/// How long a `public_url` stays valid (Monday: one hour).
const PUBLIC_URL_SECONDS: i64 = 3600;
/// The file endpoint's limit on one request (Monday: 500 MB).
pub const MAX_UPLOAD_BYTES: usize = 500 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct AssetRec {
    pub id: u64,
    pub update_id: u64,
    pub name: String,
    pub content_type: String,
    pub bytes: Bytes,
    pub uploaded_by: u64,
    pub created_at: i64,
}

impl AssetRec {
    fn extension(&self) -> String {
        self.name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default()
    }
}

/// A file sent with a request, waiting for the resolver that takes it.
#[derive(Clone, Debug)]
pub struct UploadedFile {
    pub name: String,
    pub content_type: String,
    pub bytes: Bytes,
}

/// The files of one multipart request, by the variable they fill.
#[derive(Clone, Default)]
pub struct Uploads(pub HashMap<String, UploadedFile>);

/// Monday's `File` scalar. A multipart request sets the variable to the
/// name of its part, and the resolver takes the file from `Uploads`.
#[derive(Clone, Debug)]
pub struct FileScalar(pub String);

#[Scalar(name = "File")]
impl ScalarType for FileScalar {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => Ok(FileScalar(s)),
            _ => Err(InputValueError::custom(
                "a File is sent as a multipart part to /v2/file",
            )),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

impl FileScalar {
    pub fn take(&self, ctx: &Context<'_>) -> Result<UploadedFile, SimError> {
        ctx.data_opt::<Uploads>()
            .and_then(|u| u.0.get(&self.0))
            .cloned()
            .ok_or_else(|| {
                SimError::InvalidArgument(
                    "no file was sent: post the request to /v2/file as multipart/form-data".into(),
                )
            })
    }
}

impl Store {
    pub fn add_asset(
        &mut self,
        update_id: u64,
        file: UploadedFile,
        uploaded_by: u64,
    ) -> Result<AssetRec, SimError> {
        if !self.updates.iter().any(|u| u.id == update_id) {
            return Err(SimError::InvalidArgument(format!(
                "Update {update_id} not found"
            )));
        }
        if file.name.trim().is_empty() {
            return Err(SimError::InvalidArgument("the file has no name".into()));
        }
        let asset = AssetRec {
            id: self.next_id(),
            update_id,
            name: file.name,
            content_type: file.content_type,
            bytes: file.bytes,
            uploaded_by,
            created_at: now(),
        };
        self.assets.push(asset.clone());
        Ok(asset)
    }
}

type HmacSha256 = Hmac<Sha256>;

impl MondaySim {
    /// Where this simulator is reachable, for the links it hands out.
    pub fn set_public_base(&self, base: String) {
        *self
            .public_base
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = base;
    }

    pub(super) fn add_file(
        &self,
        update_id: u64,
        file: UploadedFile,
        user_id: u64,
    ) -> Result<AssetRec, SimError> {
        self.write().add_asset(update_id, file, user_id)
    }

    /// Staff post an update with files, in one step (as Monday's editor
    /// does), so the update's webhook already finds its files.
    pub fn staff_comment_with_files(
        &self,
        item_id: u64,
        parent_id: Option<u64>,
        body: &str,
        files: Vec<UploadedFile>,
    ) -> Result<(u64, Vec<u64>), SimError> {
        let staff = super::store::STAFF_ID;
        self.commit(staff, |s| {
            let (update, change) = s.add_update(Some(item_id), parent_id, body, staff)?;
            let mut ids = Vec::new();
            for f in files {
                ids.push(s.add_asset(update.id, f, staff)?.id);
            }
            Ok(((update.id, ids), vec![change]))
        })
    }

    pub(super) fn assets_of(&self, update_id: u64) -> Vec<AssetRec> {
        self.read()
            .assets
            .iter()
            .filter(|a| a.update_id == update_id)
            .cloned()
            .collect()
    }

    /// What Monday holds of an asset (tests compare it with what was sent).
    pub fn asset_content(&self, id: u64) -> Option<Bytes> {
        self.assets_by_ids(&[id])
            .into_iter()
            .next()
            .map(|a| a.bytes)
    }

    pub(super) fn assets_by_ids(&self, ids: &[u64]) -> Vec<AssetRec> {
        self.read()
            .assets
            .iter()
            .filter(|a| ids.contains(&a.id))
            .cloned()
            .collect()
    }

    fn signature(&self, id: u64, expires: i64) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.asset_secret).expect("any key length");
        mac.update(format!("{id}:{expires}").as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    fn public_url(&self, a: &AssetRec) -> String {
        let expires = now() + PUBLIC_URL_SECONDS;
        let base = self
            .public_base
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        format!(
            "{base}/public_assets/{}/{}?expires={expires}&signature={}",
            a.id,
            url::form_urlencoded::byte_serialize(a.name.as_bytes()).collect::<String>(),
            self.signature(a.id, expires)
        )
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub struct AssetObj(pub AssetRec);

#[Object(name = "Asset", rename_fields = "snake_case")]
impl AssetObj {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn file_extension(&self) -> String {
        self.0.extension()
    }
    async fn file_size(&self) -> i32 {
        i32::try_from(self.0.bytes.len()).unwrap_or(i32::MAX)
    }
    async fn created_at(&self) -> Option<DateScalar> {
        Some(DateScalar(iso(self.0.created_at)))
    }
    async fn public_url(&self, ctx: &Context<'_>) -> String {
        sim(ctx).public_url(&self.0)
    }
    /// Opens only for a signed-in account member (not through the API).
    async fn url(&self, ctx: &Context<'_>) -> String {
        let base = sim(ctx)
            .public_base
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        format!(
            "{base}/protected_static/resources/{}/{}",
            self.0.id, self.0.name
        )
    }
    async fn url_thumbnail(&self) -> Option<String> {
        None
    }
    async fn original_geometry(&self) -> Option<String> {
        None
    }
    async fn uploaded_by(&self) -> UserObj {
        UserObj::find(self.0.uploaded_by)
            .or_else(|| UserObj::find(super::store::ME_ID))
            .expect("the token's user exists")
    }
}

/// `POST /v2/file`: a GraphQL request whose file variables arrive as parts
/// named `variables[<name>]`, beside `query` (and optionally `variables`).
pub async fn upload(
    State(state): State<super::http::HttpState>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    let mut query = None;
    let mut variables = serde_json::Map::new();
    let mut uploads = Uploads::default();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return bad(&format!("malformed multipart body: {e}")),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(var) = name
            .strip_prefix("variables[")
            .and_then(|v| v.strip_suffix(']'))
        {
            let file = UploadedFile {
                name: field.file_name().unwrap_or_default().to_owned(),
                content_type: field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned(),
                bytes: match field.bytes().await {
                    Ok(b) => b,
                    Err(e) => return bad(&format!("the file could not be read: {e}")),
                },
            };
            variables.insert(var.to_owned(), json!(name));
            uploads.0.insert(name, file);
            continue;
        }
        let text = match field.text().await {
            Ok(t) => t,
            Err(e) => return bad(&format!("field {name} could not be read: {e}")),
        };
        match name.as_str() {
            "query" => query = Some(text),
            "variables" => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Object(m)) => {
                    for (k, v) in m {
                        variables.entry(k).or_insert(v);
                    }
                }
                _ => return bad("variables must be a JSON object"),
            },
            _ => {}
        }
    }
    let body = json!({ "query": query, "variables": variables });
    super::http::execute(state, headers, body.to_string().into(), uploads).await
}

fn bad(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"errors": [{"message": message, "extensions": {"code": "BadRequest"}}]}).to_string(),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
pub struct Signed {
    expires: Option<i64>,
    signature: Option<String>,
}

/// A `public_url`: the file to anyone holding a link that has not expired.
pub async fn public_download(
    State(state): State<super::http::HttpState>,
    Path((id, _name)): Path<(u64, String)>,
    Query(q): Query<Signed>,
) -> Response {
    let denied = || {
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/xml")],
            "<Error><Code>AccessDenied</Code><Message>Request has expired or the signature does not match</Message></Error>",
        )
            .into_response()
    };
    let sim = &state.sim;
    let (Some(expires), Some(signature)) = (q.expires, q.signature) else {
        return denied();
    };
    if expires < now() || signature != sim.signature(id, expires) {
        return denied();
    }
    let Some(a) = sim.assets_by_ids(&[id]).into_iter().next() else {
        return (StatusCode::NOT_FOUND, "NoSuchKey").into_response();
    };
    sim.count_download();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, a.content_type.clone())],
        a.bytes,
    )
        .into_response()
}
