//! The checked spec: what the planner works from.
//!
//! Produced by `check` for one environment (or none, for `validate`). Every resource has
//! a resolved type, attributes converted by its schema (defaults filled in), references
//! resolved to `ResourceId`s, and the spans needed to point back at the spec.
//! Invariant: `resources[i].id == ResourceId(i)`; addresses are unique.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use crate::source::{Sources, Span};
use crate::spec::expr::{Expr, ResourceId};
use crate::spec::project::Mode;
use crate::value::Value;

/// `stack.name`, the stable identity of a resource in specs and state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    pub stack: String,
    pub name: String,
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.stack, self.name)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lifecycle {
    pub prevent_destroy: bool,
    pub create_before_destroy: bool,
    pub ignore_changes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub id: ResourceId,
    pub address: Address,
    pub stack: usize,
    pub mode: Mode,
    pub type_name: String,
    pub attributes: BTreeMap<String, Expr>,
    /// Where each attribute was written, for errors found at apply time.
    pub attribute_spans: BTreeMap<String, Span>,
    /// Explicit `depends-on`, with where it was written.
    pub depends_on: Vec<(ResourceId, Span)>,
    pub lifecycle: Lifecycle,
    /// The whole resource node.
    pub span: Span,
    pub name_span: Span,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub sensitive: bool,
    pub description: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Stack {
    pub name: String,
    pub depends_on: Vec<(usize, Span)>,
    pub resources: Vec<ResourceId>,
    pub outputs: Vec<Output>,
    pub span: Span,
    pub name_span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StateBackend {
    Local {
        path: String,
    },
    S3 {
        bucket: String,
        key: String,
        region: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub name: String,
    pub region: String,
    pub profile: Option<String>,
    pub endpoint: Option<String>,
    pub state: StateBackend,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: String,
    /// `None` when no environment was chosen and the variable has no default.
    pub value: Option<Value>,
    pub sensitive: bool,
    pub description: Option<String>,
    pub span: Span,
}

#[derive(Debug)]
pub struct Spec {
    pub sources: Arc<Sources>,
    pub environment: Option<Environment>,
    pub variables: BTreeMap<String, Variable>,
    pub stacks: Vec<Stack>,
    pub resources: Vec<Resource>,
    pub(crate) by_address: HashMap<Address, ResourceId>,
}

impl Spec {
    pub fn resource(&self, id: ResourceId) -> &Resource {
        &self.resources[id.index()]
    }

    pub fn find(&self, address: &Address) -> Option<&Resource> {
        self.by_address.get(address).map(|id| self.resource(*id))
    }

    /// Finds a resource by its `stack.name` text.
    pub fn find_str(&self, address: &str) -> Option<&Resource> {
        let (stack, name) = address.split_once('.')?;
        self.find(&Address {
            stack: stack.to_owned(),
            name: name.to_owned(),
        })
    }
}
