//! What every export response carries: the snapshot it was read from (a
//! header, and the run in the file name), an ETag from the snapshot and the
//! filters so `If-None-Match` answers 304, and a streamed body.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::export::format::{Chunks, Format};
use crate::pipeline::data::Snapshot;

pub const SNAPSHOT_RUN: HeaderName = HeaderName::from_static("x-snapshot-run");
pub const SNAPSHOT_AT: HeaderName = HeaderName::from_static("x-snapshot-published");

/// Identifies one answer: the route, the snapshot, the filters, the format,
/// and anything else that changes the bytes (webhook writes to Calendly).
pub struct Identity<'a> {
    pub route: &'a str,
    pub snapshot: &'a Snapshot,
    pub parts: Vec<String>,
}

impl Identity<'_> {
    /// A weak tag: the bytes differ by `Content-Encoding`, the data does not.
    pub fn etag(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.route.as_bytes());
        for p in &self.parts {
            h.update([0]);
            h.update(p.as_bytes());
        }
        let digest = hex::encode(&h.finalize()[..12]);
        format!("W/\"s{}-{digest}\"", self.snapshot.number)
    }
}

/// Whether `If-None-Match` names `etag` (weakly, as a GET compares) or `*`.
pub(crate) fn matches(headers: &HeaderMap, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

fn snapshot_headers(h: &mut HeaderMap, s: &Snapshot, etag: &str) {
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(SNAPSHOT_RUN, HeaderValue::from(s.number));
    if let Some(at) = s.published_at()
        && let Ok(v) = HeaderValue::from_str(&at.to_rfc3339())
    {
        h.insert(SNAPSHOT_AT, v);
    }
    // Revalidate every time: the snapshot may have moved on.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("accept-encoding, authorization, x-api-key"),
    );
}

/// 304 when the caller already has this answer.
pub fn not_modified(headers: &HeaderMap, id: &Identity<'_>) -> Option<Response> {
    let etag = id.etag();
    if !matches(headers, &etag) {
        return None;
    }
    let mut r = StatusCode::NOT_MODIFIED.into_response();
    snapshot_headers(r.headers_mut(), id.snapshot, &etag);
    Some(r)
}

/// A streamed answer; `file` names a download (`Content-Disposition`), with
/// the run in its name, or `None` for an inline JSON answer. The first
/// chunk, which holds the first page, is read before the status is sent:
/// a database that fails then gets an error status rather than a file cut
/// off after its first bytes.
pub async fn stream(
    id: &Identity<'_>,
    format: Format,
    file: Option<&str>,
    mut chunks: Chunks,
) -> Result<Response, AppError> {
    let first = match chunks.next().await {
        Some(chunk) => Some(chunk?),
        None => None,
    };
    let body = futures_util::stream::iter(first.map(Ok)).chain(chunks);
    let mut r = Body::from_stream(body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Some(name) = file {
        let disposition = format!(
            "attachment; filename=\"{name}-run{}.{}\"",
            id.snapshot.number,
            format.extension()
        );
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    snapshot_headers(h, id.snapshot, &id.etag());
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(n: i64) -> Snapshot {
        Snapshot {
            number: n,
            run: None,
        }
    }

    #[test]
    fn tags_follow_the_snapshot_and_the_filters() {
        let s1 = snapshot(1);
        let s2 = snapshot(2);
        let a = Identity {
            route: "csv",
            snapshot: &s1,
            parts: vec!["won".into()],
        };
        let b = Identity {
            route: "csv",
            snapshot: &s1,
            parts: vec!["lost".into()],
        };
        let c = Identity {
            route: "csv",
            snapshot: &s2,
            parts: vec!["won".into()],
        };
        assert_ne!(a.etag(), b.etag());
        assert_ne!(a.etag(), c.etag());
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", {}", a.etag().trim_start_matches("W/")))
                .expect("header"),
        );
        assert!(
            not_modified(&h, &a).is_some(),
            "strong or weak, a match is a match"
        );
        assert!(not_modified(&h, &b).is_none());
    }
}
