//! The dependency graph: which resource must exist before which.
//!
//! Nodes are resources and lookups, plus one "barrier" node per stack that other stacks
//! depend on. Edges point from a dependent to what it needs: references and
//! `depends-on` give resource edges; `stack a depends-on=b` gives every resource of `a`
//! an edge to b's barrier, and the barrier an edge to every resource of `b`. Barriers
//! keep stack ordering linear in size (|a| + |b| edges, not |a| × |b|).
//! Invariant: every edge carries the span that created it, so a cycle is reported with
//! each of its links labelled.
//!
//! `to_dot` and `to_mermaid` draw the graph for people (`strata graph`): one box per
//! resource labelled `address (type)`, one cluster / subgraph per stack, arrows in
//! creation order (from what is needed to what needs it), explicit `depends-on` dashed,
//! and one bold arrow per stack `depends-on`, between the two stacks, instead of the
//! barrier's edges. Every name is quoted and escaped (Mermaid ids are generated), so any
//! address yields a valid document; the output is deterministic.

use std::fmt::Write as _;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::diag::Diagnostic;
use crate::source::Span;
use crate::spec::expr::ResourceId;
use crate::spec::model::Spec;
use crate::spec::project::Mode;

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

    /// The graph in Graphviz DOT (`dot -Tsvg`); see the module documentation.
    pub fn to_dot(&self, spec: &Spec) -> String {
        let mut out = String::new();
        out.push_str(
            "// strata graph: resources by stack; an arrow goes from a resource to one that needs it.\n\
             // Dashed arrows are explicit depends-on; bold arrows join stacks (stack depends-on=).\n",
        );
        out.push_str("digraph strata {\n    rankdir=LR;\n    compound=true;\n");
        out.push_str("    node [shape=box];\n");
        for stack in &spec.stacks {
            let _ = writeln!(out, "    subgraph {} {{", dot_id(&cluster(&stack.name)));
            let _ = writeln!(out, "        label={};", dot_id(&stack.name));
            for id in &stack.resources {
                let r = spec.resource(*id);
                let address = r.address.to_string();
                let label = format!("{address} ({})", r.type_name);
                let style = match r.mode {
                    Mode::Managed => "",
                    Mode::Lookup => ", style=\"rounded,dashed\"",
                };
                let _ = writeln!(
                    out,
                    "        {} [label={}{style}];",
                    dot_id(&address),
                    dot_id(&label)
                );
            }
            if stack.resources.is_empty() {
                let _ = writeln!(
                    out,
                    "        {} [label=\"(no resources)\", shape=plaintext];",
                    dot_id(&empty_stack_node(&stack.name))
                );
            }
            out.push_str("    }\n");
        }
        for (needed, needs, kind) in self.resource_edges() {
            let style = match kind {
                EdgeKind::DependsOn => " [style=dashed]",
                _ => "",
            };
            let _ = writeln!(
                out,
                "    {} -> {}{style};",
                dot_id(&spec.resource(needed).address.to_string()),
                dot_id(&spec.resource(needs).address.to_string()),
            );
        }
        let anchor = |si: usize| match spec.stacks[si].resources.first() {
            Some(id) => spec.resource(*id).address.to_string(),
            None => empty_stack_node(&spec.stacks[si].name),
        };
        for (needed, needs) in stack_edges(spec) {
            let _ = writeln!(
                out,
                "    {} -> {} [ltail={}, lhead={}, style=bold];",
                dot_id(&anchor(needed)),
                dot_id(&anchor(needs)),
                dot_id(&cluster(&spec.stacks[needed].name)),
                dot_id(&cluster(&spec.stacks[needs].name)),
            );
        }
        out.push_str("}\n");
        out
    }

    /// The graph as a Mermaid `flowchart LR` (renders on GitHub); see the module
    /// documentation. Node ids are `r<index>`, stack ids `s<index>`.
    pub fn to_mermaid(&self, spec: &Spec) -> String {
        let mut out = String::from("flowchart LR\n");
        out.push_str("    %% strata graph: resources by stack; an arrow goes from a resource to one that needs it.\n");
        out.push_str("    %% Dotted arrows are explicit depends-on; thick arrows join stacks (stack depends-on=).\n");
        for (si, stack) in spec.stacks.iter().enumerate() {
            let _ = writeln!(
                out,
                "    subgraph s{si} [\"{}\"]",
                mermaid_text(&stack.name)
            );
            for id in &stack.resources {
                let r = spec.resource(*id);
                let label = mermaid_text(&format!("{} ({})", r.address, r.type_name));
                let _ = match r.mode {
                    Mode::Managed => writeln!(out, "        r{}[\"{label}\"]", id.index()),
                    Mode::Lookup => writeln!(out, "        r{}([\"{label}\"])", id.index()),
                };
            }
            out.push_str("    end\n");
        }
        for (needed, needs, kind) in self.resource_edges() {
            let arrow = match kind {
                EdgeKind::DependsOn => "-.->",
                _ => "-->",
            };
            let _ = writeln!(out, "    r{} {arrow} r{}", needed.index(), needs.index());
        }
        for (needed, needs) in stack_edges(spec) {
            let _ = writeln!(out, "    s{needed} ==> s{needs}");
        }
        out
    }

    /// Edges between resources as (needed, needs it, kind), sorted.
    fn resource_edges(&self) -> Vec<(ResourceId, ResourceId, EdgeKind)> {
        let mut edges: Vec<_> = self
            .graph
            .edge_references()
            .filter_map(|e| match (self.graph[e.source()], self.graph[e.target()]) {
                (GraphNode::Resource(from), GraphNode::Resource(to)) => {
                    Some((to, from, e.weight().kind))
                }
                _ => None,
            })
            .collect();
        edges.sort_by_key(|(needed, needs, _)| (needed.index(), needs.index()));
        edges.dedup_by_key(|(needed, needs, _)| (*needed, *needs));
        edges
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

/// Stack dependencies as (needed stack, stack that needs it), sorted, each once.
fn stack_edges(spec: &Spec) -> Vec<(usize, usize)> {
    let mut edges: Vec<(usize, usize)> = spec
        .stacks
        .iter()
        .enumerate()
        .flat_map(|(si, stack)| stack.depends_on.iter().map(move |(dep, _)| (*dep, si)))
        .collect();
    edges.sort_unstable();
    edges.dedup();
    edges
}

/// The DOT subgraph of a stack: Graphviz draws a subgraph as a box when its name starts
/// with `cluster`.
fn cluster(stack: &str) -> String {
    format!("cluster_{stack}")
}

/// The DOT node standing for a stack without resources (addresses hold no space).
fn empty_stack_node(stack: &str) -> String {
    format!("stack {stack}")
}

/// A DOT quoted id: `"` and `\` escaped, line breaks as `\n`.
fn dot_id(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for inside a quoted Mermaid label: characters Mermaid would read as syntax or
/// markup become entity codes (`#quot;`, `#35;`, ...).
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_ids_are_quoted_and_escaped() {
        assert_eq!(dot_id("network.vpc"), r#""network.vpc""#);
        assert_eq!(dot_id(r#"api.fn["a\"b"]"#), r#""api.fn[\"a\\\"b\"]""#);
        assert_eq!(dot_id("a\nb"), r#""a\nb""#);
    }

    #[test]
    fn mermaid_text_has_no_syntax_left() {
        assert_eq!(
            mermaid_text("network.vpc (ec2.vpc)"),
            "network.vpc (ec2.vpc)"
        );
        assert_eq!(
            mermaid_text(r#"api.fn["<a>"] #1 & 2"#),
            "api.fn[#quot;#lt;a#gt;#quot;] #35;1 #amp; 2"
        );
    }
}
