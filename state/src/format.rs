//! The state file format (version 1): what strata remembers about one environment.
//!
//! A state is one JSON document: a header (`format_version`, `lineage`, `serial`,
//! `environment`, `strata_version`), the resources keyed by address, and the outputs.
//! It is written pretty-printed with a fixed key order, header first; every map
//! (resources, inputs, outputs) is sorted by key, so two states differ in a text diff
//! exactly where they differ in content.
//!
//! Invariants:
//! - Reading is strict: unknown fields, duplicate keys, an unknown format version, a
//!   lineage that is not a UUID are refused rather than dropped or guessed, because
//!   whatever is dropped on read is lost on the next write. Any change to the shape of
//!   the file needs a new [`FORMAT_VERSION`].
//! - The version, the kind of document and the environment are checked before the full
//!   parse, so a file of another version or another tool is reported as such and not
//!   as "corrupt".
//! - A sensitive value is never stored in plain text, only as a salted digest
//!   ([`StoredValue::Sensitive`]).
//! - Serialisation streams into the writer; nothing builds the whole document in memory.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use strata_engine::Value;

use crate::error::{Corrupt, Result, StateError};
use crate::sensitive::SensitiveDigest;

/// The format version this strata reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Above this size a corrupt file is reported without a rendered snippet of its text.
const SNIPPET_LIMIT: usize = 4 << 20;

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
            strata_version: crate::STRATA_VERSION.to_owned(),
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
        }
    }

    /// Whether this is exactly the snapshot (`lineage`, `serial`) that something — a
    /// saved plan — was made from. A plan made from another snapshot is stale.
    pub fn same_snapshot(&self, lineage: &str, serial: u64) -> bool {
        self.lineage == lineage && self.serial == serial
    }

    /// Write the JSON document (pretty, with a final newline) into `w`, streaming.
    /// `w` should be buffered.
    pub fn encode<W: Write>(&self, mut w: W) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut w, self)?;
        w.write_all(b"\n")
    }

    /// Read a state from the bytes of a file at `origin`, which must belong to
    /// `environment`. `origin` is only used in errors.
    pub fn decode(bytes: &[u8], origin: &Path, environment: &str) -> Result<State> {
        let corrupt =
            |reason: String, at: Option<(usize, usize)>| corrupt_error(bytes, origin, reason, at);
        let from_json = |e: serde_json::Error| {
            let location = format!(" at line {} column {}", e.line(), e.column());
            let text = e.to_string();
            let mut reason = text.strip_suffix(&location).unwrap_or(&text).to_owned();
            let at = (e.line() > 0).then(|| (e.line(), e.column()));
            if let Some((line, column)) = at
                && let Some(bracket) = after_trailing_comma(bytes, line, column)
            {
                reason = format!("trailing comma before `{bracket}` (JSON allows none there)");
            }
            corrupt(reason, at)
        };

        let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else {
            return Err(corrupt("the file is empty".into(), None));
        };
        if *first != b'{' {
            serde_json::from_slice::<IgnoredAny>(bytes).map_err(from_json)?;
            let kind = match first {
                b'[' => "an array",
                b'"' => "a string",
                b't' | b'f' => "a boolean",
                b'n' => "null",
                _ => "a number",
            };
            return Err(StateError::NotStrata {
                path: origin.into(),
                what: format!("it holds {kind}, where a state is a JSON object"),
            });
        }

        let probe: Probe = serde_json::from_slice(bytes).map_err(from_json)?;
        if let Some(what) = probe.foreign_kind() {
            return Err(StateError::NotStrata {
                path: origin.into(),
                what,
            });
        }
        let Some(version) = probe.format_version else {
            if probe.lineage.is_some() && (probe.serial.is_some() || probe.resources.is_some()) {
                return Err(corrupt("missing field `format_version`".into(), None));
            }
            return Err(StateError::NotStrata {
                path: origin.into(),
                what: "it has no `format_version` field".into(),
            });
        };
        let Some(found) = version.as_u64() else {
            return Err(corrupt(
                format!("`format_version` must be a whole number, found {version}"),
                None,
            ));
        };
        if found != u64::from(FORMAT_VERSION) {
            return Err(StateError::UnknownVersion {
                path: origin.into(),
                found,
                supported: FORMAT_VERSION,
            });
        }
        if let Some(serde_json::Value::String(found)) = &probe.environment
            && found != environment
        {
            return Err(StateError::WrongEnvironment {
                path: origin.into(),
                found: found.clone(),
                expected: environment.to_owned(),
            });
        }

        let state: State = serde_json::from_slice(bytes).map_err(from_json)?;
        if uuid::Uuid::parse_str(&state.lineage).is_err() {
            return Err(corrupt(
                format!("`lineage` must be a UUID, found {:?}", state.lineage),
                None,
            ));
        }
        Ok(state)
    }
}

/// The header fields looked at before the full parse; everything else is skipped.
#[derive(Deserialize)]
struct Probe {
    format_version: Option<serde_json::Value>,
    environment: Option<serde_json::Value>,
    lineage: Option<IgnoredAny>,
    serial: Option<IgnoredAny>,
    resources: Option<IgnoredAny>,
    terraform_version: Option<serde_json::Value>,
    checkpoint: Option<IgnoredAny>,
    deployment: Option<IgnoredAny>,
    #[serde(rename = "AWSTemplateFormatVersion")]
    cloudformation: Option<IgnoredAny>,
}

impl Probe {
    /// What the document is, when it is recognisably another tool's.
    fn foreign_kind(&self) -> Option<String> {
        if let Some(v) = &self.terraform_version {
            let version = v.as_str().map(|s| format!(" {s}")).unwrap_or_default();
            return Some(format!(
                "it is a Terraform or OpenTofu state (terraform_version{version})"
            ));
        }
        if self.checkpoint.is_some() || self.deployment.is_some() {
            return Some("it is a Pulumi checkpoint".into());
        }
        if self.cloudformation.is_some() {
            return Some("it is a CloudFormation template".into());
        }
        None
    }
}

fn corrupt_error(
    bytes: &[u8],
    origin: &Path,
    reason: String,
    at: Option<(usize, usize)>,
) -> StateError {
    let conflict_markers =
        bytes.starts_with(b"<<<<<<< ") || bytes.windows(9).any(|w| w == b"\n<<<<<<< ");
    let (source, span) = match at {
        Some((line, column)) if bytes.len() <= SNIPPET_LIMIT => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let offset = offset_of(&text, line, column);
            let len = usize::from(offset < text.len());
            (
                Some(miette::NamedSource::new(origin.display().to_string(), text)),
                Some(miette::SourceSpan::from((offset, len))),
            )
        }
        _ => (None, None),
    };
    StateError::Corrupt(Box::new(Corrupt {
        path: origin.into(),
        line: at.map(|(l, _)| l),
        column: at.map(|(_, c)| c),
        reason,
        backup: None,
        conflict_markers,
        source,
        span,
    }))
}

/// The closing bracket at (line, column) when the previous non-blank character is a
/// comma: serde_json reports some of those as "key must be a string".
fn after_trailing_comma(bytes: &[u8], line: usize, column: usize) -> Option<char> {
    let text = std::str::from_utf8(bytes).ok()?;
    let offset = offset_of(text, line, column);
    let bracket = text[offset..]
        .chars()
        .next()
        .filter(|c| matches!(c, '}' | ']'))?;
    let before = text[..offset].trim_end();
    before.ends_with(',').then_some(bracket)
}

/// Byte offset of a 1-based line and column as serde_json counts them (column 0 is the
/// newline ending the previous line), clamped to the text.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// Deserialize a map, refusing a key that appears twice (serde's default keeps the last
/// one silently: a resource lost in a bad merge would be forgotten).
fn unique_keys<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
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
    fn offsets_follow_serde_json_lines_and_columns() {
        let text = "{\n  \"a\": x\n}\n";
        assert_eq!(&text[offset_of(text, 2, 8)..offset_of(text, 2, 8) + 1], "x");
        assert_eq!(offset_of(text, 1, 1), 0);
        assert_eq!(offset_of(text, 99, 99), text.len());
    }

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
