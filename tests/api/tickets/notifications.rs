//! Clients hear of staff replies and status changes by email: one message
//! per burst, through a real SMTP conversation on loopback, with a sign-in
//! link to the ticket and a one-click unsubscribe; never an internal note,
//! never their own changes, and nothing lost when the mail server refuses.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::auth_support::{REDEEM_MAGIC_LINK, request_link};
use crate::smtp::{Received, SmtpSink};

const MY_PREFERENCES: &str = include_str!("../operations/notifications/my_preferences.graphql");
const UPDATE_MY_PREFERENCES: &str =
    include_str!("../operations/notifications/update_my_preferences.graphql");

/// The portal app, mailing to a fresh sink, gathering for `debounce` seconds.
async fn mailing_app(debounce: &str) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let mut smtp = Vec::new();
    sink.env(&mut smtp);
    let debounce = debounce.to_owned();
    let app = spawn_app_with(move |v| {
        portal_vars(v);
        v.extend(smtp);
        v.push(("NOTIFY_DEBOUNCE_SECONDS".into(), debounce));
    })
    .await;
    wait_wired(&app).await;
    (app, sink)
}

/// A signed-in client (by the link the sink received) with a ticket on the
/// board: `(admin token, client token, ticket id, ticket number, item id)`.
async fn client_with_ticket(
    app: &TestApp,
    sink: &SmtpSink,
    email: &str,
) -> (String, String, String, i64, u64) {
    let admin = app.login_admin().await;
    app.new_client(&admin, email).await;
    let link = request_link(app, sink, email).await;
    let body = app
        .graphql(REDEEM_MAGIC_LINK, json!({ "token": link.magic_token() }))
        .await;
    let token = data(body)["redeemMagicLink"]["token"]
        .as_str()
        .expect("session")
        .to_owned();
    let t = app
        .create_ticket(
            &token,
            json!({ "title": "Printer on fire", "description": "3F" }),
        )
        .await;
    let id = t["id"].as_str().expect("id").to_owned();
    let number = t["number"].as_i64().expect("number");
    let item = app.wait_synced(&token, &id).await;
    (admin, token, id, number, item)
}

fn header(mail: &Received, name: &str) -> Option<String> {
    let (headers, _) = mail.data.split_once("\r\n\r\n")?;
    // Unfold continuation lines first.
    let unfolded = headers.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

/// The URL inside `List-Unsubscribe: <…>`.
fn unsubscribe_url(mail: &Received) -> String {
    let h = header(mail, "List-Unsubscribe").expect("List-Unsubscribe");
    h.trim_start_matches('<').trim_end_matches('>').to_owned()
}

async fn no_mail_for(sink: &SmtpSink, secs: u64) -> Option<Received> {
    sink.next(Duration::from_secs(secs)).await
}

#[tokio::test]
async fn a_burst_of_staff_changes_reaches_the_client_as_one_email() {
    let (app, sink) = mailing_app("2").await;
    let (_admin, token, id, number, item) =
        client_with_ticket(&app, &sink, "ada@example.com").await;
    let monday = app.sandbox().monday();

    monday.staff_set_status(item, "In Progress").unwrap();
    monday
        .staff_comment(item, None, "A technician is on the way.")
        .unwrap();
    monday
        .staff_comment(item, None, "[internal] send the new guy")
        .unwrap();
    let mail = sink.next(Duration::from_secs(20)).await.expect("the email");
    assert_eq!(mail.to, ["ada@example.com"]);
    assert_eq!(
        header(&mail, "Subject").as_deref(),
        Some(format!("Update on ticket #{number}: Printer on fire").as_str())
    );
    let body = mail.body();
    assert!(body.contains("The status is now In Progress."), "{body}");
    assert!(body.contains("A technician is on the way."), "{body}");
    assert!(!body.contains("new guy"), "an internal note leaked: {body}");
    assert_eq!(
        header(&mail, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(
        unsubscribe_url(&mail)
            .starts_with(&format!("{}/notifications/unsubscribe?token=", app.address))
    );

    // The link signs the client in, straight to the ticket.
    assert!(body.contains(&format!("&ticket={id}")), "{body}");
    let signed_in = app
        .graphql(REDEEM_MAGIC_LINK, json!({ "token": mail.magic_token() }))
        .await;
    let session = data(signed_in)["redeemMagicLink"]["token"]
        .as_str()
        .expect("a session")
        .to_owned();
    let t = data(app.ticket(&session, &id).await);
    assert_eq!(t["ticket"]["status"], "IN_PROGRESS");

    // One message for the burst; the client's own comment sends none.
    app.graphql_as(
        &token,
        ADD_COMMENT,
        json!({ "ticketId": id, "body": "Thanks!" }),
    )
    .await;
    let extra = no_mail_for(&sink, 4).await;
    assert!(
        extra.is_none(),
        "a second email: {:?}",
        extra.map(|m| m.body())
    );
}

#[tokio::test]
async fn a_reply_made_internal_or_deleted_before_the_mail_goes_is_left_out() {
    let (app, sink) = mailing_app("3").await;
    let (admin, _, id, _, item) = client_with_ticket(&app, &sink, "eve@example.com").await;
    let monday = app.sandbox().monday();
    let hidden = monday
        .staff_comment(item, None, "We will refund you twice.")
        .unwrap();
    let deleted = monday
        .staff_comment(item, None, "Wrong ticket, sorry.")
        .unwrap();
    monday
        .staff_comment(item, None, "Your refund is on its way.")
        .unwrap();
    // Within the window: one reply becomes a note, another is deleted.
    monday
        .staff_edit_update(hidden, "[internal] We will refund you twice.")
        .unwrap();
    monday.staff_delete_update(deleted).unwrap();
    eventually("the note and the deletion applied", || async {
        let t = data(app.ticket(&admin, &id).await);
        let c = t["ticket"]["comments"].as_array()?.clone();
        let note = c.iter().any(|c| c["visibility"] == "INTERNAL");
        (note && c.len() == 2).then_some(())
    })
    .await;
    let mail = sink.next(Duration::from_secs(20)).await.expect("the email");
    let body = mail.body();
    assert!(body.contains("Your refund is on its way."), "{body}");
    assert!(!body.contains("twice"), "a note was mailed: {body}");
    assert!(
        !body.contains("Wrong ticket"),
        "a deleted reply was mailed: {body}"
    );
}

#[tokio::test]
async fn clients_turn_emails_off_in_the_portal_or_with_one_click() {
    let (app, sink) = mailing_app("1").await;
    let (admin, token, id, _, _) = client_with_ticket(&app, &sink, "lin@example.com").await;
    let prefs = |t: &str| {
        let t = t.to_owned();
        let app = &app;
        async move {
            data(app.graphql_as(&t, MY_PREFERENCES, json!({})).await)["myPreferences"]["emailNotifications"].clone()
        }
    };
    let set = |on: bool| {
        let token = token.clone();
        let app = &app;
        async move {
            data(
                app.graphql_as(&token, UPDATE_MY_PREFERENCES, json!({ "on": on }))
                    .await,
            )["updateMyPreferences"]["emailNotifications"]
                .clone()
        }
    };
    let staff_reply = |text: &'static str| {
        let (admin, id) = (admin.clone(), id.clone());
        let app = &app;
        async move {
            data(
                app.graphql_as(&admin, ADD_COMMENT, json!({ "ticketId": id, "body": text }))
                    .await,
            );
        }
    };
    assert_eq!(prefs(&token).await, true);

    assert_eq!(set(false).await, false);
    staff_reply("Reply while opted out").await;
    assert!(
        no_mail_for(&sink, 4).await.is_none(),
        "mailed an opted-out client"
    );

    assert_eq!(set(true).await, true);
    staff_reply("Reply while opted in").await;
    let mail = sink.next(Duration::from_secs(20)).await.expect("the email");
    assert!(mail.body().contains("Reply while opted in"));
    assert!(!mail.body().contains("opted out"), "{}", mail.body());

    // The link in a browser shows a button and changes nothing.
    let url = unsubscribe_url(&mail);
    let http = reqwest::Client::new();
    let page = http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    assert_eq!(prefs(&token).await, true);
    // The mail client's one click (RFC 8058).
    let res = http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(prefs(&token).await, false);
    staff_reply("Reply after the click").await;
    assert!(
        no_mail_for(&sink, 4).await.is_none(),
        "mailed after unsubscribing"
    );

    // A forged or mangled token changes nothing and says why.
    let res = http
        .post(format!(
            "{}/notifications/unsubscribe?token=not-a-token",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "BAD_USER_INPUT", "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("unsubscribe")),
        "{body}"
    );
    // Preferences are a client's own.
    let staff = app
        .graphql_as(&admin, UPDATE_MY_PREFERENCES, json!({ "on": false }))
        .await;
    assert_eq!(code(&staff), "FORBIDDEN", "{staff}");
}

#[tokio::test]
async fn a_mail_server_that_refuses_then_accepts_gets_each_email_once() {
    let (app, sink) = mailing_app("0").await;
    let (admin, _, id, _, _) = client_with_ticket(&app, &sink, "max@example.com").await;
    sink.refuse_next(3);
    data(
        app.graphql_as(
            &admin,
            ADD_COMMENT,
            json!({ "ticketId": id, "body": "We are on it" }),
        )
        .await,
    );
    let mail = sink
        .next(Duration::from_secs(30))
        .await
        .expect("delivered after the refusals");
    assert!(mail.body().contains("We are on it"));
    assert!(no_mail_for(&sink, 3).await.is_none(), "sent twice");
    let to_max = sink
        .received()
        .into_iter()
        .filter(|m| m.to == ["max@example.com"] && m.body().contains("We are on it"))
        .count();
    assert_eq!(to_max, 1);
}

#[tokio::test]
async fn a_crash_between_the_commit_and_the_send_delays_the_email_but_sends_it_once() {
    use super::sigkill::{admin_and_client, free_port, graphql, start_with, wait_ready};
    use crate::helpers::{TestDb, spawn_sandbox};

    let sandbox = spawn_sandbox(|o| {
        o.tickets = 2;
        o.clients = 1;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::create(&dir).await;
    let sink = SmtpSink::start().await;
    let mut extra = Vec::new();
    sink.env(&mut extra);
    extra.push(("NOTIFY_DEBOUNCE_SECONDS".into(), "3".into()));
    let http = reqwest::Client::new();

    let first = start_with(&sandbox, &db, dir.path(), free_port(), &extra);
    wait_ready(&http, &first).await;
    let (admin, client_id) = admin_and_client(&http, &first, "crash@example.com").await;
    let t = graphql(
        &http,
        &first,
        Some(&admin),
        CREATE_TICKET,
        json!({ "input": { "title": "Lost mail?", "clientId": client_id } }),
    )
    .await;
    let id = t["createTicket"]["id"].as_str().unwrap().to_owned();
    // Committed with its notification, which waits out the gathering window.
    graphql(
        &http,
        &first,
        Some(&admin),
        ADD_COMMENT,
        json!({ "ticketId": id, "body": "Answered just before the crash" }),
    )
    .await;
    // SIGKILL before the window ends: nothing was sent.
    drop(first);
    assert!(
        sink.received()
            .iter()
            .all(|m| m.to != ["crash@example.com"]),
        "mailed before the window ended"
    );

    let _second = start_with(&sandbox, &db, dir.path(), free_port(), &extra);
    let mail = sink
        .next(Duration::from_secs(60))
        .await
        .expect("the email, after the restart");
    assert_eq!(mail.to, ["crash@example.com"]);
    assert!(mail.body().contains("Answered just before the crash"));
    assert!(no_mail_for(&sink, 5).await.is_none(), "sent twice");
}
