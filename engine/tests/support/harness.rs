//! A spec folder in a temporary directory, an in-memory cloud and a local state store:
//! enough to run the engine's workflow as `strata plan/apply/destroy` would.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use strata_engine::Registry;
use strata_engine::apply::{ApplyOptions, ApplyReport, Cancel, Event};
use strata_engine::plan::{Plan, PlanKind, PlanOptions};
use strata_engine::spec::{self, Spec};
use strata_engine::state::{Changed, State, StateSink};
use strata_engine::workflow::{self, BoxedDiagnostic, Outcome, PlanSource, StateStore, Stop};
use strata_state::LocalStore;

use super::memory::Cloud;

pub const ENV: &str = r#"environment test {
    aws region=eu-west-3
    var secret "hunter2-very-secret"
}
"#;

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub cloud: Arc<Cloud>,
    pub registry: Registry,
    /// Progress lines of the last apply: "started ADDR OP" / "finished ADDR OP ok|error".
    pub events: Arc<Mutex<Vec<String>>>,
}

impl Harness {
    pub fn new(spec: &str) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::create_dir_all(dir.path().join("env")).unwrap();
        std::fs::write(dir.path().join("env/test.kdl"), ENV).unwrap();
        let cloud = Arc::new(Cloud::default());
        let h = Harness {
            registry: super::registry_with(&cloud),
            cloud,
            dir,
            events: Arc::default(),
        };
        h.write(spec);
        h
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces the spec (one file, `main.kdl`).
    pub fn write(&self, spec: &str) {
        std::fs::write(self.root().join("main.kdl"), spec).unwrap();
    }

    pub fn spec(&self) -> Spec {
        let project =
            spec::load(self.root()).unwrap_or_else(|f| panic!("{}", f.render_human(false, 100)));
        spec::check(&project, &self.registry, Some("test"))
            .unwrap_or_else(|f| panic!("{}", f.render_human(false, 100)))
    }

    pub fn state_path(&self) -> PathBuf {
        self.root().join(".strata/test.state.json")
    }

    pub fn store(&self) -> LocalStore {
        LocalStore::new(self.state_path(), "test")
    }

    /// The store the runs use: the real one, checked after every save.
    pub fn checked_store(&self) -> CheckedStore {
        CheckedStore(self.store())
    }

    pub fn state(&self) -> State {
        self.store()
            .load()
            .expect("state loads")
            .unwrap_or_else(|| State::new("test"))
    }

    pub async fn plan(&self, options: PlanOptions) -> Result<Plan, Stop> {
        workflow::plan(&self.spec(), &self.registry, &self.store(), &options).await
    }

    pub async fn plan_default_err(&self) -> Stop {
        self.plan(PlanOptions::default())
            .await
            .expect_err("the plan should fail")
    }

    pub async fn plan_default(&self) -> Plan {
        self.plan(PlanOptions::default()).await.expect("plan")
    }

    pub async fn run(
        &self,
        kind: PlanKind,
        source: PlanSource,
        parallelism: usize,
        cancel: &Cancel,
    ) -> Result<Outcome, Stop> {
        self.run_cancelling(kind, source, parallelism, cancel, usize::MAX)
            .await
    }

    /// Like `run`, cancelling (as Ctrl-C does) when the `nth` operation starts.
    pub async fn run_cancelling(
        &self,
        kind: PlanKind,
        source: PlanSource,
        parallelism: usize,
        cancel: &Cancel,
        nth: usize,
    ) -> Result<Outcome, Stop> {
        let events = self.events.clone();
        events.lock().unwrap().clear();
        let started = std::sync::atomic::AtomicUsize::new(0);
        let progress = move |e: Event<'_>| {
            let line = match e {
                Event::Started {
                    address, operation, ..
                } => {
                    if started.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == nth {
                        cancel.cancel();
                    }
                    format!("started {address} {}", operation.progressive())
                }
                Event::Finished {
                    address,
                    operation,
                    error,
                    ..
                } => format!(
                    "finished {address} {} {}",
                    operation.progressive(),
                    if error.is_some() { "error" } else { "ok" }
                ),
                Event::Cancelling { in_flight } => format!("cancelling {in_flight}"),
            };
            events.lock().unwrap().push(line);
        };
        workflow::apply(
            &self.spec(),
            &self.registry,
            &self.checked_store(),
            kind,
            source,
            &ApplyOptions { parallelism },
            &mut |_| true,
            cancel,
            &progress,
        )
        .await
    }

    /// Plans and applies; returns the plan and the report (panics on no changes).
    pub async fn apply_with(&self, options: PlanOptions) -> (Plan, ApplyReport) {
        match self
            .run(
                PlanKind::Apply,
                PlanSource::Fresh(options),
                16,
                &Cancel::new(),
            )
            .await
            .expect("apply runs")
        {
            Outcome::Applied(plan, report) => (plan, *report),
            other => panic!("expected changes to apply, got {other:?}"),
        }
    }

    /// Applies a plan saved earlier, as `strata apply FILE` does.
    pub async fn apply_saved(&self, plan: Plan) -> Result<Outcome, Stop> {
        self.run(
            PlanKind::Apply,
            PlanSource::Saved(Box::new(plan)),
            4,
            &Cancel::new(),
        )
        .await
    }

    pub async fn apply(&self) -> (Plan, ApplyReport) {
        self.apply_with(PlanOptions::default()).await
    }

    pub async fn destroy(&self) -> (Plan, ApplyReport) {
        match self
            .run(
                PlanKind::Destroy,
                PlanSource::Fresh(PlanOptions::default()),
                16,
                &Cancel::new(),
            )
            .await
            .expect("destroy runs")
        {
            Outcome::Applied(plan, report) => (plan, *report),
            other => panic!("expected something to destroy, got {other:?}"),
        }
    }

    pub fn event_lines(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }
}

/// The real store, checking after every save and compaction that a fresh store reads
/// back exactly the state saved (the state file and its journal): an edit the executor
/// made without naming it in `Changed` would be missing from the journal, and fail here.
pub struct CheckedStore(pub LocalStore);

impl CheckedStore {
    fn check(&self, state: &State, after: &str) {
        let on_disk = LocalStore::new(self.0.path(), self.0.environment())
            .load()
            .unwrap_or_else(|e| panic!("the state does not load after {after}: {e}"))
            .expect("a state after a save");
        assert_eq!(
            &on_disk, state,
            "the state on disk differs from the state saved, after {after}"
        );
    }
}

impl StateSink for CheckedStore {
    fn save(&self, state: &mut State, changed: &Changed) -> Result<(), BoxedDiagnostic> {
        StateSink::save(&self.0, state, changed)?;
        self.check(state, &format!("the save of {changed:?}"));
        Ok(())
    }

    fn compact(&self, state: &State) -> Result<(), BoxedDiagnostic> {
        StateSink::compact(&self.0, state)?;
        assert!(
            !self.0.journal_path().exists(),
            "a compaction leaves no journal"
        );
        self.check(state, "the compaction");
        Ok(())
    }
}

impl StateStore for CheckedStore {
    fn load_state(&self) -> Result<Option<State>, BoxedDiagnostic> {
        self.0.load_state()
    }

    fn lock_state(&self, command: &str) -> Result<Box<dyn Send>, BoxedDiagnostic> {
        self.0.lock_state(command)
    }

    fn environment(&self) -> &str {
        StateStore::environment(&self.0)
    }
}

/// Index of the first log line containing all of `words`, for ordering assertions.
pub fn position(log: &[String], words: &[&str]) -> usize {
    log.iter()
        .position(|l| words.iter().all(|w| l.contains(w)))
        .unwrap_or_else(|| panic!("no line with {words:?} in {log:#?}"))
}
