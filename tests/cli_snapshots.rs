//! Snapshot tests of the `strata` binary: one folder per case under tests/fixtures/cli/.
//! A case has `args` (the command line; `{root}` is the workspace root) and
//! `expected.txt` (exit status, stdout, stderr), run with the case folder as the working
//! directory and colours off. `STRATA_BLESS=1` rewrites expectations.

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::Failed;

fn run_case(dir: PathBuf) -> Result<(), Failed> {
    let root = env!("CARGO_MANIFEST_DIR");
    let args =
        std::fs::read_to_string(dir.join("args")).map_err(|e| format!("reading args: {e}"))?;
    let args: Vec<String> = args
        .split_whitespace()
        .map(|a| a.replace("{root}", root))
        .collect();
    let output = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(&args)
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .map_err(|e| format!("running strata: {e}"))?;
    let actual = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or("signal".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
    .replace(root, "{root}");
    strata_testkit::snapshot::check(&dir, &actual)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli");
    strata_testkit::snapshot::run_fixtures(&root, run_case)
}
