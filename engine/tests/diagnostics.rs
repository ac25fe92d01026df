//! Snapshot tests of rendered diagnostics: one fixture folder per case under
//! tests/fixtures/diagnostics/. Each holds a spec folder, an optional `env` file naming
//! the environment to check, and `expected.txt`: the human rendering (no colour, 100
//! columns) followed by the JSON diagnostics. `STRATA_BLESS=1` rewrites expectations.

mod support;

use std::path::{Path, PathBuf};

use libtest_mimic::Failed;
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
    strata_testkit::snapshot::check(&dir, &render(&dir))
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics");
    strata_testkit::snapshot::run_fixtures(&root, run_case)
}
