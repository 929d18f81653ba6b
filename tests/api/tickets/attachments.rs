//! Files on tickets, both ways: a client's upload (GraphQL multipart
//! request) reaches the Monday update as an asset through the outbox; files
//! staff attach in Monday show in the portal; every download is authorized
//! for the one asking, and refused files say why.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::*;

const ADD_ATTACHMENT: &str = include_str!("../operations/tickets/add_attachment.graphql");
const TICKET_ATTACHMENTS: &str = include_str!("../operations/tickets/ticket_attachments.graphql");
const CREATE_WITH_FILES: &str =
    include_str!("../operations/tickets/create_ticket_with_files.graphql");

/// A real (1×1) PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\0\x01\x01\0\x05\x18\xd8N\0\0\0\0IEND\xaeB`\x82";

struct File<'a> {
    name: &'a str,
    content_type: &'a str,
    bytes: Vec<u8>,
}

fn png(name: &str) -> File<'_> {
    File {
        name,
        content_type: "image/png",
        bytes: PNG.to_vec(),
    }
}

/// One operation as a GraphQL multipart request, `files` filling the list
/// variable `$files`.
async fn upload(
    app: &TestApp,
    token: &str,
    query: &str,
    mut variables: Value,
    files: Vec<File<'_>>,
) -> reqwest::Response {
    variables["files"] = json!(vec![Value::Null; files.len()]);
    let map: serde_json::Map<String, Value> = (0..files.len())
        .map(|i| (i.to_string(), json!([format!("variables.files.{i}")])))
        .collect();
    let mut form = Form::new()
        .text(
            "operations",
            json!({ "query": query, "variables": variables }).to_string(),
        )
        .text("map", Value::Object(map).to_string());
    for (i, f) in files.into_iter().enumerate() {
        let part = Part::bytes(f.bytes)
            .file_name(f.name.to_owned())
            .mime_str(f.content_type)
            .expect("mime");
        form = form.part(i.to_string(), part);
    }
    app.client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("POST /graphql")
}

async fn upload_json(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
    files: Vec<File<'_>>,
) -> Value {
    upload(app, token, query, variables, files)
        .await
        .json()
        .await
        .expect("JSON answer")
}

/// `GET path`, with a bearer token when given.
async fn fetch(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("GET")
}

async fn attachments_seen(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let t = app
        .graphql_as(token, TICKET_ATTACHMENTS, json!({ "id": id }))
        .await;
    data(t)["ticket"]["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The assets on the item's updates, as the sandbox holds them.
fn monday_assets(app: &TestApp, item: u64) -> Vec<Value> {
    let item = app.sandbox().monday().item_json(item).expect("item");
    item["updates"]
        .as_array()
        .expect("updates")
        .iter()
        .flat_map(|u| u["assets"].as_array().cloned().unwrap_or_default())
        .collect()
}

async fn signed_in_with_ticket(app: &TestApp, admin: &str, email: &str) -> (String, String, u64) {
    let (_, _, token) = app.signed_in_client(admin, email).await;
    let t = app
        .create_ticket(
            &token,
            json!({ "title": "Printer error", "description": "E42" }),
        )
        .await;
    let id = t["id"].as_str().expect("id").to_owned();
    let item = app.wait_synced(&token, &id).await;
    (token, id, item)
}

#[tokio::test]
async fn a_clients_file_reaches_monday_and_only_its_owner_downloads_it() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (ada, id, item) = signed_in_with_ticket(&app, &admin, "ada@example.com").await;
    let (bob, _, _) = signed_in_with_ticket(&app, &admin, "bob@example.com").await;

    let answer = upload_json(
        &app,
        &ada,
        ADD_ATTACHMENT,
        json!({ "ticketId": id, "body": "Here is the error" }),
        vec![png("error screen.png")],
    )
    .await;
    let files = data(answer)["addTicketComment"]["attachments"].clone();
    assert_eq!(files[0]["filename"], "error screen.png", "{files}");
    assert_eq!(files[0]["contentType"], "image/png");
    assert_eq!(files[0]["size"], PNG.len());
    let file_id = files[0]["id"].as_str().expect("id").to_owned();

    // Delivered through the outbox: the update carries the very bytes.
    let asset = eventually("the file on the Monday update", || async {
        monday_assets(&app, item)
            .into_iter()
            .find(|a| a["name"] == "error screen.png")
    })
    .await;
    let asset_id: u64 = asset["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        app.sandbox().monday().asset_content(asset_id).as_deref(),
        Some(PNG)
    );
    let seen = eventually("the file to show as synced", || async {
        let a = attachments_seen(&app, &ada, &id).await;
        (a.len() == 1 && a[0]["syncState"] == "SYNCED").then_some(a)
    })
    .await;
    assert_eq!(monday_assets(&app, item).len(), 1, "sent exactly once");

    // The owner's browser link: no credentials needed, and safe headers.
    let link = seen[0]["downloadUrl"]
        .as_str()
        .expect("downloadUrl")
        .to_owned();
    let before = app.sandbox().monday().asset_downloads();
    let res = reqwest::get(&link).await.expect("download");
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''error%20screen.png")
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(
        app.sandbox().monday().asset_downloads(),
        before + 1,
        "fetched from Monday"
    );

    // With a bearer token, from the cache: Monday is not asked again.
    let path = format!("/api/tickets/attachments/{file_id}");
    let res = fetch(&app, &path, Some(&ada)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(
        app.sandbox().monday().asset_downloads(),
        before + 1,
        "served from the cache"
    );

    // Another client: as if the file did not exist.
    let res = fetch(&app, &path, Some(&bob)).await;
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "NOT_FOUND", "{body}");
    let other = app
        .graphql_as(&bob, TICKET_ATTACHMENTS, json!({ "id": id }))
        .await;
    assert_eq!(code(&other), "NOT_FOUND", "{other}");
    // No credentials, or Ada's link aimed at another file: refused.
    let res = fetch(&app, &path, None).await;
    assert_eq!(res.status(), 401);
    let token = link.split("token=").nth(1).expect("token");
    let other = format!(
        "/api/tickets/attachments/{}?token={token}",
        uuid::Uuid::new_v4()
    );
    let res = app.client.get(app.url(&other)).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_ticket_opened_with_a_screenshot_carries_it_to_monday() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (_, _, ada) = app.signed_in_client(&admin, "ada@example.com").await;
    let answer = upload_json(
        &app,
        &ada,
        CREATE_WITH_FILES,
        json!({ "input": { "title": "Broken login", "description": "See screenshot" } }),
        vec![png("login.png")],
    )
    .await;
    let t = data(answer)["createTicket"].clone();
    assert_eq!(t["attachments"][0]["filename"], "login.png", "{t}");
    let id = t["id"].as_str().unwrap().to_owned();
    let item = app.wait_synced(&ada, &id).await;
    let asset = eventually("the screenshot on Monday", || async {
        monday_assets(&app, item).into_iter().next()
    })
    .await;
    assert_eq!(asset["name"], "login.png");
    let updates = app.sandbox().monday().item_json(item).unwrap()["updates"].clone();
    assert!(
        updates[0]["body"]
            .as_str()
            .unwrap()
            .contains("Attached: login.png"),
        "{updates}"
    );
}

#[tokio::test]
async fn files_staff_attach_on_monday_show_to_the_client_unless_internal() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (ada, id, item) = signed_in_with_ticket(&app, &admin, "grace@example.com").await;
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let file = |name: &str, bytes: &[u8], ty: &str| bridgeboard::sandbox::monday::UploadedFile {
        name: name.to_owned(),
        content_type: ty.to_owned(),
        bytes: bytes.to_vec().into(),
    };
    let monday = app.sandbox().monday();
    let (invoice_update, _) = monday
        .staff_comment_with_files(
            item,
            None,
            "Your invoice is attached.",
            vec![file("invoice.pdf", &pdf, "application/pdf")],
        )
        .unwrap();
    monday
        .staff_comment_with_files(
            item,
            None,
            "[internal] the credit check",
            vec![file("credit.txt", b"score 420", "text/plain")],
        )
        .unwrap();

    let staff = eventually("both files, for staff", || async {
        let a = attachments_seen(&app, &admin, &id).await;
        (a.len() == 2).then_some(a)
    })
    .await;
    let seen = attachments_seen(&app, &ada, &id).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["filename"], "invoice.pdf");
    assert_eq!(seen[0]["contentType"], "application/pdf");
    assert_eq!(seen[0]["size"], pdf.len());

    let res = reqwest::get(seen[0]["downloadUrl"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.bytes().await.unwrap().as_ref(), &pdf[..]);

    let note = staff
        .iter()
        .find(|a| a["filename"] == "credit.txt")
        .expect("the note's file");
    let path = format!("/api/tickets/attachments/{}", note["id"].as_str().unwrap());
    let res = fetch(&app, &path, Some(&ada)).await;
    assert_eq!(res.status(), 404, "a note's file stays internal");
    let res = fetch(&app, &path, Some(&admin)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"score 420");

    // Staff attach through our API too; on a note, the file stays internal.
    let csv = File {
        name: "usage.csv",
        content_type: "text/csv",
        bytes: b"month,calls\n11,42\n".to_vec(),
    };
    let vars = json!({ "ticketId": id, "body": "usage attached", "visibility": "INTERNAL" });
    let answer = upload_json(&app, &admin, ADD_ATTACHMENT, vars, vec![csv]).await;
    assert_eq!(
        data(answer)["addTicketComment"]["attachments"][0]["contentType"],
        "text/csv"
    );
    let on_monday = eventually("the note's file on Monday", || async {
        let item = app.sandbox().monday().item_json(item).expect("item");
        item["updates"].as_array().unwrap().iter().find_map(|u| {
            let has = u["assets"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["name"] == "usage.csv");
            has.then(|| u["body"].as_str().unwrap_or_default().to_owned())
        })
    })
    .await;
    assert!(on_monday.starts_with("[internal]"), "{on_monday}");
    assert_eq!(attachments_seen(&app, &admin, &id).await.len(), 3);
    let seen = attachments_seen(&app, &ada, &id).await;
    assert_eq!(seen.len(), 1);

    // A link handed out earlier stops working once its comment turns into
    // a note: the check is made at download time.
    let link = seen[0]["downloadUrl"].as_str().unwrap().to_owned();
    monday
        .staff_edit_update(invoice_update, "[internal] wrong customer's invoice")
        .unwrap();
    eventually("the invoice withdrawn", || async {
        attachments_seen(&app, &ada, &id)
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    let res = reqwest::get(&link).await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn oversized_disguised_and_disallowed_files_are_refused_and_nothing_is_kept() {
    let app = spawn_app_with(|v| {
        portal_vars(v);
        v.push(("ATTACHMENT_MAX_BYTES".to_owned(), "4096".to_owned()));
    })
    .await;
    wait_wired(&app).await;
    let admin = app.login_admin().await;
    let (ada, id, item) = signed_in_with_ticket(&app, &admin, "ada@example.com").await;
    let vars = json!({ "ticketId": id, "body": "file" });

    let big = File {
        name: "huge.png",
        content_type: "image/png",
        bytes: [PNG, &[0u8; 5000][..]].concat(),
    };
    let res = upload(&app, &ada, ADD_ATTACHMENT, vars.clone(), vec![big]).await;
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("4096"),
        "{body}"
    );

    let refused =
        |name: &'static str, content_type: &'static str, bytes: &[u8], why: &'static str| {
            let file = File {
                name,
                content_type,
                bytes: bytes.to_vec(),
            };
            let (app, ada, vars) = (&app, &ada, vars.clone());
            async move {
                let answer = upload_json(app, ada, ADD_ATTACHMENT, vars, vec![file]).await;
                assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
                assert!(answer.to_string().contains(why), "{answer}");
            }
        };
    // An HTML page dressed as a picture, and a program.
    let page = b"<html><script>alert(document.cookie)</script></html>";
    refused("photo.png", "image/png", page, "content is not image/png").await;
    let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";
    refused("setup.exe", "application/x-msdownload", exe, "not accepted").await;

    let six = (0..6).map(|_| png("a.png")).collect();
    let answer = upload_json(&app, &ada, ADD_ATTACHMENT, vars.clone(), six).await;
    assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
    assert!(answer.to_string().contains("at most 5 files"), "{answer}");

    // None of it was kept, here or on Monday.
    let t = data(
        app.graphql_as(&ada, TICKET_ATTACHMENTS, json!({ "id": id }))
            .await,
    );
    assert_eq!(t["ticket"]["comments"], json!([]), "{t}");
    assert!(monday_assets(&app, item).is_empty());
}

#[tokio::test]
async fn a_file_is_kept_and_served_while_monday_is_down_then_lands_once() {
    use bridgeboard::sandbox::faults::Upstream;
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (ada, id, item) = signed_in_with_ticket(&app, &admin, "ada@example.com").await;
    app.sandbox().faults().set_down(Upstream::Monday, true);

    let log = File {
        name: "trace.txt",
        content_type: "text/plain",
        bytes: b"panic at line 7\n".to_vec(),
    };
    let answer = upload_json(
        &app,
        &ada,
        ADD_ATTACHMENT,
        json!({ "ticketId": id, "body": "" }),
        vec![log],
    )
    .await;
    let c = data(answer)["addTicketComment"].clone();
    assert_eq!(c["body"], "Attached: trace.txt", "{c}");
    assert_eq!(c["attachments"][0]["syncState"], "PENDING");
    // Our copy serves the owner meanwhile.
    let res = reqwest::get(c["attachments"][0]["downloadUrl"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"panic at line 7\n");
    assert!(monday_assets(&app, item).is_empty());

    app.sandbox().faults().set_down(Upstream::Monday, false);
    eventually("the file delivered", || async {
        let a = attachments_seen(&app, &ada, &id).await;
        (a.len() == 1 && a[0]["syncState"] == "SYNCED").then_some(())
    })
    .await;
    let assets = monday_assets(&app, item);
    assert_eq!(assets.len(), 1, "{assets:?}");
    assert_eq!(assets[0]["name"], "trace.txt");
    assert_eq!(assets[0]["content_type"], "text/plain");
}

#[tokio::test]
async fn a_file_too_large_for_the_cache_streams_from_monday_every_time() {
    let app = spawn_app_with(|v| {
        portal_vars(v);
        v.push(("ATTACHMENT_CACHE_BYTES".to_owned(), "1024".to_owned()));
    })
    .await;
    wait_wired(&app).await;
    let admin = app.login_admin().await;
    let (ada, id, _) = signed_in_with_ticket(&app, &admin, "ada@example.com").await;
    let text: Vec<u8> = (0..4000).map(|i| b'a' + (i % 26) as u8).collect();
    let log = File {
        name: "big.log",
        content_type: "text/plain",
        bytes: text.clone(),
    };
    let vars = json!({ "ticketId": id, "body": "the full log" });
    upload_json(&app, &ada, ADD_ATTACHMENT, vars, vec![log]).await;
    let seen = eventually("the log delivered", || async {
        let a = attachments_seen(&app, &ada, &id).await;
        (a.len() == 1 && a[0]["syncState"] == "SYNCED").then_some(a)
    })
    .await;
    let path = format!(
        "/api/tickets/attachments/{}",
        seen[0]["id"].as_str().unwrap()
    );
    let before = app.sandbox().monday().asset_downloads();
    for n in 1..=2 {
        let res = fetch(&app, &path, Some(&ada)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-length"], "4000");
        assert_eq!(res.bytes().await.unwrap().as_ref(), &text[..]);
        assert_eq!(app.sandbox().monday().asset_downloads(), before + n);
    }
}

#[tokio::test]
async fn only_a_signed_in_caller_may_send_files() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (_, id, _) = signed_in_with_ticket(&app, &admin, "ada@example.com").await;
    let form = Form::new()
        .text(
            "operations",
            json!({ "query": ADD_ATTACHMENT, "variables": { "ticketId": id, "body": "x", "files": [null] } })
                .to_string(),
        )
        .text("map", r#"{"0":["variables.files.0"]}"#)
        .part("0", Part::bytes(PNG.to_vec()).file_name("a.png"));
    let res = app
        .client
        .post(app.url("/graphql"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
}
