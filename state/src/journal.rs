//! The state journal: what each save changed, one line per save, appended next to the
//! state file between two snapshots (see `local` for when it is written and folded).
//!
//! A line is one compact JSON object ending with `\n`:
//!
//! ```text
//! {"format_version":1,"lineage":"…","serial":8,"strata_version":"0.1.0",
//!  "resources":{"net.vpc":{…record…}},"removed":["net.old"],
//!  "pending":{"net.subnet":{…pending create…}},"pending_removed":["net.vpc"],
//!  "outputs":{…}}
//! ```
//!
//! (one line in the file). `resources` and `pending` hold whole entries by address (added
//! or replaced), `removed` and `pending_removed` the addresses that left; `outputs`, when
//! present, is the whole outputs map. Empty parts are left out. `serial` is the serial
//! of the version the line produces.
//!
//! Invariants:
//! - Replay applies, in order, the lines whose serial follows the snapshot's; lines at
//!   or below it are already in the snapshot (a compaction stopped before it removed the
//!   journal) and are skipped. Serials go up by exactly one from line to line, and the
//!   first line is at most the snapshot's serial + 1.
//! - Only the last line may be damaged: an append the process died in (no final
//!   newline, or not valid JSON) was never acknowledged, so it is ignored. Anything
//!   else — a damaged line before the last, a serial gap, another lineage, another
//!   format version — refuses the whole state, naming the line.
//! - Reading is as strict as the state file's: unknown fields and duplicate keys are
//!   refused. Sensitive values appear only as salted digests, as in the state file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize};
use strata_engine::state::{
    Changed, PendingCreate, ResourceState, State, StoredValue, unique_keys,
};

use crate::error::{Result, StateError};
use crate::format::{FORMAT_VERSION, corrupt_journal};

/// One line as written: borrowed from the state being saved.
#[derive(Serialize)]
struct LineOut<'a> {
    format_version: u32,
    lineage: &'a str,
    serial: u64,
    strata_version: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    resources: BTreeMap<&'a str, &'a ResourceState>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    removed: Vec<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pending: BTreeMap<&'a str, &'a PendingCreate>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pending_removed: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outputs: Option<&'a BTreeMap<String, StoredValue>>,
}

/// One line as read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    format_version: u64,
    lineage: String,
    serial: u64,
    strata_version: String,
    #[serde(default, deserialize_with = "unique_keys")]
    resources: BTreeMap<String, ResourceState>,
    #[serde(default)]
    removed: Vec<String>,
    #[serde(default, deserialize_with = "unique_keys")]
    pending: BTreeMap<String, PendingCreate>,
    #[serde(default)]
    pending_removed: Vec<String>,
    #[serde(default, deserialize_with = "some_unique_keys")]
    outputs: Option<BTreeMap<String, StoredValue>>,
}

/// The format version of a line, read on its own so that a line of another version is
/// reported as such rather than as damaged.
#[derive(Deserialize)]
struct Header {
    format_version: Option<serde_json::Value>,
}

fn some_unique_keys<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<BTreeMap<String, StoredValue>>, D::Error> {
    unique_keys(d).map(Some)
}

/// The line recording that `state` (already edited) became version `serial` by the
/// edits `changed` names, with its final newline. Each named address is taken from
/// `state`: present, it is written whole; absent, it is written as removed.
pub(crate) fn encode(state: &State, serial: u64, changed: &Changed) -> Vec<u8> {
    let mut line = LineOut {
        format_version: FORMAT_VERSION,
        lineage: &state.lineage,
        serial,
        strata_version: crate::STRATA_VERSION,
        resources: BTreeMap::new(),
        removed: Vec::new(),
        pending: BTreeMap::new(),
        pending_removed: Vec::new(),
        outputs: changed.outputs.then_some(&state.outputs),
    };
    for address in &changed.resources {
        match state.resources.get(address) {
            Some(record) => {
                line.resources.insert(address, record);
            }
            None => line.removed.push(address),
        }
    }
    for address in &changed.pending {
        match state.pending.get(address) {
            Some(pending) => {
                line.pending.insert(address, pending);
            }
            None => line.pending_removed.push(address),
        }
    }
    let mut bytes = serde_json::to_vec(&line).expect("a state always serialises");
    bytes.push(b'\n');
    bytes
}

/// What replaying a journal found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Replayed {
    /// Bytes of the whole lines; what follows is a torn last line, never acknowledged.
    pub valid_len: u64,
    /// The serial of the last whole line, if there is one.
    pub last_serial: Option<u64>,
}

/// Applies to `state` (just read from the state file) the lines of `bytes` (the
/// journal at `path`) that follow it. Refuses, with the line, a journal that is
/// damaged anywhere but in its last line, or that does not continue this state.
pub(crate) fn replay(state: &mut State, bytes: &[u8], path: &Path) -> Result<Replayed> {
    let base = state.serial;
    let mut replayed = Replayed {
        valid_len: 0,
        last_serial: None,
    };
    let mut start = 0;
    let mut number = 0;
    while start < bytes.len() {
        number += 1;
        let Some(len) = bytes[start..].iter().position(|&b| b == b'\n') else {
            // No final newline: the append the process died in.
            break;
        };
        let end = start + len;
        let text = &bytes[start..end];
        let last = end + 1 == bytes.len();
        let corrupt = |reason: String, column: Option<usize>| {
            corrupt_journal(bytes, path, number, start, column, reason)
        };
        let line: Line = match serde_json::from_slice(text) {
            Ok(line) => line,
            Err(e) => {
                if let Ok(Header {
                    format_version: Some(version),
                }) = serde_json::from_slice(text)
                    && version.as_u64() != Some(u64::from(FORMAT_VERSION))
                {
                    return Err(match version.as_u64() {
                        Some(found) => StateError::UnknownVersion {
                            path: path.into(),
                            found,
                            supported: FORMAT_VERSION,
                        },
                        None => corrupt(
                            format!("`format_version` must be a whole number, found {version}"),
                            None,
                        ),
                    });
                }
                let json = serde_json::from_slice::<IgnoredAny>(text).is_ok();
                if last && !json {
                    // A torn last line (cut short, or zeros where the data never reached
                    // the disk): its save was never acknowledged. A last line that is
                    // whole JSON of the wrong shape is no crash: it is refused below.
                    break;
                }
                let location = format!(" at line {} column {}", e.line(), e.column());
                let message = e.to_string();
                let reason = message.strip_suffix(&location).unwrap_or(&message);
                let object = text.trim_ascii_start().starts_with(b"{");
                let reason = if json && !object {
                    "the line is not a JSON object".to_owned()
                } else if json {
                    reason.to_owned()
                } else {
                    format!(
                        "{reason}; only the last line may be cut short by a crash, and other lines follow this one"
                    )
                };
                return Err(corrupt(reason, Some(e.column().max(1))));
            }
        };
        if line.format_version != u64::from(FORMAT_VERSION) {
            return Err(StateError::UnknownVersion {
                path: path.into(),
                found: line.format_version,
                supported: FORMAT_VERSION,
            });
        }
        if line.lineage != state.lineage {
            return Err(corrupt(
                format!(
                    "the line belongs to lineage {}, but the state file has lineage {}: it is another state's journal",
                    line.lineage, state.lineage
                ),
                None,
            ));
        }
        let expected = replayed.last_serial.map(|s| s + 1);
        match expected {
            Some(serial) if line.serial != serial => {
                return Err(corrupt(
                    format!(
                        "serial {} follows serial {}: the saves between are missing or out of order",
                        line.serial,
                        serial - 1
                    ),
                    None,
                ));
            }
            None if line.serial > base + 1 => {
                return Err(corrupt(
                    format!(
                        "the first line has serial {}, but the state file is at serial {base}: the saves in between are missing",
                        line.serial
                    ),
                    None,
                ));
            }
            _ => {}
        }
        let serial = line.serial;
        if serial > base {
            apply(state, line);
        }
        replayed.last_serial = Some(serial);
        replayed.valid_len = (end + 1) as u64;
        start = end + 1;
    }
    Ok(replayed)
}

fn apply(state: &mut State, line: Line) {
    for (address, record) in line.resources {
        state.resources.insert(address, record);
    }
    for address in &line.removed {
        state.resources.remove(address);
    }
    for (address, pending) in line.pending {
        state.pending.insert(address, pending);
    }
    for address in &line.pending_removed {
        state.pending.remove(address);
    }
    if let Some(outputs) = line.outputs {
        state.outputs = outputs;
    }
    state.serial = line.serial;
    state.strata_version = line.strata_version;
}
