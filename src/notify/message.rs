//! The text of a notification email: every gathered change, grouped by
//! ticket, with the sign-in link to the ticket and the way out. Plain text,
//! so nothing a client or staff member wrote can become markup.

use crate::db::entities::{ticket, ticket_notification};

/// A reply's text is quoted up to this many characters.
const QUOTE_CHARS: usize = 600;

pub struct Message {
    pub subject: String,
    pub body: String,
}

/// `changes`: each ticket with its changes, oldest first.
pub fn compose(
    name: &str,
    changes: &[(ticket::Model, Vec<ticket_notification::Model>)],
    link: &str,
    unsubscribe: &str,
) -> Message {
    let subject = match changes {
        [(t, _)] => format!("Update on ticket #{}: {}", t.number, one_line(&t.title)),
        many => format!("Updates on {} of your tickets", many.len()),
    };
    let mut body = format!(
        "Hello {},\r\n\r\nThere is news on your support tickets:\r\n",
        one_line(name)
    );
    for (t, notes) in changes {
        body.push_str(&format!("\r\n#{} {}\r\n", t.number, one_line(&t.title)));
        for n in notes {
            body.push_str(&line(n));
        }
    }
    body.push_str(&format!(
        "\r\nOpen the ticket (the link signs you in; it works once):\r\n{link}\r\n\r\n\
         You get these emails because you have a ticket with us. To stop them, \
         turn them off in the portal or open:\r\n{unsubscribe}\r\n"
    ));
    Message { subject, body }
}

fn line(n: &ticket_notification::Model) -> String {
    match n.kind.as_str() {
        super::STATUS => format!("  - The status is now {}.\r\n", one_line(&n.detail)),
        _ => {
            let text: String = n.detail.trim().chars().take(QUOTE_CHARS).collect();
            let more = if n.detail.trim().chars().count() > QUOTE_CHARS {
                " …"
            } else {
                ""
            };
            let quoted = text.replace("\r\n", "\n").replace('\n', "\r\n    > ");
            format!("  - Support replied:\r\n    > {quoted}{more}\r\n")
        }
    }
}

/// Names and titles go into one line of the body or the subject.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use uuid::Uuid;

    fn ticket(number: i64, title: &str) -> ticket::Model {
        ticket::Model {
            id: Uuid::new_v4(),
            number,
            client_id: None,
            title: title.into(),
            description: String::new(),
            status: "OPEN".into(),
            priority: "MEDIUM".into(),
            monday_item_id: None,
            sync_state: "SYNCED".into(),
            sync_error: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            deleted_at: None,
        }
    }

    fn note(kind: &str, detail: &str) -> ticket_notification::Model {
        ticket_notification::Model {
            id: 1,
            client_id: Uuid::nil(),
            ticket_id: Uuid::nil(),
            kind: kind.into(),
            detail: detail.into(),
            comment_id: None,
            created_at: Utc::now(),
            sent_at: None,
            claimed_by: None,
            claimed_until: None,
        }
    }

    #[test]
    fn one_ticket_names_it_and_lists_every_change() {
        let m = compose(
            "Ada",
            &[(
                ticket(7, "Printer\r\non fire"),
                vec![
                    note(super::super::STATUS, "In Progress"),
                    note(super::super::REPLY, "On our way.\nBring coffee."),
                ],
            )],
            "https://x/auth/magic?token=t&ticket=1",
            "https://x/notifications/unsubscribe?token=u",
        );
        assert_eq!(m.subject, "Update on ticket #7: Printer on fire");
        assert!(
            m.body.contains("The status is now In Progress."),
            "{}",
            m.body
        );
        assert!(
            m.body.contains("> On our way.\r\n    > Bring coffee."),
            "{}",
            m.body
        );
        assert!(m.body.contains("https://x/auth/magic?token=t&ticket=1"));
        assert!(
            m.body
                .contains("https://x/notifications/unsubscribe?token=u")
        );
    }

    #[test]
    fn several_tickets_share_one_message() {
        let m = compose(
            "Ada",
            &[
                (ticket(1, "A"), vec![note(super::super::REPLY, "x")]),
                (ticket(2, "B"), vec![note(super::super::STATUS, "Resolved")]),
            ],
            "l",
            "u",
        );
        assert_eq!(m.subject, "Updates on 2 of your tickets");
        assert!(m.body.contains("#1 A") && m.body.contains("#2 B"));
    }
}
