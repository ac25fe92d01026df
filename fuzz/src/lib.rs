//! What the fuzz targets share: how one fuzz input becomes a spec folder, the resource
//! types specs are checked against, and rendering diagnostics the way the CLI does.
//!
//! A spec input is the text of several files, each introduced by a header line
//! `=== <path>` (`=== network.kdl`, `=== env/dev.kdl`); an input without a header is one
//! file, `main.kdl`. Paths under `env/` are environment files. The seeds in
//! `fuzz/corpus/spec_load/` are real spec folders in this form (`scripts/fuzz.sh seeds`).
//! The resource types are the engine's test types (`engine/tests/support`): the same
//! schemas its checking tests use, no AWS SDK.
//! Invariant: nothing here reads or writes a file; a target's input is its only input.

use std::path::{Path, PathBuf};

use strata_engine::spec::SpecFile;

#[allow(clippy::all)]
#[path = "../../engine/tests/support/mod.rs"]
pub mod support;

/// The folder every fuzzed project claims to live in (only shown in diagnostics).
pub const ROOT: &str = "/fuzz/spec";

/// The header that starts each file of a multi-file input.
const HEADER: &[u8] = b"=== ";

/// Splits a fuzz input into stack files and environment files.
pub fn split_files(data: &[u8]) -> (Vec<SpecFile>, Vec<SpecFile>) {
    let mut top = Vec::new();
    let mut envs = Vec::new();
    if !data.starts_with(HEADER) {
        top.push(SpecFile {
            path: Path::new(ROOT).join("main.kdl"),
            bytes: data.to_vec(),
        });
        return (top, envs);
    }
    // Each part is `=== <path>\n<bytes>`, parts separated by "\n=== ".
    let mut rest = &data[HEADER.len()..];
    loop {
        let end = find(rest, b"\n=== ").unwrap_or(rest.len());
        let part = &rest[..end];
        let (name, bytes) = match part.iter().position(|&b| b == b'\n') {
            Some(nl) => (&part[..nl], &part[nl + 1..]),
            None => (part, &[][..]),
        };
        let name = String::from_utf8_lossy(name).trim().to_owned();
        let (list, name) = match name.strip_prefix("env/") {
            Some(env) => (&mut envs, format!("env/{env}")),
            None => (&mut top, name),
        };
        list.push(SpecFile {
            path: PathBuf::from(ROOT).join(name),
            bytes: bytes.to_vec(),
        });
        if end == rest.len() {
            break;
        }
        rest = &rest[end + 5..];
    }
    (top, envs)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Renders any miette diagnostic as the CLI does, without colour, at `width` columns.
pub fn render(report: &dyn miette::Diagnostic, width: usize) -> String {
    strata_engine::diag::render_report(report, false, width)
}
