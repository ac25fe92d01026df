//! The plan file: round trip, privacy, atomic replacement, and every refusal.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{files_in, mode, sample_state, text};
use strata_engine::Value;
use strata_engine::plan::{
    Action, AttrDiff, Change, OutputChange, PLAN_FORMAT_VERSION, Plan, PlanKind, ReplaceReason,
    Shown, Snapshot,
};
use strata_state::{LocalStore, Mode, PlanFile, SensitiveDigest, StateError, planfile};

fn sample_plan() -> Plan {
    let state = sample_state("dev");
    Plan {
        kind: PlanKind::Apply,
        environment: "dev".into(),
        base: Some(Snapshot {
            lineage: state.lineage.clone(),
            serial: 7,
        }),
        refreshed: true,
        changes: vec![Change {
            address: "network.vpc".into(),
            stack: "network".into(),
            type_name: "ec2.vpc".into(),
            mode: Mode::Managed,
            action: Action::Replace,
            replace_reason: Some(ReplaceReason::ForceNew {
                attributes: vec!["cidr-block".into()],
            }),
            create_before_destroy: false,
            id: Some("vpc-0a1b2c3d".into()),
            deposed: None,
            attributes: vec![
                AttrDiff {
                    name: "cidr-block".into(),
                    before: Shown::Known(Value::from("10.0.0.0/16")),
                    after: Shown::Known(Value::from("10.1.0.0/16")),
                    forces_replacement: true,
                },
                AttrDiff {
                    name: "password".into(),
                    before: Shown::Sensitive,
                    after: Shown::Sensitive,
                    forces_replacement: false,
                },
                AttrDiff {
                    name: "arn".into(),
                    before: Shown::Absent,
                    after: Shown::Unknown,
                    forces_replacement: false,
                },
            ],
            refresh_error: None,
            depends_on: vec![],
            fingerprint: Some(SensitiveDigest::of(&Value::from("desired"))),
            canonical: None,
        }],
        drift: vec![],
        outputs: vec![OutputChange {
            name: "network.vpc-id".into(),
            action: Action::Update,
            before: Shown::Known(Value::from("vpc-0a1b2c3d")),
            after: Shown::Unknown,
        }],
        refreshed_records: BTreeMap::from([(
            "database.main".to_owned(),
            state.resources.get("database.main").cloned(),
        )]),
        recovered: Vec::new(),
        request: Default::default(),
        lookup_values: Default::default(),
        refresh_pace: None,
    }
}

fn sample_file(dir: &Path) -> PlanFile {
    PlanFile::new(&dir.join("spec"), sample_plan()).unwrap()
}

/// A plan file as JSON, to be edited by a test.
fn sample_json(dir: &Path) -> serde_json::Value {
    let path = dir.join("sample.plan.json");
    planfile::write(&path, &sample_file(dir)).unwrap();
    let json = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    fs::remove_file(&path).unwrap();
    json
}

fn read_err(dir: &Path, bytes: &[u8]) -> StateError {
    let path = dir.join("plan.json");
    fs::write(&path, bytes).unwrap();
    match planfile::read(&path) {
        Ok(plan) => panic!(
            "{} was read as a plan: {plan:?}",
            String::from_utf8_lossy(bytes)
        ),
        Err(e) => e,
    }
}

#[test]
fn a_plan_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let file = sample_file(dir.path());
    assert!(file.spec_dir.is_absolute());
    assert_eq!(file.environment, "dev");
    assert_eq!(file.format_version, PLAN_FORMAT_VERSION);
    assert!(file.created().is_some(), "{}", file.created_at);
    planfile::write(&path, &file).unwrap();
    assert_eq!(planfile::read(&path).unwrap(), file);
}

#[test]
fn relative_spec_folders_are_made_absolute() {
    let file = PlanFile::new(Path::new("specs/digidex"), sample_plan()).unwrap();
    assert_eq!(
        file.spec_dir,
        std::env::current_dir().unwrap().join("specs/digidex")
    );
}

#[test]
fn the_file_starts_with_the_marker_and_holds_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    planfile::write(&path, &sample_file(dir.path())).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("{\n  \"kind\": \"strata-plan\",\n  \"format_version\": 1,\n"),
        "{text}"
    );
    assert!(text.ends_with("}\n"));
    // The sample state's secret is stored as a digest in the refreshed record.
    assert!(!text.contains("pl41n-t3xt-s3cr3t"));
}

#[test]
fn the_file_is_private_and_nothing_else_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    planfile::write(&path, &sample_file(dir.path())).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(files_in(dir.path()), ["plan.json"]);
}

#[test]
fn a_plan_replaces_an_earlier_plan_or_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let first = sample_file(dir.path());
    planfile::write(&path, &first).unwrap();
    let mut second = first.clone();
    second.plan.changes.clear();
    planfile::write(&path, &second).unwrap();
    assert_eq!(planfile::read(&path).unwrap(), second);

    // `strata plan --out "$(mktemp)"`: the file exists, empty, readable by others.
    let empty = dir.path().join("tmp.XXXX");
    fs::write(&empty, "").unwrap();
    planfile::write(&empty, &first).unwrap();
    assert_eq!(mode(&empty), 0o600);
    assert_eq!(planfile::read(&empty).unwrap(), first);
    assert_eq!(files_in(dir.path()), ["plan.json", "tmp.XXXX"]);
}

#[test]
fn a_plan_is_never_written_over_a_state_or_another_file() {
    let dir = tempfile::tempdir().unwrap();
    let state_path = dir.path().join("dev.state.json");
    LocalStore::new(&state_path, "dev")
        .write(&mut sample_state("dev"))
        .unwrap();
    let state_bytes = fs::read(&state_path).unwrap();
    let notes = dir.path().join("notes.txt");
    fs::write(&notes, "remember the milk\n").unwrap();

    let e = planfile::write(&state_path, &sample_file(dir.path())).unwrap_err();
    assert_eq!(e.code(), "state::plan_overwrite");
    assert!(
        text(&e).contains("dev.state.json: it is a strata state file\nhelp: nothing was written"),
        "{}",
        text(&e)
    );
    let e = planfile::write(&notes, &sample_file(dir.path())).unwrap_err();
    assert_eq!(e.code(), "state::plan_overwrite");
    let e = planfile::write(dir.path(), &sample_file(dir.path())).unwrap_err();
    assert_eq!(e.code(), "state::plan_overwrite");
    assert!(text(&e).contains("it is a directory"), "{}", text(&e));

    assert_eq!(fs::read(&state_path).unwrap(), state_bytes);
    assert_eq!(fs::read_to_string(&notes).unwrap(), "remember the milk\n");
    assert_eq!(files_in(dir.path()), ["dev.state.json", "notes.txt"]);
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let e = planfile::write(
        &dir.path().join("missing/plan.json"),
        &sample_file(dir.path()),
    )
    .unwrap_err();
    assert_eq!(e.code(), "state::io");
    assert!(
        text(&e).starts_with("could not create the temporary plan file"),
        "{}",
        text(&e)
    );
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn a_missing_plan_says_what_was_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let e = planfile::read(&dir.path().join("nope.json")).unwrap_err();
    assert_eq!(e.code(), "state::io");
    assert!(
        e.to_string().starts_with("could not read the plan file "),
        "{e}"
    );
}

#[test]
fn files_that_are_not_plans_are_refused_with_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let state = fs::read("tests/fixtures/valid.json").unwrap();
    let terraform = fs::read("tests/fixtures/terraform.json").unwrap();
    let cases: &[(&[u8], &str)] = &[
        (&state, "it is a strata state file"),
        (&terraform, "it is a Terraform or OpenTofu state or plan"),
        (b"", "the file is empty"),
        (b"  \n", "the file is empty"),
        (
            b"\x00\x01garbage",
            "it is not JSON (expected value at line 1 column 1)",
        ),
        (
            b"{not json",
            "it is not JSON (key must be a string at line 1 column 2)",
        ),
        (
            b"[1, 2]",
            "it holds an array, where a plan is a JSON object",
        ),
        (
            b"\"plan\"",
            "it holds a string, where a plan is a JSON object",
        ),
        (b"{\"hello\": \"world\"}", "it has no `kind` field"),
        (
            b"{\"kind\": \"strata-state\"}",
            "its `kind` is \"strata-state\"",
        ),
        (b"{\"kind\": 1}", "its `kind` is not a string"),
    ];
    for (bytes, what) in cases {
        let e = read_err(dir.path(), bytes);
        assert_eq!(e.code(), "state::not_a_plan", "{}", text(&e));
        assert!(
            text(&e).contains(&format!("plan.json is not a strata plan file: {what}\n")),
            "{}",
            text(&e)
        );
        assert!(text(&e).contains(
            "help: `strata apply FILE` takes a plan written by `strata plan --out FILE`"
        ));
    }
}

#[test]
fn other_format_versions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut json = sample_json(dir.path());
    json["format_version"] = 2.into();
    let e = read_err(dir.path(), json.to_string().as_bytes());
    assert_eq!(e.code(), "state::plan_version");
    assert!(
        text(&e)
            .contains("has format version 2, and this strata (0.1.0) reads plan format version 1"),
        "{}",
        text(&e)
    );
    json["format_version"] = "1".into();
    let e = read_err(dir.path(), json.to_string().as_bytes());
    assert_eq!(e.code(), "state::plan_corrupt");
    assert!(text(&e).contains("`format_version` must be a whole number, found \"1\""));
}

#[test]
fn damaged_plans_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let json = sample_json(dir.path());
    let pretty = serde_json::to_string_pretty(&json).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Map<String, serde_json::Value>)| {
        let mut json = json.clone();
        f(json.as_object_mut().unwrap());
        json.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        (
            pretty[..pretty.len() / 2].to_owned(),
            "it was cut short (line ",
        ),
        (
            edit(&|m| {
                m.insert("extra".into(), 1.into());
            }),
            "unknown field `extra`",
        ),
        (
            edit(&|m| {
                m.remove("created_at");
            }),
            "missing field `created_at`",
        ),
        (
            edit(&|m| {
                m.remove("format_version");
            }),
            "missing field `format_version`",
        ),
        (
            edit(&|m| {
                m.insert("spec_dir".into(), "specs/digidex".into());
            }),
            "`spec_dir` must be an absolute path, found \"specs/digidex\"",
        ),
        (
            edit(&|m| {
                m.insert("created_at".into(), "yesterday".into());
            }),
            "`created_at` must be an RFC 3339 time in UTC, found \"yesterday\"",
        ),
        (
            edit(&|m| {
                m.insert("environment".into(), "prod".into());
            }),
            "the file is for environment \"prod\" but its plan is for environment \"dev\"",
        ),
        (
            edit(&|m| {
                m["plan"]["kind"] = "sideways".into();
            }),
            "unknown variant `sideways`",
        ),
    ];
    for (bytes, reason) in cases {
        let e = read_err(dir.path(), bytes.as_bytes());
        assert_eq!(e.code(), "state::plan_corrupt", "{}", text(&e));
        assert!(text(&e).contains(reason), "{reason}: {}", text(&e));
        assert!(
            text(&e).contains("help: nothing was applied; make the plan again"),
            "{}",
            text(&e)
        );
    }
}

#[test]
fn no_state_fixture_is_read_as_a_plan() {
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir("tests/fixtures").unwrap() {
        let path = entry.unwrap().path();
        let e = read_err(dir.path(), &fs::read(&path).unwrap());
        assert!(
            matches!(e.code(), "state::not_a_plan"),
            "{}: {}",
            path.display(),
            text(&e)
        );
    }
}
