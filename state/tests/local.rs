//! The local store: atomic writes, serials, backups, modes, refusals, crash safety.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{files_in, mode, sample_state, text};
use strata_engine::Value;
use strata_state::{LocalStore, Mode, ResourceState, State};

fn store_in(dir: &Path) -> LocalStore {
    LocalStore::new(dir.join("dev.state.json"), "dev")
}

#[test]
fn load_without_a_file_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    assert_eq!(store.load().unwrap(), None);
    assert!(
        files_in(dir.path()).is_empty(),
        "load must not create anything"
    );
}

#[test]
fn write_creates_the_directory_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join(".strata")
        .join("nested")
        .join("dev.state.json");
    let store = LocalStore::new(&path, "dev");
    let mut state = sample_state("dev");
    store.write(&mut state).unwrap();
    assert_eq!(state.serial, 1);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let loaded = LocalStore::new(&path, "dev").load().unwrap().unwrap();
    assert_eq!(loaded, state);
}

#[test]
fn every_write_increments_the_serial() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = State::new("dev");
    for expected in 1..=5 {
        store.write(&mut state).unwrap();
        assert_eq!(state.serial, expected);
        let on_disk = store_in(dir.path()).load().unwrap().unwrap();
        assert_eq!(on_disk.serial, expected);
        assert_eq!(on_disk.lineage, state.lineage);
    }
    // A store that loads the state can go on writing it.
    let fresh = store_in(dir.path());
    let mut loaded = fresh.load().unwrap().unwrap();
    fresh.write(&mut loaded).unwrap();
    assert_eq!(loaded.serial, 6);
}

#[test]
fn writes_leave_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = sample_state("dev");
    store.write(&mut state).unwrap();
    assert_eq!(files_in(dir.path()), ["dev.state.json"]);
    store.write(&mut state).unwrap();
    store.write(&mut state).unwrap();
    assert_eq!(
        files_in(dir.path()),
        ["dev.state.json", "dev.state.json.backup"]
    );
}

#[test]
fn backup_holds_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = sample_state("dev");
    store.write(&mut state).unwrap();
    let first = fs::read(store.path()).unwrap();

    state.resources.remove("auth.pool");
    store.write(&mut state).unwrap();
    assert_eq!(fs::read(store.backup_path()).unwrap(), first);
    let second = fs::read(store.path()).unwrap();
    assert_ne!(second, first);

    store.write(&mut state).unwrap();
    assert_eq!(fs::read(store.backup_path()).unwrap(), second);
    let backup = LocalStore::new(store.backup_path(), "dev")
        .load()
        .unwrap()
        .unwrap();
    assert_eq!(backup.serial, 2);
}

#[test]
fn state_and_backup_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = sample_state("dev");
    store.write(&mut state).unwrap();
    store.write(&mut state).unwrap();
    assert_eq!(mode(store.path()), 0o600);
    assert_eq!(mode(&store.backup_path()), 0o600);
}

#[test]
fn backup_of_a_world_readable_file_is_a_private_copy() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = sample_state("dev");
    store.write(&mut state).unwrap();
    // Someone made the file readable by all (a checkout, a chmod).
    fs::set_permissions(store.path(), fs::Permissions::from_mode(0o644)).unwrap();
    let before = fs::read(store.path()).unwrap();
    store.write(&mut state).unwrap();
    assert_eq!(fs::read(store.backup_path()).unwrap(), before);
    assert_eq!(mode(&store.backup_path()), 0o600);
    assert_eq!(mode(store.path()), 0o600);
}

#[test]
fn write_refuses_a_state_of_another_environment() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut prod = State::new("prod");
    let err = store.write(&mut prod).unwrap_err();
    assert_eq!(err.code(), "state::wrong_environment", "{}", text(&err));
    assert_eq!(prod.serial, 0);
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn write_refuses_to_overwrite_another_lineage() {
    let dir = tempfile::tempdir().unwrap();
    let mut original = sample_state("dev");
    store_in(dir.path()).write(&mut original).unwrap();
    let before = fs::read(dir.path().join("dev.state.json")).unwrap();

    let mut other = State::new("dev");
    let err = store_in(dir.path()).write(&mut other).unwrap_err();
    assert_eq!(err.code(), "state::lineage_mismatch", "{}", text(&err));
    assert!(text(&err).contains(&original.lineage), "{}", text(&err));
    assert_eq!(other.serial, 0, "a refused write leaves the serial alone");
    assert_eq!(fs::read(dir.path().join("dev.state.json")).unwrap(), before);
    assert_eq!(files_in(dir.path()), ["dev.state.json"]);
}

#[test]
fn write_refuses_a_stale_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = sample_state("dev");
    store_in(dir.path()).write(&mut state).unwrap();

    // Two runs read serial 1; the first one writes serial 2.
    let (first, second) = (store_in(dir.path()), store_in(dir.path()));
    let mut a = first.load().unwrap().unwrap();
    let mut b = second.load().unwrap().unwrap();
    first.write(&mut a).unwrap();
    let before = fs::read(first.path()).unwrap();

    let err = second.write(&mut b).unwrap_err();
    assert_eq!(err.code(), "state::stale", "{}", text(&err));
    assert!(text(&err).contains("serial 2 is on disk"), "{}", text(&err));
    assert_eq!(b.serial, 1);
    assert_eq!(fs::read(first.path()).unwrap(), before);

    // The same store, given an old copy, refuses too.
    let mut old = state.clone();
    let err = first.write(&mut old).unwrap_err();
    assert_eq!(err.code(), "state::stale");
}

#[test]
fn write_accepts_a_file_rewritten_with_the_same_content() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = sample_state("dev");
    store.write(&mut state).unwrap();
    // E.g. a `git checkout` that rewrote the file: new inode, same state.
    let bytes = fs::read(store.path()).unwrap();
    fs::remove_file(store.path()).unwrap();
    fs::write(store.path(), &bytes).unwrap();
    store.write(&mut state).unwrap();
    assert_eq!(state.serial, 2);
}

#[test]
fn write_notices_a_file_changed_behind_its_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = sample_state("dev");
    store.write(&mut state).unwrap();
    // Another process writes serial 2 through its own store.
    let other = store_in(dir.path());
    let mut theirs = other.load().unwrap().unwrap();
    other.write(&mut theirs).unwrap();
    let err = store.write(&mut state).unwrap_err();
    assert_eq!(err.code(), "state::stale", "{}", text(&err));
}

#[test]
fn write_recreates_a_deleted_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = sample_state("dev");
    store.write(&mut state).unwrap();
    fs::remove_file(store.path()).unwrap();
    store.write(&mut state).unwrap();
    assert_eq!(store_in(dir.path()).load().unwrap().unwrap(), state);
}

#[test]
fn failed_write_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = sample_state("dev");
    store.write(&mut state).unwrap();
    let before = fs::read(store.path()).unwrap();
    // The backup cannot be replaced: a non-empty directory is in its way.
    fs::create_dir(store.backup_path()).unwrap();
    fs::write(store.backup_path().join("x"), "x").unwrap();

    let err = store.write(&mut state).unwrap_err();
    assert_eq!(err.code(), "state::io");
    assert!(
        err.to_string().contains("dev.state.json.backup"),
        "the error names the path: {err}"
    );
    assert_eq!(state.serial, 1, "the serial is restored");
    assert_eq!(fs::read(store.path()).unwrap(), before);
    assert_eq!(
        files_in(dir.path()),
        ["dev.state.json", "dev.state.json.backup"],
        "no temporary file is left"
    );
    // Once the way is clear the same state writes fine.
    fs::remove_dir_all(store.backup_path()).unwrap();
    store.write(&mut state).unwrap();
    assert_eq!(state.serial, 2);
}

#[test]
fn io_errors_say_what_and_where() {
    let dir = tempfile::tempdir().unwrap();
    // The state path is a directory.
    let store = LocalStore::new(dir.path(), "dev");
    let err = store.load().unwrap_err();
    assert_eq!(err.code(), "state::io");
    let message = err.to_string();
    assert!(
        message.starts_with("could not read the state file "),
        "{message}"
    );
    assert!(
        message.contains(&dir.path().display().to_string()),
        "{message}"
    );
}

#[test]
fn stored_values_survive_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut state = sample_state("dev");
    store.write(&mut state).unwrap();
    let bytes = fs::read(store.path()).unwrap();
    assert!(
        !bytes.windows(17).any(|w| w == b"pl41n-t3xt-s3cr3t"),
        "a sensitive value reached the disk"
    );
    let loaded = store_in(dir.path()).load().unwrap().unwrap();
    assert!(
        loaded.resources["database.main"].inputs["password"]
            .matches(&Value::from("pl41n-t3xt-s3cr3t"))
    );
}

const CHILD_DIR: &str = "STRATA_STATE_TEST_CRASH_CHILD_DIR";

/// Not a test on its own: the process that `a_killed_writer_leaves_a_valid_state` kills.
/// Without the environment variable it does nothing.
#[test]
fn crash_child_writer() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let store = store_in(Path::new(&dir));
    let mut state = store.load().unwrap().unwrap_or_else(|| State::new("dev"));
    loop {
        // Each write adds exactly one resource, so a valid file has serial == count.
        let n = state.resources.len();
        let mut r = ResourceState::new("test.thing", Mode::Managed, format!("id-{n}"));
        r.inputs
            .insert("padding".into(), Value::from("x".repeat(2_000)).into());
        state.resources.insert(format!("stack.thing{n:06}"), r);
        store.write(&mut state).unwrap();
    }
}

#[test]
fn a_killed_writer_leaves_a_valid_state() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut last_serial = 0;
    for round in 0..6u64 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the child has written, reading along the way: a reader must
        // always see a whole version.
        let started = Instant::now();
        loop {
            if let Some(state) = store_in(dir.path()).load().unwrap() {
                assert_eq!(state.serial as usize, state.resources.len());
                if state.serial > last_serial + 2 {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the child process never wrote"
            );
            thread::sleep(Duration::from_millis(5));
        }
        thread::sleep(Duration::from_millis(3 + round * 7));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let state = store_in(dir.path()).load().unwrap().expect("a state file");
        assert_eq!(state.serial as usize, state.resources.len());
        assert!(state.serial > last_serial);
        let backup = LocalStore::new(store_in(dir.path()).backup_path(), "dev")
            .load()
            .unwrap()
            .expect("a backup");
        assert_eq!(backup.serial as usize, backup.resources.len());
        assert_eq!(backup.lineage, state.lineage);
        last_serial = state.serial;
    }
    let temp_files = || {
        files_in(dir.path())
            .into_iter()
            .filter(|f| f.ends_with(".tmp"))
            .count()
    };
    eprintln!(
        "after 6 kills: serial {last_serial}, {} temporary files left behind",
        temp_files()
    );
    // The next run to take the lock clears them, and only them.
    fs::write(dir.path().join(".dev.state.json.notes.tmp"), "mine").unwrap();
    fs::write(
        dir.path().join(".dev.state.json.x.0123456789abcdef.tmp"),
        "mine",
    )
    .unwrap();
    let _guard = store_in(dir.path()).lock("apply").unwrap();
    assert_eq!(temp_files(), 2);
    assert_eq!(
        files_in(dir.path()),
        [
            ".dev.state.json.notes.tmp",
            ".dev.state.json.x.0123456789abcdef.tmp",
            "dev.state.json",
            "dev.state.json.backup",
            "dev.state.json.lock"
        ]
    );
}
