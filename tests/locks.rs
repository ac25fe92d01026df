//! The state lock through the binary, against the emulator behind a slow proxy (so that
//! an apply holds its lock long enough to meet another run): two applies of one spec
//! folder at once, where exactly one proceeds and the other stops at once naming the
//! holder; and a lock left by an apply killed with SIGKILL, which the next apply reports
//! as stale with its holder and the exact `strata force-unlock` command, after which
//! the apply proceeds.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use strata_testkit::faults::{FaultProxy, Faults};

const REGION: &str = "eu-west-3";

/// A chain (VPC, subnet, route table) and two buckets: several seconds of work when
/// every request is slowed down.
const SPEC: &str = r#"
stack app {
    ec2.vpc vpc { cidr-block "10.8.0.0/16" }
    ec2.subnet a {
        vpc-id (ref)"vpc.id"
        cidr-block "10.8.0.0/24"
    }
    ec2.route-table rt {
        vpc-id (ref)"vpc.id"
        subnet-ids (ref)"a.id"
    }
    s3.bucket one { bucket "strata-locks-one" }
    s3.bucket two { bucket "strata-locks-two" }
}
"#;

fn project(endpoint: &str) -> (tempfile::TempDir, PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("spec");
    std::fs::create_dir_all(dir.join("env")).unwrap();
    std::fs::write(dir.join("main.kdl"), SPEC).unwrap();
    std::fs::write(
        dir.join("env/local.kdl"),
        format!("environment local {{\n    aws region={REGION} endpoint=\"{endpoint}\"\n}}\n"),
    )
    .unwrap();
    (work, dir)
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
    command
        .args(args)
        .arg(dir)
        .args(["--env", "local"])
        .env("NO_COLOR", "1")
        .env("COLUMNS", "400")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID");
    command
}

fn strata(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("strata runs")
}

fn spawn_apply(dir: &Path) -> Child {
    command(dir, &["apply", "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("strata starts")
}

fn show(output: &Output) -> String {
    format!(
        "--- exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn lock_path(dir: &Path) -> PathBuf {
    dir.join(".strata/local.state.json.lock")
}

/// The lock file's JSON once `child` has taken it; panics if it ends first.
fn wait_for_lock(dir: &Path, child: &mut Child) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(text) = std::fs::read_to_string(lock_path(dir))
            && let Ok(lock) = serde_json::from_str(&text)
        {
            return lock;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the apply ended ({status}) before it was seen holding the lock");
        }
        assert!(Instant::now() < deadline, "no lock after 120 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn field<'a>(lock: &'a serde_json::Value, name: &str) -> &'a str {
    lock[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {lock}"))
}

fn leftovers(endpoint: &str) -> Vec<String> {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(strata_seed::leftovers(endpoint, REGION))
        .expect("the emulator lists what it holds")
}

#[test]
fn of_two_applies_at_once_one_proceeds_and_the_other_stops_naming_the_holder() {
    let emulator = strata_testkit::own_emulator();
    let proxy =
        FaultProxy::start(&emulator.endpoint, Faults::slow(Duration::from_secs(1))).unwrap();
    let (_work, dir) = project(&proxy.endpoint());

    let mut first = spawn_apply(&dir);
    let lock = wait_for_lock(&dir, &mut first);
    assert_eq!(lock["pid"].as_u64(), Some(u64::from(first.id())), "{lock}");
    assert_eq!(field(&lock, "command"), "apply");

    let second = strata(&dir, &["apply", "--auto-approve"]);
    assert!(
        first.try_wait().unwrap().is_none(),
        "the second apply did not stop while the first held the lock: {}",
        show(&second)
    );
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{}", show(&second));
    assert!(stderr.contains("state::locked"), "{stderr}");
    for part in [
        format!("pid {}", first.id()),
        format!("@{}", field(&lock, "host")),
        "running `apply`".to_owned(),
        format!("lock id {}", field(&lock, "id")),
        "that process is still running".to_owned(),
        format!(
            "`strata force-unlock {} --env local {}`",
            dir.display(),
            field(&lock, "id")
        ),
    ] {
        assert!(stderr.contains(&part), "{part:?} missing from:\n{stderr}");
    }
    assert!(!String::from_utf8_lossy(&second.stdout).contains("creating"));

    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", show(&first));
    assert!(
        String::from_utf8_lossy(&first.stdout).contains(": 5 created, 0 updated, 0 deleted."),
        "{}",
        show(&first)
    );
    assert!(
        !lock_path(&dir).exists(),
        "the first apply released its lock"
    );

    proxy.set_faults(Faults::none());
    let destroy = strata(&dir, &["destroy", "--auto-approve"]);
    assert!(destroy.status.success(), "{}", show(&destroy));
    let left = leftovers(&emulator.endpoint);
    assert!(left.is_empty(), "left {left:?}");
}

#[test]
fn a_lock_left_by_a_killed_apply_is_reported_stale_and_force_unlock_clears_it() {
    let emulator = strata_testkit::own_emulator();
    // Requests wait 2 s before being forwarded: the apply is killed while its first
    // creates wait, and the proxy stopped, so that none of them reaches the emulator.
    let proxy =
        FaultProxy::start(&emulator.endpoint, Faults::slow(Duration::from_secs(2))).unwrap();
    let port = proxy.port();
    let (_work, dir) = project(&proxy.endpoint());

    let mut killed = spawn_apply(&dir);
    let lock = wait_for_lock(&dir, &mut killed);
    killed.kill().expect("SIGKILL");
    let status = killed.wait().unwrap();
    proxy.stop();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "killed by SIGKILL"
    );
    assert!(lock_path(&dir).exists(), "a killed run leaves its lock");
    let proxy = FaultProxy::start_at(&emulator.endpoint, port, Faults::none()).unwrap();
    let id = field(&lock, "id").to_owned();

    let refused = strata(&dir, &["apply", "--auto-approve"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{}", show(&refused));
    assert!(stderr.contains("state::locked"), "{stderr}");
    let unlock = format!("strata force-unlock {} --env local {id}", dir.display());
    for part in [
        format!("pid {}", lock["pid"]),
        "running `apply`".to_owned(),
        format!(
            "the lock is stale: pid {} is no longer running on {}",
            lock["pid"],
            field(&lock, "host")
        ),
        format!("`{unlock}`"),
    ] {
        assert!(stderr.contains(&part), "{part:?} missing from:\n{stderr}");
    }
    // The killed run may have saved its pending creates (each is saved before its call):
    // if it did, the state loads and holds no resource, since no call got through.
    let store = strata_state::LocalStore::new(dir.join(".strata/local.state.json"), "local");
    let state = store.load().expect("the state a killed run leaves loads");
    assert!(
        state.as_ref().is_none_or(|s| s.resources.is_empty()),
        "{state:?}"
    );

    // The command as the help gives it.
    let cleared = Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("force-unlock")
        .arg(&dir)
        .args(["--env", "local", &id])
        .output()
        .unwrap();
    assert!(cleared.status.success(), "{}", show(&cleared));
    assert!(
        String::from_utf8_lossy(&cleared.stdout).contains(&format!("removed the lock {id}")),
        "{}",
        show(&cleared)
    );
    assert!(!lock_path(&dir).exists());

    let apply = strata(&dir, &["apply", "--auto-approve"]);
    assert!(apply.status.success(), "{}", show(&apply));
    assert!(
        String::from_utf8_lossy(&apply.stdout).contains(": 5 created, 0 updated, 0 deleted."),
        "{}",
        show(&apply)
    );
    let destroy = strata(&dir, &["destroy", "--auto-approve"]);
    assert!(destroy.status.success(), "{}", show(&destroy));
    let left = leftovers(&emulator.endpoint);
    assert!(left.is_empty(), "left {left:?}");
    drop(proxy);
}
