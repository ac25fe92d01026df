//! The dependency graph: which resource must exist before which.
//!
//! Nodes are resources and lookups, plus one "barrier" node per stack that other stacks
//! depend on. Edges point from a dependent to what it needs: references and
//! `depends-on` give resource edges; `stack a depends-on=b` gives every resource of `a`
//! an edge to b's barrier, and the barrier an edge to every resource of `b`. Barriers
//! keep stack ordering linear in size (|a| + |b| edges, not |a| × |b|).
//! Invariant: every edge carries the span that created it, so a cycle is reported with
//! each of its links labelled.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::diag::Diagnostic;
use crate::source::Span;
use crate::spec::expr::ResourceId;
use crate::spec::model::Spec;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphNode {
    Resource(ResourceId),
    /// Done when every resource of the stack is done.
    StackBarrier(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Reference,
    DependsOn,
    /// A resource of a stack waits for a stack it depends on.
    StackDependsOn,
    /// A barrier waits for a resource of its stack.
    StackMember,
}

#[derive(Debug, Clone, Copy)]
pub struct Edge {
    pub kind: EdgeKind,
    pub span: Span,
}

pub struct DepGraph {
    pub graph: DiGraph<GraphNode, Edge>,
    /// `resource_nodes[id]` is the node of resource `id`.
    pub resource_nodes: Vec<NodeIndex>,
}

impl DepGraph {
    pub fn build(spec: &Spec) -> Self {
        let mut graph = DiGraph::with_capacity(
            spec.resources.len() + spec.stacks.len(),
            spec.resources.len() * 2,
        );
        let resource_nodes: Vec<NodeIndex> = spec
            .resources
            .iter()
            .map(|r| graph.add_node(GraphNode::Resource(r.id)))
            .collect();
        let depended_on: std::collections::HashSet<usize> = spec
            .stacks
            .iter()
            .flat_map(|s| s.depends_on.iter().map(|(d, _)| *d))
            .collect();
        let mut barriers = vec![None; spec.stacks.len()];
        for (si, stack) in spec.stacks.iter().enumerate() {
            if depended_on.contains(&si) {
                let b = graph.add_node(GraphNode::StackBarrier(si));
                for id in &stack.resources {
                    let r = spec.resource(*id);
                    graph.add_edge(
                        b,
                        resource_nodes[id.index()],
                        Edge {
                            kind: EdgeKind::StackMember,
                            span: r.name_span,
                        },
                    );
                }
                barriers[si] = Some(b);
            }
        }
        for r in &spec.resources {
            let from = resource_nodes[r.id.index()];
            let mut seen = std::collections::HashSet::new();
            for expr in r.attributes.values() {
                expr.visit_refs(&mut |reference| {
                    if seen.insert(reference.target) {
                        graph.add_edge(
                            from,
                            resource_nodes[reference.target.index()],
                            Edge {
                                kind: EdgeKind::Reference,
                                span: reference.span,
                            },
                        );
                    }
                });
            }
            for (target, span) in &r.depends_on {
                if seen.insert(*target) {
                    graph.add_edge(
                        from,
                        resource_nodes[target.index()],
                        Edge {
                            kind: EdgeKind::DependsOn,
                            span: *span,
                        },
                    );
                }
            }
            for (dep, span) in &spec.stacks[r.stack].depends_on {
                if let Some(b) = barriers[*dep] {
                    graph.add_edge(
                        from,
                        b,
                        Edge {
                            kind: EdgeKind::StackDependsOn,
                            span: *span,
                        },
                    );
                }
            }
        }
        DepGraph {
            graph,
            resource_nodes,
        }
    }

    /// Resources this one depends on directly (through references or `depends-on`; stack
    /// ordering goes through barriers and is not listed here).
    pub fn direct_dependencies(&self, id: ResourceId) -> impl Iterator<Item = ResourceId> + '_ {
        self.graph
            .edges(self.resource_nodes[id.index()])
            .filter_map(|e| match self.graph[e.target()] {
                GraphNode::Resource(r) => Some(r),
                GraphNode::StackBarrier(_) => None,
            })
    }

    /// One diagnostic per cycle, labelling every link of it.
    pub fn cycle_diagnostics(&self, spec: &Spec) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for scc in tarjan_scc(&self.graph) {
            let is_cycle = scc.len() > 1 || self.graph.contains_edge(scc[0], scc[0]);
            if !is_cycle {
                continue;
            }
            let members: std::collections::HashSet<NodeIndex> = scc.iter().copied().collect();
            let name = |n: NodeIndex| match self.graph[n] {
                GraphNode::Resource(id) => spec.resource(id).address.to_string(),
                GraphNode::StackBarrier(si) => format!("stack {}", spec.stacks[si].name),
            };
            let mut resources: Vec<String> = scc
                .iter()
                .filter(|n| matches!(self.graph[**n], GraphNode::Resource(_)))
                .map(|n| name(*n))
                .collect();
            resources.sort();
            let mut links: Vec<(Span, String)> = Vec::new();
            for &n in &scc {
                for e in self.graph.edges(n) {
                    if !members.contains(&e.target()) || e.weight().kind == EdgeKind::StackMember {
                        continue;
                    }
                    let to = match e.weight().kind {
                        EdgeKind::StackDependsOn => match self.graph[e.target()] {
                            GraphNode::StackBarrier(si) => {
                                format!("stack `{}`", spec.stacks[si].name)
                            }
                            _ => name(e.target()),
                        },
                        _ => format!("`{}`", name(e.target())),
                    };
                    let text = match e.weight().kind {
                        EdgeKind::Reference => format!("`{}` refers to {to}", name(n)),
                        EdgeKind::DependsOn => format!("`{}` depends on {to}", name(n)),
                        _ => format!("stack of `{}` depends on {to}", name(n)),
                    };
                    links.push((e.weight().span, text));
                }
            }
            links.sort_by_key(|(s, _)| (s.file, s.start));
            links.dedup_by_key(|(s, _)| *s);
            let mut d = Diagnostic::error(
                "spec::cycle",
                format!(
                    "dependency cycle between {}",
                    resources
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            for (span, text) in links {
                d = d.label(span, text);
            }
            out.push(d.help("a resource cannot depend on itself, even through others: remove one of these references or `depends-on`"));
        }
        out
    }
}
