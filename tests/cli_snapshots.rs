//! Snapshot tests of the `strata` binary: one folder per case under tests/fixtures/cli/.
//! A case has `args` (the command line; `{root}` is the workspace root) and
//! `expected.txt` (exit status, stdout, stderr), run with the case folder as the working
//! directory and colours off. `STRATA_BLESS=1` rewrites expectations.

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Arguments, Failed, Trial};

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
    let expected_path = dir.join("expected.txt");
    if std::env::var_os("STRATA_BLESS").is_some() {
        std::fs::write(&expected_path, &actual)
            .map_err(|e| format!("writing {}: {e}", expected_path.display()))?;
        return Ok(());
    }
    let expected = std::fs::read_to_string(&expected_path).map_err(|e| {
        format!(
            "reading {}: {e} (run with STRATA_BLESS=1 to create it)",
            expected_path.display()
        )
    })?;
    if actual != expected {
        return Err(format!(
            "output differs from {}\n--- expected\n{expected}\n--- actual\n{actual}\n(run with STRATA_BLESS=1 to accept)",
            expected_path.display()
        )
        .into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixture folder")
        .map(|e| e.expect("fixture entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no fixtures in {}", root.display());
    let trials = cases
        .into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            Trial::test(name, move || run_case(dir))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
