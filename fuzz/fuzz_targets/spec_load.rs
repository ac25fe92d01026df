//! Fuzz target: a spec folder from arbitrary bytes (see `strata_fuzz::split_files`)
//! through everything `strata validate`, `graph` and `fmt` do with it: loading (UTF-8,
//! limits, KDL parsing, sorting into declarations), checking against the engine's test
//! types for no environment and for every environment the project declares, rendering
//! every diagnostic with its spans (human and JSON), drawing the graph of a valid spec,
//! planning it against an empty state (the test types' cloud is in memory) and rendering
//! the plan in every format, and formatting each file.
//! Invariant: any input is either a spec or diagnostics; a panic or a crash is a bug.

#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use strata_engine::Registry;
use strata_engine::diag::{Diagnostics, Failure};
use strata_engine::graph::DepGraph;
use strata_engine::plan::PlanOptions;
use strata_engine::render;
use strata_engine::spec::{self, Project};
use strata_engine::state::State;
use strata_fuzz::{ROOT, split_files, support};

fuzz_target!(|data: &[u8]| {
    // A width from the input, so that wrapping is exercised too.
    let width = 30 + data.len() % 90;
    let (top, envs) = split_files(data);
    let texts: Vec<String> = top
        .iter()
        .chain(&envs)
        .filter_map(|f| String::from_utf8(f.bytes.clone()).ok())
        .collect();
    let project = match spec::load_files(Path::new(ROOT), top, envs) {
        Ok(project) => project,
        Err(failure) => return report(&failure, width),
    };
    // Every file parses: format each (a formatter refuses text that does not parse).
    for text in &texts {
        let _ = spec::fmt::format(text);
    }
    let registry = support::registry();
    let all = spec::validate(&project, &registry, None);
    report(&failure(&project, all), width);
    // Each check's problems are in what `validate` rendered; a valid spec is drawn.
    let mut envs: Vec<Option<&str>> = vec![None, Some("no-such-environment")];
    envs.extend(project.environment_names().into_iter().map(Some));
    for env in envs {
        if let Ok(spec) = spec::check(&project, &registry, env) {
            let graph = DepGraph::build(&spec);
            let _ = graph.to_dot(&spec);
            let _ = graph.to_mermaid(&spec);
            plan(&spec, &graph, &registry, env.unwrap_or("none"), width);
        }
    }
});

/// Plans a valid spec from nothing, as a first `strata plan` does, and renders the plan.
fn plan(spec: &spec::Spec, graph: &DepGraph, registry: &Registry, env: &str, width: usize) {
    static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime")
    });
    let options = PlanOptions {
        refresh: false,
        targets: Vec::new(),
        excludes: Vec::new(),
        replace: Vec::new(),
        parallelism: 4,
    };
    let state = State::new(env);
    match RUNTIME.block_on(strata_engine::plan::plan(
        spec, graph, registry, &state, &options,
    )) {
        Ok(plan) => {
            let _ = render::human(&plan, false);
            let _ = render::human(&plan, true);
            let _ = serde_json::to_string(&render::json(&plan));
            let _ = render::markdown(&plan);
            let _ = render::summary_line(&plan);
        }
        Err(failure) => report(&failure, width),
    }
}

fn failure(project: &Project, diagnostics: Diagnostics) -> Failure {
    Failure {
        sources: project.sources.clone(),
        diagnostics,
    }
}

/// Renders diagnostics as the CLI does: the human report and the JSON document.
fn report(failure: &Failure, width: usize) {
    let _ = failure.render_human(false, width);
    let _ = failure.to_json().to_string();
}
