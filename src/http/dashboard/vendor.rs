//! GraphiQL's editor and the React it runs on, embedded in the binary as
//! published (`scripts/vendor-graphiql` makes `assets/vendor/`), so GraphiQL
//! works on a network that reaches no CDN. They are kept gzipped: a browser
//! takes them as they are, and the rare client that takes no gzip gets them
//! unpacked.

use std::io::Read;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::{GRAPHIQL_CSP, secured};
use crate::error::AppError;
use crate::http::api::download::matches;

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// `(name, content type, gzipped body)`.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "react.production.min.js",
        JS,
        include_bytes!("../../../assets/vendor/react.production.min.js.gz"),
    ),
    (
        "react-dom.production.min.js",
        JS,
        include_bytes!("../../../assets/vendor/react-dom.production.min.js.gz"),
    ),
    (
        "graphiql.min.js",
        JS,
        include_bytes!("../../../assets/vendor/graphiql.min.js.gz"),
    ),
    (
        "graphiql.min.css",
        CSS,
        include_bytes!("../../../assets/vendor/graphiql.min.css.gz"),
    ),
];

/// One tag per file, from its content: a browser revalidates (the names
/// carry no version) and gets a 304 until the embedded file changes. Weak,
/// since the bytes differ by `Content-Encoding` and the file does not.
static TAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(_, _, gz)| {
            let digest = Sha256::digest(gz);
            // Hex in quotes is always a valid header value.
            HeaderValue::from_str(&format!("W/\"{}\"", hex::encode(&digest[..16])))
                .unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""))
        })
        .collect()
});

/// The files unpacked, made once on the first request that takes no gzip
/// (rare: every browser takes gzip), so no request pays for unpacking.
static PLAIN: LazyLock<Result<Vec<Bytes>, String>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(name, _, gz)| {
            let mut body = Vec::with_capacity(gz.len() * 4);
            flate2::read::GzDecoder::new(*gz)
                .read_to_end(&mut body)
                .map(|_| Bytes::from(body))
                .map_err(|e| format!("embedded {name} is not gzip: {e}"))
        })
        .collect()
});

pub(super) async fn file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(i) = FILES.iter().position(|(n, _, _)| *n == name) else {
        return AppError::NotFound("no such dashboard asset".to_owned()).into_response();
    };
    let (_, kind, gz) = FILES[i];
    let tag = &TAGS[i];
    let mut res = if matches(&headers, tag.to_str().unwrap_or_default()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if takes_gzip(&headers) {
        let mut res = gz.into_response();
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        res
    } else {
        match &*PLAIN {
            Ok(files) => files[i].clone().into_response(),
            Err(e) => return AppError::Internal(anyhow::anyhow!("{e}")).into_response(),
        }
    };
    res = secured(res, GRAPHIQL_CSP);
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::ETAG, tag.clone());
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}

/// Whether `Accept-Encoding` allows gzip: its own q if it is named, else
/// the q of `*`; a q of 0 refuses.
fn takes_gzip(headers: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    for coding in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let q = parts
            .find_map(|p| p.strip_prefix("q="))
            .map_or(1.0, |q| q.parse::<f32>().unwrap_or(0.0));
        if name.eq_ignore_ascii_case("gzip") {
            gzip = Some(q);
        } else if name == "*" {
            any = Some(q);
        }
    }
    gzip.or(any).is_some_and(|q| q > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn gzip_is_sent_only_where_accepted() {
        assert!(takes_gzip(&accepting("gzip, deflate, br, zstd")));
        assert!(takes_gzip(&accepting("br;q=1.0, GZIP;q=0.5")));
        assert!(takes_gzip(&accepting("*")));
        assert!(!takes_gzip(&accepting("gzip;q=0")));
        assert!(!takes_gzip(&accepting("*, gzip;q=0")));
        assert!(takes_gzip(&accepting("*;q=0.1, br")));
        assert!(!takes_gzip(&accepting("identity")));
        assert!(!takes_gzip(&HeaderMap::new()));
    }

    #[test]
    fn every_embedded_file_unpacks() {
        let files = PLAIN.as_ref().expect("gzip");
        for ((name, _, gz), body) in FILES.iter().zip(files) {
            assert!(body.len() > gz.len(), "{name}");
        }
    }
}
