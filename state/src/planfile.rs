//! The plan file: a [`Plan`] saved by `strata plan --out FILE` for `strata apply FILE`,
//! with what is needed to apply it exactly: the spec folder (absolute), the environment,
//! the strata and format versions, and when it was made.
//!
//! On disk it is one JSON object whose first field is the marker `"kind": "strata-plan"`,
//! then `format_version` ([`PLAN_FORMAT_VERSION`]), `strata_version`, `spec_dir`,
//! `environment`, `created_at` (RFC 3339, UTC, to the second) and `plan`.
//!
//! Invariants:
//! - Writing is atomic: the plan goes to a temporary file created with mode 0600 beside
//!   the target, is flushed to disk, then renamed over the target; a failed or killed
//!   write never leaves a partial plan file (nor, on failure, its temporary file).
//! - Writing never replaces a file that is not a plan (a state file given as `--out` by
//!   mistake survives); an existing plan file or an empty file may be replaced.
//! - Reading is strict and never guesses: a file without the marker (a state file, other
//!   JSON, garbage) is `state::not_a_plan`, another format version is
//!   `state::plan_version`, and a plan with unknown or missing header fields, a relative
//!   `spec_dir` or a `created_at` that is not RFC 3339 is `state::plan_corrupt`.
//! - A plan holds no sensitive value in plain text (see `strata_engine::plan`), so the
//!   file holds none either; it is still private (0600), like the state it was made from.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
pub use strata_engine::plan::PLAN_FORMAT_VERSION;
use strata_engine::plan::Plan;

use crate::error::{Result, StateError};
use crate::local::{create_private, parent_dir, temp_path_beside};

/// The value of the `kind` field that marks a strata plan file.
pub const PLAN_KIND: &str = "strata-plan";

/// A saved plan and what `apply` needs to check before applying it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanFile {
    /// Always [`PLAN_FORMAT_VERSION`] for a file this strata wrote or read.
    pub format_version: u32,
    /// The strata version that made the plan.
    pub strata_version: String,
    /// The spec folder the plan was made from, absolute.
    pub spec_dir: PathBuf,
    pub environment: String,
    /// When the plan was made: RFC 3339, UTC, to the second (`2025-11-23T18:39:00Z`).
    pub created_at: String,
    pub plan: Plan,
}

impl PlanFile {
    /// A plan file for `plan`, made now from the spec folder `spec_dir` (made absolute
    /// against the current directory, without touching the file system).
    pub fn new(spec_dir: &Path, plan: Plan) -> Result<PlanFile> {
        let spec_dir = std::path::absolute(spec_dir)
            .map_err(|e| StateError::io("resolve the absolute path of", spec_dir, e))?;
        Ok(PlanFile {
            format_version: PLAN_FORMAT_VERSION,
            strata_version: crate::STRATA_VERSION.to_owned(),
            spec_dir,
            environment: plan.environment.clone(),
            created_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            plan,
        })
    }

    /// `created_at` as a time.
    pub fn created(&self) -> Option<SystemTime> {
        humantime::parse_rfc3339(&self.created_at).ok()
    }
}

/// The document as written: the marker first, then the header, then the plan.
#[derive(Serialize)]
struct Encoded<'a> {
    kind: &'static str,
    format_version: u32,
    strata_version: &'a str,
    spec_dir: &'a Path,
    environment: &'a str,
    created_at: &'a str,
    plan: &'a Plan,
}

/// The document as read, strictly.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Decoded {
    #[allow(dead_code)] // checked by the probe before the full parse
    kind: String,
    format_version: u32,
    strata_version: String,
    spec_dir: PathBuf,
    environment: String,
    created_at: String,
    plan: Plan,
}

/// The fields looked at before the full parse, to say what a file is when it is not a
/// plan of this version.
#[derive(Deserialize)]
struct Probe {
    kind: Option<serde_json::Value>,
    format_version: Option<serde_json::Value>,
    lineage: Option<IgnoredAny>,
    serial: Option<IgnoredAny>,
    resources: Option<IgnoredAny>,
    terraform_version: Option<IgnoredAny>,
}

/// Write `plan` to `path`, atomically and with mode 0600 (see the module invariants).
/// Refuses, changing nothing, when `path` holds something other than a plan.
pub fn write(path: &Path, plan: &PlanFile) -> Result<()> {
    check_replaceable(path)?;
    let tmp = temp_path_beside(path, "");
    let result = (|| {
        let file = create_private(&tmp)
            .map_err(|e| StateError::io("create the temporary plan file", &tmp, e))?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        let written = encode(plan, &mut w)
            .and_then(|()| w.into_inner().map_err(io::IntoInnerError::into_error));
        let file = written.map_err(|e| StateError::io("write the temporary plan file", &tmp, e))?;
        file.sync_all()
            .map_err(|e| StateError::io("flush to disk the temporary plan file", &tmp, e))?;
        fs::rename(&tmp, path)
            .map_err(|e| StateError::io("move the new plan file into place at", path, e))?;
        let dir = parent_dir(path);
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StateError::io("flush to disk the plan file's directory", dir, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Write the document of `plan` (pretty JSON, marker first, final newline) into `w`,
/// which should be buffered. What `write` puts in the file, and `decode` reads back.
pub fn encode<W: Write>(plan: &PlanFile, mut w: W) -> io::Result<()> {
    let encoded = Encoded {
        kind: PLAN_KIND,
        format_version: plan.format_version,
        strata_version: &plan.strata_version,
        spec_dir: &plan.spec_dir,
        environment: &plan.environment,
        created_at: &plan.created_at,
        plan: &plan.plan,
    };
    serde_json::to_writer_pretty(&mut w, &encoded)?;
    w.write_all(b"\n")
}

/// Read the plan file at `path`; see the module invariants for what is refused.
pub fn read(path: &Path) -> Result<PlanFile> {
    let bytes = fs::read(path).map_err(|e| StateError::io("read the plan file", path, e))?;
    decode(&bytes, path)
}

/// Decode the bytes of a plan file; `origin` is only used in errors.
pub fn decode(bytes: &[u8], origin: &Path) -> Result<PlanFile> {
    let not_a_plan = |what: String| StateError::NotAPlan {
        path: origin.into(),
        what,
    };
    let corrupt = |reason: String| StateError::PlanCorrupt {
        path: origin.into(),
        reason,
    };
    let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Err(not_a_plan("the file is empty".into()));
    };
    // What strata writes starts with the marker: a plan cut short is a damaged plan,
    // anything else that is not JSON is not a plan at all.
    // A damaged plan says where, in the words of the document (see `json_error`).
    let explained = |e: serde_json::Error| match crate::json_error::explain(bytes, &e) {
        (reason, Some((line, column))) => format!("{reason} (line {line}, column {column})"),
        (reason, None) => reason,
    };
    let not_json = |e: serde_json::Error| {
        if starts_like_a_plan(bytes) {
            corrupt(explained(e))
        } else {
            not_a_plan(format!("it is not JSON ({e})"))
        }
    };
    if *first != b'{' {
        serde_json::from_slice::<IgnoredAny>(bytes).map_err(not_json)?;
        let kind = match first {
            b'[' => "an array",
            b'"' => "a string",
            b't' | b'f' => "a boolean",
            b'n' => "null",
            _ => "a number",
        };
        return Err(not_a_plan(format!(
            "it holds {kind}, where a plan is a JSON object"
        )));
    }
    let probe: Probe = serde_json::from_slice(bytes).map_err(not_json)?;
    match probe.kind.as_ref().and_then(serde_json::Value::as_str) {
        Some(PLAN_KIND) => {}
        Some(other) => return Err(not_a_plan(format!("its `kind` is {other:?}"))),
        None if probe.kind.is_some() => {
            return Err(not_a_plan("its `kind` is not a string".into()));
        }
        None if probe.terraform_version.is_some() => {
            return Err(not_a_plan(
                "it is a Terraform or OpenTofu state or plan".into(),
            ));
        }
        None if probe.lineage.is_some() && probe.serial.is_some() && probe.resources.is_some() => {
            return Err(not_a_plan("it is a strata state file".into()));
        }
        None => return Err(not_a_plan("it has no `kind` field".into())),
    }
    let Some(version) = probe.format_version else {
        return Err(corrupt("missing field `format_version`".into()));
    };
    let Some(found) = version.as_u64() else {
        return Err(corrupt(format!(
            "`format_version` must be a whole number, found {version}"
        )));
    };
    if found != u64::from(PLAN_FORMAT_VERSION) {
        return Err(StateError::PlanVersion {
            path: origin.into(),
            found,
            supported: PLAN_FORMAT_VERSION,
        });
    }
    let decoded: Decoded = serde_json::from_slice(bytes).map_err(|e| corrupt(explained(e)))?;
    if !decoded.spec_dir.is_absolute() {
        return Err(corrupt(format!(
            "`spec_dir` must be an absolute path, found {:?}",
            decoded.spec_dir
        )));
    }
    if humantime::parse_rfc3339(&decoded.created_at).is_err() {
        return Err(corrupt(format!(
            "`created_at` must be an RFC 3339 time in UTC, found {:?}",
            decoded.created_at
        )));
    }
    if decoded.environment != decoded.plan.environment {
        return Err(corrupt(format!(
            "the file is for environment {:?} but its plan is for environment {:?}",
            decoded.environment, decoded.plan.environment
        )));
    }
    Ok(PlanFile {
        format_version: decoded.format_version,
        strata_version: decoded.strata_version,
        spec_dir: decoded.spec_dir,
        environment: decoded.environment,
        created_at: decoded.created_at,
        plan: decoded.plan,
    })
}

/// Whether the text begins with the marker field, as every plan file strata writes does.
fn starts_like_a_plan(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]);
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.starts_with(&format!("{{\"kind\":\"{PLAN_KIND}\""))
}

/// Fails when `path` exists and holds something that must not be replaced by a plan:
/// anything but a plan file (of any version) or an empty file.
fn check_replaceable(path: &Path) -> Result<()> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::IsADirectory => {
            return Err(StateError::PlanOverwrite {
                path: path.into(),
                what: "it is a directory".into(),
            });
        }
        Err(e) => return Err(StateError::io("read the file already at", path, e)),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    match decode(&bytes, path) {
        Ok(_) | Err(StateError::PlanVersion { .. } | StateError::PlanCorrupt { .. }) => Ok(()),
        Err(StateError::NotAPlan { what, .. }) => Err(StateError::PlanOverwrite {
            path: path.into(),
            what,
        }),
        Err(e) => Err(e),
    }
}
