//! Loading a spec folder: files read, parsed, and sorted into declarations.
//!
//! A project is every `*.kdl` at the top of a folder plus `env/<name>.kdl` per
//! environment. This stage knows the language's top-level shape (stacks, variables,
//! environments, resources, lookups, outputs) but not resource schemas: bodies stay raw
//! nodes until `check`.
//! Invariant: files are read in sorted order, so diagnostics and ids are deterministic.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, Failure};
use crate::source::{FileId, Sources, Span, Spanned};
use crate::spec::limits;
use crate::spec::raw::{self, Entry, Literal, Node};
use crate::suggest::did_you_mean;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Managed,
    Lookup,
}

#[derive(Debug, Clone)]
pub struct ResourceDecl {
    pub mode: Mode,
    pub type_name: Spanned<String>,
    pub name: Spanned<String>,
    /// The resource node; its children are the body.
    pub node: Node,
}

#[derive(Debug, Clone)]
pub struct OutputDecl {
    pub name: Spanned<String>,
    pub node: Node,
}

#[derive(Debug, Clone)]
pub struct StackDecl {
    pub name: Spanned<String>,
    pub depends_on: Vec<Spanned<String>>,
    pub resources: Vec<ResourceDecl>,
    pub outputs: Vec<OutputDecl>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct VariableDecl {
    pub name: Spanned<String>,
    pub node: Node,
}

#[derive(Debug, Clone)]
pub struct EnvironmentDecl {
    pub name: Spanned<String>,
    pub node: Node,
}

#[derive(Debug)]
pub struct Project {
    pub root: PathBuf,
    pub sources: Arc<Sources>,
    pub stacks: Vec<StackDecl>,
    pub variables: Vec<VariableDecl>,
    pub environments: Vec<EnvironmentDecl>,
    /// Problems with the project's shape found while loading (unknown nodes, misplaced
    /// blocks). Reported together with what `check` finds, so one run shows them all.
    pub diagnostics: Diagnostics,
}

impl Project {
    pub fn environment_names(&self) -> Vec<&str> {
        self.environments
            .iter()
            .map(|e| e.name.value.as_str())
            .collect()
    }
}

/// The files of a spec folder: top-level `*.kdl`, then `env/*.kdl`, each sorted.
pub fn spec_files(dir: &Path) -> std::io::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let list = |dir: &Path| -> std::io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "kdl") && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    };
    let top = list(dir)?;
    let env_dir = dir.join("env");
    let envs = if env_dir.is_dir() {
        list(&env_dir)?
    } else {
        Vec::new()
    };
    Ok((top, envs))
}

/// One spec file as `load_files` takes it: where it is (shown in diagnostics; an
/// environment file is named after its environment) and its bytes.
#[derive(Debug, Clone)]
pub struct SpecFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Reads and parses a spec folder. Fails on unreadable folders and syntax errors; other
/// problems are kept in `Project::diagnostics` for `check` to report with its own.
pub fn load(dir: &Path) -> Result<Project, Failure> {
    let mut diags = Diagnostics::new();
    let failure = |diags| Failure {
        sources: Arc::new(Sources::new()),
        diagnostics: diags,
    };
    let (top, envs) = match spec_files(dir) {
        Ok(files) => files,
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    "spec::io",
                    format!("cannot read spec folder {}: {e}", dir.display()),
                )
                .help("pass the folder that holds the stack files (for example `specs/digidex`)"),
            );
            return Err(failure(diags));
        }
    };
    if top.is_empty() {
        diags.push(no_files(dir));
        return Err(failure(diags));
    }
    let mut read = |paths: Vec<PathBuf>| -> Vec<SpecFile> {
        paths
            .into_iter()
            .filter_map(|path| match read_spec_file(&path) {
                Ok(bytes) => Some(SpecFile { path, bytes }),
                Err(e) => {
                    diags.push(
                        Diagnostic::error(
                            "spec::io",
                            format!("cannot read {}: {e}", path.display()),
                        )
                        .help("check that the file exists and that you may read it"),
                    );
                    None
                }
            })
            .collect()
    };
    let (top, envs) = (read(top), read(envs));
    load_sources(dir, top, envs, diags)
}

/// Reads at most one byte more than a spec file may hold, so that a huge file is
/// refused without being read whole.
fn read_spec_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limits::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Loads a project from files in memory, as `load` does from the folder `root` (which
/// is only recorded, never read): `top` are the stack files, `envs` the environment
/// files (`env/<name>.kdl`). Each list is sorted by path first.
pub fn load_files(
    root: &Path,
    top: Vec<SpecFile>,
    envs: Vec<SpecFile>,
) -> Result<Project, Failure> {
    load_sources(root, top, envs, Diagnostics::new())
}

fn no_files(dir: &Path) -> Diagnostic {
    Diagnostic::error(
        "spec::no_files",
        format!("no .kdl files in {}", dir.display()),
    )
    .help("a spec folder holds stack files (`*.kdl`) and env/<name>.kdl environment files")
}

fn load_sources(
    root: &Path,
    mut top: Vec<SpecFile>,
    mut envs: Vec<SpecFile>,
    mut diags: Diagnostics,
) -> Result<Project, Failure> {
    let mut sources = Sources::new();
    if top.is_empty() && !diags.has_errors() {
        diags.push(no_files(root));
    }
    top.sort_by(|a, b| a.path.cmp(&b.path));
    envs.sort_by(|a, b| a.path.cmp(&b.path));
    let mut files = Vec::new();
    for (is_env, file) in top
        .into_iter()
        .map(|f| (false, f))
        .chain(envs.into_iter().map(|f| (true, f)))
    {
        let (text, problem) = source_text(&file.path, file.bytes);
        let id = sources.add(file.path.display().to_string(), &file.path, text);
        match problem {
            Some(problem) => diags.push(problem(id)),
            None => files.push((is_env, id)),
        }
    }
    let parsed = parse_all(&sources, &files, &mut diags);
    if diags.has_errors() {
        // A file that does not parse hides its declarations; checking the rest would
        // report false "unknown reference" errors, so stop at syntax.
        return Err(Failure {
            sources: Arc::new(sources),
            diagnostics: diags,
        });
    }
    let mut project = Project {
        root: root.to_path_buf(),
        sources: Arc::new(Sources::new()),
        stacks: Vec::new(),
        variables: Vec::new(),
        environments: Vec::new(),
        diagnostics: Diagnostics::new(),
    };
    for ((is_env, file), nodes) in files.iter().zip(parsed) {
        if *is_env {
            lower_env_file(&sources, *file, nodes, &mut project, &mut diags);
        } else {
            lower_project_file(nodes, &mut project, &mut diags);
        }
    }
    project.sources = Arc::new(sources);
    project.diagnostics = diags;
    Ok(project)
}

/// A problem with a file as a whole, made once the file has an id.
type FileProblem = Box<dyn FnOnce(FileId) -> Diagnostic>;

/// The text of a file, or what is wrong with its bytes: more than `MAX_FILE_BYTES`
/// (the text is then empty), or not UTF-8 (the text is then the bytes with each
/// invalid sequence replaced by U+FFFD, so that the diagnostic can show where).
fn source_text(path: &Path, bytes: Vec<u8>) -> (String, Option<FileProblem>) {
    if bytes.len() > limits::MAX_FILE_BYTES {
        // About the file, not a place in it: no label, the message names it.
        let message = format!(
            "{} is larger than the limit of {} bytes (1 MiB) for a spec file",
            // The file's name, not the folder's path: the message wraps the same wherever
            // the folder is.
            path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned()
            ),
            limits::MAX_FILE_BYTES
        );
        return (
            String::new(),
            Some(Box::new(move |_| {
                Diagnostic::error("spec::file_too_large", message)
                    .help("split the stacks over several files: every `*.kdl` at the top of the spec folder is read")
            })),
        );
    }
    match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let bad = &bytes[valid..];
            let invalid_len = std::str::from_utf8(bad)
                .err()
                .and_then(|e| e.error_len())
                .unwrap_or(bad.len());
            let shown: Vec<String> = bad[..invalid_len]
                .iter()
                .map(|b| format!("0x{b:02X}"))
                .collect();
            let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
            let help = if utf16 {
                "the file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8"
            } else {
                "spec files are UTF-8 text: save the file as UTF-8 (an editor's \"encoding\" setting)"
            };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            // The lossy text is the same up to the first invalid sequence, which it
            // replaces with one U+FFFD (3 bytes).
            let problem: FileProblem = Box::new(move |id| {
                Diagnostic::error("spec::invalid_utf8", "spec file is not valid UTF-8 text")
                    .label(
                        Span::new(id, valid, valid + '\u{FFFD}'.len_utf8()),
                        format!(
                            "invalid byte{} {}",
                            if shown.len() > 1 { "s" } else { "" },
                            shown.join(" ")
                        ),
                    )
                    .help(help)
            });
            (text, Some(problem))
        }
    }
}

/// Parses files, on two threads when there are several: KDL parsing is the bulk of
/// loading a large project.
fn parse_all(
    sources: &Sources,
    files: &[(bool, FileId)],
    diags: &mut Diagnostics,
) -> Vec<Vec<Node>> {
    let parse_one = |id: FileId| {
        let mut d = Diagnostics::new();
        let nodes = raw::parse(id, &sources.get(id).text, &mut d);
        (nodes.unwrap_or_default(), d)
    };
    let results: Vec<(Vec<Node>, Diagnostics)> = if files.len() > 1 {
        let mid = files.len() / 2;
        std::thread::scope(|scope| {
            let second = scope.spawn(|| {
                files[mid..]
                    .iter()
                    .map(|(_, id)| parse_one(*id))
                    .collect::<Vec<_>>()
            });
            let mut first: Vec<_> = files[..mid].iter().map(|(_, id)| parse_one(*id)).collect();
            first.extend(second.join().expect("parser thread panicked"));
            first
        })
    } else {
        files.iter().map(|(_, id)| parse_one(*id)).collect()
    };
    results
        .into_iter()
        .map(|(nodes, d)| {
            diags.extend(d);
            nodes
        })
        .collect()
}

const PROJECT_NODES: &[&str] = &["stack", "variable"];
const STACK_NODES: &[&str] = &["output", "lookup", "depends-on"];

fn lower_project_file(nodes: Vec<Node>, project: &mut Project, diags: &mut Diagnostics) {
    for node in nodes {
        no_type_annotation(&node, diags);
        match node.name.value.as_str() {
            "stack" => {
                if let Some(stack) = lower_stack(node, diags) {
                    project.stacks.push(stack);
                }
            }
            "variable" => {
                if let Some(name) = single_name(&node, "variable", diags) {
                    project.variables.push(VariableDecl { name, node });
                }
            }
            "environment" => diags.push(
                Diagnostic::error("spec::misplaced_environment", "environments live in env/<name>.kdl")
                    .label(node.name.span, "environment declared in a stack file")
                    .help("move this block to env/<name>.kdl in the spec folder"),
            ),
            other if other.contains('.') => diags.push(
                Diagnostic::error("spec::resource_outside_stack", format!("resource `{other}` is outside any stack"))
                    .label(node.name.span, "declared at the top level")
                    .help("put resources inside a `stack NAME { ... }` block"),
            ),
            other => diags.push(
                Diagnostic::error("spec::unknown_node", format!("unknown top-level node `{other}`"))
                    .label(node.name.span, "not a stack or a variable")
                    .maybe_help(did_you_mean(other, PROJECT_NODES))
                    .help_or("the top level of a stack file holds `stack NAME { ... }` and `variable NAME ...`"),
            ),
        }
    }
}

fn lower_stack(node: Node, diags: &mut Diagnostics) -> Option<StackDecl> {
    let name = single_name(&node, "stack", diags)?;
    let mut depends_on = Vec::new();
    for prop in &node.props {
        match prop.name.value.as_str() {
            "depends-on" => depends_on.extend(plain_string(&prop.entry, "depends-on", diags)),
            other => diags.push(
                Diagnostic::error(
                    "spec::unknown_property",
                    format!("unknown stack property `{other}`"),
                )
                .label(prop.name.span, "stacks only take `depends-on=`")
                .maybe_help(did_you_mean(other, ["depends-on"])),
            ),
        }
    }
    let span = node.span;
    let mut stack = StackDecl {
        name,
        depends_on,
        resources: Vec::new(),
        outputs: Vec::new(),
        span,
    };
    for child in node.children {
        no_type_annotation(&child, diags);
        match child.name.value.as_str() {
            "depends-on" => {
                for arg in &child.args {
                    stack.depends_on.extend(plain_string(arg, "depends-on", diags));
                }
                no_props_or_children(&child, diags);
            }
            "output" => {
                if let Some(name) = first_arg_name(&child, "output", diags) {
                    stack.outputs.push(OutputDecl { name, node: child });
                }
            }
            "lookup" => {
                let type_name = child.args.first().and_then(|a| plain_string(a, "lookup type", diags));
                let name = child.args.get(1).and_then(|a| plain_string(a, "lookup name", diags));
                match (type_name, name) {
                    (Some(type_name), Some(name)) if child.args.len() == 2 => {
                        if valid_name(&name, "lookup", diags) {
                            stack.resources.push(ResourceDecl { mode: Mode::Lookup, type_name, name, node: child });
                        }
                    }
                    _ => diags.push(
                        Diagnostic::error("spec::malformed_lookup", "a lookup needs a type and a name")
                            .label(child.span.sub(0, child.name.span.len()), "here")
                            .help("write `lookup <service>.<kind> NAME { filters }`, e.g. `lookup ec2.vpc default { default #true }`"),
                    ),
                }
            }
            other if other.contains('.') => {
                let type_name = child.name.clone();
                if let Some(name) = single_name_in(&child, &format!("resource `{other}`"), diags)
                    && valid_name(&name, "resource", diags)
                {
                    stack.resources.push(ResourceDecl { mode: Mode::Managed, type_name, name, node: child });
                }
            }
            other => diags.push(
                Diagnostic::error("spec::unknown_node", format!("unknown node `{other}` in stack `{}`", stack.name.value))
                    .label(child.name.span, "not a resource, lookup, output or depends-on")
                    .maybe_help(did_you_mean(other, STACK_NODES))
                    .help_or("a resource is written `<service>.<kind> NAME { ... }`, e.g. `s3.bucket site { ... }`"),
            ),
        }
    }
    Some(stack)
}

fn lower_env_file(
    sources: &Sources,
    file: FileId,
    nodes: Vec<Node>,
    project: &mut Project,
    diags: &mut Diagnostics,
) {
    let stem = sources
        .get(file)
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut seen = false;
    for node in nodes {
        no_type_annotation(&node, diags);
        if node.name.value != "environment" {
            diags.push(
                Diagnostic::error(
                    "spec::unknown_node",
                    format!("unknown node `{}` in an environment file", node.name.value),
                )
                .label(
                    node.name.span,
                    "environment files hold one `environment` block",
                )
                .maybe_help(did_you_mean(&node.name.value, ["environment"]))
                .help_or("stacks and variables belong in the spec folder's top-level files"),
            );
            continue;
        }
        let Some(name) = single_name(&node, "environment", diags) else {
            continue;
        };
        if name.value != stem {
            diags.push(
                Diagnostic::error("spec::environment_file_name", format!("environment `{}` is declared in env/{stem}.kdl", name.value))
                    .label(name.span, format!("expected `{stem}`"))
                    .help(format!("name the environment after its file: `environment {stem}`, or rename the file to env/{}.kdl", name.value)),
            );
            continue;
        }
        if seen {
            diags.push(
                Diagnostic::error(
                    "spec::duplicate_environment",
                    format!("environment `{}` declared twice", name.value),
                )
                .label(name.span, "second declaration")
                .help("an environment file holds exactly one `environment` block"),
            );
            continue;
        }
        seen = true;
        project.environments.push(EnvironmentDecl { name, node });
    }
}

/// The single name argument of a node with a body (`stack NAME { ... }`).
fn single_name(node: &Node, what: &str, diags: &mut Diagnostics) -> Option<Spanned<String>> {
    let name = single_name_in(node, what, diags)?;
    valid_name(&name, what, diags).then_some(name)
}

fn single_name_in(node: &Node, what: &str, diags: &mut Diagnostics) -> Option<Spanned<String>> {
    match node.args.as_slice() {
        [arg] => plain_string(arg, &format!("{what} name"), diags),
        [] => {
            diags.push(
                Diagnostic::error("spec::missing_name", format!("{what} has no name"))
                    .label(node.name.span, "needs a name")
                    .help(format!("write `{} NAME {{ ... }}`", node.name.value)),
            );
            None
        }
        [_, extra, ..] => {
            diags.push(
                Diagnostic::error(
                    "spec::unexpected_argument",
                    format!("{what} takes one name"),
                )
                .label(extra.span, "unexpected argument")
                .help(format!(
                    "write `{} NAME {{ ... }}`; attributes go inside the braces",
                    node.name.value
                )),
            );
            None
        }
    }
}

/// The first argument as a name (`output NAME VALUE`).
fn first_arg_name(node: &Node, what: &str, diags: &mut Diagnostics) -> Option<Spanned<String>> {
    match node.args.first() {
        Some(arg) => {
            let name = plain_string(arg, &format!("{what} name"), diags)?;
            valid_name(&name, what, diags).then_some(name)
        }
        None => {
            diags.push(
                Diagnostic::error("spec::missing_name", format!("{what} has no name"))
                    .label(node.name.span, "needs a name")
                    .help(format!("write `{} NAME VALUE`", node.name.value)),
            );
            None
        }
    }
}

/// A string argument without annotation.
pub(crate) fn plain_string(
    entry: &Entry,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Spanned<String>> {
    if let Some(ty) = &entry.ty {
        diags.push(
            Diagnostic::error(
                "spec::unexpected_annotation",
                format!("{what} cannot be `({})`", ty.value),
            )
            .label(ty.span, "not allowed here")
            .help(format!(
                "{what} is a plain name, known before anything is evaluated"
            )),
        );
        return None;
    }
    match &entry.value {
        Literal::String(s) => Some(Spanned::new(s.clone(), entry.value_span)),
        other => {
            diags.push(
                Diagnostic::error(
                    "spec::type_mismatch",
                    format!("{what} must be a string, found {}", other.kind()),
                )
                .label(entry.value_span, "expected a string")
                .help("quote it, e.g. \"name\""),
            );
            None
        }
    }
}

/// Names of stacks, resources, outputs, variables: letters, digits, `-` and `_`, not
/// starting with a digit; no dots, since dots separate the parts of an address.
fn valid_name(name: &Spanned<String>, what: &str, diags: &mut Diagnostics) -> bool {
    let s = &name.value;
    let ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        diags.push(
            Diagnostic::error(
                "spec::invalid_name",
                format!("`{s}` is not a valid {what} name"),
            )
            .label(name.span, "invalid name")
            .help(
                "names use letters, digits, `-` and `_`, start with a letter, and contain no dots",
            ),
        );
    }
    ok
}

fn no_type_annotation(node: &Node, diags: &mut Diagnostics) {
    if let Some(ty) = &node.ty {
        diags.push(
            Diagnostic::error(
                "spec::unexpected_annotation",
                format!("node `{}` cannot have a type annotation", node.name.value),
            )
            .label(ty.span, "not allowed here")
            .help("annotations like `(ref)` go on values, not on node names"),
        );
    }
}

fn no_props_or_children(node: &Node, diags: &mut Diagnostics) {
    if let Some(prop) = node.props.first() {
        diags.push(
            Diagnostic::error(
                "spec::unexpected_property",
                format!("`{}` takes no properties", node.name.value),
            )
            .label(prop.span(), "unexpected property"),
        );
    }
    if let Some(child) = node.children.first() {
        diags.push(
            Diagnostic::error(
                "spec::unexpected_children",
                format!("`{}` takes no child nodes", node.name.value),
            )
            .label(child.name.span, "unexpected child"),
        );
    }
}
