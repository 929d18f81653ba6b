//! Deterministic seed data for the Calendly account: one organization, its
//! users and memberships, their event types, and scheduled events in the past
//! and future with 1–3 invitees each. Most invitees are drawn from the same
//! population as the Monday leads, so the data hub can match them by email.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::CalendlyOptions;
use super::model::{
    Cancellation, Event, EventType, Invitee, Location, Organization, Role, User,
    WebhookSubscription,
};
use crate::sandbox::seed::{SeedRng, person};

/// Everything the simulator serves.
pub struct Data {
    pub org: Organization,
    pub users: Vec<User>,
    pub event_types: Vec<EventType>,
    /// In creation order; lists sort on demand (a few thousand rows is cheap).
    pub events: Vec<Event>,
    pub event_index: HashMap<String, usize>,
    pub webhooks: Vec<WebhookSubscription>,
}

pub const TIMEZONES: &[&str] = &[
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
];
const COLORS: &[&str] = &["#0069ff", "#8247f5", "#17e885", "#fff200", "#ff4f00"];
const PLACES: &[&str] = &["Calendly Office", "Main Street Cafe", "HQ, Room 4"];
const REASONS: &[&str] = &["Meeting Conflict", "No longer needed", "Rescheduling later"];

fn pick(rng: &mut SeedRng, list: &[&'static str]) -> &'static str {
    list[rng.below(list.len() as u64) as usize]
}

/// A 16-character uppercase identifier, like Calendly's.
pub fn uuid16(rng: &mut SeedRng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    (0..16)
        .map(|_| char::from(ALPHABET[rng.below(32) as usize]))
        .collect()
}

/// Midnight UTC today: seeded times are relative to it, so "past" and
/// "future" stay meaningful while one day's runs see identical data.
pub fn default_anchor() -> DateTime<Utc> {
    let now = Utc::now();
    Utc.timestamp_opt(now.timestamp() - now.timestamp().rem_euclid(86_400), 0)
        .single()
        .unwrap_or(now)
}

pub fn seed(options: &CalendlyOptions) -> Data {
    let anchor = options.anchor.unwrap_or_else(default_anchor);
    let mut rng = SeedRng::stream(options.seed, "calendly");
    let org_created = anchor - Duration::days(900);
    let org = Organization {
        uuid: uuid16(&mut rng),
        created_at: org_created,
    };

    let users: Vec<User> = (0..options.users.max(1))
        .map(|i| {
            let p = person(options.seed ^ 0xCA1E_0000, 10_000_000 + i as u64);
            let role = match i {
                0 => Role::Owner,
                1 => Role::Admin,
                _ => Role::User,
            };
            let first = p.first_name.to_lowercase();
            let last = p.last_name.to_lowercase().replace('-', "");
            User {
                uuid: uuid16(&mut rng),
                membership_uuid: uuid16(&mut rng),
                role,
                name: p.name(),
                slug: format!("{first}-{last}-{i}"),
                email: format!("{first}.{last}{i}@sandbox-team.example"),
                timezone: pick(&mut rng, TIMEZONES),
                created_at: org_created + Duration::days(rng.below(300) as i64),
            }
        })
        .collect();

    // Each user: two solo types and one group type (plus an inactive one for
    // the owner, so the `active` filter has something to filter).
    let mut event_types = Vec::new();
    for (ui, u) in users.iter().enumerate() {
        for (name, duration, group) in [
            ("15 Minute Meeting", 15, false),
            ("30 Minute Discovery Call", 30, false),
            ("60 Minute Group Demo", 60, true),
        ] {
            event_types.push(EventType {
                uuid: uuid16(&mut rng),
                owner: ui,
                name: name.to_owned(),
                slug: name.to_lowercase().replace(' ', "-"),
                duration,
                group,
                active: true,
                color: pick(&mut rng, COLORS),
                created_at: u.created_at + Duration::days(1),
            });
        }
        if ui == 0 {
            event_types.push(EventType {
                uuid: uuid16(&mut rng),
                owner: ui,
                name: "Legacy Consultation".to_owned(),
                slug: "legacy-consultation".to_owned(),
                duration: 45,
                group: false,
                active: false,
                color: "#cccccc",
                created_at: u.created_at + Duration::days(2),
            });
        }
    }

    let mut events = Vec::with_capacity(options.events);
    let mut outsiders = 0u64;
    for _ in 0..options.events {
        let host = rng.below(users.len() as u64) as usize;
        let rolled = match rng.below(10) {
            0..=6 => 1,
            7..=8 => 2,
            _ => 3,
        };
        let invitee_count = options.invitees_per_event.unwrap_or(rolled);
        let group = invitee_count > 1;
        // The host's types are laid out three (or four) per user, in order.
        let type_idx = event_types
            .iter()
            .enumerate()
            .filter(|(_, t)| t.owner == host && t.active && t.group == group)
            .map(|(i, _)| i)
            .nth(if group { 0 } else { rng.below(2) as usize })
            .unwrap_or(0);
        let duration = event_types.get(type_idx).map(|t| t.duration).unwrap_or(30);
        // 70% in the past 120 days, 30% in the next 30.
        let day = if rng.chance(70) {
            -(rng.below(120) as i64) - 1
        } else {
            rng.below(30) as i64 + 1
        };
        let start = anchor
            + Duration::days(day)
            + Duration::hours(9 + rng.below(8) as i64)
            + Duration::minutes(15 * rng.below(4) as i64);
        let created_at = start - Duration::days(1 + rng.below(20) as i64);
        let canceled = rng.chance(12);
        let cancellation = canceled.then(|| Cancellation {
            canceled_by: users[host].name.clone(),
            reason: Some(pick(&mut rng, REASONS).to_owned()),
            canceler_type: "host",
        });
        let mut invitees = Vec::with_capacity(invitee_count);
        let mut taken = Vec::new();
        for k in 0..invitee_count {
            let p = if options.population > 0 && rng.chance(85) {
                let i = rng.below(options.population);
                if taken.contains(&i) {
                    continue;
                }
                taken.push(i);
                person(options.seed, i)
            } else {
                outsiders += 1;
                person(options.seed, options.population + 1_000_000 + outsiders)
            };
            let at = created_at + Duration::seconds(30 * k as i64 + 7);
            invitees.push(Invitee {
                uuid: uuid16(&mut rng),
                email: p.email,
                first_name: p.first_name,
                last_name: p.last_name,
                timezone: pick(&mut rng, TIMEZONES),
                company: p.company,
                created_at: at,
                updated_at: if canceled { at + Duration::days(1) } else { at },
                cancellation: cancellation.clone(),
            });
        }
        let uuid = uuid16(&mut rng);
        let location = match rng.below(3) {
            0 => Location::Physical(pick(&mut rng, PLACES).to_owned()),
            1 => Location::Google,
            _ => Location::Phone(format!(
                "+1-555-{:03}-{:04}",
                rng.below(1000),
                rng.below(10_000)
            )),
        };
        events.push(Event {
            external_id: rng.chance(80).then(|| uuid16(&mut rng).to_lowercase()),
            uuid,
            event_type: type_idx,
            host,
            start,
            end: start + Duration::minutes(duration),
            location,
            limit: if group { 5 } else { 1 },
            created_at,
            updated_at: if canceled {
                created_at + Duration::days(1)
            } else {
                created_at
            },
            cancellation,
            invitees,
        });
    }
    let event_index = events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.uuid.clone(), i))
        .collect();
    Data {
        org,
        users,
        event_types,
        events,
        event_index,
        webhooks: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_data_and_invitees_match_leads() {
        let opts = CalendlyOptions {
            events: 300,
            population: 50,
            anchor: Some(default_anchor()),
            ..CalendlyOptions::default()
        };
        let a = seed(&opts);
        let b = seed(&opts);
        assert_eq!(a.events.len(), 300);
        assert_eq!(a.events[17].uuid, b.events[17].uuid);
        assert_eq!(
            a.events[17].invitees[0].email,
            b.events[17].invitees[0].email
        );
        let leads: Vec<String> = (0..50).map(|i| person(1, i).email).collect();
        let all: Vec<&Invitee> = a.events.iter().flat_map(|e| &e.invitees).collect();
        let matching = all.iter().filter(|i| leads.contains(&i.email)).count();
        assert!(
            matching * 10 >= all.len() * 7,
            "{matching} of {}",
            all.len()
        );
        assert!(a.events.iter().all(|e| (1..=3).contains(&e.invitees.len())));
        assert!(a.events.iter().any(|e| !e.active()));
        assert!(a.events.iter().any(|e| e.start > opts.anchor.unwrap()));
    }
}
