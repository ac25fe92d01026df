//! The raw tree: a KDL document turned into plain nodes that carry spans.
//!
//! Nothing here knows what a stack or a resource is; it only keeps what KDL said, with
//! the span of every node name, argument, property and type annotation, so that later
//! checks can point exactly at what is wrong.
//! Invariant: arguments and properties keep their source order; duplicate properties
//! are kept (KDL says the last wins, but strata reports them).

use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};

use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, Span, Spanned};
use crate::spec::limits;

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Int(i128),
    Float(f64),
    Bool(bool),
    Null,
}

impl Literal {
    pub fn kind(&self) -> &'static str {
        match self {
            Literal::String(_) => "a string",
            Literal::Int(_) => "an integer",
            Literal::Float(_) => "a number",
            Literal::Bool(_) => "a boolean",
            Literal::Null => "null",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub value: Literal,
    /// The type annotation, like `ref` in `(ref)"a.b"`.
    pub ty: Option<Spanned<String>>,
    /// The whole entry (for a property, `key=value`).
    pub span: Span,
    /// The span of the value alone.
    pub value_span: Span,
    /// For a string written as a plain quoted string without escapes, the byte offset
    /// of its first character: lets `${...}` errors point inside the string.
    pub text_start: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prop {
    pub name: Spanned<String>,
    pub entry: Entry,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: Spanned<String>,
    pub ty: Option<Spanned<String>>,
    pub args: Vec<Entry>,
    pub props: Vec<Prop>,
    pub children: Vec<Node>,
    /// The whole node, children included.
    pub span: Span,
}

impl Prop {
    /// The whole property, `key=value`.
    pub fn span(&self) -> Span {
        self.entry.span
    }
}

impl Node {
    pub fn prop(&self, name: &str) -> Option<&Prop> {
        self.props.iter().rev().find(|p| p.name.value == name)
    }
}

/// Parses one file. Syntax errors become `spec::syntax` diagnostics, a text beyond the
/// limits of `limits` one diagnostic of its own; on error no nodes are returned.
pub fn parse(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> Option<Vec<Node>> {
    match parse_kdl(text, |doc| document(file, doc)) {
        Ok(nodes) => Some(nodes),
        Err(ParseError::Limit(v)) => {
            diagnostics.push(
                Diagnostic::error(v.code, v.message)
                    .label(Span::new(file, v.start, v.end), v.label)
                    .help(v.help),
            );
            None
        }
        Err(ParseError::Thread(e)) => {
            diagnostics.push(
                Diagnostic::error(
                    "spec::parser_thread",
                    format!("cannot start a thread to parse the file: {e}"),
                )
                .label(Span::new(file, 0, 0), "this file")
                .help("the system refused the thread its stack; free some memory and run the command again"),
            );
            None
        }
        Err(ParseError::Syntax(err)) => {
            let errors = syntax_errors(file, text, err);
            let total = errors.len();
            for (i, diag) in errors.into_iter().enumerate() {
                if i == MAX_SYNTAX_ERRORS {
                    let at = diag.primary_span().unwrap_or(Span::new(file, 0, 0));
                    diagnostics.push(
                        Diagnostic::error(
                            "spec::too_many_errors",
                            format!("{} more syntax errors in this file", total - i),
                        )
                        .label(at, "the next one is here")
                        .help("fix the errors above first: one mistake (a missing quote or brace) often causes many"),
                    );
                    break;
                }
                diagnostics.push(diag);
            }
            None
        }
    }
}

/// The parser's errors as diagnostics, reworded where its message says little: a block
/// never closed is reported once (the parser reports it twice), a stray `}` and a
/// string cut short by the end of the file say so.
fn syntax_errors(file: FileId, text: &str, err: kdl::KdlError) -> Vec<Diagnostic> {
    const DEFAULT_HELP: &str = "spec files are KDL v2: https://kdl.dev (strings with spaces or \
        that start with a digit need quotes; booleans are #true and #false)";
    let unclosed_ends: Vec<usize> = err
        .diagnostics
        .iter()
        .filter(|d| d.message.as_deref() == Some("No closing '}' for child block"))
        .map(|d| d.span.offset() + d.span.len())
        .collect();
    let mut out = Vec::new();
    for d in err.diagnostics {
        let span = Span::from_miette(file, d.span);
        let at = text.get(d.span.offset()..).unwrap_or("");
        let message = d.message.as_deref().unwrap_or("invalid KDL");
        let (message, label, help) = match message {
            "No closing '}' for child block" => (
                "block is never closed".to_owned(),
                "this `{` has no matching `}`".to_owned(),
                "add the missing `}`: blocks close in the reverse order they open".to_owned(),
            ),
            // The same unclosed block, reported again over its contents.
            "Closing '}' was not found after nodes" if unclosed_ends.contains(&d.span.offset()) => {
                continue;
            }
            "Expected end of document" if at.starts_with('}') => (
                "unexpected `}`".to_owned(),
                "no open block to close here".to_owned(),
                "remove it, or look above for a block closed too early".to_owned(),
            ),
            "Expected end of document" => (
                "expected the end of a node".to_owned(),
                "cannot be read from here on".to_owned(),
                DEFAULT_HELP.to_owned(),
            ),
            "Expected quoted string" if at.starts_with('"') && !at[1..].contains('"') => (
                "string is never closed".to_owned(),
                "this string has no closing `\"`".to_owned(),
                "add the closing `\"`".to_owned(),
            ),
            "Unexpected newline in single-line quoted string" => (
                "string is not closed on its line".to_owned(),
                "this string has no closing `\"` before the end of the line".to_owned(),
                d.help.clone().unwrap_or_else(|| DEFAULT_HELP.to_owned()),
            ),
            message => (
                lowercase_first(message),
                lowercase_first(d.label.as_deref().unwrap_or("here")),
                d.help.clone().unwrap_or_else(|| DEFAULT_HELP.to_owned()),
            ),
        };
        out.push(
            Diagnostic::error("spec::syntax", message)
                .label(span, label)
                .help(help),
        );
    }
    out
}

/// Syntax errors reported per file; the rest are counted. Garbage (a binary or a JSON
/// file saved as `.kdl`) makes the parser report an error every few bytes.
pub const MAX_SYNTAX_ERRORS: usize = 20;

/// Why a text could not be parsed.
#[derive(Debug)]
pub enum ParseError {
    /// The text is beyond the limits (`limits::scan`); the parser did not run.
    Limit(limits::Violation),
    /// The text is not valid KDL.
    Syntax(kdl::KdlError),
    /// The parser thread could not be started.
    Thread(std::io::Error),
}

/// Parses KDL text within the limits of `limits`, on a thread whose stack is sized for
/// the text, and hands the document to `with` on that thread (the document is dropped
/// there too: dropping it is recursive). Every KDL parse of spec text goes through here.
/// A panic in the parser or in `with` is resumed on the calling thread.
pub fn parse_kdl<T: Send>(
    text: &str,
    with: impl FnOnce(&KdlDocument) -> T + Send,
) -> Result<T, ParseError> {
    limits::scan(text).map_err(ParseError::Limit)?;
    std::thread::scope(|scope| {
        let parser = std::thread::Builder::new()
            .name("kdl-parser".into())
            .stack_size(limits::parse_stack_size(text.len()))
            .spawn_scoped(scope, || {
                let doc = KdlDocument::parse_v2(text).map_err(ParseError::Syntax)?;
                if let Some(span) = too_deep(&doc) {
                    // The scan is meant to have refused this text already.
                    if cfg!(debug_assertions) {
                        panic!(
                            "limits::scan let through blocks nested deeper than {}",
                            limits::MAX_DEPTH
                        );
                    }
                    return Err(ParseError::Limit(limits::Violation {
                        code: "spec::too_deep",
                        message: format!(
                            "blocks nested more than {} levels deep",
                            limits::MAX_DEPTH
                        ),
                        start: span.offset(),
                        end: span.offset() + span.len(),
                        label: "this block is too deep".into(),
                        help:
                            "a spec nests a few levels (stack, resource, block); flatten the blocks"
                                .into(),
                    }));
                }
                Ok(with(&doc))
            })
            .map_err(ParseError::Thread)?;
        parser
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The first node nested deeper than `MAX_DEPTH` blocks, if any (iterative).
fn too_deep(doc: &KdlDocument) -> Option<miette::SourceSpan> {
    let mut stack: Vec<(&KdlNode, usize)> = doc.nodes().iter().map(|n| (n, 1)).collect();
    while let Some((node, depth)) = stack.pop() {
        if let Some(children) = node.children() {
            if depth > limits::MAX_DEPTH {
                return Some(node.span());
            }
            stack.extend(children.nodes().iter().map(|n| (n, depth + 1)));
        }
    }
    None
}

fn lowercase_first(s: &str) -> String {
    let s = s.trim_end_matches('.');
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn document(file: FileId, doc: &KdlDocument) -> Vec<Node> {
    doc.nodes().iter().map(|n| node(file, n)).collect()
}

fn node(file: FileId, n: &KdlNode) -> Node {
    let mut args = Vec::new();
    let mut props = Vec::new();
    for e in n.entries() {
        let entry_value = entry(file, e);
        match e.name() {
            Some(name) => props.push(Prop {
                name: Spanned::new(
                    name.value().to_owned(),
                    Span::from_miette(file, name.span()),
                ),
                entry: entry_value,
            }),
            None => args.push(entry_value),
        }
    }
    Node {
        name: Spanned::new(
            n.name().value().to_owned(),
            Span::from_miette(file, n.name().span()),
        ),
        ty: n
            .ty()
            .map(|t| Spanned::new(t.value().to_owned(), Span::from_miette(file, t.span()))),
        args,
        props,
        children: n.children().map(|c| document(file, c)).unwrap_or_default(),
        span: Span::from_miette(file, n.span()),
    }
}

fn entry(file: FileId, e: &KdlEntry) -> Entry {
    let span = Span::from_miette(file, e.span());
    let value = match e.value() {
        KdlValue::String(s) => Literal::String(s.clone()),
        KdlValue::Integer(i) => Literal::Int(*i),
        KdlValue::Float(f) => Literal::Float(*f),
        KdlValue::Bool(b) => Literal::Bool(*b),
        KdlValue::Null => Literal::Null,
    };
    // The entry span covers `(ty)name=value`; the value is its tail.
    let (value_span, text_start) = match e.format() {
        Some(format) => {
            let repr = format.value_repr.as_str();
            let start = (span.end as usize)
                .saturating_sub(repr.len())
                .max(span.start as usize);
            let value_span = Span::new(file, start, span.end as usize);
            let plain = repr.len() >= 2
                && repr.starts_with('"')
                && repr.ends_with('"')
                && !repr.contains('\\');
            (value_span, plain.then_some(start as u32 + 1))
        }
        None => (span, None),
    };
    Entry {
        value,
        ty: e
            .ty()
            .map(|t| Spanned::new(t.value().to_owned(), Span::from_miette(file, t.span()))),
        span,
        value_span,
        text_start,
    }
}
