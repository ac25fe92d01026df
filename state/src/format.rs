//! The state file: encoding and strict decoding of the state model (format version
//! [`FORMAT_VERSION`]) defined in `strata_engine::state`.
//!
//! Invariants:
//! - Reading is strict: unknown fields, duplicate keys, an unknown format version, a
//!   lineage that is not a UUID are refused rather than dropped or guessed, because
//!   whatever is dropped on read is lost on the next write.
//! - A file that parses as a state is read in one pass, then its version, environment
//!   and lineage checked; any other file is probed for its version, kind of document
//!   and environment before the full parse, so a file of another version or another
//!   tool is reported as such and not as "corrupt".
//! - Serialisation streams into the writer; nothing builds the whole document in memory.

use std::io::{self, Write};
use std::path::Path;

use serde::Deserialize;
use serde::de::IgnoredAny;
pub use strata_engine::state::{FORMAT_VERSION, State};

use crate::error::{Corrupt, Result, StateError};
use crate::json_error::{self, offset_of};

/// Above this size a corrupt file is reported without a rendered snippet of its text.
const SNIPPET_LIMIT: usize = 4 << 20;

/// Reading and writing a [`State`] as the state file's JSON document.
pub trait StateFile: Sized {
    /// Write the JSON document (pretty, with a final newline) into `w`, streaming.
    /// `w` should be buffered.
    fn encode<W: Write>(&self, w: W) -> io::Result<()>;

    /// Read a state from the bytes of a file at `origin`, which must belong to
    /// `environment`. `origin` is only used in errors.
    fn decode(bytes: &[u8], origin: &Path, environment: &str) -> Result<Self>;
}

impl StateFile for State {
    /// Write the JSON document (pretty, with a final newline) into `w`, streaming.
    /// `w` should be buffered.
    fn encode<W: Write>(&self, mut w: W) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut w, self)?;
        w.write_all(b"\n")
    }

    /// Read a state from the bytes of a file at `origin`, which must belong to
    /// `environment`. `origin` is only used in errors.
    fn decode(bytes: &[u8], origin: &Path, environment: &str) -> Result<State> {
        let corrupt =
            |reason: String, at: Option<(usize, usize)>| corrupt_error(bytes, origin, reason, at);
        let from_json = |e: serde_json::Error| {
            let (reason, at) = json_error::explain(bytes, &e);
            corrupt(reason, at)
        };

        if let Err(e) = std::str::from_utf8(bytes) {
            let offset = e.valid_up_to();
            let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = bytes[..offset]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            return Err(corrupt(
                format!("the file is not UTF-8 text (byte 0x{:02X})", bytes[offset]),
                Some((line, offset - line_start + 1)),
            ));
        }
        if bytes.starts_with(b"\xEF\xBB\xBF") {
            return Err(corrupt(
                "the file starts with a byte order mark (U+FEFF), which JSON does not allow".into(),
                Some((1, 1)),
            ));
        }
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

        // A good state parses at once (one pass over what may be megabytes); anything
        // else is looked at closely below, to say what it is.
        if let Ok(state) = serde_json::from_slice::<State>(bytes) {
            if state.format_version != FORMAT_VERSION {
                return Err(StateError::UnknownVersion {
                    path: origin.into(),
                    found: u64::from(state.format_version),
                    supported: FORMAT_VERSION,
                });
            }
            if state.environment != environment {
                return Err(StateError::WrongEnvironment {
                    path: origin.into(),
                    found: state.environment,
                    expected: environment.to_owned(),
                });
            }
            if uuid::Uuid::parse_str(&state.lineage).is_err() {
                return Err(corrupt(
                    format!("`lineage` must be a UUID, found {:?}", state.lineage),
                    None,
                ));
            }
            return Ok(state);
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
            // Lossy: the same as the bytes up to the first invalid sequence, which is as
            // far as an error position can be (invalid UTF-8 is refused there).
            let text = String::from_utf8_lossy(bytes).into_owned();
            let offset = offset_of(&text, line, column);
            // The whole character there, never a part of one.
            let len = text[offset..].chars().next().map_or(0, char::len_utf8);
            (
                Some(miette::NamedSource::new(origin.display().to_string(), text)),
                Some(miette::SourceSpan::from((offset, len))),
            )
        }
        _ => (None, None),
    };
    StateError::Corrupt(Box::new(Corrupt {
        path: origin.into(),
        journal: false,
        line: at.map(|(l, _)| l),
        column: at.map(|(_, c)| c),
        reason,
        backup: None,
        conflict_markers,
        source,
        span,
    }))
}

/// A damaged journal (at `path`, whose bytes are `bytes`): line `line` (1-based), which
/// starts at byte `start`; `column` (1-based, in that line) when the parser knows it.
pub(crate) fn corrupt_journal(
    bytes: &[u8],
    path: &Path,
    line: usize,
    start: usize,
    column: Option<usize>,
    reason: String,
) -> StateError {
    let (source, span) = if bytes.len() <= SNIPPET_LIMIT {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let offset = (start + column.unwrap_or(1).saturating_sub(1)).min(text.len());
        let len = usize::from(offset < text.len());
        (
            Some(miette::NamedSource::new(path.display().to_string(), text)),
            Some(miette::SourceSpan::from((offset, len))),
        )
    } else {
        (None, None)
    };
    StateError::Corrupt(Box::new(Corrupt {
        path: path.into(),
        journal: true,
        line: Some(line),
        column,
        reason,
        backup: None,
        conflict_markers: false,
        source,
        span,
    }))
}
