//! Faults between strata and the cloud, through the binary: the emulator behind the
//! fault proxy (strata_testkit::faults), which throttles, answers 500 and 503, drops
//! connections and delays a share of the requests; and an endpoint that is down, from
//! the start or from the middle of an apply.
//!
//! Each test prints its figures (requests seen, faults injected by kind, wall times);
//! `cargo nextest run --test faults --no-capture` shows them. `STRATA_FAULT_SEED` picks
//! another seed for the proxy's draw.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use strata_testkit::faults::{Fault, FaultProxy, Faults};

const REGION: &str = "eu-west-3";

/// 20 resources with dependencies: a VPC with subnets, an internet gateway, two route
/// tables, security groups with inline and standalone rules; buckets with objects (one
/// of 64 kB) and a bucket policy.
const SPEC: &str = r#"
stack network {
    ec2.vpc vpc {
        cidr-block "10.42.0.0/16"
        enable-dns-hostnames #true
        tags Name=faults
    }
    ec2.subnet a {
        vpc-id (ref)"vpc.id"
        cidr-block "10.42.0.0/24"
        availability-zone "${region}a"
    }
    ec2.subnet b {
        vpc-id (ref)"vpc.id"
        cidr-block "10.42.1.0/24"
        availability-zone "${region}b"
    }
    ec2.subnet c {
        vpc-id (ref)"vpc.id"
        cidr-block "10.42.2.0/24"
        availability-zone "${region}c"
    }
    ec2.internet-gateway igw {
        vpc-id (ref)"vpc.id"
    }
    ec2.route-table public {
        vpc-id (ref)"vpc.id"
        route "0.0.0.0/0" gateway-id=(ref)"igw.id"
        subnet-ids (ref)"a.id" (ref)"b.id"
    }
    ec2.route-table private {
        vpc-id (ref)"vpc.id"
        subnet-ids (ref)"c.id"
    }
    ec2.security-group web {
        name faults-web
        description "web servers"
        vpc-id (ref)"vpc.id"
        ingress tcp from-port=443 to-port=443 {
            cidr-blocks "0.0.0.0/0"
        }
    }
    ec2.security-group db {
        name faults-db
        description "database"
        vpc-id (ref)"vpc.id"
        revoke-default-egress #true
    }
    ec2.security-group-ingress db-from-web {
        security-group-id (ref)"db.id"
        protocol tcp
        from-port 5432
        to-port 5432
        source-security-group-id (ref)"web.id"
    }
    ec2.security-group-egress web-to-db {
        security-group-id (ref)"web.id"
        protocol tcp
        from-port 5432
        to-port 5432
        destination-security-group-id (ref)"db.id"
    }
    output vpc-id (ref)"vpc.id"
}

stack storage {
    s3.bucket site {
        bucket "strata-faults-site"
        force-destroy #true
    }
    s3.bucket logs {
        bucket "strata-faults-logs"
        force-destroy #true
        versioning #true
        public-access-block
    }
    s3.object index {
        bucket (ref)"site.bucket"
        key "index.html"
        content "<h1>faults</h1>"
    }
    s3.object app {
        bucket (ref)"site.bucket"
        key "app.js"
        content "console.log('faults')"
    }
    s3.object big {
        bucket (ref)"site.bucket"
        key "big.txt"
        content "${var.big}"
    }
    s3.object readme {
        bucket (ref)"logs.bucket"
        key "README"
        content "logs go here"
    }
    s3.object keep {
        bucket (ref)"logs.bucket"
        key "2025/.keep"
        content "keep"
    }
    s3.object error {
        bucket (ref)"site.bucket"
        key "error.html"
        content "<h1>no</h1>"
        cache-control "no-cache"
    }
    s3.bucket-policy site-policy {
        bucket (ref)"site.bucket"
        statement PublicRead {
            effect Allow
            actions "s3:GetObject"
            resources "${site.arn}/*"
            principal {
                aws "*"
            }
        }
    }
    output site (ref)"site.bucket"
}

variable big type=string
"#;

fn seed() -> u64 {
    std::env::var("STRATA_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2025)
}

/// A spec folder (`spec/` in a temporary directory) whose `local` environment reaches
/// AWS at `endpoint`.
fn project(spec: &str, endpoint: &str) -> (tempfile::TempDir, PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("spec");
    std::fs::create_dir_all(dir.join("env")).unwrap();
    std::fs::write(dir.join("main.kdl"), spec).unwrap();
    // 64 kB, sent with `Content-Length`, and with `aws-chunked` encoding by S3's
    // checksums.
    let big = "0123456789abcdef".repeat(64 * 1024 / 16);
    std::fs::write(
        dir.join("env/local.kdl"),
        format!(
            "environment local {{\n    aws region={REGION} endpoint=\"{endpoint}\"\n    var big \"{big}\"\n}}\n"
        ),
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
        .env("COLUMNS", "200")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_MAX_ATTEMPTS");
    command
}

fn strata(dir: &Path, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let output = command(dir, args).output().expect("strata runs");
    (output, started.elapsed())
}

fn show(output: &Output) -> String {
    format!(
        "--- exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn leftovers(endpoint: &str) -> Vec<String> {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(strata_seed::leftovers(endpoint, REGION))
        .expect("the emulator lists what it holds")
}

#[test]
fn apply_replan_and_destroy_converge_through_20_percent_faults() {
    // Its own emulator: `leftovers` must see only what this test made.
    let emulator = strata_testkit::own_emulator();
    let seed = seed();
    let proxy = FaultProxy::start(&emulator.endpoint, Faults::all(0.2, seed)).unwrap();
    let (_work, dir) = project(SPEC, &proxy.endpoint());
    let mut figures = vec![format!("seed {seed}")];

    let (apply, took) = strata(&dir, &["apply", "--auto-approve"]);
    figures.push(format!(
        "apply {:.1}s: {}",
        took.as_secs_f64(),
        proxy.counts()
    ));
    assert!(
        apply.status.success(),
        "apply did not absorb 20% faults in one run ({}){}",
        figures.join("; "),
        show(&apply)
    );
    let stdout = String::from_utf8_lossy(&apply.stdout);
    assert!(
        stdout.contains(": 20 created, 0 updated, 0 deleted."),
        "{stdout}"
    );

    let before = proxy.counts();
    let (plan, took) = strata(&dir, &["plan", "--detailed-exitcode"]);
    let during = proxy.counts();
    figures.push(format!(
        "plan {:.1}s: {} requests, {} faults",
        took.as_secs_f64(),
        during.requests - before.requests,
        during.faults() - before.faults()
    ));
    assert_eq!(
        plan.status.code(),
        Some(0),
        "the plan after apply, faults still on, is not empty ({}){}",
        figures.join("; "),
        show(&plan)
    );

    let before = proxy.counts();
    let (destroy, took) = strata(&dir, &["destroy", "--auto-approve"]);
    let during = proxy.counts();
    figures.push(format!(
        "destroy {:.1}s: {} requests, {} faults",
        took.as_secs_f64(),
        during.requests - before.requests,
        during.faults() - before.faults()
    ));
    assert!(
        destroy.status.success(),
        "destroy did not absorb 20% faults in one run ({}){}",
        figures.join("; "),
        show(&destroy)
    );
    let counts = proxy.counts();
    figures.push(format!("in all: {counts}"));
    eprintln!("faults figures: {}", figures.join("\n  "));

    let left = leftovers(&emulator.endpoint);
    assert!(left.is_empty(), "destroy left {left:?}");
    // The run was really faulty: not a pass by luck of the draw.
    assert!(
        counts.faults() * 100 >= counts.requests * 15,
        "only {counts}"
    );
    for kind in Fault::ALL {
        assert!(counts.of(kind) > 0, "no {kind:?} injected: {counts}");
    }
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn an_endpoint_nothing_listens_on_stops_each_command_at_once_writing_nothing() {
    let port = closed_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let (_work, dir) = project(SPEC, &endpoint);
    let mut figures = Vec::new();
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve"][..],
        &["destroy", "--auto-approve"][..],
    ] {
        let (out, took) = strata(&dir, args);
        figures.push(format!("{} {:.2}s", args[0], took.as_secs_f64()));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}{}", show(&out));
        assert!(stderr.contains("aws::unreachable"), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "environment `local` cannot reach AWS: nothing answers at {endpoint}/ (connection refused)"
            )) || stderr.contains(&format!(
                "environment `local` cannot reach AWS: nothing answers at {endpoint} (connection refused)"
            )),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("nothing was read or changed"), "{stderr}");
        assert_eq!(
            stderr.matches("Error:").count(),
            1,
            "{args:?}: one diagnostic, not one per resource: {stderr}"
        );
        assert!(
            !dir.join(".strata").exists(),
            "{args:?} wrote into the spec folder"
        );
    }
    eprintln!("endpoint down from the start: {}", figures.join(", "));
}

/// Runs `strata apply` and, once its first resource is created, stops `proxy` (the
/// endpoint goes down mid-apply). Returns the output and the time from the stop to the
/// exit.
fn apply_and_stop_midway(dir: &Path, proxy: &FaultProxy) -> (Output, Duration) {
    use std::io::{BufRead, BufReader};
    let mut child = command(dir, &["apply", "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("strata starts");
    let stdout = child.stdout.take().unwrap();
    let (lines, seen) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line.clone());
            all.push(line);
        }
        all
    });
    let mut stopped = None;
    while let Ok(line) = seen.recv_timeout(Duration::from_secs(120)) {
        if line.contains(": created (") {
            proxy.stop();
            stopped = Some(Instant::now());
            break;
        }
    }
    let stopped = stopped.expect("the apply created a first resource");
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    let status = child.wait().unwrap();
    let took = stopped.elapsed();
    let stdout = reader.join().unwrap().join("\n");
    (
        Output {
            status,
            stdout: stdout.into_bytes(),
            stderr: stderr.into_bytes(),
        },
        took,
    )
}

#[test]
fn an_endpoint_that_goes_down_mid_apply_fails_the_rest_and_the_state_knows_what_exists() {
    // Its own emulator: `leftovers` must see only what this test made.
    let emulator = strata_testkit::own_emulator();
    // Every request takes 300 ms, so that much is still to do when the endpoint goes.
    let proxy =
        FaultProxy::start(&emulator.endpoint, Faults::slow(Duration::from_millis(300))).unwrap();
    let port = proxy.port();
    let (_work, dir) = project(SPEC, &proxy.endpoint());

    let (apply, took) = apply_and_stop_midway(&dir, &proxy);
    let stdout = String::from_utf8_lossy(&apply.stdout);
    let stderr = String::from_utf8_lossy(&apply.stderr);
    assert_eq!(apply.status.code(), Some(1), "{}", show(&apply));
    let created = stdout.matches(": created (").count();
    let failed = stdout.matches(" failed after ").count();
    eprintln!(
        "endpoint down mid-apply: the apply ended {:.1}s after the stop; {created} created, {failed} failed; proxy: {}",
        took.as_secs_f64(),
        proxy.counts()
    );
    assert!(failed > 0, "{}", show(&apply));
    assert!(
        stderr.contains("could not reach the endpoint") && stderr.contains("Connection refused"),
        "the failures say why: {stderr}"
    );

    // The state is valid and records what was created.
    let state_path = dir.join(".strata/local.state.json");
    let state = std::fs::read(&state_path).expect("the apply saved a state");
    let (list, _) = strata(&dir, &["state", "list"]);
    assert!(list.status.success(), "{}", show(&list));
    let listed = String::from_utf8_lossy(&list.stdout).into_owned();
    for line in stdout.lines().filter(|l| l.contains(": created (")) {
        let address = line.split(':').next().unwrap();
        assert!(
            listed
                .lines()
                .any(|l| l.starts_with(&format!("{address} "))),
            "{address} was created and is not in the state:\n{listed}"
        );
    }

    // While the endpoint is down, a new apply stops at once and touches nothing.
    let (again, took_again) = strata(&dir, &["apply", "--auto-approve"]);
    eprintln!(
        "endpoint down, apply with a state: {:.2}s",
        took_again.as_secs_f64()
    );
    assert_eq!(again.status.code(), Some(1), "{}", show(&again));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("aws::unreachable"),
        "{}",
        show(&again)
    );
    assert_eq!(
        std::fs::read(&state_path).unwrap(),
        state,
        "the state is byte for byte what it was"
    );
    assert!(!dir.join(".strata/local.state.json.lock").exists());

    // The endpoint is back: the next apply finishes the job, nothing is made twice.
    let proxy = FaultProxy::start_at(&emulator.endpoint, port, Faults::none()).unwrap();
    let (apply, _) = strata(&dir, &["apply", "--auto-approve"]);
    assert!(apply.status.success(), "{}", show(&apply));
    let (plan, _) = strata(&dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", show(&plan));
    let (destroy, _) = strata(&dir, &["destroy", "--auto-approve"]);
    assert!(destroy.status.success(), "{}", show(&destroy));
    let left = leftovers(&emulator.endpoint);
    assert!(left.is_empty(), "destroy left {left:?}");
    drop(proxy);
}
