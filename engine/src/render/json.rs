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
//!   recovered: [{address, type, found, error}],
//!   outputs: [{name, action, before, after}] }
//! ```
//!
//! A value is `{"known": <value>}`, `"sensitive"`, `"unknown"` (known after apply) or
//! `"absent"`.
//! The document is serialised straight from the plan (borrowed, no intermediate JSON
//! tree), so that rendering stays proportional to the plan's size.
//! Invariants: fields come in the order above (declaration order); every
//! change and output of the plan is listed, no-ops included; the plan's internals (the
//! fingerprints, the refreshed records) never appear; the names written are spelled here,
//! not derived from the plan's serde names, so that the plan file format can change
//! without changing this document.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::plan::{
    Action, AttrDiff, Change, Drift, DriftKind, OutputChange, PLAN_FORMAT_VERSION, Plan, PlanKind,
    Recovered, ReplaceReason, Shown,
};
use crate::state::Mode;
use crate::value::Value;

/// The plan as a versioned JSON document (see the module documentation); serialise it
/// with serde_json.
pub fn json(plan: &Plan) -> JsonPlan<'_> {
    JsonPlan(plan)
}

/// The JSON document of a plan: implements `Serialize`.
pub struct JsonPlan<'a>(&'a Plan);

#[derive(Serialize)]
struct Document<'a> {
    format_version: u32,
    kind: &'static str,
    environment: &'a str,
    base: Option<Base<'a>>,
    refreshed: bool,
    summary: Summary,
    changes: Each<'a, Change, JChange<'a>>,
    drift: Each<'a, Drift, JDrift<'a>>,
    recovered: Each<'a, Recovered, JRecovered<'a>>,
    outputs: Each<'a, OutputChange, JOutput<'a>>,
}

#[derive(Serialize)]
struct JRecovered<'a> {
    address: &'a str,
    #[serde(rename = "type")]
    type_name: &'a str,
    found: &'a Option<String>,
    error: &'a Option<String>,
}

fn recovered(r: &Recovered) -> JRecovered<'_> {
    JRecovered {
        address: &r.address,
        type_name: &r.type_name,
        found: &r.found,
        error: &r.error,
    }
}

#[derive(Serialize)]
struct Base<'a> {
    lineage: &'a str,
    serial: u64,
}

#[derive(Serialize)]
struct Summary {
    create: usize,
    update: usize,
    replace: usize,
    delete: usize,
    unchanged: usize,
    read: usize,
    unknown: usize,
}

impl Serialize for JsonPlan<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let plan = self.0;
        let c = plan.counts();
        Document {
            format_version: PLAN_FORMAT_VERSION,
            kind: match plan.kind {
                PlanKind::Apply => "plan",
                PlanKind::Destroy => "destroy-plan",
            },
            environment: &plan.environment,
            base: plan.base.as_ref().map(|b| Base {
                lineage: &b.lineage,
                serial: b.serial,
            }),
            refreshed: plan.refreshed,
            summary: Summary {
                create: c.create,
                update: c.update,
                replace: c.replace,
                delete: c.delete,
                unchanged: c.unchanged,
                read: c.read,
                unknown: c.unknown,
            },
            changes: Each(&plan.changes, change),
            drift: Each(&plan.drift, drift),
            recovered: Each(&plan.recovered, recovered),
            outputs: Each(&plan.outputs, output),
        }
        .serialize(serializer)
    }
}

/// A slice written as a JSON array, each item through `F`'s shape.
struct Each<'a, T, F>(&'a [T], fn(&'a T) -> F);

impl<'a, T, F: Serialize> Serialize for Each<'a, T, F> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&(self.1)(item))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct JChange<'a> {
    address: &'a str,
    stack: &'a str,
    #[serde(rename = "type")]
    type_name: &'a str,
    mode: &'static str,
    action: &'static str,
    replace_reason: Option<JReason<'a>>,
    create_before_destroy: bool,
    id: &'a Option<String>,
    deposed: &'a Option<String>,
    refresh_error: &'a Option<String>,
    depends_on: &'a [String],
    attributes: Each<'a, AttrDiff, JAttribute<'a>>,
}

fn change(c: &Change) -> JChange<'_> {
    JChange {
        address: &c.address,
        stack: &c.stack,
        type_name: &c.type_name,
        mode: match c.mode {
            Mode::Managed => "managed",
            Mode::Lookup => "lookup",
        },
        action: action(c.action),
        replace_reason: c.replace_reason.as_ref().map(JReason),
        create_before_destroy: c.create_before_destroy,
        id: &c.id,
        deposed: &c.deposed,
        refresh_error: &c.refresh_error,
        depends_on: &c.depends_on,
        attributes: Each(&c.attributes, attribute),
    }
}

struct JReason<'a>(&'a ReplaceReason);

impl Serialize for JReason<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self.0 {
            ReplaceReason::ForceNew { attributes } => {
                map.serialize_entry("reason", "force-new")?;
                map.serialize_entry("attributes", attributes)?;
            }
            ReplaceReason::Requested => map.serialize_entry("reason", "requested")?,
            ReplaceReason::Tainted => map.serialize_entry("reason", "tainted")?,
        }
        map.end()
    }
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

#[derive(Serialize)]
struct JAttribute<'a> {
    name: &'a str,
    before: JShown<'a>,
    after: JShown<'a>,
    forces_replacement: bool,
}

fn attribute(a: &AttrDiff) -> JAttribute<'_> {
    JAttribute {
        name: &a.name,
        before: JShown(&a.before),
        after: JShown(&a.after),
        forces_replacement: a.forces_replacement,
    }
}

#[derive(Serialize)]
struct JDrift<'a> {
    address: &'a str,
    stack: &'a str,
    #[serde(rename = "type")]
    type_name: &'a str,
    kind: &'static str,
    attributes: Each<'a, AttrDiff, JDriftAttribute<'a>>,
}

fn drift(d: &Drift) -> JDrift<'_> {
    JDrift {
        address: &d.address,
        stack: &d.stack,
        type_name: &d.type_name,
        kind: match d.kind {
            DriftKind::Changed => "changed",
            DriftKind::Deleted => "deleted",
        },
        attributes: Each(&d.attributes, drift_attribute),
    }
}

#[derive(Serialize)]
struct JDriftAttribute<'a> {
    name: &'a str,
    before: JShown<'a>,
    after: JShown<'a>,
}

fn drift_attribute(a: &AttrDiff) -> JDriftAttribute<'_> {
    JDriftAttribute {
        name: &a.name,
        before: JShown(&a.before),
        after: JShown(&a.after),
    }
}

#[derive(Serialize)]
struct JOutput<'a> {
    name: &'a str,
    action: &'static str,
    before: JShown<'a>,
    after: JShown<'a>,
}

fn output(o: &OutputChange) -> JOutput<'_> {
    JOutput {
        name: &o.name,
        action: action(o.action),
        before: JShown(&o.before),
        after: JShown(&o.after),
    }
}

/// `{"known": <value>}`, `"sensitive"`, `"unknown"` or `"absent"`.
struct JShown<'a>(&'a Shown);

impl Serialize for JShown<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Shown::Known(v) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("known", &JValue(v))?;
                map.end()
            }
            Shown::Sensitive => serializer.serialize_str("sensitive"),
            Shown::Unknown => serializer.serialize_str("unknown"),
            Shown::Absent => serializer.serialize_str("absent"),
        }
    }
}

/// A value as plain JSON: integers stay integers; a float that JSON cannot hold (NaN,
/// infinite) becomes null.
struct JValue<'a>(&'a Value);

impl Serialize for JValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Float(x) if x.is_finite() => serializer.serialize_f64(*x),
            Value::Float(_) => serializer.serialize_unit(),
            Value::String(s) => serializer.serialize_str(s),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&JValue(item))?;
                }
                seq.end()
            }
            Value::Map(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (k, v) in map {
                    out.serialize_entry(k, &JValue(v))?;
                }
                out.end()
            }
        }
    }
}
