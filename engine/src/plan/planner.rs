//! Computing a plan: refresh, evaluate in dependency order, diff, assemble.
//!
//! Refresh reads every managed resource the state knows, concurrently (bounded by
//! `parallelism`); a read that fails leaves that resource *unknown*: it is planned from
//! the state, and never created, deleted or replaced because of the failure. Then the
//! spec's resources are visited in topological order (dependencies first) so that each
//! one's desired values can use what is known of its dependencies: a resource being
//! created or replaced makes its computed attributes "known after apply".
//!
//! Before anything else, interrupted creates (the state's `pending`) are resolved with
//! `ResourceType::find`, refresh or not: what a create made is adopted into the state
//! the plan is computed from (and into `refreshed_records`, so apply records it), and
//! an interrupted create that cannot be resolved keeps its address from being created
//! again.
//!
//! Invariants: nothing here writes state or changes the cloud; `plan` reads through
//! `ResourceType::read`, `ResourceType::find` and `LookupType::read` only. The cost is linear in the number
//! of resources and references (one topological sort, one pass).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use petgraph::Direction;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::diag::{Diagnostic, Diagnostics, Failure};
use crate::graph::{DepGraph, GraphNode};
use crate::pace::{Pace, PaceStats, Ticket};
use crate::plan::InMemory;
use crate::plan::diff::{self, Prior, canonical, diff_resource};
use crate::plan::eval::{Evaluated, eval};
use crate::plan::{
    Action, Change, Drift, DriftKind, OutputChange, Plan, PlanKind, PlanRequest, Recovered, Shown,
    Snapshot,
};
use crate::provider::{Attrs, Observed, ProviderError, Registry};
use crate::spec::expr::ResourceId;
use crate::spec::model::Spec;
use crate::spec::project::Mode as SpecMode;
use crate::state::{Mode, ResourceState, SensitiveDigest, State, StoredValue};
use crate::suggest::did_you_mean;
use crate::value::Value;

#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Read every resource in state from the cloud first (`--no-refresh` turns it off).
    pub refresh: bool,
    /// `--target`: only these addresses and what they depend on.
    pub targets: Vec<String>,
    /// `--exclude`: never these addresses, nor what depends on them.
    pub excludes: Vec<String>,
    /// `--replace`: replace these even though nothing forces it.
    pub replace: Vec<String>,
    /// How many cloud reads run at once.
    pub parallelism: usize,
}

impl PlanOptions {
    fn request(&self) -> PlanRequest {
        PlanRequest {
            targets: self.targets.clone(),
            excludes: self.excludes.clone(),
            replace: self.replace.clone(),
        }
    }
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            refresh: true,
            targets: Vec::new(),
            excludes: Vec::new(),
            replace: Vec::new(),
            parallelism: 16,
        }
    }
}

/// What a refresh learnt of one resource.
pub(crate) enum Refreshed {
    Found(Observed),
    Gone,
    Failed(ProviderError),
}

/// Plans `apply` for a spec checked for one environment, against that environment's
/// state. Errors (an unknown `--target`, a `prevent-destroy` resource the plan would
/// delete or replace) come back all at once.
pub async fn plan(
    spec: &Spec,
    graph: &DepGraph,
    registry: &Registry,
    state: &State,
    options: &PlanOptions,
) -> Result<Plan, Failure> {
    let fail = |diagnostics: Diagnostics| Failure {
        sources: spec.sources.clone(),
        diagnostics,
    };
    let mut diags = Diagnostics::new();
    check_addresses(spec, state, options, &mut diags);
    if diags.has_errors() {
        return Err(fail(diags));
    }
    let recovery = recover(registry, state, options.parallelism).await;
    let state: &State = recovery.state.as_ref().unwrap_or(state);
    let selection = Selection::new(spec, graph, state, options);
    let (refreshed, pace) = if options.refresh {
        refresh(registry, state, &selection, options.parallelism).await
    } else {
        (HashMap::new(), PaceStats::default())
    };

    let mut planner = Planner {
        spec,
        registry,
        state,
        known: vec![None; spec.resources.len()],
        plan: empty_plan(PlanKind::Apply, state, options),
        diags,
    };
    planner.plan.refresh_pace = options.refresh.then_some(pace);
    let replace: HashSet<&str> = options.replace.iter().map(String::as_str).collect();
    for id in topological(graph) {
        planner
            .resource(id, &refreshed, &selection, &replace, graph, options.refresh)
            .await;
    }
    planner.orphans(&refreshed, &selection);
    planner.outputs();
    if planner.diags.has_errors() {
        return Err(fail(planner.diags));
    }
    let mut plan = planner.plan;
    recovery.into_plan(&mut plan);
    sort_changes(spec, &mut plan);
    Ok(plan)
}

/// Plans `destroy`: every resource the state holds is deleted, dependents first.
/// `spec` (when the folder still loads) supplies `prevent-destroy`.
pub async fn plan_destroy(
    spec: &Spec,
    registry: &Registry,
    state: &State,
    options: &PlanOptions,
) -> Result<Plan, Failure> {
    let mut diags = Diagnostics::new();
    check_addresses(spec, state, options, &mut diags);
    let recovery = recover(registry, state, options.parallelism).await;
    let state: &State = recovery.state.as_ref().unwrap_or(state);
    let all_selected = options.targets.is_empty() && options.excludes.is_empty();
    let selected = |address: &str| {
        all_selected
            || ((options.targets.is_empty() || options.targets.iter().any(|t| t == address))
                && !options.excludes.iter().any(|e| e == address))
    };
    let selection = Selection {
        spec: vec![true; spec.resources.len()],
        state: state
            .resources
            .keys()
            .filter(|a| selected(a))
            .cloned()
            .collect(),
    };
    let (refreshed, pace) = if options.refresh {
        refresh(registry, state, &selection, options.parallelism).await
    } else {
        (HashMap::new(), PaceStats::default())
    };
    let mut plan = empty_plan(PlanKind::Destroy, state, options);
    plan.refresh_pace = options.refresh.then_some(pace);
    for (address, record) in &state.resources {
        if !selection.state.contains(address) {
            continue;
        }
        if record.mode == Mode::Lookup {
            plan.refreshed_records.insert(address.clone(), None);
            continue;
        }
        let Some(ty) = registry.resource(&record.type_name) else {
            diags.push(unknown_state_type(address, &record.type_name));
            continue;
        };
        let schema = ty.schema();
        let mut refresh_error = None;
        match refreshed.get(address.as_str()) {
            Some(Refreshed::Gone) => {
                plan.drift.push(gone_drift(address, record));
                plan.refreshed_records.insert(address.clone(), None);
                continue;
            }
            Some(Refreshed::Failed(e)) => refresh_error = Some(e.to_string()),
            _ => {}
        }
        if let Some(resource) = spec.find_str(address)
            && resource.lifecycle.prevent_destroy
        {
            diags.push(prevent_destroy(
                spec,
                resource.id,
                "destroy would delete it",
            ));
        }
        for deposed in &record.deposed {
            plan.changes.push(deposed_change(address, record, deposed));
        }
        plan.changes
            .push(delete_change(address, record, schema, refresh_error));
    }
    for (name, stored) in &state.outputs {
        plan.outputs.push(OutputChange {
            name: name.clone(),
            action: Action::Delete,
            before: stored_shown(stored),
            after: Shown::Absent,
        });
    }
    if diags.has_errors() {
        return Err(Failure {
            sources: spec.sources.clone(),
            diagnostics: diags,
        });
    }
    recovery.into_plan(&mut plan);
    sort_changes(spec, &mut plan);
    Ok(plan)
}

/// What resolving the state's interrupted creates learnt.
struct Recovery {
    /// The state with what the creates made adopted; None when nothing was found.
    state: Option<State>,
    recovered: Vec<Recovered>,
    /// The records of adopted resources, by address.
    adopted: BTreeMap<String, ResourceState>,
}

impl Recovery {
    /// Hands what was learnt to `plan`: adopted records for apply to write, and the
    /// error on every create of an address whose interrupted create is unresolved.
    fn into_plan(self, plan: &mut Plan) {
        for (address, record) in self.adopted {
            plan.refreshed_records
                .entry(address)
                .or_insert(Some(record));
        }
        for r in &self.recovered {
            let Some(error) = &r.error else { continue };
            for change in plan.changes.iter_mut().filter(|c| c.address == r.address) {
                if matches!(change.action, Action::Create | Action::Replace) {
                    change.refresh_error = Some(format!(
                        "an earlier create was interrupted and strata cannot tell whether it reached the cloud: {error}"
                    ));
                }
            }
        }
        plan.recovered = self.recovered;
    }
}

/// Asks each interrupted create's type whether it reached the cloud, `parallelism` at
/// a time. Found resources become records: created, with the inputs the create was
/// called with and the attributes found; one replacing an instance the state still
/// holds (create-before-destroy) leaves that instance deposed, to be deleted.
async fn recover(registry: &Registry, state: &State, parallelism: usize) -> Recovery {
    let mut recovery = Recovery {
        state: None,
        recovered: Vec::new(),
        adopted: BTreeMap::new(),
    };
    if state.pending.is_empty() {
        return recovery;
    }
    let permits = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut tasks = JoinSet::new();
    let mut addresses = HashMap::new();
    for (address, pending) in &state.pending {
        let Some(ty) = registry.resource(&pending.type_name).cloned() else {
            recovery.recovered.push(Recovered {
                address: address.clone(),
                type_name: pending.type_name.clone(),
                found: None,
                error: Some(format!(
                    "resource type `{}` is not known to this strata",
                    pending.type_name
                )),
            });
            continue;
        };
        let desired: Attrs = pending
            .inputs
            .iter()
            .filter_map(|(k, v)| match v {
                StoredValue::Plain(v) => Some((k.clone(), v.clone())),
                StoredValue::Sensitive(_) => None,
            })
            .collect();
        let token = pending.token.clone();
        let permits = permits.clone();
        let task = tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            ty.find(&desired, &token).await.map_err(|e| e.to_string())
        });
        addresses.insert(task.id(), address.clone());
    }
    let mut adopted_state = state.clone();
    while let Some(joined) = tasks.join_next_with_id().await {
        let (address, found) = match joined {
            Ok((task, found)) => (addresses.remove(&task).expect("a spawned find"), found),
            Err(e) => {
                let address = addresses.remove(&e.id()).expect("a spawned find");
                let what = if e.is_panic() {
                    crate::apply::panic_message(&*e.into_panic())
                } else {
                    e.to_string()
                };
                let error = format!(
                    "looking for it panicked ({what}); this is a bug in strata, please report it"
                );
                (address, Err(error))
            }
        };
        let pending = &state.pending[&address];
        let mut recovered = Recovered {
            address: address.clone(),
            type_name: pending.type_name.clone(),
            found: None,
            error: None,
        };
        match found {
            Ok(Some(observed)) => {
                let schema = registry
                    .resource(&pending.type_name)
                    .expect("found through this registry")
                    .schema();
                let mut record =
                    ResourceState::new(pending.type_name.clone(), Mode::Managed, &observed.id);
                record.dependencies = pending.dependencies.clone();
                record.inputs = pending.inputs.clone();
                let mut record = refreshed_record(schema, &record, &observed);
                if let Some(existing) = state.resources.get(&address) {
                    record.deposed = existing.deposed.clone();
                    if existing.id != record.id {
                        record.deposed.push(existing.id.clone());
                    }
                }
                recovered.found = Some(observed.id.clone());
                adopted_state
                    .resources
                    .insert(address.clone(), record.clone());
                recovery.adopted.insert(address.clone(), record);
            }
            Ok(None) => {}
            Err(e) => recovered.error = Some(e),
        }
        recovery.recovered.push(recovered);
    }
    recovery.recovered.sort_by(|a, b| a.address.cmp(&b.address));
    if !recovery.adopted.is_empty() {
        recovery.state = Some(adopted_state);
    }
    recovery
}

fn empty_plan(kind: PlanKind, state: &State, options: &PlanOptions) -> Plan {
    Plan {
        kind,
        environment: state.environment.clone(),
        base: snapshot(state),
        refreshed: options.refresh,
        changes: Vec::new(),
        drift: Vec::new(),
        outputs: Vec::new(),
        refreshed_records: BTreeMap::new(),
        recovered: Vec::new(),
        request: options.request(),
        lookup_values: Default::default(),
        refresh_pace: None,
    }
}

fn snapshot(state: &State) -> Option<Snapshot> {
    (state.serial > 0).then(|| Snapshot {
        lineage: state.lineage.clone(),
        serial: state.serial,
    })
}

/// Which resources a plan covers (`--target`, `--exclude`).
struct Selection {
    /// Indexed by `ResourceId`.
    spec: Vec<bool>,
    /// State addresses covered (managed resources no longer in the spec included).
    state: HashSet<String>,
}

impl Selection {
    fn new(spec: &Spec, graph: &DepGraph, state: &State, options: &PlanOptions) -> Self {
        let n = spec.resources.len();
        let mut spec_selected = vec![options.targets.is_empty(); n];
        // A target brings what it depends on, through references and stacks; an
        // excluded resource takes what depends on it along.
        if !options.targets.is_empty() {
            mark(
                spec,
                graph,
                &options.targets,
                Direction::Outgoing,
                true,
                &mut spec_selected,
            );
        }
        mark(
            spec,
            graph,
            &options.excludes,
            Direction::Incoming,
            false,
            &mut spec_selected,
        );
        let mut state_selected = HashSet::new();
        for address in state.resources.keys() {
            let covered = match spec.find_str(address) {
                Some(r) => spec_selected[r.id.index()],
                None => {
                    (options.targets.is_empty() || options.targets.iter().any(|t| t == address))
                        && !options.excludes.iter().any(|e| e == address)
                }
            };
            if covered {
                state_selected.insert(address.clone());
            }
        }
        Selection {
            spec: spec_selected,
            state: state_selected,
        }
    }
}

/// Sets `to` for the resources named by `addresses` and every resource reachable from
/// them in `direction`.
fn mark(
    spec: &Spec,
    graph: &DepGraph,
    addresses: &[String],
    direction: Direction,
    to: bool,
    selected: &mut [bool],
) {
    let mut stack: Vec<_> = addresses
        .iter()
        .filter_map(|t| spec.find_str(t))
        .map(|r| graph.resource_nodes[r.id.index()])
        .collect();
    let mut seen = HashSet::new();
    while let Some(node) = stack.pop() {
        if !seen.insert(node) {
            continue;
        }
        if let GraphNode::Resource(id) = graph.graph[node] {
            selected[id.index()] = to;
        }
        stack.extend(graph.graph.neighbors_directed(node, direction));
    }
}

/// Reads every selected managed resource in the state, at most `parallelism` at a
/// time and fewer while the cloud throttles (`pace`): reads start one by one as others
/// finish, so that memory holds only the reads in flight.
async fn refresh(
    registry: &Registry,
    state: &State,
    selection: &Selection,
    parallelism: usize,
) -> (HashMap<String, Refreshed>, PaceStats) {
    let mut pace = Pace::new(parallelism, registry.backpressure().clone());
    let mut queue = state.resources.iter().filter_map(|(address, record)| {
        if record.mode != Mode::Managed || !selection.state.contains(address) {
            return None;
        }
        let ty = registry.resource(&record.type_name)?.clone();
        Some((address, record, ty))
    });
    let mut tasks = JoinSet::new();
    let mut running: HashMap<tokio::task::Id, (String, Ticket)> = HashMap::new();
    let mut out = HashMap::new();
    loop {
        while tasks.len() < pace.allowed() {
            let Some((address, record, ty)) = queue.next() else {
                break;
            };
            let id = record.id.clone();
            let prior = plain_inputs(record);
            let ticket = pace.start();
            let task = tasks.spawn(async move {
                match ty.read(&id, &prior).await {
                    Ok(Some(observed)) => Refreshed::Found(observed),
                    Ok(None) => Refreshed::Gone,
                    Err(e) => Refreshed::Failed(e),
                }
            });
            running.insert(task.id(), (address.clone(), ticket));
        }
        let Some(joined) = tasks.join_next_with_id().await else {
            break;
        };
        let (address, ticket, outcome) = match joined {
            Ok((task, outcome)) => {
                let (address, ticket) = running.remove(&task).expect("a spawned read");
                (address, ticket, outcome)
            }
            // A read that panics is a bug in strata: the resource is unknown, as after
            // any failed read, and the plan goes on.
            Err(e) => {
                let (address, ticket) = running.remove(&e.id()).expect("a spawned read");
                let what = if e.is_panic() {
                    crate::apply::panic_message(&*e.into_panic())
                } else {
                    e.to_string()
                };
                let error = ProviderError::new(
                    crate::provider::ErrorKind::Other,
                    Some("StrataBug".into()),
                    format!(
                        "the read panicked ({what}); this is a bug in strata, please report it"
                    ),
                );
                (address, ticket, Refreshed::Failed(error))
            }
        };
        let throttled = matches!(&outcome, Refreshed::Failed(e) if e.kind == crate::provider::ErrorKind::Throttled);
        pace.finish(ticket, throttled);
        out.insert(address, outcome);
    }
    (out, pace.stats)
}

/// The inputs of a record that are stored in plain text.
pub fn plain_inputs(record: &ResourceState) -> Attrs {
    record
        .inputs
        .iter()
        .filter_map(|(k, v)| v.as_plain().map(|v| (k.clone(), v.clone())))
        .collect()
}

/// Resource ids in dependency order: every resource after everything it depends on.
pub fn topological(graph: &DepGraph) -> Vec<ResourceId> {
    // The graph was checked acyclic with the spec; edges point at dependencies.
    let order = petgraph::algo::toposort(&graph.graph, None)
        .unwrap_or_else(|_| graph.graph.node_indices().collect());
    order
        .into_iter()
        .rev()
        .filter_map(|n| match graph.graph[n] {
            GraphNode::Resource(id) => Some(id),
            GraphNode::StackBarrier(_) => None,
        })
        .collect()
}

/// What the plan knows of a resource's attributes once it is applied.
#[derive(Clone)]
struct Known {
    values: Arc<BTreeMap<String, (Option<Value>, bool)>>,
    /// Attributes not in `values` are unknown (being created) rather than null.
    pending: bool,
}

struct Planner<'a> {
    spec: &'a Spec,
    registry: &'a Registry,
    state: &'a State,
    known: Vec<Option<Known>>,
    plan: Plan,
    diags: Diagnostics,
}

impl Planner<'_> {
    fn lookup(&self, id: ResourceId, attribute: &str) -> (Option<Value>, bool) {
        match &self.known[id.index()] {
            Some(k) => match k.values.get(attribute) {
                Some(v) => v.clone(),
                None if k.pending => (None, false),
                None => (Some(Value::Null), false),
            },
            None => (None, false),
        }
    }

    fn evaluate(&self, id: ResourceId) -> BTreeMap<String, Evaluated> {
        let resource = self.spec.resource(id);
        let lookup = |target: ResourceId, attribute: &str| self.lookup(target, attribute);
        resource
            .attributes
            .iter()
            .map(|(name, expr)| (name.clone(), eval(expr, &lookup)))
            .collect()
    }

    async fn resource(
        &mut self,
        id: ResourceId,
        refreshed: &HashMap<String, Refreshed>,
        selection: &Selection,
        replace: &HashSet<&str>,
        graph: &DepGraph,
        refresh: bool,
    ) {
        let spec = self.spec;
        let resource = spec.resource(id);
        let address = resource.address.to_string();
        let desired = self.evaluate(id);
        let record = self.state.resources.get(&address);
        let stack = spec.stacks[resource.stack].name.clone();
        let depends_on: Vec<String> = {
            let mut deps: Vec<String> = graph
                .direct_dependencies(id)
                .map(|d| spec.resource(d).address.to_string())
                .collect();
            deps.sort();
            deps.dedup();
            deps
        };

        if resource.mode == SpecMode::Lookup {
            let selected = selection.spec[id.index()];
            self.lookup_resource(id, desired, record, refresh, selected)
                .await;
            return;
        }
        let Some(ty) = self.registry.resource(&resource.type_name) else {
            return;
        };
        let schema = ty.schema();
        let selected = selection.spec[id.index()];

        let mut refresh_error = None;
        let mut observed = None;
        let mut prior_record = record.filter(|r| r.mode == Mode::Managed);
        match refreshed.get(&address) {
            Some(Refreshed::Found(o)) => {
                if let Some(record) = prior_record {
                    let drifted = diff::drift(schema, record, &o.attributes);
                    if !drifted.is_empty() {
                        self.plan.drift.push(Drift {
                            address: address.clone(),
                            stack: stack.clone(),
                            type_name: record.type_name.clone(),
                            kind: DriftKind::Changed,
                            attributes: drifted,
                        });
                    }
                    let updated = refreshed_record(schema, record, o);
                    if &updated != record {
                        self.plan
                            .refreshed_records
                            .insert(address.clone(), Some(updated));
                    }
                }
                observed = Some(&o.attributes);
            }
            Some(Refreshed::Gone) => {
                if let Some(record) = prior_record {
                    self.plan.drift.push(gone_drift(&address, record));
                    self.plan.refreshed_records.insert(address.clone(), None);
                    for deposed in &record.deposed {
                        // The main instance is gone; deposed ones may still exist.
                        self.plan
                            .changes
                            .push(deposed_change(&address, record, deposed));
                    }
                }
                prior_record = None;
            }
            Some(Refreshed::Failed(e)) => refresh_error = Some(e.to_string()),
            None => {}
        }

        if !selected {
            self.remember_unchanged(id, schema, &desired, prior_record, observed);
            return;
        }

        if let Some(record) = prior_record
            && (refreshed
                .get(&address)
                .is_none_or(|r| !matches!(r, Refreshed::Gone)))
        {
            for deposed in &record.deposed {
                self.plan
                    .changes
                    .push(deposed_change(&address, record, deposed));
            }
        }

        let prior = prior_record.map(|record| Prior { record, observed });
        let mut d = diff_resource(
            schema,
            &desired,
            prior,
            &resource.lifecycle,
            replace.contains(address.as_str()),
        );
        if prior_record.is_some_and(|r| r.type_name != resource.type_name) {
            d.action = Action::Replace;
            d.replace_reason = Some(crate::plan::ReplaceReason::ForceNew {
                attributes: vec!["type".into()],
            });
        }
        if d.action == Action::Replace && resource.lifecycle.prevent_destroy {
            self.diags.push(prevent_destroy(
                spec,
                id,
                "this plan would replace it (delete the existing one)",
            ));
        }

        match d.action {
            Action::NoOp | Action::Update => {
                self.remember_unchanged(id, schema, &desired, prior_record, observed);
            }
            _ => {
                let values = desired
                    .iter()
                    .map(|(k, e)| {
                        let sensitive =
                            e.sensitive || schema.attribute(k).is_some_and(|a| a.sensitive);
                        (k.clone(), (e.value.clone(), sensitive))
                    })
                    .collect();
                self.known[id.index()] = Some(Known {
                    values: Arc::new(values),
                    pending: true,
                });
            }
        }

        let canonical_value = canonical(&desired);
        self.plan.changes.push(Change {
            address,
            stack,
            type_name: resource.type_name.clone(),
            mode: Mode::Managed,
            action: d.action,
            replace_reason: d.replace_reason,
            create_before_destroy: resource.lifecycle.create_before_destroy,
            id: prior_record.map(|r| r.id.clone()),
            deposed: None,
            attributes: d.attributes,
            refresh_error,
            depends_on,
            fingerprint: Some(SensitiveDigest::of(&canonical_value)),
            canonical: Some(InMemory(canonical_value)),
        });
    }

    /// Known values for a resource that keeps its identity: desired settable values,
    /// then what the cloud (or else the state) holds for the rest.
    fn remember_unchanged(
        &mut self,
        id: ResourceId,
        schema: &crate::schema::Schema,
        desired: &BTreeMap<String, Evaluated>,
        record: Option<&ResourceState>,
        observed: Option<&Attrs>,
    ) {
        let Some(record) = record else {
            // Not in state and not planned (excluded): nothing is known of it.
            self.known[id.index()] = Some(Known {
                values: Arc::new(BTreeMap::new()),
                pending: true,
            });
            return;
        };
        let sensitive = |k: &str| schema.attribute(k).is_some_and(|a| a.sensitive);
        let mut values: BTreeMap<String, (Option<Value>, bool)> = BTreeMap::new();
        for (k, v) in record.outputs.iter().chain(record.inputs.iter()) {
            if let StoredValue::Plain(v) = v {
                values.insert(k.clone(), (Some(v.clone()), sensitive(k)));
            }
        }
        if let Some(observed) = observed {
            for (k, v) in observed {
                values.insert(k.clone(), (Some(v.clone()), sensitive(k)));
            }
        }
        for (k, e) in desired {
            values.insert(k.clone(), (e.value.clone(), e.sensitive || sensitive(k)));
        }
        values
            .entry("id".into())
            .or_insert_with(|| (Some(Value::String(record.id.clone())), false));
        self.known[id.index()] = Some(Known {
            values: Arc::new(values),
            pending: false,
        });
    }

    async fn lookup_resource(
        &mut self,
        id: ResourceId,
        filters: BTreeMap<String, Evaluated>,
        record: Option<&ResourceState>,
        refresh: bool,
        selected: bool,
    ) {
        let resource = self.spec.resource(id);
        let Some(ty) = self.registry.lookup(&resource.type_name) else {
            return;
        };
        let address = resource.address.to_string();
        let address = address.as_str();
        let stack = self.spec.stacks[resource.stack].name.as_str();
        let known_filters: Option<Attrs> = filters
            .iter()
            .map(|(k, e)| e.value.clone().map(|v| (k.clone(), v)))
            .collect();
        let stored = record.filter(|r| r.mode == Mode::Lookup);
        let mut deferred = false;
        let mut refresh_error = None;
        // The state holds only digests of sensitive results: such a lookup is read
        // even without a refresh, since nothing else can give its value.
        let stored_secret = stored.is_some_and(|r| r.outputs.values().any(|v| v.is_sensitive()));
        let values: Option<Attrs> = match (&known_filters, refresh || stored_secret) {
            (Some(f), true) => match ty.read(f).await {
                Ok(found) => {
                    let record = lookup_record(ty.schema(), &resource.type_name, &found, f, stored);
                    if stored != Some(&record) {
                        self.plan
                            .refreshed_records
                            .insert(address.to_owned(), Some(record));
                    }
                    let mut attrs = found.attributes;
                    attrs.insert("id".into(), Value::String(found.id));
                    if attrs
                        .keys()
                        .any(|k| ty.schema().attribute(k).is_some_and(|a| a.sensitive))
                    {
                        self.plan
                            .lookup_values
                            .0
                            .insert(address.to_owned(), attrs.clone());
                    }
                    Some(attrs)
                }
                Err(e) => {
                    refresh_error = Some(e.to_string());
                    stored.map(record_values)
                }
            },
            (Some(_), false) => {
                // Without a refresh, what was read last time; never read: at apply.
                deferred = stored.is_none();
                stored.map(record_values)
            }
            (None, _) => {
                deferred = true;
                None
            }
        };
        let sensitive = |k: &str| ty.schema().attribute(k).is_some_and(|a| a.sensitive);
        self.known[id.index()] = Some(Known {
            values: Arc::new(
                values
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| {
                        let s = sensitive(&k);
                        (k, (Some(v), s))
                    })
                    .collect(),
            ),
            pending: deferred || refresh_error.is_some() && (stored.is_none() || stored_secret),
        });
        if selected && (deferred || refresh_error.is_some()) {
            self.plan.changes.push(Change {
                address: address.to_owned(),
                stack: stack.to_owned(),
                type_name: resource.type_name.clone(),
                mode: Mode::Lookup,
                action: Action::Read,
                replace_reason: None,
                create_before_destroy: false,
                id: None,
                deposed: None,
                attributes: Vec::new(),
                refresh_error,
                depends_on: Vec::new(),
                fingerprint: None,
                canonical: None,
            });
        }
    }

    /// Resources the state holds that the spec no longer declares: deleted.
    fn orphans(&mut self, refreshed: &HashMap<String, Refreshed>, selection: &Selection) {
        for (address, record) in &self.state.resources {
            if self.spec.find_str(address).is_some() || !selection.state.contains(address) {
                continue;
            }
            if record.mode == Mode::Lookup {
                self.plan.refreshed_records.insert(address.clone(), None);
                continue;
            }
            let Some(ty) = self.registry.resource(&record.type_name) else {
                self.diags
                    .push(unknown_state_type(address, &record.type_name));
                continue;
            };
            for deposed in &record.deposed {
                self.plan
                    .changes
                    .push(deposed_change(address, record, deposed));
            }
            let mut refresh_error = None;
            match refreshed.get(address) {
                Some(Refreshed::Gone) => {
                    self.plan.drift.push(gone_drift(address, record));
                    self.plan.refreshed_records.insert(address.clone(), None);
                    continue;
                }
                Some(Refreshed::Failed(e)) => refresh_error = Some(e.to_string()),
                _ => {}
            }
            self.plan
                .changes
                .push(delete_change(address, record, ty.schema(), refresh_error));
        }
    }

    fn outputs(&mut self) {
        let lookup = |target: ResourceId, attribute: &str| self.lookup(target, attribute);
        let mut seen = HashSet::new();
        let mut outputs = Vec::new();
        for stack in &self.spec.stacks {
            for output in &stack.outputs {
                let name = format!("{}.{}", stack.name, output.name);
                let e = eval(&output.value, &lookup);
                let sensitive = e.sensitive || output.sensitive;
                let before = self.state.outputs.get(&name);
                let action = match (before, &e.value) {
                    (None, _) => Action::Create,
                    (Some(_), None) => Action::Update,
                    (Some(b), Some(v)) if b.matches(v) => Action::NoOp,
                    (Some(_), Some(_)) => Action::Update,
                };
                outputs.push(OutputChange {
                    before: before.map_or(Shown::Absent, stored_shown),
                    after: match (&e.value, sensitive) {
                        (None, _) => Shown::Unknown,
                        (Some(_), true) => Shown::Sensitive,
                        (Some(v), false) => Shown::Known(v.clone()),
                    },
                    action,
                    name: name.clone(),
                });
                seen.insert(name);
            }
        }
        for (name, stored) in &self.state.outputs {
            if !seen.contains(name) {
                outputs.push(OutputChange {
                    name: name.clone(),
                    action: Action::Delete,
                    before: stored_shown(stored),
                    after: Shown::Absent,
                });
            }
        }
        self.plan.outputs = outputs;
    }
}

fn stored_shown(stored: &StoredValue) -> Shown {
    match stored {
        StoredValue::Plain(v) => Shown::Known(v.clone()),
        StoredValue::Sensitive(_) => Shown::Sensitive,
    }
}

/// Every value a stored record holds in plain text, with its id.
fn record_values(record: &ResourceState) -> Attrs {
    let mut values = plain_inputs(record);
    for (k, v) in &record.outputs {
        if let Some(v) = v.as_plain() {
            values.insert(k.clone(), v.clone());
        }
    }
    values.insert("id".into(), Value::String(record.id.clone()));
    values
}

/// The state record for what a lookup found. Results the schema marks sensitive are
/// kept as digests; one that still matches `prior`'s digest keeps it, so that reading
/// an unchanged secret again does not rewrite the state.
pub(crate) fn lookup_record(
    schema: &crate::schema::Schema,
    type_name: &str,
    found: &Observed,
    filters: &Attrs,
    prior: Option<&ResourceState>,
) -> ResourceState {
    let mut record = ResourceState::new(type_name, Mode::Lookup, found.id.clone());
    record.inputs = filters
        .iter()
        .map(|(k, v)| (k.clone(), StoredValue::plain(v.clone())))
        .collect();
    record.outputs = found
        .attributes
        .iter()
        .filter(|(k, _)| !filters.contains_key(*k))
        .map(|(k, v)| {
            let stored = if schema.attribute(k).is_some_and(|a| a.sensitive) {
                match prior.and_then(|p| p.outputs.get(k)) {
                    Some(p) if p.is_sensitive() && p.matches(v) => p.clone(),
                    _ => StoredValue::sensitive(v),
                }
            } else {
                StoredValue::plain(v.clone())
            };
            (k.clone(), stored)
        })
        .collect();
    record
}

/// A record updated with what the refresh read: computed attributes as the cloud has
/// them now; inputs drifted outside strata take the cloud's value, so that state and
/// cloud agree once the plan is applied.
fn refreshed_record(
    schema: &crate::schema::Schema,
    record: &ResourceState,
    observed: &Observed,
) -> ResourceState {
    let mut updated = record.clone();
    updated.id = observed.id.clone();
    for (k, v) in &observed.attributes {
        let sensitive = schema.attribute(k).is_some_and(|a| a.sensitive);
        let slot = if record.inputs.contains_key(k) {
            &mut updated.inputs
        } else {
            &mut updated.outputs
        };
        let same = slot.get(k).is_some_and(|s| {
            s.matches(v) || matches!(s, StoredValue::Plain(p) if diff::same(p, v))
        });
        // What was applied as a secret stays a digest when the cloud changed it.
        let was_secret = slot.get(k).is_some_and(StoredValue::is_sensitive);
        if !same {
            slot.insert(
                k.clone(),
                if sensitive || was_secret {
                    StoredValue::sensitive(v)
                } else {
                    StoredValue::plain(v.clone())
                },
            );
        }
    }
    updated
}

fn gone_drift(address: &str, record: &ResourceState) -> Drift {
    Drift {
        address: address.to_owned(),
        stack: stack_of(address).to_owned(),
        type_name: record.type_name.clone(),
        kind: DriftKind::Deleted,
        attributes: Vec::new(),
    }
}

/// The deletion of a resource the state holds.
fn delete_change(
    address: &str,
    record: &ResourceState,
    schema: &crate::schema::Schema,
    refresh_error: Option<String>,
) -> Change {
    Change {
        attributes: diff::deleted_attributes(schema, record),
        refresh_error,
        deposed: None,
        ..deposed_change(address, record, &record.id)
    }
}

fn deposed_change(address: &str, record: &ResourceState, deposed: &str) -> Change {
    Change {
        address: address.to_owned(),
        stack: stack_of(address).to_owned(),
        type_name: record.type_name.clone(),
        mode: Mode::Managed,
        action: Action::Delete,
        replace_reason: None,
        create_before_destroy: false,
        id: Some(deposed.to_owned()),
        deposed: Some(deposed.to_owned()),
        attributes: Vec::new(),
        refresh_error: None,
        depends_on: record.dependencies.clone(),
        fingerprint: None,
        canonical: None,
    }
}

pub(crate) fn stack_of(address: &str) -> &str {
    address.split_once('.').map_or(address, |(s, _)| s)
}

fn prevent_destroy(spec: &Spec, id: ResourceId, what: &str) -> Diagnostic {
    let r = spec.resource(id);
    Diagnostic::error(
        "plan::prevent_destroy",
        format!("`{}` has `prevent-destroy`, but {what}", r.address),
    )
    .label(r.name_span, "protected by `lifecycle prevent-destroy=#true`")
    .help("if deleting it is really intended, set `prevent-destroy=#false` first, in its own change; otherwise undo the change that forces the replacement")
}

fn unknown_state_type(address: &str, type_name: &str) -> Diagnostic {
    Diagnostic::error(
        "plan::unknown_state_type",
        format!(
            "the state holds `{address}` of type `{type_name}`, which this strata does not know"
        ),
    )
    .help("use the strata version that wrote the state, or remove the entry with `strata state rm`")
}

/// Every `--target`, `--exclude` and `--replace` must name a resource of the spec or
/// the state.
fn check_addresses(spec: &Spec, state: &State, options: &PlanOptions, diags: &mut Diagnostics) {
    let flags = [
        ("--target", &options.targets),
        ("--exclude", &options.excludes),
        ("--replace", &options.replace),
    ];
    for (flag, addresses) in flags {
        for address in addresses {
            if spec.find_str(address).is_some() || state.resources.contains_key(address) {
                continue;
            }
            let candidates: Vec<String> = spec
                .resources
                .iter()
                .map(|r| r.address.to_string())
                .chain(state.resources.keys().cloned())
                .collect();
            diags.push(
                Diagnostic::error(
                    "plan::unknown_address",
                    format!("`{flag} {address}` names no resource of the spec or the state"),
                )
                .maybe_help(did_you_mean(address, candidates.iter().map(String::as_str)))
                .help_or(
                    "addresses are `stack.resource`; `strata state list` shows those in the state",
                ),
            );
        }
    }
}

/// Spec resources in stack order then by name; then what only the state knows.
fn sort_changes(spec: &Spec, plan: &mut Plan) {
    let stack_index: HashMap<&str, usize> = spec
        .stacks
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    plan.changes.sort_by_cached_key(|c| {
        let in_spec = spec.find_str(&c.address).is_some();
        (
            !in_spec,
            stack_index
                .get(c.stack.as_str())
                .copied()
                .unwrap_or(usize::MAX),
            c.address.clone(),
            c.deposed.is_some(),
        )
    });
    plan.drift.sort_by(|a, b| a.address.cmp(&b.address));
}
