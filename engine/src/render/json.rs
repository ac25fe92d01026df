//! The JSON plan (`--format json`), for tools. The document, format version
//! [`PLAN_FORMAT_VERSION`], is described field by field in README.md ("Plan output"):
//!
//! ```text
//! { format_version, kind: "plan" | "destroy-plan", environment,
//!   base: {lineage, serial} | null, refreshed,
//!   summary: {create, update, replace, delete, unchanged, read, unknown},
//!   changes: [{address, stack, type, mode, action, replace_reason,
//!              create_before_destroy, id, deposed, refresh_error, depends_on,
//!              attributes: [{name, before, after, forces_replacement}]}],
//!   drift: [{address, stack, type, kind, attributes: [{name, before, after}]}],
//!   outputs: [{name, action, before, after}] }
//! ```
//!
//! A value is `{"known": <value>}`, `"sensitive"`, `"unknown"` (known after apply) or
//! `"absent"`.
//! Invariants: fields come in the order above (serde_json keeps insertion order); every
//! change and output of the plan is listed, no-ops included; the plan's internals (the
//! fingerprints, the refreshed records) never appear; the names written are spelled here,
//! not derived from the plan's serde names, so that the plan file format can change
//! without changing this document.

use serde_json::{Map, Value as Json, json};

use crate::plan::{
    Action, AttrDiff, Change, Drift, DriftKind, OutputChange, PLAN_FORMAT_VERSION, Plan, PlanKind,
    ReplaceReason, Shown,
};
use crate::state::Mode;
use crate::value::Value;

/// The plan as a versioned JSON document (see the module documentation).
pub fn json(plan: &Plan) -> Json {
    let c = plan.counts();
    json!({
        "format_version": PLAN_FORMAT_VERSION,
        "kind": match plan.kind {
            PlanKind::Apply => "plan",
            PlanKind::Destroy => "destroy-plan",
        },
        "environment": plan.environment,
        "base": plan.base.as_ref().map(|b| json!({"lineage": b.lineage, "serial": b.serial})),
        "refreshed": plan.refreshed,
        "summary": {
            "create": c.create,
            "update": c.update,
            "replace": c.replace,
            "delete": c.delete,
            "unchanged": c.unchanged,
            "read": c.read,
            "unknown": c.unknown,
        },
        "changes": plan.changes.iter().map(change).collect::<Vec<_>>(),
        "drift": plan.drift.iter().map(drift).collect::<Vec<_>>(),
        "outputs": plan.outputs.iter().map(output).collect::<Vec<_>>(),
    })
}

fn change(c: &Change) -> Json {
    json!({
        "address": c.address,
        "stack": c.stack,
        "type": c.type_name,
        "mode": match c.mode {
            Mode::Managed => "managed",
            Mode::Lookup => "lookup",
        },
        "action": action(c.action),
        "replace_reason": c.replace_reason.as_ref().map(replace_reason),
        "create_before_destroy": c.create_before_destroy,
        "id": c.id,
        "deposed": c.deposed,
        "refresh_error": c.refresh_error,
        "depends_on": c.depends_on,
        "attributes": c.attributes.iter().map(attribute).collect::<Vec<_>>(),
    })
}

fn action(a: Action) -> &'static str {
    match a {
        Action::NoOp => "no-op",
        Action::Create => "create",
        Action::Update => "update",
        Action::Replace => "replace",
        Action::Delete => "delete",
        Action::Read => "read",
    }
}

fn replace_reason(r: &ReplaceReason) -> Json {
    match r {
        ReplaceReason::ForceNew { attributes } => {
            json!({"reason": "force-new", "attributes": attributes})
        }
        ReplaceReason::Requested => json!({"reason": "requested"}),
        ReplaceReason::Tainted => json!({"reason": "tainted"}),
    }
}

fn attribute(a: &AttrDiff) -> Json {
    json!({
        "name": a.name,
        "before": shown(&a.before),
        "after": shown(&a.after),
        "forces_replacement": a.forces_replacement,
    })
}

fn drift(d: &Drift) -> Json {
    let attributes: Vec<Json> = d
        .attributes
        .iter()
        .map(|a| json!({"name": a.name, "before": shown(&a.before), "after": shown(&a.after)}))
        .collect();
    json!({
        "address": d.address,
        "stack": d.stack,
        "type": d.type_name,
        "kind": match d.kind {
            DriftKind::Changed => "changed",
            DriftKind::Deleted => "deleted",
        },
        "attributes": attributes,
    })
}

fn output(o: &OutputChange) -> Json {
    json!({
        "name": o.name,
        "action": action(o.action),
        "before": shown(&o.before),
        "after": shown(&o.after),
    })
}

fn shown(s: &Shown) -> Json {
    match s {
        Shown::Known(v) => json!({ "known": value(v) }),
        Shown::Sensitive => json!("sensitive"),
        Shown::Unknown => json!("unknown"),
        Shown::Absent => json!("absent"),
    }
}

/// A value as plain JSON: integers stay integers; a float that JSON cannot hold (NaN,
/// infinite) becomes null, as serde_json writes it.
fn value(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(x) => serde_json::Number::from_f64(*x).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(items.iter().map(value).collect()),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), value(v)))
                .collect::<Map<String, Json>>(),
        ),
    }
}
