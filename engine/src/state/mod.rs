//! The state model: what strata remembers about the resources of one environment.
//!
//! This is the in-memory shape the planner reads and the executor updates; the
//! `strata-state` crate owns how it is persisted (the versioned JSON file, the stores,
//! the lock). The serde shape here *is* the file format (version [`FORMAT_VERSION`]):
//! a header (`format_version`, `lineage`, `serial`, `environment`, `strata_version`),
//! the resources keyed by address, and the outputs, every map sorted by key.
//!
//! Invariants:
//! - Deserialisation is strict: unknown fields and duplicate keys are refused rather
//!   than dropped, because whatever is dropped on read is lost on the next write. Any
//!   change to the shape needs a new [`FORMAT_VERSION`], except a new optional field
//!   left out of the file while empty (`pending`): a strata that predates it refuses a
//!   file using it as an unknown field, so nothing is dropped either way.
//! - A create is entered in `pending` (and saved) before its call is made, and leaves
//!   it when its outcome is recorded: a resource the cloud made is always either in
//!   `resources` or findable from `pending`, whenever the process stopped.
//! - A sensitive value is never held here in plain text, only as a salted digest
//!   ([`StoredValue::Sensitive`]).
//! - Whoever edits a state it saves through a [`StateSink`] names every edit in the
//!   [`Changed`] it saves with (each record or pending address it touched, the
//!   outputs): the store may persist only those — the local store appends them to a
//!   journal — so an edit left out of `Changed` would be lost on disk.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::value::Value;

pub mod sensitive;

pub use sensitive::SensitiveDigest;

/// The format version this strata reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The strata version recorded in the states this build writes.
pub const STRATA_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything strata knows about the resources of one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Always [`FORMAT_VERSION`] in memory; set again on every write.
    pub format_version: u32,
    /// A UUID fixed when the state is created: two files with different lineages are
    /// different states, never two versions of one.
    pub lineage: String,
    /// Incremented by every write.
    pub serial: u64,
    pub environment: String,
    /// The strata version that last wrote the file.
    pub strata_version: String,
    /// Resources keyed by address (`stack.resource`, `stack.resource["key"]`).
    #[serde(deserialize_with = "unique_keys")]
    pub resources: BTreeMap<String, ResourceState>,
    /// Stack outputs keyed by `stack.output`.
    #[serde(deserialize_with = "unique_keys")]
    pub outputs: BTreeMap<String, StoredValue>,
    /// Creates started but never recorded as finished, keyed by address: the process
    /// stopped during the call, or the call failed without an answer from the cloud.
    /// The next plan asks the type to `find` each one.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "unique_keys"
    )]
    pub pending: BTreeMap<String, PendingCreate>,
}

/// A create whose outcome the state does not know yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingCreate {
    #[serde(rename = "type")]
    pub type_name: String,
    /// The token the create call carried.
    pub token: crate::provider::CreateToken,
    /// Addresses of the resources it depended on.
    pub dependencies: Vec<String>,
    /// The inputs the create was called with (sensitive ones as digests).
    #[serde(deserialize_with = "unique_keys")]
    pub inputs: BTreeMap<String, StoredValue>,
}

/// One resource as it was last applied (or read, for a lookup).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceState {
    /// The resource type, e.g. `ec2.vpc`.
    #[serde(rename = "type")]
    pub type_name: String,
    pub mode: Mode,
    /// The cloud's id for it.
    pub id: String,
    pub status: Status,
    /// Addresses of the resources it depended on when applied (destroy goes in reverse).
    pub dependencies: Vec<String>,
    /// The inputs it was applied with.
    #[serde(deserialize_with = "unique_keys")]
    pub inputs: BTreeMap<String, StoredValue>,
    /// The attributes the cloud computed.
    #[serde(deserialize_with = "unique_keys")]
    pub outputs: BTreeMap<String, StoredValue>,
    /// Ids of earlier instances replaced under `create-before-destroy` whose deletion
    /// has not completed yet: still in the cloud, still strata's to delete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<String>,
}

/// Where the executor saves the state after every completed operation; implemented by
/// the stores of `strata-state`.
pub trait StateSink: Send + Sync {
    /// Persists `state` as the next version, incrementing its serial on success.
    /// `changed` names everything that differs from the version last saved or loaded
    /// (a store may write only that, without comparing whole states); when it is empty
    /// the caller need not save at all. Returns only once the version is durable.
    fn save(
        &self,
        state: &mut State,
        changed: &Changed,
    ) -> Result<(), Box<dyn miette::Diagnostic + Send + Sync>>;

    /// Called once at the end of a command that saved, with the state as last saved
    /// (never after a failed save): the store may rewrite it in a more compact form
    /// (the local store folds its journal into the state file). The version and its
    /// serial do not change. Does nothing by default.
    fn compact(&self, state: &State) -> Result<(), Box<dyn miette::Diagnostic + Send + Sync>> {
        let _ = state;
        Ok(())
    }
}

/// What one save changes, as the executor knows it from the edits it made: the
/// addresses of the records and pending creates it added, replaced or removed, and
/// whether the outputs changed. A store takes each named entry from the state being
/// saved (an address absent there was removed), so a save costs the size of the
/// change, not of the state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    /// Addresses in `State::resources` added, replaced, edited or removed.
    pub resources: BTreeSet<String>,
    /// Addresses in `State::pending` added or removed.
    pub pending: BTreeSet<String>,
    /// `State::outputs` changed (outputs are always written whole).
    pub outputs: bool,
    /// Anything may have changed (a state edited as a whole): the store writes it all.
    pub everything: bool,
}

impl Changed {
    /// Nothing changed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Anything may have changed.
    pub fn everything() -> Self {
        Changed {
            everything: true,
            ..Self::default()
        }
    }

    /// The record at `address` was added, replaced, edited or removed.
    pub fn resource(&mut self, address: &str) -> &mut Self {
        if !self.resources.contains(address) {
            self.resources.insert(address.to_owned());
        }
        self
    }

    /// The pending create at `address` was entered or removed.
    pub fn pending(&mut self, address: &str) -> &mut Self {
        if !self.pending.contains(address) {
            self.pending.insert(address.to_owned());
        }
        self
    }

    /// The outputs changed.
    pub fn outputs(&mut self) -> &mut Self {
        self.outputs = true;
        self
    }

    pub fn is_empty(&self) -> bool {
        !self.everything && !self.outputs && self.resources.is_empty() && self.pending.is_empty()
    }
}

/// Whether strata owns the resource or only reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Created, updated and deleted by strata.
    Managed,
    /// Owned elsewhere, read by a `lookup` block.
    Lookup,
}

/// Whether the resource is whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Created,
    /// A create half-succeeded: the resource exists but must be replaced.
    Tainted,
}

/// An attribute value as stored: plain, or only a salted digest when sensitive.
///
/// In JSON a plain value is the value itself, and a sensitive one is
/// `{"sensitive": "<salt-hex>:<sha256-hex>"}`. A plain map whose only key is
/// `sensitive` or `plain` is written `{"plain": <map>}` so that it cannot be mistaken for
/// a marker.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredValue {
    Plain(Value),
    Sensitive(SensitiveDigest),
}

impl StoredValue {
    /// Store `value` as it is.
    pub fn plain(value: Value) -> Self {
        StoredValue::Plain(value)
    }

    /// Store only a salted digest of `value` (fresh salt).
    pub fn sensitive(value: &Value) -> Self {
        StoredValue::Sensitive(SensitiveDigest::of(value))
    }

    /// Whether `value` is what was stored: equality for a plain value, a digest check
    /// for a sensitive one.
    pub fn matches(&self, value: &Value) -> bool {
        match self {
            StoredValue::Plain(v) => v == value,
            StoredValue::Sensitive(d) => d.matches(value),
        }
    }

    pub fn is_sensitive(&self) -> bool {
        matches!(self, StoredValue::Sensitive(_))
    }

    /// The value, unless it is sensitive.
    pub fn as_plain(&self) -> Option<&Value> {
        match self {
            StoredValue::Plain(v) => Some(v),
            StoredValue::Sensitive(_) => None,
        }
    }
}

impl From<Value> for StoredValue {
    fn from(value: Value) -> Self {
        StoredValue::Plain(value)
    }
}

const SENSITIVE_KEY: &str = "sensitive";
const PLAIN_KEY: &str = "plain";

/// A plain map that would read back as a marker.
fn needs_escape(value: &Value) -> bool {
    matches!(value, Value::Map(m) if m.len() == 1
        && (m.contains_key(SENSITIVE_KEY) || m.contains_key(PLAIN_KEY)))
}

impl Serialize for StoredValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StoredValue::Plain(v) if needs_escape(v) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(PLAIN_KEY, v)?;
                m.end()
            }
            StoredValue::Plain(v) => v.serialize(s),
            StoredValue::Sensitive(d) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(SENSITIVE_KEY, &d.to_string())?;
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for StoredValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let Value::Map(mut map) = value else {
            return Ok(StoredValue::Plain(value));
        };
        if map.len() == 1 {
            if let Some(marker) = map.get(SENSITIVE_KEY) {
                let Value::String(text) = marker else {
                    return Err(de::Error::custom(
                        "the \"sensitive\" marker must hold a string (a plain map with the single key \"sensitive\" is written {\"plain\": {...}})",
                    ));
                };
                return text
                    .parse()
                    .map(StoredValue::Sensitive)
                    .map_err(de::Error::custom);
            }
            if let Some(inner) = map.remove(PLAIN_KEY) {
                return Ok(StoredValue::Plain(inner));
            }
        }
        Ok(StoredValue::Plain(Value::Map(map)))
    }
}

impl ResourceState {
    /// A created resource with no inputs, outputs or dependencies yet.
    pub fn new(type_name: impl Into<String>, mode: Mode, id: impl Into<String>) -> Self {
        ResourceState {
            type_name: type_name.into(),
            mode,
            id: id.into(),
            status: Status::Created,
            dependencies: Vec::new(),
            inputs: BTreeMap::new(),
            outputs: BTreeMap::new(),
            deposed: Vec::new(),
        }
    }
}

impl State {
    /// An empty state for `environment`, with a fresh lineage and serial 0 (the first
    /// write makes it 1).
    pub fn new(environment: impl Into<String>) -> Self {
        State {
            format_version: FORMAT_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            environment: environment.into(),
            strata_version: STRATA_VERSION.to_owned(),
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            pending: BTreeMap::new(),
        }
    }

    /// Whether this is exactly the snapshot (`lineage`, `serial`) that something — a
    /// saved plan — was made from. A plan made from another snapshot is stale.
    pub fn same_snapshot(&self, lineage: &str, serial: u64) -> bool {
        self.lineage == lineage && self.serial == serial
    }
}

/// Deserialize a map, refusing a key that appears twice (serde's default keeps the last
/// one silently: a resource lost in a bad merge would be forgotten). Public for the
/// stores, whose own documents (the journal) hold maps of the same kind.
pub fn unique_keys<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct UniqueKeys<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for UniqueKeys<T> {
        type Value = BTreeMap<String, T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            let mut map = BTreeMap::new();
            while let Some(key) = access.next_key::<String>()? {
                if map.contains_key(&key) {
                    return Err(de::Error::custom(format!("`{key}` appears twice")));
                }
                let value = access.next_value()?;
                map.insert(key, value);
            }
            Ok(map)
        }
    }

    d.deserialize_map(UniqueKeys(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_applies_only_to_single_key_marker_maps() {
        let map = |pairs: &[(&str, Value)]| {
            Value::Map(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect(),
            )
        };
        assert!(needs_escape(&map(&[("sensitive", Value::from("x"))])));
        assert!(needs_escape(&map(&[("plain", Value::Null)])));
        assert!(!needs_escape(&map(&[
            ("sensitive", Value::from("x")),
            ("other", Value::Null)
        ])));
        assert!(!needs_escape(&map(&[("secret", Value::from("x"))])));
        assert!(!needs_escape(&Value::from("sensitive")));
    }
}
