//! Reaching AWS, through the binary: without credentials a command that needs the cloud
//! stops before touching anything, with one diagnostic saying what to set.

use std::path::Path;
use std::process::{Command, Output};

fn project(env: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("env")).unwrap();
    std::fs::write(dir.path().join("env/real.kdl"), env).unwrap();
    std::fs::write(
        dir.path().join("main.kdl"),
        "stack app {\n    s3.bucket b { bucket \"strata-access-test\" }\n}\n",
    )
    .unwrap();
    dir
}

/// `strata ARGS` with no AWS settings in the environment and an empty home (no
/// ~/.aws), instance metadata off.
fn strata_without_credentials(dir: &Path, args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .arg(dir)
        .args(["--env", "real"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .output()
        .expect("strata runs")
}

#[test]
fn without_credentials_plan_and_apply_stop_at_once_saying_what_to_set() {
    let dir = project("environment real {\n    aws region=eu-west-3\n}\n");
    let home = tempfile::tempdir().unwrap();
    for args in [&["plan"][..], &["apply", "--auto-approve"][..]] {
        let out = strata_without_credentials(dir.path(), args, home.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("aws::no_credentials"), "{stderr}");
        assert!(
            stderr.contains("environment `real` cannot reach AWS: no AWS credentials were found"),
            "{stderr}"
        );
        assert!(
            stderr.contains("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, set AWS_PROFILE"),
            "{stderr}"
        );
        assert!(
            stderr.contains("real.kdl:1:13"),
            "the label points at the environment: {stderr}"
        );
        assert!(
            !dir.path().join(".strata/real.state.json").exists(),
            "{args:?} wrote a state"
        );
    }
}

#[test]
fn a_profile_that_does_not_exist_is_named() {
    let dir =
        project("environment real {\n    aws region=eu-west-3 profile=strata-no-such-profile\n}\n");
    let home = tempfile::tempdir().unwrap();
    let out = strata_without_credentials(dir.path(), &["plan"], home.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the AWS profile `strata-no-such-profile` gave no credentials"),
        "{stderr}"
    );
    assert!(
        stderr.contains("aws sso login --profile strata-no-such-profile"),
        "{stderr}"
    );
}

#[test]
fn planning_without_refresh_needs_no_credentials() {
    let dir = project("environment real {\n    aws region=eu-west-3\n}\n");
    let home = tempfile::tempdir().unwrap();
    let out = strata_without_credentials(dir.path(), &["plan", "--no-refresh"], home.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Plan: 1 to add"), "{stdout}");
}
