//! Behind a reverse proxy every connection comes from the proxy. When it is
//! one of `TRUSTED_PROXIES`, the caller is the right-most address in
//! `X-Forwarded-For` that is not itself a trusted proxy (addresses further
//! left were written by the caller and prove nothing). From anyone else the
//! header is ignored, so it cannot be used to dodge the per-IP limits.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use crate::config::IpRange;

/// The caller's address as a trusted proxy reported it.
#[derive(Clone, Copy, Debug)]
pub struct ForwardedFor(pub IpAddr);

pub async fn client_address(
    State(trusted): State<Arc<Vec<IpRange>>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer
        && trusted.iter().any(|r| r.contains(peer))
        && let Some(ip) = caller(req.headers(), &trusted)
    {
        req.extensions_mut().insert(ForwardedFor(ip));
    }
    next.run(req).await
}

/// The right-most forwarded address that is not a trusted proxy.
fn caller(headers: &HeaderMap, trusted: &[IpRange]) -> Option<IpAddr> {
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    hops.iter()
        .rev()
        .find(|ip| !trusted.iter().any(|r| r.contains(**ip)))
        .or(hops.first())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().expect("value"));
        }
        h
    }

    #[test]
    fn the_caller_is_the_last_hop_before_our_proxies() {
        let trusted = vec![IpRange::parse("172.16.0.0/12").expect("range")];
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        // A caller that writes its own header gains nothing.
        assert_eq!(
            caller(&headers(&["6.6.6.6, 203.0.113.9"]), &trusted),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            caller(&headers(&["203.0.113.9", "172.18.0.3"]), &trusted),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(caller(&headers(&["garbage"]), &trusted), None);
        assert_eq!(caller(&HeaderMap::new(), &trusted), None);
    }
}
