//! What a checked spec holds: resolved references, defaults, variables, templates,
//! sensitivity, lifecycle and dependency edges, read from the `valid` fixture.

mod support;

use std::path::Path;

use strata_engine::Value;
use strata_engine::graph::DepGraph;
use strata_engine::spec::{self, Expr, Part, Spec, StateBackend};

fn checked(env: Option<&str>) -> Spec {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics/valid");
    let project = spec::load(&dir).expect("the valid fixture loads");
    match spec::check(&project, &support::registry(), env) {
        Ok(spec) => spec,
        Err(f) => panic!(
            "the valid fixture must check:\n{}",
            f.render_human(false, 100)
        ),
    }
}

fn attr<'a>(spec: &'a Spec, address: &str, name: &str) -> &'a Expr {
    let r = spec
        .find_str(address)
        .unwrap_or_else(|| panic!("{address} exists"));
    r.attributes
        .get(name)
        .unwrap_or_else(|| panic!("{address} has {name}"))
}

fn string(s: &str) -> Expr {
    Expr::Value(Value::String(s.to_owned()))
}

#[test]
fn templates_resolve_environment_and_variables() {
    let spec = checked(Some("dev"));
    assert_eq!(
        attr(&spec, "storage.site", "bucket"),
        &string("demo-site-dev")
    );
    let tags = attr(&spec, "network.main", "tags");
    let Expr::Value(Value::Map(tags)) = tags else {
        panic!("tags are known: {tags:?}")
    };
    assert_eq!(tags["Name"], Value::String("demo-dev".into()));
    assert_eq!(tags["Region"], Value::String("eu-west-3".into()));
}

#[test]
fn references_resolve_to_resource_ids() {
    let spec = checked(Some("dev"));
    let main = spec.find_str("network.main").unwrap().id;
    match attr(&spec, "network.a", "vpc-id") {
        Expr::Ref(r) => {
            assert_eq!(r.target, main);
            assert_eq!(r.attribute, "id");
        }
        other => panic!("expected a reference, got {other:?}"),
    }
    // "${main.id}" alone is a template with one reference part.
    match attr(&spec, "network.b", "vpc-id") {
        Expr::Template(parts) => {
            assert!(matches!(parts.as_slice(), [Part::Ref(r)] if r.target == main))
        }
        other => panic!("expected a template, got {other:?}"),
    }
    match attr(&spec, "network.db", "subnet-ids") {
        Expr::List(items) => assert_eq!(items.len(), 2),
        other => panic!("expected a list of references, got {other:?}"),
    }
}

#[test]
fn defaults_blocks_and_repeated_blocks() {
    let spec = checked(Some("dev"));
    assert_eq!(
        attr(&spec, "network.main", "enable-dns"),
        &Expr::Value(Value::Bool(true))
    );
    let Expr::Value(Value::List(rules)) = attr(&spec, "storage.site", "lifecycle-rule") else {
        panic!("lifecycle rules are known")
    };
    assert_eq!(rules.len(), 2);
    let Value::Map(first) = &rules[0] else {
        panic!("a rule is a map")
    };
    assert_eq!(first["id"], Value::String("old-versions".into()));
    assert_eq!(
        first["enabled"],
        Value::Bool(true),
        "default filled inside a block"
    );
    assert_eq!(first["expiration-days"], Value::Int(30));
    let Value::Map(second) = &rules[1] else {
        panic!("a rule is a map")
    };
    assert_eq!(second["enabled"], Value::Bool(false));
}

#[test]
fn sensitive_variables_stay_marked() {
    let spec = checked(Some("dev"));
    let password = attr(&spec, "storage.site", "password");
    assert!(password.is_sensitive(), "{password:?}");
    assert!(spec.variables["db-password"].sensitive);
}

#[test]
fn environments_set_variables_lifecycle_and_backend() {
    let dev = checked(Some("dev"));
    let prod = checked(Some("prod"));
    assert!(
        !dev.find_str("storage.site")
            .unwrap()
            .lifecycle
            .prevent_destroy
    );
    let site = prod.find_str("storage.site").unwrap();
    assert!(
        site.lifecycle.prevent_destroy,
        "var retain is #true in prod"
    );
    assert_eq!(site.lifecycle.ignore_changes, vec!["tags".to_owned()]);
    assert_eq!(
        dev.environment.as_ref().unwrap().state,
        StateBackend::Local {
            path: ".strata/dev.state.json".into()
        }
    );
    assert_eq!(
        prod.environment.as_ref().unwrap().state,
        StateBackend::S3 {
            bucket: "demo-states".into(),
            key: "prod/state.json".into(),
            region: None
        }
    );
    assert_eq!(
        prod.environment.as_ref().unwrap().profile.as_deref(),
        Some("demo-prod")
    );
}

#[test]
fn without_environment_unset_variables_stay_unknown() {
    let spec = checked(None);
    assert!(
        matches!(attr(&spec, "storage.site", "password"), Expr::Sensitive(inner) if matches!(**inner, Expr::Unset(_)))
    );
    assert!(
        matches!(attr(&spec, "storage.site", "bucket"), Expr::Unset(_)),
        "${{env}} is unknown"
    );
}

#[test]
fn graph_has_reference_depends_on_and_stack_edges() {
    let spec = checked(Some("dev"));
    let graph = DepGraph::build(&spec);
    let id = |a: &str| spec.find_str(a).unwrap().id;
    let deps: Vec<_> = graph.direct_dependencies(id("network.b")).collect();
    assert!(deps.contains(&id("network.main")), "reference edge");
    assert!(deps.contains(&id("network.a")), "depends-on edge");
    // storage depends on network: a path from a storage resource to every network one.
    let site = graph.resource_nodes[id("storage.site").index()];
    for r in ["network.main", "network.a", "network.b", "network.db"] {
        let target = graph.resource_nodes[id(r).index()];
        assert!(
            petgraph::algo::has_path_connecting(&graph.graph, site, target, None),
            "storage.site waits for {r}"
        );
    }
    let a = graph.resource_nodes[id("network.a").index()];
    assert!(!petgraph::algo::has_path_connecting(
        &graph.graph,
        a,
        site,
        None
    ));
}
