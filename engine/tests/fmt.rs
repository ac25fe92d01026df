//! `strata fmt` keeps comments, is idempotent and never changes meaning: checked on
//! every spec file of the fixtures and of specs/.

use std::path::{Path, PathBuf};

use strata_engine::spec::fmt::format;

fn kdl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            kdl_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "kdl") {
            out.push(path);
        }
    }
}

fn comments(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.find("//").map(|i| l[i..].trim_end()))
        .collect()
}

#[test]
fn formatting_is_idempotent_keeps_comments_and_meaning() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    kdl_files(&root.join("tests/fixtures"), &mut files);
    kdl_files(&root.join("../specs"), &mut files);
    let mut checked = 0;
    for path in files {
        // Not every fixture is UTF-8 (the malformed ones): those are not spec text.
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(once) = format(&text) else { continue }; // syntax-error fixtures
        let twice = format(&once).unwrap();
        assert_eq!(once, twice, "fmt is not idempotent on {}", path.display());
        assert_eq!(
            comments(&text),
            comments(&once),
            "fmt lost or changed a comment in {}",
            path.display()
        );
        let mut before = kdl::KdlDocument::parse_v2(&text).unwrap();
        let mut after = kdl::KdlDocument::parse_v2(&once).unwrap();
        before.clear_format_recursive();
        after.clear_format_recursive();
        assert_eq!(
            before.to_string(),
            after.to_string(),
            "fmt changed the meaning of {}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} files were checked");
}

#[test]
fn formatting_normalises_indentation_and_spacing() {
    let messy = "stack   a {\n  // keep me\n      net.vpc   main    {\n cidr-block   \"10.0.0.0/16\"   // trailing\n}\n}\n\n\n";
    let expected = "stack a {\n    // keep me\n    net.vpc main {\n        cidr-block \"10.0.0.0/16\" // trailing\n    }\n}\n";
    assert_eq!(format(messy).unwrap(), expected);
}
