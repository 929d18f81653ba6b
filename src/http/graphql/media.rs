//! Content negotiation, as the GraphQL-over-HTTP spec sets it out: a client
//! that accepts `application/graphql-response+json` gets it, with 4xx
//! statuses for request errors; everyone else gets `application/json` and
//! 200 (legacy clients read only 2xx bodies). A browser's GET without a
//! query gets GraphiQL.

use axum::http::{HeaderMap, HeaderValue, header};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    /// `application/graphql-response+json`: statuses follow the outcome.
    GraphqlResponse,
    /// `application/json`: 200 for anything GraphQL could answer.
    Json,
}

impl Media {
    pub fn content_type(self) -> HeaderValue {
        match self {
            Self::GraphqlResponse => {
                HeaderValue::from_static("application/graphql-response+json; charset=utf-8")
            }
            Self::Json => HeaderValue::from_static("application/json; charset=utf-8"),
        }
    }
}

/// One entry of an `Accept` header: its type and its weight (q × 1000).
fn entries(headers: &HeaderMap) -> Vec<(String, u16)> {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';');
            let ty = parts.next()?.trim().to_ascii_lowercase();
            if ty.is_empty() {
                return None;
            }
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((ty, (q.clamp(0.0, 1.0) * 1000.0) as u16))
        })
        .collect()
}

/// The media type of the answer. With no `Accept`, or none we serve,
/// `application/json` (the spec lets a server disregard what it cannot
/// meet rather than answer 406, which no GraphQL client reads).
pub fn negotiate(headers: &HeaderMap) -> Media {
    let mut best: Option<(u16, Media)> = None;
    for (ty, q) in entries(headers) {
        let media = match ty.as_str() {
            "application/graphql-response+json" => Media::GraphqlResponse,
            "application/json" | "application/*" | "*/*" => Media::Json,
            _ => continue,
        };
        if q == 0 {
            continue;
        }
        // Ties go to the newer type: Apollo Client and graphql-http's
        // client list both, the new one first.
        let better = match best {
            None => true,
            Some((bq, bm)) => q > bq || (q == bq && media == Media::GraphqlResponse && bm != media),
        };
        if better {
            best = Some((q, media));
        }
    }
    best.map_or(Media::Json, |(_, m)| m)
}

/// A browser: `text/html` named explicitly (not through `*/*`, which
/// scripts send too).
pub fn wants_html(headers: &HeaderMap) -> bool {
    entries(headers)
        .iter()
        .any(|(ty, q)| ty == "text/html" && *q > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).expect("header"));
        h
    }

    #[test]
    fn picks_what_the_client_prefers() {
        assert_eq!(negotiate(&HeaderMap::new()), Media::Json);
        assert_eq!(negotiate(&accept("*/*")), Media::Json);
        assert_eq!(negotiate(&accept("application/json")), Media::Json);
        assert_eq!(
            negotiate(&accept("application/graphql-response+json")),
            Media::GraphqlResponse
        );
        assert_eq!(
            negotiate(&accept(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Media::GraphqlResponse
        );
        assert_eq!(
            negotiate(&accept(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Media::Json
        );
        assert_eq!(
            negotiate(&accept(
                "application/json, application/graphql-response+json"
            )),
            Media::GraphqlResponse
        );
        assert_eq!(negotiate(&accept("text/plain")), Media::Json);
        assert_eq!(
            negotiate(&accept("application/graphql-response+json;q=0, */*")),
            Media::Json
        );
    }

    #[test]
    fn html_must_be_asked_for() {
        assert!(wants_html(&accept(
            "text/html,application/xhtml+xml,*/*;q=0.8"
        )));
        assert!(!wants_html(&accept("*/*")));
        assert!(!wants_html(&accept("text/html;q=0")));
        assert!(!wants_html(&HeaderMap::new()));
    }
}
