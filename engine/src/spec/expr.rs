//! Checked attribute values: literal data, or data still waiting on other resources.
//!
//! `Expr` is what a checked spec holds for every attribute. Fully known parts are folded
//! into `Expr::Value` at check time, so the planner only walks what really depends on
//! something else. References point at resources by `ResourceId` (an index into
//! `Spec::resources`), never by name.
//! Invariant: `Expr::Sensitive` wraps every value that came from a sensitive variable,
//! an `(env)` read or a template that used one.

use std::collections::BTreeMap;

use crate::source::Span;
use crate::value::Value;

/// Index of a resource (or lookup) in `Spec::resources`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId(pub u32);

impl ResourceId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// `(ref)"stack.resource.attr"`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Ref {
    pub target: ResourceId,
    pub attribute: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Lit(String),
    Ref(Ref),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Value(Value),
    List(Vec<Expr>),
    Map(BTreeMap<String, Expr>),
    Ref(Ref),
    /// A string template with references: `"${site.arn}/*"`.
    Template(Vec<Part>),
    Sensitive(Box<Expr>),
    /// A variable whose value is not known because no environment was chosen
    /// (`validate` without `--env`). Never present in a spec checked for an environment.
    Unset(String),
}

impl Expr {
    /// A list, folded into a plain value when every element is known.
    pub fn list(items: Vec<Expr>) -> Expr {
        if items.iter().all(|e| matches!(e, Expr::Value(_))) {
            Expr::Value(Value::List(
                items
                    .into_iter()
                    .map(|e| match e {
                        Expr::Value(v) => v,
                        _ => unreachable!(),
                    })
                    .collect(),
            ))
        } else {
            Expr::List(items)
        }
    }

    /// A map, folded into a plain value when every entry is known.
    pub fn map(entries: BTreeMap<String, Expr>) -> Expr {
        if entries.values().all(|e| matches!(e, Expr::Value(_))) {
            Expr::Value(Value::Map(
                entries
                    .into_iter()
                    .map(|(k, e)| match e {
                        Expr::Value(v) => (k, v),
                        _ => unreachable!(),
                    })
                    .collect(),
            ))
        } else {
            Expr::Map(entries)
        }
    }

    pub fn is_sensitive(&self) -> bool {
        match self {
            Expr::Sensitive(_) => true,
            Expr::List(items) => items.iter().any(Expr::is_sensitive),
            Expr::Map(entries) => entries.values().any(Expr::is_sensitive),
            _ => false,
        }
    }

    /// Calls `f` on every reference inside, in order.
    pub fn visit_refs<'a>(&'a self, f: &mut impl FnMut(&'a Ref)) {
        match self {
            Expr::Ref(r) => f(r),
            Expr::Template(parts) => {
                for p in parts {
                    if let Part::Ref(r) = p {
                        f(r);
                    }
                }
            }
            Expr::List(items) => items.iter().for_each(|e| e.visit_refs(f)),
            Expr::Map(entries) => entries.values().for_each(|e| e.visit_refs(f)),
            Expr::Sensitive(inner) => inner.visit_refs(f),
            Expr::Value(_) | Expr::Unset(_) => {}
        }
    }
}
