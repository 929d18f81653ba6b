//! The seeded boards: "Client Support Tickets" shaped like the client's board,
//! and "Leads" whose lead `i` is `seed::person(seed, i)` so Calendly invitees
//! match. Deterministic: dates derive from a fixed epoch, never from now.
//! Seeded items get no activity log entries: the seed stands for a board as
//! it already was when the sandbox started, and a board's log begins then.

use chrono::{Duration as Days, NaiveDate};

use super::MondayOptions;
use super::store::{BoardMeta, BoardRec, ColumnRec, GroupRec, ItemRec, STAFF_ID, Store, USERS};
use super::values::{Cell, ColumnKind, Label, Val, label};
use crate::sandbox::seed::{SeedRng, person};

/// Seeded dates fall in the 300 days from here.
const EPOCH: (i32, u32, u32) = (2026, 1, 5);
const EPOCH_TS: i64 = 1_767_571_200; // 2026-01-05T00:00:00Z

fn col(id: &str, title: &str, kind: ColumnKind, labels: Vec<Label>) -> ColumnRec {
    ColumnRec {
        id: id.into(),
        title: title.into(),
        kind,
        labels,
        description: None,
    }
}

fn labels(names: &[&str], done: &[&str]) -> Vec<Label> {
    (0u16..)
        .zip(names)
        .map(|(i, n)| label(i, n, done.contains(n)))
        .collect()
}

fn group(id: &str, title: &str, color: &str) -> GroupRec {
    GroupRec {
        id: id.into(),
        title: title.into(),
        color: color.into(),
    }
}

fn day(offset: u64) -> NaiveDate {
    let base = NaiveDate::from_ymd_opt(EPOCH.0, EPOCH.1, EPOCH.2).unwrap_or_default();
    base + Days::days(i64::try_from(offset).unwrap_or(0))
}

/// Client number `c` of the tickets board: `(email, portal id)`.
pub fn client(seed: u64, c: usize) -> (String, String) {
    let p = person(seed, 1_000_000 + c as u64);
    (p.email, format!("CP-{:04}", c + 1))
}

const TITLES: &[&str] = &[
    "Cannot log in to the portal",
    "Invoice shows the wrong amount",
    "Export to CSV fails",
    "Request for a new user seat",
    "Dashboard loads slowly",
    "Password reset email never arrives",
    "Integration stopped syncing",
    "Question about the renewal",
];

fn board(store: &mut Store, name: &str, columns: Vec<ColumnRec>, groups: Vec<GroupRec>) -> u64 {
    let id = store.next_id();
    let mut all = vec![col(
        "name",
        if name == "Leads" { "Name" } else { "Title" },
        ColumnKind::Name,
        vec![],
    )];
    all.extend(columns);
    let meta = BoardMeta {
        id,
        name: name.into(),
        kind: "public".into(),
        description: None,
        columns: all,
        groups,
        created_at: EPOCH_TS,
    };
    store.boards.push(BoardRec::new(meta));
    id
}

fn cell(val: Val, ts: i64) -> Option<Cell> {
    Some(Cell {
        val,
        changed_at: ts,
    })
}

/// Fills `store` and returns `(tickets board id, leads board id)`.
pub fn seed(store: &mut Store, o: &MondayOptions) -> (u64, u64) {
    let tickets = board(
        store,
        "Client Support Tickets",
        vec![
            col("ticket_id", "Ticket ID", ColumnKind::Text, vec![]),
            col("description", "Description", ColumnKind::LongText, vec![]),
            col("client_email", "Client Email", ColumnKind::Email, vec![]),
            col(
                "client_portal_id",
                "Client Portal ID",
                ColumnKind::Text,
                vec![],
            ),
            col(
                "status",
                "Status",
                ColumnKind::Status,
                labels(
                    &["Open", "In Progress", "Resolved", "Closed"],
                    &["Resolved", "Closed"],
                ),
            ),
            col(
                "priority",
                "Priority",
                ColumnKind::Status,
                labels(&["Low", "Medium", "High", "Urgent"], &[]),
            ),
            col("created_date", "Created Date", ColumnKind::Date, vec![]),
            col("last_updated", "Last Updated", ColumnKind::Date, vec![]),
        ],
        vec![group("topics", "Support Tickets", "#579bfc")],
    );
    let lead_groups = [
        "scheduled",
        "unqualified",
        "won",
        "cancelled",
        "noshow",
        "proposal",
        "lost",
    ];
    let colors = [
        "#579bfc", "#c4c4c4", "#00c875", "#e2445c", "#ff642e", "#a25ddc", "#333333",
    ];
    let leads = board(
        store,
        "Leads",
        vec![
            col("email", "Email", ColumnKind::Email, vec![]),
            col("phone", "Phone", ColumnKind::Phone, vec![]),
            col("company", "Company", ColumnKind::Text, vec![]),
            col(
                "source",
                "Source",
                ColumnKind::Status,
                labels(
                    &["Website", "Referral", "Calendly", "LinkedIn", "Event"],
                    &[],
                ),
            ),
            col("deal_value", "Deal Value", ColumnKind::Numbers, vec![]),
            col("owner", "Owner", ColumnKind::People, vec![]),
            col("created_date", "Created Date", ColumnKind::Date, vec![]),
            col("meeting_date", "Meeting Date", ColumnKind::Date, vec![]),
        ],
        lead_groups
            .iter()
            .zip(colors)
            .map(|(g, c)| {
                let mut title = g.to_string();
                if let Some(first) = title.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                group(g, &title, c)
            })
            .collect(),
    );

    let mut rng = SeedRng::stream(o.seed, "monday-tickets");
    let clients = o.clients.max(1);
    for i in 0..o.tickets {
        let (email, portal) = client(o.seed, i % clients);
        let created = rng.below(280);
        let updated = created + rng.below(20);
        let ts = EPOCH_TS + i64::try_from(created).unwrap_or(0) * 86_400;
        let title = *rng.pick(TITLES);
        let cells = vec![
            None,
            cell(Val::Text(format!("TCK-{:05}", i + 1).into()), ts),
            cell(
                Val::LongText(format!("{title}. Reported by {email} (ticket {}).", i + 1).into()),
                ts,
            ),
            cell(
                Val::Email {
                    email: email.clone().into(),
                    text: email.into(),
                },
                ts,
            ),
            cell(Val::Text(portal.into()), ts),
            cell(Val::Status(u16::try_from(rng.below(4)).unwrap_or(0)), ts),
            cell(Val::Status(u16::try_from(rng.below(4)).unwrap_or(0)), ts),
            cell(
                Val::Date {
                    date: day(created),
                    time: None,
                },
                ts,
            ),
            cell(
                Val::Date {
                    date: day(updated),
                    time: None,
                },
                ts,
            ),
        ];
        let id = store.next_id();
        store.insert_item(ItemRec {
            id,
            board_id: tickets,
            group: 0,
            name: title.into(),
            cells,
            created_at: ts,
            updated_at: ts,
            creator_id: STAFF_ID,
            archived: false,
        });
    }

    let mut rng = SeedRng::stream(o.seed, "monday-leads");
    // Weights of the seven groups, in `lead_groups` order.
    let weights = [30u64, 15, 12, 10, 8, 15, 10];
    for i in 0..o.leads {
        let p = person(o.seed, i as u64);
        let mut roll = rng.below(100);
        let group = weights.iter().position(|w| {
            let hit = roll < *w;
            roll = roll.saturating_sub(*w);
            hit
        });
        let created = rng.below(300);
        let ts = EPOCH_TS + i64::try_from(created).unwrap_or(0) * 86_400;
        let owner = USERS[2 + (rng.below(3) as usize)].0;
        let cells = vec![
            None,
            cell(
                Val::Email {
                    email: p.email.clone().into(),
                    text: p.email.into(),
                },
                ts,
            ),
            cell(
                Val::Phone {
                    phone: p.phone.into(),
                    country: "US".into(),
                },
                ts,
            ),
            cell(Val::Text(p.company.into()), ts),
            cell(Val::Status(u16::try_from(rng.below(5)).unwrap_or(0)), ts),
            cell(Val::Number((rng.below(200) * 250) as f64), ts),
            cell(Val::People(Box::new([owner])), ts),
            cell(
                Val::Date {
                    date: day(created),
                    time: None,
                },
                ts,
            ),
            rng.chance(70).then(|| Cell {
                val: Val::Date {
                    date: day(created + rng.below(30)),
                    time: None,
                },
                changed_at: ts,
            }),
        ];
        let id = store.next_id();
        let name = format!("{} {}", p.first_name, p.last_name);
        store.insert_item(ItemRec {
            id,
            board_id: leads,
            group: group.unwrap_or(0),
            name: name.into(),
            cells,
            created_at: ts,
            updated_at: ts,
            creator_id: STAFF_ID,
            archived: false,
        });
    }
    (tickets, leads)
}
