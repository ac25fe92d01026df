//! The provider contract: resource and lookup types, and the registry that names them.
//!
//! A resource type declares its schema and implements five asynchronous operations:
//! `read` (None when the resource is gone), `create`, `update`, `delete` and `import`.
//! Values cross the contract as plain [`Value`]s in the spec's shape; sensitive values
//! are plain here, in memory only, and the engine alone decides what is stored.
//! The engine only ever reaches a type through this registry, by the name written in
//! the spec (`s3.bucket`); it never matches on type names itself.
//!
//! Invariants: a type name is `<service>.<kind>`, lowercase kebab-case, registered once.
//! `read` never reports a resource as gone because of an error: a failed read is an
//! `Err`, and the engine then treats the resource as unknown. A `create` that fails
//! after the cloud made something returns its id in [`CreateError::id`], so that the
//! state records it and nothing is orphaned. A create the process did not live to see
//! finish is found again with `find`: the engine saves a [`CreateToken`] in the state
//! before it calls `create`, and every type marks what it creates with that token (a
//! tag, a client token, a caller reference) or creates under a name the spec fixes, so
//! that `find` can tell whether the create reached the cloud.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::pace::Backpressure;
use crate::schema::Schema;
use crate::value::Value;

/// Attribute values by name, in the spec's shape.
pub type Attrs = BTreeMap<String, Value>;

/// What the cloud holds for one resource, normalised to the spec's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// The cloud's id, used for every later operation.
    pub id: String,
    /// Every attribute the type can read back, settable and computed alike. An
    /// attribute the cloud never returns (a password) is left out: the engine then
    /// keeps what it applied.
    pub attributes: Attrs,
}

impl Observed {
    pub fn new(id: impl Into<String>, attributes: Attrs) -> Self {
        Observed {
            id: id.into(),
            attributes,
        }
    }
}

/// Why a provider call failed, as far as the engine needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The resource does not exist (on delete: already gone, which is success).
    NotFound,
    /// The API refused for rate; retried by the client before it reaches the engine.
    Throttled,
    /// The endpoint does not implement the operation.
    Unsupported,
    /// A waiter gave up.
    Timeout,
    /// The credentials were refused or lack a permission.
    Denied,
    /// No usable answer came (the connection failed or was lost, the call timed out,
    /// the answer could not be read): the call may or may not have taken effect.
    NoAnswer,
    Other,
}

/// A failed provider call: the cloud's error code and message.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderError {
    pub kind: ErrorKind,
    /// The cloud's error code (`BucketAlreadyExists`), when it gave one.
    pub code: Option<String>,
    pub message: String,
}

impl ProviderError {
    pub fn new(kind: ErrorKind, code: Option<String>, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            code,
            message: message.into(),
        }
    }

    pub fn other(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Other, None, message)
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ProviderError {}

/// A failed create. When the cloud made the resource before the failure (a waiter
/// timed out, tagging failed), `id` names it so that the state keeps track of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateError {
    pub error: ProviderError,
    pub id: Option<String>,
}

impl From<ProviderError> for CreateError {
    fn from(error: ProviderError) -> Self {
        CreateError { error, id: None }
    }
}

/// The mark of one create call, chosen and saved in the state before the call is made.
///
/// Types put it on what they create where the cloud allows (an EC2 tag
/// [`CreateToken::TAG`], an idempotency or caller-reference token); `find` looks for it.
/// It is at most 40 ASCII characters: `strata-` and 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct CreateToken(String);

impl CreateToken {
    /// The tag key types use for the token where the cloud has tags.
    pub const TAG: &'static str = "strata:create-token";

    /// A fresh random token.
    pub fn new() -> Self {
        CreateToken(format!("strata-{}", uuid::Uuid::new_v4().simple()))
    }

    /// A token as saved earlier.
    pub fn from_saved(token: impl Into<String>) -> Self {
        CreateToken(token.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for CreateToken {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for CreateToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A kind of cloud resource strata manages (`s3.bucket`, `ec2.vpc`).
#[async_trait]
pub trait ResourceType: Send + Sync {
    /// `<service>.<kind>`, as written in specs.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;

    /// The resource as the cloud has it now, or None when it no longer exists.
    /// `prior` holds the attributes last applied (plain ones only).
    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError>;

    /// Creates the resource from the desired settable attributes (defaults filled in),
    /// marked with `token` where the cloud allows (see [`CreateToken`]). Returns it as
    /// `read` would.
    async fn create(&self, desired: &Attrs, token: &CreateToken) -> Result<Observed, CreateError>;

    /// Whether a create made with `desired` and `token` reached the cloud, when the
    /// process that made the call did not live to record the answer: the resource it
    /// made (as `read` returns it), or None when there is none. Looks for the token, or
    /// for the name `desired` fixes when the cloud names resources by it. An error
    /// means "cannot tell": the engine then never creates the resource again blindly.
    async fn find(
        &self,
        desired: &Attrs,
        token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError>;

    /// Changes the attributes named in `changed` in place (never force-new ones).
    async fn update(
        &self,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        changed: &[String],
    ) -> Result<Observed, ProviderError>;

    /// Deletes the resource. Already gone counts as success.
    async fn delete(&self, id: &str, prior: &Attrs) -> Result<(), ProviderError>;

    /// Reads an existing resource by its cloud id, to bring it under management.
    async fn import(&self, id: &str) -> Result<Option<Observed>, ProviderError> {
        self.read(id, &Attrs::new()).await
    }
}

/// A read-only data source (`lookup ec2.vpc default { default #true }`): its settable
/// attributes are filters, its computed attributes what the lookup finds.
#[async_trait]
pub trait LookupType: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;

    /// Finds what the filters select. Returns every attribute (filters included) and
    /// an id naming what was found.
    async fn read(&self, filters: &Attrs) -> Result<Observed, ProviderError>;
}

#[derive(Default, Clone)]
pub struct Registry {
    resources: HashMap<&'static str, Arc<dyn ResourceType>>,
    lookups: HashMap<&'static str, Arc<dyn LookupType>>,
    backpressure: Backpressure,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry whose types report throttling on `backpressure` (the engine then
    /// slows its walks down: `pace`).
    pub fn with_backpressure(backpressure: Backpressure) -> Self {
        Registry {
            backpressure,
            ..Self::default()
        }
    }

    /// The throttling signal this registry's types report on.
    pub fn backpressure(&self) -> &Backpressure {
        &self.backpressure
    }

    /// Registers a resource type. Panics on a malformed or duplicate name: that is a
    /// programming error in a provider, not a user error.
    pub fn register(&mut self, ty: Arc<dyn ResourceType>) {
        let name = ty.type_name();
        check_type_name(name);
        let previous = self.resources.insert(name, ty);
        assert!(
            previous.is_none(),
            "resource type `{name}` registered twice"
        );
    }

    pub fn register_lookup(&mut self, ty: Arc<dyn LookupType>) {
        let name = ty.type_name();
        check_type_name(name);
        let previous = self.lookups.insert(name, ty);
        assert!(previous.is_none(), "lookup type `{name}` registered twice");
    }

    pub fn resource(&self, name: &str) -> Option<&Arc<dyn ResourceType>> {
        self.resources.get(name)
    }

    pub fn lookup(&self, name: &str) -> Option<&Arc<dyn LookupType>> {
        self.lookups.get(name)
    }

    /// Registered resource type names, sorted.
    pub fn resource_names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.resources.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Registered lookup type names, sorted.
    pub fn lookup_names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.lookups.keys().copied().collect();
        names.sort_unstable();
        names
    }
}

fn check_type_name(name: &str) {
    let valid = name.split_once('.').is_some_and(|(service, kind)| {
        let ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        ok(service) && ok(kind)
    });
    assert!(
        valid,
        "type name `{name}` is not `<service>.<kind>` in kebab-case"
    );
}
