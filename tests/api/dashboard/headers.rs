//! The page's own HTTP answers: embedded assets with a strict policy.

use base64::Engine;

use crate::helpers::{TestApp, spawn_app};

#[tokio::test]
async fn the_page_and_its_assets_come_with_a_strict_policy() {
    let app = spawn_app().await;
    for path in [
        "/dashboard",
        "/dashboard/assets/app.js",
        "/dashboard/assets/style.css",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
    }
    let js = app.get("/dashboard/assets/app.js").await;
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let page = app.get("/dashboard").await.text().await.unwrap();
    // No inline script and nothing from another origin.
    assert!(!page.contains("<script>"));
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert_eq!(app.get("/dashboard/assets/nope.js").await.status(), 404);
}

/// GraphiQL's editor is served by us, each file exactly the published one
/// its integrity hash names; the page runs nothing from anywhere else.
#[tokio::test]
async fn graphiql_runs_only_its_own_embedded_files_checked_by_their_hashes() {
    let app = spawn_app().await;
    for res in [
        app.get("/dashboard/graphiql").await,
        app.graphiql(None).await,
    ] {
        assert_eq!(res.status(), 200);
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(
            !csp.contains("https:") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        let page = res.text().await.unwrap();
        assert!(!page.contains("<script>"), "no inline script");
        assert!(!page.contains("https://"), "nothing from another origin");
        let tags: Vec<&str> = page
            .split('<')
            .filter(|t| t.contains("/dashboard/vendor/"))
            .collect();
        assert_eq!(
            tags.len(),
            4,
            "React, ReactDOM, GraphiQL and its CSS: {tags:?}"
        );
        for tag in tags {
            let path = attribute(
                tag,
                if tag.starts_with("link") {
                    "href"
                } else {
                    "src"
                },
            );
            let integrity = attribute(tag, "integrity");
            let (algorithm, want) = integrity.split_once('-').unwrap();
            assert_eq!(algorithm, "sha384", "{tag}");
            // As a browser fetches it (gzip), and as a client that takes
            // no compression does: the same bytes, the pinned ones.
            for encoding in ["gzip", "identity"] {
                let res = get_with(&app, path, "accept-encoding", encoding).await;
                assert_eq!(res.status(), 200, "{path}");
                assert!(
                    res.headers()["content-security-policy"]
                        .to_str()
                        .unwrap()
                        .contains("script-src 'self';")
                );
                let tag = res.headers()["etag"].clone();
                let gzipped = res
                    .headers()
                    .get("content-encoding")
                    .is_some_and(|v| v == "gzip");
                assert_eq!(gzipped, encoding == "gzip", "{path} over {encoding}");
                let mut body = res.bytes().await.unwrap().to_vec();
                if gzipped {
                    let mut plain = Vec::new();
                    std::io::Read::read_to_end(
                        &mut flate2::read::GzDecoder::new(&body[..]),
                        &mut plain,
                    )
                    .unwrap();
                    body = plain;
                }
                let got = base64::engine::general_purpose::STANDARD
                    .encode(<sha2::Sha384 as sha2::Digest>::digest(&body));
                assert_eq!(got, want, "{path} over {encoding}");
                let tag = tag.to_str().unwrap();
                let again = get_with(&app, path, "if-none-match", tag).await;
                assert_eq!(again.status(), 304, "{path}");
            }
        }
    }
    assert_eq!(app.get("/dashboard/vendor/vue.js").await.status(), 404);
}

async fn get_with(app: &TestApp, path: &str, name: &str, value: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header(name, value)
        .send()
        .await
        .unwrap()
}

/// The value of `name="…"` in an HTML tag.
fn attribute<'a>(tag: &'a str, name: &str) -> &'a str {
    let start = tag
        .find(&format!(" {name}=\""))
        .unwrap_or_else(|| panic!("{name} in {tag}"))
        + name.len()
        + 3;
    let len = tag[start..].find('"').unwrap();
    &tag[start..start + len]
}
