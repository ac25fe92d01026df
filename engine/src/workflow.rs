//! The commands' sequences, independent of any terminal: plan, apply (fresh or from a
//! saved plan), destroy and import against one environment's state store.
//!
//! The CLI parses flags, renders and asks; everything between — taking the lock,
//! loading the state, refusing a stale saved plan, planning, executing — happens here,
//! so that the engine's tests exercise exactly what users run.
//!
//! Invariants:
//! - `apply`, `destroy` and `import` hold the state lock for their whole run; a second
//!   run fails at once naming the holder. `plan` takes no lock and writes nothing.
//! - A state that does not load (corrupt, foreign, another environment, another
//!   version) stops the command before anything is planned; the store never writes it.
//! - A saved plan is applied only if the state is still the snapshot it was made from
//!   (same lineage and serial) and the spec still produces exactly its changes.
//! - `apply` and `destroy` ask the store to compact the state at their end
//!   ([`StateSink::compact`]: the local store folds its journal into the state file),
//!   unless a save failed; compacting changes neither the content nor the serial.
//!   `import` saves whole.

use std::fmt;

use crate::apply::{self, ApplyOptions, ApplyReport, Cancel, Event};
use crate::diag::{Diagnostic, Diagnostics, Failure};
use crate::graph::DepGraph;
use crate::plan::{self, Plan, PlanKind, PlanOptions, Snapshot};
use crate::provider::Registry;
use crate::spec::model::Spec;
use crate::state::{Changed, Mode, ResourceState, State, StateSink, StoredValue};

pub type BoxedDiagnostic = Box<dyn miette::Diagnostic + Send + Sync>;

/// A state store as the workflow needs it: implemented by `strata-state`'s stores.
pub trait StateStore: StateSink {
    /// The environment's state, or None when there is none yet.
    fn load_state(&self) -> Result<Option<State>, BoxedDiagnostic>;
    /// Takes the lock for `command`; dropping the guard releases it.
    fn lock_state(&self, command: &str) -> Result<Box<dyn Send>, BoxedDiagnostic>;
    fn environment(&self) -> &str;
}

/// Why a command stopped before or instead of applying.
pub enum Stop {
    /// The spec, a flag or the plan is wrong (diagnostics with spans).
    Spec(Failure),
    /// The state could not be loaded, locked or saved.
    State(BoxedDiagnostic),
    /// A saved plan no longer matches the state or the spec.
    StalePlan(String),
}

impl fmt::Debug for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Spec(failure) => write!(f, "Spec({:?})", failure.diagnostics),
            Stop::State(e) => write!(f, "State({e})"),
            Stop::StalePlan(why) => write!(f, "StalePlan({why})"),
        }
    }
}

impl Stop {
    /// The stable code of what stopped the command.
    pub fn code(&self) -> String {
        match self {
            Stop::Spec(failure) => failure
                .diagnostics
                .iter()
                .next()
                .map_or("spec", |d| d.code)
                .to_owned(),
            Stop::State(e) => e.code().map_or("state".to_owned(), |c| c.to_string()),
            Stop::StalePlan(_) => "plan::stale".to_owned(),
        }
    }
}

/// What `apply` or `destroy` came to.
#[derive(Debug)]
pub enum Outcome {
    /// The plan had nothing to do.
    NoChanges(Plan),
    /// The plan was shown and not approved.
    Declined(Plan),
    Applied(Plan, Box<ApplyReport>),
}

/// Loads the environment's state, or a new empty one.
pub fn load_state(store: &dyn StateStore) -> Result<State, Stop> {
    Ok(store
        .load_state()
        .map_err(Stop::State)?
        .unwrap_or_else(|| State::new(store.environment())))
}

/// `strata plan`: no lock, nothing written.
pub async fn plan(
    spec: &Spec,
    registry: &Registry,
    store: &dyn StateStore,
    options: &PlanOptions,
) -> Result<Plan, Stop> {
    let state = load_state(store)?;
    let graph = DepGraph::build(spec);
    plan::plan(spec, &graph, registry, &state, options)
        .await
        .map_err(Stop::Spec)
}

/// What `apply` applies: a plan computed now, or one saved by `plan --out`.
pub enum PlanSource {
    Fresh(PlanOptions),
    Saved(Box<Plan>),
}

/// `strata apply` / `strata destroy`: lock, load, plan (or check the saved plan), ask
/// `approve` (which sees the plan), execute.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    spec: &Spec,
    registry: &Registry,
    store: &dyn StateStore,
    kind: PlanKind,
    source: PlanSource,
    options: &ApplyOptions,
    approve: &mut (dyn FnMut(&Plan) -> bool + Send),
    cancel: &Cancel,
    progress: &(dyn Fn(Event<'_>) + Sync),
) -> Result<Outcome, Stop> {
    let command = match kind {
        PlanKind::Apply => "apply",
        PlanKind::Destroy => "destroy",
    };
    let _lock = store.lock_state(command).map_err(Stop::State)?;
    let state = load_state(store)?;
    let graph = DepGraph::build(spec);
    let plan = match source {
        PlanSource::Fresh(plan_options) => match kind {
            PlanKind::Apply => plan::plan(spec, &graph, registry, &state, &plan_options).await,
            PlanKind::Destroy => plan::plan_destroy(spec, registry, &state, &plan_options).await,
        }
        .map_err(Stop::Spec)?,
        PlanSource::Saved(saved) => {
            if saved.kind != kind {
                return Err(Stop::StalePlan(format!(
                    "the saved plan is a {} plan",
                    match saved.kind {
                        PlanKind::Apply => "apply",
                        PlanKind::Destroy => "destroy",
                    }
                )));
            }
            recheck_saved(spec, &graph, registry, &state, *saved).await?
        }
    };
    if !plan.has_changes() && plan.refreshed_records.is_empty() {
        return Ok(Outcome::NoChanges(plan));
    }
    if !approve(&plan) {
        return Ok(Outcome::Declined(plan));
    }
    let mut report = apply::apply(
        &plan, spec, &graph, registry, state, store, options, cancel, progress,
    )
    .await;
    // Also folds a journal an earlier, killed run left.
    if report.state_error.is_none()
        && let Err(e) = store.compact(&report.state)
    {
        report.state_error = Some(compact_error(&*e));
    }
    Ok(Outcome::Applied(plan, Box::new(report)))
}

/// Recomputes a saved plan against the current state and spec; returns the plan to
/// execute, or why the saved one no longer holds.
async fn recheck_saved(
    spec: &Spec,
    graph: &DepGraph,
    registry: &Registry,
    state: &State,
    saved: Plan,
) -> Result<Plan, Stop> {
    let current = (state.serial > 0).then(|| Snapshot {
        lineage: state.lineage.clone(),
        serial: state.serial,
    });
    if saved.environment != state.environment {
        return Err(Stop::StalePlan(format!(
            "the plan was made for environment `{}`, not `{}`",
            saved.environment, state.environment
        )));
    }
    if saved.base != current {
        let describe = |s: &Option<Snapshot>| match s {
            Some(s) => format!("serial {} of lineage {}", s.serial, s.lineage),
            None => "no state".to_owned(),
        };
        return Err(Stop::StalePlan(format!(
            "the state changed since the plan was made: the plan was made from {}, the state is now {}",
            describe(&saved.base),
            describe(&current)
        )));
    }
    // The state as the plan saw it after its refresh.
    let mut seen = state.clone();
    for (address, record) in &saved.refreshed_records {
        match record {
            Some(r) => seen.resources.insert(address.clone(), r.clone()),
            None => seen.resources.remove(address),
        };
    }
    let options = PlanOptions {
        refresh: false,
        targets: saved.request.targets.clone(),
        excludes: saved.request.excludes.clone(),
        replace: saved.request.replace.clone(),
        parallelism: 16,
    };
    let mut fresh = match saved.kind {
        PlanKind::Apply => plan::plan(spec, graph, registry, &seen, &options).await,
        PlanKind::Destroy => plan::plan_destroy(spec, registry, &seen, &options).await,
    }
    .map_err(Stop::Spec)?;
    if let Some(why) = difference(&saved, &fresh) {
        return Err(Stop::StalePlan(format!(
            "the spec no longer produces this plan: {why}"
        )));
    }
    fresh.base = saved.base;
    fresh.refreshed = saved.refreshed;
    fresh.drift = saved.drift;
    fresh.refreshed_records = saved.refreshed_records;
    Ok(fresh)
}

/// The first way `fresh` differs from `saved`, if any.
fn difference(saved: &Plan, fresh: &Plan) -> Option<String> {
    let key = |c: &crate::plan::Change| (c.address.clone(), c.deposed.clone());
    for (s, f) in saved.changes.iter().zip(&fresh.changes) {
        if key(s) != key(f) {
            return Some(format!(
                "`{}` is no longer planned at this point",
                s.address
            ));
        }
        if s.action != f.action {
            return Some(format!(
                "`{}` would now {} instead of {}",
                s.address,
                f.action.verb(),
                s.action.verb()
            ));
        }
        let same_values = match (&s.fingerprint, &f.canonical) {
            (Some(digest), Some(value)) => digest.matches(&value.0),
            (None, None) => true,
            _ => false,
        };
        if !same_values {
            return Some(format!("the desired values of `{}` changed", s.address));
        }
    }
    if saved.changes.len() != fresh.changes.len() {
        let longer = if saved.changes.len() > fresh.changes.len() {
            &saved.changes[fresh.changes.len()]
        } else {
            &fresh.changes[saved.changes.len()]
        };
        return Some(format!("`{}` is planned differently", longer.address));
    }
    None
}

/// `strata import ADDR ID`: reads the resource and records it under ADDR.
pub async fn import(
    spec: &Spec,
    registry: &Registry,
    store: &dyn StateStore,
    address: &str,
    id: &str,
) -> Result<ResourceState, Stop> {
    let fail = |d: Diagnostic| {
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(d);
        Stop::Spec(Failure {
            sources: spec.sources.clone(),
            diagnostics,
        })
    };
    let Some(resource) = spec.find_str(address) else {
        let candidates: Vec<String> = spec
            .resources
            .iter()
            .map(|r| r.address.to_string())
            .collect();
        return Err(fail(
            Diagnostic::error(
                "import::unknown_address",
                format!("`{address}` is not a resource of the spec"),
            )
            .maybe_help(crate::suggest::did_you_mean(
                address,
                candidates.iter().map(String::as_str),
            ))
            .help_or("declare the resource in the spec first, then import it into that address"),
        ));
    };
    let Some(ty) = registry.resource(&resource.type_name) else {
        return Err(fail(
            Diagnostic::error(
                "import::not_importable",
                format!("`{address}` is a lookup; only managed resources are imported"),
            )
            .label(resource.name_span, "a lookup"),
        ));
    };
    let _lock = store.lock_state("import").map_err(Stop::State)?;
    let mut state = load_state(store)?;
    if let Some(existing) = state.resources.get(address) {
        return Err(fail(
            Diagnostic::error(
                "import::already_managed",
                format!("`{address}` is already in the state (id {})", existing.id),
            )
            .label(resource.name_span, "already managed")
            .help("to manage another cloud object under this address, `strata state rm` it first"),
        ));
    }
    let observed = match ty.import(id).await {
        Ok(Some(o)) => o,
        Ok(None) => {
            return Err(fail(
                Diagnostic::error(
                    "import::not_found",
                    format!("no {} with id `{id}` exists", resource.type_name),
                )
                .label(resource.name_span, "importing into this resource")
                .help("check the id and the environment's region and account"),
            ));
        }
        Err(e) => {
            return Err(fail(
                Diagnostic::error(
                    "import::read_failed",
                    format!("reading {} `{id}` failed: {e}", resource.type_name),
                )
                .label(resource.name_span, "importing into this resource"),
            ));
        }
    };
    let schema = ty.schema();
    let mut record = ResourceState::new(resource.type_name.clone(), Mode::Managed, observed.id);
    let graph = DepGraph::build(spec);
    let mut deps: Vec<String> = graph
        .direct_dependencies(resource.id)
        .map(|d| spec.resource(d).address.to_string())
        .collect();
    deps.sort();
    deps.dedup();
    record.dependencies = deps;
    for (k, v) in observed.attributes {
        let Some(attr) = schema.attribute(&k) else {
            continue;
        };
        let stored = if attr.sensitive {
            StoredValue::sensitive(&v)
        } else {
            StoredValue::plain(v)
        };
        if attr.is_settable() && resource.attributes.contains_key(&k) {
            record.inputs.insert(k, stored);
        } else {
            record.outputs.insert(k, stored);
        }
    }
    state.resources.insert(address.to_owned(), record.clone());
    // One save and the command ends: saved whole, it is also compacted.
    store
        .save(&mut state, &Changed::everything())
        .map_err(Stop::State)?;
    Ok(record)
}

/// Why compacting the state at the end of a run failed: every operation was saved.
fn compact_error(e: &(dyn miette::Diagnostic + Send + Sync)) -> String {
    let mut text = format!("every operation was saved, but compacting the state failed: {e}");
    if let Some(help) = e.help() {
        text = format!("{text} ({help})");
    }
    text
}
