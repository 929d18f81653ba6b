//! The page's own HTTP answers: embedded assets with a strict policy.

use crate::helpers::spawn_app;

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

/// GraphiQL's editor comes from a CDN: only pinned versions, each checked
/// against its integrity hash, and nothing may run that is not from there
/// or from us.
#[tokio::test]
async fn graphiql_loads_only_pinned_files_checked_by_their_hashes() {
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
        assert!(
            csp.contains("script-src 'self' https://unpkg.com;"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        let page = res.text().await.unwrap();
        assert!(!page.contains("<script>"), "no inline script");
        let tags: Vec<&str> = page
            .split('<')
            .filter(|t| t.contains("https://"))
            .filter(|t| t.starts_with("script") || t.starts_with("link"))
            .collect();
        assert_eq!(
            tags.len(),
            4,
            "React, ReactDOM, GraphiQL and its CSS: {tags:?}"
        );
        for tag in tags {
            assert!(tag.contains("integrity=\"sha384-"), "{tag}");
            assert!(tag.contains("crossorigin=\"anonymous\""), "{tag}");
            let url = tag.split("https://").nth(1).unwrap();
            let package = url.split('/').nth(1).unwrap();
            let version = package.rsplit('@').next().unwrap();
            assert_eq!(
                version
                    .split('.')
                    .filter(|p| p.parse::<u32>().is_ok())
                    .count(),
                3,
                "an exact version: {tag}"
            );
        }
    }
}
