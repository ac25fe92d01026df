//! Errors as a user sees them through miette's graphical handler.

mod common;

use std::fs;

use miette::{GraphicalReportHandler, GraphicalTheme};
use strata_state::{LocalStore, StateError};

fn render(err: &StateError) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(200)
        .render_report(&mut out, err)
        .unwrap();
    out
}

#[test]
fn a_corrupt_state_shows_the_offending_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path().join("dev.state.json"), "dev");
    fs::copy("tests/fixtures/trailing-comma.json", store.path()).unwrap();
    let out = render(&store.load().unwrap_err());
    assert!(out.starts_with("state::corrupt\n"), "{out}");
    assert!(out.contains("dev.state.json:59:3]"), "{out}");
    assert!(
        out.contains(" 58 │     \"network.vpc-id\": \"vpc-0a1b2c3d\",\n"),
        "{out}"
    );
    assert!(out.contains(" 59 │   }\n"), "{out}");
    assert!(out.contains("╰── trailing comma before `}`"), "{out}");
    assert!(
        out.contains("help: strata has not changed the file"),
        "{out}"
    );
}

#[test]
fn a_locked_state_names_the_holder_and_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path().join("dev.state.json"), "dev");
    let guard = store.lock("apply").unwrap();
    let out = render(&store.lock("plan").unwrap_err());
    assert!(out.starts_with("state::locked\n"), "{out}");
    assert!(out.contains(&format!("lock id {}", guard.id())), "{out}");
    assert!(
        out.contains(&format!("help: wait for that run to finish; if it is stuck, stop it, and only then run `strata force-unlock DIR --env dev {}`", guard.id())),
        "{out}"
    );
}
