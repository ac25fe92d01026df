//! The provider contract's data half: what a resource type declares about its attributes.
//!
//! A schema drives everything the engine does with a resource's body: which KDL nodes
//! are accepted and how they map to values (the one mapping of DESIGN §2), which
//! attributes are required, which are computed by the cloud (and so exported for
//! references), which force a replacement when they change, and which are sensitive.
//! Invariant: attribute names are kebab-case and never one of the reserved meta
//! attributes (`depends-on`, `lifecycle`, `for-each`); `Schema::new` enforces this.

use std::sync::Arc;

use crate::value::Value;

/// Names a resource body can never use for an attribute: the engine owns them.
pub const RESERVED_ATTRIBUTES: &[&str] = &["depends-on", "lifecycle", "for-each"];

/// The type of an attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    String,
    Int,
    /// An integer or a decimal number.
    Number,
    Bool,
    /// A string from a fixed set (for example `pay-per-request` / `provisioned`).
    Enum(Vec<&'static str>),
    List(Box<Type>),
    Map(Box<Type>),
    /// A nested block: a child node whose properties and children are its attributes.
    Block(Arc<BlockSchema>),
    /// Arbitrary structured data (a policy document): a JSON string, or KDL written as
    /// nested blocks; compared semantically.
    Json,
    /// Any value (variables declared without a type).
    Any,
}

impl Type {
    pub fn list(of: Type) -> Type {
        Type::List(Box::new(of))
    }

    pub fn map(of: Type) -> Type {
        Type::Map(Box::new(of))
    }

    pub fn block(schema: BlockSchema) -> Type {
        Type::Block(Arc::new(schema))
    }

    pub fn one_of(values: &[&'static str]) -> Type {
        Type::Enum(values.to_vec())
    }

    /// How the type is named in diagnostics ("a string", "a list of strings").
    pub fn describe(&self) -> String {
        match self {
            Type::String => "a string".into(),
            Type::Int => "an integer".into(),
            Type::Number => "a number".into(),
            Type::Bool => "a boolean (#true or #false)".into(),
            Type::Enum(values) => format!("one of {}", values.join(", ")),
            Type::List(of) => format!("a list of {}", plural(of)),
            Type::Map(of) => format!("a map of {}", plural(of)),
            Type::Block(_) => "a block".into(),
            Type::Json => "a JSON document".into(),
            Type::Any => "any value".into(),
        }
    }

    /// True for types written as a single argument (`attr value`).
    pub fn is_scalar(&self) -> bool {
        matches!(
            self,
            Type::String | Type::Int | Type::Number | Type::Bool | Type::Enum(_)
        )
    }
}

fn plural(ty: &Type) -> String {
    match ty {
        Type::String => "strings".into(),
        Type::Int => "integers".into(),
        Type::Number => "numbers".into(),
        Type::Bool => "booleans".into(),
        Type::Enum(values) => format!("values from {}", values.join(", ")),
        Type::Block(_) => "blocks".into(),
        other => format!("({})", other.describe()),
    }
}

/// Whether the user sets an attribute, the cloud computes it, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Set by the cloud only; readable by references, never written in a spec.
    Computed,
    /// Optional in the spec; when absent the cloud chooses and the value is read back.
    OptionalComputed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub presence: Presence,
    /// Changing it requires replacing the resource.
    pub force_new: bool,
    /// Never stored or shown in plain text.
    pub sensitive: bool,
    /// Value assumed when the spec leaves the attribute out.
    pub default: Option<Value>,
    /// For blocks: the node may appear several times (a list of blocks).
    pub repeated: bool,
    pub description: &'static str,
}

impl Attribute {
    fn new(name: &'static str, ty: Type, presence: Presence) -> Self {
        Attribute {
            name,
            ty,
            presence,
            force_new: false,
            sensitive: false,
            default: None,
            repeated: false,
            description: "",
        }
    }

    pub fn required(name: &'static str, ty: Type) -> Self {
        Self::new(name, ty, Presence::Required)
    }

    pub fn optional(name: &'static str, ty: Type) -> Self {
        Self::new(name, ty, Presence::Optional)
    }

    pub fn computed(name: &'static str, ty: Type) -> Self {
        Self::new(name, ty, Presence::Computed)
    }

    pub fn optional_computed(name: &'static str, ty: Type) -> Self {
        Self::new(name, ty, Presence::OptionalComputed)
    }

    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// A block that may be written several times; its value is a list of maps.
    pub fn repeated(mut self) -> Self {
        self.repeated = true;
        self
    }

    pub fn doc(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }

    /// Whether a spec may set this attribute.
    pub fn is_settable(&self) -> bool {
        self.presence != Presence::Computed
    }
}

/// The attributes of a resource body or of a nested block.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BlockSchema {
    pub attributes: Vec<Attribute>,
    /// The attribute that receives the node's arguments, if any: `attribute PK type=S`
    /// fills `name` with `PK` when `args` is `Some("name")`. A list attribute takes all
    /// arguments, a scalar exactly one.
    pub args: Option<&'static str>,
    /// Rules across attributes (`exactly one of policy, statement`).
    pub constraints: Vec<Constraint>,
}

/// A rule that involves several attributes of one block.
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    /// Exactly one of these attributes must be set.
    ExactlyOneOf(Vec<&'static str>),
    /// At most one of these attributes may be set.
    AtMostOneOf(Vec<&'static str>),
}

impl BlockSchema {
    pub fn new(attributes: Vec<Attribute>) -> Self {
        for attr in &attributes {
            assert!(
                !RESERVED_ATTRIBUTES.contains(&attr.name),
                "attribute name `{}` is reserved by the engine",
                attr.name
            );
        }
        BlockSchema {
            attributes,
            args: None,
            constraints: Vec::new(),
        }
    }

    /// Adds a rule across attributes; every name must be declared.
    pub fn with_constraint(mut self, constraint: Constraint) -> Self {
        let (Constraint::ExactlyOneOf(names) | Constraint::AtMostOneOf(names)) = &constraint;
        for name in names {
            assert!(
                self.attribute(name).is_some(),
                "constraint names undeclared attribute `{name}`"
            );
        }
        self.constraints.push(constraint);
        self
    }

    /// Names the attribute filled by the block node's arguments.
    pub fn with_args(mut self, attribute: &'static str) -> Self {
        assert!(
            self.attributes.iter().any(|a| a.name == attribute),
            "args attribute `{attribute}` is not declared"
        );
        self.args = Some(attribute);
        self
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Names a spec may set, in declaration order.
    pub fn settable_names(&self) -> Vec<&'static str> {
        self.attributes
            .iter()
            .filter(|a| a.is_settable())
            .map(|a| a.name)
            .collect()
    }
}

/// The schema of a resource or lookup type: its body's attributes plus a description.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub body: BlockSchema,
    pub description: &'static str,
}

impl Schema {
    pub fn new(description: &'static str, attributes: Vec<Attribute>) -> Self {
        Schema {
            body: BlockSchema::new(attributes),
            description,
        }
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.body.attribute(name)
    }

    /// Adds a rule across the body's attributes.
    pub fn with_constraint(mut self, constraint: Constraint) -> Self {
        self.body = self.body.with_constraint(constraint);
        self
    }

    /// Every attribute a reference may read: all of them, inputs and computed alike.
    pub fn exported(&self) -> impl Iterator<Item = &Attribute> {
        self.body.attributes.iter()
    }
}
