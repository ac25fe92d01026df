//! Laying out values for the text renderers (human and markdown): short values on one
//! line, long lists and maps one entry per line, and the pieces both renderers share
//! (what a [`Shown`] prints as, per-key map changes, the replace reason in words).
//!
//! Invariants: a [`Shown::Sensitive`] prints as `(sensitive)` and nothing else; text that
//! does not come from a `Value`'s quoted form (map keys, error messages, ids) has its
//! control characters escaped, so that no plan can move the cursor or recolour a
//! terminal; widths are counted in characters.

use std::collections::BTreeMap;

use crate::plan::diff::same;
use crate::plan::{Change, ReplaceReason, Shown};
use crate::value::Value;

/// The width a line should fit in before a list or map is split over several lines.
pub(crate) const WIDTH: usize = 100;

pub(crate) const SENSITIVE: &str = "(sensitive)";
pub(crate) const UNKNOWN: &str = "(known after apply)";
pub(crate) const ABSENT: &str = "(unset)";
pub(crate) const ARROW: &str = " → ";

/// `text` with every control character escaped (`\n`, `\u{1b}`).
pub(crate) fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn width(text: &str) -> usize {
    text.chars().count()
}

/// A map key as printed: bare when unambiguous, else quoted.
fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"={}[],\"".contains(c));
    if plain {
        k.to_owned()
    } else {
        format!("{k:?}")
    }
}

/// A value on one line: strings quoted, lists `[a, b]`, maps `{k=v}` (as `Value`'s
/// `Display`, with unusual keys quoted).
pub(crate) fn inline(v: &Value) -> String {
    match v {
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(map) => inline_map(map),
        scalar => scalar.to_string(),
    }
}

fn inline_map(map: &BTreeMap<String, Value>) -> String {
    let entries: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{}={}", key(k), inline(v)))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

/// A value laid out from column `used` of a line whose continuation lines start at
/// column `indent`: the first string continues the current line, the following ones
/// are whole lines (their indentation included). A list or map that does not fit in
/// [`WIDTH`] gets one entry per line, each nested value laid out the same way.
pub(crate) fn block(v: &Value, indent: usize, used: usize) -> Vec<String> {
    let flat = inline(v);
    let fits = used + width(&flat) <= WIDTH;
    let inner = indent + 4;
    let pad = " ".repeat(inner);
    match v {
        Value::List(items) if !fits && !items.is_empty() => {
            let mut lines = vec!["[".to_owned()];
            for item in items {
                let sub = block(item, inner, inner);
                push_nested(&mut lines, &pad, sub, ",");
            }
            lines.push(format!("{}]", " ".repeat(indent)));
            lines
        }
        Value::Map(map) if !fits && !map.is_empty() => {
            let mut lines = vec!["{".to_owned()];
            for (k, v) in map {
                let head = format!("{pad}{} = ", key(k));
                let sub = block(v, inner, width(&head));
                push_nested(&mut lines, &head, sub, "");
            }
            lines.push(format!("{}}}", " ".repeat(indent)));
            lines
        }
        _ => vec![flat],
    }
}

fn push_nested(lines: &mut Vec<String>, head: &str, sub: Vec<String>, end: &str) {
    let mut sub = sub.into_iter();
    let first = sub.next().unwrap_or_default();
    lines.push(format!("{head}{first}"));
    lines.extend(sub);
    if let Some(last) = lines.last_mut() {
        last.push_str(end);
    }
}

/// A shown value laid out like [`block`]; the markers are single lines.
pub(crate) fn shown_block(shown: &Shown, indent: usize, used: usize) -> Vec<String> {
    match shown {
        Shown::Known(v) => block(v, indent, used),
        Shown::Sensitive => vec![SENSITIVE.to_owned()],
        Shown::Unknown => vec![UNKNOWN.to_owned()],
        Shown::Absent => vec![ABSENT.to_owned()],
    }
}

/// A shown value on one line.
pub(crate) fn shown_inline(shown: &Shown) -> String {
    match shown {
        Shown::Known(v) => inline(v),
        Shown::Sensitive => SENSITIVE.to_owned(),
        Shown::Unknown => UNKNOWN.to_owned(),
        Shown::Absent => ABSENT.to_owned(),
    }
}

/// `before → after` laid out from column `used`: on one line when it fits, else each
/// side as a [`block`], the arrow joining the last line of one to the first of the other.
pub(crate) fn change_block(
    before: &Shown,
    after: &Shown,
    indent: usize,
    used: usize,
) -> Vec<String> {
    let flat = format!("{}{ARROW}{}", shown_inline(before), shown_inline(after));
    if used + width(&flat) <= WIDTH {
        return vec![flat];
    }
    let mut lines = shown_block(before, indent, used);
    let last = lines.pop().unwrap_or_default();
    let joined = format!("{last}{ARROW}");
    let column = if lines.is_empty() {
        used + width(&joined)
    } else {
        width(&joined)
    };
    let mut after = shown_block(after, indent, column).into_iter();
    lines.push(format!("{joined}{}", after.next().unwrap_or_default()));
    lines.extend(after);
    lines
}

/// One key of a map that changes: its printed form and its values.
pub(crate) enum KeyChange<'a> {
    Added(String, &'a Value),
    Removed(String, &'a Value),
    Changed(String, &'a Value, &'a Value),
}

/// When `before` and `after` are both known maps and their one-line change does not
/// fit from column `used`: the keys that differ (in key order) and how many are equal.
/// Reading only what differs keeps a one-key change in a large map to one line.
pub(crate) fn map_changes<'a>(
    before: &'a Shown,
    after: &'a Shown,
    used: usize,
) -> Option<(Vec<KeyChange<'a>>, usize)> {
    let (Shown::Known(Value::Map(b)), Shown::Known(Value::Map(a))) = (before, after) else {
        return None;
    };
    let flat = width(&inline_map(b)) + width(ARROW) + width(&inline_map(a));
    if used + flat <= WIDTH {
        return None;
    }
    Some(key_changes(b, a))
}

fn key_changes<'a>(
    b: &'a BTreeMap<String, Value>,
    a: &'a BTreeMap<String, Value>,
) -> (Vec<KeyChange<'a>>, usize) {
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for k in keys {
        let change = match (b.get(k), a.get(k)) {
            (Some(x), Some(y)) if same(x, y) => {
                unchanged += 1;
                continue;
            }
            (Some(x), Some(y)) => KeyChange::Changed(key(k), x, y),
            (Some(x), None) => KeyChange::Removed(key(k), x),
            (None, Some(y)) => KeyChange::Added(key(k), y),
            (None, None) => continue,
        };
        changes.push(change);
    }
    (changes, unchanged)
}

/// The comment closing a per-key map change.
pub(crate) fn hidden_keys(n: usize) -> String {
    if n == 1 {
        "# 1 unchanged key hidden".to_owned()
    } else {
        format!("# {n} unchanged keys hidden")
    }
}

/// Why a change replaces its resource, in words (no markup).
pub(crate) fn replace_reason(change: &Change) -> Option<String> {
    let reason = match change.replace_reason.as_ref()? {
        ReplaceReason::ForceNew { attributes } => {
            format!("forces replacement: {}", clean(&attributes.join(", ")))
        }
        ReplaceReason::Requested => "replacement requested (--replace)".to_owned(),
        ReplaceReason::Tainted => "tainted: a previous create did not complete".to_owned(),
    };
    Some(reason)
}

/// The comment saying in which order a replacement happens.
pub(crate) fn replace_order(change: &Change) -> &'static str {
    if change.create_before_destroy {
        "the new instance is created before the old one is deleted (create-before-destroy)"
    } else {
        "the old instance is deleted before the new one is created"
    }
}

/// `n thing` or `n things`.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
