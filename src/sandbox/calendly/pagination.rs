//! Calendly's cursor pagination: opaque `page_token`s, `count` (1–100,
//! default 20) and the `pagination` object whose `next_page` /
//! `previous_page` are full URLs a client can follow as they are.
//!
//! Tokens are keyset positions (the sort key of the last or first row shown),
//! not offsets, so a booking made while a client pages does not make it see a
//! row twice or skip one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::errors::ApiError;

pub const DEFAULT_COUNT: usize = 20;
pub const MAX_COUNT: usize = 100;

/// A position in a sorted collection: rows strictly after (`forward`) or
/// strictly before (`!forward`) the row whose sort key is `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToken {
    pub forward: bool,
    pub key: String,
}

impl PageToken {
    pub fn encode(&self) -> String {
        let dir = if self.forward { 'n' } else { 'p' };
        URL_SAFE_NO_PAD.encode(format!("{dir}:{}", self.key))
    }

    pub fn decode(token: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::invalid("page_token", "is invalid");
        let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let (dir, key) = raw.split_once(':').ok_or_else(bad)?;
        let forward = match dir {
            "n" => true,
            "p" => false,
            _ => return Err(bad()),
        };
        Ok(Self {
            forward,
            key: key.to_owned(),
        })
    }
}

/// `count` and `page_token` from the query, validated as Calendly does.
pub fn page_params(query: &[(String, String)]) -> Result<(usize, Option<PageToken>), ApiError> {
    let count = match super::api::param(query, "count") {
        None => DEFAULT_COUNT,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_COUNT).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid(
                    "count",
                    format!("must be an integer between 1 and {MAX_COUNT}"),
                ));
            }
        },
    };
    let token = super::api::param(query, "page_token")
        .map(PageToken::decode)
        .transpose()?;
    Ok((count, token))
}

/// One page of a collection already sorted in the requested order; `keys`
/// are the rows' unique sort keys, ordered like the rows.
pub struct Page<T> {
    pub rows: Vec<T>,
    pub next: Option<PageToken>,
    pub previous: Option<PageToken>,
}

/// Cuts one page out of `rows` (sorted ascending by key when `!desc`,
/// descending when `desc`); each row carries its unique sort key.
pub fn paginate<T>(
    rows: Vec<(String, T)>,
    count: usize,
    token: Option<&PageToken>,
    desc: bool,
) -> Page<T> {
    let page = paginate_by(rows, |r| r.0.clone(), count, token, desc);
    Page {
        rows: page.rows.into_iter().map(|(_, r)| r).collect(),
        next: page.next,
        previous: page.previous,
    }
}

/// Like `paginate`, computing keys only where needed: the token's position is
/// found by binary search, so a page of a few thousand rows stays cheap.
pub fn paginate_by<T>(
    rows: Vec<T>,
    key: impl Fn(&T) -> String,
    count: usize,
    token: Option<&PageToken>,
    desc: bool,
) -> Page<T> {
    // "a comes after b" in the requested order.
    let after = |a: &str, b: &str| if desc { a < b } else { a > b };
    let (start, end) = match token {
        None => (0, count.min(rows.len())),
        Some(t) if t.forward => {
            let start = rows.partition_point(|r| !after(&key(r), &t.key));
            (start, (start + count).min(rows.len()))
        }
        Some(t) => {
            // Rows before the key: the page is the last `count` of them.
            let end = rows.partition_point(|r| after(&t.key, &key(r)));
            (end.saturating_sub(count), end)
        }
    };
    let next = (end < rows.len() && end > start).then(|| PageToken {
        forward: true,
        key: key(&rows[end - 1]),
    });
    let previous = (start > 0 && start < rows.len()).then(|| PageToken {
        forward: false,
        key: key(&rows[start]),
    });
    let rows = rows.into_iter().skip(start).take(end - start).collect();
    Page {
        rows,
        next,
        previous,
    }
}

/// The `{collection, pagination}` envelope. `url` is the full URL of the list
/// (base + path); `query` is the request's query, re-used in the page links
/// with `count` and `page_token` replaced.
pub fn envelope(
    collection: Vec<Value>,
    next: Option<PageToken>,
    previous: Option<PageToken>,
    count: usize,
    url: &str,
    query: &[(String, String)],
) -> Value {
    let link = |t: &PageToken| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in query {
            if k != "count" && k != "page_token" {
                s.append_pair(k, v);
            }
        }
        s.append_pair("count", &count.to_string());
        s.append_pair("page_token", &t.encode());
        format!("{url}?{}", s.finish())
    };
    let n = collection.len();
    json!({
        "collection": collection,
        "pagination": {
            "count": n,
            "next_page": next.as_ref().map(link),
            "previous_page": previous.as_ref().map(link),
            "next_page_token": next.as_ref().map(PageToken::encode),
            "previous_page_token": previous.as_ref().map(PageToken::encode),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<(String, usize)> {
        (0..n).map(|i| (format!("{i:04}"), i)).collect()
    }

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let t = PageToken {
            forward: false,
            key: "00001234|ABC".into(),
        };
        assert_eq!(PageToken::decode(&t.encode()).unwrap(), t);
        assert!(PageToken::decode("%%%").is_err());
        assert!(PageToken::decode(&URL_SAFE_NO_PAD.encode("x:1")).is_err());
    }

    #[test]
    fn pages_forward_to_the_end_and_back() {
        let mut seen = Vec::new();
        let mut token = None;
        loop {
            let page = paginate(rows(7), 3, token.as_ref(), false);
            seen.extend(page.rows);
            match page.next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        assert_eq!(seen, (0..7).collect::<Vec<_>>());

        let last = paginate(rows(7), 3, token.as_ref(), false);
        assert_eq!(last.rows, vec![6]);
        let back = paginate(rows(7), 3, last.previous.as_ref(), false);
        assert_eq!(back.rows, vec![3, 4, 5]);
        let first = paginate(rows(7), 3, back.previous.as_ref(), false);
        assert_eq!(first.rows, vec![0, 1, 2]);
        assert!(first.previous.is_none());
    }

    #[test]
    fn descending_order_and_exact_multiple() {
        let mut desc = rows(6);
        desc.reverse();
        let p1 = paginate(desc.clone(), 3, None, true);
        assert_eq!(p1.rows, vec![5, 4, 3]);
        let p2 = paginate(desc, 3, p1.next.as_ref(), true);
        assert_eq!(p2.rows, vec![2, 1, 0]);
        assert!(p2.next.is_none(), "no empty trailing page");
    }
}
