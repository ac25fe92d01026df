//! Plans: what `apply` (or `destroy`) would do, as data.
//!
//! `planner::plan` refreshes what the state knows (optionally), evaluates the spec and
//! diffs desired against prior per attribute using each type's schema; the result is a
//! [`Plan`]: one [`Change`] per resource, the drift the refresh found, and the output
//! changes. Rendering (`render`) and executing (`apply`) both work from a `Plan`.
//!
//! Invariants:
//! - Computing a plan writes nothing and calls nothing in the cloud but reads.
//! - A plan holds no sensitive value in plain text: a sensitive attribute is
//!   [`Shown::Sensitive`], fingerprints and refreshed records hold salted digests only.
//! - A resource whose refresh failed is planned from the state alone and carries the
//!   error: a failed read never turns into a create, a delete or a replace.
//! - `changes` are in a stable order: stack declaration order, then address; deletions
//!   of resources no longer in the spec come after the spec's resources.

pub mod diff;
pub mod eval;
pub mod planner;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::{Mode, ResourceState, SensitiveDigest};
use crate::value::Value;

pub use planner::{PlanOptions, plan, plan_destroy};

/// The plan format version, for plan files and `--format json`.
pub const PLAN_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanKind {
    Apply,
    Destroy,
}

/// The state snapshot a plan was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub lineage: String,
    pub serial: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub kind: PlanKind,
    pub environment: String,
    /// None when there was no state yet.
    pub base: Option<Snapshot>,
    /// Whether resources were read from the cloud before diffing.
    pub refreshed: bool,
    pub changes: Vec<Change>,
    pub drift: Vec<Drift>,
    pub outputs: Vec<OutputChange>,
    /// What the refresh found that differs from the state (None: the resource is
    /// gone). Written to the state before any change is applied, so that the state
    /// matches what the plan was computed from.
    pub refreshed_records: BTreeMap<String, Option<ResourceState>>,
    /// Interrupted creates found in the state's `pending` and what the plan learnt of
    /// each; apply drops the resolved ones from `pending` (a found resource's record is
    /// in `refreshed_records`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovered: Vec<Recovered>,
    /// The `--target`, `--exclude` and `--replace` the plan was made with.
    #[serde(default)]
    pub request: PlanRequest,
    /// What lookups with sensitive results found, read while planning: in memory only
    /// (never serialised), so that apply hands dependents the values the state keeps
    /// only as digests.
    #[serde(skip)]
    pub lookup_values: InMemory<BTreeMap<String, crate::provider::Attrs>>,
    /// How the refresh paced its reads (None without refresh): throttling answers seen
    /// and how far the concurrency came down. Not part of the plan file.
    #[serde(skip)]
    pub refresh_pace: Option<crate::pace::PaceStats>,
}

/// An interrupted create (the state's `pending`) as the plan resolved it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recovered {
    pub address: String,
    #[serde(rename = "type")]
    pub type_name: String,
    /// The id of the resource the create made, adopted into the state; None when the
    /// create never reached the cloud (or when `error` says the type could not tell).
    pub found: Option<String>,
    /// Why it could not be told whether the create reached the cloud: the pending entry
    /// stays, and apply refuses to create the resource again until it is resolved.
    pub error: Option<String>,
}

/// A value a plan keeps in memory only, because it may hold secrets: never serialised
/// (the fields holding it are `serde(skip)`), and its `Debug` prints nothing of it, so
/// that no debug print of a plan shows a secret.
#[derive(Clone, Default, PartialEq)]
pub struct InMemory<T>(pub T);

impl<T> std::fmt::Debug for InMemory<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(in memory)")
    }
}

/// The flags that shape a plan, kept so that a saved plan can be recomputed exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRequest {
    pub targets: Vec<String>,
    pub excludes: Vec<String>,
    pub replace: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    Replace,
    Delete,
    /// A lookup read.
    Read,
}

impl Action {
    pub fn is_change(self) -> bool {
        !matches!(self, Action::NoOp | Action::Read)
    }

    /// The verb for progress lines and summaries.
    pub fn verb(self) -> &'static str {
        match self {
            Action::NoOp => "unchanged",
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Read => "read",
        }
    }
}

/// Why a resource is replaced rather than updated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "reason")]
pub enum ReplaceReason {
    /// These force-new attributes change.
    ForceNew { attributes: Vec<String> },
    /// `--replace ADDR`.
    Requested,
    /// A create half-succeeded earlier: the resource exists but is not trusted.
    Tainted,
}

/// A value as a plan may show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Shown {
    Absent,
    Known(Value),
    Sensitive,
    /// Known after apply.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttrDiff {
    pub name: String,
    pub before: Shown,
    pub after: Shown,
    /// This attribute's change is (one of) the reason for a replacement.
    pub forces_replacement: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// `stack.name`.
    pub address: String,
    pub stack: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub mode: Mode,
    pub action: Action,
    pub replace_reason: Option<ReplaceReason>,
    pub create_before_destroy: bool,
    /// The cloud id of the existing resource, if any.
    pub id: Option<String>,
    /// For a deletion of an instance left deposed by `create-before-destroy`.
    pub deposed: Option<String>,
    /// Attributes that change (for a create: every attribute set; for a delete: what
    /// the state holds).
    pub attributes: Vec<AttrDiff>,
    /// The refresh of this resource failed; the change was computed from the state.
    pub refresh_error: Option<String>,
    /// Addresses this resource depends on directly.
    pub depends_on: Vec<String>,
    /// A salted digest of the desired values, checked when a saved plan is applied.
    pub fingerprint: Option<SensitiveDigest>,
    /// The desired values the fingerprint was made from. In memory only: it may hold
    /// sensitive values, so it is never serialised.
    #[serde(skip)]
    pub canonical: Option<InMemory<Value>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftKind {
    /// Attributes were changed outside strata.
    Changed,
    /// The resource was deleted outside strata.
    Deleted,
}

/// A difference between the state and the cloud, found by the refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub address: String,
    pub stack: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub kind: DriftKind,
    /// before: the state; after: the cloud.
    pub attributes: Vec<AttrDiff>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    /// `stack.output`.
    pub name: String,
    /// NoOp, Create, Update or Delete.
    pub action: Action,
    pub before: Shown,
    pub after: Shown,
}

impl OutputChange {
    pub fn is_change(&self) -> bool {
        self.action != Action::NoOp
    }
}

/// How many resources each action touches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub unchanged: usize,
    pub read: usize,
    /// Resources whose refresh failed.
    pub unknown: usize,
}

impl Plan {
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for change in &self.changes {
            match change.action {
                Action::Create => c.create += 1,
                Action::Update => c.update += 1,
                Action::Replace => c.replace += 1,
                Action::Delete => c.delete += 1,
                Action::NoOp => c.unchanged += 1,
                Action::Read => c.read += 1,
            }
            if change.refresh_error.is_some() {
                c.unknown += 1;
            }
        }
        c
    }

    /// Whether there is anything to show: a resource or output that changes, or drift.
    /// (Refreshed records of computed attributes alone are recorded silently.)
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action.is_change())
            || self.outputs.iter().any(OutputChange::is_change)
            || !self.drift.is_empty()
    }

    /// The change for an address (not a deposed instance).
    pub fn change(&self, address: &str) -> Option<&Change> {
        self.changes
            .iter()
            .find(|c| c.address == address && c.deposed.is_none())
    }
}
