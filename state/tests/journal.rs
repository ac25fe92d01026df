//! The local store's journal: replay equals what was saved, torn last lines, refusals
//! (data-driven, tests/journal/cases.txt), compaction and its crash windows, modes, and
//! processes killed while appending.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{files_in, mode, text};
use strata_engine::Value;
use strata_engine::provider::CreateToken;
use strata_engine::state::PendingCreate;
use strata_state::{Changed, LocalStore, Mode, ResourceState, State, StoredValue};

fn store_in(dir: &Path) -> LocalStore {
    LocalStore::new(dir.join("dev.state.json"), "dev")
}

/// A small deterministic generator (xorshift64*), so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    u64::from(nanos) | 1
}

fn record(id: &str, padding: usize) -> ResourceState {
    let mut r = ResourceState::new("test.thing", Mode::Managed, id);
    r.inputs
        .insert("padding".into(), Value::from("x".repeat(padding)).into());
    r.inputs.insert(
        "password".into(),
        StoredValue::sensitive(&Value::from("pl41n-t3xt-s3cr3t")),
    );
    r.outputs
        .insert("arn".into(), Value::from(format!("arn:{id}")).into());
    r
}

fn pending(padding: usize) -> PendingCreate {
    PendingCreate {
        type_name: "test.thing".into(),
        token: CreateToken::new(),
        dependencies: vec!["s.r0".into()],
        inputs: [(
            "padding".to_owned(),
            StoredValue::from(Value::from("p".repeat(padding))),
        )]
        .into(),
    }
}

/// One to three random edits of `state`, as the executor makes them, and what they
/// changed.
fn random_edit(state: &mut State, rng: &mut Rng) -> Changed {
    let mut changed = Changed::new();
    for _ in 0..=rng.below(3) {
        let address = format!("s.r{}", rng.below(40));
        match rng.below(7) {
            0..=2 => {
                let id = format!("id-{}", rng.next());
                state
                    .resources
                    .insert(address.clone(), record(&id, rng.below(900) as usize));
                changed.resource(&address);
            }
            3 => {
                if let Some(r) = state.resources.get_mut(&address) {
                    r.deposed.push(format!("old-{}", rng.next()));
                }
                changed.resource(&address);
            }
            4 => {
                // Removed, or never there: either way named.
                state.resources.remove(&address);
                changed.resource(&address);
            }
            5 => {
                if rng.below(2) == 0 {
                    state
                        .pending
                        .insert(address.clone(), pending(rng.below(300) as usize));
                } else {
                    state.pending.remove(&address);
                }
                changed.pending(&address);
            }
            _ => {
                let name = format!("s.out{}", rng.below(4));
                if rng.below(3) == 0 {
                    state.outputs.remove(&name);
                } else {
                    state
                        .outputs
                        .insert(name, Value::from(format!("v{}", rng.next())).into());
                }
                changed.outputs();
            }
        }
    }
    changed
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map_or(0, |m| m.len())
}

#[test]
fn replay_equals_the_state_saved_after_many_saves() {
    let seed = seed();
    eprintln!("seed {seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = State::new("dev");
    store.save(&mut state, &Changed::new()).unwrap();
    assert!(
        store.path().is_file(),
        "the first save writes the state file"
    );
    for i in 1..=800u64 {
        let changed = random_edit(&mut state, &mut rng);
        store.save(&mut state, &changed).unwrap();
        assert_eq!(state.serial, i + 1, "seed {seed}");
        // The journal never grows past its bound.
        let journal = file_len(&store.journal_path());
        assert!(
            journal <= file_len(store.path()).max(64 << 10),
            "seed {seed}: journal of {journal} bytes"
        );
        if i.is_multiple_of(23) {
            let loaded = store_in(dir.path()).load().unwrap().unwrap();
            assert_eq!(loaded, state, "seed {seed}, after save {i}");
        }
    }
    let stats = store.write_stats();
    assert!(stats.appends > 700, "{stats:?}");
    assert!(stats.snapshots >= 3, "the journal was compacted: {stats:?}");
    assert_eq!(stats.snapshots + stats.appends, 801, "{stats:?}");

    // Another store goes on from what it loads.
    let other = store_in(dir.path());
    let mut loaded = other.load().unwrap().unwrap();
    assert_eq!(loaded, state);
    let changed = random_edit(&mut loaded, &mut rng);
    other.save(&mut loaded, &changed).unwrap();
    assert_eq!(store_in(dir.path()).load().unwrap().unwrap(), loaded);

    // The end of a command: one state file, no journal, same serial.
    let serial = loaded.serial;
    other.compact(&loaded).unwrap();
    assert!(!other.journal_path().exists());
    assert_eq!(
        files_in(dir.path()),
        ["dev.state.json", "dev.state.json.backup"]
    );
    let compacted = store_in(dir.path()).load().unwrap().unwrap();
    assert_eq!(compacted, loaded);
    assert_eq!(compacted.serial, serial);
    // Compacting again changes nothing.
    let before = fs::read(other.path()).unwrap();
    other.compact(&loaded).unwrap();
    assert_eq!(fs::read(other.path()).unwrap(), before);
}

#[test]
fn a_save_without_edits_still_makes_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = State::new("dev");
    store.save(&mut state, &Changed::new()).unwrap();
    store.save(&mut state, &Changed::new()).unwrap();
    assert_eq!(state.serial, 2);
    assert_eq!(store_in(dir.path()).load().unwrap().unwrap(), state);
}

#[test]
fn journal_lines_hold_only_the_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = State::new("dev");
    for i in 0..50 {
        state
            .resources
            .insert(format!("s.r{i:02}"), record(&format!("id-{i}"), 1_000));
    }
    store.write(&mut state).unwrap();
    let mut changed = Changed::new();
    state.resources.remove("s.r07");
    changed.resource("s.r07");
    state.resources.insert("s.new".into(), record("id-new", 10));
    changed.resource("s.new");
    state.pending.insert("s.next".into(), pending(5));
    changed.pending("s.next");
    store.save(&mut state, &changed).unwrap();

    let journal = fs::read_to_string(store.journal_path()).unwrap();
    assert_eq!(journal.lines().count(), 1);
    assert!(journal.ends_with('\n'));
    assert!(journal.len() < 1_000, "{journal}");
    let line: serde_json::Value = serde_json::from_str(&journal).unwrap();
    assert_eq!(line["serial"], 2);
    assert_eq!(line["lineage"], state.lineage.as_str());
    assert_eq!(line["removed"], serde_json::json!(["s.r07"]));
    assert_eq!(
        line["resources"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["s.new"]
    );
    assert!(line["pending"]["s.next"]["token"].is_string());
    assert!(
        line.get("outputs").is_none(),
        "unchanged outputs are left out"
    );
    assert!(
        !journal.contains("pl41n-t3xt-s3cr3t"),
        "a sensitive value reached the journal"
    );
    assert_eq!(store_in(dir.path()).load().unwrap().unwrap(), state);
}

#[test]
fn a_torn_last_line_is_ignored_then_overwritten() {
    for torn in [
        &b"{\"format_version\":1,\"lin"[..],
        b"{\"format_version\":1,\"lineage\":\"x\"\n",
        b"\0\0\0\0\0\0\0\0",
        b"{\"format_version\":1,\"lineage\":\"x\"}garbage\n",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        let mut state = State::new("dev");
        store.save(&mut state, &Changed::new()).unwrap();
        let mut rng = Rng(7);
        for _ in 0..5 {
            let changed = random_edit(&mut state, &mut rng);
            store.save(&mut state, &changed).unwrap();
        }
        let whole = fs::read(store.journal_path()).unwrap();
        let mut with_torn = whole.clone();
        with_torn.extend_from_slice(torn);
        fs::write(store.journal_path(), &with_torn).unwrap();

        assert_eq!(store_in(dir.path()).load().unwrap().unwrap(), state);
        assert_eq!(
            fs::read(store.journal_path()).unwrap(),
            with_torn,
            "loading changes nothing"
        );
        // The next save (this store notices the journal changed) cuts the torn line.
        let changed = random_edit(&mut state, &mut rng);
        store.save(&mut state, &changed).unwrap();
        let after = fs::read(store.journal_path()).unwrap();
        assert!(after.starts_with(&whole));
        assert_eq!(after.iter().filter(|&&b| b == b'\n').count(), 6);
        assert!(after.ends_with(b"\n"));
        assert_eq!(store_in(dir.path()).load().unwrap().unwrap(), state);

        // So does a store that loaded the torn journal.
        fs::write(store.journal_path(), [&after[..], torn].concat()).unwrap();
        let other = store_in(dir.path());
        let mut loaded = other.load().unwrap().unwrap();
        let changed = random_edit(&mut loaded, &mut rng);
        other.save(&mut loaded, &changed).unwrap();
        assert_eq!(store_in(dir.path()).load().unwrap().unwrap(), loaded);
    }
}

struct Case {
    file: String,
    expected: Vec<String>,
}

fn journal_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/journal")
}

fn journal_cases() -> Vec<Case> {
    fs::read_to_string(journal_fixtures().join("cases.txt"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut words = line.split_whitespace().map(str::to_owned);
            let file = words.next().unwrap();
            Case {
                file,
                expected: words.collect(),
            }
        })
        .collect()
}

fn addresses(list: &str) -> Vec<String> {
    if list == "-" {
        Vec::new()
    } else {
        list.split(',').map(str::to_owned).collect()
    }
}

#[test]
fn every_journal_fixture_has_a_case_and_every_case_a_fixture() {
    let listed: BTreeSet<String> = journal_cases().into_iter().map(|c| c.file).collect();
    let present: BTreeSet<String> = fs::read_dir(journal_fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".journal"))
        .collect();
    assert_eq!(listed, present);
}

#[test]
fn journal_fixtures_replay_or_are_refused_unchanged() {
    let base = fs::read(journal_fixtures().join("base.state.json")).unwrap();
    for case in journal_cases() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        let journal = fs::read(journal_fixtures().join(&case.file)).unwrap();
        fs::write(store.path(), &base).unwrap();
        fs::write(store.journal_path(), &journal).unwrap();
        // The state file alone, as a store of it would read it.
        let copy = dir.path().join("base.json");
        fs::write(&copy, &base).unwrap();
        let mut base_state = LocalStore::new(&copy, "dev").load().unwrap().unwrap();
        fs::remove_file(&copy).unwrap();
        let loaded = store.load();

        if case.expected[0] == "ok" {
            let mut state = loaded.unwrap_or_else(|e| panic!("{}: {}", case.file, text(&e)));
            let state = state.as_mut().unwrap();
            let serial: u64 = case.expected[1].parse().unwrap();
            assert_eq!(state.serial, serial, "{}", case.file);
            assert_eq!(
                state.resources.keys().cloned().collect::<Vec<_>>(),
                addresses(&case.expected[2]),
                "{}",
                case.file
            );
            assert_eq!(
                state.pending.keys().cloned().collect::<Vec<_>>(),
                addresses(&case.expected[3]),
                "{}",
                case.file
            );
            // The state goes on from there, and a compaction folds it all in.
            let mut changed = Changed::new();
            state
                .resources
                .insert("net.new".into(), record("id-new", 3));
            changed.resource("net.new");
            store.save(state, &changed).unwrap();
            assert_eq!(state.serial, serial + 1);
            assert_eq!(store_in(dir.path()).load().unwrap().as_ref(), Some(&*state));
            store.compact(state).unwrap();
            assert!(!store.journal_path().exists(), "{}", case.file);
            assert_eq!(store_in(dir.path()).load().unwrap().as_ref(), Some(&*state));
            continue;
        }

        let err = loaded.expect_err(&case.file);
        let (code, needle) = (&case.expected[0], case.expected[1..].join(" "));
        assert_eq!(err.code(), code, "{}: {}", case.file, text(&err));
        assert!(
            text(&err).contains(&needle),
            "{}: expected {needle:?} in\n{}",
            case.file,
            text(&err)
        );
        let message = err.to_string();
        assert!(
            message.contains("dev.state.json.journal"),
            "{}: the message names the journal: {message}",
            case.file
        );
        assert!(
            !message.ends_with('.') && message.starts_with(|c: char| !c.is_uppercase()),
            "{}: message style: {message}",
            case.file
        );
        // Nothing gets written over it.
        let mut changed = Changed::new();
        changed.resource("net.vpc");
        let serial = base_state.serial;
        assert_eq!(
            store.save(&mut base_state, &changed).unwrap_err().code(),
            code.as_str(),
            "{}",
            case.file
        );
        assert_eq!(base_state.serial, serial);
        assert_eq!(
            store.compact(&base_state).unwrap_err().code(),
            code.as_str()
        );
        assert_eq!(
            store.write(&mut base_state).unwrap_err().code(),
            code.as_str()
        );
        assert_eq!(fs::read(store.path()).unwrap(), base, "{}", case.file);
        assert_eq!(
            fs::read(store.journal_path()).unwrap(),
            journal,
            "{}",
            case.file
        );
        assert_eq!(
            files_in(dir.path()),
            ["dev.state.json", "dev.state.json.journal"],
            "{}",
            case.file
        );
    }
}

#[test]
fn a_corrupt_journal_points_at_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    fs::copy(journal_fixtures().join("base.state.json"), store.path()).unwrap();
    fs::copy(
        journal_fixtures().join("bad-middle-line.journal"),
        store.journal_path(),
    )
    .unwrap();
    let err = store.load().unwrap_err();
    let strata_state::StateError::Corrupt(details) = &err else {
        panic!("{}", text(&err));
    };
    assert!(details.journal);
    assert_eq!(details.line, Some(2));
    let labels: Vec<_> = miette::Diagnostic::labels(&err).unwrap().collect();
    let source = fs::read_to_string(store.journal_path()).unwrap();
    let second_line = source.find('\n').unwrap() + 1;
    assert_eq!(labels.len(), 1);
    assert!(labels[0].offset() >= second_line, "{labels:?}");
    assert!(
        err.help_text().contains("cut the journal just before it"),
        "{}",
        text(&err)
    );
}

/// Saves through `store` until the journal holds some lines; returns the state.
fn state_with_a_journal(store: &LocalStore) -> State {
    let mut state = State::new("dev");
    store.write(&mut state).unwrap();
    let mut rng = Rng(11);
    for _ in 0..12 {
        let changed = random_edit(&mut state, &mut rng);
        store.save(&mut state, &changed).unwrap();
    }
    assert!(store.journal_path().is_file());
    state
}

#[test]
fn a_crash_after_compaction_renamed_the_state_file_replays_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = state_with_a_journal(&store);
    let journal = fs::read(store.journal_path()).unwrap();

    // Compacted at the same serial, killed before the journal was removed.
    store.compact(&state).unwrap();
    fs::write(store.journal_path(), &journal).unwrap();
    let loaded = store_in(dir.path()).load().unwrap().unwrap();
    assert_eq!(loaded, state);
    // The next run goes on after those lines.
    let other = store_in(dir.path());
    let mut loaded = other.load().unwrap().unwrap();
    let mut rng = Rng(5);
    for _ in 0..3 {
        let changed = random_edit(&mut loaded, &mut rng);
        other.save(&mut loaded, &changed).unwrap();
    }
    assert_eq!(store_in(dir.path()).load().unwrap().unwrap(), loaded);

    // Written whole at the next serial (a save past the bound, a hand edit), killed
    // before the journal was removed: its lines are all older than the state file.
    let journal = fs::read(store.journal_path()).unwrap();
    other.write(&mut loaded).unwrap();
    fs::write(store.journal_path(), &journal).unwrap();
    let third = store_in(dir.path());
    state = third.load().unwrap().unwrap();
    assert_eq!(state, loaded);
    // The next append starts the journal over rather than leaving a gap after them.
    let changed = random_edit(&mut state, &mut rng);
    third.save(&mut state, &changed).unwrap();
    let lines = fs::read_to_string(store.journal_path()).unwrap();
    assert_eq!(lines.lines().count(), 1, "{lines}");
    assert_eq!(store_in(dir.path()).load().unwrap().unwrap(), state);
}

#[test]
fn a_crash_before_compaction_renamed_the_state_file_keeps_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let state = state_with_a_journal(&store);
    // The temporary file was written, never renamed.
    let leftover = dir.path().join(".dev.state.json.0123456789abcdef.tmp");
    fs::write(&leftover, fs::read(store.path()).unwrap()).unwrap();
    assert_eq!(store_in(dir.path()).load().unwrap().unwrap(), state);
    let _guard = store_in(dir.path()).lock("apply").unwrap();
    assert!(!leftover.exists());
}

#[test]
fn compaction_keeps_the_previous_state_file_as_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let state = state_with_a_journal(&store);
    let first = fs::read(store.path()).unwrap();
    store.compact(&state).unwrap();
    assert_eq!(fs::read(store.backup_path()).unwrap(), first);
    assert_eq!(mode(&store.backup_path()), 0o600);
    assert_eq!(mode(store.path()), 0o600);
    let backup = LocalStore::new(store.backup_path(), "dev")
        .load()
        .unwrap()
        .unwrap();
    assert_eq!(backup.serial, 1);
    assert_eq!(store_in(dir.path()).load().unwrap().unwrap(), state);
}

#[test]
fn a_whole_write_folds_the_journal_first_so_the_backup_is_the_version_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = state_with_a_journal(&store);
    let before = state.clone();
    // A hand edit by another store (`state rm`) after a run that left its journal.
    let editor = store_in(dir.path());
    let mut edited = editor.load().unwrap().unwrap();
    edited.resources.clear();
    editor.write(&mut edited).unwrap();
    assert!(!store.journal_path().exists());
    let backup = LocalStore::new(store.backup_path(), "dev")
        .load()
        .unwrap()
        .unwrap();
    assert_eq!(backup, before);
    assert_eq!(edited.serial, before.serial + 1);
    // The first store's copy is stale now.
    let err = store.save(&mut state, &Changed::new()).unwrap_err();
    assert_eq!(err.code(), "state::stale", "{}", text(&err));
}

#[test]
fn the_journal_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    state_with_a_journal(&store);
    assert_eq!(mode(&store.journal_path()), 0o600);
    // Someone made it readable by all: the next save makes it private again.
    fs::set_permissions(store.journal_path(), fs::Permissions::from_mode(0o644)).unwrap();
    let other = store_in(dir.path());
    let mut state = other.load().unwrap().unwrap();
    other.save(&mut state, &Changed::new()).unwrap();
    assert_eq!(mode(&store.journal_path()), 0o600);
}

#[test]
fn a_journal_without_its_state_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = state_with_a_journal(&store);
    let journal = fs::read(store.journal_path()).unwrap();
    fs::remove_file(store.path()).unwrap();
    let err = store_in(dir.path()).load().unwrap_err();
    assert_eq!(err.code(), "state::corrupt", "{}", text(&err));
    assert!(
        text(&err).contains("there is no state file")
            && text(&err).contains("put the state file back"),
        "{}",
        text(&err)
    );
    assert_eq!(
        store.save(&mut state, &Changed::new()).unwrap_err().code(),
        "state::corrupt"
    );
    assert_eq!(
        store.write(&mut State::new("dev")).unwrap_err().code(),
        "state::corrupt"
    );
    assert_eq!(fs::read(store.journal_path()).unwrap(), journal);
    assert!(!store.path().exists());
}

#[test]
fn a_save_is_refused_when_another_store_appended_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    state_with_a_journal(&store);
    let (a, b) = (store_in(dir.path()), store_in(dir.path()));
    let mut first = a.load().unwrap().unwrap();
    let mut second = b.load().unwrap().unwrap();
    a.save(&mut first, &Changed::new()).unwrap();
    let journal = fs::read(store.journal_path()).unwrap();
    let err = b.save(&mut second, &Changed::new()).unwrap_err();
    assert_eq!(err.code(), "state::stale", "{}", text(&err));
    assert_eq!(fs::read(store.journal_path()).unwrap(), journal);
    // Another lineage is refused too.
    let mut other = State::new("dev");
    other.serial = first.serial;
    let err = b.save(&mut other, &Changed::new()).unwrap_err();
    assert_eq!(err.code(), "state::lineage_mismatch", "{}", text(&err));
    assert_eq!(fs::read(store.journal_path()).unwrap(), journal);
}

const CHILD_DIR: &str = "STRATA_STATE_TEST_JOURNAL_CHILD_DIR";
const PADDING: usize = 1_500;

/// Not a test on its own: the process that `a_killed_appender_keeps_every_acknowledged_save`
/// kills. It saves as the executor does — a pending create, then the resource made —
/// printing each serial once `save` has returned. Without the environment variable it
/// does nothing.
#[test]
fn journal_crash_child() {
    use std::io::Write;
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let store = store_in(Path::new(&dir));
    let mut state = match store.load().unwrap() {
        Some(state) => state,
        None => {
            let mut state = State::new("dev");
            store.save(&mut state, &Changed::new()).unwrap();
            state
        }
    };
    let mut out = std::io::stdout().lock();
    loop {
        let n = state.resources.len();
        let address = format!("stack.thing{n:06}");
        let mut changed = Changed::new();
        if !state.serial.is_multiple_of(2) {
            state.pending.insert(address.clone(), pending(PADDING));
            changed.pending(&address);
        } else {
            state.pending.remove(&address);
            state
                .resources
                .insert(address.clone(), record(&format!("id-{n}"), PADDING));
            state
                .outputs
                .insert("stack.count".into(), Value::Int(n as i64 + 1).into());
            changed.pending(&address).resource(&address).outputs();
        }
        store.save(&mut state, &changed).unwrap();
        writeln!(out, "acknowledged {}", state.serial).unwrap();
        out.flush().unwrap();
        if state.serial.is_multiple_of(97) {
            // The end of a command.
            store.compact(&state).unwrap();
        }
    }
}

/// The state the child has saved at `serial`: every save is one step of a sequence, so
/// a state that loads must be exactly one of its versions.
fn check_version(state: &State) {
    let serial = state.serial;
    assert!(serial >= 1);
    let made = ((serial - 1) / 2) as usize;
    assert_eq!(state.resources.len(), made, "serial {serial}");
    for (i, (address, r)) in state.resources.iter().enumerate() {
        assert_eq!(address, &format!("stack.thing{i:06}"));
        assert_eq!(r.id, format!("id-{i}"));
    }
    if serial.is_multiple_of(2) {
        assert_eq!(
            state.pending.keys().collect::<Vec<_>>(),
            [&format!("stack.thing{made:06}")],
            "serial {serial}"
        );
    } else {
        assert!(state.pending.is_empty(), "serial {serial}");
    }
    let count = state.outputs.get("stack.count").cloned();
    assert_eq!(
        count,
        (made > 0).then(|| StoredValue::from(Value::Int(made as i64))),
        "serial {serial}"
    );
}

#[test]
fn a_killed_appender_keeps_every_acknowledged_save() {
    let seed = seed();
    eprintln!("seed {seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut acknowledged = 0;
    for round in 0..20 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "journal_crash_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let last = Arc::new(AtomicU64::new(0));
        let reader = {
            let stdout = child.stdout.take().unwrap();
            let last = last.clone();
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Some(serial) = line.strip_prefix("acknowledged ") {
                        last.store(serial.parse().unwrap(), Ordering::SeqCst);
                    }
                }
            })
        };
        // Let it save for a while, reading along the way: a reader always sees one
        // whole version, whatever the writer is doing (appending, compacting).
        let started = Instant::now();
        let wait = Duration::from_millis(20 + rng.below(200));
        while last.load(Ordering::SeqCst) <= acknowledged + 2 || started.elapsed() < wait {
            let seen = last.load(Ordering::SeqCst);
            if let Some(state) = store_in(dir.path()).load().unwrap() {
                check_version(&state);
                assert!(state.serial >= seen, "seed {seed}: a reader lost a save");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the child process never saved"
            );
            thread::sleep(Duration::from_millis(rng.below(7)));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let seen = last.load(Ordering::SeqCst);

        let state = store_in(dir.path())
            .load()
            .unwrap_or_else(|e| panic!("seed {seed}, round {round}: {}", text(&e)))
            .expect("a state");
        check_version(&state);
        assert!(
            state.serial >= seen,
            "seed {seed}, round {round}: serial {} on disk, {seen} acknowledged",
            state.serial
        );
        assert!(state.serial > acknowledged);
        acknowledged = seen;
        let store = store_in(dir.path());
        assert_eq!(mode(store.path()), 0o600);
        if store.journal_path().exists() {
            assert_eq!(mode(&store.journal_path()), 0o600);
        }
    }
    eprintln!("after 20 kills: serial {acknowledged} acknowledged");
}
