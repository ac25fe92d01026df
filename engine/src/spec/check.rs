//! Checking: from declarations to a `Spec`, with every problem reported.
//!
//! This is where the one KDL-to-value mapping lives, driven by schemas: a scalar is
//! `attr value`, a list `attr v1 v2`, a map `attr k=v`, a block a child node whose
//! properties and children are its attributes (its arguments fill the schema's `args`
//! attribute), a repeated block repeated nodes. The same code converts resource bodies,
//! lifecycle blocks, environments and variable values, so users learn it once.
//! References, variables and `(env)` values are resolved here; the dependency graph is
//! then built and checked for cycles.
//! Invariant: a check never stops at the first problem and never touches state or cloud.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock};

use crate::diag::{Diagnostic, Diagnostics, Failure};
use crate::provider::Registry;
use crate::schema::{Attribute, BlockSchema, Constraint, Presence, Schema, Type};
use crate::source::{Span, Spanned};
use crate::spec::expr::{Expr, Part, Ref, ResourceId};
use crate::spec::model::{
    Address, Environment, Lifecycle, Output, Resource, Spec, Stack, StateBackend, Variable,
};
use crate::spec::project::{Mode, Project, plain_string};
use crate::spec::raw::{Entry, Literal, Node, Prop};
use crate::spec::template::{self, Piece};
use crate::suggest::did_you_mean;
use crate::value::Value;

/// Checks a project for one environment, or for none (`env == None`: variables without
/// a default stay unknown). Returns the checked spec or every problem found.
pub fn check(project: &Project, registry: &Registry, env: Option<&str>) -> Result<Spec, Failure> {
    let mut checker = Checker::new(project, registry);
    let spec = checker.run(env);
    let mut diagnostics = project.diagnostics.clone();
    diagnostics.extend(checker.diags);
    if diagnostics.has_errors() {
        diagnostics.sort();
        Err(Failure {
            sources: project.sources.clone(),
            diagnostics,
        })
    } else {
        Ok(spec)
    }
}

/// What `strata validate` checks: the given environment, or else every environment the
/// project declares (each problem reported once), or the project alone if it has none.
pub fn validate(project: &Project, registry: &Registry, env: Option<&str>) -> Diagnostics {
    let mut all = Diagnostics::new();
    let envs: Vec<Option<&str>> = match env {
        Some(e) => vec![Some(e)],
        None if project.environments.is_empty() => vec![None],
        None => project.environment_names().into_iter().map(Some).collect(),
    };
    for env in envs {
        if let Err(failure) = check(project, registry, env) {
            all.extend(failure.diagnostics);
        }
    }
    all.sort();
    all
}

#[derive(Debug, Clone, Copy)]
struct Ctx {
    /// The stack `res.attr` references resolve in; `None` where references are not allowed.
    stack: Option<usize>,
    vars: bool,
    env_reads: bool,
    /// What is being converted, for "not allowed here" help.
    place: &'static str,
}

/// A converted block and where it was written.
type Converted = (BTreeMap<String, Expr>, Span);

struct VarInfo {
    ty: Type,
    value: Option<Value>,
    sensitive: bool,
    description: Option<String>,
    span: Span,
}

struct Checker<'a> {
    project: &'a Project,
    registry: &'a Registry,
    diags: Diagnostics,
    env_name: Option<String>,
    region: Option<String>,
    variables: BTreeMap<String, VarInfo>,
    stack_index: HashMap<&'a str, usize>,
    res_index: HashMap<(&'a str, &'a str), ResourceId>,
    /// Schema of each resource by id (`None` when its type is unknown).
    res_schemas: Vec<Option<&'a Schema>>,
    res_types: Vec<&'a str>,
    stack_names: Vec<&'a str>,
    /// Variables the environment gives a value to (even one that failed to convert).
    set_in_env: std::collections::HashSet<String>,
}

static LIFECYCLE: LazyLock<BlockSchema> = LazyLock::new(|| {
    BlockSchema::new(vec![
        Attribute::optional("prevent-destroy", Type::Bool).default(false),
        Attribute::optional("create-before-destroy", Type::Bool).default(false),
        Attribute::optional("ignore-changes", Type::list(Type::String)),
    ])
});

static AWS: LazyLock<BlockSchema> = LazyLock::new(|| {
    BlockSchema::new(vec![
        Attribute::required("region", Type::String),
        Attribute::optional("profile", Type::String),
        Attribute::optional("endpoint", Type::String),
    ])
});

static STATE: LazyLock<BlockSchema> = LazyLock::new(|| {
    BlockSchema::new(vec![
        Attribute::optional("backend", Type::one_of(&["local", "s3"])).default("local"),
        Attribute::optional("path", Type::String),
        Attribute::optional("bucket", Type::String),
        Attribute::optional("key", Type::String),
        Attribute::optional("region", Type::String),
    ])
    .with_args("backend")
});

const VAR_TYPES: &[&str] = &["string", "number", "bool", "list", "map", "any"];

fn var_type(name: &str) -> Option<Type> {
    Some(match name {
        "string" => Type::String,
        "number" => Type::Number,
        "bool" => Type::Bool,
        "list" => Type::list(Type::Any),
        "map" => Type::map(Type::Any),
        "any" => Type::Any,
        _ => return None,
    })
}

impl<'a> Checker<'a> {
    fn new(project: &'a Project, registry: &'a Registry) -> Self {
        Checker {
            project,
            registry,
            diags: Diagnostics::new(),
            env_name: None,
            region: None,
            variables: BTreeMap::new(),
            stack_index: HashMap::new(),
            res_index: HashMap::new(),
            res_schemas: Vec::new(),
            res_types: Vec::new(),
            stack_names: Vec::new(),
            set_in_env: Default::default(),
        }
    }

    fn run(&mut self, env: Option<&str>) -> Spec {
        self.declare_variables();
        let environment = env.and_then(|name| self.environment(name));
        self.settle_variables(env.is_some());
        let stacks = self.index_stacks();
        let mut resources = self.index_resources();
        let stacks = self.convert_stacks(stacks, &mut resources);
        let mut spec = Spec {
            sources: self.project.sources.clone(),
            environment,
            variables: self
                .variables
                .iter()
                .map(|(name, v)| {
                    (
                        name.clone(),
                        Variable {
                            name: name.clone(),
                            value: v.value.clone(),
                            sensitive: v.sensitive,
                            description: v.description.clone(),
                            span: v.span,
                        },
                    )
                })
                .collect(),
            stacks,
            resources,
            by_address: HashMap::new(),
        };
        spec.by_address = spec
            .resources
            .iter()
            .map(|r| (r.address.clone(), r.id))
            .collect();
        if !self.diags.has_errors() {
            let graph = crate::graph::DepGraph::build(&spec);
            for d in graph.cycle_diagnostics(&spec) {
                self.diags.push(d);
            }
        }
        spec
    }

    // ---- variables and environments ----

    fn declare_variables(&mut self) {
        let no_refs = Ctx {
            stack: None,
            vars: false,
            env_reads: false,
            place: "a variable default",
        };
        for decl in &self.project.variables {
            let node = &decl.node;
            let name = &decl.name.value;
            if let Some(previous) = self.variables.get(name) {
                let prev = previous.span;
                self.diags.push(
                    Diagnostic::error(
                        "spec::duplicate_variable",
                        format!("variable `{name}` is declared twice"),
                    )
                    .label(decl.name.span, "declared again here")
                    .label(prev, "first declared here")
                    .help("remove one of the declarations"),
                );
                continue;
            }
            let mut ty = Type::Any;
            let mut sensitive = false;
            let mut description = None;
            let mut default_entry: Option<&Entry> = None;
            for prop in &node.props {
                match prop.name.value.as_str() {
                    "type" => {
                        if let Some(t) =
                            plain_string(&prop.entry, "a variable type", &mut self.diags)
                        {
                            match var_type(&t.value) {
                                Some(parsed) => ty = parsed,
                                None => self.diags.push(
                                    Diagnostic::error(
                                        "spec::unknown_type",
                                        format!("unknown variable type `{}`", t.value),
                                    )
                                    .label(t.span, "not a variable type")
                                    .maybe_help(did_you_mean(&t.value, VAR_TYPES))
                                    .help_or(format!(
                                        "variable types are {}",
                                        VAR_TYPES.join(", ")
                                    )),
                                ),
                            }
                        }
                    }
                    "sensitive" => sensitive = self.literal_bool(&prop.entry).unwrap_or(false),
                    "description" => {
                        description = plain_string(&prop.entry, "a description", &mut self.diags)
                            .map(|s| s.value)
                    }
                    "default" => default_entry = Some(&prop.entry),
                    other => self.unknown_property(
                        prop,
                        other,
                        &["type", "default", "sensitive", "description"],
                        "variable",
                    ),
                }
            }
            let mut value = None;
            if let Some(entry) = default_entry {
                value = self
                    .entry(entry, &ty, no_refs)
                    .and_then(|e| self.known(e, entry.span));
            }
            for child in &node.children {
                if child.name.value == "default" && default_entry.is_none() {
                    value = self
                        .attr_node(
                            &child.args,
                            &child.props,
                            &child.children,
                            child.name.span,
                            "default",
                            &ty,
                            no_refs,
                        )
                        .and_then(|e| self.known(e, child.span));
                } else {
                    self.diags.push(
                        Diagnostic::error("spec::unknown_node", format!("unexpected `{}` in variable `{name}`", child.name.value))
                            .label(child.name.span, "not allowed here")
                            .help("a variable takes `type=`, `default=`, `sensitive=` and `description=`; a list or map default is a child node `default ...`"),
                    );
                }
            }
            self.variables.insert(
                name.clone(),
                VarInfo {
                    ty,
                    value,
                    sensitive,
                    description,
                    span: decl.name.span,
                },
            );
        }
    }

    fn environment(&mut self, name: &str) -> Option<Environment> {
        let project = self.project;
        let Some(decl) = project.environments.iter().find(|e| e.name.value == name) else {
            let names = project.environment_names();
            let mut d = Diagnostic::error(
                "spec::unknown_environment",
                format!("no environment `{name}`: there is no env/{name}.kdl"),
            );
            d = match did_you_mean(name, &names) {
                Some(help) => d.help(help),
                None if names.is_empty() => {
                    d.help("declare it in env/<name>.kdl: `environment NAME { aws region=... }`")
                }
                None => d.help(format!("environments: {}", names.join(", "))),
            };
            self.diags.push(d);
            return None;
        };
        self.env_name = Some(name.to_owned());
        let node = &decl.node;
        // Values first: `aws` and `state` may use variables.
        let mut seen_vars: HashMap<String, Span> = HashMap::new();
        let env_ctx = Ctx {
            stack: None,
            vars: false,
            env_reads: true,
            place: "an environment variable value",
        };
        for child in node.children.iter().filter(|c| c.name.value == "var") {
            let Some(var_name) = child
                .args
                .first()
                .and_then(|a| plain_string(a, "a variable name", &mut self.diags))
            else {
                if child.args.is_empty() {
                    self.diags.push(
                        Diagnostic::error(
                            "spec::missing_name",
                            "`var` needs a variable name and a value",
                        )
                        .label(child.name.span, "here")
                        .help("write `var NAME VALUE`"),
                    );
                }
                continue;
            };
            self.set_in_env.insert(var_name.value.clone());
            if let Some(prev) = seen_vars.insert(var_name.value.clone(), var_name.span) {
                self.diags.push(
                    Diagnostic::error(
                        "spec::duplicate_attribute",
                        format!("variable `{}` is set twice", var_name.value),
                    )
                    .label(var_name.span, "set again here")
                    .label(prev, "first set here"),
                );
                continue;
            }
            let Some(info) = self.variables.get(&var_name.value) else {
                let names: Vec<&String> = self.variables.keys().collect();
                self.diags.push(
                    Diagnostic::error(
                        "spec::undefined_variable",
                        format!("variable `{}` is not declared", var_name.value),
                    )
                    .label(var_name.span, "not declared in the project")
                    .maybe_help(did_you_mean(&var_name.value, names))
                    .help_or(format!(
                        "declare it in a stack file: `variable {} type=string`",
                        var_name.value
                    )),
                );
                continue;
            };
            let ty = info.ty.clone();
            if child.args.len() == 1 && child.props.is_empty() && child.children.is_empty() {
                self.diags.push(
                    Diagnostic::error(
                        "spec::missing_value",
                        format!("variable `{}` has no value", var_name.value),
                    )
                    .label(child.span, "no value given")
                    .help(format!("write `var {} VALUE`", var_name.value)),
                );
                continue;
            }
            if let Some(expr) = self.attr_node(
                &child.args[1..],
                &child.props,
                &child.children,
                var_name.span,
                &var_name.value,
                &ty,
                env_ctx,
            ) {
                let sensitive = expr.is_sensitive();
                if let Some(value) = self.known(expr, child.span) {
                    let info = self
                        .variables
                        .get_mut(&var_name.value)
                        .expect("checked above");
                    info.value = Some(value);
                    info.sensitive |= sensitive;
                }
            }
        }
        let block_ctx = Ctx {
            stack: None,
            vars: true,
            env_reads: true,
            place: "an environment",
        };
        let mut aws = None;
        let mut state = None;
        for child in &node.children {
            match child.name.value.as_str() {
                "var" => {}
                "aws" | "state" => {
                    let (schema, slot): (&BlockSchema, &mut Option<Converted>) =
                        if child.name.value == "aws" {
                            (&AWS, &mut aws)
                        } else {
                            (&STATE, &mut state)
                        };
                    if let Some((_, prev)) = slot {
                        let prev = *prev;
                        self.diags.push(
                            Diagnostic::error(
                                "spec::duplicate_attribute",
                                format!("`{}` is set twice", child.name.value),
                            )
                            .label(child.name.span, "set again here")
                            .label(prev, "first set here"),
                        );
                        continue;
                    }
                    let (map, _) = self.block(
                        &child.args,
                        &child.props,
                        &child.children,
                        schema,
                        child.name.span,
                        &format!("`{}`", child.name.value),
                        block_ctx,
                        None,
                    );
                    *slot = Some((map, child.name.span));
                }
                other => self.diags.push(
                    Diagnostic::error(
                        "spec::unknown_node",
                        format!("unknown node `{other}` in environment `{name}`"),
                    )
                    .label(child.name.span, "not allowed here")
                    .maybe_help(did_you_mean(other, ["aws", "state", "var"]))
                    .help_or(
                        "an environment holds `aws region=...`, `state ...` and `var NAME VALUE`",
                    ),
                ),
            }
        }
        let Some((aws, _)) = aws else {
            self.diags.push(
                Diagnostic::error(
                    "spec::missing_attribute",
                    format!("environment `{name}` has no `aws` settings"),
                )
                .label(decl.name.span, "no `aws` block")
                .help("add `aws region=eu-west-3` (and `profile=` or `endpoint=` as needed)"),
            );
            return None;
        };
        let text = |map: &BTreeMap<String, Expr>, key: &str| match map.get(key) {
            Some(Expr::Value(Value::String(s))) => Some(s.clone()),
            _ => None,
        };
        let region = text(&aws, "region").unwrap_or_default();
        self.region = Some(region.clone());
        let state_backend = match state {
            None => StateBackend::Local {
                path: format!(".strata/{name}.state.json"),
            },
            Some((map, span)) => match text(&map, "backend").as_deref() {
                Some("s3") => match (text(&map, "bucket"), text(&map, "key")) {
                    (Some(bucket), Some(key)) => StateBackend::S3 {
                        bucket,
                        key,
                        region: text(&map, "region"),
                    },
                    _ => {
                        self.diags.push(
                            Diagnostic::error("spec::missing_attribute", "an s3 state backend needs `bucket` and `key`")
                                .label(span, "incomplete backend")
                                .help("write `state s3 bucket=my-state-bucket key=\"project/env.state.json\"`"),
                        );
                        StateBackend::Local {
                            path: String::new(),
                        }
                    }
                },
                _ => StateBackend::Local {
                    path: text(&map, "path")
                        .unwrap_or_else(|| format!(".strata/{name}.state.json")),
                },
            },
        };
        Some(Environment {
            name: name.to_owned(),
            region,
            profile: text(&aws, "profile"),
            endpoint: text(&aws, "endpoint"),
            state: state_backend,
            span: decl.name.span,
        })
    }

    /// With an environment, every variable must end up with a value.
    fn settle_variables(&mut self, with_env: bool) {
        if !with_env || self.env_name.is_none() {
            return;
        }
        let env = self.env_name.clone().unwrap_or_default();
        for (name, info) in &self.variables {
            // A value the environment tried to set but that failed is reported already.
            if info.value.is_none() && !self.set_in_env.contains(name) {
                self.diags.push(
                    Diagnostic::error(
                        "spec::missing_variable_value",
                        format!("variable `{name}` has no value in environment `{env}`"),
                    )
                    .label(info.span, "declared without a default")
                    .help(format!(
                        "set it in env/{env}.kdl with `var {name} VALUE`, or give it a default"
                    )),
                );
            }
        }
    }

    // ---- stacks and resources ----

    fn index_stacks(&mut self) -> Vec<Stack> {
        let project = self.project;
        let mut stacks = Vec::new();
        for decl in &project.stacks {
            if let Some(&prev) = self.stack_index.get(decl.name.value.as_str()) {
                let prev_span = project.stacks[prev].name.span;
                self.diags.push(
                    Diagnostic::error(
                        "spec::duplicate_stack",
                        format!("stack `{}` is declared twice", decl.name.value),
                    )
                    .label(decl.name.span, "declared again here")
                    .label(prev_span, "first declared here")
                    .help("give each stack its own name; one stack may not span two blocks"),
                );
                continue;
            }
            self.stack_index.insert(&decl.name.value, stacks.len());
            self.stack_names.push(&decl.name.value);
            stacks.push(Stack {
                name: decl.name.value.clone(),
                depends_on: Vec::new(),
                resources: Vec::new(),
                outputs: Vec::new(),
                span: decl.span,
                name_span: decl.name.span,
            });
        }
        let names: Vec<&str> = project
            .stacks
            .iter()
            .map(|s| s.name.value.as_str())
            .collect();
        for decl in &project.stacks {
            let Some(&si) = self.stack_index.get(decl.name.value.as_str()) else {
                continue;
            };
            if stacks[si].span != decl.span {
                continue;
            }
            for dep in &decl.depends_on {
                match self.stack_index.get(dep.value.as_str()) {
                    Some(&di) if di == si => self.diags.push(
                        Diagnostic::error(
                            "spec::cycle",
                            format!("stack `{}` depends on itself", dep.value),
                        )
                        .label(dep.span, "self-dependency")
                        .help("remove it from `depends-on`"),
                    ),
                    Some(&di) => stacks[si].depends_on.push((di, dep.span)),
                    None => self.diags.push(
                        Diagnostic::error(
                            "spec::unknown_stack",
                            format!("no stack named `{}`", dep.value),
                        )
                        .label(dep.span, "unknown stack")
                        .maybe_help(did_you_mean(&dep.value, &names))
                        .help_or(format!("stacks in this project: {}", names.join(", "))),
                    ),
                }
            }
        }
        stacks
    }

    /// Gives every resource an id and checks addresses and types, before any body is
    /// converted, so references can point forwards and across files.
    fn index_resources(&mut self) -> Vec<Resource> {
        let project = self.project;
        let registry = self.registry;
        let mut resources = Vec::new();
        let mut first_span: HashMap<(&str, &str), Span> = HashMap::new();
        for decl in &project.stacks {
            let Some(&si) = self.stack_index.get(decl.name.value.as_str()) else {
                continue;
            };
            for r in &decl.resources {
                let key = (decl.name.value.as_str(), r.name.value.as_str());
                if let Some(prev) = first_span.get(&key) {
                    self.diags.push(
                        Diagnostic::error(
                            "spec::duplicate_address",
                            format!("`{}.{}` is declared twice", key.0, key.1),
                        )
                        .label(r.name.span, "declared again here")
                        .label(*prev, "first declared here")
                        .help("resource and lookup names must be unique within a stack"),
                    );
                    continue;
                }
                first_span.insert(key, r.name.span);
                let schema = match r.mode {
                    Mode::Managed => registry.resource(&r.type_name.value).map(|t| t.schema()),
                    Mode::Lookup => registry.lookup(&r.type_name.value).map(|t| t.schema()),
                };
                if schema.is_none() {
                    self.unknown_type(&r.type_name, r.mode);
                }
                let id = ResourceId(resources.len() as u32);
                self.res_index.insert(key, id);
                self.res_schemas.push(schema);
                self.res_types.push(&r.type_name.value);
                resources.push(Resource {
                    id,
                    address: Address {
                        stack: decl.name.value.clone(),
                        name: r.name.value.clone(),
                    },
                    stack: si,
                    mode: r.mode,
                    type_name: r.type_name.value.clone(),
                    attributes: BTreeMap::new(),
                    attribute_spans: BTreeMap::new(),
                    depends_on: Vec::new(),
                    lifecycle: Lifecycle::default(),
                    span: r.node.span,
                    name_span: r.name.span,
                });
            }
        }
        resources
    }

    fn unknown_type(&mut self, name: &Spanned<String>, mode: Mode) {
        let registry = self.registry;
        let (own, other, what) = match mode {
            Mode::Managed => (
                registry.resource_names(),
                registry.lookup_names(),
                "resource",
            ),
            Mode::Lookup => (registry.lookup_names(), registry.resource_names(), "lookup"),
        };
        let mut d = Diagnostic::error(
            "spec::unknown_type",
            format!("unknown {what} type `{}`", name.value),
        )
        .label(name.span, format!("no such {what} type"))
        .maybe_help(did_you_mean(&name.value, &own));
        if other.contains(&name.value.as_str()) {
            d = d.help(match mode {
                Mode::Managed => format!(
                    "`{}` is a lookup type: write `lookup {} NAME {{ ... }}`",
                    name.value, name.value
                ),
                Mode::Lookup => format!(
                    "`{}` is a resource type: write `{} NAME {{ ... }}` without `lookup`",
                    name.value, name.value
                ),
            });
        }
        let service = name.value.split('.').next().unwrap_or_default();
        let same_service: Vec<&str> = own
            .iter()
            .copied()
            .filter(|n| n.split('.').next() == Some(service))
            .collect();
        d = d.help_or(if own.is_empty() {
            format!("no {what} types are available in this build")
        } else if same_service.is_empty() {
            format!("{what} types: {}", own.join(", "))
        } else {
            format!("{service} {what} types: {}", same_service.join(", "))
        });
        self.diags.push(d);
    }

    fn convert_stacks(&mut self, mut stacks: Vec<Stack>, resources: &mut [Resource]) -> Vec<Stack> {
        let project = self.project;
        for decl in &project.stacks {
            let Some(&si) = self.stack_index.get(decl.name.value.as_str()) else {
                continue;
            };
            if stacks[si].span != decl.span {
                continue;
            }
            for r in &decl.resources {
                let key = (decl.name.value.as_str(), r.name.value.as_str());
                let Some(&id) = self.res_index.get(&key) else {
                    continue;
                };
                if resources[id.index()].span != r.node.span {
                    continue; // a duplicate, already reported
                }
                stacks[si].resources.push(id);
                let Some(schema) = self.res_schemas[id.index()] else {
                    continue;
                };
                self.convert_resource(&r.node, r.mode, schema, si, &mut resources[id.index()]);
            }
            for o in &decl.outputs {
                if let Some(output) = self.output(o.name.clone(), &o.node, si) {
                    if let Some(prev) = stacks[si].outputs.iter().find(|p| p.name == output.name) {
                        self.diags.push(
                            Diagnostic::error(
                                "spec::duplicate_output",
                                format!("output `{}` is declared twice", output.name),
                            )
                            .label(o.name.span, "declared again here")
                            .label(prev.span, "first declared here"),
                        );
                        continue;
                    }
                    stacks[si].outputs.push(output);
                }
            }
        }
        stacks
    }

    fn convert_resource(
        &mut self,
        node: &'a Node,
        mode: Mode,
        schema: &Schema,
        stack: usize,
        out: &mut Resource,
    ) {
        let ctx = Ctx {
            stack: Some(stack),
            vars: true,
            env_reads: true,
            place: "a resource",
        };
        let mut depends_on = Vec::new();
        for prop in &node.props {
            if prop.name.value == "depends-on" && mode == Mode::Managed {
                if let Some(path) = plain_string(&prop.entry, "depends-on", &mut self.diags) {
                    depends_on.extend(self.resolve_resource(&path.value, path.span, stack));
                }
            } else {
                let allowed: &[&str] = if mode == Mode::Managed {
                    &["depends-on"]
                } else {
                    &[]
                };
                self.unknown_property(prop, &prop.name.value, allowed, "resource");
            }
        }
        let mut meta = Vec::new();
        let what = format!("`{} {}`", node.name.value, out.address.name);
        let (attributes, spans) = self.block(
            &[],
            &[],
            &node.children,
            &schema.body,
            out.name_span,
            &what,
            ctx,
            Some(&mut meta),
        );
        out.attributes = attributes;
        out.attribute_spans = spans;
        for m in meta {
            match (m.name.value.as_str(), mode) {
                ("depends-on", Mode::Managed) => {
                    for arg in &m.args {
                        if let Some(path) = plain_string(arg, "depends-on", &mut self.diags) {
                            depends_on.extend(self.resolve_resource(&path.value, path.span, stack));
                        }
                    }
                }
                ("lifecycle", Mode::Managed) => {
                    out.lifecycle = self.lifecycle(m, schema);
                }
                ("for-each", _) => self.diags.push(
                    Diagnostic::error("spec::unsupported", "`for-each` is not supported yet")
                        .label(m.name.span, "not supported yet")
                        .help("write one resource per item for now"),
                ),
                (other, _) => self.diags.push(
                    Diagnostic::error(
                        "spec::unexpected_meta",
                        format!("a lookup cannot have `{other}`"),
                    )
                    .label(m.name.span, "not allowed on a lookup")
                    .help("lookups only read; ordering and lifecycle apply to managed resources"),
                ),
            }
        }
        out.depends_on = depends_on;
    }

    fn lifecycle(&mut self, node: &'a Node, schema: &Schema) -> Lifecycle {
        let ctx = Ctx {
            stack: None,
            vars: true,
            env_reads: false,
            place: "`lifecycle`",
        };
        let (map, spans) = self.block(
            &node.args,
            &node.props,
            &node.children,
            &LIFECYCLE,
            node.name.span,
            "`lifecycle`",
            ctx,
            None,
        );
        let flag = |key: &str| matches!(map.get(key), Some(Expr::Value(Value::Bool(true))));
        let mut ignore_changes = Vec::new();
        if let Some(Expr::Value(Value::List(items))) = map.get("ignore-changes") {
            let span = spans
                .get("ignore-changes")
                .copied()
                .unwrap_or(node.name.span);
            for item in items {
                let Some(name) = item.as_str() else { continue };
                if schema.attribute(name).is_some_and(Attribute::is_settable) {
                    ignore_changes.push(name.to_owned());
                } else {
                    self.diags.push(unknown_attribute(
                        span,
                        format!("`ignore-changes` names unknown attribute `{name}`"),
                        "in this list",
                        name,
                        &schema.body.settable_names(),
                    ));
                }
            }
        }
        Lifecycle {
            prevent_destroy: flag("prevent-destroy"),
            create_before_destroy: flag("create-before-destroy"),
            ignore_changes,
        }
    }

    fn output(&mut self, name: Spanned<String>, node: &'a Node, stack: usize) -> Option<Output> {
        let ctx = Ctx {
            stack: Some(stack),
            vars: true,
            env_reads: true,
            place: "an output",
        };
        let mut sensitive = false;
        let mut description = None;
        for prop in &node.props {
            match prop.name.value.as_str() {
                "sensitive" => sensitive = self.literal_bool(&prop.entry).unwrap_or(false),
                "description" => {
                    description =
                        plain_string(&prop.entry, "a description", &mut self.diags).map(|s| s.value)
                }
                other => {
                    self.unknown_property(prop, other, &["sensitive", "description"], "output")
                }
            }
        }
        let values = &node.args[1..];
        if values.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "spec::missing_value",
                    format!("output `{}` has no value", name.value),
                )
                .label(node.span, "no value")
                .help(format!(
                    "write `output {} (ref)\"resource.attribute\"`",
                    name.value
                )),
            );
            return None;
        }
        let value = self.attr_node(
            values,
            &[],
            &node.children,
            name.span,
            &name.value,
            &Type::Any,
            ctx,
        )?;
        sensitive |= value.is_sensitive();
        Some(Output {
            name: name.value,
            value,
            sensitive,
            description,
            span: name.span,
        })
    }

    // ---- the one mapping ----

    /// Converts a block: arguments (into `schema.args`), properties and child nodes.
    /// Child nodes named like meta attributes are handed to `meta` when given.
    #[allow(clippy::too_many_arguments)]
    fn block(
        &mut self,
        args: &[Entry],
        props: &[Prop],
        children: &'a [Node],
        schema: &BlockSchema,
        owner: Span,
        what: &str,
        ctx: Ctx,
        mut meta: Option<&mut Vec<&'a Node>>,
    ) -> (BTreeMap<String, Expr>, BTreeMap<String, Span>) {
        let mut values: BTreeMap<String, Expr> = BTreeMap::new();
        let mut spans: BTreeMap<String, Span> = BTreeMap::new();
        let mut repeated: BTreeMap<&str, Vec<Expr>> = BTreeMap::new();
        if !args.is_empty() {
            match schema.args.and_then(|a| schema.attribute(a)) {
                Some(attr) => {
                    let span = args[0].span;
                    if let Some(e) = self.args_value(args, attr, ctx) {
                        values.insert(attr.name.to_owned(), e);
                        spans.insert(attr.name.to_owned(), span);
                    }
                }
                None => self.diags.push(
                    Diagnostic::error("spec::unexpected_argument", format!("{what} takes no arguments"))
                        .label(args[0].span, "unexpected argument")
                        .help("write its attributes as properties (`name=value`) or as child nodes (`name value`)"),
                ),
            }
        }
        for prop in props {
            let name = prop.name.value.as_str();
            let Some(attr) = self.settable(schema, name, prop.name.span, what) else {
                continue;
            };
            if let Some(prev) = spans.get(attr.name) {
                self.duplicate(name, prop.name.span, *prev);
                continue;
            }
            if matches!(attr.ty, Type::Block(_)) {
                self.diags.push(
                    Diagnostic::error(
                        "spec::type_mismatch",
                        format!("`{name}` is a block, not a single value"),
                    )
                    .label(prop.span(), "written as a property")
                    .help(format!(
                        "write it as a child node: `{name} key=value ...` or `{name} {{ ... }}`"
                    )),
                );
                continue;
            }
            spans.insert(attr.name.to_owned(), prop.name.span);
            if let Some(e) = self.entry(&prop.entry, &attr.ty, ctx) {
                values.insert(attr.name.to_owned(), e);
            }
        }
        for child in children {
            let name = child.name.value.as_str();
            if let Some(ty) = &child.ty {
                self.diags.push(
                    Diagnostic::error(
                        "spec::unexpected_annotation",
                        format!("`{name}` cannot have a type annotation"),
                    )
                    .label(ty.span, "not allowed here")
                    .help(
                        "annotations like `(ref)` go on values: `name (ref)\"resource.attribute\"`",
                    ),
                );
                continue;
            }
            if let Some(meta) = meta.as_deref_mut()
                && crate::schema::RESERVED_ATTRIBUTES.contains(&name)
            {
                meta.push(child);
                continue;
            }
            let Some(attr) = self.settable(schema, name, child.name.span, what) else {
                continue;
            };
            if let (Type::Block(inner), true) = (&attr.ty, attr.repeated) {
                spans.entry(attr.name.to_owned()).or_insert(child.name.span);
                let (map, _) = self.block(
                    &child.args,
                    &child.props,
                    &child.children,
                    inner,
                    child.name.span,
                    &format!("`{name}`"),
                    ctx,
                    None,
                );
                repeated.entry(attr.name).or_default().push(Expr::map(map));
                continue;
            }
            if let Some(prev) = spans.get(attr.name) {
                self.duplicate(name, child.name.span, *prev);
                continue;
            }
            spans.insert(attr.name.to_owned(), child.name.span);
            if let Some(e) = self.attr_node(
                &child.args,
                &child.props,
                &child.children,
                child.name.span,
                name,
                &attr.ty,
                ctx,
            ) {
                values.insert(attr.name.to_owned(), e);
            }
        }
        for (name, items) in repeated {
            values.insert(name.to_owned(), Expr::list(items));
        }
        // Required attributes, constraints, then defaults.
        let missing: Vec<&Attribute> = schema
            .attributes
            .iter()
            .filter(|a| {
                a.presence == Presence::Required
                    && !values.contains_key(a.name)
                    && !spans.contains_key(a.name)
            })
            .collect();
        if !missing.is_empty() {
            let names: Vec<String> = missing.iter().map(|a| format!("`{}`", a.name)).collect();
            let example = missing
                .iter()
                .map(|a| format!("`{} {}`", a.name, example_value(&a.ty)))
                .collect::<Vec<_>>()
                .join(", ");
            self.diags.push(
                Diagnostic::error(
                    "spec::missing_attribute",
                    format!(
                        "{what} is missing required attribute{} {}",
                        if missing.len() > 1 { "s" } else { "" },
                        names.join(", ")
                    ),
                )
                .label(owner, format!("missing {}", names.join(", ")))
                .help(format!("add {example}")),
            );
        }
        for constraint in &schema.constraints {
            let (Constraint::ExactlyOneOf(names) | Constraint::AtMostOneOf(names)) = constraint;
            let set: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| spans.contains_key(*n))
                .collect();
            let list = names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            if set.len() > 1 {
                let mut d = Diagnostic::error(
                    "spec::conflicting_attributes",
                    format!("{what} sets more than one of {list}"),
                );
                for n in &set {
                    d = d.label(spans[*n], format!("`{n}` set here"));
                }
                self.diags.push(d.help(format!("keep only one of {list}")));
            } else if set.is_empty() && matches!(constraint, Constraint::ExactlyOneOf(_)) {
                self.diags.push(
                    Diagnostic::error(
                        "spec::missing_attribute",
                        format!("{what} needs one of {list}"),
                    )
                    .label(owner, "none of them is set")
                    .help(format!("set exactly one of {list}")),
                );
            }
        }
        for attr in &schema.attributes {
            if let Some(default) = &attr.default
                && !spans.contains_key(attr.name)
            {
                values.insert(attr.name.to_owned(), Expr::Value(default.clone()));
            }
        }
        (values, spans)
    }

    fn settable<'s>(
        &mut self,
        schema: &'s BlockSchema,
        name: &str,
        span: Span,
        what: &str,
    ) -> Option<&'s Attribute> {
        match schema.attribute(name) {
            Some(attr) if attr.is_settable() => Some(attr),
            Some(_) => {
                self.diags.push(
                    Diagnostic::error(
                        "spec::computed_attribute",
                        format!("`{name}` is computed and cannot be set"),
                    )
                    .label(span, "set by the cloud, read-only")
                    .help(format!(
                        "remove it; other resources can read it with (ref)\"RESOURCE.{name}\""
                    )),
                );
                None
            }
            None => {
                self.diags.push(unknown_attribute(
                    span,
                    format!("{what} has no attribute `{name}`"),
                    "unknown attribute",
                    name,
                    &schema.settable_names(),
                ));
                None
            }
        }
    }

    fn duplicate(&mut self, name: &str, span: Span, prev: Span) {
        self.diags.push(
            Diagnostic::error(
                "spec::duplicate_attribute",
                format!("`{name}` is set twice"),
            )
            .label(span, "set again here")
            .label(prev, "first set here")
            .help("set each attribute once; blocks that may repeat say so in their documentation"),
        );
    }

    fn unknown_property(&mut self, prop: &Prop, name: &str, allowed: &[&str], what: &str) {
        self.diags.push(
            Diagnostic::error(
                "spec::unknown_property",
                format!("unknown {what} property `{name}`"),
            )
            .label(prop.name.span, "unknown property")
            .maybe_help(did_you_mean(name, allowed))
            .help_or(if allowed.is_empty() {
                format!("a {what} takes no properties")
            } else {
                format!("{what} properties: {}", allowed.join(", "))
            }),
        );
    }

    /// The arguments of a block that declares an `args` attribute.
    fn args_value(&mut self, args: &[Entry], attr: &Attribute, ctx: Ctx) -> Option<Expr> {
        match &attr.ty {
            Type::List(elem) => {
                let items: Vec<Expr> = args
                    .iter()
                    .filter_map(|a| self.entry(a, elem, ctx))
                    .collect();
                Some(Expr::list(items))
            }
            ty => {
                if args.len() > 1 {
                    self.diags.push(
                        Diagnostic::error("spec::unexpected_argument", "too many arguments")
                            .label(args[1].span, "unexpected argument")
                            .help(format!(
                                "this block takes one argument, its `{}`",
                                attr.name
                            )),
                    );
                }
                self.entry(&args[0], ty, ctx)
            }
        }
    }

    /// Converts an attribute written as a node: `name args... props... { children }`.
    #[allow(clippy::too_many_arguments)]
    fn attr_node(
        &mut self,
        args: &[Entry],
        props: &[Prop],
        children: &'a [Node],
        name_span: Span,
        name: &str,
        ty: &Type,
        ctx: Ctx,
    ) -> Option<Expr> {
        match ty {
            Type::Block(schema) => {
                let schema = Arc::clone(schema);
                let (map, _) = self.block(
                    args,
                    props,
                    children,
                    &schema,
                    name_span,
                    &format!("`{name}`"),
                    ctx,
                    None,
                );
                Some(Expr::map(map))
            }
            Type::List(elem) => {
                self.no_extras(
                    props,
                    children,
                    name,
                    "a list is written as arguments: `NAME v1 v2 v3`",
                );
                if let [single] = args
                    && self.is_collection(single, ctx)
                {
                    return self.entry(single, ty, ctx);
                }
                let items: Vec<Expr> = args
                    .iter()
                    .filter_map(|a| self.entry(a, elem, ctx))
                    .collect();
                Some(Expr::list(items))
            }
            Type::Map(elem) => {
                if let [single] = args
                    && props.is_empty()
                    && children.is_empty()
                    && self.is_collection(single, ctx)
                {
                    return self.entry(single, ty, ctx);
                }
                if let Some(arg) = args.first() {
                    self.diags.push(
                        Diagnostic::error("spec::type_mismatch", format!("`{name}` is a map"))
                            .label(arg.span, "unexpected argument")
                            .help(format!(
                                "a map is written as properties: `{name} key1=value1 key2=value2`"
                            )),
                    );
                }
                let mut entries = BTreeMap::new();
                for prop in props {
                    if let Some(e) = self.entry(&prop.entry, elem, ctx) {
                        entries.insert(prop.name.value.clone(), e);
                    }
                }
                for child in children {
                    if let Some(e) = self.attr_node(
                        &child.args,
                        &child.props,
                        &child.children,
                        child.name.span,
                        &child.name.value,
                        elem,
                        ctx,
                    ) {
                        entries.insert(child.name.value.clone(), e);
                    }
                }
                Some(Expr::map(entries))
            }
            Type::Any if args.len() > 1 || !props.is_empty() => {
                if !props.is_empty() && !args.is_empty() {
                    self.diags.push(
                        Diagnostic::error(
                            "spec::type_mismatch",
                            format!("`{name}` mixes a list and a map"),
                        )
                        .label(args[0].span, "argument")
                        .help("write either arguments (a list) or properties (a map)"),
                    );
                    return None;
                }
                if args.is_empty() {
                    let mut entries = BTreeMap::new();
                    for prop in props {
                        if let Some(e) = self.entry(&prop.entry, &Type::Any, ctx) {
                            entries.insert(prop.name.value.clone(), e);
                        }
                    }
                    Some(Expr::map(entries))
                } else {
                    Some(Expr::list(
                        args.iter()
                            .filter_map(|a| self.entry(a, &Type::Any, ctx))
                            .collect(),
                    ))
                }
            }
            _ => {
                self.no_extras(
                    props,
                    children,
                    name,
                    &format!(
                        "`{name}` takes a single value: `{name} {}`",
                        example_value(ty)
                    ),
                );
                match args {
                    [single] => self.entry(single, ty, ctx),
                    [] => {
                        self.diags.push(
                            Diagnostic::error(
                                "spec::missing_value",
                                format!("`{name}` has no value"),
                            )
                            .label(name_span, "no value")
                            .help(format!("write `{name} {}`", example_value(ty))),
                        );
                        None
                    }
                    [_, extra, ..] => {
                        self.diags.push(
                            Diagnostic::error(
                                "spec::type_mismatch",
                                format!("`{name}` takes one value, not a list"),
                            )
                            .label(extra.span, "unexpected second value")
                            .help(format!("`{name}` expects {}", ty.describe())),
                        );
                        None
                    }
                }
            }
        }
    }

    fn no_extras(&mut self, props: &[Prop], children: &[Node], name: &str, help: &str) {
        if let Some(prop) = props.first() {
            self.diags.push(
                Diagnostic::error(
                    "spec::unexpected_property",
                    format!("`{name}` takes no properties"),
                )
                .label(prop.span(), "unexpected property")
                .help(help.to_owned()),
            );
        }
        if let Some(child) = children.first() {
            self.diags.push(
                Diagnostic::error(
                    "spec::unexpected_children",
                    format!("`{name}` takes no child nodes"),
                )
                .label(child.name.span, "unexpected child")
                .help(help.to_owned()),
            );
        }
    }

    /// Whether an argument is a whole list or map (a variable or reference of that type)
    /// rather than one element.
    fn is_collection(&self, entry: &Entry, ctx: Ctx) -> bool {
        let Some(ty) = &entry.ty else { return false };
        let Literal::String(s) = &entry.value else {
            return false;
        };
        match ty.value.as_str() {
            "var" => self.variables.get(s.as_str()).is_some_and(|v| {
                matches!(
                    (&v.ty, &v.value),
                    (Type::List(_) | Type::Map(_), _) | (_, Some(Value::List(_) | Value::Map(_)))
                )
            }),
            "ref" => {
                let parts: Vec<&str> = s.split('.').collect();
                let target = match (parts.as_slice(), ctx.stack) {
                    ([stack, res, _], _) => self.res_index.get(&(*stack, *res)),
                    ([res, _], Some(si)) => self.res_index.get(&(self.stack_names[si], *res)),
                    _ => None,
                };
                target
                    .and_then(|id| self.res_schemas[id.index()])
                    .and_then(|s| s.attribute(parts.last().copied().unwrap_or_default()))
                    .is_some_and(|a| matches!(a.ty, Type::List(_) | Type::Map(_)) || a.repeated)
            }
            _ => false,
        }
    }

    /// Converts one value (argument or property value) to `ty`.
    fn entry(&mut self, e: &Entry, ty: &Type, ctx: Ctx) -> Option<Expr> {
        if let Some(annotation) = &e.ty {
            let Literal::String(text) = &e.value else {
                self.diags.push(
                    Diagnostic::error(
                        "spec::type_mismatch",
                        format!("`({})` takes a string", annotation.value),
                    )
                    .label(e.value_span, "expected a string")
                    .help(format!("write `({})\"name\"`", annotation.value)),
                );
                return None;
            };
            return match annotation.value.as_str() {
                "ref" => {
                    let Some(stack) = ctx.stack else {
                        self.not_allowed("(ref)", annotation.span, ctx);
                        return None;
                    };
                    let (r, target_ty) = self.resolve_ref(text, e.value_span, stack)?;
                    self.check_ref_type(&r, &target_ty, ty, e.value_span);
                    Some(Expr::Ref(r))
                }
                "var" => {
                    if !ctx.vars {
                        self.not_allowed("(var)", annotation.span, ctx);
                        return None;
                    }
                    self.variable(text, e.value_span, ty)
                }
                "env" => {
                    if !ctx.env_reads {
                        self.not_allowed("(env)", annotation.span, ctx);
                        return None;
                    }
                    match std::env::var(text) {
                        Ok(value) => {
                            let v = Value::String(value);
                            self.check_value(
                                &v,
                                ty,
                                e.value_span,
                                &format!("environment variable `{text}`"),
                            );
                            Some(Expr::Sensitive(Box::new(Expr::Value(v))))
                        }
                        Err(_) => {
                            self.diags.push(
                                Diagnostic::error("spec::missing_env_var", format!("environment variable `{text}` is not set"))
                                    .label(e.value_span, "read here")
                                    .help(format!("export {text}=... before running strata (its value is treated as sensitive)")),
                            );
                            None
                        }
                    }
                }
                other => {
                    self.diags.push(
                        Diagnostic::error(
                            "spec::unknown_annotation",
                            format!("unknown annotation `({other})`"),
                        )
                        .label(annotation.span, "unknown annotation")
                        .maybe_help(did_you_mean(other, ["ref", "var", "env"]))
                        .help_or("values can be annotated `(ref)`, `(var)` or `(env)`"),
                    );
                    None
                }
            };
        }
        let mismatch = |this: &mut Self, found: &str| {
            let help = match ty {
                Type::List(_) => "a list is written as arguments: `NAME v1 v2 v3`".to_owned(),
                Type::Map(_) => "a map is written as properties: `NAME key=value`".to_owned(),
                Type::Block(_) => "a block is a child node: `NAME key=value { ... }`".to_owned(),
                Type::Bool => "booleans are written #true and #false".to_owned(),
                _ => format!("write {}", ty.describe()),
            };
            this.diags.push(
                Diagnostic::error(
                    "spec::type_mismatch",
                    format!("expected {}, found {found}", ty.describe()),
                )
                .label(e.value_span, format!("this is {found}"))
                .help(help),
            );
            None
        };
        match (&e.value, ty) {
            (Literal::Null, Type::Any) => Some(Expr::Value(Value::Null)),
            (Literal::Null, _) => None,
            (Literal::String(s), Type::String | Type::Any | Type::Json) => {
                let expr = self.template(s, e, ctx)?;
                if matches!(ty, Type::Json) {
                    self.check_json(&expr, e);
                }
                Some(expr)
            }
            (Literal::String(s), Type::Enum(options)) => {
                if s.contains("${") {
                    return self.template(s, e, ctx);
                }
                if options.contains(&s.as_str()) {
                    Some(Expr::Value(Value::String(s.clone())))
                } else {
                    self.diags.push(
                        Diagnostic::error(
                            "spec::invalid_value",
                            format!("`{s}` is not one of {}", options.join(", ")),
                        )
                        .label(e.value_span, "not an allowed value")
                        .maybe_help(did_you_mean(s, options))
                        .help_or(format!("allowed values: {}", options.join(", "))),
                    );
                    None
                }
            }
            (Literal::Int(i), Type::Int | Type::Number | Type::Any) => match i64::try_from(*i) {
                Ok(i) => Some(Expr::Value(Value::Int(i))),
                Err(_) => {
                    self.diags.push(
                        Diagnostic::error("spec::invalid_value", "integer out of range")
                            .label(e.value_span, "does not fit in 64 bits")
                            .help("use a smaller number"),
                    );
                    None
                }
            },
            (Literal::Float(f), Type::Number | Type::Any) if f.is_finite() => {
                Some(Expr::Value(Value::Float(*f)))
            }
            (Literal::Float(_), Type::Number | Type::Any) => {
                self.diags.push(
                    Diagnostic::error("spec::invalid_value", "number is infinite or not a number")
                        .label(e.value_span, "not a finite number")
                        .help("state files and cloud APIs hold finite numbers only (JSON has no infinity or NaN)"),
                );
                None
            }
            // Numbers where a string is expected keep their written form: `engine-version 13.7`.
            (Literal::Int(_) | Literal::Float(_), Type::String) => Some(Expr::Value(
                Value::String(self.project.sources.text(e.value_span).to_owned()),
            )),
            (Literal::Bool(b), Type::Bool | Type::Any) => Some(Expr::Value(Value::Bool(*b))),
            (lit, _) => mismatch(self, lit.kind()),
        }
    }

    fn not_allowed(&mut self, what: &str, span: Span, ctx: Ctx) {
        let why = match what {
            "(ref)" => "references are resolved during apply; this value must be known before",
            "(var)" => "variables cannot be used here",
            _ => "process environment variables cannot be read here",
        };
        self.diags.push(
            Diagnostic::error(
                "spec::annotation_not_allowed",
                format!("`{what}` is not allowed in {}", ctx.place),
            )
            .label(span, "not allowed here")
            .help(why),
        );
    }

    fn variable(&mut self, name: &str, span: Span, ty: &Type) -> Option<Expr> {
        let Some(info) = self.variables.get(name) else {
            let names: Vec<&String> = self.variables.keys().collect();
            self.diags.push(
                Diagnostic::error(
                    "spec::undefined_variable",
                    format!("variable `{name}` is not declared"),
                )
                .label(span, "undefined variable")
                .maybe_help(did_you_mean(name, names))
                .help_or(format!(
                    "declare it: `variable {name} type=string default=...`"
                )),
            );
            return None;
        };
        if !compatible(ty, &info.ty) {
            let declared = info.ty.describe();
            self.diags.push(
                Diagnostic::error(
                    "spec::type_mismatch",
                    format!(
                        "variable `{name}` is {declared}, expected {}",
                        ty.describe()
                    ),
                )
                .label(span, declared.to_string())
                .label(info.span, "declared here")
                .help("change the variable's `type=` or use another variable"),
            );
            return None;
        }
        let sensitive = info.sensitive;
        let expr = match info.value.clone() {
            Some(value) => {
                self.check_value(&value, ty, span, &format!("variable `{name}`"));
                Expr::Value(value)
            }
            None => Expr::Unset(name.to_owned()),
        };
        Some(if sensitive {
            Expr::Sensitive(Box::new(expr))
        } else {
            expr
        })
    }

    /// Checks a known value against a type, reporting at `span`.
    fn check_value(&mut self, value: &Value, ty: &Type, span: Span, what: &str) {
        if let Err(problem) = value_fits(value, ty) {
            self.diags.push(
                Diagnostic::error(
                    "spec::type_mismatch",
                    format!("{what} does not fit: {problem}"),
                )
                .label(span, format!("expected {}", ty.describe()))
                .help("change the value or the variable's type"),
            );
        }
    }

    /// A converted expression as a plain value; variables' defaults and environment
    /// values must be known without applying anything.
    fn known(&mut self, expr: Expr, span: Span) -> Option<Value> {
        match expr {
            Expr::Value(v) => Some(v),
            Expr::Sensitive(inner) => self.known(*inner, span),
            Expr::Unset(_) => None,
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        "spec::not_constant",
                        "this value must be known before planning",
                    )
                    .label(span, "depends on other values")
                    .help("use literal values here"),
                );
                None
            }
        }
    }

    fn literal_bool(&mut self, e: &Entry) -> Option<bool> {
        match (&e.ty, &e.value) {
            (None, Literal::Bool(b)) => Some(*b),
            _ => {
                self.diags.push(
                    Diagnostic::error("spec::type_mismatch", "expected #true or #false")
                        .label(e.value_span, "not a boolean")
                        .help("booleans are written #true and #false"),
                );
                None
            }
        }
    }

    fn check_json(&mut self, expr: &Expr, e: &Entry) {
        let text = match expr {
            Expr::Value(Value::String(s)) => s.clone(),
            // References inside a document are filled in at apply time; check the shape
            // with placeholders in their place.
            Expr::Template(parts) => parts
                .iter()
                .map(|p| match p {
                    Part::Lit(s) => s.as_str(),
                    Part::Ref(_) => "x",
                })
                .collect(),
            _ => return,
        };
        if let Err(err) = serde_json::from_str::<serde_json::Value>(&text) {
            self.diags.push(
                Diagnostic::error("spec::invalid_json", format!("invalid JSON document: {err}"))
                    .label(e.value_span, "not valid JSON")
                    .help("a JSON attribute takes a JSON string; a raw string avoids escaping: #\"{\"a\": 1}\"#"),
            );
        }
    }

    // ---- references ----

    fn resolve_ref(&mut self, path: &str, span: Span, stack: usize) -> Option<(Ref, Type)> {
        let parts: Vec<&str> = path.split('.').collect();
        let (stack_name, res, attr) = match parts.as_slice() {
            [res, attr] => (self.stack_names[stack], *res, *attr),
            [s, res, attr] => (*s, *res, *attr),
            _ => {
                self.diags.push(
                    Diagnostic::error("spec::invalid_ref", format!("`{path}` is not a reference"))
                        .label(span, "malformed reference")
                        .help("write `resource.attribute` in the same stack or `stack.resource.attribute` across stacks"),
                );
                return None;
            }
        };
        let id = self.find_resource(stack_name, res, span, path)?;
        let Some(schema) = self.res_schemas[id.index()] else {
            return None; // its type is unknown; already reported
        };
        let Some(attribute) = schema.attribute(attr) else {
            let names: Vec<&str> = schema.exported().map(|a| a.name).collect();
            let type_name = self.type_of(id);
            self.diags.push(
                Diagnostic::error(
                    "spec::unknown_ref_attribute",
                    format!("`{type_name}` has no attribute `{attr}`"),
                )
                .label(
                    span,
                    format!("`{stack_name}.{res}` does not export `{attr}`"),
                )
                .maybe_help(did_you_mean(attr, &names))
                .help_or(format!("`{type_name}` exports: {}", names.join(", "))),
            );
            return None;
        };
        let ty = if attribute.repeated {
            Type::list(attribute.ty.clone())
        } else {
            attribute.ty.clone()
        };
        Some((
            Ref {
                target: id,
                attribute: attr.to_owned(),
                span,
            },
            ty,
        ))
    }

    fn type_of(&self, id: ResourceId) -> &'a str {
        self.res_types[id.index()]
    }

    /// `res` in `stack`, reporting an unknown reference with the closest names.
    fn find_resource(
        &mut self,
        stack_name: &str,
        res: &str,
        span: Span,
        path: &str,
    ) -> Option<ResourceId> {
        if !self.stack_index.contains_key(stack_name) {
            let names: Vec<&str> = self.stack_index.keys().copied().collect();
            self.diags.push(
                Diagnostic::error(
                    "spec::unknown_ref",
                    format!("`{path}` refers to unknown stack `{stack_name}`"),
                )
                .label(span, "no such stack")
                .maybe_help(did_you_mean(stack_name, &names))
                .help_or(format!("stacks: {}", sorted(names).join(", "))),
            );
            return None;
        }
        if let Some(&id) = self.res_index.get(&(stack_name, res)) {
            return Some(id);
        }
        let in_stack: Vec<&str> = self
            .res_index
            .keys()
            .filter(|(s, _)| *s == stack_name)
            .map(|(_, n)| *n)
            .collect();
        let elsewhere: Vec<String> = self
            .res_index
            .keys()
            .filter(|(s, n)| *n == res && *s != stack_name)
            .map(|(s, n)| format!("{s}.{n}"))
            .collect();
        let mut d = Diagnostic::error(
            "spec::unknown_ref",
            format!("`{path}` refers to unknown resource `{stack_name}.{res}`"),
        )
        .label(span, "no such resource")
        .maybe_help(did_you_mean(res, &in_stack));
        if let Some(other) = elsewhere.first() {
            d = d.help_or(format!(
                "`{res}` is in another stack: write `{other}.ATTRIBUTE`"
            ));
        }
        self.diags.push(d.help_or(format!(
            "resources in stack `{stack_name}`: {}",
            sorted(in_stack).join(", ")
        )));
        None
    }

    /// `depends-on` targets: `res` in the same stack or `stack.res`.
    fn resolve_resource(
        &mut self,
        path: &str,
        span: Span,
        stack: usize,
    ) -> Option<(ResourceId, Span)> {
        let (stack_name, res) = match path.split_once('.') {
            None => (self.stack_names[stack], path),
            Some((s, r)) if !r.contains('.') => (s, r),
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        "spec::invalid_ref",
                        format!("`{path}` is not a resource address"),
                    )
                    .label(span, "malformed address")
                    .help("`depends-on` takes `resource` or `stack.resource`"),
                );
                return None;
            }
        };
        self.find_resource(stack_name, res, span, path)
            .map(|id| (id, span))
    }

    fn check_ref_type(&mut self, r: &Ref, actual: &Type, expected: &Type, span: Span) {
        if !compatible(expected, actual) {
            self.diags.push(
                Diagnostic::error(
                    "spec::type_mismatch",
                    format!(
                        "`{}` is {}, expected {}",
                        r.attribute,
                        actual.describe(),
                        expected.describe()
                    ),
                )
                .label(span, format!("this is {}", actual.describe()))
                .help("refer to an attribute of the expected type"),
            );
        }
    }

    /// Resolves `${...}` placeholders in a string.
    fn template(&mut self, s: &str, e: &Entry, ctx: Ctx) -> Option<Expr> {
        if !s.contains("${") {
            return Some(Expr::Value(Value::String(s.to_owned())));
        }
        let span_of = |start: usize, end: usize| match e.text_start {
            Some(ts) => Span::new(e.value_span.file, ts as usize + start, ts as usize + end),
            None => e.value_span,
        };
        let pieces = match template::parse(s) {
            Ok(p) => p,
            Err(err) => {
                self.diags.push(
                    Diagnostic::error("spec::invalid_template", err.message)
                        .label(span_of(err.start, err.end), err.message)
                        .help("placeholders are `${env}`, `${region}`, `${var.NAME}` or `${resource.attribute}`; write `$${` for a literal `${`"),
                );
                return None;
            }
        };
        let mut parts: Vec<Part> = Vec::new();
        let mut sensitive = false;
        let mut unset = None;
        let mut ok = true;
        let push_lit = |parts: &mut Vec<Part>, text: &str| match parts.last_mut() {
            Some(Part::Lit(prev)) => prev.push_str(text),
            _ => parts.push(Part::Lit(text.to_owned())),
        };
        for piece in pieces {
            match piece {
                Piece::Text(t) => push_lit(&mut parts, &t),
                Piece::Placeholder { expr, start, end } => {
                    let span = span_of(start, end);
                    match expr {
                        "env" => match &self.env_name {
                            Some(env) => push_lit(&mut parts, env),
                            None => unset = Some("env".to_owned()),
                        },
                        "region" => match &self.region {
                            Some(region) => push_lit(&mut parts, region),
                            None => unset = Some("region".to_owned()),
                        },
                        _ if expr.starts_with("var.") => {
                            if !ctx.vars {
                                self.not_allowed("(var)", span, ctx);
                                ok = false;
                                continue;
                            }
                            match self.variable(&expr[4..], span, &Type::String) {
                                Some(Expr::Value(v)) => push_lit(&mut parts, &scalar_text(&v)),
                                Some(Expr::Sensitive(inner)) => {
                                    sensitive = true;
                                    match *inner {
                                        Expr::Value(v) => push_lit(&mut parts, &scalar_text(&v)),
                                        Expr::Unset(name) => unset = Some(name),
                                        _ => ok = false,
                                    }
                                }
                                Some(Expr::Unset(name)) => unset = Some(name),
                                _ => ok = false,
                            }
                        }
                        _ => {
                            let Some(stack) = ctx.stack else {
                                self.not_allowed("(ref)", span, ctx);
                                ok = false;
                                continue;
                            };
                            match self.resolve_ref(expr, span, stack) {
                                Some((r, ty)) => {
                                    if !ty.is_scalar() && !matches!(ty, Type::Any | Type::Json) {
                                        self.diags.push(
                                            Diagnostic::error("spec::type_mismatch", format!("cannot put {} inside a string", ty.describe()))
                                                .label(span, "not a single value")
                                                .help("only strings, numbers and booleans can be interpolated"),
                                        );
                                        ok = false;
                                    } else {
                                        parts.push(Part::Ref(r));
                                    }
                                }
                                None => ok = false,
                            }
                        }
                    }
                }
            }
        }
        if !ok {
            return None;
        }
        if let Some(name) = unset {
            return Some(Expr::Unset(name));
        }
        let expr = match parts.as_slice() {
            [] => Expr::Value(Value::String(String::new())),
            [Part::Lit(s)] => Expr::Value(Value::String(s.clone())),
            _ => Expr::Template(parts),
        };
        Some(if sensitive {
            Expr::Sensitive(Box::new(expr))
        } else {
            expr
        })
    }
}

fn unknown_attribute(
    span: Span,
    message: String,
    label: &str,
    name: &str,
    names: &[&str],
) -> Diagnostic {
    Diagnostic::error("spec::unknown_attribute", message)
        .label(span, label.to_owned())
        .maybe_help(did_you_mean(name, names))
        .help_or(format!("attributes: {}", names.join(", ")))
}

fn sorted(mut names: Vec<&str>) -> Vec<&str> {
    names.sort_unstable();
    names
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether a value of type `actual` may be used where `expected` is required.
fn compatible(expected: &Type, actual: &Type) -> bool {
    use Type::*;
    match (expected, actual) {
        (Any | Json, _) | (_, Any | Json) => true,
        // Scalars convert to strings, as in a template.
        (String, String | Int | Number | Bool | Enum(_)) => true,
        (Enum(_), String | Enum(_)) => true,
        (Int, Int) | (Number, Int | Number) | (Bool, Bool) => true,
        (List(a), List(b)) | (Map(a), Map(b)) => compatible(a, b),
        (Block(_), Block(_)) => true,
        (Map(_), Block(_)) => true,
        _ => false,
    }
}

/// Checks a known value against a type; the error says what did not fit.
fn value_fits(value: &Value, ty: &Type) -> Result<(), String> {
    let fail = || {
        Err(format!(
            "found {}, expected {}",
            value.kind(),
            ty.describe()
        ))
    };
    match (ty, value) {
        (Type::Any | Type::Json, _) => Ok(()),
        (Type::String, Value::String(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_)) => {
            Ok(())
        }
        (Type::Enum(options), Value::String(s)) => {
            if options.contains(&s.as_str()) {
                Ok(())
            } else {
                Err(format!("`{s}` is not one of {}", options.join(", ")))
            }
        }
        (Type::Int, Value::Int(_))
        | (Type::Number, Value::Int(_) | Value::Float(_))
        | (Type::Bool, Value::Bool(_)) => Ok(()),
        (Type::List(elem), Value::List(items)) => {
            items.iter().try_for_each(|v| value_fits(v, elem))
        }
        (Type::Map(elem), Value::Map(entries)) => {
            entries.values().try_for_each(|v| value_fits(v, elem))
        }
        (Type::Block(_), Value::Map(_)) => Ok(()),
        _ => fail(),
    }
}

fn example_value(ty: &Type) -> String {
    match ty {
        Type::String => "\"...\"".into(),
        Type::Int | Type::Number => "1".into(),
        Type::Bool => "#true".into(),
        Type::Enum(options) => options.first().copied().unwrap_or("...").to_owned(),
        Type::List(elem) => format!("{} {}", example_value(elem), example_value(elem)),
        Type::Map(_) => "key=value".into(),
        Type::Block(_) => "{ ... }".into(),
        Type::Json => "#\"{ ... }\"#".into(),
        Type::Any => "VALUE".into(),
    }
}
