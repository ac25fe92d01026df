//! Secrets through the binary, against the emulator: a sensitive variable, an `(env)`
//! value, a SecureString read from SSM and a Secrets Manager value AWS generated (read
//! into a dependent through `lookup secretsmanager.secret-value`) reach the cloud, and
//! none of them appears in plain text in the state file, its backup, the plan file, or
//! any output (human, JSON, markdown plans before and after the apply; apply progress;
//! outputs; `state show`). State and plan files are mode 0600.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const REGION: &str = "eu-west-3";
const FROM_VARIABLE: &str = "pa55-from-variable-7731";
const FROM_ENV: &str = "token-from-process-env-9c1e";
const FROM_SSM: &str = "ssm-secure-string-55e0";
/// The name of the secret whose value AWS generates: strata never knows it beyond the
/// call that stores it; the test reads it from the emulator after the run.
const GENERATED: &str = "strata-secrets-test/jwt";

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
    // Alphanumeric only, so that the value reads the same in every output format (no
    // JSON or markdown escaping could hide a leak from the search below).
    secretsmanager.secret jwt {
        name "strata-secrets-test/jwt"
        generate length=48 exclude-punctuation=#true
        recovery-window-in-days 0
    }
    lookup secretsmanager.secret-value jwt-value { secret-id (ref)"jwt.arn" }
    s3.object generated {
        bucket (ref)"b.bucket"
        key "generated.txt"
        content (ref)"jwt-value.secret-string"
    }
    output token (ref)"token.content"
    output jwt (ref)"jwt-value.secret-string"
    output jwt-arn (ref)"jwt.arn"
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

fn assert_no_secret(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
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
    // Now the lookups hold values: plans read them again.
    for format in ["human", "json", "markdown"] {
        let out = ok(
            strata(dir, &["plan", "spec", "--env", "local", "--format", format]),
            "plan",
        );
        seen.push((format!("the {format} plan after the apply"), out));
    }
    for args in [
        &["output", "spec", "--env", "local"][..],
        &["output", "spec", "--env", "local", "--json"][..],
        &["state", "show", "spec", "--env", "local", "app.token"][..],
        &["state", "show", "spec", "--env", "local", "app.seeded"][..],
        &["state", "show", "spec", "--env", "local", "app.jwt"][..],
        &["state", "show", "spec", "--env", "local", "app.jwt-value"][..],
        &["state", "show", "spec", "--env", "local", "app.generated"][..],
        &["state", "list", "spec", "--env", "local"][..],
    ] {
        let out = ok(strata(dir, args), &args.join(" "));
        seen.push((args.join(" "), out));
    }
    // A sensitive output is never printed, not even alone.
    let refused = strata(dir, &["output", "spec", "--env", "local", "app.jwt"]);
    assert!(
        !refused.status.success(),
        "`output app.jwt` printed a sensitive output"
    );
    seen.push((
        "output app.jwt".into(),
        String::from_utf8_lossy(&refused.stdout).into_owned()
            + &String::from_utf8_lossy(&refused.stderr),
    ));
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
    // The value AWS generated, as a consumer of the secret reads it.
    let generated = runtime
        .block_on(strata_seed::secret_value(
            &emulator.endpoint,
            REGION,
            GENERATED,
        ))
        .unwrap();
    assert_eq!(generated.len(), 48, "the generated value's length");
    let secrets = [FROM_VARIABLE, FROM_ENV, FROM_SSM, generated.as_str()];
    for (what, text) in &seen {
        assert_no_secret(what, text, &secrets);
    }

    // The cloud did get every value.
    for (key, secret) in [
        ("password.txt", FROM_VARIABLE),
        ("token.txt", FROM_ENV),
        ("ssm.txt", FROM_SSM),
        ("generated.txt", generated.as_str()),
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
    assert_no_secret("the destroy", &out, &secrets);
    // recovery-window-in-days 0: the secret is gone at once, its name free again
    assert!(
        runtime
            .block_on(strata_seed::secret_value(
                &emulator.endpoint,
                REGION,
                GENERATED
            ))
            .is_err(),
        "the generated secret outlived the destroy"
    );
}
