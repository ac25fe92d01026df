//! Evaluating checked expressions into values, given what is known of other resources.
//!
//! At plan time a reference to an attribute not known yet (the id of a resource still
//! to be created) makes the whole attribute unknown: "(known after apply)". At apply
//! time every reference is known, because a resource only runs after what it depends on.
//! Invariant: an evaluated value is sensitive when its expression used a sensitive
//! variable or `(env)` value, or referred to an attribute its type marks sensitive.

use std::collections::BTreeMap;

use crate::spec::expr::{Expr, Part, ResourceId};
use crate::value::Value;

/// An attribute's value once references are substituted.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    /// None: not known until apply.
    pub value: Option<Value>,
    pub sensitive: bool,
}

impl Evaluated {
    pub fn known(value: Value, sensitive: bool) -> Self {
        Evaluated {
            value: Some(value),
            sensitive,
        }
    }
}

/// What is known of another resource's attribute: its value (None: unknown) and
/// whether it is sensitive.
pub type Lookup<'a> = dyn Fn(ResourceId, &str) -> (Option<Value>, bool) + 'a;

pub fn eval(expr: &Expr, known: &Lookup<'_>) -> Evaluated {
    match expr {
        Expr::Value(v) => Evaluated::known(v.clone(), false),
        Expr::Unset(_) => Evaluated {
            value: None,
            sensitive: false,
        },
        Expr::Sensitive(inner) => {
            let mut e = eval(inner, known);
            e.sensitive = true;
            e
        }
        Expr::Ref(r) => {
            let (value, sensitive) = known(r.target, &r.attribute);
            Evaluated { value, sensitive }
        }
        Expr::Template(parts) => {
            let mut out = String::new();
            let mut sensitive = false;
            let mut complete = true;
            for part in parts {
                match part {
                    Part::Lit(s) => out.push_str(s),
                    Part::Ref(r) => {
                        let (value, s) = known(r.target, &r.attribute);
                        sensitive |= s;
                        match value {
                            Some(v) => out.push_str(&scalar_text(&v)),
                            None => complete = false,
                        }
                    }
                }
            }
            Evaluated {
                value: complete.then_some(Value::String(out)),
                sensitive,
            }
        }
        Expr::List(items) => {
            let mut sensitive = false;
            let mut values = Some(Vec::with_capacity(items.len()));
            for item in items {
                let e = eval(item, known);
                sensitive |= e.sensitive;
                match (e.value, values.as_mut()) {
                    (Some(v), Some(vs)) => vs.push(v),
                    _ => values = None,
                }
            }
            Evaluated {
                value: values.map(Value::List),
                sensitive,
            }
        }
        Expr::Map(entries) => {
            let mut sensitive = false;
            let mut values = Some(BTreeMap::new());
            for (k, item) in entries {
                let e = eval(item, known);
                sensitive |= e.sensitive;
                match (e.value, values.as_mut()) {
                    (Some(v), Some(vs)) => {
                        vs.insert(k.clone(), v);
                    }
                    _ => values = None,
                }
            }
            Evaluated {
                value: values.map(Value::Map),
                sensitive,
            }
        }
    }
}

/// How a value reads inside a string template: strings as they are, numbers and
/// booleans as written, anything else as JSON.
pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}
