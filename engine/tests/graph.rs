//! Drawing the dependency graph: DOT and Mermaid of the `valid` fixture, checked against
//! snapshots (`tests/fixtures/graph/`, `STRATA_BLESS=1` rewrites them), and the shape of
//! both documents: every arrow joins declared nodes, one arrow per stack dependency.

mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use strata_engine::graph::DepGraph;
use strata_engine::spec::{self, Spec};

fn valid_spec() -> Spec {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics/valid");
    let project = spec::load(&dir).expect("the valid fixture loads");
    spec::check(&project, &support::registry(), Some("dev"))
        .unwrap_or_else(|f| panic!("{}", f.render_human(false, 100)))
}

fn snapshot(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/graph")
        .join(name)
}

fn check(name: &str, actual: &str) {
    if let Err(failed) = strata_testkit::snapshot::check_file(&snapshot(name), actual) {
        panic!("{}", failed.message().unwrap_or_default());
    }
}

/// The `"a" -> "b"` arrows of a DOT document, without their attributes.
fn dot_arrows(dot: &str) -> Vec<(String, String)> {
    dot.lines()
        .filter_map(|l| {
            let (from, rest) = l.trim().split_once(" -> ")?;
            let to = rest.split([' ', ';']).next()?;
            Some((from.to_owned(), to.to_owned()))
        })
        .collect()
}

#[test]
fn dot_snapshot() {
    let spec = valid_spec();
    check("valid.dot", &DepGraph::build(&spec).to_dot(&spec));
}

#[test]
fn mermaid_snapshot() {
    let spec = valid_spec();
    check("valid.mmd", &DepGraph::build(&spec).to_mermaid(&spec));
}

#[test]
fn dot_arrows_join_declared_nodes_and_stacks_once() {
    let spec = valid_spec();
    let dot = DepGraph::build(&spec).to_dot(&spec);
    assert_eq!(dot.matches('{').count(), dot.matches('}').count());
    let declared: HashSet<String> = dot
        .lines()
        .filter_map(|l| l.trim().split_once(" [label=").map(|(id, _)| id.to_owned()))
        .collect();
    assert_eq!(declared.len(), spec.resources.len());
    let arrows = dot_arrows(&dot);
    for (from, to) in &arrows {
        assert!(declared.contains(from), "{from} is not declared:\n{dot}");
        assert!(declared.contains(to), "{to} is not declared:\n{dot}");
    }
    // storage depends-on=network: one arrow between the clusters, not |a| × |b|.
    let between_stacks: Vec<&str> = dot.lines().filter(|l| l.contains("lhead=")).collect();
    assert_eq!(
        between_stacks,
        [
            r#"    "network.default" -> "storage.site" [ltail="cluster_network", lhead="cluster_storage", style=bold];"#
        ]
    );
    // References and depends-on, in creation order.
    for arrow in [
        (r#""network.main""#, r#""network.a""#),
        (r#""network.a""#, r#""network.b""#),
        (r#""network.b""#, r#""network.db""#),
        (r#""storage.site""#, r#""storage.site-policy""#),
    ] {
        let arrow = (arrow.0.to_owned(), arrow.1.to_owned());
        assert!(arrows.contains(&arrow), "{arrow:?} missing:\n{dot}");
    }
    assert!(dot.contains(r#""network.a" -> "network.b" [style=dashed];"#));
}

#[test]
fn mermaid_arrows_join_declared_ids() {
    let spec = valid_spec();
    let mermaid = DepGraph::build(&spec).to_mermaid(&spec);
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert_eq!(
        mermaid.matches("subgraph ").count(),
        mermaid.lines().filter(|l| l.trim() == "end").count()
    );
    let declared: HashSet<&str> = mermaid
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("subgraph ").unwrap_or(l);
            l.split_once(['[', '(']).map(|(id, _)| id.trim())
        })
        .collect();
    let mut arrows = 0;
    for line in mermaid.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let [from, "-->" | "-.->" | "==>", to] = parts.as_slice() {
            assert!(declared.contains(from), "{from} undeclared:\n{mermaid}");
            assert!(declared.contains(to), "{to} undeclared:\n{mermaid}");
            arrows += 1;
        }
    }
    assert_eq!(
        mermaid.lines().filter(|l| l.contains("==>")).count(),
        1,
        "{mermaid}"
    );
    assert_eq!(
        arrows,
        dot_arrows(&DepGraph::build(&spec).to_dot(&spec)).len()
    );
}
