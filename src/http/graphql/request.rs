//! Turns an HTTP request into GraphQL operations, and refuses what is not
//! one with the status the GraphQL-over-HTTP spec names: 415 for a media type
//! other than JSON, 413 over the body limit, 400 for everything malformed.
//! `parse` is pure (bytes in, operations or a refusal out) so it can be
//! tested, and fuzzed, without a server.

use async_graphql::Request;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, header};
use serde_json::value::RawValue;

pub use super::answer::Refusal;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_batch: usize,
}

/// One operation, or a batch (a JSON array of them, POST only).
#[derive(Debug)]
pub enum Operations {
    Single(Request),
    Batch(Vec<Request>),
}

impl Operations {
    /// How many operations the request holds (a batch is never empty).
    pub fn count(&self) -> usize {
        match self {
            Self::Single(_) => 1,
            Self::Batch(b) => b.len(),
        }
    }
}

/// Reads a POST body up to the limit: a declared length over it is refused
/// before reading, a stream that runs over it as soon as it does.
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Refusal> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        // The only other failure is the connection dropping mid-body.
        if e.into_inner().is::<http_body_util::LengthLimitError>() {
            too_large(limit)
        } else {
            Refusal::bad_request("the request body could not be read")
        }
    })
}

fn too_large(limit: usize) -> Refusal {
    Refusal::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is over {limit} bytes"),
    )
}

/// The operations in a request. GET reads `query`, `operationName`, and the
/// JSON-encoded `variables` and `extensions` from the query string; POST
/// reads a JSON body (`Content-Type: application/json`), an object or an
/// array of at most `max_batch` objects.
pub fn parse(
    method: &Method,
    content_type: Option<&str>,
    query_string: Option<&str>,
    body: &[u8],
    limits: Limits,
) -> Result<Operations, Refusal> {
    if *method == Method::GET {
        return from_query_string(query_string.unwrap_or_default()).map(Operations::Single);
    }
    if *method != Method::POST {
        return Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "use POST, or GET for queries",
        ));
    }
    if !is_json(content_type) {
        return Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as `Content-Type: application/json` (or multipart/form-data with files)",
        ));
    }
    if body.len() > limits.max_body_bytes {
        return Err(too_large(limits.max_body_bytes));
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => Err(Refusal::bad_request("the request body is empty")),
        Some(b'[') => batch(body, limits.max_batch).map(Operations::Batch),
        Some(_) => one(body).map(Operations::Single),
    }
}

/// `application/json`, with any parameters; the charset, if named, UTF-8.
fn is_json(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    let mut parts = ct.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        && parts.all(|p| match p.trim().split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
                v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            _ => true,
        })
}

fn one(body: &[u8]) -> Result<Request, Refusal> {
    let request: Request = serde_json::from_slice(body).map_err(|e| explain(body, &e))?;
    require_query(request)
}

fn batch(body: &[u8], max: usize) -> Result<Vec<Request>, Refusal> {
    // Count first: an oversized batch is refused without decoding it.
    let items: Vec<&RawValue> = serde_json::from_slice(body).map_err(|e| explain(body, &e))?;
    if items.is_empty() {
        return Err(Refusal::bad_request("the batch is empty"));
    }
    if items.len() > max {
        return Err(Refusal::bad_request(format!(
            "a batch may hold at most {max} operations, this one has {}",
            items.len()
        )));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let bytes = raw.get().as_bytes();
            let request: Request = serde_json::from_slice(bytes).map_err(|e| {
                let Refusal { status, error } = explain(bytes, &e);
                Refusal {
                    status,
                    error: crate::error::AppError::InvalidRequest(format!(
                        "operation {i} of the batch: {}",
                        error.public_message()
                    )),
                }
            })?;
            require_query(request)
        })
        .collect()
}

/// A `query`, or the hash of a persisted one.
fn require_query(request: Request) -> Result<Request, Refusal> {
    if request.query.trim().is_empty() && !request.extensions.contains_key("persistedQuery") {
        return Err(Refusal::bad_request("the request has no `query`"));
    }
    Ok(request)
}

/// Says what is wrong in the caller's terms; serde's own text names Rust
/// types, so it is used only for its position.
fn explain(body: &[u8], e: &serde_json::Error) -> Refusal {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => Refusal::bad_request(format!(
            "the request body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )),
        Category::Data => Refusal::bad_request(wrong_shape(body)),
    }
}

/// Valid JSON of the wrong shape: which parameter is wrong.
fn wrong_shape(body: &[u8]) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(body) else {
        return "the request must be a JSON object (or an array of them)".to_owned();
    };
    let expect = |name: &str, ok: fn(&serde_json::Value) -> bool, what: &str| {
        fields
            .get(name)
            .filter(|v| !v.is_null() && !ok(v))
            .map(|_| format!("`{name}` must be {what}"))
    };
    expect("query", serde_json::Value::is_string, "a string")
        .or_else(|| expect("operationName", serde_json::Value::is_string, "a string"))
        .or_else(|| expect("variables", serde_json::Value::is_object, "an object"))
        .or_else(|| expect("extensions", serde_json::Value::is_object, "an object"))
        .unwrap_or_else(|| "the request's parameters are not valid".to_owned())
}

fn from_query_string(qs: &str) -> Result<Request, Refusal> {
    let mut request = Request::new("");
    for (key, value) in url::form_urlencoded::parse(qs.as_bytes()) {
        match key.as_ref() {
            "query" => request.query = value.into_owned(),
            "operationName" if !value.is_empty() => {
                request.operation_name = Some(value.into_owned());
            }
            "variables" if !value.is_empty() => {
                request.variables =
                    serde_json::from_str::<Option<async_graphql::Variables>>(&value)
                        .map_err(|_| Refusal::bad_request("`variables` must be a JSON object"))?
                        .unwrap_or_default();
            }
            "extensions" if !value.is_empty() => {
                request.extensions =
                    serde_json::from_str::<Option<async_graphql::Extensions>>(&value)
                        .map_err(|_| Refusal::bad_request("`extensions` must be a JSON object"))?
                        .unwrap_or_default();
            }
            _ => {}
        }
    }
    require_query(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_body_bytes: 1024,
        max_batch: 3,
    };

    fn post(body: &str) -> Result<Operations, Refusal> {
        parse(
            &Method::POST,
            Some("application/json"),
            None,
            body.as_bytes(),
            LIMITS,
        )
    }

    fn status(r: Result<Operations, Refusal>) -> u16 {
        match r {
            Ok(_) => 200,
            Err(e) => e.status.as_u16(),
        }
    }

    fn message(r: Result<Operations, Refusal>) -> String {
        r.expect_err("refused").error.public_message()
    }

    #[test]
    fn posts_decode() {
        let Ok(Operations::Single(r)) = post(
            r#"{"query":"query Q($a: Int) { version }","operationName":"Q","variables":{"a":1},"extensions":{"x":true}}"#,
        ) else {
            panic!("one operation");
        };
        assert_eq!(r.operation_name.as_deref(), Some("Q"));
        assert_eq!(r.variables.len(), 1);
        assert!(r.extensions.contains_key("x"));
        for nulls in [
            r#"{"query":"{ version }","variables":null}"#,
            r#"{"query":"{ version }","operationName":null}"#,
            r#"{"query":"{ version }","extensions":null}"#,
        ] {
            assert_eq!(status(post(nulls)), 200, "{nulls}");
        }
    }

    #[test]
    fn malformed_posts_are_400_with_a_reason() {
        let m = message(post(r#"{ "not a JSON"#));
        assert!(m.starts_with("the request body is not valid JSON"), "{m}");
        assert!(!m.contains("Error("), "{m}");
        assert_eq!(
            message(post(r#"{"qeury":"{ version }"}"#)),
            "the request has no `query`"
        );
        assert_eq!(message(post(r#"{"query":0}"#)), "`query` must be a string");
        assert_eq!(
            message(post(r#"{"query":"{ version }","operationName":["a"]}"#)),
            "`operationName` must be a string"
        );
        assert_eq!(
            message(post(r#"{"query":"{ version }","variables":"x"}"#)),
            "`variables` must be an object"
        );
        assert_eq!(
            message(post(r#"{"query":"{ version }","extensions":false}"#)),
            "`extensions` must be an object"
        );
        assert_eq!(status(post("")), 400);
        assert_eq!(status(post("42")), 400);
    }

    #[test]
    fn media_type_and_size_are_checked() {
        let body = br#"{"query":"{ version }"}"#;
        let with = |ct: Option<&str>| status(parse(&Method::POST, ct, None, body, LIMITS));
        assert_eq!(with(None), 415);
        assert_eq!(with(Some("text/plain")), 415);
        assert_eq!(with(Some("application/json; charset=latin1")), 415);
        assert_eq!(with(Some("Application/JSON; charset=UTF-8")), 200);
        let big = format!(
            r#"{{"query":"{{ version }}","variables":{{"s":"{}"}}}}"#,
            "x".repeat(2000)
        );
        assert_eq!(status(post(&big)), 413);
    }

    #[test]
    fn batches_are_bounded() {
        let op = r#"{"query":"{ version }"}"#;
        let Ok(Operations::Batch(ops)) = post(&format!("[{op},{op}]")) else {
            panic!("a batch");
        };
        assert_eq!(ops.len(), 2);
        assert_eq!(status(post("[]")), 400);
        let m = message(post(&format!("[{op},{op},{op},{op}]")));
        assert!(m.contains("at most 3"), "{m}");
        let m = message(post(&format!(r#"[{op},{{"query":1}}]"#)));
        assert_eq!(m, "operation 1 of the batch: `query` must be a string");
    }

    #[test]
    fn gets_read_the_query_string() {
        let get = |qs: &str| parse(&Method::GET, None, Some(qs), b"", LIMITS);
        let Ok(Operations::Single(r)) = get(
            "query=query%20Q(%24n%3A%20String!)%20%7B%20version%20%7D&operationName=Q&variables=%7B%22n%22%3A%22x%22%7D",
        ) else {
            panic!("one operation");
        };
        assert_eq!(r.query, "query Q($n: String!) { version }");
        assert_eq!(r.variables.len(), 1);
        assert_eq!(status(get("")), 400);
        assert_eq!(status(get("query=%7Bversion%7D&variables=%5B1%5D")), 400);
        assert_eq!(status(get("query=%7Bversion%7D&variables=nope")), 400);
        let apq = r#"extensions=%7B%22persistedQuery%22%3A%7B%22version%22%3A1%2C%22sha256Hash%22%3A%22ab%22%7D%7D"#;
        assert_eq!(status(get(apq)), 200, "a persisted query needs no text");
        assert_eq!(status(parse(&Method::PUT, None, None, b"", LIMITS)), 405);
    }
}
