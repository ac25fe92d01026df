//! Data-driven: every file in tests/fixtures/ is loaded, then overwritten, as the state of
//! environment "dev"; fixtures/cases.txt says what must happen. A refused file must be
//! left exactly as it was, and nothing may be created next to it. What a user reads for
//! each file — the diagnostic as the CLI renders it — is snapshotted in
//! tests/snapshots/<file>.txt (`STRATA_BLESS=1` rewrites them).

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::{files_in, text};
use miette::Diagnostic;
use strata_state::{LocalStore, State, StateError};

struct Case {
    file: String,
    code: String,
    needle: String,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn snapshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn cases() -> Vec<Case> {
    let list = fs::read_to_string(fixtures().join("cases.txt")).unwrap();
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (file, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let rest = rest.trim_start();
            let (code, needle) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            Case {
                file: file.to_owned(),
                code: code.to_owned(),
                needle: needle.trim().to_owned(),
            }
        })
        .collect()
}

/// Put the fixture at `dir/dev.state.json`.
fn install(case: &Case, dir: &Path) -> (LocalStore, Vec<u8>) {
    let bytes = fs::read(fixtures().join(&case.file)).unwrap();
    let path = dir.join("dev.state.json");
    fs::write(&path, &bytes).unwrap();
    (LocalStore::new(path, "dev"), bytes)
}

fn check_refusal(case: &Case, what: &str, err: &StateError) {
    assert_eq!(
        err.code(),
        case.code,
        "{} ({what}): {}",
        case.file,
        text(err)
    );
    assert!(
        text(err).contains(&case.needle),
        "{} ({what}): expected {:?} in\n{}",
        case.file,
        case.needle,
        text(err)
    );
    let message = err.to_string();
    assert!(
        message.contains("dev.state.json"),
        "{}: the message names the file: {message}",
        case.file
    );
    assert!(
        !message.ends_with('.') && message.starts_with(|c: char| !c.is_uppercase()),
        "{}: message style: {message}",
        case.file
    );
    assert_eq!(
        Diagnostic::code(err).unwrap().to_string(),
        case.code,
        "the diagnostic code"
    );
    assert!(Diagnostic::help(err).is_some());
}

#[test]
fn every_fixture_has_a_case_and_every_case_a_fixture() {
    let listed: BTreeSet<String> = cases().into_iter().map(|c| c.file).collect();
    let present: BTreeSet<String> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f != "cases.txt")
        .collect();
    assert_eq!(listed, present);
}

#[test]
fn fixtures_load_or_are_refused_unchanged() {
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let (store, original) = install(&case, dir.path());
        let loaded = store.load();
        let mut fresh = State::new("dev");
        let written = store.write(&mut fresh);

        if case.code == "ok" {
            let mut state = loaded
                .unwrap_or_else(|e| panic!("{}: {}", case.file, text(&e)))
                .unwrap();
            // The fixture is another lineage than a fresh state: never overwritten.
            let err = written.unwrap_err();
            assert_eq!(err.code(), "state::lineage_mismatch", "{}", case.file);
            assert_eq!(fs::read(store.path()).unwrap(), original);
            // Its own state can be written back, and reads back the same.
            let serial = state.serial;
            store.write(&mut state).unwrap();
            assert_eq!(state.serial, serial + 1);
            let again = LocalStore::new(store.path(), "dev")
                .load()
                .unwrap()
                .unwrap();
            assert_eq!(again, state, "{}", case.file);
            continue;
        }

        let err = loaded.expect_err(&case.file);
        check_refusal(&case, "load", &err);
        let err = written.expect_err(&case.file);
        check_refusal(&case, "write", &err);
        assert_eq!(fresh.serial, 0, "{}", case.file);
        assert_eq!(
            fs::read(store.path()).unwrap(),
            original,
            "{} was modified",
            case.file
        );
        assert_eq!(files_in(dir.path()), ["dev.state.json"], "{}", case.file);
    }
}

#[test]
fn corrupt_files_point_at_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let case = Case {
        file: "trailing-comma.json".into(),
        code: "state::corrupt".into(),
        needle: String::new(),
    };
    let (store, _) = install(&case, dir.path());
    let StateError::Corrupt(details) = store.load().unwrap_err() else {
        panic!("not corrupt");
    };
    assert_eq!((details.line, details.column), (Some(59), Some(3)));
    let err = StateError::Corrupt(details);
    let labels: Vec<_> = err.labels().unwrap().collect();
    assert_eq!(labels.len(), 1);
    assert!(err.source_code().is_some());
    // The span is at the closing brace right after the trailing comma.
    let source = fs::read_to_string(store.path()).unwrap();
    assert_eq!(&source[labels[0].offset()..labels[0].offset() + 1], "}");
}

#[test]
fn a_corrupt_file_with_a_backup_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path().join("dev.state.json"), "dev");
    let mut state = State::new("dev");
    store.write(&mut state).unwrap();
    store.write(&mut state).unwrap();
    fs::write(store.path(), "{ not json").unwrap();
    let err = store.load().unwrap_err();
    assert_eq!(err.code(), "state::corrupt");
    assert!(
        err.help_text().contains("dev.state.json.backup"),
        "{}",
        text(&err)
    );
}

/// The diagnostic of a refused file as the CLI prints it (no colour, 100 columns), the
/// temporary folder shown as `<dir>`; "ok" and the serial for a file that loads.
fn rendered(case: &Case) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = install(case, dir.path());
    let text = match store.load() {
        Ok(Some(state)) => format!("ok: serial {}\n", state.serial),
        Ok(None) => "no state\n".to_owned(),
        Err(e) => strata_engine::diag::render_report(&e, false, 100),
    };
    text.replace(&format!("{}/", dir.path().display()), "<dir>/")
}

#[test]
fn diagnostics_match_their_snapshots() {
    let mut failures = Vec::new();
    for case in cases() {
        let expected = snapshots().join(format!("{}.txt", case.file));
        if let Err(e) = strata_testkit::snapshot::check_file(&expected, &rendered(&case)) {
            failures.push(format!(
                "{}: {}",
                case.file,
                e.message().unwrap_or("differs")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_snapshot_has_a_fixture() {
    let listed: BTreeSet<String> = cases()
        .into_iter()
        .map(|c| format!("{}.txt", c.file))
        .collect();
    let present: BTreeSet<String> = fs::read_dir(snapshots())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        listed, present,
        "tests/snapshots/ and tests/fixtures/cases.txt"
    );
}
