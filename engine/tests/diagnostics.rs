//! Snapshot tests of rendered diagnostics: one fixture folder per case under
//! tests/fixtures/diagnostics/. Each holds a spec folder, an optional `env` file naming
//! the environment to check, and `expected.txt`: the human rendering (no colour, 100
//! columns) followed by the JSON diagnostics. `STRATA_BLESS=1` rewrites expectations.

mod support;

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use strata_engine::diag::Failure;
use strata_engine::spec;

fn render(dir: &Path) -> String {
    let env = std::fs::read_to_string(dir.join("env-name")).ok();
    let env = env.as_deref().map(str::trim);
    let registry = support::registry();
    let failure = match spec::load(dir) {
        Err(f) => f,
        Ok(project) => {
            let diagnostics = spec::validate(&project, &registry, env);
            Failure {
                sources: project.sources.clone(),
                diagnostics,
            }
        }
    };
    if failure.diagnostics.is_empty() {
        return "valid\n".to_owned();
    }
    let root = format!("{}/", dir.display());
    let human = failure.render_human(false, 100).replace(&root, "");
    let json = serde_json::to_string_pretty(&failure.to_json())
        .unwrap()
        .replace(&root, "");
    format!("{human}\n--- json ---\n{json}\n")
}

fn run_case(dir: PathBuf) -> Result<(), Failed> {
    let actual = render(&dir);
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
            "diagnostics differ from {}\n--- expected\n{expected}\n--- actual\n{actual}\n(run with STRATA_BLESS=1 to accept)",
            expected_path.display()
        )
        .into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics");
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
