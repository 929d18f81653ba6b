//! Monday's complexity budget: a cost computed from the parsed document before
//! anything runs (so an over-budget query changes nothing), charged against a
//! per-minute window that starts with the first call and resets 60 s later.
//!
//! Cost model (deterministic, an approximation of Monday's):
//! - every selected field costs 1;
//! - a field returning a list multiplies the cost of its whole subtree by how
//!   many elements it can return: `items_page`, `next_items_page` and
//!   `items_page_by_column_values` by `limit` (default 25, at most 500),
//!   `activity_logs` by `limit` (default 25, at most 1,000),
//!   root `boards` and `items` by the number of `ids` (else `limit`, default 25),
//!   `column_values` and `columns` by the number of `ids` (else 10), and
//!   `groups`, `updates` and `webhooks` by 10;
//! - each mutation field adds `MUTATION_COST`.

use std::time::{Duration, Instant};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::{Name, Value};
use serde_json::Value as Json;

use super::activity::MAX_LIMIT;

/// Monday's per-query ceiling.
pub const MAX_QUERY_COST: u64 = 5_000_000;
pub const MUTATION_COST: u64 = 10_000;
const MAX_DEPTH: usize = 32;

struct Ctx<'a> {
    doc: &'a ExecutableDocument,
    vars: &'a Json,
}

impl Ctx<'_> {
    /// An argument with its variables substituted.
    fn arg(&self, f: &async_graphql::parser::types::Field, name: &str) -> Option<Value> {
        let (_, v) = f.arguments.iter().find(|(n, _)| n.node.as_str() == name)?;
        v.node
            .clone()
            .into_const_with(|var| {
                let json = self.vars.get(var.as_str()).cloned().unwrap_or(Json::Null);
                Value::from_json(json).map_err(|_| ())
            })
            .ok()
    }

    /// A numeric argument, or the length of a list argument.
    fn size(&self, v: Option<Value>) -> Option<u64> {
        match v? {
            Value::Number(n) => n.as_u64(),
            Value::List(l) => Some(l.len() as u64),
            Value::String(_) => Some(1),
            _ => None,
        }
    }

    /// `depth` tells the root `items` (a list) from `ItemsResponse.items`
    /// (whose size the enclosing page's `limit` already counts).
    fn multiplier(&self, f: &async_graphql::parser::types::Field, depth: usize) -> u64 {
        let limit = |default: u64| self.size(self.arg(f, "limit")).unwrap_or(default);
        match f.name.node.as_str() {
            "items_page" | "next_items_page" | "items_page_by_column_values" => limit(25).min(500),
            // Capped like pages: a refused limit must not bill as if served.
            "activity_logs" => limit(25).min(MAX_LIMIT as u64),
            "boards" | "items" if depth == 0 => {
                self.size(self.arg(f, "ids")).unwrap_or_else(|| limit(25))
            }
            "column_values" | "columns" => self.size(self.arg(f, "ids")).unwrap_or(10),
            "groups" | "updates" | "webhooks" => 10,
            _ => 1,
        }
    }

    fn cost(&self, set: &SelectionSet, depth: usize) -> u64 {
        if depth > MAX_DEPTH {
            return 0;
        }
        set.items.iter().fold(0u64, |sum, sel| {
            let c = match &sel.node {
                Selection::Field(f) => {
                    let children = self.cost(&f.node.selection_set.node, depth + 1);
                    1u64.saturating_add(self.multiplier(&f.node, depth).saturating_mul(children))
                }
                Selection::InlineFragment(i) => self.cost(&i.node.selection_set.node, depth + 1),
                Selection::FragmentSpread(s) => self
                    .doc
                    .fragments
                    .get(&s.node.fragment_name.node)
                    .map_or(0, |frag| {
                        self.cost(&frag.node.selection_set.node, depth + 1)
                    }),
            };
            sum.saturating_add(c)
        })
    }
}

/// The cost of the operation a request would run (0 when it does not parse:
/// async-graphql then reports the error and nothing runs).
pub fn query_cost(doc: &ExecutableDocument, operation: Option<&str>, vars: &Json) -> u64 {
    let op = match &doc.operations {
        DocumentOperations::Single(op) => Some(op),
        DocumentOperations::Multiple(ops) => match operation {
            Some(name) => ops.get(&Name::new(name)),
            None => ops.values().next(),
        },
    };
    let Some(op) = op else { return 0 };
    let ctx = Ctx { doc, vars };
    let base = ctx.cost(&op.node.selection_set.node, 0);
    let mutations = match op.node.ty {
        async_graphql::parser::types::OperationType::Mutation => {
            op.node.selection_set.node.items.len() as u64 * MUTATION_COST
        }
        _ => 0,
    };
    base.saturating_add(mutations)
}

/// What the `complexity` field reports for one request.
#[derive(Clone, Copy, Debug, Default)]
pub struct Charge {
    pub before: u64,
    pub after: u64,
    pub query: u64,
    pub reset_in_x_seconds: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct Exhausted {
    pub cost: u64,
    pub left: u64,
    pub limit: u64,
    pub retry_in_seconds: u64,
}

pub struct Budget {
    pub limit: u64,
    window: Duration,
    used: u64,
    window_start: Option<Instant>,
}

impl Budget {
    pub fn with_window(limit: u64, window: Duration) -> Self {
        Self {
            limit,
            window,
            used: 0,
            window_start: None,
        }
    }

    pub fn reset(&mut self) {
        self.used = 0;
        self.window_start = None;
    }

    fn roll(&mut self, now: Instant) -> u64 {
        match self.window_start {
            Some(start) if now.duration_since(start) < self.window => (self.window
                - now.duration_since(start))
            .as_secs_f64()
            .ceil() as u64,
            _ => {
                self.window_start = Some(now);
                self.used = 0;
                self.window.as_secs_f64().ceil() as u64
            }
        }
    }

    /// Charges `cost`, or refuses without charging anything.
    pub fn charge(&mut self, cost: u64) -> Result<Charge, Exhausted> {
        let reset = self.roll(Instant::now());
        let before = self.limit.saturating_sub(self.used);
        if cost > before {
            return Err(Exhausted {
                cost,
                left: before,
                limit: self.limit,
                retry_in_seconds: reset.max(1),
            });
        }
        self.used += cost;
        Ok(Charge {
            before,
            after: before - cost,
            query: cost,
            reset_in_x_seconds: reset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cost(q: &str, vars: Json) -> u64 {
        let doc = async_graphql::parser::parse_query(q).unwrap();
        query_cost(&doc, None, &vars)
    }

    #[test]
    fn cost_scales_with_limit_and_nesting() {
        let small = cost(
            "{ boards(ids: [1]) { items_page(limit: 1) { items { id name } } } }",
            json!({}),
        );
        let big = cost(
            "{ boards(ids: [1]) { items_page(limit: 500) { items { id name } } } }",
            json!({}),
        );
        assert_eq!(small, 1 + (1 + (1 + 2)));
        assert_eq!(big, 1 + (1 + 500 * (1 + 2)));
        let via_var = cost(
            "query($l: Int!) { boards(ids: [1]) { items_page(limit: $l) { items { id name } } } }",
            json!({"l": 500}),
        );
        assert_eq!(via_var, big);
        let fragment = cost(
            "query { next_items_page(cursor: \"x\", limit: 2) { items { ...F } } } fragment F on Item { id name }",
            json!({}),
        );
        assert_eq!(fragment, 1 + 2 * (1 + 2));
    }

    #[test]
    fn activity_logs_cost_scales_with_their_limit() {
        let logs = |limit: &str| {
            cost(
                &format!("{{ boards(ids: [1]) {{ activity_logs{limit} {{ id event data }} }} }}"),
                json!({}),
            )
        };
        assert_eq!(logs(""), 1 + (1 + 25 * 3));
        assert_eq!(logs("(limit: 1)"), 1 + (1 + 3));
        assert_eq!(logs("(limit: 1000)"), 1 + (1 + 1000 * 3));
        assert_eq!(logs("(limit: 5000)"), logs("(limit: 1000)"));
    }

    #[test]
    fn mutations_cost_more_than_reads() {
        let m = cost("mutation { delete_item(item_id: 1) { id } }", json!({}));
        assert_eq!(m, MUTATION_COST + 2);
    }

    #[test]
    fn budget_refuses_without_charging() {
        let mut b = Budget::with_window(100, Duration::from_secs(60));
        let c = b.charge(60).unwrap();
        assert_eq!((c.before, c.after, c.query), (100, 40, 60));
        let e = b.charge(50).unwrap_err();
        assert_eq!((e.left, e.limit, e.cost), (40, 100, 50));
        assert!(e.retry_in_seconds >= 1 && e.retry_in_seconds <= 60);
        assert_eq!(b.charge(40).unwrap().after, 0);
    }
}
