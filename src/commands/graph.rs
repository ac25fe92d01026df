//! `strata graph`: the dependency graph of a spec for one environment, as Graphviz DOT
//! or a Mermaid flowchart, on stdout. Touches neither state nor cloud.

use std::path::Path;
use std::process::ExitCode;

use strata_engine::graph::DepGraph;

use super::workspace;
use crate::GraphFormat;

pub fn run(dir: &Path, env: &str, format: GraphFormat) -> ExitCode {
    workspace::exit(graph(dir, env, format))
}

fn graph(dir: &Path, env: &str, format: GraphFormat) -> Result<(), ExitCode> {
    let (spec, _registry) = workspace::load_spec(dir, env)?;
    let graph = DepGraph::build(&spec);
    print!(
        "{}",
        match format {
            GraphFormat::Dot => graph.to_dot(&spec),
            GraphFormat::Mermaid => graph.to_mermaid(&spec),
        }
    );
    Ok(())
}
