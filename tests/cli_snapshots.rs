//! Snapshot tests of the `strata` binary: one folder per case under tests/fixtures/cli/.
//! A case has `args` (the command line; `{root}` is the workspace root) and
//! `expected.txt` (exit status, stdout, stderr), run with the case folder as the working
//! directory and colours off; an optional `env` file sets KEY=VALUE variables for the
//! command. `STRATA_BLESS=1` rewrites expectations.
//!
//! Commands that write (state rm/mv, force-unlock) run on a copy: when the case has a
//! `workdir/` folder, it is copied to a fresh temporary directory, which becomes the
//! working directory (`{work}` in args names it, and stands for it in the output), and
//! `expected.txt` ends with a `--- files` section listing every file left in that
//! directory; for a state file (JSON with `resources`) also its serial and each resource
//! key with the addresses it depends on. The case folder itself is never written to.
//! Elapsed times in the output (`after 0.3s`) are written `N.Ns`.
//!
//! `{throttling-endpoint}` in a workdir file is the endpoint of a fault proxy that
//! answers every request with its service's throttling error and forwards nothing: a
//! cloud that is there and refuses every call, without an emulator.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use libtest_mimic::Failed;
use strata_testkit::faults::{Fault, FaultProxy, Faults};

/// Set once a case used `{throttling-endpoint}`, so that outputs can be normalised.
static PROXY_USED: OnceLock<&'static str> = OnceLock::new();

/// The endpoint `{throttling-endpoint}` stands for (started on first use).
fn throttling_endpoint() -> &'static str {
    static PROXY: OnceLock<(FaultProxy, String)> = OnceLock::new();
    &PROXY
        .get_or_init(|| {
            // Nothing is forwarded: the upstream is never reached.
            let proxy = FaultProxy::start("127.0.0.1:9", Faults::only(Fault::Throttle, 1.0, 0))
                .expect("the throttling proxy starts");
            let endpoint = proxy.endpoint();
            (proxy, endpoint)
        })
        .1
}

fn run_case(dir: PathBuf) -> Result<(), Failed> {
    let root = env!("CARGO_MANIFEST_DIR");
    let work = if dir.join("workdir").is_dir() {
        let work = tempfile::tempdir().map_err(|e| format!("creating a work directory: {e}"))?;
        copy_dir(&dir.join("workdir"), work.path())?;
        Some(work)
    } else {
        None
    };
    let (cwd, work_path) = match &work {
        Some(work) => (work.path().to_owned(), work.path().display().to_string()),
        None => (dir.clone(), String::new()),
    };
    let args =
        std::fs::read_to_string(dir.join("args")).map_err(|e| format!("reading args: {e}"))?;
    let args: Vec<String> = args
        .split_whitespace()
        .map(|a| a.replace("{root}", root).replace("{work}", &work_path))
        .collect();
    // An optional `env` file: KEY=VALUE lines set for this command only.
    let vars: Vec<(String, String)> = match std::fs::read_to_string(dir.join("env")) {
        Ok(text) => text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect(),
        Err(_) => Vec::new(),
    };
    let output = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(&args)
        .current_dir(&cwd)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .envs(vars)
        .output()
        .map_err(|e| format!("running strata: {e}"))?;
    let mut actual = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or("signal".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if let Some(proxy) = PROXY_USED.get() {
        actual = actual.replace(proxy, "{throttling-endpoint}");
    }
    if work.is_some() {
        actual = actual.replace(&work_path, "{work}");
        actual.push_str("--- files\n");
        actual.push_str(&describe_files(&cwd)?);
    }
    let actual = without_durations(&actual.replace(root, "{root}"));
    strata_testkit::snapshot::check(&dir, &actual)
}

/// Elapsed times (`0.3s`) vary from run to run: each becomes `N.Ns`.
fn without_durations(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        let preceded =
            start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'.');
        if j > start
            && !preceded
            && bytes.get(j) == Some(&b'.')
            && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
            && bytes.get(j + 2) == Some(&b's')
            && !bytes.get(j + 3).is_some_and(u8::is_ascii_alphanumeric)
        {
            out.push_str("N.Ns");
            i = j + 3;
            continue;
        }
        let ch = text[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), Failed> {
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("reading {}: {e}", from.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("reading {}: {e}", from.display()))?
            .path();
        let target = to.join(path.file_name().expect("a directory entry has a name"));
        if path.is_dir() {
            std::fs::create_dir(&target)
                .map_err(|e| format!("creating {}: {e}", target.display()))?;
            copy_dir(&path, &target)?;
        } else {
            let bytes =
                std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            let bytes = match String::from_utf8(bytes) {
                Ok(text) if text.contains("{throttling-endpoint}") => {
                    let endpoint = throttling_endpoint();
                    let _ = PROXY_USED.set(endpoint);
                    text.replace("{throttling-endpoint}", endpoint).into_bytes()
                }
                Ok(text) => text.into_bytes(),
                Err(e) => e.into_bytes(),
            };
            std::fs::write(&target, bytes)
                .map_err(|e| format!("copying {} to the work directory: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Every file under `dir` (relative, sorted), with a summary of each state file.
fn describe_files(dir: &Path) -> Result<String, Failed> {
    let mut files = Vec::new();
    list_files(dir, dir, &mut files)?;
    files.sort();
    let mut out = String::new();
    for file in files {
        out.push_str(&format!("{file}\n"));
        let Ok(text) = std::fs::read_to_string(dir.join(&file)) else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let Some(resources) = json["resources"].as_object() else {
            continue;
        };
        out.push_str(&format!("  serial {}\n", json["serial"]));
        for (address, record) in resources {
            let dependencies: Vec<&str> = record["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str())
                .collect();
            match dependencies.as_slice() {
                [] => out.push_str(&format!("  {address}\n")),
                deps => out.push_str(&format!("  {address} (depends on {})\n", deps.join(", "))),
            }
        }
    }
    Ok(out)
}

fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), Failed> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("reading {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            list_files(root, &path, out)?;
        } else {
            let relative = path.strip_prefix(root).expect("under the root");
            out.push(relative.display().to_string());
        }
    }
    Ok(())
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli");
    strata_testkit::snapshot::run_fixtures(&root, run_case)
}
