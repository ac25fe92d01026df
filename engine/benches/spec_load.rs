//! Spec loading and checking at scale: generates projects of 1,000 and 10,000
//! resources with realistic reference density (every resource refers to one or two
//! others, a third across stacks; templates, blocks, tags) and prints, per size, the
//! time to read+parse, check, and build the dependency graph, then the 10k/1k ratio and
//! the process's peak memory. Run with `cargo bench -p strata-engine --bench spec_load`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use strata_engine::graph::DepGraph;
use strata_engine::spec;

const STACKS: usize = 20;

/// Writes a project of about `n` resources into `dir`: STACKS files, one stack each.
fn generate(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir.join("env")).unwrap();
    std::fs::write(
        dir.join("env/dev.kdl"),
        "environment dev {\n    aws region=eu-west-3\n    var prefix \"bench\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("variables.kdl"),
        "variable prefix type=string default=\"demo\"\n",
    )
    .unwrap();
    let per_stack = n / STACKS;
    for s in 0..STACKS {
        let mut text = String::new();
        let depends = if s > 0 {
            format!(" depends-on=s{}", s - 1)
        } else {
            String::new()
        };
        writeln!(text, "stack s{s}{depends} {{").unwrap();
        let mut i = 0;
        while i < per_stack {
            // A group of five: network, two subnets, a group over them, a bucket.
            writeln!(text, "    net.vpc vpc{i} {{\n        cidr-block \"10.{}.0.0/16\"\n        tags Name=\"${{var.prefix}}-{i}\" Env=\"${{env}}\"\n    }}", i % 250).unwrap();
            writeln!(text, "    net.subnet a{i} {{\n        vpc-id (ref)\"vpc{i}.id\"\n        cidr-block \"10.0.1.0/24\"\n    }}").unwrap();
            let cross = if s > 0 {
                format!("(ref)\"s{}.a{i}.id\"", s - 1)
            } else {
                format!("(ref)\"a{i}.id\"")
            };
            writeln!(text, "    net.subnet b{i} {{\n        vpc-id \"${{vpc{i}.id}}\"\n        cidr-block \"10.0.2.0/24\"\n        depends-on a{i}\n    }}").unwrap();
            writeln!(text, "    net.group g{i} {{\n        name \"g-{i}-${{env}}\"\n        subnet-ids (ref)\"a{i}.id\" (ref)\"b{i}.id\" {cross}\n        port 5432\n    }}").unwrap();
            writeln!(text, "    store.bucket bucket{i} {{\n        bucket \"${{var.prefix}}-{s}-{i}\"\n        versioning #true\n        encryption algorithm=AES256\n        lifecycle-rule old expiration-days=30\n        tags Group=\"${{g{i}.arn}}\"\n    }}").unwrap();
            i += 5;
        }
        writeln!(text, "    output first (ref)\"vpc0.id\"\n}}").unwrap();
        std::fs::write(dir.join(format!("s{s:02}.kdl")), text).unwrap();
    }
}

struct Figures {
    resources: usize,
    load: Duration,
    check: Duration,
    graph: Duration,
}

fn measure(dir: &Path) -> Figures {
    let registry = support::registry();
    let t = Instant::now();
    let project = spec::load(dir).expect("generated project loads");
    let load = t.elapsed();
    let t = Instant::now();
    let checked = match spec::check(&project, &registry, Some("dev")) {
        Ok(s) => s,
        Err(f) => panic!("generated project checks:\n{}", f.render_human(false, 100)),
    };
    let check = t.elapsed();
    let t = Instant::now();
    let graph = DepGraph::build(&checked);
    assert!(graph.cycle_diagnostics(&checked).is_empty());
    let graph_time = t.elapsed();
    Figures {
        resources: checked.resources.len(),
        load,
        check,
        graph: graph_time,
    }
}

/// Best of `runs`, to keep noise from a busy machine out of the figures.
fn best(dir: &Path, runs: usize) -> Figures {
    let mut best: Option<Figures> = None;
    for _ in 0..runs {
        let f = measure(dir);
        let total = f.load + f.check + f.graph;
        if best
            .as_ref()
            .is_none_or(|b| total < b.load + b.check + b.graph)
        {
            best = Some(f);
        }
    }
    best.unwrap()
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let root = std::env::temp_dir().join(format!("strata-bench-spec-{}", std::process::id()));
    let mut rows = Vec::new();
    for n in [1_000, 10_000] {
        let dir = root.join(n.to_string());
        generate(&dir, n);
        let bytes: u64 = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum();
        let f = best(&dir, 3);
        rows.push((n, bytes, f));
    }
    let _ = std::fs::remove_dir_all(&root);
    println!(
        "spec load + check (best of 3, {} build)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!(
        "{:>10} {:>9} {:>10} {:>10} {:>10} {:>10}",
        "resources", "KiB", "load ms", "check ms", "graph ms", "total ms"
    );
    for (_, bytes, f) in &rows {
        let total = f.load + f.check + f.graph;
        println!(
            "{:>10} {:>9} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
            f.resources,
            bytes / 1024,
            ms(f.load),
            ms(f.check),
            ms(f.graph),
            ms(total)
        );
    }
    let total = |f: &Figures| (f.load + f.check + f.graph).as_secs_f64();
    let (small, large) = (&rows[0].2, &rows[1].2);
    let ratio = total(large) / total(small);
    let per = (large.resources as f64) / (small.resources as f64);
    println!("growth 10k/1k: {ratio:.2}x for {per:.0}x the resources (linear is {per:.0}x)");
    if let Some(mb) = peak_rss_mb() {
        println!("peak memory (process): {mb:.0} MB");
    }
}
