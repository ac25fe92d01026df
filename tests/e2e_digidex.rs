//! specs/digidex end to end, through the `strata` binary, against this test's own
//! emulator: seed what the team owns outside the spec, plan, apply (in dependency order,
//! in parallel), re-plan empty, read the outputs, destroy, and find the emulator empty.
//!
//! The spec folder is copied to a temporary directory and its `local` environment is
//! pointed at this test's emulator port; the spec files themselves are used unchanged.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use strata_seed as seed;

const REGION: &str = "eu-west-3";

fn strata(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .arg(dir)
        .args(["--env", "local"])
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .output()
        .expect("strata runs")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn expect_status(output: &Output, status: i32, what: &str) -> String {
    let (stdout, stderr) = text(output);
    assert_eq!(
        output.status.code(),
        Some(status),
        "{what}: unexpected exit status\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    stdout
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".strata" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The line index of the first progress line starting with `prefix`.
fn line_of(lines: &[&str], prefix: &str) -> usize {
    lines
        .iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with `{prefix}` in:\n{}", lines.join("\n")))
}

#[test]
fn digidex_plans_applies_replans_empty_and_destroys_to_an_empty_emulator() {
    let emulator = strata_testkit::emulator();
    emulator.reset().expect("the emulator resets");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(seed::digidex(&emulator.endpoint, REGION))
        .expect("the emulator is seeded");

    let work = tempfile::tempdir().unwrap();
    let dir: PathBuf = work.path().join("digidex");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/digidex"),
        &dir,
    );
    let local = dir.join("env/local.kdl");
    let env_text = std::fs::read_to_string(&local).unwrap();
    assert!(env_text.contains("http://127.0.0.1:5000"), "{env_text}");
    std::fs::write(
        &local,
        env_text.replace("http://127.0.0.1:5000", &emulator.endpoint),
    )
    .unwrap();

    // plan: everything to add
    let plan = expect_status(&strata(&dir, &["plan"]), 0, "strata plan");
    let summary = plan
        .lines()
        .find(|l| l.starts_with("Plan: "))
        .unwrap_or_else(|| panic!("no summary line in:\n{plan}"));
    let to_add: usize = summary["Plan: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        summary.ends_with("to add, 0 to change, 0 to replace, 0 to destroy."),
        "{summary}"
    );

    // apply: in dependency order, several operations at once
    let apply = expect_status(
        &strata(&dir, &["apply", "--auto-approve"]),
        0,
        "strata apply",
    );
    assert!(
        apply.contains("Apply complete in ")
            && apply.contains(&format!(": {to_add} created, 0 updated, 0 deleted.")),
        "{apply}"
    );
    let lines: Vec<&str> = apply.lines().collect();
    let vpc_done = line_of(&lines, "network.vpc: created");
    assert!(vpc_done < line_of(&lines, "network.rds-a: creating..."));
    assert!(line_of(&lines, "data.db-subnets: created") < line_of(&lines, "data.db: creating..."));
    assert!(line_of(&lines, "network.db: created") < line_of(&lines, "data.db: creating..."));
    assert!(
        line_of(&lines, "frontend.site-oac: created")
            < line_of(&lines, "frontend.cdn: creating...")
    );
    // Parallelism: the six subnets all start before the first of them finishes.
    let first_subnet_done = [
        "rds-a", "rds-b", "rds-c", "public-a", "public-b", "public-c",
    ]
    .iter()
    .map(|s| line_of(&lines, &format!("network.{s}: created")))
    .min()
    .unwrap();
    for s in [
        "rds-a", "rds-b", "rds-c", "public-a", "public-b", "public-c",
    ] {
        assert!(
            line_of(&lines, &format!("network.{s}: creating...")) < first_subnet_done,
            "subnets were not created in parallel:\n{apply}"
        );
    }

    // re-plan: nothing to do
    let replan = strata(&dir, &["plan", "--detailed-exitcode"]);
    let replan = expect_status(&replan, 0, "strata plan --detailed-exitcode after apply");
    assert!(replan.contains("No changes."), "{replan}");

    // outputs
    let outputs = expect_status(&strata(&dir, &["output", "--json"]), 0, "strata output");
    let json: serde_json::Value = serde_json::from_str(&outputs).expect("output --json is JSON");
    assert_eq!(
        json["data.images-bucket"]["value"], "digidexapi-images-local",
        "{outputs}"
    );
    assert_eq!(json["data.db-port"]["value"], 5432, "{outputs}");
    assert_eq!(json["data.db-port"]["sensitive"], false, "{outputs}");

    // The database password never reaches a file or an output.
    let state_path = dir.join(".strata/local.state.json");
    let state = std::fs::read_to_string(&state_path).unwrap();
    for (what, haystack) in [
        ("the state", &state),
        ("the plan", &plan),
        ("the apply output", &apply),
        ("the outputs", &outputs),
    ] {
        assert!(
            !haystack.contains(seed::DIGIDEX_PASSWORD),
            "{what} holds the database password"
        );
    }

    // destroy: nothing left
    let destroy = expect_status(
        &strata(&dir, &["destroy", "--auto-approve"]),
        0,
        "strata destroy",
    );
    assert!(
        destroy.contains(&format!(": {to_add} deleted.")),
        "{destroy}"
    );
    let left = runtime
        .block_on(seed::leftovers(&emulator.endpoint, REGION))
        .expect("the emulator lists");
    assert!(
        left.is_empty(),
        "left in the emulator after destroy: {left:#?}"
    );
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
    assert_eq!(
        state["resources"]
            .as_object()
            .map(|r| r.values().filter(|v| v["mode"] != "lookup").count()),
        Some(0),
        "{state:#}"
    );
}
