//! Diagnostics: every problem strata reports about a spec, collected, never thrown.
//!
//! Checks push `Diagnostic`s into a list and keep going, so one run reports every
//! problem. A diagnostic has a stable code (`spec::unknown_ref`), a lowercase message
//! with no trailing period, labels on exact spans (possibly in several files) and help.
//! Rendering is separate: `render_human` goes through miette's graphical handler (one
//! top-level report with every problem as a `related` diagnostic), `to_json` gives
//! editors and CI ranges with 1-based lines and columns.
//! Invariant: the first label of a diagnostic is its primary location.

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde_json::json;

use crate::source::{Sources, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets `help` only if no help was set before (a "did you mean" wins).
    pub fn help_or(mut self, help: impl Into<String>) -> Self {
        if self.help.is_none() {
            self.help = Some(help.into());
        }
        self
    }

    /// Adds `help` only when there is some.
    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }
}

/// An ordered collection of diagnostics, deduplicated on insertion.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    /// (code, primary span, message) of every item: deduplication without a scan.
    seen: std::collections::HashSet<(&'static str, Option<Span>, String)>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        // The same problem found twice (once per environment, say) is reported once.
        let key = (
            diagnostic.code,
            diagnostic.primary_span(),
            diagnostic.message.clone(),
        );
        if self.seen.insert(key) {
            self.items.push(diagnostic);
        }
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for d in other.items {
            self.push(d);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Orders diagnostics by file, then position, so output is stable whatever order
    /// the checks ran in.
    pub fn sort(&mut self) {
        self.items.sort_by_key(|d| {
            d.primary_span()
                .map(|s| (0, s.file.0, s.start, s.end))
                .unwrap_or((1, 0, 0, 0))
        });
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

/// A set of diagnostics together with the files they point into: what a failed load
/// or check returns.
#[derive(Debug, Clone)]
pub struct Failure {
    pub sources: Arc<Sources>,
    pub diagnostics: Diagnostics,
}

impl Failure {
    /// The miette form: one report whose related diagnostics are every problem.
    pub fn to_miette(&self) -> SpecReport {
        let errors = self
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        self.to_miette_as(
            "spec::invalid",
            match errors {
                1 => "the spec has 1 error".to_owned(),
                n => format!("the spec has {n} errors"),
            },
            "nothing was planned or applied; fix these and run the command again",
        )
    }

    /// The miette form under another heading (`apply::failed`, "2 operations failed").
    pub fn to_miette_as(
        &self,
        code: &'static str,
        message: String,
        help: &'static str,
    ) -> SpecReport {
        let related: Vec<_> = self
            .diagnostics
            .iter()
            .map(|d| MietteDiagnostic::new(&self.sources, d))
            .collect();
        SpecReport {
            code,
            message,
            help,
            related,
        }
    }

    /// Renders for a terminal; `color` picks the coloured theme.
    pub fn render_human(&self, color: bool, width: usize) -> String {
        render_report(&self.to_miette(), color, width)
    }

    /// Renders under another heading (see [`Failure::to_miette_as`]).
    pub fn render_human_as(
        &self,
        (code, message, help): (&'static str, String, &'static str),
        color: bool,
        width: usize,
    ) -> String {
        render_report(&self.to_miette_as(code, message, help), color, width)
    }

    /// The versioned JSON form (see README, "validate --format json").
    pub fn to_json(&self) -> serde_json::Value {
        diagnostics_json(&self.sources, &self.diagnostics)
    }
}

/// Renders any miette diagnostic for a terminal; `color` picks the coloured theme.
pub fn render_report(report: &dyn miette::Diagnostic, color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let mut out = String::new();
    handler
        .render_report(&mut out, report)
        .expect("rendering into a String cannot fail");
    out
}

pub const DIAGNOSTICS_FORMAT_VERSION: u32 = 1;

pub fn diagnostics_json(sources: &Sources, diagnostics: &Diagnostics) -> serde_json::Value {
    let range = |span: Span| {
        let file = sources.get(span.file);
        let (line, column) = file.line_col(span.start);
        let (end_line, end_column) = file.line_col(span.end);
        json!({
            "file": file.name,
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "offset": span.start,
            "length": span.len(),
        })
    };
    let items: Vec<_> = diagnostics
        .iter()
        .map(|d| {
            let labels: Vec<_> = d
                .labels
                .iter()
                .map(|l| {
                    let mut r = range(l.span);
                    r["message"] = json!(l.text);
                    r
                })
                .collect();
            json!({
                "code": d.code,
                "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": d.message,
                "help": d.help,
                "range": d.primary_span().map(range),
                "labels": labels,
            })
        })
        .collect();
    json!({
        "format_version": DIAGNOSTICS_FORMAT_VERSION,
        "valid": !diagnostics.has_errors(),
        "error_count": diagnostics.iter().filter(|d| d.severity == Severity::Error).count(),
        "diagnostics": items,
    })
}

/// The top-level miette diagnostic of a failed spec: every problem is `related`.
#[derive(Debug)]
pub struct SpecReport {
    code: &'static str,
    message: String,
    help: &'static str,
    related: Vec<MietteDiagnostic>,
}

impl fmt::Display for SpecReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SpecReport {}

impl miette::Diagnostic for SpecReport {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.help))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        Some(Box::new(
            self.related.iter().map(|d| d as &dyn miette::Diagnostic),
        ))
    }
}

/// One diagnostic in miette's shape. Labels in files other than the primary one become
/// related diagnostics of their own, since a miette diagnostic has one source.
#[derive(Debug)]
pub struct MietteDiagnostic {
    code: &'static str,
    severity: miette::Severity,
    message: String,
    help: Option<String>,
    source: Option<NamedSource<Arc<str>>>,
    labels: Vec<LabeledSpan>,
    related: Vec<MietteDiagnostic>,
}

impl MietteDiagnostic {
    fn new(sources: &Sources, d: &Diagnostic) -> Self {
        let mut groups: Vec<(crate::source::FileId, Vec<&Label>)> = Vec::new();
        for label in &d.labels {
            match groups.iter_mut().find(|(f, _)| *f == label.span.file) {
                Some((_, labels)) => labels.push(label),
                None => groups.push((label.span.file, vec![label])),
            }
        }
        let mut groups = groups.into_iter();
        let (source, labels) = match groups.next() {
            Some((file, labels)) => (Some(named_source(sources, file)), miette_labels(&labels)),
            None => (None, Vec::new()),
        };
        let related = groups
            .map(|(file, labels)| MietteDiagnostic {
                code: d.code,
                severity: miette::Severity::Advice,
                message: format!("{} (continued in {})", d.message, sources.get(file).name),
                help: None,
                source: Some(named_source(sources, file)),
                labels: miette_labels(&labels),
                related: Vec::new(),
            })
            .collect();
        MietteDiagnostic {
            code: d.code,
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            message: d.message.clone(),
            help: d.help.clone(),
            source,
            labels,
            related,
        }
    }
}

fn named_source(sources: &Sources, file: crate::source::FileId) -> NamedSource<Arc<str>> {
    let f = sources.get(file);
    NamedSource::new(&f.name, f.text.clone()).with_language("kdl")
}

fn miette_labels(labels: &[&Label]) -> Vec<LabeledSpan> {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let span = SourceSpan::new((l.span.start as usize).into(), l.span.len());
            if i == 0 {
                LabeledSpan::new_primary_with_span(Some(l.text.clone()), span)
            } else {
                LabeledSpan::new_with_span(Some(l.text.clone()), span)
            }
        })
        .collect()
}

impl fmt::Display for MietteDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteDiagnostic {}

impl miette::Diagnostic for MietteDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|d| d as &dyn miette::Diagnostic),
            ))
        }
    }
}
