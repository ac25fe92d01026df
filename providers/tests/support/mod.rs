//! The provider tests' world: this test's own emulator, a spec folder in a temporary
//! directory whose `local` environment points at it, the real provider registry and a
//! local state store, driven through the engine's workflow exactly as `strata
//! plan/apply/destroy` drive it. SDK clients on the same emulator make changes outside
//! strata and check what exists.
//!
//! Every step asserts: an apply that fails panics with the provider's diagnostics, so a
//! test reads as the life of one resource.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use strata_engine::Registry;
use strata_engine::apply::{ApplyOptions, ApplyReport, Cancel};
use strata_engine::plan::{Action, Plan, PlanKind, PlanOptions};
use strata_engine::render;
use strata_engine::spec;
use strata_engine::state::{ResourceState, State};
use strata_engine::workflow::{self, Outcome, PlanSource, Stop};
use strata_providers::aws::client::{Aws, Settings};
use strata_state::LocalStore;

pub const REGION: &str = "eu-west-3";

pub struct Env {
    pub dir: tempfile::TempDir,
    pub endpoint: String,
    pub aws: Aws,
}

impl Env {
    /// A fresh emulator (one per test process) and an empty spec folder.
    pub fn new() -> Env {
        let emulator = strata_testkit::emulator();
        emulator.reset().expect("the emulator resets");
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::create_dir_all(dir.path().join("env")).unwrap();
        std::fs::write(
            dir.path().join("env/local.kdl"),
            format!(
                "environment local {{\n    aws region={REGION} endpoint=\"{}\"\n}}\n",
                emulator.endpoint
            ),
        )
        .unwrap();
        let aws = Aws::new(Settings {
            region: Some(REGION.into()),
            profile: None,
            endpoint: Some(emulator.endpoint.clone()),
            root: dir.path().to_owned(),
        });
        Env {
            dir,
            endpoint: emulator.endpoint.clone(),
            aws,
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces the spec with `text` (one file, `main.kdl`).
    pub fn write(&self, text: &str) {
        std::fs::write(self.root().join("main.kdl"), text).unwrap();
    }

    /// Writes another file of the spec folder (a site asset, a second spec file).
    pub fn write_file(&self, relative: &str, contents: &[u8]) -> PathBuf {
        let path = self.root().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// The spec checked for `local`, and the registry whose types reach the emulator.
    pub fn load(&self) -> (spec::Spec, Registry) {
        let registry = strata_providers::registry();
        let project =
            spec::load(self.root()).unwrap_or_else(|f| panic!("{}", f.render_human(false, 100)));
        let spec = spec::check(&project, &registry, Some("local"))
            .unwrap_or_else(|f| panic!("{}", f.render_human(false, 100)));
        let registry =
            strata_providers::connect(spec.environment.as_ref().unwrap(), self.root()).registry;
        (spec, registry)
    }

    /// A registry whose types reach this test's emulator through the harness's SDK
    /// settings, for calls outside the workflow (a type's own `import`, a lookup).
    pub fn registry(&self) -> Registry {
        let mut registry = Registry::new();
        strata_providers::aws::register(&mut registry, &self.aws);
        registry
    }

    /// `strata import ADDRESS ID` against the current spec.
    pub async fn import(&self, address: &str, id: &str) -> Result<ResourceState, Stop> {
        let (spec, registry) = self.load();
        workflow::import(&spec, &registry, &self.store(), address, id).await
    }

    pub fn store(&self) -> LocalStore {
        LocalStore::new(self.state_path(), "local")
    }

    pub fn state_path(&self) -> PathBuf {
        self.root().join(".strata/local.state.json")
    }

    pub fn state(&self) -> State {
        self.store()
            .load()
            .expect("the state loads")
            .unwrap_or_else(|| State::new("local"))
    }

    /// The cloud id of `address` in the state.
    pub fn id(&self, address: &str) -> String {
        self.state()
            .resources
            .get(address)
            .unwrap_or_else(|| panic!("`{address}` is not in the state"))
            .id
            .clone()
    }

    /// A plain attribute (input or output) of `address` in the state.
    pub fn attr(&self, address: &str, name: &str) -> strata_engine::Value {
        let state = self.state();
        let record = state
            .resources
            .get(address)
            .unwrap_or_else(|| panic!("`{address}` is not in the state"));
        record
            .outputs
            .get(name)
            .or_else(|| record.inputs.get(name))
            .and_then(|v| v.as_plain())
            .cloned()
            .unwrap_or_else(|| panic!("`{address}` has no plain `{name}` in the state"))
    }

    pub async fn plan(&self) -> Plan {
        let (spec, registry) = self.load();
        match workflow::plan(&spec, &registry, &self.store(), &PlanOptions::default()).await {
            Ok(plan) => plan,
            Err(stop) => panic!("the plan failed: {}", describe_stop(&stop)),
        }
    }

    /// Plans and applies; panics unless every operation succeeded.
    pub async fn apply(&self) -> (Plan, ApplyReport) {
        self.run(PlanKind::Apply).await
    }

    /// `strata apply --replace ADDRESS`; panics unless every operation succeeded.
    pub async fn apply_replacing(&self, address: &str) -> (Plan, ApplyReport) {
        let options = PlanOptions {
            replace: vec![address.to_owned()],
            ..PlanOptions::default()
        };
        self.run_with(PlanKind::Apply, options).await
    }

    /// Destroys everything; panics unless every operation succeeded.
    pub async fn destroy(&self) -> (Plan, ApplyReport) {
        self.run(PlanKind::Destroy).await
    }

    /// Plans and applies, returning the report even when operations failed.
    pub async fn try_apply(&self) -> Option<(Plan, ApplyReport)> {
        match self.workflow(PlanKind::Apply, PlanOptions::default()).await {
            Ok(Outcome::Applied(plan, report)) => Some((plan, *report)),
            Ok(_) => None,
            Err(stop) => panic!("the apply stopped: {}", describe_stop(&stop)),
        }
    }

    /// Destroys everything, returning the report even when operations failed; panics
    /// when there was nothing to destroy.
    pub async fn try_destroy(&self) -> ApplyReport {
        match self
            .workflow(PlanKind::Destroy, PlanOptions::default())
            .await
        {
            Ok(Outcome::Applied(_, report)) => *report,
            Ok(other) => panic!("expected a destroy with changes, got {other:?}"),
            Err(stop) => panic!("the destroy stopped: {}", describe_stop(&stop)),
        }
    }

    /// Plans and applies (or destroys) as `strata apply`/`destroy` do, approving the plan.
    async fn workflow(&self, kind: PlanKind, options: PlanOptions) -> Result<Outcome, Stop> {
        let (spec, registry) = self.load();
        workflow::apply(
            &spec,
            &registry,
            &self.store(),
            kind,
            PlanSource::Fresh(options),
            &ApplyOptions { parallelism: 16 },
            &mut |_| true,
            &Cancel::new(),
            &|_| {},
        )
        .await
    }

    async fn run(&self, kind: PlanKind) -> (Plan, ApplyReport) {
        self.run_with(kind, PlanOptions::default()).await
    }

    async fn run_with(&self, kind: PlanKind, options: PlanOptions) -> (Plan, ApplyReport) {
        match self.workflow(kind, options).await {
            Ok(Outcome::Applied(plan, report)) => {
                assert!(
                    report.is_success(),
                    "the {kind:?} failed:\n{}\nplan was:\n{}",
                    failures(&report),
                    render::human(&plan, false)
                );
                (plan, *report)
            }
            Ok(other) => panic!("expected a {kind:?} with changes, got {other:?}"),
            Err(stop) => panic!("the {kind:?} stopped: {}", describe_stop(&stop)),
        }
    }

    /// Asserts that a refreshing plan finds nothing to do (apply-then-plan is empty).
    pub async fn assert_no_changes(&self) {
        let plan = self.plan().await;
        assert!(
            !plan.has_changes(),
            "expected no changes, the plan is:\n{}",
            render::human(&plan, false)
        );
    }

    /// Asserts that a refreshing plan shows drift on `address`, naming `attribute`.
    pub async fn assert_drift(&self, address: &str, attribute: &str) -> Plan {
        let plan = self.plan().await;
        let drift = plan
            .drift
            .iter()
            .find(|d| d.address == address)
            .unwrap_or_else(|| {
                panic!(
                    "expected drift on {address}, the plan is:\n{}",
                    render::human(&plan, false)
                )
            });
        assert!(
            drift.attributes.iter().any(|a| a.name == attribute),
            "expected drift of `{attribute}` on {address}, the plan is:\n{}",
            render::human(&plan, false)
        );
        plan
    }

    /// Asserts the plan's action for `address`, and for a replacement that `forced_by`
    /// is among the attributes forcing it.
    pub fn assert_action(plan: &Plan, address: &str, action: Action) {
        let change = plan
            .changes
            .iter()
            .find(|c| c.address == address && c.deposed.is_none())
            .unwrap_or_else(|| panic!("{address} is not in the plan"));
        assert_eq!(
            change.action,
            action,
            "unexpected action for {address}; the plan is:\n{}",
            render::human(plan, false)
        );
    }
}

pub fn failures(report: &ApplyReport) -> String {
    let mut out = String::new();
    for f in &report.failed {
        out.push_str(&format!(
            "- {} {:?}: {} ({:?})\n",
            f.address, f.operation, f.diagnostic.message, f.diagnostic.help
        ));
    }
    for s in &report.skipped {
        out.push_str(&format!("- {} skipped\n", s.address));
    }
    if let Some(e) = &report.state_error {
        out.push_str(&format!("- state: {e}\n"));
    }
    out
}

fn describe_stop(stop: &Stop) -> String {
    match stop {
        Stop::Spec(f) => f.render_human(false, 100),
        Stop::State(d) => format!("{d:?}"),
        Stop::StalePlan(s) => s.clone(),
    }
}

/// Runs an async test body on a multi-thread runtime.
pub fn run<F: std::future::Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
