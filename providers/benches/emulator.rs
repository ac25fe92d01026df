//! strata against the limits of the cloud it talks to (the local emulator), in one run:
//!
//! (a) the emulator's ceiling: the fastest a bare SDK loop reads N resources (subnets,
//!     security groups, S3 objects), making exactly the calls strata's reads make,
//!     at each concurrency from 1 to 64 — the best is the ceiling;
//! (b) strata's refresh of the same N resources: a whole `strata plan` in process
//!     (load and check the spec, connect and check access, read the state, refresh
//!     every resource, plan). Each refresh is bracketed by the bare loop at (a)'s best
//!     concurrency, read right before and right after it, and compared with their mean
//!     (the emulator's speed drifts over a run); the median of 5 trials counts. The
//!     calls it makes are counted through a pass-through proxy and must equal the bare
//!     loop's;
//! (c) strata's apply of a spec with a known dependency graph — a chain of 40 resources
//!     (subnet → group → object → subnet ...), each referring to the one before; then
//!     the same with a leaf hanging off every other link — against the lower bound of
//!     its critical path: every operation's latency is measured alone (the same spec
//!     applied with parallelism 1), and the bound is the longest path of the graph
//!     weighted by those latencies. The apply is timed whole: spec load, access check,
//!     lock, state, plan, operations, state saves (fsync'd journal), compaction. Each
//!     trial brackets the apply by two such bounds, right before and right after it,
//!     and compares it with their mean; the median of 5 trials counts.
//!
//! (d) the same refresh against an endpoint that throttles beyond 4 requests at once
//!     (a pass-through proxy): the bare loop at a fixed 16 against strata's paced
//!     refresh, their times and the throttling answers each drew.
//!
//! Prints b/a and c/bound, and appends them to the file `STRATA_BENCH_SUMMARY` names, for
//! `make bench`'s one table. Needs the emulator (`make emulator`); fails saying so
//! without it. `STRATA_BENCH_N` sets N (default 1,000); `STRATA_BENCH_ONLY=refresh,throttled,apply`
//! runs only those parts ((a)+(b), (d), (c)). Run with
//! `cargo bench -p strata-providers --bench emulator`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_s3::primitives::ByteStream;
use strata_engine::apply::{ApplyOptions, Cancel, Event, Operation};
use strata_engine::plan::{Action, PlanKind, PlanOptions};
use strata_engine::spec::{self, Spec};
use strata_engine::workflow::{self, Outcome, PlanSource};
use strata_state::LocalStore;
use strata_testkit::faults::{Fault, FaultProxy, Faults};

const REGION: &str = "eu-west-3";
const ENV: &str = "bench";
const CONCURRENCY: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];
const CHAIN: usize = 40;
const REPEAT: usize = 3;
/// Trials of (b) and (c), each bracketed by its bound; the median counts.
const TRIALS: usize = 5;
/// The requests at once the rate-limited endpoint of (d) serves.
const LIMITED: usize = 4;

fn main() {
    // `cargo bench` passes `--bench`; nothing else is understood.
    let n: usize = std::env::var("STRATA_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    // STRATA_BENCH_ONLY=refresh,throttled,apply runs only those parts.
    let only = std::env::var("STRATA_BENCH_ONLY").unwrap_or_default();
    let wants = |part: &str| only.is_empty() || only.split(',').any(|p| p.trim() == part);
    let emulator = strata_testkit::own_emulator();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut summary = Vec::new();

    println!(
        "strata against the emulator (moto {}), {n} resources\n",
        strata_testkit::MOTO_VERSION
    );
    rt.block_on(async {
        let sdk = Sdk::new(&emulator.endpoint).await;
        sdk.warm_up().await;

        if wants("refresh") || wants("throttled") {
            // The N resources, applied by strata.
            let seeded = sdk.seed().await;
            let project = Project::new(&emulator.endpoint, &refresh_spec(n, &seeded));
            let started = Instant::now();
            let report = project.apply(16).await;
            let apply_n = started.elapsed();
            let items = Items::from_state(&project.store().load().unwrap().unwrap());
            assert_eq!(items.len(), n, "every resource applied");
            println!("seeded by `strata apply` of {n} resources (parallelism 16): {:.2} s, {} operations", apply_n.as_secs_f64(), report);

            if wants("refresh") {
                // (a) the ceiling.
                println!("\n(a) bare SDK loop reading the same {n} resources (the calls strata's reads make)");
                println!("{:>12} {:>10} {:>12} {:>8}", "concurrency", "wall", "reads/s", "calls");
                let mut best: Option<(usize, Duration)> = None;
                let mut ceiling_calls = 0;
                for c in CONCURRENCY {
                    let (wall, calls) = sdk.read_all(&items, c).await;
                    ceiling_calls = calls;
                    println!("{c:>12} {:>8.0}ms {:>12.0} {calls:>8}", ms(wall), n as f64 / wall.as_secs_f64());
                    if best.is_none_or(|(_, b)| wall < b) {
                        best = Some((c, wall));
                    }
                }
                let (best_c, ceiling) = best.unwrap();
                println!("ceiling: {:.0} reads/s at concurrency {best_c}", n as f64 / ceiling.as_secs_f64());

                // (b) strata's refresh: the calls counted once through a proxy, then timed.
                let proxy = FaultProxy::start(&emulator.endpoint, Faults::none()).unwrap();
                let counted = Project::at(project.dir.path(), &proxy.endpoint());
                counted.plan(true).await;
                let strata_calls = proxy.counts().requests;
                proxy.stop();
                // Each refresh is bracketed by the bare loop at the best concurrency, read
                // right before and right after it: the emulator's speed drifts over a run,
                // and a ceiling measured minutes earlier would compare two different
                // emulators.
                let mut trials = Vec::new();
                let mut pace = None;
                let mut bare_before = sdk.read_all(&items, best_c).await.0;
                for _ in 0..TRIALS {
                    let started = Instant::now();
                    let plan = project.plan(true).await;
                    let refresh = started.elapsed();
                    let bare_after = sdk.read_all(&items, best_c).await.0;
                    trials.push(((bare_before + bare_after) / 2, refresh));
                    bare_before = bare_after;
                    pace = plan.refresh_pace;
                }
                let ratio = |(bare, refresh): &(Duration, Duration)| bare.as_secs_f64() / refresh.as_secs_f64();
                let sweep = ceiling;
                let &(ceiling, refresh) = median_by(&trials, ratio);
                let walls: Vec<Duration> = trials.iter().map(|(_, r)| *r).collect();
                let mut no_refresh = Vec::new();
                for _ in 0..REPEAT {
                    let started = Instant::now();
                    project.plan(false).await;
                    no_refresh.push(started.elapsed());
                }
                let no_refresh = *no_refresh.iter().min().unwrap();
                println!("\n(b) strata plan (refresh of {n} resources, parallelism 16, paced), median of {TRIALS} trials: {:.0} ms ({:.0} reads/s) against the bare loop's {:.0} ms around it; refreshes {}, the bare loop's mean around each {}, ratios {}",
                    ms(refresh), n as f64 / refresh.as_secs_f64(), ms(ceiling), list(&walls), list(&trials.iter().map(|(b, _)| *b).collect::<Vec<_>>()),
                    trials.iter().map(|t| format!("{:.2}", ratio(t))).collect::<Vec<_>>().join(", "));
                println!("    against the sweep's best in (a), {:.0} ms: {:.2}", ms(sweep), sweep.as_secs_f64() / refresh.as_secs_f64());
                println!("    calls: strata {strata_calls} (one is the access check's probe), bare loop {ceiling_calls}");
                println!("    pace: {pace:?}");
                println!("    the same plan without refresh: {:.0} ms", ms(no_refresh));
                assert_eq!(strata_calls, ceiling_calls as u64 + 1, "strata's refresh makes the bare loop's calls plus the probe");
                let throughput = ceiling.as_secs_f64() / refresh.as_secs_f64();
                println!("    b/a (refresh throughput / ceiling): {throughput:.2} (target >= 0.80)");
                summary.push(row("emulator", &format!("refresh throughput / SDK ceiling, {n} resources"), format!("{throughput:.2} ({:.0} vs {:.0} reads/s)", n as f64 / refresh.as_secs_f64(), n as f64 / ceiling.as_secs_f64()), ">= 0.80", throughput >= 0.8));

            }
            if wants("throttled") {
                // (d) a rate-limited endpoint: the proxy throttles any request beyond LIMITED at
                // once. The bare loop at a fixed 16 against strata's paced refresh (16 at most).
                let proxy = FaultProxy::start(&emulator.endpoint, Faults::concurrency_limit(LIMITED)).unwrap();
                let limited = Sdk::new(&proxy.endpoint()).await;
                let (bare_wall, _) = limited.read_all(&items, 16).await;
                let bare_throttled = proxy.counts().of(Fault::Throttle);
                let before = proxy.counts().of(Fault::Throttle);
                let through = Project::at(project.dir.path(), &proxy.endpoint());
                let started = Instant::now();
                let plan = through.plan(true).await;
                let paced_wall = started.elapsed();
                let paced_throttled = proxy.counts().of(Fault::Throttle) - before;
                proxy.stop();
                println!("\n(d) an endpoint that throttles beyond {LIMITED} requests at once (a pass-through proxy)");
                println!("    bare SDK loop, 16 at once ({} retry): {:.0} ms, {bare_throttled} throttled answers", retry_mode(), ms(bare_wall));
                println!("    strata plan, refresh paced from 16: {:.0} ms, {paced_throttled} throttled answers, pace {:?}", ms(paced_wall), plan.refresh_pace);
                summary.push(row("emulator", &format!("refresh against an endpoint throttling beyond {LIMITED} at once: throttled answers, strata vs a fixed 16 ({} retry)", retry_mode()), format!("{paced_throttled} vs {bare_throttled} ({:.0} vs {:.0} ms)", ms(paced_wall), ms(bare_wall)), "fewer", paced_throttled < bare_throttled));
            }
            project.destroy().await;
        }

        if wants("apply") {
            // (c) apply against the critical path: the chain alone, then with its leaves.
            for leaves in [false, true] {
                let shape = if leaves {
                    format!("a chain of {CHAIN} with {} leaves", CHAIN / 2)
                } else {
                    format!("a chain of {CHAIN}")
                };
                println!("\n(c) apply of {shape}, against its critical path (median of {TRIALS} trials)");
                let mut trials = Vec::new();
                for _ in 0..TRIALS {
                    trials.push(chain_trial(&sdk, &emulator, leaves).await);
                }
                for t in &trials {
                    println!(
                        "    critical path {:>5.0} ms, every operation in turn {:>5.0} ms, apply at parallelism 1 {:>5.0} ms, apply at parallelism 16 {:>5.0} ms: {:.2}",
                        ms(t.path), ms(t.work), ms(t.sequential), ms(t.apply), t.ratio()
                    );
                }
                let median = median_by(&trials, ChainTrial::ratio);
                let ratio = median.ratio();
                let over_path = median.apply.as_secs_f64() / median.path.as_secs_f64();
                println!("    c/critical path: {over_path:.2}");
                let bound = if leaves {
                    println!(
                        "    the emulator serves one call at a time, so the leaves' calls queue with the chain's and no schedule beats every operation in turn: the bound is the longer of the two"
                    );
                    "max(critical path, every operation in turn)"
                } else {
                    "critical path"
                };
                println!("    c/bound: {ratio:.2} (target <= 1.25)");
                summary.push(row(
                    "emulator",
                    &format!("apply / {bound}, {shape}"),
                    format!(
                        "{ratio:.2} ({:.0} vs {:.0} ms; {over_path:.2} of the critical path)",
                        ms(median.apply),
                        ms(median.bound())
                    ),
                    "<= 1.25",
                    ratio <= 1.25,
                ));
            }
        }
    });
    write_summary(&summary);
}

/// The retry mode strata's clients (and the bare loop's) use here.
fn retry_mode() -> String {
    format!("{:?}", strata_providers::aws::client::retry_config().mode()).to_lowercase()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn list(d: &[Duration]) -> String {
    d.iter()
        .map(|d| format!("{:.0}", ms(*d)))
        .collect::<Vec<_>>()
        .join(", ")
        + " ms"
}

fn row(part: &str, what: &str, value: String, target: &str, met: bool) -> String {
    format!(
        "{part}\t{what}\t{value}\t{target}\t{}",
        if met { "met" } else { "NOT MET" }
    )
}

/// Appends rows to the file `STRATA_BENCH_SUMMARY` names, if any (`make bench` prints
/// them all as one table at the end).
fn write_summary(rows: &[String]) {
    let Some(path) = std::env::var_os("STRATA_BENCH_SUMMARY") else {
        return;
    };
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
}

/// What the specs refer to without owning: a VPC and a bucket, made by the SDK.
struct Seeded {
    vpc: String,
    bucket: String,
}

/// N resources: 40% subnets, 30% security groups, 30% S3 objects, all leaves.
fn refresh_spec(n: usize, seeded: &Seeded) -> String {
    let subnets = n * 4 / 10;
    let groups = n * 3 / 10;
    let objects = n - subnets - groups;
    let mut s = String::from("stack many {\n");
    for i in 0..subnets {
        s.push_str(&format!(
            "    ec2.subnet s{i} {{\n        vpc-id \"{}\"\n        cidr-block \"{}\"\n    }}\n",
            seeded.vpc,
            cidr(i)
        ));
    }
    for i in 0..groups {
        s.push_str(&format!(
            "    ec2.security-group g{i} {{\n        name \"bench-g{i}\"\n        description \"bench group {i}\"\n        vpc-id \"{}\"\n    }}\n",
            seeded.vpc
        ));
    }
    for i in 0..objects {
        s.push_str(&format!(
            "    s3.object o{i} {{\n        bucket \"{}\"\n        key \"objects/o{i}.txt\"\n        content \"object number {i}\"\n    }}\n",
            seeded.bucket
        ));
    }
    s.push_str("}\n");
    s
}

/// A /26 of the seeded VPC's 10.0.0.0/16 (1,024 of them).
fn cidr(i: usize) -> String {
    format!("10.0.{}.{}/26", i / 4, (i % 4) * 64)
}

/// The chain: link k refers to link k-1 (subnet, group, object, subnet, ...); with
/// `leaves`, every even link has a leaf (an object or a subnet) referring to it.
fn chain_spec(seeded: &Seeded, leaves: bool) -> String {
    let mut s = String::from("stack chain {\n");
    for k in 0..CHAIN {
        // What refers to link j: its id, or an object's etag (objects have no id).
        let of = |j: usize| {
            if j % 3 == 2 {
                format!("${{c{j}.etag}}")
            } else {
                format!("${{c{j}.id}}")
            }
        };
        let after = if k == 0 {
            "start".to_owned()
        } else {
            of(k - 1)
        };
        match k % 3 {
            0 => s.push_str(&format!(
                "    ec2.subnet c{k} {{\n        vpc-id \"{}\"\n        cidr-block \"{}\"\n        tags After=\"{after}\"\n    }}\n",
                seeded.vpc,
                cidr(k)
            )),
            1 => s.push_str(&format!(
                "    ec2.security-group c{k} {{\n        name \"chain-{k}\"\n        description \"after {after}\"\n        vpc-id \"{}\"\n    }}\n",
                seeded.vpc
            )),
            _ => s.push_str(&format!(
                "    s3.object c{k} {{\n        bucket \"{}\"\n        key \"chain/c{k}\"\n        content \"after {after}\"\n    }}\n",
                seeded.bucket
            )),
        }
        if leaves && k % 2 == 0 {
            if k % 4 == 0 {
                s.push_str(&format!(
                    "    s3.object leaf{k} {{\n        bucket \"{}\"\n        key \"leaves/{k}\"\n        content \"leaf of {}\"\n    }}\n",
                    seeded.bucket,
                    of(k)
                ));
            } else {
                s.push_str(&format!(
                    "    ec2.subnet leaf{k} {{\n        vpc-id \"{}\"\n        cidr-block \"{}\"\n        tags Leaf=\"{}\"\n    }}\n",
                    seeded.vpc,
                    cidr(512 + k),
                    of(k)
                ));
            }
        }
    }
    s.push_str("}\n");
    s
}

/// One measurement of (c): the spec applied at parallelism 1 (each operation alone: its
/// latency), then again from nothing at parallelism 16, then at parallelism 1 again;
/// the bound is the mean of the two around the apply.
struct ChainTrial {
    /// The longest path of the graph, each operation weighted by its latency alone.
    path: Duration,
    /// Every operation's latency alone, summed.
    work: Duration,
    /// The apply at parallelism 1, whole.
    sequential: Duration,
    /// The apply at parallelism 16, whole.
    apply: Duration,
}

impl ChainTrial {
    /// The apply against its lower bound: the critical path, or, when the emulator's one
    /// call at a time makes it longer, every operation in turn.
    fn ratio(&self) -> f64 {
        self.apply.as_secs_f64() / self.bound().as_secs_f64()
    }

    fn bound(&self) -> Duration {
        self.path.max(self.work)
    }
}

async fn chain_trial(sdk: &Sdk, emulator: &strata_testkit::Emulator, leaves: bool) -> ChainTrial {
    let alone = || async move {
        let (latencies, wall) = chain_apply(sdk, emulator, leaves, 1).await;
        (
            critical_path(&latencies, leaves),
            latencies.values().sum::<Duration>(),
            wall,
        )
    };
    let (path_before, work_before, sequential_before) = alone().await;
    let (_, apply) = chain_apply(sdk, emulator, leaves, 16).await;
    let (path_after, work_after, sequential_after) = alone().await;
    ChainTrial {
        path: (path_before + path_after) / 2,
        work: (work_before + work_after) / 2,
        sequential: (sequential_before + sequential_after) / 2,
        apply,
    }
}

/// The chain applied from an empty emulator: each operation's latency, and the whole
/// apply's wall time.
async fn chain_apply(
    sdk: &Sdk,
    emulator: &strata_testkit::Emulator,
    leaves: bool,
    parallelism: usize,
) -> (BTreeMap<String, Duration>, Duration) {
    sdk.reset(emulator).await;
    let seeded = sdk.seed().await;
    let chain = Project::new(&emulator.endpoint, &chain_spec(&seeded, leaves));
    let started = Instant::now();
    let latencies = chain.apply_timed(parallelism).await;
    (latencies, started.elapsed())
}

/// The trial whose `key` is the median (the lower middle of an even count).
fn median_by<T>(trials: &[T], key: impl Fn(&T) -> f64) -> &T {
    let mut sorted: Vec<&T> = trials.iter().collect();
    sorted.sort_by(|a, b| key(a).total_cmp(&key(b)));
    sorted[(sorted.len() - 1) / 2]
}

/// The longest path through the chain's graph, each operation weighted by its latency.
fn critical_path(latencies: &BTreeMap<String, Duration>, leaves: bool) -> Duration {
    let at = |name: &str| {
        *latencies
            .get(&format!("chain.{name}"))
            .unwrap_or_else(|| panic!("no latency for chain.{name}: {latencies:?}"))
    };
    let mut finish = Duration::ZERO;
    let mut longest = Duration::ZERO;
    for k in 0..CHAIN {
        finish += at(&format!("c{k}"));
        longest = longest.max(finish);
        if leaves && k % 2 == 0 {
            longest = longest.max(finish + at(&format!("leaf{k}")));
        }
    }
    longest
}

/// A spec folder in a temporary directory, with one environment at an endpoint.
struct Project {
    dir: tempfile::TempDir,
    endpoint: String,
}

impl Project {
    fn new(endpoint: &str, spec: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("env")).unwrap();
        std::fs::write(
            dir.path().join("env/bench.kdl"),
            format!("environment {ENV} {{\n    aws region={REGION} endpoint=\"{endpoint}\"\n}}\n"),
        )
        .unwrap();
        std::fs::write(dir.path().join("main.kdl"), spec).unwrap();
        Project {
            dir,
            endpoint: endpoint.to_owned(),
        }
    }

    /// The project at `dir`, reached through `endpoint` instead (the counting proxy).
    fn at(dir: &Path, endpoint: &str) -> Borrowed {
        Borrowed {
            dir: dir.to_owned(),
            endpoint: endpoint.to_owned(),
        }
    }

    fn store(&self) -> LocalStore {
        store(self.dir.path())
    }

    async fn plan(&self, refresh: bool) -> strata_engine::plan::Plan {
        plan(self.dir.path(), &self.endpoint, refresh).await
    }

    /// Applies; returns how many operations succeeded.
    async fn apply(&self, parallelism: usize) -> usize {
        self.apply_timed(parallelism).await.len()
    }

    /// Applies; returns each operation's latency by address.
    async fn apply_timed(&self, parallelism: usize) -> BTreeMap<String, Duration> {
        run(
            self.dir.path(),
            &self.endpoint,
            PlanKind::Apply,
            parallelism,
        )
        .await
    }

    async fn destroy(&self) {
        run(self.dir.path(), &self.endpoint, PlanKind::Destroy, 16).await;
    }
}

struct Borrowed {
    dir: PathBuf,
    endpoint: String,
}

impl Borrowed {
    async fn plan(&self, refresh: bool) -> strata_engine::plan::Plan {
        plan(&self.dir, &self.endpoint, refresh).await
    }
}

fn store(dir: &Path) -> LocalStore {
    LocalStore::new(dir.join(format!(".strata/{ENV}.state.json")), ENV)
}

/// What `strata plan`/`apply` do before their work: load and check the spec, connect
/// (at `endpoint`) and check access.
async fn load(dir: &Path, endpoint: &str) -> (Spec, strata_providers::Connection) {
    let project = spec::load(dir).unwrap_or_else(|f| panic!("{}", f.render_human(false, 100)));
    let mut spec = spec::check(&project, &strata_providers::registry(), Some(ENV))
        .unwrap_or_else(|f| panic!("{}", f.render_human(false, 100)));
    let environment = spec.environment.as_mut().unwrap();
    environment.endpoint = Some(endpoint.to_owned());
    let connection = strata_providers::connect(environment, dir);
    connection
        .aws
        .check_access()
        .await
        .expect("the emulator answers");
    (spec, connection)
}

async fn plan(dir: &Path, endpoint: &str, refresh: bool) -> strata_engine::plan::Plan {
    let (spec, connection) = load(dir, endpoint).await;
    let plan = workflow::plan(
        &spec,
        &connection.registry,
        &store(dir),
        &PlanOptions {
            refresh,
            ..PlanOptions::default()
        },
    )
    .await
    .unwrap_or_else(|_| panic!("plan"));
    assert!(
        plan.changes
            .iter()
            .all(|c| c.action == Action::NoOp && c.refresh_error.is_none()),
        "an unchanged project plans no change"
    );
    plan
}

async fn run(
    dir: &Path,
    endpoint: &str,
    kind: PlanKind,
    parallelism: usize,
) -> BTreeMap<String, Duration> {
    let (spec, connection) = load(dir, endpoint).await;
    let latencies = Mutex::new(BTreeMap::new());
    let failures = AtomicUsize::new(0);
    let progress = |e: Event<'_>| {
        if let Event::Finished {
            address,
            operation,
            elapsed,
            error,
            ..
        } = e
        {
            if let Some(error) = error {
                eprintln!("{address}: {error:?}");
                failures.fetch_add(1, Ordering::SeqCst);
            }
            if matches!(operation, Operation::Create | Operation::Delete) {
                latencies
                    .lock()
                    .unwrap()
                    .insert(address.to_owned(), elapsed);
            }
        }
    };
    let outcome = workflow::apply(
        &spec,
        &connection.registry,
        &store(dir),
        kind,
        PlanSource::Fresh(PlanOptions::default()),
        &ApplyOptions { parallelism },
        &mut |_| true,
        &Cancel::new(),
        &progress,
    )
    .await
    .unwrap_or_else(|_| panic!("{kind:?} runs"));
    let Outcome::Applied(_, report) = outcome else {
        panic!("{kind:?} applied")
    };
    assert!(
        report.is_success(),
        "{kind:?}: {} failures",
        failures.load(Ordering::SeqCst)
    );
    latencies.into_inner().unwrap()
}

/// What a refresh reads, from the state.
enum Item {
    Subnet(String),
    Group(String),
    Object(String, String),
}

struct Items(Vec<Item>);

impl Items {
    fn from_state(state: &strata_state::State) -> Self {
        Items(
            state
                .resources
                .values()
                .map(|r| match r.type_name.as_str() {
                    "ec2.subnet" => Item::Subnet(r.id.clone()),
                    "ec2.security-group" => Item::Group(r.id.clone()),
                    "s3.object" => {
                        let (bucket, key) = r.id.split_once('/').unwrap();
                        Item::Object(bucket.to_owned(), key.to_owned())
                    }
                    other => panic!("unexpected type {other}"),
                })
                .collect(),
        )
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Bare SDK clients at the emulator.
struct Sdk {
    ec2: aws_sdk_ec2::Client,
    s3: aws_sdk_s3::Client,
    endpoint: String,
}

impl Sdk {
    async fn new(endpoint: &str) -> Self {
        // The retry policy strata's clients have.
        let config = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(strata_providers::aws::client::retry_config())
            .region(Region::new(REGION))
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new("bench", "bench", None, None, "bench"))
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        Sdk {
            ec2: aws_sdk_ec2::Client::new(&config),
            s3,
            endpoint: endpoint.to_owned(),
        }
    }

    /// The emulator loads a service on its first call (EC2: about a second).
    async fn warm_up(&self) {
        self.ec2.describe_vpcs().send().await.unwrap();
        self.s3.list_buckets().send().await.unwrap();
    }

    async fn reset(&self, emulator: &strata_testkit::Emulator) {
        assert_eq!(self.endpoint, emulator.endpoint);
        emulator.reset().unwrap();
    }

    async fn seed(&self) -> Seeded {
        let vpc = self
            .ec2
            .create_vpc()
            .cidr_block("10.0.0.0/16")
            .send()
            .await
            .unwrap()
            .vpc
            .and_then(|v| v.vpc_id)
            .unwrap();
        let bucket = "strata-bench".to_owned();
        self.s3
            .create_bucket()
            .bucket(&bucket)
            .create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        // Not used by the specs: makes sure PutObject works before timing anything.
        self.s3
            .put_object()
            .bucket(&bucket)
            .key("warm-up")
            .body(ByteStream::from_static(b"warm"))
            .send()
            .await
            .unwrap();
        self.s3
            .delete_object()
            .bucket(&bucket)
            .key("warm-up")
            .send()
            .await
            .unwrap();
        Seeded { vpc, bucket }
    }

    /// Reads every item with `concurrency` workers; returns the wall time and the calls.
    async fn read_all(&self, items: &Items, concurrency: usize) -> (Duration, usize) {
        let items = Arc::new(
            items
                .0
                .iter()
                .map(|i| match i {
                    Item::Subnet(id) => Item::Subnet(id.clone()),
                    Item::Group(id) => Item::Group(id.clone()),
                    Item::Object(b, k) => Item::Object(b.clone(), k.clone()),
                })
                .collect::<Vec<_>>(),
        );
        let next = Arc::new(AtomicUsize::new(0));
        let calls = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..concurrency {
            let (items, next, calls) = (items.clone(), next.clone(), calls.clone());
            let (ec2, s3) = (self.ec2.clone(), self.s3.clone());
            workers.spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    match item {
                        Item::Subnet(id) => {
                            let out = ec2.describe_subnets().subnet_ids(id).send().await.unwrap();
                            assert_eq!(out.subnets().len(), 1);
                            calls.fetch_add(1, Ordering::Relaxed);
                        }
                        Item::Group(id) => {
                            let out = ec2
                                .describe_security_groups()
                                .group_ids(id)
                                .send()
                                .await
                                .unwrap();
                            assert_eq!(out.security_groups().len(), 1);
                            calls.fetch_add(1, Ordering::Relaxed);
                        }
                        Item::Object(bucket, key) => {
                            s3.head_object()
                                .bucket(bucket)
                                .key(key)
                                .send()
                                .await
                                .unwrap();
                            s3.get_object_tagging()
                                .bucket(bucket)
                                .key(key)
                                .send()
                                .await
                                .unwrap();
                            calls.fetch_add(2, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
        while let Some(done) = workers.join_next().await {
            done.unwrap();
        }
        (started.elapsed(), calls.load(Ordering::Relaxed))
    }
}
