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
