//! The lock: contention, holder details, staleness, force-unlock, corrupt lock files.

mod common;

use std::fs;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::thread;

use common::{files_in, mode, text};
use strata_state::{Liveness, LocalStore, LockInfo, StateError};

fn store_in(dir: &Path) -> LocalStore {
    LocalStore::new(dir.join("dev.state.json"), "dev")
}

fn read_lock(store: &LocalStore) -> LockInfo {
    serde_json::from_slice(&fs::read(store.lock_path()).unwrap()).unwrap()
}

/// Rewrite the lock file as if another process had written it.
fn tamper(store: &LocalStore, change: impl FnOnce(&mut LockInfo)) -> LockInfo {
    let mut info = read_lock(store);
    change(&mut info);
    fs::write(store.lock_path(), serde_json::to_vec_pretty(&info).unwrap()).unwrap();
    info
}

/// A pid that no process has: a child that has been waited for.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn lock_file_names_its_holder_and_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let guard = store.lock("apply").unwrap();
    assert_eq!(store.lock_path(), dir.path().join("dev.state.json.lock"));
    assert_eq!(mode(&store.lock_path()), 0o600);

    let info = read_lock(&store);
    assert_eq!(&info, guard.info());
    assert_eq!(info.id, guard.id());
    assert!(uuid::Uuid::parse_str(&info.id).is_ok());
    assert_eq!(info.pid, std::process::id());
    assert_eq!(info.command, "apply");
    assert!(!info.host.is_empty() && !info.user.is_empty());
    // RFC 3339, UTC, to the second: 2025-11-23T18:39:00Z
    assert_eq!(info.created.len(), 20, "{}", info.created);
    assert!(info.created.ends_with('Z'));
    assert!(info.age().is_some());
    assert_eq!(store.lock_holder().unwrap(), Some(info));
}

#[test]
fn lock_creates_the_state_directory() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path().join(".strata/dev.state.json"), "dev");
    let _guard = store.lock("plan").unwrap();
    assert!(store.lock_path().is_file());
}

#[test]
fn a_second_lock_fails_at_once_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let guard = store.lock("apply").unwrap();
    let holder = guard.info().clone();

    let err = store_in(dir.path()).lock("destroy").unwrap_err();
    assert_eq!(err.code(), "state::locked");
    let message = err.to_string();
    for part in [
        &format!("pid {}", holder.pid),
        &format!("{}@{}", holder.user, holder.host),
        "running `apply`",
        &holder.created,
        &format!("lock id {}", holder.id),
        "that process is still running",
        "dev.state.json",
    ] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
    assert!(message.contains(" ago"), "the age: {message}");
    assert!(
        err.help_text()
            .contains(&format!("strata force-unlock DIR --env dev {}", holder.id)),
        "{}",
        text(&err)
    );
    let StateError::Locked(details) = err else {
        unreachable!()
    };
    assert_eq!(details.liveness, Liveness::Running);
    assert_eq!(details.holder, holder);
    // The holder's lock is untouched.
    assert_eq!(read_lock(&store), holder);
}

#[test]
fn dropping_the_guard_releases_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let guard = store.lock("apply").unwrap();
    drop(guard);
    assert!(!store.lock_path().exists());
    let again = store.lock("apply").unwrap();
    again.release().unwrap();
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn only_one_of_many_concurrent_lockers_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dev.state.json");
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (path, barrier) = (path.clone(), barrier.clone());
            thread::spawn(move || {
                let store = LocalStore::new(path, "dev");
                barrier.wait();
                store.lock(&format!("apply {i}")).map(|g| {
                    // Hold it until every thread has tried.
                    thread::sleep(std::time::Duration::from_millis(200));
                    g.release().unwrap();
                })
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(err.code(), "state::locked", "{}", text(err));
    }
}

#[test]
fn a_lock_whose_process_is_gone_is_reported_stale() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let guard = store.lock("apply").unwrap();
    let pid = dead_pid();
    let stale = tamper(&store, |info| info.pid = pid);
    assert_eq!(stale.liveness(), Liveness::Gone);

    let err = store.lock("apply").unwrap_err();
    assert_eq!(err.code(), "state::locked");
    assert!(
        err.to_string().contains(&format!(
            "the lock is stale: pid {pid} is no longer running"
        )),
        "{}",
        text(&err)
    );
    assert!(
        err.help_text()
            .contains(&format!("`strata force-unlock DIR --env dev {}`", stale.id)),
        "{}",
        text(&err)
    );
    // Given the spec folder, the help gives the exact command, quoted for a shell.
    let named = store_in(dir.path()).with_spec_dir("team specs/it's");
    let err = named.lock("apply").unwrap_err();
    assert!(
        err.help_text().contains(&format!(
            "`strata force-unlock 'team specs/it'\\''s' --env dev {}`",
            stale.id
        )),
        "{}",
        text(&err)
    );
    // Reported, not removed.
    assert_eq!(read_lock(&store), stale);
    std::mem::forget(guard);
}

#[test]
fn a_lock_from_another_host_cannot_be_judged() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let guard = store.lock("apply").unwrap();
    tamper(&store, |info| {
        info.host = "ci-runner-7.invalid".into();
        info.user = "ci".into();
    });
    let err = store.lock("apply").unwrap_err();
    assert!(
        err.to_string()
            .contains("taken on another host, so strata cannot tell"),
        "{}",
        text(&err)
    );
    assert!(
        err.help_text().contains("ask ci@ci-runner-7.invalid"),
        "{}",
        text(&err)
    );
    std::mem::forget(guard);
}

#[test]
fn force_unlock_needs_the_right_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let guard = store.lock("apply").unwrap();
    let id = guard.id().to_owned();
    std::mem::forget(guard); // as if the process had been killed

    let wrong = "00000000-0000-4000-8000-000000000000";
    let err = store.force_unlock(wrong).unwrap_err();
    assert_eq!(err.code(), "state::lock_mismatch");
    assert!(err.to_string().contains(wrong), "{err}");
    assert!(
        err.to_string().contains(&format!("whose id is {id}")),
        "{err}"
    );
    assert!(store.lock_path().exists(), "a wrong id removes nothing");

    let removed = store.force_unlock(&id).unwrap();
    assert_eq!(removed.id, id);
    assert!(!store.lock_path().exists());

    let err = store.force_unlock(&id).unwrap_err();
    assert_eq!(err.code(), "state::not_locked");
    store.lock("apply").unwrap();
}

#[test]
fn a_guard_never_removes_a_lock_it_no_longer_holds() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let first = store.lock("apply").unwrap();
    store.force_unlock(first.id()).unwrap();
    let second = store.lock("apply").unwrap();

    let err = first.release().unwrap_err();
    assert_eq!(err.code(), "state::lock_lost");
    assert_eq!(read_lock(&store).id, second.id(), "the second lock is kept");
    drop(second);
    assert!(!store.lock_path().exists());
}

#[test]
fn a_corrupt_lock_is_reported_and_left_alone() {
    for content in ["{\"id\": 12}", "not json at all", ""] {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        fs::write(store.lock_path(), content).unwrap();

        let err = store.lock("apply").unwrap_err();
        assert_eq!(err.code(), "state::lock_corrupt", "{content:?}");
        assert!(err.to_string().contains("dev.state.json.lock"), "{err}");
        assert!(err.help_text().contains("delete"), "{}", text(&err));
        let err = store.force_unlock("anything").unwrap_err();
        assert_eq!(err.code(), "state::lock_corrupt");
        assert_eq!(fs::read_to_string(store.lock_path()).unwrap(), content);
    }
}
