//! Executing a plan: the graph walk of `apply` and `destroy`.
//!
//! The walk runs on tokio with at most `parallelism` cloud operations in flight. Its
//! nodes mirror the dependency graph twice: a *forward* layer (create, update, read;
//! dependencies first) and a *destroy* layer (delete; dependents first), plus one node
//! per deletion of something only the state knows (resources removed from the spec,
//! deposed instances). A replace is a destroy node and a forward node of the same
//! resource, ordered delete-then-create, or create-then-delete under
//! `create-before-destroy`. A node starts as soon as every node it waits for is done.
//!
//! Invariants:
//! - The state is saved (through [`StateSink`]) after every completed operation that
//!   changed it, before the operation is reported and before anything else starts that
//!   could depend on it, and before every create call with the create pending.
//!   Operations that finish together are saved in one write (group commit), and so are
//!   the pending entries of creates that start together. A create that half-succeeded
//!   is recorded as tainted with the id the provider returned. Nothing that exists in
//!   the cloud is ever absent from the last saved state for longer than one operation.
//! - Every edit of the state is named in `Run::changed` where it is made (record,
//!   pending create, outputs), and each save hands exactly those to the sink: a save
//!   costs the size of the change, not of the state.
//! - A failed node stops exactly the nodes that depend on it (reported once each, as
//!   skipped because of that failure); independent work finishes.
//! - After cancellation no operation starts; in-flight ones finish and are saved.
//! - Values computed by the cloud flow to dependents: desired values are evaluated
//!   when a node starts, from what its dependencies returned.
//! - Sensitive values reach the state only as salted digests.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::diag::Diagnostic;
use crate::graph::{DepGraph, GraphNode};
use crate::pace::{Pace, PaceStats, Ticket};
use crate::plan::eval::{Evaluated, eval};
use crate::plan::planner::{lookup_record, plain_inputs, topological};
use crate::plan::{Action, Change, Plan, PlanKind};
use crate::provider::{
    Attrs, CreateError, CreateToken, ErrorKind, Observed, ProviderError, Registry,
};
use crate::schema::Schema;
use crate::spec::expr::ResourceId;
use crate::spec::model::Spec;
use crate::state::{
    Changed, Mode, PendingCreate, ResourceState, State, StateSink, Status, StoredValue,
};
use crate::value::Value;

/// Asks a running apply to stop starting operations (Ctrl-C).
#[derive(Clone, Default)]
pub struct Cancel(Arc<(AtomicBool, Notify)>);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.0.store(true, Ordering::SeqCst);
        self.0.1.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.0.load(Ordering::SeqCst)
    }

    async fn cancelled(&self) {
        let notified = self.0.1.notified();
        if self.is_cancelled() {
            return;
        }
        notified.await;
    }
}

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// How many cloud operations run at once (`--parallelism`, default 16).
    pub parallelism: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { parallelism: 16 }
    }
}

/// What an operation is, for progress lines and the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    /// Delete the instance a replace leaves behind.
    DeleteReplaced,
    Read,
}

impl Operation {
    pub fn progressive(self) -> &'static str {
        match self {
            Operation::Create => "creating",
            Operation::Update => "updating",
            Operation::Delete | Operation::DeleteReplaced => "deleting",
            Operation::Read => "reading",
        }
    }

    pub fn past(self) -> &'static str {
        match self {
            Operation::Create => "created",
            Operation::Update => "updated",
            Operation::Delete | Operation::DeleteReplaced => "deleted",
            Operation::Read => "read",
        }
    }
}

/// Progress, reported as operations start and finish.
#[derive(Debug)]
pub enum Event<'a> {
    Started {
        address: &'a str,
        operation: Operation,
        /// The cloud id the operation acts on, when there is one.
        id: Option<&'a str>,
    },
    Finished {
        address: &'a str,
        operation: Operation,
        elapsed: Duration,
        /// The new id after a create.
        id: Option<&'a str>,
        error: Option<&'a Diagnostic>,
    },
    /// Cancellation was requested; `in_flight` operations are still running.
    Cancelling { in_flight: usize },
}

#[derive(Debug, Clone)]
pub struct Done {
    pub address: String,
    pub operation: Operation,
    pub elapsed: Duration,
}

#[derive(Debug, Clone)]
pub struct Failed {
    pub address: String,
    pub operation: Operation,
    pub diagnostic: Diagnostic,
}

#[derive(Debug, Clone)]
pub struct Skipped {
    pub address: String,
    pub operation: Operation,
    /// The failed address that stopped it.
    pub because: String,
}

/// What an apply did.
#[derive(Debug)]
pub struct ApplyReport {
    pub succeeded: Vec<Done>,
    pub failed: Vec<Failed>,
    pub skipped: Vec<Skipped>,
    /// Not started because the run was cancelled or the state could not be saved.
    pub not_started: Vec<(String, Operation)>,
    pub cancelled: bool,
    /// Saving the state failed: the run stopped starting operations.
    pub state_error: Option<String>,
    /// The state as last saved.
    pub state: State,
    /// How the walk paced its operations: throttling seen, how far it slowed down.
    pub pace: PaceStats,
}

impl ApplyReport {
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
            && self.skipped.is_empty()
            && self.not_started.is_empty()
            && !self.cancelled
            && self.state_error.is_none()
    }
}

#[derive(Debug, Clone, Copy)]
enum Task {
    /// A graph node of the forward layer: a resource's create / update / read, or a
    /// pass-through (barrier, unchanged resource).
    Forward(petgraph::graph::NodeIndex),
    /// A graph node of the destroy layer.
    Destroy(petgraph::graph::NodeIndex),
    /// A deletion of something the spec does not hold (change index).
    Orphan(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeStatus {
    Waiting,
    Running,
    Done,
    Failed,
    Skipped,
}

struct Walk {
    tasks: Vec<Task>,
    successors: Vec<Vec<u32>>,
    waiting_on: Vec<u32>,
    status: Vec<NodeStatus>,
}

impl Walk {
    fn edge(&mut self, before: usize, after: usize) {
        self.successors[before].push(after as u32);
        self.waiting_on[after] += 1;
    }
}

/// What the walk knows of each resource once it is done: its values for references.
type KnownValues = HashMap<ResourceId, Arc<BTreeMap<String, (Value, bool)>>>;

struct OpResult {
    node: usize,
    elapsed: Duration,
    outcome: Outcome,
}

/// An operation prepared to start once the state (holding its pending create) is saved.
struct Starting {
    node: usize,
    ci: usize,
    op: Operation,
    /// The cloud id the `Started` event names.
    target_id: Option<String>,
    /// False for a deletion of what is already gone: it finishes without starting.
    announce: bool,
    fut: std::pin::Pin<Box<dyn Future<Output = OpResult> + Send>>,
}

/// An operation's outcome as recorded in the state, reported once that is saved.
struct Recorded {
    node: usize,
    ci: usize,
    op: Operation,
    elapsed: Duration,
    /// The new id after a create.
    new_id: Option<String>,
    error: Option<Diagnostic>,
}

enum Outcome {
    Created(Observed),
    CreateFailed(CreateError),
    Updated(Observed),
    Deleted,
    Read(Observed),
    Failed(ProviderError),
}

/// Applies `plan`: `state` must be the state the plan was made from (with the same
/// lineage and serial; the caller checks saved plans). Returns what happened; the
/// state has been saved after every operation.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    plan: &Plan,
    spec: &Spec,
    graph: &DepGraph,
    registry: &Registry,
    state: State,
    sink: &dyn StateSink,
    options: &ApplyOptions,
    cancel: &Cancel,
    progress: &(dyn Fn(Event<'_>) + Sync),
) -> ApplyReport {
    let mut run = Run {
        plan,
        spec,
        graph,
        registry,
        sink,
        report: ApplyReport {
            succeeded: Vec::new(),
            failed: Vec::new(),
            skipped: Vec::new(),
            not_started: Vec::new(),
            cancelled: false,
            state_error: None,
            state,
            pace: PaceStats::default(),
        },
        changed: Changed::new(),
        known: HashMap::new(),
        change_of: vec![None; spec.resources.len()],
        desired: HashMap::new(),
    };
    for (i, change) in plan.changes.iter().enumerate() {
        if change.deposed.is_none()
            && let Some(r) = spec.find_str(&change.address)
            && r.type_name == change.type_name
        {
            run.change_of[r.id.index()] = Some(i);
        }
    }
    let resolved: Vec<&str> = plan
        .recovered
        .iter()
        .filter(|r| r.error.is_none())
        .map(|r| r.address.as_str())
        .collect();
    if !plan.refreshed_records.is_empty() || !resolved.is_empty() {
        for (address, record) in &plan.refreshed_records {
            run.changed.resource(address);
            match record {
                Some(r) => run
                    .report
                    .state
                    .resources
                    .insert(address.clone(), r.clone()),
                None => run.report.state.resources.remove(address),
            };
        }
        // An interrupted create the plan resolved: found (its record came in above) or
        // never made.
        for address in resolved {
            run.changed.pending(address);
            run.report.state.pending.remove(address);
        }
        run.save();
    }
    if run.report.state_error.is_none() {
        let walk = run.build_walk();
        run.walk(walk, options.parallelism.max(1), cancel, progress)
            .await;
    }
    if run.report.state_error.is_none() && !run.report.cancelled {
        run.record_outputs();
    }
    run.report
}

struct Run<'a> {
    plan: &'a Plan,
    spec: &'a Spec,
    graph: &'a DepGraph,
    registry: &'a Registry,
    sink: &'a dyn StateSink,
    report: ApplyReport,
    /// What changed in `report.state` since it was last saved.
    changed: Changed,
    known: KnownValues,
    /// The plan's change for each spec resource.
    change_of: Vec<Option<usize>>,
    /// Desired values evaluated when a node started, by node.
    desired: HashMap<usize, BTreeMap<String, Evaluated>>,
}

impl Run<'_> {
    /// Saves the edits made to the state since the last save (each one is named in
    /// `changed` where it is made), if there are any.
    fn save(&mut self) {
        if self.report.state_error.is_some() || self.changed.is_empty() {
            return;
        }
        match self.sink.save(&mut self.report.state, &self.changed) {
            Ok(()) => self.changed = Changed::new(),
            Err(e) => {
                let mut text = e.to_string();
                if let Some(help) = e.help() {
                    text = format!("{text} ({help})");
                }
                self.report.state_error = Some(text);
            }
        }
    }

    fn build_walk(&self) -> Walk {
        let g = &self.graph.graph;
        let n = g.node_count();
        // Deletions the destroy layer does not carry: resources the spec no longer
        // holds, deposed instances, and (for `apply`) every delete.
        let in_destroy_layer = |ci: usize, c: &Change| {
            self.plan.kind == PlanKind::Destroy
                && c.deposed.is_none()
                && self
                    .spec
                    .find_str(&c.address)
                    .is_some_and(|r| self.change_of[r.id.index()] == Some(ci))
        };
        let orphans: Vec<usize> = self
            .plan
            .changes
            .iter()
            .enumerate()
            .filter(|(ci, c)| c.action == Action::Delete && !in_destroy_layer(*ci, c))
            .map(|(ci, _)| ci)
            .collect();
        let total = 2 * n + orphans.len();
        let mut walk = Walk {
            tasks: Vec::with_capacity(total),
            successors: vec![Vec::new(); total],
            waiting_on: vec![0; total],
            status: vec![NodeStatus::Waiting; total],
        };
        walk.tasks.extend(g.node_indices().map(Task::Forward));
        walk.tasks.extend(g.node_indices().map(Task::Destroy));
        walk.tasks.extend(orphans.iter().map(|&i| Task::Orphan(i)));
        let forward = |node: petgraph::graph::NodeIndex| node.index();
        let destroy = |node: petgraph::graph::NodeIndex| n + node.index();

        for edge in g.raw_edges() {
            // `source` depends on `target`.
            walk.edge(forward(edge.target()), forward(edge.source()));
            walk.edge(destroy(edge.source()), destroy(edge.target()));
        }
        for r in &self.spec.resources {
            let Some(ci) = self.change_of[r.id.index()] else {
                continue;
            };
            let change = &self.plan.changes[ci];
            let node = self.graph.resource_nodes[r.id.index()];
            if change.action == Action::Replace {
                if change.create_before_destroy {
                    walk.edge(forward(node), destroy(node));
                    // Dependents move to the new instance before the old one goes.
                    for dependent in g.neighbors_directed(node, petgraph::Direction::Incoming) {
                        if matches!(g[dependent], GraphNode::Resource(_)) {
                            walk.edge(forward(dependent), destroy(node));
                        }
                    }
                } else {
                    walk.edge(destroy(node), forward(node));
                }
            }
        }
        // Deletions of what the spec no longer holds: after everything that depended
        // on them (by the state's record), before what they depended on.
        let mut orphan_node: HashMap<&str, usize> = HashMap::new();
        for (k, &ci) in orphans.iter().enumerate() {
            if self.plan.changes[ci].deposed.is_none() {
                orphan_node.insert(self.plan.changes[ci].address.as_str(), 2 * n + k);
            }
        }
        let destroy_side = |address: &str| -> Option<usize> {
            if let Some(&node) = orphan_node.get(address) {
                return Some(node);
            }
            self.spec
                .find_str(address)
                .map(|r| destroy(self.graph.resource_nodes[r.id.index()]))
        };
        // The main instance of an address goes only once its deposed instances are
        // gone: removing its record earlier would drop their ids from the state.
        for (k, &ci) in orphans.iter().enumerate() {
            let change = &self.plan.changes[ci];
            if change.deposed.is_some()
                && let Some(main) = destroy_side(&change.address)
            {
                walk.edge(2 * n + k, main);
            }
        }
        for (address, record) in &self.report.state.resources {
            let Some(dependent) = destroy_side(address) else {
                continue;
            };
            for dep in &record.dependencies {
                if let Some(&orphan) = orphan_node.get(dep.as_str()) {
                    walk.edge(dependent, orphan);
                    if let Some(r) = self.spec.find_str(address) {
                        walk.edge(forward(self.graph.resource_nodes[r.id.index()]), orphan);
                    }
                } else if orphan_node.contains_key(address.as_str())
                    && let Some(target) = destroy_side(dep)
                {
                    walk.edge(dependent, target);
                }
            }
        }
        walk
    }

    /// The operation a node performs, if any (None: it passes through).
    fn operation(&self, task: Task) -> Option<(usize, Operation)> {
        match task {
            Task::Forward(node) => {
                let GraphNode::Resource(id) = self.graph.graph[node] else {
                    return None;
                };
                let ci = self.change_of[id.index()]?;
                let op = match self.plan.changes[ci].action {
                    Action::Create | Action::Replace => Operation::Create,
                    Action::Update => Operation::Update,
                    Action::Read => Operation::Read,
                    Action::Delete if self.plan.kind == PlanKind::Destroy => return None,
                    Action::NoOp | Action::Delete => return None,
                };
                Some((ci, op))
            }
            Task::Destroy(node) => {
                let GraphNode::Resource(id) = self.graph.graph[node] else {
                    return None;
                };
                let ci = self.change_of[id.index()]?;
                match self.plan.changes[ci].action {
                    Action::Replace => Some((ci, Operation::DeleteReplaced)),
                    Action::Delete if self.plan.kind == PlanKind::Destroy => {
                        Some((ci, Operation::Delete))
                    }
                    _ => None,
                }
            }
            Task::Orphan(ci) => Some((ci, Operation::Delete)),
        }
    }

    async fn walk(
        &mut self,
        mut walk: Walk,
        parallelism: usize,
        cancel: &Cancel,
        progress: &(dyn Fn(Event<'_>) + Sync),
    ) {
        let mut ready: VecDeque<usize> = (0..walk.tasks.len())
            .filter(|&i| walk.waiting_on[i] == 0)
            .collect();
        let mut running: JoinSet<OpResult> = JoinSet::new();
        // Which node each running task is for, and since when: a task that panics
        // returns no result to say so.
        let mut spawned: HashMap<tokio::task::Id, (usize, Instant, Ticket)> = HashMap::new();
        // At most `parallelism` at once, fewer while the cloud throttles.
        let mut pace = Pace::new(parallelism, self.registry.backpressure().clone());
        let mut cancel_reported = false;
        loop {
            let stopping = cancel.is_cancelled() || self.report.state_error.is_some();
            if stopping && !cancel_reported && cancel.is_cancelled() {
                cancel_reported = true;
                self.report.cancelled = true;
                progress(Event::Cancelling {
                    in_flight: running.len(),
                });
            }
            // The operations to start now: prepared first (creates entered as pending),
            // saved in one write, then started.
            let mut starting: Vec<Starting> = Vec::new();
            while !stopping && running.len() + starting.len() < pace.allowed() {
                let Some(node) = ready.pop_front() else {
                    break;
                };
                match self.operation(walk.tasks[node]) {
                    None => {
                        self.pass_through(walk.tasks[node]);
                        self.complete(&mut walk, node, &mut ready);
                    }
                    Some((ci, op)) => match self.start(node, ci, op) {
                        Ok(prepared) => starting.push(prepared),
                        Err(diagnostic) => {
                            let change = &self.plan.changes[ci];
                            progress(Event::Finished {
                                address: &change.address,
                                operation: op,
                                elapsed: Duration::ZERO,
                                id: None,
                                error: Some(&diagnostic),
                            });
                            self.fail(&mut walk, node, ci, op, diagnostic);
                        }
                    },
                }
            }
            if !starting.is_empty() {
                self.save();
            }
            for prepared in starting {
                let Starting {
                    node,
                    ci,
                    op,
                    target_id,
                    announce,
                    fut,
                } = prepared;
                let change = &self.plan.changes[ci];
                if let Some(e) = &self.report.state_error {
                    if op == Operation::Create {
                        // Without its pending entry saved, a kill during the call could
                        // orphan what it makes.
                        let diagnostic = self.error(
                            change,
                            op,
                            &ProviderError::other(format!(
                                "the state could not be saved before the create: {e}"
                            )),
                        );
                        progress(Event::Finished {
                            address: &change.address,
                            operation: op,
                            elapsed: Duration::ZERO,
                            id: None,
                            error: Some(&diagnostic),
                        });
                        self.fail(&mut walk, node, ci, op, diagnostic);
                    }
                    // Anything else is reported as not started.
                    continue;
                }
                if announce {
                    progress(Event::Started {
                        address: &change.address,
                        operation: op,
                        id: target_id.as_deref(),
                    });
                }
                walk.status[node] = NodeStatus::Running;
                let task = running.spawn(fut);
                spawned.insert(task.id(), (node, Instant::now(), pace.start()));
            }
            if running.is_empty() {
                if stopping || ready.is_empty() {
                    break;
                }
                continue;
            }
            let joined = tokio::select! {
                joined = running.join_next_with_id() => joined,
                _ = cancel.cancelled(), if !cancel.is_cancelled() => continue,
            };
            let Some(joined) = joined else { continue };
            // Group commit: every operation that has finished by now is recorded, the
            // state saved once, and only then does anything that waits on them start.
            let mut results = vec![op_result(joined, &mut spawned, &mut pace)];
            while let Some(joined) = running.try_join_next_with_id() {
                results.push(op_result(joined, &mut spawned, &mut pace));
            }
            let recorded: Vec<Recorded> = results
                .into_iter()
                .map(|result| self.record(&walk, result))
                .collect();
            self.save();
            for recorded in recorded {
                self.conclude(&mut walk, recorded, &mut ready, progress);
            }
        }
        self.report.pace = pace.stats;
        for (node, status) in walk.status.iter().enumerate() {
            if *status == NodeStatus::Waiting
                && let Some((ci, op)) = self.operation(walk.tasks[node])
            {
                self.report
                    .not_started
                    .push((self.plan.changes[ci].address.clone(), op));
            }
        }
    }

    fn complete(&mut self, walk: &mut Walk, node: usize, ready: &mut VecDeque<usize>) {
        walk.status[node] = NodeStatus::Done;
        for i in 0..walk.successors[node].len() {
            let next = walk.successors[node][i] as usize;
            walk.waiting_on[next] -= 1;
            if walk.waiting_on[next] == 0 && walk.status[next] == NodeStatus::Waiting {
                ready.push_back(next);
            }
        }
    }

    /// Marks `node` failed and everything that waits on it, transitively, skipped.
    fn fail(&mut self, walk: &mut Walk, node: usize, ci: usize, op: Operation, d: Diagnostic) {
        // `ci` is the failed change.
        walk.status[node] = NodeStatus::Failed;
        let because = self.plan.changes[ci].address.clone();
        self.report.failed.push(Failed {
            address: because.clone(),
            operation: op,
            diagnostic: d,
        });
        let mut stack: Vec<usize> = walk.successors[node].iter().map(|&s| s as usize).collect();
        while let Some(next) = stack.pop() {
            if walk.status[next] != NodeStatus::Waiting {
                continue;
            }
            walk.status[next] = NodeStatus::Skipped;
            if let Some((skipped_ci, op)) = self.operation(walk.tasks[next]) {
                let address = &self.plan.changes[skipped_ci].address;
                // The other half of a failed replace is not reported twice.
                if skipped_ci != ci {
                    self.report.skipped.push(Skipped {
                        address: address.clone(),
                        operation: op,
                        because: because.clone(),
                    });
                }
            }
            stack.extend(walk.successors[next].iter().map(|&s| s as usize));
        }
    }

    /// A forward node without an operation: its resource keeps its identity; what
    /// dependents may read of it is what the state holds plus the spec's values.
    fn pass_through(&mut self, task: Task) {
        let Task::Forward(node) = task else { return };
        let GraphNode::Resource(id) = self.graph.graph[node] else {
            return;
        };
        let resource = self.spec.resource(id);
        let address = resource.address.to_string();
        let schema = self.schema(&resource.type_name);
        let mut values: BTreeMap<String, (Value, bool)> = BTreeMap::new();
        // Without a record the resource does not exist (excluded from this run, or its
        // create failed): it stays unknown, and so does whatever reads it.
        let Some(record) = self.report.state.resources.get(&address) else {
            return;
        };
        for (k, v) in record.outputs.iter().chain(record.inputs.iter()) {
            if let StoredValue::Plain(v) = v {
                values.insert(k.clone(), (v.clone(), sensitive(schema, k)));
            }
        }
        values
            .entry("id".into())
            .or_insert_with(|| (Value::String(record.id.clone()), false));
        // A lookup read while planning with sensitive results: the state has only
        // their digests, the plan has the values in memory.
        if let Some(found) = self.plan.lookup_values.0.get(&address) {
            for (k, v) in found {
                values.insert(k.clone(), (v.clone(), sensitive(schema, k)));
            }
        }
        for (k, e) in self.evaluate(id) {
            if let Some(v) = e.value {
                values.insert(k.clone(), (v, e.sensitive || sensitive(schema, &k)));
            }
        }
        self.known.insert(id, Arc::new(values));
    }

    fn schema(&self, type_name: &str) -> Option<&Schema> {
        self.registry
            .resource(type_name)
            .map(|t| t.schema())
            .or_else(|| self.registry.lookup(type_name).map(|t| t.schema()))
    }

    fn evaluate(&self, id: ResourceId) -> BTreeMap<String, Evaluated> {
        let lookup = |target: ResourceId, attribute: &str| match self.known.get(&target) {
            Some(values) => match values.get(attribute) {
                Some((v, s)) => (Some(v.clone()), *s),
                None => (Some(Value::Null), false),
            },
            None => (None, false),
        };
        self.spec
            .resource(id)
            .attributes
            .iter()
            .map(|(name, expr)| (name.clone(), eval(expr, &lookup)))
            .collect()
    }

    /// Prepares the operation of `node` (a create is entered as pending, not saved yet)
    /// and returns it as a task to spawn once the state is saved.
    fn start(&mut self, node: usize, ci: usize, op: Operation) -> Result<Starting, Diagnostic> {
        let change = &self.plan.changes[ci];
        let record = self.report.state.resources.get(&change.address);
        let started = Instant::now();
        // For deletions: the instance to delete and what it was applied with.
        let target_id = match op {
            Operation::Delete => change
                .deposed
                .clone()
                .or_else(|| record.map(|r| r.id.clone())),
            Operation::DeleteReplaced => record.map(|r| {
                if change.create_before_destroy {
                    r.deposed.last().cloned().unwrap_or_else(|| r.id.clone())
                } else {
                    r.id.clone()
                }
            }),
            Operation::Update => record.map(|r| r.id.clone()),
            Operation::Create | Operation::Read => None,
        };
        let prior = record.map(plain_inputs).unwrap_or_default();
        let desired = match op {
            Operation::Create | Operation::Update | Operation::Read => {
                let resource = self
                    .spec
                    .find_str(&change.address)
                    .expect("a forward operation belongs to a spec resource");
                let desired = self.evaluate(resource.id);
                let mut values = Attrs::new();
                for (k, e) in &desired {
                    match &e.value {
                        Some(v) => {
                            values.insert(k.clone(), v.clone());
                        }
                        None => {
                            return Err(self.error(
                                change,
                                op,
                                &ProviderError::other(format!(
                                    "the value of `{k}` is still unknown when it should be known; this is a bug in strata"
                                )),
                            ));
                        }
                    }
                }
                self.desired.insert(node, desired);
                values
            }
            _ => Attrs::new(),
        };
        if target_id.is_none() {
            match op {
                // Nothing left to delete (a previous run already removed it).
                Operation::Delete | Operation::DeleteReplaced => {
                    return Ok(Starting {
                        node,
                        ci,
                        op,
                        target_id: None,
                        announce: false,
                        fut: boxed_ready(node, Outcome::Deleted),
                    });
                }
                Operation::Update => {
                    return Err(self.error(
                        change,
                        op,
                        &ProviderError::other(
                            "the state no longer holds this resource: run plan again",
                        ),
                    ));
                }
                Operation::Create | Operation::Read => {}
            }
        }
        let token = match op {
            Operation::Create => Some(self.enter_pending(ci, node)?),
            _ => None,
        };
        let change = &self.plan.changes[ci];
        let started_id = target_id.clone();
        let changed: Vec<String> = change.attributes.iter().map(|a| a.name.clone()).collect();
        let fut: std::pin::Pin<Box<dyn Future<Output = OpResult> + Send>> = match op {
            Operation::Read => {
                let ty = self
                    .registry
                    .lookup(&change.type_name)
                    .cloned()
                    .expect("lookup type checked with the spec");
                Box::pin(async move {
                    let outcome = match ty.read(&desired).await {
                        Ok(found) => Outcome::Read(found),
                        Err(e) => Outcome::Failed(e),
                    };
                    OpResult {
                        node,
                        elapsed: started.elapsed(),
                        outcome,
                    }
                })
            }
            _ => {
                let ty = self
                    .registry
                    .resource(&change.type_name)
                    .cloned()
                    .ok_or_else(|| {
                        self.error(
                            change,
                            op,
                            &ProviderError::other(format!(
                                "resource type `{}` is not known to this strata",
                                change.type_name
                            )),
                        )
                    })?;
                let id = target_id.unwrap_or_default();
                Box::pin(async move {
                    let outcome = match op {
                        Operation::Create => match ty
                            .create(&desired, &token.expect("a create has a token"))
                            .await
                        {
                            Ok(o) => Outcome::Created(o),
                            Err(e) => Outcome::CreateFailed(e),
                        },
                        Operation::Update => {
                            match ty.update(&id, &prior, &desired, &changed).await {
                                Ok(o) => Outcome::Updated(o),
                                Err(e) => Outcome::Failed(e),
                            }
                        }
                        _ => match ty.delete(&id, &prior).await {
                            Ok(()) => Outcome::Deleted,
                            Err(e) if e.kind == ErrorKind::NotFound => Outcome::Deleted,
                            Err(e) => Outcome::Failed(e),
                        },
                    };
                    OpResult {
                        node,
                        elapsed: started.elapsed(),
                        outcome,
                    }
                })
            }
        };
        Ok(Starting {
            node,
            ci,
            op,
            target_id: started_id,
            announce: true,
            fut,
        })
    }

    /// Records in the state what an operation did (not saved yet: the caller saves
    /// every operation finished at the same time at once).
    fn record(&mut self, walk: &Walk, result: OpResult) -> Recorded {
        let node = result.node;
        let (ci, op) = self
            .operation(walk.tasks[node])
            .expect("only operations are spawned");
        let change = &self.plan.changes[ci];
        let address = change.address.clone();
        let desired = self.desired.remove(&node).unwrap_or_default();
        let mut new_id = None;
        let error = match result.outcome {
            Outcome::Created(observed) => {
                new_id = Some(observed.id.clone());
                self.changed.pending(&address);
                self.report.state.pending.remove(&address);
                self.record_forward(ci, &desired, &observed, Status::Created);
                None
            }
            Outcome::Updated(observed) => {
                self.record_forward(ci, &desired, &observed, Status::Created);
                None
            }
            Outcome::Read(found) => {
                let filters: Attrs = desired
                    .iter()
                    .filter_map(|(k, e)| e.value.clone().map(|v| (k.clone(), v)))
                    .collect();
                let prior = self.report.state.resources.get(&address);
                let schema = self
                    .schema(&change.type_name)
                    .expect("a planned lookup's type is registered");
                let record = lookup_record(schema, &change.type_name, &found, &filters, prior);
                self.remember(ci, &found, &desired);
                self.changed.resource(&address);
                self.report.state.resources.insert(address.clone(), record);
                None
            }
            Outcome::Deleted => {
                self.record_deleted(ci, op);
                None
            }
            Outcome::CreateFailed(e) => {
                let mut d = self.error(change, op, &e.error);
                if let Some(id) = &e.id {
                    // The cloud made it: keep track of it, marked for replacement.
                    self.changed.pending(&address);
                    self.report.state.pending.remove(&address);
                    let observed = Observed::new(id.clone(), Attrs::new());
                    self.record_forward(ci, &desired, &observed, Status::Tainted);
                    d = d.help(format!(
                        "the cloud created it ({id}) before the error: the state records it as tainted, and the next plan replaces it"
                    ));
                } else if e.error.kind != ErrorKind::NoAnswer {
                    // The cloud answered with a refusal: nothing was made.
                    self.changed.pending(&address);
                    self.report.state.pending.remove(&address);
                } else {
                    // No answer (the connection failed, a timeout): the call may have
                    // reached the cloud. The pending entry stays for the next plan to find.
                    d = d.help(
                        "strata could not tell whether the cloud made it: the next plan looks for it and adopts it if it exists",
                    );
                }
                Some(d)
            }
            Outcome::Failed(e) => Some(self.error(change, op, &e)),
        };
        Recorded {
            node,
            ci,
            op,
            elapsed: result.elapsed,
            new_id,
            error,
        }
    }

    /// Reports a recorded operation, once the state holding it is saved, and releases
    /// (or skips) what waits on it.
    fn conclude(
        &mut self,
        walk: &mut Walk,
        recorded: Recorded,
        ready: &mut VecDeque<usize>,
        progress: &(dyn Fn(Event<'_>) + Sync),
    ) {
        let Recorded {
            node,
            ci,
            op,
            elapsed,
            new_id,
            error,
        } = recorded;
        let address = self.plan.changes[ci].address.clone();
        if let Some(d) = error {
            progress(Event::Finished {
                address: &address,
                operation: op,
                elapsed,
                id: None,
                error: Some(&d),
            });
            self.fail(walk, node, ci, op, d);
            return;
        }
        progress(Event::Finished {
            address: &address,
            operation: op,
            elapsed,
            id: new_id.as_deref(),
            error: None,
        });
        self.report.succeeded.push(Done {
            address,
            operation: op,
            elapsed,
        });
        self.complete(walk, node, ready);
    }

    /// Enters the create of change `ci` in the state's pending creates (the caller saves
    /// the state before the call is made); returns the token the call carries. Refuses
    /// when an earlier interrupted create of the same address is still unresolved.
    fn enter_pending(&mut self, ci: usize, node: usize) -> Result<CreateToken, Diagnostic> {
        let change = &self.plan.changes[ci];
        if self.report.state.pending.contains_key(&change.address) {
            let reason = self
                .plan
                .recovered
                .iter()
                .find(|r| r.address == change.address)
                .and_then(|r| r.error.clone())
                .unwrap_or_else(|| "the plan did not look for it".into());
            return Err(self.error(
                change,
                Operation::Create,
                &ProviderError::other(format!(
                    "an earlier create of it was interrupted and strata cannot tell whether it reached the cloud ({reason}); run plan again once the cloud answers"
                )),
            ));
        }
        let schema = self.schema(&change.type_name);
        let inputs = self
            .desired
            .get(&node)
            .into_iter()
            .flatten()
            .filter_map(|(k, e)| {
                let v = e.value.as_ref()?;
                let stored = if e.sensitive || sensitive(schema, k) {
                    StoredValue::sensitive(v)
                } else {
                    StoredValue::plain(v.clone())
                };
                Some((k.clone(), stored))
            })
            .collect();
        let token = CreateToken::new();
        let pending = PendingCreate {
            type_name: change.type_name.clone(),
            token: token.clone(),
            dependencies: change.depends_on.clone(),
            inputs,
        };
        let address = change.address.clone();
        self.changed.pending(&address);
        self.report.state.pending.insert(address, pending);
        Ok(token)
    }

    fn remember(&mut self, ci: usize, observed: &Observed, desired: &BTreeMap<String, Evaluated>) {
        let change = &self.plan.changes[ci];
        let Some(resource) = self.spec.find_str(&change.address) else {
            return;
        };
        let schema = self.schema(&change.type_name);
        let mut values: BTreeMap<String, (Value, bool)> = observed
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), (v.clone(), sensitive(schema, k))))
            .collect();
        for (k, e) in desired {
            if let Some(v) = &e.value {
                values.insert(k.clone(), (v.clone(), e.sensitive || sensitive(schema, k)));
            }
        }
        values
            .entry("id".into())
            .or_insert_with(|| (Value::String(observed.id.clone()), false));
        self.known.insert(resource.id, Arc::new(values));
    }

    /// Records a created or updated resource in the state.
    fn record_forward(
        &mut self,
        ci: usize,
        desired: &BTreeMap<String, Evaluated>,
        observed: &Observed,
        status: Status,
    ) {
        self.remember(ci, observed, desired);
        let change = &self.plan.changes[ci];
        let schema = self.schema(&change.type_name);
        let mut record =
            ResourceState::new(change.type_name.clone(), Mode::Managed, observed.id.clone());
        record.status = status;
        record.dependencies = change.depends_on.clone();
        for (k, e) in desired {
            if let Some(v) = &e.value {
                let stored = if e.sensitive || sensitive(schema, k) {
                    StoredValue::sensitive(v)
                } else {
                    StoredValue::plain(v.clone())
                };
                record.inputs.insert(k.clone(), stored);
            }
        }
        for (k, v) in &observed.attributes {
            if desired.contains_key(k) {
                continue;
            }
            let stored = if sensitive(schema, k) {
                StoredValue::sensitive(v)
            } else {
                StoredValue::plain(v.clone())
            };
            record.outputs.insert(k.clone(), stored);
        }
        if let Some(previous) = self.report.state.resources.get(&change.address) {
            record.deposed = previous.deposed.clone();
            if change.action == Action::Replace
                && change.create_before_destroy
                && previous.id != record.id
            {
                // The old instance still exists until its delete node runs.
                record.deposed.push(previous.id.clone());
            }
        }
        self.changed.resource(&change.address);
        self.report
            .state
            .resources
            .insert(change.address.clone(), record);
    }

    fn record_deleted(&mut self, ci: usize, op: Operation) {
        let change = &self.plan.changes[ci];
        let resources = &mut self.report.state.resources;
        let Some(record) = resources.get_mut(&change.address) else {
            return;
        };
        let deposed_id = match (op, &change.deposed) {
            (_, Some(id)) => Some(id.clone()),
            (Operation::DeleteReplaced, None) if change.create_before_destroy => {
                record.deposed.pop()
            }
            _ => None,
        };
        match deposed_id {
            Some(id) => record.deposed.retain(|d| d != &id),
            None => {
                resources.remove(&change.address);
            }
        }
        self.changed.resource(&change.address);
    }

    fn error(&self, change: &Change, op: Operation, e: &ProviderError) -> Diagnostic {
        let code = match op {
            Operation::Create => "apply::create_failed",
            Operation::Update => "apply::update_failed",
            Operation::Delete | Operation::DeleteReplaced => "apply::delete_failed",
            Operation::Read => "apply::read_failed",
        };
        let mut d = Diagnostic::error(
            code,
            format!(
                "{} `{}` ({}) failed: {e}",
                op.progressive(),
                change.address,
                change.type_name
            ),
        );
        if let Some(r) = self.spec.find_str(&change.address) {
            d = d.label(r.name_span, format!("{} failed here", op.progressive()));
        }
        let help = match e.kind {
            ErrorKind::Throttled => {
                "the cloud kept throttling the calls: run again, or lower --parallelism"
            }
            ErrorKind::Unsupported => "the endpoint does not support this operation",
            ErrorKind::NoAnswer => {
                "the cloud could not be reached or did not answer: check the endpoint and the network, then run apply again"
            }
            ErrorKind::Denied => {
                "the credentials lack a permission for this call: check the environment's profile"
            }
            ErrorKind::Timeout => {
                "the cloud did not finish in time: run apply again to pick up where it stopped"
            }
            ErrorKind::NotFound => {
                "the resource disappeared while strata worked on it: run plan again"
            }
            ErrorKind::Other => {
                "fix the cause in the spec or the cloud and run apply again: what succeeded is saved"
            }
        };
        d.help(help)
    }

    /// Evaluates every stack output with the values known at the end and records them.
    fn record_outputs(&mut self) {
        if self.plan.kind == PlanKind::Destroy {
            if !self.report.state.outputs.is_empty() && self.report.failed.is_empty() {
                self.report.state.outputs.clear();
                self.changed.outputs();
                self.save();
            }
            return;
        }
        // Resources the walk did not touch pass through here too.
        for id in topological(self.graph) {
            if !self.known.contains_key(&id) {
                let node = self.graph.resource_nodes[id.index()];
                self.pass_through(Task::Forward(node));
            }
        }
        let lookup = |target: ResourceId, attribute: &str| match self.known.get(&target) {
            Some(values) => match values.get(attribute) {
                Some((v, s)) => (Some(v.clone()), *s),
                None => (Some(Value::Null), false),
            },
            None => (None, false),
        };
        let mut outputs = BTreeMap::new();
        for stack in &self.spec.stacks {
            for output in &stack.outputs {
                let name = format!("{}.{}", stack.name, output.name);
                let e = eval(&output.value, &lookup);
                match e.value {
                    Some(v) if e.sensitive || output.sensitive => {
                        let keep = self
                            .report
                            .state
                            .outputs
                            .get(&name)
                            .filter(|s| s.is_sensitive() && s.matches(&v))
                            .cloned();
                        outputs.insert(name, keep.unwrap_or_else(|| StoredValue::sensitive(&v)));
                    }
                    Some(v) => {
                        outputs.insert(name, StoredValue::plain(v));
                    }
                    None => {
                        if let Some(old) = self.report.state.outputs.get(&name) {
                            outputs.insert(name, old.clone());
                        }
                    }
                }
            }
        }
        if outputs != self.report.state.outputs {
            self.report.state.outputs = outputs;
            self.changed.outputs();
            self.save();
        }
    }
}

/// The result of a joined operation task; a task that panicked (a provider bug: the
/// panic hook has said so) is a failed operation, and the run goes on and saves.
/// The result of a finished task (a panic made into a failure), its end told to `pace`.
fn op_result(
    joined: Result<(tokio::task::Id, OpResult), tokio::task::JoinError>,
    spawned: &mut HashMap<tokio::task::Id, (usize, Instant, Ticket)>,
    pace: &mut Pace,
) -> OpResult {
    match joined {
        Ok((task, result)) => {
            let (_, _, ticket) = spawned
                .remove(&task)
                .expect("every spawned operation is known");
            let throttled = match &result.outcome {
                Outcome::Failed(e) => e.kind == ErrorKind::Throttled,
                Outcome::CreateFailed(e) => e.error.kind == ErrorKind::Throttled,
                _ => false,
            };
            pace.finish(ticket, throttled);
            result
        }
        Err(e) => {
            let (node, started, ticket) = spawned
                .remove(&e.id())
                .expect("every spawned operation is known");
            pace.finish(ticket, false);
            let what = if e.is_panic() {
                panic_message(&*e.into_panic())
            } else {
                e.to_string()
            };
            OpResult {
                node,
                elapsed: started.elapsed(),
                outcome: Outcome::Failed(ProviderError::new(
                    ErrorKind::Other,
                    Some("StrataBug".into()),
                    format!(
                        "the operation panicked ({what}); this is a bug in strata, please report it. If it was a create, check the cloud for a resource it may have made"
                    ),
                )),
            }
        }
    }
}

/// The text a panic was raised with (`panic!("...")`), when it has one.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned())
}

fn sensitive(schema: Option<&Schema>, attribute: &str) -> bool {
    schema
        .and_then(|s| s.attribute(attribute))
        .is_some_and(|a| a.sensitive)
}

fn boxed_ready(
    node: usize,
    outcome: Outcome,
) -> std::pin::Pin<Box<dyn Future<Output = OpResult> + Send>> {
    Box::pin(async move {
        OpResult {
            node,
            elapsed: Duration::ZERO,
            outcome,
        }
    })
}
