//! Data-driven snapshot tests: one trial per fixture folder, compared with the folder's
//! `expected.txt`; `STRATA_BLESS=1` rewrites the expectations instead.
//! Invariant: a missing expectation fails (it is never created silently without BLESS).

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};

/// Compares `actual` with `<dir>/expected.txt`, or writes it when blessing.
pub fn check(dir: &Path, actual: &str) -> Result<(), Failed> {
    check_file(&dir.join("expected.txt"), actual)
}

/// Compares `actual` with the file `expected_path`, or writes it when blessing.
pub fn check_file(expected_path: &Path, actual: &str) -> Result<(), Failed> {
    if std::env::var_os("STRATA_BLESS").is_some() {
        std::fs::write(expected_path, actual)
            .map_err(|e| format!("writing {}: {e}", expected_path.display()))?;
        return Ok(());
    }
    let expected = std::fs::read_to_string(expected_path).map_err(|e| {
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

/// Runs `case` on every folder under `root` as its own trial, then exits.
pub fn run_fixtures(root: &Path, case: fn(PathBuf) -> Result<(), Failed>) -> ! {
    let args = Arguments::from_args();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("reading fixtures {}: {e}", root.display()))
        .map(|e| e.expect("fixture entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no fixtures in {}", root.display());
    let trials = cases
        .into_iter()
        .map(|dir| {
            let name = dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            Trial::test(name, move || case(dir))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit()
}
