//! The crash harness: strata is killed in the middle of `apply` and `destroy`, at
//! seeded random moments, and must never lose track of a resource nor corrupt its state.
//!
//! Each trial, against this test's own emulator, with a spec of 43 resources in two
//! stacks (a VPC with its gateway, subnets, route tables, security groups and their
//! rules, elastic IPs, a DB subnet group; buckets and objects):
//! 1. `apply` is signalled (SIGKILL, or SIGINT for the graceful trials) once it has
//!    printed a random number of progress lines, after a random extra delay;
//! 2. the state file must parse, and everything the emulator holds must be in it or be
//!    explained by one of its pending creates (an SDK census, `strata_seed::inventory`);
//!    after SIGINT the exit status is 130 and the lock is gone, after SIGKILL the next
//!    `apply` must refuse with the lock reported stale, and `force-unlock` clears it;
//! 3. a new `apply` converges: the state then holds exactly what the emulator holds
//!    (zero orphans, nothing missing), and a `plan --detailed-exitcode` is empty;
//! 4. `destroy` is signalled the same way, the state checked again, and a last
//!    `destroy` must leave the emulator empty.
//!
//! The figures (trials, signals, states checked, corrupt states, orphans, untracked
//! resources explained by pending creates, interrupted creates adopted, operations
//! redone) are printed at the end; any orphan or corrupt state fails the test.
//! `STRATA_CRASH_SEED` and `STRATA_CRASH_TRIALS` override the seed and trial count.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use strata_seed::{Item, inventory};
use strata_state::{LocalStore, State};

const REGION: &str = "eu-west-3";
const ENVIRONMENT: &str = "local";

/// The environment, pointed at the emulator on `port`.
fn environment(port: u16) -> String {
    format!(
        "environment local {{\n    aws region={REGION} endpoint=\"http://127.0.0.1:{port}\"\n    state path=\".strata/local.state.json\"\n}}\n"
    )
}

/// The spec: 43 resources, with references inside each stack.
fn spec() -> String {
    let mut s = String::from("stack network {\n");
    s.push_str(
        "    ec2.vpc vpc {\n        cidr-block \"10.20.0.0/16\"\n        tags Name=crash\n    }\n",
    );
    s.push_str("    ec2.internet-gateway igw {\n        vpc-id (ref)\"vpc.id\"\n    }\n");
    for i in 0..8 {
        let zone = ["a", "b", "c"][i % 3];
        s.push_str(&format!(
            "    ec2.subnet s{i} {{\n        vpc-id (ref)\"vpc.id\"\n        cidr-block \"10.20.{i}.0/24\"\n        availability-zone \"{REGION}{zone}\"\n    }}\n"
        ));
    }
    s.push_str("    ec2.route-table public {\n        vpc-id (ref)\"vpc.id\"\n        route \"0.0.0.0/0\" gateway-id=(ref)\"igw.id\"\n        subnet-ids (ref)\"s0.id\" (ref)\"s1.id\" (ref)\"s2.id\" (ref)\"s3.id\"\n    }\n");
    s.push_str("    ec2.route-table private {\n        vpc-id (ref)\"vpc.id\"\n        subnet-ids (ref)\"s4.id\" (ref)\"s5.id\" (ref)\"s6.id\" (ref)\"s7.id\"\n    }\n");
    for i in 0..6 {
        s.push_str(&format!(
            "    ec2.security-group g{i} {{\n        name \"crash-g{i}\"\n        description \"crash group {i}\"\n        vpc-id (ref)\"vpc.id\"\n    }}\n"
        ));
    }
    for i in 0..6 {
        let peer = (i + 1) % 6;
        s.push_str(&format!(
            "    ec2.security-group-ingress r{i} {{\n        security-group-id (ref)\"g{i}.id\"\n        protocol tcp\n        from-port {port}\n        to-port {port}\n        source-security-group-id (ref)\"g{peer}.id\"\n    }}\n",
            port = 8000 + i
        ));
    }
    for i in 0..2 {
        s.push_str(&format!(
            "    ec2.elastic-ip e{i} {{\n        domain vpc\n        tags Name=crash-e{i}\n    }}\n"
        ));
    }
    s.push_str("    rds.subnet-group db {\n        name crash-db\n        description \"crash database subnets\"\n        subnet-ids (ref)\"s4.id\" (ref)\"s5.id\" (ref)\"s6.id\"\n    }\n}\n\nstack storage {\n");
    for i in 0..4 {
        s.push_str(&format!(
            "    s3.bucket b{i} {{\n        bucket \"strata-crash-b{i}\"\n        force-destroy #true\n    }}\n"
        ));
    }
    for i in 0..12 {
        s.push_str(&format!(
            "    s3.object o{i} {{\n        bucket (ref)\"b{b}.bucket\"\n        key \"objects/o{i}.txt\"\n        content \"object number {i}\"\n    }}\n",
            b = i % 4
        ));
    }
    s.push_str("}\n");
    s
}

const RESOURCES: usize = 43;

/// splitmix64: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Signal {
    Kill,
    Interrupt,
}

impl Signal {
    fn name(self) -> &'static str {
        match self {
            Signal::Kill => "KILL",
            Signal::Interrupt => "INT",
        }
    }
}

#[derive(Default)]
struct Figures {
    trials: usize,
    signals_sent: usize,
    finished_before_signal: usize,
    states_checked: usize,
    corrupt_states: usize,
    orphans: usize,
    missing: usize,
    untracked_explained_by_pending: usize,
    stale_locks_cleared: usize,
    adopted: usize,
    operations_converged: usize,
    wall: Duration,
}

struct Work {
    dir: PathBuf,
    endpoint: String,
}

impl Work {
    fn strata(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
        command
            .args(args)
            .arg(&self.dir)
            .args(["--env", ENVIRONMENT])
            .env("NO_COLOR", "1")
            // Wide enough that no message is wrapped: the checks look for ids in it.
            .env("COLUMNS", "1000")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.strata(args).output().expect("strata runs")
    }

    fn store(&self) -> LocalStore {
        LocalStore::new(self.dir.join(".strata/local.state.json"), ENVIRONMENT)
    }

    fn census(&self, runtime: &tokio::runtime::Runtime) -> Vec<Item> {
        runtime
            .block_on(inventory(&self.endpoint, REGION))
            .unwrap_or_else(|e| panic!("listing the emulator: {e}"))
    }
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Every cloud id the state knows: records, deposed instances, and each id of a
/// comma-joined list (a rule with several peers).
fn state_ids(state: &State) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for record in state.resources.values() {
        ids.extend(record.id.split(',').map(str::to_owned));
        ids.extend(record.deposed.iter().cloned());
    }
    ids
}

/// Runs `args` and signals the process once it has printed `lines` progress lines
/// (`address: creating...`, `address: created after ...`) and `delay` more has passed.
/// Returns its exit status and output, and whether the signal was sent before it ended.
fn run_and_signal(
    work: &Work,
    args: &[&str],
    signal: Signal,
    lines: u64,
    delay: Duration,
) -> (ExitStatus, String, bool, u64) {
    let mut child: Child = work
        .strata(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("strata starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let mut seen = 0;
    let mut printed = String::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    while seen < lines {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => {
                seen += u64::from(is_progress(&line));
                printed.push_str(&line);
                printed.push('\n');
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                assert!(Instant::now() < deadline, "strata hung:\n{printed}");
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    std::thread::sleep(delay);
    let signalled = matches!(child.try_wait(), Ok(None));
    if signalled {
        let status = Command::new("kill")
            .arg(format!("-{}", signal.name()))
            .arg(child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{} failed", signal.name());
    }
    let status = child.wait().expect("strata ends");
    reader.join().expect("stdout reader");
    let stderr = errors.join().expect("stderr reader");
    for line in rx.try_iter() {
        seen += u64::from(is_progress(&line));
        printed.push_str(&line);
        printed.push('\n');
    }
    (
        status,
        format!("{printed}--- stderr\n{stderr}"),
        signalled,
        seen,
    )
}

/// A progress line: `address: creating...`, `address: created after 0.1s (id)`.
fn is_progress(line: &str) -> bool {
    line.contains("...") || line.contains(" after ")
}

/// After a signal: the state parses and every resource in the emulator is either in it
/// or explained by a pending create. Returns the problems found.
fn check_after_signal(
    work: &Work,
    runtime: &tokio::runtime::Runtime,
    figures: &mut Figures,
    context: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    figures.states_checked += 1;
    let state = match work.store().load() {
        Ok(state) => state.unwrap_or_else(|| State::new(ENVIRONMENT)),
        Err(e) => {
            figures.corrupt_states += 1;
            return vec![format!("{context}: the state does not load: {e}")];
        }
    };
    let known = state_ids(&state);
    let untracked: Vec<Item> = work
        .census(runtime)
        .into_iter()
        .filter(|item| !known.contains(&item.id))
        .collect();
    // A create the process did not live to record is in `pending`, and the next plan
    // finds it; more untracked resources than pending creates are orphans.
    if untracked.len() > state.pending.len() {
        figures.orphans += untracked.len() - state.pending.len();
        problems.push(format!(
            "{context}: {} resources are in the emulator but not in the state, and only {} creates are pending: {untracked:?}",
            untracked.len(),
            state.pending.len()
        ));
    } else {
        figures.untracked_explained_by_pending += untracked.len();
    }
    problems
}

/// After SIGKILL the lock is left behind: the next command must report it stale,
/// naming its holder, and `force-unlock` must clear it.
fn clear_stale_lock(work: &Work, figures: &mut Figures) -> Result<(), String> {
    let Some(holder) = work
        .store()
        .lock_holder()
        .map_err(|e| format!("the lock file does not read: {e}"))?
    else {
        return Ok(());
    };
    let refused = work.run(&["apply", "--auto-approve"]);
    let said = text(&refused);
    if refused.status.success()
        || !said.contains("stale")
        || !said.contains(&holder.pid.to_string())
        || !said.contains(&holder.id)
    {
        return Err(format!(
            "an apply with a stale lock must be refused, naming the lock stale with its holder (pid {}) and id:\n{said}",
            holder.pid
        ));
    }
    let unlocked = Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("force-unlock")
        .arg(&work.dir)
        .args(["--env", ENVIRONMENT, &holder.id])
        .output()
        .expect("strata runs");
    if !unlocked.status.success() {
        return Err(format!("force-unlock failed:\n{}", text(&unlocked)));
    }
    figures.stale_locks_cleared += 1;
    Ok(())
}

/// Converges with `apply`, then checks that state and emulator hold exactly the same
/// resources and that a new plan is empty.
fn converge(
    work: &Work,
    runtime: &tokio::runtime::Runtime,
    figures: &mut Figures,
    context: &str,
) -> Vec<String> {
    let applied = work.run(&["apply", "--auto-approve"]);
    let said = text(&applied);
    if !applied.status.success() {
        return vec![format!("{context}: apply did not converge:\n{said}")];
    }
    figures.adopted += said.matches("adopted into the state").count();
    figures.operations_converged += said
        .lines()
        .filter(|l| l.ends_with("creating...") || l.contains(": creating... ("))
        .count();
    let mut problems = Vec::new();
    let state = match work.store().load() {
        Ok(Some(state)) => state,
        other => return vec![format!("{context}: no state after apply: {other:?}")],
    };
    if !state.pending.is_empty() {
        problems.push(format!(
            "{context}: pending creates left after a successful apply: {:?}",
            state.pending.keys().collect::<Vec<_>>()
        ));
    }
    let known = state_ids(&state);
    let census = work.census(runtime);
    let in_cloud: BTreeSet<String> = census.iter().map(|i| i.id.clone()).collect();
    let orphans: Vec<&Item> = census.iter().filter(|i| !known.contains(&i.id)).collect();
    if !orphans.is_empty() {
        figures.orphans += orphans.len();
        problems.push(format!("{context}: orphans after apply: {orphans:?}"));
    }
    let missing: Vec<&String> = known.iter().filter(|id| !in_cloud.contains(*id)).collect();
    // Every type of the crash spec has a census entry, so every id the state holds must
    // be in the census too (a spec with bucket policies would need them listed).
    if !missing.is_empty() {
        figures.missing += missing.len();
        problems.push(format!(
            "{context}: the state holds resources the emulator does not: {missing:?}"
        ));
    }
    if state.resources.len() != RESOURCES {
        problems.push(format!(
            "{context}: {} resources in the state after apply, expected {RESOURCES}",
            state.resources.len()
        ));
    }
    let plan = work.run(&["plan", "--detailed-exitcode"]);
    if plan.status.code() != Some(0) {
        problems.push(format!(
            "{context}: the plan after apply is not empty:\n{}",
            text(&plan)
        ));
    }
    problems
}

fn trials(signal: Signal, default_trials: usize, seed_offset: u64) {
    let started = Instant::now();
    let emulator = strata_testkit::emulator();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let seed: u64 = std::env::var("STRATA_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261204)
        + seed_offset;
    let count: usize = std::env::var("STRATA_CRASH_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_trials);
    let mut rng = Rng(seed);
    let mut figures = Figures::default();
    let mut problems: Vec<String> = Vec::new();
    let home = tempfile::tempdir().expect("a temporary directory");

    // A baseline run, unsignalled, counts the progress lines of a whole apply and a
    // whole destroy: the signals are spread over those.
    emulator.reset().expect("the emulator resets");
    let baseline = home.path().join("baseline");
    std::fs::create_dir_all(baseline.join("env")).unwrap();
    std::fs::write(baseline.join("main.kdl"), spec()).unwrap();
    std::fs::write(baseline.join("env/local.kdl"), environment(emulator.port)).unwrap();
    let work = Work {
        dir: baseline,
        endpoint: emulator.endpoint.clone(),
    };
    let mut span = [0u64; 2];
    for (i, verb) in ["apply", "destroy"].into_iter().enumerate() {
        let (status, said, _, seen) = run_and_signal(
            &work,
            &[verb, "--auto-approve"],
            signal,
            u64::MAX,
            Duration::ZERO,
        );
        assert!(status.success(), "the baseline {verb} failed:\n{said}");
        span[i] = seen;
    }
    println!(
        "baseline: apply prints {} progress lines, destroy {}",
        span[0], span[1]
    );

    for trial in 0..count {
        emulator.reset().expect("the emulator resets");
        let dir = home.path().join(format!("trial-{trial}"));
        std::fs::create_dir_all(dir.join("env")).unwrap();
        std::fs::write(dir.join("main.kdl"), spec()).unwrap();
        std::fs::write(dir.join("env/local.kdl"), environment(emulator.port)).unwrap();
        let work = Work {
            dir,
            endpoint: emulator.endpoint.clone(),
        };
        figures.trials += 1;
        let context = |phase: &str| format!("trial {trial} ({} during {phase})", signal.name());

        // Apply, signalled part-way: each resource prints two progress lines.
        let lines = rng.between(1, span[0].saturating_sub(1).max(1));
        let delay = Duration::from_millis(rng.between(0, 25));
        let (status, said, signalled, _) =
            run_and_signal(&work, &["apply", "--auto-approve"], signal, lines, delay);
        figures.signals_sent += usize::from(signalled);
        figures.finished_before_signal += usize::from(!signalled);
        println!(
            "trial {trial:>2}: apply   SIG{:<4} after {lines:>2} lines + {:>2} ms: {}",
            signal.name(),
            delay.as_millis(),
            describe(status, signalled)
        );
        problems.extend(check_signalled(
            &work,
            signal,
            status,
            signalled,
            &said,
            &context("apply"),
        ));
        problems.extend(check_after_signal(
            &work,
            &runtime,
            &mut figures,
            &context("apply"),
        ));
        if let Err(e) = clear_stale_lock(&work, &mut figures) {
            problems.push(format!("{}: {e}", context("apply")));
        }
        let found = converge(&work, &runtime, &mut figures, &context("apply"));
        let converged = found.is_empty();
        problems.extend(found);
        if !converged {
            continue;
        }

        // Destroy, signalled part-way.
        let lines = rng.between(1, span[1].saturating_sub(1).max(1));
        let delay = Duration::from_millis(rng.between(0, 25));
        let (status, said, signalled, _) =
            run_and_signal(&work, &["destroy", "--auto-approve"], signal, lines, delay);
        figures.signals_sent += usize::from(signalled);
        figures.finished_before_signal += usize::from(!signalled);
        println!(
            "trial {trial:>2}: destroy SIG{:<4} after {lines:>2} lines + {:>2} ms: {}",
            signal.name(),
            delay.as_millis(),
            describe(status, signalled)
        );
        problems.extend(check_signalled(
            &work,
            signal,
            status,
            signalled,
            &said,
            &context("destroy"),
        ));
        problems.extend(check_after_signal(
            &work,
            &runtime,
            &mut figures,
            &context("destroy"),
        ));
        if let Err(e) = clear_stale_lock(&work, &mut figures) {
            problems.push(format!("{}: {e}", context("destroy")));
        }
        let destroyed = work.run(&["destroy", "--auto-approve"]);
        if !destroyed.status.success() {
            problems.push(format!(
                "{}: the last destroy failed:\n{}",
                context("destroy"),
                text(&destroyed)
            ));
            continue;
        }
        let left = work.census(&runtime);
        if !left.is_empty() {
            figures.orphans += left.len();
            problems.push(format!(
                "{}: the emulator is not empty after destroy: {left:?}",
                context("destroy")
            ));
        }
        match work.store().load() {
            Ok(Some(state)) if state.resources.is_empty() && state.pending.is_empty() => {}
            other => problems.push(format!(
                "{}: the state is not empty after destroy: {other:?}",
                context("destroy")
            )),
        }
    }
    figures.wall = started.elapsed();
    print_figures(signal, seed, &figures);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    assert!(
        figures.signals_sent >= count,
        "too few signals reached a running strata ({} of {} runs): the harness is not testing anything",
        figures.signals_sent,
        2 * count
    );
    assert_eq!(figures.orphans, 0);
    assert_eq!(figures.corrupt_states, 0);
}

fn describe(status: ExitStatus, signalled: bool) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (signalled, status.code(), status.signal()) {
        (false, code, _) => format!("finished first (exit {code:?})"),
        (true, Some(code), _) => format!("exit {code}"),
        (true, None, Some(signal)) => format!("killed by signal {signal}"),
        (true, None, None) => "ended".into(),
    }
}

/// SIGINT is graceful: exit 130 (or 0 when the work was already done) and no lock
/// left. SIGKILL ends the process at once.
fn check_signalled(
    work: &Work,
    signal: Signal,
    status: ExitStatus,
    signalled: bool,
    said: &str,
    context: &str,
) -> Vec<String> {
    if !signalled {
        return if status.success() {
            Vec::new()
        } else {
            vec![format!("{context}: the run failed on its own:\n{said}")]
        };
    }
    let mut problems = Vec::new();
    if signal == Signal::Interrupt {
        if !matches!(status.code(), Some(130) | Some(0)) {
            problems.push(format!(
                "{context}: after SIGINT the exit status is {:?}, not 130:\n{said}",
                status.code()
            ));
        }
        if matches!(work.store().lock_holder(), Ok(Some(_))) {
            problems.push(format!("{context}: after SIGINT the lock is still held"));
        }
    }
    problems
}

fn print_figures(signal: Signal, seed: u64, f: &Figures) {
    println!(
        "\ncrash harness (SIG{}), seed {seed}: {} trials, {} signals sent to a running strata ({} runs finished first), {} states checked, {} corrupt, {} orphans, {} missing; {} untracked resources explained by pending creates, {} interrupted creates adopted, {} stale locks cleared, {} operations done by the converging applies; {:.1} s",
        signal.name(),
        f.trials,
        f.signals_sent,
        f.finished_before_signal,
        f.states_checked,
        f.corrupt_states,
        f.orphans,
        f.missing,
        f.untracked_explained_by_pending,
        f.adopted,
        f.stale_locks_cleared,
        f.operations_converged,
        f.wall.as_secs_f64()
    );
}

#[test]
fn sigkill_during_apply_and_destroy_never_orphans_a_resource_nor_corrupts_the_state() {
    trials(Signal::Kill, 20, 0);
}

#[test]
fn sigint_during_apply_and_destroy_exits_130_releases_the_lock_and_loses_nothing() {
    trials(Signal::Interrupt, 8, 1_000);
}

#[test]
fn the_crash_spec_has_the_resources_it_claims() {
    let text = spec();
    let declared = text
        .lines()
        .filter(|l| l.starts_with("    ") && !l.starts_with("     ") && l.ends_with('{'))
        .count();
    assert_eq!(declared, RESOURCES, "{text}");
    assert!(Path::new(env!("CARGO_BIN_EXE_strata")).exists());
}
