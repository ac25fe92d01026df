//! Reading desired attributes and building observed ones: the small conversions every
//! resource type needs between the engine's [`Value`]s and the SDK's types.
//!
//! Invariants: readers never panic on a value of the wrong shape (the spec was checked
//! against the schema; a wrong shape reads as absent); builders leave an attribute out
//! rather than writing `Null`, so that an unset optional attribute stays unset; a set
//! read back from AWS keeps the order the spec wrote it in whenever it holds the same
//! members, so that an order AWS chose is never a change.

use std::collections::BTreeMap;

use strata_engine::Value;
use strata_engine::provider::{Attrs, ProviderError};

use crate::aws::error::invalid;

pub fn string<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    attrs.get(name).and_then(Value::as_str)
}

/// A string the schema requires; its absence is a bug in the caller's schema.
pub fn required<'a>(attrs: &'a Attrs, name: &str) -> Result<&'a str, ProviderError> {
    string(attrs, name).ok_or_else(|| invalid(format!("`{name}` is required but was not given")))
}

pub fn boolean(attrs: &Attrs, name: &str) -> Option<bool> {
    attrs.get(name).and_then(Value::as_bool)
}

pub fn int(attrs: &Attrs, name: &str) -> Option<i64> {
    match attrs.get(name)? {
        Value::Int(i) => Some(*i),
        Value::Float(f) if f.fract() == 0.0 => Some(*f as i64),
        _ => None,
    }
}

/// A list of strings (absent: empty).
pub fn strings(attrs: &Attrs, name: &str) -> Vec<String> {
    match attrs.get(name) {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// A map of strings, such as `tags` (absent: empty).
pub fn string_map(attrs: &Attrs, name: &str) -> BTreeMap<String, String> {
    match attrs.get(name) {
        Some(Value::Map(m)) => m
            .iter()
            .filter_map(|(k, v)| value_string(v).map(|v| (k.clone(), v)))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// One block (`website { ... }`).
pub fn block<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a Attrs> {
    match attrs.get(name)? {
        Value::Map(m) => Some(m),
        Value::List(items) => items.iter().find_map(|v| match v {
            Value::Map(m) => Some(m),
            _ => None,
        }),
        _ => None,
    }
}

/// A repeated block (`ingress { ... }` written several times), in spec order.
pub fn blocks<'a>(attrs: &'a Attrs, name: &str) -> Vec<&'a Attrs> {
    match attrs.get(name) {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::Map(m) => Some(m),
                _ => None,
            })
            .collect(),
        Some(Value::Map(m)) => vec![m],
        _ => Vec::new(),
    }
}

/// A scalar as text (`5432` → `"5432"`), for tag values and the like.
pub fn value_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Builds observed attributes, leaving out what AWS did not return.
#[derive(Debug, Default, Clone)]
pub struct Out(pub Attrs);

impl Out {
    pub fn new() -> Self {
        Out(Attrs::new())
    }

    pub fn set(&mut self, name: &str, value: impl Into<Value>) -> &mut Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    pub fn str(&mut self, name: &str, value: Option<impl Into<String>>) -> &mut Self {
        if let Some(v) = value {
            self.0.insert(name.to_owned(), Value::String(v.into()));
        }
        self
    }

    pub fn bool(&mut self, name: &str, value: Option<bool>) -> &mut Self {
        if let Some(v) = value {
            self.0.insert(name.to_owned(), Value::Bool(v));
        }
        self
    }

    pub fn int(&mut self, name: &str, value: Option<impl Into<i64>>) -> &mut Self {
        if let Some(v) = value {
            self.0.insert(name.to_owned(), Value::Int(v.into()));
        }
        self
    }

    pub fn list(&mut self, name: &str, values: Vec<Value>) -> &mut Self {
        self.0.insert(name.to_owned(), Value::List(values));
        self
    }

    pub fn into_attrs(self) -> Attrs {
        self.0
    }
}

/// A string list for a set-valued attribute read back from AWS: in `prior`'s order
/// when it holds the same members, sorted otherwise.
pub fn string_set(mut observed: Vec<String>, prior: Option<&Value>) -> Value {
    observed.sort();
    observed.dedup();
    if let Some(Value::List(prior)) = prior {
        let mut wanted: Vec<String> = prior
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let order = wanted.clone();
        wanted.sort();
        wanted.dedup();
        if wanted == observed && order.len() == wanted.len() {
            return Value::List(order.into_iter().map(Value::String).collect());
        }
    }
    Value::List(observed.into_iter().map(Value::String).collect())
}

/// A list of blocks read back from AWS for a set-valued repeated block: each block in
/// `prior`'s order when an equal one is there, the rest after them in AWS's order.
pub fn block_set(observed: Vec<Value>, prior: Option<&Value>) -> Value {
    let Some(Value::List(prior)) = prior else {
        return Value::List(observed);
    };
    let mut rest = observed;
    let mut ordered = Vec::with_capacity(rest.len());
    for p in prior {
        if let Some(i) = rest
            .iter()
            .position(|o| strata_engine::plan::diff::same(o, p))
        {
            ordered.push(rest.remove(i));
        }
    }
    ordered.extend(rest);
    Value::List(ordered)
}

/// A tags map as an attribute value.
pub fn tags_value(tags: impl IntoIterator<Item = (String, String)>) -> Value {
    Value::Map(
        tags.into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::from(*s)).collect())
    }

    #[test]
    fn a_set_keeps_the_spec_order_when_members_agree() {
        let prior = list(&["sg-b", "sg-a"]);
        assert_eq!(
            string_set(vec!["sg-a".into(), "sg-b".into()], Some(&prior)),
            prior
        );
        assert_eq!(
            string_set(vec!["sg-c".into(), "sg-a".into()], Some(&prior)),
            list(&["sg-a", "sg-c"])
        );
    }

    #[test]
    fn readers_treat_a_wrong_shape_as_absent() {
        let attrs = Attrs::from([("n".to_owned(), Value::from("x"))]);
        assert_eq!(int(&attrs, "n"), None);
        assert_eq!(boolean(&attrs, "n"), None);
        assert!(blocks(&attrs, "n").is_empty());
    }
}
