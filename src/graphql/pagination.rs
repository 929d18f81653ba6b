//! One way to page every connection: one page-size rule and one opaque cursor
//! scheme. A cursor names its list and the key of the last row seen, so a
//! cursor from one list is refused by another instead of misread.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{OutputType, connection::EmptyFields};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// `first` when a connection is asked for without it.
pub const DEFAULT_PAGE: i32 = 20;
pub const MAX_PAGE: i32 = 100;

/// `first` for connections: 20 when absent, 1 to 100 otherwise.
pub fn page_size(first: Option<i32>) -> Result<u64, AppError> {
    match first.unwrap_or(DEFAULT_PAGE) {
        n @ 1..=MAX_PAGE => Ok(n.unsigned_abs().into()),
        _ => Err(AppError::bad_request(format!(
            "first must be between 1 and {MAX_PAGE}"
        ))),
    }
}

/// For a field's complexity: what a page of this size costs.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize * child_complexity + 1
}

pub fn encode_cursor<K: Serialize>(list: &str, key: &K) -> String {
    let key = serde_json::to_string(key).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(format!("{list}:{key}"))
}

/// The key inside a cursor of `list`, or a BAD_USER_INPUT naming `after`.
pub fn decode_cursor<K: DeserializeOwned>(list: &str, cursor: &str) -> Result<K, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.strip_prefix(list)
                .and_then(|rest| rest.strip_prefix(':'))
                .and_then(|key| serde_json::from_str(key).ok())
        })
        .ok_or_else(|| AppError::bad_request("after is not a cursor from this list"))
}

/// `after`, decoded when given.
pub fn after<K: DeserializeOwned>(list: &str, after: Option<&str>) -> Result<Option<K>, AppError> {
    after.map(|c| decode_cursor(list, c)).transpose()
}

/// A page of rows as a Relay connection; each edge's cursor is its row's key.
pub fn connection<R, K, N>(
    list: &str,
    rows: Vec<R>,
    has_previous: bool,
    has_next: bool,
    key: impl Fn(&R) -> K,
    node: impl Fn(R) -> N,
) -> Connection<String, N, EmptyFields, EmptyFields>
where
    K: Serialize,
    N: OutputType,
{
    let mut conn = Connection::new(has_previous, has_next);
    conn.edges.extend(
        rows.into_iter()
            .map(|r| Edge::new(encode_cursor(list, &key(&r)), node(r))),
    );
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let c = encode_cursor("tickets", &42i64);
        assert_eq!(decode_cursor::<i64>("tickets", &c).ok(), Some(42));
        assert!(decode_cursor::<i64>("clients", &c).is_err(), "another list");
        assert!(decode_cursor::<i64>("tickets", "nope").is_err());
        let e = encode_cursor("clients", &"ada@example.com");
        assert_eq!(
            decode_cursor::<String>("clients", &e).ok().as_deref(),
            Some("ada@example.com")
        );
        assert!(
            decode_cursor::<i64>("clients", &e).is_err(),
            "wrong key type"
        );
    }

    #[test]
    fn page_sizes() {
        assert_eq!(page_size(None).ok(), Some(20));
        assert_eq!(page_size(Some(100)).ok(), Some(100));
        assert!(page_size(Some(0)).is_err());
        assert!(page_size(Some(101)).is_err());
    }
}
