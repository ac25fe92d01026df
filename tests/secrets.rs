//! Secrets through the binary, against the emulator: a sensitive variable, an `(env)`
//! value and a SecureString read from SSM reach the cloud, and none of them appears in
//! plain text in the state file, its backup, the plan file, or any output (human, JSON,
//! markdown plans; apply progress; outputs; `state show`). State and plan files are
//! mode 0600.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const REGION: &str = "eu-west-3";
const FROM_VARIABLE: &str = "pa55-from-variable-7731";
const FROM_ENV: &str = "token-from-process-env-9c1e";
const FROM_SSM: &str = "ssm-secure-string-55e0";

const SPEC: &str = r#"
variable db-password type=string sensitive=#true
stack app {
    s3.bucket b { bucket "strata-secrets-test" }
    s3.object password {
        bucket (ref)"b.bucket"
        key "password.txt"
        content "${var.db-password}"
    }
    s3.object token {
        bucket (ref)"b.bucket"
        key "token.txt"
        content (env)"STRATA_TEST_TOKEN"
    }
    lookup ssm.parameter seeded { name "/app/secret" }
    s3.object from-ssm {
        bucket (ref)"b.bucket"
        key "ssm.txt"
        content (ref)"seeded.value"
    }
    output token (ref)"token.content"
    output bucket (ref)"b.bucket"
}
"#;

fn strata(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("STRATA_TEST_TOKEN", FROM_ENV)
        .current_dir(dir)
        .output()
        .expect("strata runs")
}

fn ok(output: Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "{what} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    stdout + &stderr
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in [FROM_VARIABLE, FROM_ENV, FROM_SSM] {
        assert!(
            !text.contains(secret),
            "{what} holds a secret in plain text"
        );
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn secrets_reach_the_cloud_and_no_file_or_output() {
    let emulator = strata_testkit::emulator();
    emulator.reset().expect("the emulator resets");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(strata_seed::put_secure_parameter(
            &emulator.endpoint,
            REGION,
            "/app/secret",
            FROM_SSM,
        ))
        .unwrap();

    let work = tempfile::tempdir().unwrap();
    let spec = work.path().join("spec");
    std::fs::create_dir_all(spec.join("env")).unwrap();
    std::fs::write(spec.join("main.kdl"), SPEC).unwrap();
    std::fs::write(
        spec.join("env/local.kdl"),
        format!(
            "environment local {{\n    aws region={REGION} endpoint=\"{}\"\n    var db-password \"{FROM_VARIABLE}\"\n}}\n",
            emulator.endpoint
        ),
    )
    .unwrap();
    let dir = work.path();
    let mut seen = Vec::new();

    for format in ["human", "json", "markdown"] {
        let out = ok(
            strata(dir, &["plan", "spec", "--env", "local", "--format", format]),
            "plan",
        );
        seen.push((format!("the {format} plan"), out));
    }
    let out = ok(
        strata(
            dir,
            &["plan", "spec", "--env", "local", "--out", "app.plan"],
        ),
        "plan --out",
    );
    seen.push(("plan --out".into(), out));
    let plan_file = dir.join("app.plan");
    assert_eq!(mode(&plan_file), 0o600, "the plan file's mode");
    seen.push((
        "the plan file".into(),
        String::from_utf8_lossy(&std::fs::read(&plan_file).unwrap()).into_owned(),
    ));

    let out = ok(strata(dir, &["apply", "app.plan"]), "apply app.plan");
    seen.push(("the apply".into(), out));
    // The second apply rewrites the state, so that a backup exists.
    let out = ok(
        strata(dir, &["apply", "spec", "--env", "local", "--auto-approve"]),
        "apply",
    );
    seen.push(("the second apply".into(), out));
    for args in [
        &["output", "spec", "--env", "local"][..],
        &["output", "spec", "--env", "local", "--json"][..],
        &["state", "show", "spec", "--env", "local", "app.token"][..],
        &["state", "show", "spec", "--env", "local", "app.seeded"][..],
    ] {
        let out = ok(strata(dir, args), &args.join(" "));
        seen.push((args.join(" "), out));
    }
    let state = spec.join(".strata/local.state.json");
    assert_eq!(mode(&state), 0o600, "the state file's mode");
    seen.push((
        "the state file".into(),
        std::fs::read_to_string(&state).unwrap(),
    ));
    for entry in std::fs::read_dir(spec.join(".strata")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            seen.push((
                path.display().to_string(),
                String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned(),
            ));
        }
    }
    for (what, text) in &seen {
        assert_no_secret(what, text);
    }

    // The cloud did get every value.
    for (key, secret) in [
        ("password.txt", FROM_VARIABLE),
        ("token.txt", FROM_ENV),
        ("ssm.txt", FROM_SSM),
    ] {
        let body = runtime
            .block_on(strata_seed::object_text(
                &emulator.endpoint,
                REGION,
                "strata-secrets-test",
                key,
            ))
            .unwrap();
        assert_eq!(body, secret, "{key}");
    }

    let out = ok(
        strata(
            dir,
            &["destroy", "spec", "--env", "local", "--auto-approve"],
        ),
        "destroy",
    );
    assert_no_secret("the destroy", &out);
}
