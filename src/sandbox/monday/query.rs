//! `items_page` filtering and sorting (`query_params`) and the lookups behind
//! `items_page_by_column_values`, evaluated the way Monday compares values:
//! status by label index (or label text), text by its shown text.

use std::cmp::Ordering;

use serde_json::Value;

use super::errors::SimError;
use super::store::{BoardMeta, ItemRec, Store, user_name};
use super::values::{self, ColumnKind};

#[derive(Clone, Debug)]
pub struct Rule {
    pub column_id: String,
    pub compare: Vec<Value>,
    pub operator: String,
}

#[derive(Clone, Debug, Default)]
pub struct RuleGroup {
    pub rules: Vec<Rule>,
    pub groups: Vec<RuleGroup>,
    pub or: bool,
}

#[derive(Clone, Debug, Default)]
pub struct ItemsFilter {
    pub root: RuleGroup,
    pub ids: Option<Vec<u64>>,
    /// `(column_id, descending)`.
    pub order_by: Vec<(String, bool)>,
    pub group: Option<String>,
}

/// What a column means for comparisons: its shown text, plus the label
/// index for status columns (Monday filters status by index).
enum Target {
    Name,
    Created,
    Updated,
    Column(usize, ColumnKind),
}

fn target(meta: &BoardMeta, column_id: &str) -> Result<Target, SimError> {
    Ok(match column_id {
        "name" => Target::Name,
        "__creation_log__" => Target::Created,
        "__last_updated__" => Target::Updated,
        id => {
            let (idx, col) = meta.column(id)?;
            Target::Column(idx, col.kind)
        }
    })
}

fn keys(meta: &BoardMeta, item: &ItemRec, t: &Target) -> Vec<String> {
    match t {
        Target::Name => vec![item.name.to_string()],
        Target::Created => vec![values::iso(item.created_at)],
        Target::Updated => vec![values::iso(item.updated_at)],
        Target::Column(idx, kind) => match item.cell(*idx) {
            None => vec![],
            Some(cell) => {
                let labels = &meta.columns[*idx].labels;
                let text = values::text(&cell.val, labels, &user_name);
                match (&cell.val, kind) {
                    (values::Val::Status(i), _) => vec![i.to_string(), text],
                    (values::Val::People(ids), _) => ids
                        .iter()
                        .map(|i| format!("person-{i}"))
                        .chain([text])
                        .collect(),
                    (values::Val::Email { email, .. }, _) => vec![email.to_string(), text],
                    _ => vec![text],
                }
            }
        },
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn cmp_loose(a: &str, b: &str) -> Ordering {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.to_lowercase().cmp(&b.to_lowercase()),
    }
}

fn eval_rule(meta: &BoardMeta, item: &ItemRec, rule: &Rule, t: &Target) -> Result<bool, SimError> {
    let keys = keys(meta, item, t);
    let empty = keys.iter().all(String::is_empty);
    let cmp: Vec<String> = rule.compare.iter().map(as_text).collect();
    let lower: Vec<String> = keys.iter().map(|k| k.to_lowercase()).collect();
    let any = |f: &dyn Fn(&str, &str) -> bool| {
        cmp.iter()
            .any(|c| lower.iter().any(|k| f(k, &c.to_lowercase())))
    };
    Ok(match rule.operator.as_str() {
        "any_of" => any(&|k, c| k == c) || (empty && cmp.iter().any(String::is_empty)),
        "not_any_of" => !(any(&|k, c| k == c) || (empty && cmp.iter().any(String::is_empty))),
        "is_empty" => empty,
        "is_not_empty" => !empty,
        "contains_text" => any(&|k, c| k.contains(c)),
        "not_contains_text" => !any(&|k, c| k.contains(c)),
        "starts_with" => any(&|k, c| k.starts_with(c)),
        "ends_with" => any(&|k, c| k.ends_with(c)),
        "contains_terms" => cmp.iter().all(|c| {
            c.split_whitespace()
                .all(|w| lower.iter().any(|k| k.contains(&w.to_lowercase())))
        }),
        op @ ("greater_than" | "greater_than_or_equals" | "lower_than" | "lower_than_or_equal") => {
            let Some(c) = cmp.first() else {
                return Ok(false);
            };
            keys.last().is_some_and(|k| {
                let o = cmp_loose(k, c);
                match op {
                    "greater_than" => o == Ordering::Greater,
                    "greater_than_or_equals" => o != Ordering::Less,
                    "lower_than" => o == Ordering::Less,
                    _ => o != Ordering::Greater,
                }
            })
        }
        "between" => match (cmp.first(), cmp.get(1), keys.last()) {
            (Some(lo), Some(hi), Some(k)) => {
                cmp_loose(k, lo) != Ordering::Less && cmp_loose(k, hi) != Ordering::Greater
            }
            _ => false,
        },
        other => {
            return Err(SimError::InvalidArgument(format!(
                "The operator {other} is not supported for column {}",
                rule.column_id
            )));
        }
    })
}

fn eval_group(
    meta: &BoardMeta,
    item: &ItemRec,
    g: &RuleGroup,
    targets: &[Target],
    at: &mut usize,
) -> Result<bool, SimError> {
    let mut results = Vec::with_capacity(g.rules.len() + g.groups.len());
    for rule in &g.rules {
        results.push(eval_rule(meta, item, rule, &targets[*at])?);
        *at += 1;
    }
    for sub in &g.groups {
        results.push(eval_group(meta, item, sub, targets, at)?);
    }
    Ok(if results.is_empty() {
        true
    } else if g.or {
        results.contains(&true)
    } else {
        !results.contains(&false)
    })
}

fn collect_targets(meta: &BoardMeta, g: &RuleGroup, out: &mut Vec<Target>) -> Result<(), SimError> {
    for rule in &g.rules {
        out.push(target(meta, &rule.column_id)?);
    }
    for sub in &g.groups {
        collect_targets(meta, sub, out)?;
    }
    Ok(())
}

/// The ids of a board's items matching `filter`, in the order pages serve them.
pub fn matching_ids(
    store: &Store,
    board_id: u64,
    filter: &ItemsFilter,
) -> Result<Vec<u64>, SimError> {
    let board = store.board(board_id)?;
    let meta = &board.meta;
    let mut targets = Vec::new();
    collect_targets(meta, &filter.root, &mut targets)?;
    let group = match &filter.group {
        Some(g) => Some(meta.groups.iter().position(|x| &x.id == g).ok_or_else(|| {
            SimError::InvalidArgument(format!("Group {g} does not exist on board {board_id}"))
        })?),
        None => None,
    };
    let plain = targets.is_empty() && group.is_none() && filter.ids.is_none();
    let mut ids: Vec<u64> = if plain {
        board.item_ids.clone()
    } else {
        let mut out = Vec::new();
        for id in &board.item_ids {
            let Some(item) = store.items.get(id) else {
                continue;
            };
            if group.is_some_and(|g| g != item.group) {
                continue;
            }
            if filter.ids.as_ref().is_some_and(|ids| !ids.contains(id)) {
                continue;
            }
            if eval_group(meta, item, &filter.root, &targets, &mut 0)? {
                out.push(*id);
            }
        }
        out
    };
    if !filter.order_by.is_empty() {
        let sorts = filter
            .order_by
            .iter()
            .map(|(c, desc)| Ok((target(meta, c)?, *desc)))
            .collect::<Result<Vec<_>, SimError>>()?;
        let mut keyed: Vec<(Vec<String>, u64)> = ids
            .iter()
            .filter_map(|id| store.items.get(id))
            .map(|item| {
                (
                    sorts
                        .iter()
                        .map(|(t, _)| keys(meta, item, t).pop().unwrap_or_default())
                        .collect(),
                    item.id,
                )
            })
            .collect();
        keyed.sort_by(|a, b| {
            for (i, (_, desc)) in sorts.iter().enumerate() {
                let o = cmp_loose(&a.0[i], &b.0[i]);
                let o = if *desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            a.1.cmp(&b.1)
        });
        ids = keyed.into_iter().map(|(_, id)| id).collect();
    }
    Ok(ids)
}

/// `items_page_by_column_values`: any of the values within a column, all columns.
pub fn by_column_values(
    store: &Store,
    board_id: u64,
    columns: &[(String, Vec<String>)],
) -> Result<Vec<u64>, SimError> {
    let root = RuleGroup {
        rules: columns
            .iter()
            .map(|(c, vals)| Rule {
                column_id: c.clone(),
                compare: vals.iter().map(|v| Value::String(v.clone())).collect(),
                operator: "any_of".into(),
            })
            .collect(),
        groups: vec![],
        or: false,
    };
    matching_ids(
        store,
        board_id,
        &ItemsFilter {
            root,
            ..ItemsFilter::default()
        },
    )
}
