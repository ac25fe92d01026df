//! Snapshot tests of the plan renderers: one fixture folder per case under
//! tests/fixtures/render/. Each holds `plan.json` (a `Plan` as serde writes it, as a saved
//! plan would hold it) and the expected renderings: `human.txt` (no colour),
//! `plan-json.txt` (`render::json`, pretty-printed) and `markdown.md`; the cases named in
//! `COLOR_CASES` also hold `human-color.txt`, the coloured rendering with each escape
//! character written `\e` so that the file reads in a diff. `STRATA_BLESS=1` rewrites the
//! expectations. The human rendering of `readme-example` is the example in README.md
//! ("Plan output"), and must stay so.

use std::path::{Path, PathBuf};

use libtest_mimic::Failed;
use strata_engine::plan::Plan;
use strata_engine::render;
use strata_testkit::snapshot::{check_file, run_fixtures};

/// The cases whose coloured human rendering is checked too.
const COLOR_CASES: &[&str] = &["mixed"];

/// The case README.md shows.
const README_CASE: &str = "readme-example";

fn run_case(dir: PathBuf) -> Result<(), Failed> {
    let path = dir.join("plan.json");
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let plan: Plan = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a plan: {e}", path.display()))?;

    let json = serde_json::to_string_pretty(&render::json(&plan))
        .map_err(|e| format!("serialising the JSON plan: {e}"))?;
    let mut outputs = vec![
        ("human.txt", render::human(&plan, false)),
        ("plan-json.txt", format!("{json}\n")),
        ("markdown.md", render::markdown(&plan)),
    ];
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if COLOR_CASES.contains(&name) {
        let color = render::human(&plan, true).replace('\x1b', "\\e");
        outputs.push(("human-color.txt", color));
    }

    // Every output is compared, so one run shows every difference.
    let mut failures: Vec<String> = outputs
        .iter()
        .filter_map(|(file, actual)| check_file(&dir.join(file), actual).err())
        .map(|e| e.message().unwrap_or("snapshot differs").to_owned())
        .collect();
    if name == README_CASE {
        let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
        let readme = std::fs::read_to_string(&readme)
            .map_err(|e| format!("reading {}: {e}", readme.display()))?;
        let example = format!("```\n{}```\n", outputs[0].1);
        if !readme.contains(&example) {
            failures.push(format!(
                "README.md (\"Plan output\") no longer shows the human rendering of {README_CASE}; paste it:\n{example}"
            ));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n\n").into())
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render");
    run_fixtures(&root, run_case)
}
