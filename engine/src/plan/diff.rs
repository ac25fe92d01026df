//! Diffing one resource: desired values against what is known of it, per attribute.
//!
//! "Before" is what the refresh read from the cloud when the type can read the
//! attribute back, else what was last applied (the state's input, possibly only a
//! digest when sensitive). Computed attributes are never diffed; an optional-computed
//! attribute only when the spec sets it; `ignore-changes` attributes never. A JSON
//! attribute is compared by meaning (parsed), not as text.
//! Invariant: pure functions of their arguments; no sensitive value ever lands in a
//! [`Shown::Known`].

use std::collections::BTreeMap;

use crate::plan::eval::Evaluated;
use crate::plan::{Action, AttrDiff, ReplaceReason, Shown};
use crate::provider::Attrs;
use crate::schema::{Presence, Schema, Type};
use crate::spec::model::Lifecycle;
use crate::state::{ResourceState, Status, StoredValue};
use crate::value::Value;

/// What is known of an existing resource: its state record and, when refreshed, what
/// the cloud returned.
#[derive(Clone, Copy)]
pub struct Prior<'a> {
    pub record: &'a ResourceState,
    pub observed: Option<&'a Attrs>,
}

pub struct ResourceDiff {
    pub action: Action,
    pub replace_reason: Option<ReplaceReason>,
    pub attributes: Vec<AttrDiff>,
}

pub fn diff_resource(
    schema: &Schema,
    desired: &BTreeMap<String, Evaluated>,
    prior: Option<Prior<'_>>,
    lifecycle: &Lifecycle,
    replace_requested: bool,
) -> ResourceDiff {
    let Some(prior) = prior else {
        return ResourceDiff {
            action: Action::Create,
            replace_reason: None,
            attributes: desired
                .iter()
                .map(|(name, e)| AttrDiff {
                    name: name.clone(),
                    before: Shown::Absent,
                    after: shown_desired(schema, name, e),
                    forces_replacement: false,
                })
                .collect(),
        };
    };
    let sensitive = |name: &str| schema.attribute(name).is_some_and(|a| a.sensitive);
    let mut names: Vec<&String> = desired.keys().collect();
    names.extend(
        prior
            .record
            .inputs
            .keys()
            .filter(|k| !desired.contains_key(*k)),
    );
    let mut attributes = Vec::new();
    let mut forcing = Vec::new();
    for name in names {
        let Some(attr) = schema.attribute(name) else {
            continue;
        };
        if !attr.is_settable() || lifecycle.ignore_changes.iter().any(|i| i == name) {
            continue;
        }
        let wanted = desired.get(name);
        if wanted.is_none() && attr.presence == Presence::OptionalComputed {
            continue;
        }
        let before = prior_value(prior, name);
        let unchanged = match (wanted, &before) {
            (None, Before::Absent) => true,
            (None, _) => false,
            (Some(e), before) => match &e.value {
                None => false,
                Some(v) => before.matches(v) || attr.ty == Type::Json && before.same_json(v),
            },
        };
        if unchanged {
            continue;
        }
        let forces = attr.force_new;
        if forces {
            forcing.push(name.clone());
        }
        // Hidden when the schema says so, or when either side is a secret by origin.
        let hidden = sensitive(name)
            || wanted.is_some_and(|e| e.sensitive)
            || prior
                .record
                .inputs
                .get(name)
                .is_some_and(StoredValue::is_sensitive);
        attributes.push(AttrDiff {
            name: name.clone(),
            before: before.shown(hidden),
            after: match wanted {
                Some(e) => shown_desired(schema, name, e),
                None => Shown::Absent,
            },
            forces_replacement: forces,
        });
    }
    let replace_reason = if prior.record.status == Status::Tainted {
        Some(ReplaceReason::Tainted)
    } else if replace_requested {
        Some(ReplaceReason::Requested)
    } else if !forcing.is_empty() {
        Some(ReplaceReason::ForceNew {
            attributes: forcing,
        })
    } else {
        None
    };
    let action = match (&replace_reason, attributes.is_empty()) {
        (Some(_), _) => Action::Replace,
        (None, true) => Action::NoOp,
        (None, false) => Action::Update,
    };
    ResourceDiff {
        action,
        replace_reason,
        attributes,
    }
}

/// Attribute by attribute, what the state held (before) against what the cloud holds
/// now (after). Only attributes strata applied (the record's inputs) that the cloud
/// returns are compared: a computed attribute changing on its own is not drift, nor is
/// one the spec leaves to the cloud.
pub fn drift(schema: &Schema, record: &ResourceState, observed: &Attrs) -> Vec<AttrDiff> {
    let mut out = Vec::new();
    for (name, now) in observed {
        let Some(attr) = schema.attribute(name) else {
            continue;
        };
        if !attr.is_settable() {
            continue;
        }
        // Only what strata applied can drift: a settable attribute the spec leaves to
        // the cloud (kept among the outputs) changing there is not a change to report.
        let Some(stored) = record.inputs.get(name) else {
            continue;
        };
        if stored.matches(now) || matches!(stored, StoredValue::Plain(p) if same(p, now)) {
            continue;
        }
        // A value applied as sensitive (from a secret variable) stays hidden whatever
        // the cloud holds now, even where the schema does not mark the attribute.
        let hidden = attr.sensitive || stored.is_sensitive();
        let before = Before::Stored(stored);
        out.push(AttrDiff {
            name: name.clone(),
            before: before.shown(hidden),
            after: if hidden {
                Shown::Sensitive
            } else {
                Shown::Known(now.clone())
            },
            forces_replacement: false,
        });
    }
    out
}

/// Every attribute the state holds for a resource about to be deleted.
pub fn deleted_attributes(schema: &Schema, record: &ResourceState) -> Vec<AttrDiff> {
    record
        .inputs
        .iter()
        .map(|(name, stored)| AttrDiff {
            name: name.clone(),
            before: Before::Stored(stored)
                .shown(schema.attribute(name).is_some_and(|a| a.sensitive)),
            after: Shown::Absent,
            forces_replacement: false,
        })
        .collect()
}

enum Before<'a> {
    Observed(&'a Value),
    Stored(&'a StoredValue),
    Absent,
}

impl Before<'_> {
    fn matches(&self, v: &Value) -> bool {
        match self {
            Before::Observed(o) => same(o, v),
            Before::Stored(StoredValue::Plain(p)) => same(p, v),
            Before::Stored(s) => s.matches(v),
            Before::Absent => false,
        }
    }

    /// Both sides are JSON documents (as text) with the same meaning: key order and
    /// layout do not count.
    fn same_json(&self, v: &Value) -> bool {
        let text = match self {
            Before::Observed(Value::String(t))
            | Before::Stored(StoredValue::Plain(Value::String(t))) => t,
            _ => return false,
        };
        match (v, serde_json::from_str::<serde_json::Value>(text)) {
            (Value::String(wanted), Ok(before)) => {
                serde_json::from_str::<serde_json::Value>(wanted).is_ok_and(|w| w == before)
            }
            _ => false,
        }
    }

    fn shown(&self, sensitive: bool) -> Shown {
        match self {
            Before::Absent => Shown::Absent,
            _ if sensitive => Shown::Sensitive,
            Before::Observed(v) => Shown::Known((*v).clone()),
            Before::Stored(StoredValue::Plain(v)) => Shown::Known(v.clone()),
            Before::Stored(StoredValue::Sensitive(_)) => Shown::Sensitive,
        }
    }
}

fn prior_value<'a>(prior: Prior<'a>, name: &str) -> Before<'a> {
    if let Some(v) = prior.observed.and_then(|o| o.get(name)) {
        return Before::Observed(v);
    }
    match prior.record.inputs.get(name) {
        Some(s) => Before::Stored(s),
        None => Before::Absent,
    }
}

fn shown_desired(schema: &Schema, name: &str, e: &Evaluated) -> Shown {
    let sensitive = e.sensitive || schema.attribute(name).is_some_and(|a| a.sensitive);
    match &e.value {
        None => Shown::Unknown,
        Some(_) if sensitive => Shown::Sensitive,
        Some(v) => Shown::Known(v.clone()),
    }
}

/// Value equality where an integer equals the same number written as a decimal
/// (`5` and `5.0`): the cloud and the spec do not always agree on the notation.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(i), Value::Float(f)) | (Value::Float(f), Value::Int(i)) => *i as f64 == *f,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, a), (kb, b))| ka == kb && same(a, b))
        }
        _ => a == b,
    }
}

/// The value a fingerprint is computed over: the desired attributes, unknown ones
/// replaced by a marker no spec value can produce.
pub fn canonical(desired: &BTreeMap<String, Evaluated>) -> Value {
    Value::Map(
        desired
            .iter()
            .map(|(k, e)| {
                let v = e.value.clone().unwrap_or_else(|| {
                    Value::Map(BTreeMap::from([("\u{0}unknown".to_owned(), Value::Null)]))
                });
                (k.clone(), v)
            })
            .collect(),
    )
}
